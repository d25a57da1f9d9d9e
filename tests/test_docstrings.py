"""Every public function of the Python API and of the engine says, numpydoc-style, what comes in and what comes out
(issue #15, item 5): a `Parameters` section that names each parameter of its signature with a type and a
description, and a `Returns` section. An engine function that takes a mapping `x` of arrays names, in its `x`
entry, every key that it or its private helpers read.

The numpydoc headings are parsed here (a title underlined by dashes of its length), without numpydoc itself.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import textwrap
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

import llmcost.engine
from llmcost import api, inputs
from llmcost.engine import serving

ENGINE_MODULES = [importlib.import_module(f"llmcost.engine.{m.name}") for m in pkgutil.iter_modules(llmcost.engine.__path__)]


def public_functions(module: ModuleType) -> list[Callable[..., Any]]:
    """Functions defined in `module` (not imported into it) whose names do not start with an underscore."""
    return [f for name, f in vars(module).items()
            if inspect.isfunction(f) and f.__module__ == module.__name__ and not name.startswith("_")]


API_FUNCTIONS = public_functions(api)
ENGINE_FUNCTIONS = [f for m in ENGINE_MODULES for f in public_functions(m)]


def sections(doc: str) -> dict[str, list[str]]:
    """The numpydoc sections of a docstring: each heading (a line underlined by as many dashes) to the lines under it."""
    lines = inspect.cleandoc(doc).splitlines()
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    i = 0
    while i < len(lines):
        title, under = lines[i].strip(), lines[i + 1].strip() if i + 1 < len(lines) else ""
        if title and under and set(under) == {"-"} and len(under) == len(title):
            current = out.setdefault(title, [])
            i += 2
            continue
        if current is not None:
            current.append(lines[i])
        i += 1
    return out


def entries(lines: list[str]) -> dict[str, tuple[str, str]]:
    """The entries of a Parameters section: each name to (its type, its description). An entry starts at the
    section's indentation with `name : type` (or `a, b : type`); its description is the indented lines under it."""
    out: dict[str, tuple[str, str]] = {}
    names: list[str] = []
    for line in lines:
        if line and not line[0].isspace():
            head, _, kind = line.partition(" : ")
            names = [n.strip() for n in head.split(",")]
            for n in names:
                out[n] = (kind.strip(), "")
        elif names and line.strip():
            for n in names:
                out[n] = (out[n][0], (out[n][1] + " " + line.strip()).strip())
    return out


def problems(func: Callable[..., Any]) -> list[str]:
    """What a function's docstring lacks: a Parameters entry (with a type and a description) for each parameter of
    its signature, no entry for a parameter it does not have, and a Returns section that says something."""
    doc = inspect.getdoc(func)
    if not doc:
        return ["no docstring"]
    found = sections(doc)
    params = [p for p in inspect.signature(func).parameters if p not in ("self", "cls")]
    out = []
    if params and "Parameters" not in found:
        out.append("no Parameters section")
    documented = entries(found.get("Parameters", []))
    out += [f"parameter {p!r} not in Parameters" for p in params if p not in documented]
    out += [f"Parameters names {p!r}, which is not a parameter" for p in documented if p not in params]
    out += [f"parameter {p!r} has no type" for p, (kind, _) in documented.items() if not kind]
    out += [f"parameter {p!r} has no description" for p, (_, text) in documented.items() if not text]
    if not any(line.strip() for line in found.get("Returns", [])):
        out.append("no Returns section")
    return out


def _name(f: Callable[..., Any]) -> str:
    return f"{f.__module__}.{f.__qualname__}"


@pytest.mark.parametrize("func", API_FUNCTIONS + ENGINE_FUNCTIONS, ids=_name)
def test_parameters_and_returns_documented(func: Callable[..., Any]) -> None:
    assert problems(func) == []


def test_every_api_export_is_checked() -> None:
    assert set(api.__all__) <= {f.__name__ for f in API_FUNCTIONS}
    assert {"samples_count", "row_limit", "memory_limit_gib"} <= {f.__name__ for f in API_FUNCTIONS}
    assert {"serve", "pretrain", "finetune", "run_costs", "monthly_costs", "evaluate", "lifecycle", "payback_months",
            "replicas_needed", "allreduce_s", "energy_kwh", "kv_bytes", "depreciation_usd", "worker_hours_per_day"} <= {
        f.__name__ for f in ENGINE_FUNCTIONS}


