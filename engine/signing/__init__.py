"""Digital signatures on PDF documents (PAdES, pyHanko): where keys live (PKCS#12 file, PKCS#11 token or
HSM), the competent person's and the agency's visible signatures, filling the number and date into a signed
PDF without breaking it, verification against the configured trust roots and CRLs, the users' certificate
registry and the rule "a signing step needs a valid signature by its assignee".

Public API: keys.KeySpec / keys.open_signer, sign.sign_as_person / sign.fill_fields / sign.sign_as_agency /
sign.sign_appendix, prepare.prepare_document, verify.Verifier / verify.SignatureResult,
rules.require_signed_by, registry.CertificateRegistry. The sample module makes test and demo PDFs; the
demo_pki module makes a throwaway CA for tests, benchmarks and demos.

May import: persistence and the kernel (errors, clock, settings).
"""
