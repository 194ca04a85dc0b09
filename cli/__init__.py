"""The command line, an entry point like the web app: click commands over the engine's services.

The only package besides web/ that imports click. main.py assembles the ``procflow`` group (the console
script enters there); commands.py holds the core commands, the other modules one command family each; common.py
what they share. A command parses its arguments, calls one service and prints; it holds no domain rules.
"""
