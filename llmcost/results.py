"""Results as NumPy columns, and the one encoder that turns them into the rows every output format prints.

Results stay numeric until they are rendered. A state is carried by the number itself or by a mask:

- NaN means "n/a" (a column that does not apply to the row, e.g. replicas of an API);
- +inf means "never" in the columns that can be never (break-even volume, payback); anywhere else it is
  an overflow, reported as an error rather than printed;
- rows whose `fits` is False read "does not fit" in the columns that need a fitting configuration.

`Table.rows()` is the only place these states become words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from llmcost.errors import LlmcostError

NEVER = "never"
NA = "n/a"
DOES_NOT_FIT = "does not fit"
MISSES_TARGET = "misses target"
"""The `fits` state of a configuration that fits but meets no latency target (serve rows; compare notes it)."""
STATES = (NEVER, NA, DOES_NOT_FIT)
"""The words a numeric column may hold in CSV/JSON output."""

Row = dict[str, Any]

OVERFLOW = ("a result overflowed to infinity; check the profiles and options for extreme values "
            "(numbers are accepted up to 1e18)")


def num(value: Any) -> float | int:
    """A plain Python number for output: whole numbers (below 2**53) as int, others as float.

    >>> num(3.0), num(2.5), num(np.float64(7))
    (3, 2.5, 7)
    """
    v = float(value)
    if not np.isfinite(v):
        raise LlmcostError(OVERFLOW)
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def _numbers(v: np.ndarray) -> list[Any]:
    """Finite floats as Python ints (whole, below 2**53) or floats; callers replace the other cells."""
    v = v + 0.0  # -0.0 -> 0.0
    out = np.empty(len(v), dtype=object)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(v) & (np.abs(v) < 2.0**53) & (v == np.floor(v))
    out[whole] = v[whole].astype(np.int64).tolist()
    out[~whole] = v[~whole].tolist()
    cells: list[Any] = out.tolist()
    return cells


SMALL = 64
"""Columns up to this length are encoded cell by cell in Python (cheaper than NumPy's set-up for a few rows)."""


def _cell(x: float, never: bool, name: str) -> Any:
    if x != x:
        return NA
    if x in (np.inf, -np.inf):
        if never and x > 0:
            return NEVER
        raise LlmcostError(f"{name}: {OVERFLOW}")
    return int(x) if x.is_integer() and abs(x) < 2**53 else x + 0.0


def encode(name: str, values: np.ndarray, fits: np.ndarray | None, unfit: bool, never: bool) -> list[Any]:
    """One column as output cells: numbers, True/False, text, or the state words.

    >>> encode("payback_months", np.array([2.0, np.inf, np.nan, 5.5]), np.array([1, 1, 1, 0], bool), True, True)
    [2, 'never', 'n/a', 'does not fit']
    """
    masked = unfit and fits is not None and not fits.all()
    kind = values.dtype.kind
    if kind == "b":
        cells: list[Any] = values.tolist()
    elif kind in "fiu" and len(values) <= SMALL:
        if masked and fits is not None:
            return [_cell(float(x), never, name) if ok else DOES_NOT_FIT for x, ok in zip(values.tolist(), fits.tolist(), strict=True)]
        return [_cell(float(x), never, name) for x in values.tolist()]
    elif kind in "fiu":
        v = values.astype(float)
        cells = _numbers(v)
        nan, inf = np.isnan(v), np.isinf(v)
        shown_mask = fits if masked and fits is not None else True
        if ((np.isinf(v) & ((v < 0) | (not never))) & shown_mask).any():
            raise LlmcostError(f"{name}: {OVERFLOW}")
        for i in np.flatnonzero(nan | inf):
            cells[i] = NA if nan[i] else NEVER
    else:
        cells = list(values.tolist())
    if masked and fits is not None:
        for i in np.flatnonzero(~fits):
            cells[i] = DOES_NOT_FIT
    return cells


@dataclass(frozen=True)
class Table:
    """Rows of a result as columns.

    `columns` maps each output key, in order, to a 1-D array: float (NaN = n/a, +inf = never in the
    `never` columns), bool, or object (text). `fits` marks the rows whose configuration fits; the
    `unfit` columns of the other rows read "does not fit".
    """

    columns: Mapping[str, np.ndarray]
    fits: np.ndarray | None = None
    unfit: frozenset[str] = frozenset()
    never: frozenset[str] = frozenset()
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    @property
    def keys(self) -> list[str]:
        return list(self.columns)

    def cells(self, key: str) -> list[Any]:
        """One column as output cells (what `rows()` holds under `key`)."""
        return encode(key, np.asarray(self.columns[key]), self.fits, key in self.unfit, key in self.never)

    def rows(self, keys: Sequence[str] | None = None) -> list[Row]:
        """The rows as dicts of plain Python values: exactly what the command's JSON output holds."""
        names = list(keys) if keys is not None else self.keys
        fits = None if self.fits is None or self.fits.all() else self.fits  # nothing to mask where every row fits
        cols = [encode(k, np.asarray(self.columns[k]), fits, k in self.unfit, k in self.never) for k in names]
        return [dict(zip(names, values, strict=True)) for values in zip(*cols, strict=True)] if cols else []

    def take(self, index: np.ndarray | Sequence[int]) -> Table:
        """The rows at `index` (a boolean mask or positions), in that order."""
        ix = np.asarray(index)
        return Table({k: np.asarray(v)[ix] for k, v in self.columns.items()},
                     None if self.fits is None else self.fits[ix], self.unfit, self.never, self.meta)


def concat(tables: Iterable[Table]) -> Table:
    """Tables with the same keys, one after another."""
    parts = list(tables)
    if not parts:
        return Table({})
    first = parts[0]
    cols = {k: np.concatenate([np.asarray(t.columns[k]) for t in parts]) for k in first.columns}
    fits = None if first.fits is None else np.concatenate([t.fits for t in parts if t.fits is not None])
    return Table(cols, fits, first.unfit, first.never, first.meta)


def text_column(values: Sequence[Any]) -> np.ndarray:
    """An object array of Python values (text, or numbers mixed with text)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out
