"""Official documents as records of their own (docs/documents.md): incoming and outgoing documents, their files
(main file, appendices, drafts, each kept by SHA-256 with the result of verifying its signatures) and the cases
that handle them; the registers (sổ đăng ký văn bản đến / đi) numbered from 1 each year, listed and exported
(XLSX, printable PDF); the ``procflow:document`` BPMN extension through which procedures create, number, sign
and issue documents (a runtime hook, engine/runtime/hooks.py); signing in the outgoing procedure (the competent
person's key or an uploaded signed PDF, then the clerical office's number, date and agency signature); the
processing slip and the demo's signed document.

Public API: service.DocumentService (reads, for users who may see a handling case), extension.DocumentActions
(the runtime hook), signing.DocumentSigner, registers.RegisterService, printing (slip, case summary), demo.

May import: cases (visibility, attachments), runtime (its hook protocol), signing, registers, org, persistence and
the kernel.
"""
