"""Streaming a grid's rows as CSV, JSON Lines or one JSON array, formatting column by column, with
`--where` (rows kept) and `--fail-if` (rows counted) conditions."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, cast

import numpy as np

from llmcost import gate
from llmcost.catalog import Catalog
from llmcost.errors import LlmcostError
from llmcost.options import KIND_NAMES
from llmcost.render import csv_cell
from llmcost.results import DOES_NOT_FIT, NA, NEVER, OVERFLOW, Table
from llmcost.sweeps.grid import Grid
from llmcost.sweeps.run import CHUNK_ROWS, Overrides, columns_of, tables

FORMATS = ("csv", "jsonl", "json")
EXCEL_ROWS = 1_048_576


def check_condition(text: str, keys: Sequence[str], what: str) -> gate.Predicate:
    """A --where / --fail-if condition over a sweep's columns (kind's values known before any row exists)."""
    return gate.parse(text, {k: gate.Column(gate.TEXT, KIND_NAMES) if k == "kind" else gate.Column() for k in keys}, what)


# ---------------------------------------------------------------------------------------------- text cells


def _whole(v: np.ndarray, below: float = 2.0**53) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        whole: np.ndarray = (np.abs(v) < below) & (v == np.floor(v))
    return whole


def _num_texts(v: np.ndarray, fmt: str) -> np.ndarray:
    """Finite numbers as compare's CSV/JSON print them (results.num, then render.csv_cell or json): whole
    numbers as integers (CSV: below 1e16, JSON: below 2**53), others as repr(float). A column with many
    repeated values (capex, capacity, break-even, ...) is formatted once per distinct value."""
    v = v + 0.0  # -0.0 -> 0.0
    n = len(v)
    if n > 64:
        uniq, inverse = np.unique(v, return_inverse=True)
        if len(uniq) * 2 < n:
            return _num_texts(uniq, fmt)[inverse.reshape(-1)]
    whole = _whole(v, 1e16 if fmt == "csv" else 2.0**53)
    out = np.empty(n, dtype=object)
    if whole.all():
        out[:] = list(map(int.__repr__, v.astype(np.int64).tolist()))
    else:
        out[~whole] = list(map(float.__repr__, v[~whole].tolist()))
        if whole.any():
            out[whole] = list(map(int.__repr__, v[whole].astype(np.int64).tolist()))
    return out


def _state(word: str, fmt: str) -> str:
    return word if fmt == "csv" else f'"{word}"'


def _csv_text(value: Any) -> str:
    text = csv_cell(value)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _json_text(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise LlmcostError(OVERFLOW)
    return json.dumps(value)


def texts(table: Table, key: str, fmt: str) -> list[str]:
    """One column of a table as CSV cells or JSON values (the states as words), as `Table.rows` would give them."""
    v = np.asarray(table.columns[key])
    n = len(v)
    if v.dtype == bool:
        words = np.array(["false", "true"], dtype=object)[v.astype(int)]
    elif v.dtype.kind in "fiu":
        f = v.astype(float)
        finite = np.isfinite(f)
        words = np.empty(n, dtype=object)
        if finite.any():
            words[finite] = _num_texts(f[finite], fmt)
        nan, inf = np.isnan(f), np.isinf(f)
        if inf.any() and key not in table.never:
            shown = table.fits if key in table.unfit and table.fits is not None else np.ones(n, dtype=bool)
            if (inf & shown).any():
                raise LlmcostError(f"{key}: {OVERFLOW}")
        words[nan] = _state(NA, fmt)
        words[inf] = _state(NEVER, fmt)
    else:
        cache: dict[Any, str] = {}
        fmt_one = _csv_text if fmt == "csv" else _json_text
        words = np.array([cache[x] if x in cache else cache.setdefault(x, fmt_one(x)) for x in v.tolist()], dtype=object)
    if key in table.unfit and table.fits is not None and not table.fits.all():
        words[~table.fits] = _state(DOES_NOT_FIT, fmt)
    return cast(list[str], words.tolist())


# ---------------------------------------------------------------------------------------------- conditions


class _RowView:
    """A row of a table seen as a mapping, columns turned into Python values only when a condition reads them."""

    __slots__ = ("cache", "i", "table")

    def __init__(self, table: Table) -> None:
        self.table, self.i = table, 0
        self.cache: dict[str, list[Any]] = {}

    def get(self, key: str, default: Any = None) -> Any:
        col = self.cache.get(key)
        if col is None:
            if key not in self.table.columns:
                return default
            col = self.cache[key] = self.table.cells(key)
        return col[self.i]

    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self.table.columns


def matches(table: Table, pred: Callable[[Any], bool]) -> np.ndarray:
    """Which rows of the table the condition holds for."""
    view = _RowView(table)
    keep = np.zeros(len(table), dtype=bool)
    for i in range(len(table)):
        view.i = i
        keep[i] = pred(view)
    return keep


# ---------------------------------------------------------------------------------------------- writing


class Writer:
    """Writes tables as CSV, JSON Lines or one JSON array, formatting column by column."""

    def __init__(self, out: IO[str], fmt: str, columns: Sequence[str]) -> None:
        self.out, self.fmt, self.columns = out, fmt, list(columns)
        self.started = False
        if fmt == "csv":
            out.write(",".join(_csv_text(c) for c in self.columns) + "\n")
        else:
            parts = [json.dumps(c).replace("%", "%%") + ": %s" for c in self.columns]
            self.template = "{" + ", ".join(parts) + "}"
            if fmt == "json":
                out.write("[")

    def write(self, table: Table) -> None:
        if not len(table):
            return
        cols = [texts(table, c, self.fmt) for c in self.columns]
        if self.fmt == "csv" and len(cols) == 1:  # a lone empty cell is a blank line, which readers skip: quote it as csv.writer does
            cols = [[t or '""' for t in cols[0]]]
        if self.fmt == "csv":
            self.out.write("\n".join(map(",".join, zip(*cols, strict=True))) + "\n")
        elif self.fmt == "jsonl":
            self.out.write("\n".join(map(self.template.__mod__, zip(*cols, strict=True))) + "\n")
        else:
            self.out.write(("," if self.started else "") + "\n" + ",\n".join(map(self.template.__mod__, zip(*cols, strict=True))))
        self.started = True

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("\n]\n" if self.started else "]\n")


@dataclass
class Result:
    """What a streamed sweep wrote: rows, and the rows a --fail-if condition matched (the first ten named)."""

    rows: int = 0
    tripped: int = 0
    tripped_names: list[str] = field(default_factory=list)


def run(cat: Catalog, grids: Sequence[Grid], out: IO[str], fmt: str = "csv", columns: Sequence[str] | None = None,
        sets: Overrides = None, vs: str | None = None, where: str | None = None, fail_if: str | None = None,
        chunk_rows: int = CHUNK_ROWS, progress: Callable[[int], None] | None = None) -> Result:
    """Stream every row of the grids to `out`; rows matching `where` only; count rows matching `fail_if`.
    `progress`, when given, is called with the number of rows evaluated after each chunk."""
    every = columns_of(grids)
    cols = list(columns) if columns else every
    keep_pred = check_condition(where, every, "--where") if where else None
    gate_pred = check_condition(fail_if, every, "--fail-if") if fail_if else None
    keys = [k for g in grids for k in g.keys]
    result = Result()
    writer = Writer(out, fmt, cols)
    for table in tables(cat, grids, sets, vs, chunk_rows):
        if progress is not None:
            progress(len(table))
        if keep_pred is not None:
            table = table.take(matches(table, keep_pred))
        if gate_pred is not None:
            hit = np.flatnonzero(matches(table, gate_pred))
            result.tripped += len(hit)
            for i in hit[: max(0, 10 - len(result.tripped_names))]:
                result.tripped_names.append(_row_name(table, int(i), keys))
        writer.write(table)
        result.rows += len(table)
    writer.close()
    return result


def _row_name(table: Table, i: int, keys: Sequence[str]) -> str:
    row = table.take([i]).rows()[0]
    where = ", ".join(f"{k}={row[k]}" for k in dict.fromkeys(keys) if k in row and row[k] is not None)
    return f"{row['option']} [{where}]"
