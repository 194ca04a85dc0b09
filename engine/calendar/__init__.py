"""The working-time calendar: working days and hours, holidays, `working:` durations and due dates.

Owns: the calendar arithmetic (working_time), reading calendar input (input) and keeping it in SQL (store).
May import: the kernel (errors, clock) and engine.persistence. Add a calendar rule or holiday source here.
"""
