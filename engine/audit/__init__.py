"""Tamper evidence: the access log of case views and downloads, anchors over the hash chains, and verification.

Owns ``access_log``, ``audit_anchors``, ``audit_anchor_heads`` and ``audit_anchored`` (engine/persistence/
audit_models.py) and reads ``history`` and the chain heads on ``instances``; the history chain itself is written by
engine.persistence (repository.add_history, chain.py) in each step's transaction. Imports engine.persistence and
the kernel only, so that engine.cases can record views and the workers and the command line can anchor and verify
(docs/security.md).
"""

from engine.audit.access import AccessLog
from engine.audit.anchors import AnchorService
from engine.audit.verify import Verifier

__all__ = ["AccessLog", "AnchorService", "Verifier"]