# ------------------------------------------------------------------------------------------ the checker itself


def _documented(a: float, b: float = 0.0) -> float:
    """Sum.

    Parameters
    ----------
    a : float
        Tokens.
    b : float, default 0.0
        Tokens.

    Returns
    -------
    float
        Tokens.
    """
    return a + b


def _missing_one(a: float, b: float = 0.0) -> float:
    """Sum.

    Parameters
    ----------
    a : float
        Tokens.

    Returns
    -------
    float
        Tokens.
    """
    return a + b


def _prose(a: float) -> float:
    """Twice `a` tokens, in tokens."""
    return 2 * a


def _untyped_and_stale(a: float) -> float:
    """Half.

    Parameters
    ----------
    a
        Tokens.
    c : float
        Gone.

    Returns
    -------
    float
    """
    return a / 2


def test_checker_accepts_a_complete_docstring_and_names_what_is_missing() -> None:
    assert problems(_documented) == []
    assert problems(_missing_one) == ["parameter 'b' not in Parameters"]
    assert problems(_prose) == ["no Parameters section", "parameter 'a' not in Parameters", "no Returns section"]
    assert problems(_untyped_and_stale) == ["Parameters names 'c', which is not a parameter", "parameter 'a' has no type"]


# ------------------------------------------------------------------------------------------ keys of `x`


def keys_read(func: Callable[..., Any], seen: set[str] | None = None) -> set[str]:
    """Keys of `x` that `func` reads by name (`x["k"]`, `x.get("k")`, `_a(x, "k")`, `_trend(x, "k")`), and the
    keys its module's private helpers read, followed through their calls."""
    seen = seen if seen is not None else set()
    module = inspect.getmodule(func)
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    out: set[str] = set()

    def literal(node: ast.AST) -> str | None:
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None

    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "x":
            out.add(literal(node.slice) or "")
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr == "get" and isinstance(f.value, ast.Name) and f.value.id == "x" and node.args:
                out.add(literal(node.args[0]) or "")
            elif isinstance(f, ast.Name) and f.id in ("_a", "_trend") and len(node.args) == 2:
                out.add(literal(node.args[1]) or "")
            if isinstance(f, ast.Name) and f.id.startswith("_") and f.id not in seen:
                helper = getattr(module, f.id, None)
                if inspect.isfunction(helper) and helper.__module__ == func.__module__:
                    seen.add(f.id)
                    out |= keys_read(helper, seen)
    return out - {""}


X_FUNCTIONS = [f for f in ENGINE_FUNCTIONS if "x" in inspect.signature(f).parameters]


def x_entry(func: Callable[..., Any]) -> str:
    """The description of `x` under Parameters, with that of each function of the same module it names in
    backticks ("the keys of `monthly_costs`"): a key documented there is documented here."""
    text = entries(sections(inspect.getdoc(func) or "").get("Parameters", [])).get("x", ("", ""))[1]
    module = inspect.getmodule(func)
    for name in re.findall(r"`(\w+)`", text):
        other = getattr(module, name, None)
        if inspect.isfunction(other) and other is not func:
            text += " " + entries(sections(inspect.getdoc(other) or "").get("Parameters", [])).get("x", ("", ""))[1]
    return text


def undocumented(keys: Any, text: str) -> list[str]:
    return sorted(k for k in keys if not re.search(rf"\b{re.escape(k)}\b", text))


@pytest.mark.parametrize("func", X_FUNCTIONS, ids=_name)
def test_every_key_of_x_read_is_documented(func: Callable[..., Any]) -> None:
    assert undocumented(keys_read(func), x_entry(func)) == []


def test_serving_documents_every_input_key() -> None:
    """The serving engine's input row has one list of keys (inputs.SERVE_KEYS); serve() documents each."""
    assert undocumented(inputs.SERVE_KEYS, x_entry(serving.serve)) == []


def test_key_checker_finds_keys_read_through_private_helpers() -> None:
    assert {"kv_bytes_per_token", "kv_window_bytes_per_token", "window", "memory_gib"} <= keys_read(serving.capacity)
    assert {"prefill_batch_tokens", "step_overhead_s", "cached_share"} <= keys_read(serving.serve)
    assert undocumented(["memory_gib", "tokens_per_day"], "- memory_gib: GiB per GPU; tokens_per_day_x: no") == ["tokens_per_day"]
