"""Evaluating a grid: each structural combination resolved once, its numeric combinations through the
compare pipeline as arrays, chunk by chunk.

Rows come out structural combination by structural combination, then numeric combination (last grid key
fastest), then option (in compare's order): exactly the rows `compare --set KEY=VALUE ...` gives for
each combination.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmcost import bounds, comparison, options, prices, scenarios
from llmcost.catalog import Catalog
from llmcost.errors import LlmcostError
from llmcost.options import Option
from llmcost.results import Table, text_column
from llmcost.schema import Scenario
from llmcost.sweeps.grid import Grid, cell_value

Overrides = Mapping[str, Any] | Sequence[str] | None
CHUNK_ROWS = 50_000
"""Rows costed and written at a time: memory stays flat whatever the grid."""
MAX_ROWS = 100_000_000
"""Rows a sweep may have before it is refused (`--max-rows` raises it): about 12 minutes and 23 GB of CSV at the
144,000 rows/s of benchmarks/results/sweep.json (docs/reliability.md)."""


@dataclass
class Block:
    """One structural combination: the scenario resolved and its options built once."""

    grid: Grid
    assignments: list[tuple[str, Any]]
    scenario: Scenario
    opts: list[Option]
    vs: str | None = None  # the reference API resolved once per block (`--vs cheapest-at-quality`)

    @property
    def n_options(self) -> int:
        return len(self.opts)

    @property
    def rows(self) -> int:
        return self.n_options * math.prod(self.grid.numeric_shape)


def blocks(cat: Catalog, grid: Grid, sets: Overrides = None, vs: str | None = None) -> Iterator[Block]:
    """Structural combinations in grid order (last key fastest), each resolved like `compare --set ...`.
    The numeric keys take their first value here, so every record they live in exists; rows replace them."""
    first = {k: a.values[0][j] for a in grid.numeric for j, k in enumerate(a.keys)}
    axes = grid.structural
    for steps in itertools.product(*(a.values for a in axes)):
        assignments = [(k, v) for a, step in zip(axes, steps, strict=True) for k, v in zip(a.keys, step, strict=True)]
        given = {**scenarios.as_overrides(sets), **first, **dict(assignments)}
        try:
            sc = scenarios.resolve(cat, grid.base, given)
            opts = options.build(cat, sc)
            ref = comparison.reference_api(cat, sc, opts, vs)
        except LlmcostError as e:
            where = ", ".join(f"{k}={cell_value(v)}" for k, v in assignments) or "base scenario"
            raise LlmcostError(f"{grid.path}: {where}: {e}") from None
        yield Block(grid, assignments, sc, opts, ref.id if vs else None)


@dataclass(frozen=True)
class Size:
    """How big a grid runs: its rows, and the most options one structural combination has."""

    rows: int
    most_options: int


def size(cat: Catalog, grid: Grid, sets: Overrides = None, vs: str | None = None) -> Size:
    """The grid's rows by arithmetic, nothing costed: the options of each combination of the axes that decide
    which options exist (`options.OPTION_KEYS`, each combination resolved once) times the steps of every other
    axis. The values of the other structural axes are checked one by one against the base scenario."""
    shaping = [a for a in grid.structural if options.OPTION_KEYS & set(a.keys)]
    others = math.prod(len(a.values) for a in grid.axes if not any(a is s for s in shaping))
    counts = [b.n_options for b in blocks(cat, Grid(grid.path, grid.base, shaping), sets, vs)]
    check_structural(cat, grid, sets)
    return Size(others * sum(counts), max(counts))


def check_structural(cat: Catalog, grid: Grid, sets: Overrides = None) -> None:
    """Each value of each structural axis resolved once with the base scenario (and `sets`): a bad id or value
    is one line before any work (a combination of good values that clash is found when the sweep runs)."""
    base = scenarios.as_overrides(sets)
    for axis in grid.structural:
        for step in axis.values:
            assignments = dict(zip(axis.keys, step, strict=True))
            try:
                scenarios.resolve(cat, grid.base, {**base, **assignments})
            except LlmcostError as e:
                where = ", ".join(f"{k}={cell_value(v)}" for k, v in assignments.items())
                raise LlmcostError(f"{grid.path}: {where}: {e}") from None


def count(cat: Catalog, grids: Sequence[Grid], sets: Overrides = None, vs: str | None = None) -> int:
    """Rows the grids expand to (by arithmetic: see `size`)."""
    return sum(size(cat, g, sets, vs).rows for g in grids)


def check_rows(rows: int, max_rows: int = MAX_ROWS) -> None:
    """Refuse a sweep of more than `max_rows` rows before any work, saying how to raise the limit.

    >>> check_rows(10**24)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    llmcost.errors.LlmcostError: the grid expands to 1,000,...,000 rows, more than the limit of 100,000,000 (--max-rows); ...
    """
    if rows <= max_rows:
        return
    most = bounds.lookup("sweep.max_rows").le
    how = f"raise the limit with --max-rows {rows}" if rows <= most else f"no --max-rows allows more than {most:g}"
    raise LlmcostError(f"the grid expands to {rows:,} rows, more than the limit of {max_rows:,} (--max-rows); narrow the grid"
                       + (": " if rows > most else " or ") + how)


def prices_used(cat: Catalog, grids: Sequence[Grid], sets: Overrides = None, vs: str | None = None) -> prices.PricesUsed:
    """The prices a sweep uses, for the staleness warning: those of every structural combination of every grid
    (numeric keys change no price's date)."""
    used = prices.PricesUsed()
    for g in grids:
        for b in blocks(cat, g, sets, vs):
            used |= prices.scenario_prices(cat, b.scenario, vs)
    return used


def columns_of(grids: Sequence[Grid]) -> list[str]:
    """Output columns: the grid file (several grids only), every grid key, then compare's row keys."""
    keys = list(dict.fromkeys(k for g in grids for k in g.keys))
    return (["grid"] if len(grids) > 1 else []) + keys + list(comparison.ROW_KEYS)


def chunks(cat: Catalog, block: Block, vs: str | None = None, chunk_rows: int = CHUNK_ROWS,
           extra: Mapping[str, Any] | None = None) -> Iterator[Table]:
    """The block's rows (numeric combination major, option minor), costed chunk by chunk: grid columns
    (and `extra` constant columns) first, then compare's row keys."""
    k = block.n_options
    shape = block.grid.numeric_shape
    combos = math.prod(shape)
    step = max(1, chunk_rows // max(k, 1))
    consts = {**(extra or {}), **{key: cell_value(v) for key, v in block.assignments}}
    for start in range(0, combos, step):
        ix = np.arange(start, min(combos, start + step))
        n = len(ix)
        idx = np.unravel_index(ix, shape) if shape else ()
        values: dict[str, np.ndarray] = {}
        for axis, where in zip(block.grid.numeric, idx, strict=True):
            for j, key in enumerate(axis.keys):
                values[key] = axis.column(j)[where]
        sc = scenarios.with_values(block.scenario, values)
        table = comparison.evaluate(cat, sc, block.opts, n, block.vs or vs).table()
        order = (np.arange(n)[:, None] + np.arange(k)[None, :] * n).reshape(-1)
        table = table.take(order)
        cols: dict[str, np.ndarray] = {key: text_column([v] * (n * k)) for key, v in consts.items()}
        cols.update({key: np.repeat(v, k) for key, v in values.items()})
        cols.update(table.columns)
        yield Table(cols, table.fits, table.unfit, table.never)


def tables(cat: Catalog, grids: Sequence[Grid], sets: Overrides = None, vs: str | None = None,
           chunk_rows: int = CHUNK_ROWS) -> Iterator[Table]:
    """Every row of the grids, chunk by chunk, with every column of `columns_of(grids)`."""
    every = columns_of(grids)
    for g in grids:
        extra = {"grid": g.path} if len(grids) > 1 else {}
        for block in blocks(cat, g, sets, vs):
            for t in chunks(cat, block, vs, chunk_rows, extra):
                n = len(t)
                cols = {c: t.columns[c] if c in t.columns else text_column([None] * n) for c in every}
                yield Table(cols, t.fits, t.unfit, t.never)


def rows(cat: Catalog, grids: Sequence[Grid], sets: Overrides = None, vs: str | None = None,
         chunk_rows: int = CHUNK_ROWS) -> Iterator[dict[str, Any]]:
    """Every row as a dict of Python values (for tests and small grids; the CLI streams text instead).
    A grid key that another grid does not vary reads None in that grid's rows."""
    for t in tables(cat, grids, sets, vs, chunk_rows):
        yield from t.rows()
