"""Numbers as people type them on the command line and in YAML files: 1.4T, 366B, 500M, 20k, 2e12, 1_000."""

from __future__ import annotations

import math
import re

from llmcost.errors import LlmcostError

_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}
QUANTITY_PATTERN = r"^[+-]?(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d+)?[kKmMbBgGtTpP]?$"
"""A number with an optional suffix (k, M, B or G, T, P: powers of 1000), as a regular expression that JSON Schema
(ECMA 262) reads too."""
_NUMBER_RE = re.compile(QUANTITY_PATTERN, re.ASCII)  # ASCII digits only, as JSON Schema reads the pattern ("١٢" is no number)

MAX_VALUE = 1e18
"""Largest number accepted anywhere (command line, profiles, scenarios) unless a field says otherwise: far
above any real quantity (1e18 tokens, parameters or dollars), and small enough that no product of them overflows."""


def quantity_value(text: str) -> float | None:
    """'1.4T' -> 1.4e12, '20M' -> 2e7; None when `text` is not a number written that way (no range check).

    >>> quantity_value("20M"), quantity_value("1_000"), quantity_value("1,000"), quantity_value("5 k")
    (20000000.0, 1000.0, None, None)
    """
    text = text.strip()
    if not _NUMBER_RE.fullmatch(text):
        return None
    suffix = text[-1].lower() if text[-1].lower() in _SUFFIX else ""
    digits = text[:-1] if suffix else text
    return float(digits.replace("_", "")) * _SUFFIX.get(suffix, 1.0)


def parse_quantity(text: str, what: str = "value", *, minimum: float | None = 0.0, integer: bool = False) -> float:
    """'1.4T' -> 1.4e12. Suffixes k, M, B (or G), T, P are powers of 1000; case does not matter.

    >>> parse_quantity("1.4T"), parse_quantity("366B"), parse_quantity("20k"), parse_quantity("2e12")
    (1400000000000.0, 366000000000.0, 20000.0, 2000000000000.0)
    """
    value = quantity_value(text)
    if value is None:
        raise LlmcostError(f"{what}: {text!r} is not a number; write e.g. 1.4T, 366B, 500M, 20k or 2e12")
    if not math.isfinite(value) or abs(value) > MAX_VALUE:
        raise LlmcostError(f"{what}: {text!r} is too large (at most {MAX_VALUE:g})")
    if minimum is not None and value < minimum:
        raise LlmcostError(f"{what}: {text!r} must be at least {minimum:g}")
    if integer and value != int(value):
        raise LlmcostError(f"{what}: {text!r} must be a whole number")
    return value
