"""The organisation: units (any depth) and their heads, groups and memberships, users, and the
accounts people sign in with (passwords, lockout).

May import: persistence and the kernel.
"""
