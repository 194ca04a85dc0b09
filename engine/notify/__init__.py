"""Notifications: what users are told (wording: the keys stored and their words, rendered in the reader's
language), service (stored notifications, read and unread) and e-mail (mail: SMTP delivery, in the recipient's
language). Reminder and escalation wording lives here, in wording.py.

May import: org, persistence, the kernel (errors, clock, settings, i18n).
"""
