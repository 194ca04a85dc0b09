"""Notifications: what users are told (service: stored notifications, read and unread) and e-mail
(mail: SMTP delivery). Reminder and escalation wording lives here.

May import: org, persistence, the kernel.
"""
