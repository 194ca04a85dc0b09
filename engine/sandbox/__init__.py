"""The sandbox model code runs in: scripts, conditions and every other expression of a model are compiled
with RestrictedPython, see only an allow-list of builtins and modules, and are stopped after a time limit.

docs/modeling.md ("What a script may use") and docs/security.md say what is allowed and why.

May import: the standard library and RestrictedPython only.
"""

from engine.sandbox.policy import (
    ALLOWED_MODULES,
    FORBIDDEN_CALLS,
    SandboxError,
    compiled,
    restricted_globals,
    sandbox_problems,
)
from engine.sandbox.time_limit import ScriptTimedOut, call_with_limit, unlimited

__all__ = [
    "ALLOWED_MODULES", "FORBIDDEN_CALLS", "SandboxError", "ScriptTimedOut", "call_with_limit", "compiled",
    "restricted_globals", "sandbox_problems", "unlimited",
]
