"""Checks of single values, and the collector of `path:line: key.path: message` problems."""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from llmcost.errors import ImplausibleValue
from llmcost.numbers import quantity_value
from llmcost.schema.quantities import Bounds
from llmcost.yamlsrc import YList, YMap


@dataclass
class Problems:
    """Collects `path:line: key.path: message` lines; implausible values are warned about as they are found."""

    path: str
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, line: int, keypath: str, message: str) -> None:
        self.lines.append(f"{self.path}:{line}: {keypath}: {message}")

    def check_plausible(self, line: int, keypath: str, value: float, bounds: Bounds) -> None:
        """Warn (ImplausibleValue) when a valid `value` is outside `bounds`' plausible range."""
        reason = bounds.implausible(value)
        if reason:
            text = f"{self.path}:{line}: {keypath} = {value:g}: {reason}"
            self.warnings.append(text)
            warnings.warn(text, ImplausibleValue, stacklevel=2)


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


_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Characters that can drive a terminal or reorder what it shows (C0 and C1 controls, DEL, bidirectional overrides);
newline is matched separately."""


def control_character(text: str, multiline: bool = False) -> str | None:
    """None when `text` is safe to print, else why not: the first control character (a newline only outside
    multi-line text such as notes and rationales)."""
    found = _CONTROL.search(text) or (None if multiline else re.search("\n", text))
    if found is None:
        return None
    ch = found.group()
    where = "; newlines belong only in notes and rationales" if ch == "\n" else "; remove it"
    return f"control character {ch!r} (U+{ord(ch):04X}) in text{where}"


def as_number(value: Any, integer: bool = False) -> Any:
    """A number written as text the way the command line takes it ('20M', '1.4T', '5k', '2e12') as that number
    (an int for `integer` fields when whole); anything else unchanged, for the checks to name."""
    if not isinstance(value, str):
        return value
    number = quantity_value(value)
    if number is None:
        return value
    return int(number) if integer and math.isfinite(number) and number.is_integer() else number


def check_number(value: Any, bounds: Bounds, integer_only: bool = False) -> str | None:
    """None when `value` is within `bounds`' valid range (and an int when `integer_only`), else the reason."""
    kind = "an integer" if integer_only or bounds.integer else "a number"

    def want() -> str:  # worded only for a value that is refused
        return f"{kind} {bounds.in_words()}".rstrip()

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"expected {want()}, got {describe(value)}"
    if integer_only and not isinstance(value, int):
        return f"expected {want()}, got {describe(value)}"
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int beyond float range
        return f"expected {want()}, got a number with {len(str(abs(value)))} digits (too large)"
    if not finite:
        return f"expected {want()}, got {value!r} (numbers must be finite)"
    if not value <= bounds.le:
        return f"expected {kind} {bounds.in_words(show_cap=True)}, got {value!r}"
    if not bounds.valid(value):
        return f"expected {want()}, got {value!r}"
    return None
