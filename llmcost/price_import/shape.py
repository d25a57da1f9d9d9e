"""A small checker for the shape of JSON data read from outside: types, required keys, ranges and dates.

A shape is a tree of the classes below, written once per data format (see `genai_prices.SHAPE` and
`litellm.SHAPE`). `check(data, shape, root)` walks the data along the shape and raises `ShapeError` at the
first value that does not fit, with its path written like `providers[3].models[12].prices.input_mtok` and
the value as it was read, shortened. Keys a shape does not name are ignored (price files carry many fields
llmcost does not read), and so is a null given for a key that is not required. The walk follows the shape,
not the data, so its depth is the shape's whatever the data's nesting.

JSON numbers are expected as `read_json` in `importer` reads them: int, or Decimal for fractions and for
integers too long for int().
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from llmcost.errors import LlmcostError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ShapeError(LlmcostError):
    """The first value that does not fit its shape: `path: problem`."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path or 'top level'}: {problem}")


def key_path(path: str, key: object) -> str:
    """`path` extended by a mapping key: `.name` for plain names, `['a/b']` for others.

    >>> key_path("providers[0]", "models"), key_path("", "acme/fast-8b")
    ('providers[0].models', "['acme/fast-8b']")
    """
    if isinstance(key, str) and _NAME.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{shown(key)}]"


def shown(value: Any, limit: int = 40) -> str:
    """A value as an error message quotes it: JSON words for null and booleans, long strings and numbers cut.

    >>> shown("abc"), shown(None), shown(True), shown(Decimal("1" * 5000)), shown([1])
    ("'abc'", 'null', 'true', '1111111111... (5,000 digits)', 'a list')
    """
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, str):
        return repr(value) if len(value) <= limit else f"{value[:limit]!r}... ({len(value):,} characters)"
    if isinstance(value, (int, float, Decimal)):
        text = str(value)
        digits = sum(c.isdigit() for c in text)
        return text if len(text) <= 24 else f"{text[:10]}... ({digits:,} digits)"
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, Mapping) else type(value).__name__


class Shape:
    """What a value must look like. `what` names it in messages; `accepts` is the JSON type test `OneOf` uses."""

    what = "a value"

    def accepts(self, value: Any) -> bool:
        return True

    def check(self, value: Any, path: str) -> None:
        if not self.accepts(value):
            raise ShapeError(path, f"expected {self.what}, got {shown(value)}")


@dataclass(frozen=True)
class Number(Shape):
    """A JSON number (never a boolean) from `lo` to `hi`; `whole` for integers."""

    lo: float
    hi: float
    whole: bool = False

    @property
    def what(self) -> str:  # type: ignore[override]
        return "a whole number" if self.whole else "a number"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)

    def check(self, value: Any, path: str) -> None:
        super().check(value, path)
        finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
        if not finite or not self.lo <= value <= self.hi:
            raise ShapeError(path, f"expected {self.what} from {self.lo:g} to {self.hi:g}, got {shown(value)}")
        if self.whole and value != int(value):
            raise ShapeError(path, f"expected a whole number, got {shown(value)}")


@dataclass(frozen=True)
class Text(Shape):
    """A string of at most `max_len` characters (at least `min_len`), with no control characters but tab and
    line breaks (real data has a tab at the end of a model name; ESC and the like could drive a terminal)."""

    max_len: int = 1000
    min_len: int = 0
    what = "a string"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str)

    def check(self, value: Any, path: str) -> None:
        super().check(value, path)
        if not self.min_len <= len(value) <= self.max_len:
            raise ShapeError(path, f"expected a string of {self.min_len} to {self.max_len:,} characters, got {shown(value)}")
        if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value):
            raise ShapeError(path, f"control characters are not allowed in text, got {shown(value)}")


class Date(Shape):
    """A real calendar date written YYYY-MM-DD."""

    what = "a date YYYY-MM-DD"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str)

    def check(self, value: Any, path: str) -> None:
        super().check(value, path)
        try:
            if _DATE.match(value):
                datetime.date.fromisoformat(value)
                return
        except ValueError:
            pass
        raise ShapeError(path, f"expected {self.what} (a real day), got {shown(value)}")


class Flag(Shape):
    """true or false."""

    what = "true or false"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)


@dataclass(frozen=True)
class ListOf(Shape):
    """A list whose every item has the shape `item`."""

    item: Shape
    what: str = "a list"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, list)

    def check(self, value: Any, path: str) -> None:
        super().check(value, path)
        for i, item in enumerate(value):
            self.item.check(item, f"{path}[{i}]")


@dataclass(frozen=True)
class Fields(Shape):
    """A mapping: the keys in `fields` (and keys matching a `patterns` regex) have their shapes, `required`
    ones must be there and not null, and at least one of `one_of` when given; other keys are not read, so
    not checked."""

    fields: Mapping[str, Shape]
    required: Sequence[str] = ()
    patterns: Sequence[tuple[re.Pattern[str], Shape]] = ()
    what: str = "a mapping"
    one_of: Sequence[str] = ()

    def accepts(self, value: Any) -> bool:
        return isinstance(value, Mapping)

    def check(self, value: Any, path: str) -> None:
        super().check(value, path)
        for key in self.required:
            if value.get(key) is None:
                raise ShapeError(path, f"missing {key} ({self.fields[key].what})")
        if self.one_of and all(value.get(key) is None for key in self.one_of):
            raise ShapeError(path, f"missing {' or '.join(self.one_of)}")
        for key, item in value.items():
            shape = self.fields.get(key) or next((s for p, s in self.patterns if p.match(key)), None)
            if shape is not None and item is not None:
                shape.check(item, key_path(path, key))


@dataclass(frozen=True)
class ValuesOf(Shape):
    """A mapping of name -> `value`, names with the shape `key`, except the names in `skip` (not read)."""

    value: Shape
    key: Shape = field(default_factory=Text)
    skip: frozenset[str] = frozenset()
    what: str = "a mapping"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, Mapping)

    def check(self, value: Any, path: str) -> None:
        super().check(value, path)
        for name, item in value.items():
            if name in self.skip:
                continue
            here = key_path(path, name)
            self.key.check(name, f"{here} (the name)")
            self.value.check(item, here)


@dataclass(frozen=True)
class OneOf(Shape):
    """The first of `shapes` whose JSON type the value has (a number, or a mapping of tiers)."""

    shapes: tuple[Shape, ...]

    @property
    def what(self) -> str:  # type: ignore[override]
        return " or ".join(s.what for s in self.shapes)

    def accepts(self, value: Any) -> bool:
        return any(s.accepts(value) for s in self.shapes)

    def check(self, value: Any, path: str) -> None:
        super().check(value, path)
        next(s for s in self.shapes if s.accepts(value)).check(value, path)


def check(data: Any, shape: Shape, root: str = "") -> None:
    """Raise ShapeError at the first value of `data` that does not fit `shape`; `root` names the top in paths."""
    shape.check(data, root)
