"""Registers (sổ đăng ký văn bản): the gap-free yearly numbers of incoming and outgoing documents that
model scripts take with next_number().

May import: persistence and the kernel.
"""
