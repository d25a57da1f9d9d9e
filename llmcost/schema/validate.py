"""`build`: a YAML mapping checked against a record class, every problem collected with file and line."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from llmcost.errors import closest, key_text
from llmcost.schema.checks import Problems, as_number, check_number, control_character, describe
from llmcost.schema.fields import DATE_RE, ID_RE, Spec, spec_of, yaml_key
from llmcost.schema.quantities import Bounds
from llmcost.schema.ranges import Uncertain, parse_range, spec_bounds
from llmcost.schema.records import RANGE_RECORDS


def _scalar(value: Any, spec: Spec, where: tuple[int, str], out: Problems) -> Any:
    line, keypath = where
    t = spec.type
    if t in ("num", "int"):
        value = as_number(value, integer=(t == "int"))
        bounds = spec_bounds(spec)
        reason = check_number(value, bounds, integer_only=(t == "int"))
        if reason:
            out.add(line, keypath, reason)
            return None
        if isinstance(value, Uncertain):  # a range already checked: keep it (it is its point value)
            return value
        out.check_plausible(line, keypath, value, bounds)
        return float(value) if t == "num" else int(value)
    if t == "bool":
        if not isinstance(value, bool):
            out.add(line, keypath, f"expected true or false, got {describe(value)}")
        return value
    if not isinstance(value, str):
        out.add(line, keypath, f"expected text, got {describe(value)}")
        return None
    unsafe = control_character(value, spec.multiline) if t == "str" else None  # ids, dates and choices have stricter forms
    if unsafe:
        out.add(line, keypath, unsafe)
    elif t == "id" and not ID_RE.fullmatch(value):  # fullmatch: `$` alone lets "id\n" through
        out.add(line, keypath, f"id {value!r} must be lowercase letters, digits and . _ / + - (e.g. 'my-rtx-4090')")
    elif t == "date" and not is_date(value):
        out.add(line, keypath, f"expected a date YYYY-MM-DD, got {describe(value)}")
    elif t == "enum" and value not in spec.choices:
        near = closest(value, spec.choices)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        out.add(line, keypath, f"expected one of {', '.join(spec.choices)}, got {value!r}{hint}")
    elif len(value) > 10_000:
        out.add(line, keypath, "text longer than 10,000 characters")
    return value


def is_date(value: str) -> bool:
    try:
        return bool(DATE_RE.fullmatch(value)) and datetime.date.fromisoformat(value) is not None
    except ValueError:  # 2024-02-30
        return False


def _value(value: Any, spec: Spec, where: tuple[int, str], out: Problems) -> Any:
    line, keypath = where
    if spec.type in ("record", "records"):
        if spec.type == "record":
            return build(spec.record, value, out, line, keypath)
        if not isinstance(value, list):
            out.add(line, keypath, f"expected a list, got {describe(value)}")
            return ()
        lines = getattr(value, "item_lines", [line] * len(value))
        return tuple(build(spec.record, v, out, ln, f"{keypath}[{i}]") for i, (v, ln) in enumerate(zip(value, lines, strict=False)))
    if spec.type == "refs":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            out.add(line, keypath, f"expected a list of ids, got {describe(value)}")
            return ()
        lines = getattr(value, "item_lines", [line] * len(value))
        return tuple(_scalar(v, Spec("str", ""), (ln, f"{keypath}[{i}]"), out) for i, (v, ln) in enumerate(zip(value, lines, strict=False)))
    if spec.type in ("sources", "num_map"):
        if not isinstance(value, dict):
            out.add(line, keypath, f"expected a mapping, got {describe(value)}")
            return {}
        result = {}
        for k, v in value.items():
            kl = getattr(value, "key_lines", {}).get(k, line)
            unsafe = control_character(str(k))
            if unsafe:
                out.add(kl, f"{keypath}.{key_text(k)}", f"key: {unsafe}")
            inner = Spec("str", "") if spec.type == "sources" else Spec("num", "", bounds=spec.bounds)
            result[k] = _scalar(v, inner, (kl, f"{keypath}.{key_text(k)}"), out)
        return result
    if spec.type == "ref":
        return _scalar(value, Spec("str", ""), where, out)
    if spec.type == "range":
        return value if isinstance(value, Uncertain) else parse_range(value, spec_bounds(spec), where, out)
    return _scalar(value, spec, where, out)


def build(cls: Any, data: Any, out: Problems, line: int, keypath: str, numbers: Bounds | None = None) -> Any:
    """Check `data` (a YMap) against record class `cls`; add problems to `out`; return the record or None.

    `numbers`: the bounds of the record's numbers when its type does not fix them (an assumption's value
    and range: one record type, bounds by name)."""
    if not isinstance(data, dict):
        out.add(line, keypath, f"expected a mapping, got {describe(data)}")
        return None
    fields = {yaml_key(f): f for f in dataclasses.fields(cls)}
    key_lines = getattr(data, "key_lines", {})
    before = len(out.lines)
    for key in data:
        if key not in fields:
            near = closest(str(key), fields)
            hint = f"; did you mean {near[0]!r}?" if near else f"; valid keys: {', '.join(fields)}"
            out.add(key_lines.get(key, line), f"{keypath}.{key_text(key)}", f"unknown key{hint}")
    kwargs: dict[str, Any] = {}
    for key, f in fields.items():
        spec = spec_of(f)
        if numbers is not None and spec.type in ("num", "range"):
            spec = dataclasses.replace(spec, bounds=numbers)
        if key not in data or data[key] is None:
            if key in data and spec.type not in ("record", "records", "refs", "sources", "num_map") and not spec.required:
                out.add(key_lines.get(key, line), f"{keypath}.{key}", "empty value; give a value or leave the key out")
            elif spec.required and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                out.add(line, f"{keypath}.{key}", f"missing required key ({spec.doc})")
            continue
        where = (key_lines.get(key, line), f"{keypath}.{key}")
        if cls in RANGE_RECORDS and spec.type in ("num", "range") and isinstance(data[key], dict):
            kwargs[f.name] = parse_range(data[key], spec_bounds(spec), where, out)
            continue
        kwargs[f.name] = _value(data[key], spec, where, out)
    if len(out.lines) > before:
        return None
    rec = cls(**kwargs)
    for key, message in rec.problems() if hasattr(rec, "problems") else ():
        out.add(key_lines.get(key, line), f"{keypath}.{key}", message)
    return None if len(out.lines) > before else rec


def numeric_fields(rec: Any) -> list[str]:
    """Names of the numeric fields set in a record (for the sources check)."""
    names = []
    for f in dataclasses.fields(rec):
        if spec_of(f).type in ("num", "int") and getattr(rec, f.name) is not None and f.name != "id":
            names.append(yaml_key(f))
    return names


def uncovered_numbers(rec: Any) -> list[str]:
    """Numeric fields of a record (and its `reported` block) that no `sources` key covers."""
    missing = []
    srcs = getattr(rec, "sources", None)
    if srcs is not None and "default" not in srcs:
        missing += [k for k in numeric_fields(rec) if k not in srcs]
    rep = getattr(rec, "reported", None)
    if rep is not None:
        missing += [f"reported.{k}" for k in uncovered_numbers(rep)]
    return missing

