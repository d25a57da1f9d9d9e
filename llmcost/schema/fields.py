"""Field specs: how one field of a profile record is written in YAML and what values it accepts.

Each record is a frozen dataclass whose fields carry a `Spec` in their metadata; the constructors here
(`number`, `text`, `choice`, ...) build those fields.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from llmcost.schema.quantities import Bounds

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._/+-]*$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Spec:
    """How one field is written in YAML and what values it accepts."""

    type: str  # str | id | int | num | bool | date | enum | ref | refs | sources | record | records | num_map | gpu_opt | range
    doc: str
    required: bool = True
    bounds: Bounds | None = None  # numbers (num, int, num_map, range): valid and plausible values, unit
    choices: tuple[str, ...] = ()
    ref: str = ""
    record: Any = None
    key: str = ""  # YAML key when it differs from the attribute name
    multiline: bool = False  # text that may hold newlines (notes, rationales)


def field_of(spec: Spec, default: Any = dataclasses.MISSING) -> Any:
    if not spec.required and default is dataclasses.MISSING:
        default = None
    if isinstance(default, (dict, list)):
        value = default
        return field(default_factory=lambda: type(value)(value), metadata={"spec": spec})
    return field(default=default, metadata={"spec": spec})


def text(doc: str, required: bool = True, default: Any = dataclasses.MISSING, *, multiline: bool = False) -> Any:
    return field_of(Spec("str", doc, required, multiline=multiline), default)


def ident(doc: str = "unique id: lowercase letters, digits and . _ / + -") -> Any:
    return field_of(Spec("id", doc))


ANY_NUMBER = Bounds("a number")
"""Any finite number up to MAX_VALUE: the ends of a range, before the field's own bounds apply."""


def integer(doc: str, bounds: Bounds, *, required: bool = True, default: Any = dataclasses.MISSING) -> Any:
    return field_of(Spec("int", doc, required, bounds=bounds), default)


def number(doc: str, bounds: Bounds, *, required: bool = True, default: Any = dataclasses.MISSING) -> Any:
    return field_of(Spec("num", doc, required, bounds=bounds), default)


def flag(doc: str, default: bool | None = None) -> Any:
    return field_of(Spec("bool", doc, default is None), dataclasses.MISSING if default is None else default)


def date(doc: str, required: bool = True) -> Any:
    return field_of(Spec("date", doc, required))


def choice(doc: str, choices: tuple[str, ...], *, key: str = "", required: bool = True,
           default: Any = dataclasses.MISSING) -> Any:
    return field_of(Spec("enum", doc, required, choices=choices, key=key), default)


def ref(doc: str, kind: str, required: bool = True, default: Any = dataclasses.MISSING) -> Any:
    return field_of(Spec("ref", doc, required, ref=kind), default)


def refs(doc: str, kind: str, required: bool = False) -> Any:
    return field_of(Spec("refs", doc, required, ref=kind), dataclasses.MISSING if required else ())


def sources(doc: str = "field name (or `default`) -> where the number comes from (URL, or paper and table)") -> Any:
    return field_of(Spec("sources", doc, False), {})


def record(doc: str, cls: Any, required: bool = False) -> Any:
    return field_of(Spec("record", doc, required, record=cls))


def records(doc: str, cls: Any) -> Any:
    return field_of(Spec("records", doc, False, record=cls), ())


def num_map(doc: str, bounds: Bounds) -> Any:
    return field_of(Spec("num_map", doc, False, bounds=bounds), {})


def spec_of(f: dataclasses.Field[Any]) -> Spec:
    spec: Spec = f.metadata["spec"]
    return spec


def yaml_key(f: dataclasses.Field[Any]) -> str:
    return spec_of(f).key or f.name

