"""What model code may use: each attack refused, what models need allowed, compiled once per text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.bpmn.script_engine import SCRIPT_GLOBALS, SandboxedEnvironment
from engine.sandbox import SandboxError, compiled, sandbox_problems

SECRET = "the-session-signing-key"


@pytest.fixture
def environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(dict(SCRIPT_GLOBALS), timeout=2.0)


@pytest.fixture
def data(tmp_path: Path) -> dict[str, Any]:
    key = tmp_path / "secret_key"
    key.write_text(SECRET)
    return {"amount": 5, "doc": {"title": "Tờ trình"}, "items": [1, 2], "key_file": str(key)}


# script, the exception it must end in, words of its message
ATTACKS = [
    ("import os\nos.system('touch /tmp/procflow-pwned')", ImportError, 'import of "os" is not allowed'),
    ("import subprocess", ImportError, 'import of "subprocess" is not allowed'),
    ("from os import path", ImportError, 'import of "os" is not allowed'),
    ("import os.path", ImportError, 'import of "os.path" is not allowed'),
    ("from . import x", ImportError, "is not allowed"),
    ("x = open('/etc/passwd').read()", NameError, "'open' is not defined"),
    ("x = open(key_file).read()", NameError, "'open' is not defined"),
    ("x = __import__('os')", SandboxError, '"__import__" is an invalid variable name'),
    ("x = __builtins__", SandboxError, '"__builtins__" is an invalid variable name'),
    ("x = ().__class__.__bases__[0].__subclasses__()", SandboxError, '"__subclasses__" is an invalid attribute'),
    ("x = getattr((), '__class__')", AttributeError, '"__class__" is an invalid attribute name'),
    ("n = '__cla' + 'ss__'\nx = getattr(amount, n)", AttributeError, '"__class__" is an invalid attribute name'),
    ("x = hasattr(amount, '__class__')\ny = getattr(amount, 'nope', 1)", None, ""),  # False; a default
    ("x = '{0.__class__}'.format(amount)", AttributeError, '"__class__" is an invalid attribute name'),
    ("x = '{0.__class__.__init__.__globals__}'.format(doc)", AttributeError, '"__class__" is an invalid'),
    ("x = '{a.__class__}'.format_map({'a': 1})", AttributeError, '"__class__" is an invalid attribute name'),
    ("x = str.format('{0.__class__}', amount)", AttributeError, '"__class__" is an invalid attribute name'),
    ("x = '{0[0].__class__}'.format(items)", AttributeError, '"__class__" is an invalid attribute name'),
    ("x = (i for i in items).gi_frame", SandboxError, '"gi_frame" is a restricted name'),
    ("import json\nx = json.codecs.open", AttributeError, '"codecs" is a module model code may not use'),
    ("from json import codecs", AttributeError, '"codecs" is a module model code may not use'),
    ("x = datetime.sys", AttributeError, '"sys" is a module model code may not use'),
    ("x = eval('1')", SandboxError, "Eval calls are not allowed"),
    ("exec('x = 1')", SandboxError, "Exec calls are not allowed"),
    ("x = compile('1', 'f', 'eval')", NameError, "'compile' is not defined"),
    ("x = globals()", NameError, "'globals' is not defined"),
    ("x = vars()", NameError, "'vars' is not defined"),
    ("x = type(amount)", NameError, "'type' is not defined"),
    ("setattr(datetime, 'x', 1)", NameError, "'setattr' is not defined"),
    ("datetime.MINYEAR = 3", TypeError, "may not change a module object"),
    ("raise SystemExit(1)", NameError, "'SystemExit' is not defined"),
    ("x = sum(range(10 ** 12))", ValueError, "larger than model code may use"),
    ("class A:\n  pass", NameError, "__build_class__"),
    ("x = Exception.mro()[1]", AttributeError, '"mro" is not available to model code'),
]


@pytest.mark.parametrize(("script", "error", "said"), ATTACKS, ids=[a[0][:40] for a in ATTACKS])
def test_each_attack_is_refused(environment: SandboxedEnvironment, data: dict[str, Any], script: str,
                                error: type[Exception] | None, said: str) -> None:
    if error is None:
        environment.execute(script, data)
        assert data["x"] is False and data["y"] == 1
        return
    with pytest.raises(error) as refused:
        environment.execute(script, data)
    assert said in str(refused.value)
    assert SECRET not in repr(data) and "x" not in data


def test_nothing_the_attacks_tried_happened() -> None:
    assert not Path("/tmp/procflow-pwned").exists()


def test_expressions_are_restricted_too(environment: SandboxedEnvironment, data: dict[str, Any]) -> None:
    assert environment.evaluate("amount > 3 and doc['title'] == 'Tờ trình'", data) is True
    assert environment.evaluate("  'P%dD' % amount", data) == "P5D"  # leading blanks, as eval() allows
    for expression in ("amount.__class__", "__import__('os')", "open(key_file).read()",
                       "'{0.__class__}'.format(amount)"):
        with pytest.raises((SandboxError, NameError, AttributeError)):
            environment.evaluate(expression, data)


def test_what_models_need_works(environment: SandboxedEnvironment, data: dict[str, Any]) -> None:
    environment.execute(
        "doc['seen'] = True\n"
        "items.append(len(items) + 1)\n"
        "doc.update({'n': doc.get('n', 0) + 1})\n"
        "total = 0\n"
        "for i, v in enumerate(items):\n"
        "    total += i * v\n"
        "a, (b, c) = 1, [2, 3]\n"
        "import math, json, re, decimal, statistics\n"
        "from datetime import date\n"
        "label = '{} #{:03d}'.format(doc['title'], amount) + f' {amount:>3}'\n"
        "parts = sorted(set(re.findall(r'\\d', '3a1b2')))\n"
        "stats = [min(items), max(items), sum(items), abs(-2), round(2.5), statistics.mean(items)]\n"
        "ok = all(isinstance(x, int) for x in items) and any(items) and bool(dict(zip('ab', range(2))))\n"
        "money = str(decimal.Decimal('1.10') * 3)\n"
        "when = (datetime.datetime(2026, 1, 1) + timedelta(days=1)).isoformat()\n"
        "year = date(2026, 5, 1).year\n"
        "known = 'missing' in dir()\n"
        "def double(v):\n"
        "    return v * 2\n"
        "twice = [double(x) for x in items if x > 1]\n"
        "text = json.dumps({'r': math.floor(2.7)})\n"
        "print('printing is harmless')\n",
        data)
    assert data["doc"] == {"title": "Tờ trình", "seen": True, "n": 1} and data["items"] == [1, 2, 3]
    assert (data["total"], data["a"], data["b"], data["c"]) == (8, 1, 2, 3)
    assert data["label"] == "Tờ trình #005   5" and data["parts"] == ["1", "2", "3"]
    assert data["stats"] == [1, 3, 6, 2, 2, 2] and data["ok"] is True and data["money"] == "3.30"
    assert (data["when"], data["year"], data["known"]) == ("2026-01-02T00:00:00", 2026, False)
    assert data["twice"] == [4, 6] and data["text"] == '{"r": 2}'
    # modules, functions and the sandbox's own names do not stay in the task data
    assert not {"math", "json", "re", "decimal", "statistics", "date", "double", "_print", "__builtins__",
                "_getattr_"} & set(data)


def test_code_is_compiled_once_per_text() -> None:
    assert compiled("amount + 1", "eval") is compiled("amount + 1", "eval")
    assert compiled("x = 1", "exec") is not compiled("x = 2", "exec")


def test_refusals_are_located_for_deploy() -> None:
    assert sandbox_problems("x = 1\ny = 2\nimport socket", "exec") == [
        (3, 'import of "socket" is not allowed; model code may import only datetime, decimal, json, math, re, '
            'statistics')]
    assert sandbox_problems("amount.__class__", "eval")[0][0] == 1
    assert sandbox_problems("x = open('f')", "exec") == [(1, "open() is not available to model code")]
    assert sandbox_problems("try:\n    x = 1\nexcept:\n    pass", "exec") == []  # catches Exception only
    assert sandbox_problems("x = ValueError.mro()", "exec") == [(1, '"mro" is not available to model code')]
    assert sandbox_problems("x = (", "exec") == []  # a syntax error is E031's to report
    assert sandbox_problems("import math\nx = '{}'.format(math.pi)", "exec") == []
