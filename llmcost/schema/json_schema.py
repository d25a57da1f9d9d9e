"""JSON Schema of each profile kind, generated from the same field specs the loader checks (for editors)."""

from __future__ import annotations

import dataclasses
from typing import Any

from llmcost.numbers import QUANTITY_PATTERN
from llmcost.schema.fields import DATE_RE, ID_RE, Spec, spec_of, yaml_key
from llmcost.schema.quantities import ASSUMPTIONS, Bounds
from llmcost.schema.ranges import RANGE_SHAPES
from llmcost.schema.records import KINDS, RANGE_RECORDS, Assumption

RANGE_SCHEMA: dict[str, Any] = {
    "description": "a range: {low, mode, high} triangular, {low, high} uniform, {mean, sd} normal, {p10, p90} lognormal",
    "oneOf": [{"type": "object", "properties": {k: {"type": ["number", "string"], "pattern": QUANTITY_PATTERN} for k in keys}, "required": list(keys),
               "additionalProperties": False} for keys in RANGE_SHAPES],
}

RANGE_REF = "#/$defs/range"
"""Where a file's schema keeps RANGE_SCHEMA (once, for every field that may be a range)."""

_JSON_TYPES = {"str": "string", "id": "string", "date": "string", "enum": "string", "ref": "string",
               "int": "integer", "num": "number", "bool": "boolean"}


def _number_schema(bounds: Bounds) -> dict[str, Any]:
    """Valid bounds as JSON Schema keywords (the plausible range goes into the description)."""
    keywords = {"exclusiveMinimum": bounds.gt, "minimum": bounds.ge, "maximum": bounds.le}
    return {k: v for k, v in keywords.items() if v is not None}


def _description(spec: Spec) -> str:
    b = spec.bounds
    if b is None or b.plausible is None:
        return spec.doc
    return f"{spec.doc} (plausible: {b.plausible[0]:g} to {b.plausible[1]:g} {b.unit})"


def _field_schema(spec: Spec) -> dict[str, Any]:
    s: dict[str, Any] = {"description": _description(spec)}
    if spec.type in _JSON_TYPES:
        s["type"] = _JSON_TYPES[spec.type]
    if spec.type in ("num", "int"):  # or text with a suffix, as on the command line: 20M, 1.4T
        s.update(type=[s["type"], "string"], pattern=QUANTITY_PATTERN)
    if spec.type == "id":
        s["pattern"] = ID_RE.pattern
    if spec.type == "date":
        s["pattern"] = DATE_RE.pattern
    if spec.type == "enum":
        s["enum"] = list(spec.choices)
    if spec.type in ("num", "int", "num_map") and spec.bounds is not None:
        target = s if spec.type != "num_map" else s.setdefault("additionalProperties", {"type": ["number", "string"],
                                                                                           "pattern": QUANTITY_PATTERN})
        target.update(_number_schema(spec.bounds))
    if spec.type == "num_map":
        s["type"] = "object"
    if spec.type == "sources":
        s.update(type="object", additionalProperties={"type": "string"})
    if spec.type == "refs":
        s.update(type="array", items={"type": "string"})
    if spec.type == "range":
        s["$ref"] = RANGE_REF
    if spec.type == "record":
        s.update(record_schema(spec.record))
    if spec.type == "records":
        s.update(type="array", items=record_schema(spec.record))
    return s


def record_schema(cls: Any) -> dict[str, Any]:
    """JSON Schema (draft 2020-12 subset) of one record class."""
    props = {yaml_key(f): _field_schema(spec_of(f)) for f in dataclasses.fields(cls)}
    if cls in RANGE_RECORDS:  # a number or a range
        for f in dataclasses.fields(cls):
            if spec_of(f).type == "num":
                p = props[yaml_key(f)]
                number_schema = {k: v for k, v in p.items() if k != "description"}
                props[yaml_key(f)] = {"description": p["description"], "anyOf": [number_schema, {"$ref": RANGE_REF}]}
    required = [yaml_key(f) for f in dataclasses.fields(cls)
                if spec_of(f).required and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if cls.__doc__:
        out["description"] = cls.__doc__.strip().splitlines()[0]
    if required:
        out["required"] = required
    return out


def _assumption_schema(bounds: Bounds) -> dict[str, Any]:
    """One assumption: the shared record (`$defs/assumption`) with the value's own bounds."""
    value = _field_schema(Spec("num", "the value", bounds=bounds))
    return {"$ref": "#/$defs/assumption",
            "properties": {"value": {"description": value.pop("description"), "anyOf": [value, {"$ref": RANGE_REF}]}}}


def json_schema(kind: str) -> dict[str, Any]:
    """JSON Schema for a profile file holding `kind` (editors point `$schema` comments at it)."""
    if kind == "assumptions":
        item: dict[str, Any] = {"type": "object", "additionalProperties": False,
                                "properties": {name: _assumption_schema(b) for name, b in ASSUMPTIONS.items()}}
    else:
        item = {"type": "array", "items": record_schema(KINDS[kind])}
    defs: dict[str, Any] = {"range": RANGE_SCHEMA} if kind in ("assumptions", "scenarios") else {}
    if kind == "assumptions":
        defs["assumption"] = record_schema(Assumption)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"llmcost {kind} profile file",
        "type": "object",
        "properties": {kind: item},
        **({"$defs": defs} if defs else {}),
    }
