"""The staff inbox: what a user sees to do (queries), claiming, delegating and completing work (work,
delegates), saved filters and form drafts.

May import: cases, notify, runtime, org, persistence, the kernel. The rows themselves are written by the
runtime in the step's transaction (engine.runtime.inbox_rows).
"""
