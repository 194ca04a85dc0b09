"""What model code may use: RestrictedPython compilation, its guards, the builtins and the importable modules.

A script or expression is compiled once per source text (``compiled``, an LRU cache) with RestrictedPython,
which rewrites every attribute access, item access, iteration, unpacking, write and ``print`` into a call of
a guard given in ``restricted_globals``. The guards refuse names starting with ``_`` (so no ``__class__``,
``__globals__``, ``__subclasses__``), frame and code attributes, modules other than ``ALLOWED_MODULES``
(also reached as attributes, e.g. ``json.codecs``), writes to anything but dicts, lists and sets, and
``str.format`` fields that reach such attributes.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import operator
import re
import string
import warnings
from collections.abc import Callable, Iterator
from functools import lru_cache, partial
from types import CodeType, ModuleType
from typing import Any

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr
from RestrictedPython.PrintCollector import PrintCollector

ALLOWED_MODULES = frozenset({"datetime", "decimal", "json", "math", "re", "statistics"})
# Called by name in model code, these are refused at deploy (as data values they are never callable).
FORBIDDEN_CALLS = frozenset({"open", "eval", "exec", "compile", "globals", "locals", "vars", "input", "breakpoint",
                             "help", "exit", "quit", "memoryview", "setattr", "delattr", "type", "object",
                             "super", "classmethod", "staticmethod", "property"})
# Attributes no model needs that lead past the guards: ``Exception.mro()`` names BaseException, which
# catches the time limit's exception.
FORBIDDEN_ATTRIBUTES = frozenset({"mro"})
RANGE_LIMIT = 10_000_000  # range() runs in C where the time limit cannot stop it; no model needs more
FILENAME = "<string>"  # SpiffWorkflow finds the failing line of a script by this frame name

_MISSING = object()
_LINE = re.compile(r"^Line (\d+): (.*)$", re.S)


class SandboxError(SyntaxError):
    """Model code the sandbox refuses to compile (a forbidden name, attribute or construct)."""


class ModelCodePolicy(RestrictingNodeTransformer):
    """RestrictedPython's rules, and a bare ``except:`` that catches ``Exception`` only, so that no script
    can swallow the time limit (engine.sandbox.time_limit)."""

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        if node.type is None:
            node.type = ast.copy_location(ast.Name("Exception", ast.Load()), node)
        return super().visit_ExceptHandler(node)


# -- compiling --------------------------------------------------------------------------------------------------
def compiled(source: str, mode: str) -> CodeType:
    """The restricted code object for ``source`` (``mode`` "eval" or "exec"), compiled once per text.

    Raises:
        SyntaxError: the text is not Python; SandboxError: it uses what the sandbox forbids.
    """
    result = _compiled(source, mode)
    if isinstance(result, CodeType):
        return result
    kind, line, message = result
    raise (SandboxError if kind == "sandbox" else SyntaxError)(message, (FILENAME, line, 0, "", line, 0))


@lru_cache(maxsize=4096)
def _compiled(source: str, mode: str) -> CodeType | tuple[str, int, str]:
    # Failures are cached too: some callers try an expression and fall back to the text as a literal.
    text = source.lstrip(" \t") if mode == "eval" else source  # eval() strips these, so models rely on it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning and RestrictedPython's notes are not errors
        try:
            ast.parse(text, FILENAME, mode)
        except SyntaxError as error:
            return "syntax", error.lineno or 1, str(error.msg)
        result = _restricted(text, mode)
    if result.errors:
        line, message = _located(result.errors[0])
        return "sandbox", line, message
    assert result.code is not None  # RestrictedPython gives code exactly when there are no errors
    return result.code


def sandbox_problems(source: str, mode: str) -> list[tuple[int, str]]:
    """Each (line, message) for which the sandbox refuses ``source``; empty if it runs (or is not Python)."""
    text = source.lstrip(" \t") if mode == "eval" else source
    try:
        tree = ast.parse(text, FILENAME, mode)
    except SyntaxError:
        return []  # reported as a syntax error elsewhere
    problems = list(_static_problems(tree))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        problems.extend(_located(error) for error in _restricted(text, mode).errors)
    return sorted(set(problems))


def _restricted(text: str, mode: str) -> Any:
    compile_mode = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    return compile_mode(text, filename=FILENAME, policy=ModelCodePolicy)


def _static_problems(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """What RestrictedPython compiles but would fail at run time: forbidden imports and builtins."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name not in ALLOWED_MODULES:
                    yield node.lineno, _import_refused(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level or node.module not in ALLOWED_MODULES:
                yield node.lineno, _import_refused("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
            yield node.lineno, f"{node.func.id}() is not available to model code"
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            yield node.lineno, f'"{node.attr}" is not available to model code'


def _located(error: str) -> tuple[int, str]:
    match = _LINE.match(error)
    return (int(match.group(1)), match.group(2)) if match else (1, error)


def _import_refused(name: str) -> str:
    return f'import of "{name}" is not allowed; model code may import only {", ".join(sorted(ALLOWED_MODULES))}'


# -- the guards -------------------------------------------------------------------------------------------------
def guarded_getattr(obj: Any, name: str, default: Any = _MISSING) -> Any:
    """``obj.name`` unless the name is private, a frame/code internal, or leads to a module not allowed."""
    if name in ("format", "format_map") and (isinstance(obj, str) or obj is str):
        return _safe_format(obj, name)
    if name in FORBIDDEN_ATTRIBUTES:
        raise AttributeError(f'"{name}" is not available to model code')
    if isinstance(obj, ModuleType) and obj.__name__ not in ALLOWED_MODULES:
        raise AttributeError(f'module "{obj.__name__}" is not available to model code')
    value = safer_getattr(obj, name) if default is _MISSING else safer_getattr(obj, name, default)
    if isinstance(value, ModuleType) and value.__name__ not in ALLOWED_MODULES:
        raise AttributeError(f'"{name}" is a module model code may not use')
    return value


def guarded_hasattr(obj: Any, name: str) -> bool:
    """``hasattr`` through the same guard as attribute access."""
    try:
        guarded_getattr(obj, name)
    except (AttributeError, NotImplementedError):
        return False
    return True


def guarded_getitem(obj: Any, key: Any) -> Any:
    """``obj[key]``; items reach nothing attributes would not."""
    return obj[key]


def guarded_write(obj: Any) -> Any:
    """Allow item writes to the dicts, lists and sets of task data; refuse writes to any other object."""
    if isinstance(obj, (dict, list, set)):
        return obj
    raise TypeError(f"model code may not change a {type(obj).__name__} object")


def guarded_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
    """``import`` of the allowed modules only, and of none of their private names or submodules."""
    if level or name not in ALLOWED_MODULES:
        raise ImportError(_import_refused("." * level + name))
    module = importlib.import_module(name)
    for attribute in fromlist or ():
        guarded_getattr(module, attribute)  # from json import codecs: a module json happens to import
    return module


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "^=": operator.ixor, "|=": operator.ior, "@=": operator.imatmul,
}


def inplace(op: str, target: Any, value: Any) -> Any:
    """``target op= value`` for a name (RestrictedPython rewrites ``n += 1`` to a call of this)."""
    return _INPLACE[op](target, value)


def apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A call with ``*args``/``**kwargs`` (RestrictedPython routes those through this)."""
    return function(*args, **kwargs)


def limited_range(*args: int) -> range:
    """``range``, refused past RANGE_LIMIT items (C code such as ``sum(range(...))`` cannot be stopped)."""
    numbers = range(*args)
    if len(numbers) > RANGE_LIMIT:
        raise ValueError(f"range of {len(numbers)} numbers is larger than model code may use ({RANGE_LIMIT})")
    return numbers


# -- str.format that cannot reach private attributes -------------------------------------------------------------
class _SafeFormatter(string.Formatter):
    """``str.format`` whose fields (``{0.attr}``, ``{0[key]}``) go through the guards."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        first, rest = _split_field(field_name)
        obj = self.get_value(first, args, kwargs)
        for is_attribute, key in rest:
            obj = guarded_getattr(obj, key) if is_attribute else guarded_getitem(obj, key)
        return obj, first


def _split_field(field_name: str) -> tuple[Any, Iterator[tuple[bool, Any]]]:
    import _string  # the parser str.format itself uses

    return _string.formatter_field_name_split(field_name)


_FORMATTER = _SafeFormatter()


def _format_unbound(text: str, *args: Any, **kwargs: Any) -> str:
    return _FORMATTER.vformat(text, args, kwargs)


def _format_map(text: str, mapping: Any) -> str:
    return _FORMATTER.vformat(text, (), mapping)


def _safe_format(obj: Any, name: str) -> Callable[..., str]:
    if obj is str:
        return _format_unbound if name == "format" else _format_map
    return partial(_format_unbound, obj) if name == "format" else partial(_format_map, obj)


# -- builtins and globals ---------------------------------------------------------------------------------------
_NOT_FROM_SAFE = {"__build_class__", "setattr", "delattr", "_getattr_", "BaseException", "GeneratorExit",
                  "KeyboardInterrupt", "SystemExit"}  # classes, attribute writes, and exceptions that stop servers
_EXTRA_BUILTINS = ("all", "any", "bin", "dict", "dir", "enumerate", "filter", "format", "frozenset", "iter", "list",
                   "map", "max", "min", "next", "reversed", "set", "sorted", "sum", "tuple", "zip")

BUILTINS: dict[str, Any] = {name: value for name, value in safe_builtins.items() if name not in _NOT_FROM_SAFE}
BUILTINS.update({name: getattr(builtins, name) for name in _EXTRA_BUILTINS})
BUILTINS.update({"range": limited_range, "getattr": guarded_getattr, "hasattr": guarded_hasattr,
                 "__import__": guarded_import})


def restricted_globals() -> dict[str, Any]:
    """The names RestrictedPython's rewritten code calls, with the builtins model code may use."""
    return {
        "__builtins__": BUILTINS,
        "_getattr_": guarded_getattr,
        "_getitem_": guarded_getitem,
        "_getiter_": iter,
        "_write_": guarded_write,
        "_inplacevar_": inplace,
        "_apply_": apply,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_print_": PrintCollector,
    }
