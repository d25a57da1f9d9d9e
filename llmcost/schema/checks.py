"""Checks of single values, and the collector of `path:line: key.path: message` problems."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from llmcost.schema.fields import MAX_VALUE, Spec
from llmcost.yamlsrc import YList, YMap


@dataclass
class Problems:
    """Collects `path:line: key.path: message` lines."""

    path: str
    lines: list[str] = field(default_factory=list)

    def add(self, line: int, keypath: str, message: str) -> None:
        self.lines.append(f"{self.path}:{line}: {keypath}: {message}")


def describe(value: Any) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, (YMap, dict)):
        return "a mapping"
    if isinstance(value, (YList, list)):
        return "a list"
    if value is None:
        return "nothing"
    return repr(value)


def bounds_text(spec: Spec, show_cap: bool = False) -> str:
    """The bounds in words; the general cap (MAX_VALUE) only when it is the bound that was broken."""
    parts = []
    if spec.gt is not None:
        parts.append(f"> {spec.gt:g}")
    if spec.ge is not None:
        parts.append(f">= {spec.ge:g}")
    if spec.le is not None and (spec.le != MAX_VALUE or show_cap):
        parts.append(f"<= {spec.le:g}")
    return " and ".join(parts)


def check_number(value: Any, spec: Spec, integer_only: bool = False) -> str | None:
    """None when `value` is acceptable for `spec`, else the reason."""
    want = ("an integer" if integer_only else "a number") + (f" {bounds_text(spec)}" if bounds_text(spec) else "")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"expected {want}, got {describe(value)}"
    if integer_only and not isinstance(value, int):
        return f"expected {want}, got {describe(value)}"
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int beyond float range
        return f"expected {want}, got a number with {len(str(abs(value)))} digits (too large)"
    if not finite:
        return f"expected {want}, got {value!r} (numbers must be finite)"
    if spec.le is not None and not value <= spec.le:
        bounds = bounds_text(spec, show_cap=True)
        return f"expected {'an integer' if integer_only else 'a number'} {bounds}, got {value!r}"
    if spec.gt is not None and not value > spec.gt or spec.ge is not None and not value >= spec.ge:
        return f"expected {want}, got {value!r}"
    return None


