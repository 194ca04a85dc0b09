"""Cases as people see them: who may see a case (visibility), its page, comments, attachments,
the catalogue of procedures one may start, read-side queries and the administrators' list.

May import: runtime, deployment, org, forms, persistence, the kernel. Add a case-level read or action here;
every read of a case goes through visibility.CaseAccess.
"""
