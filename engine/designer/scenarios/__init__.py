"""Scenario tests: YAML scenarios played on virtual time against a real engine, with coverage.

format.py reads the files, play.py drives a case, checks.py asserts, coverage.py measures, runner.py
runs a folder of them.
"""
