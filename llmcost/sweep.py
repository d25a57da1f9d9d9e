"""`llmcost sweep`: every combination of a parameter grid over a base scenario, streamed one chunk at a time.

A grid file::

    base: team-assistant              # built-in scenario id or scenario file (default scenario when absent)
    grid:
      workload.requests_per_day: {start: 1000, stop: 1e6, num: 50, log: true}
      economics.electricity_usd_per_kwh: [0.1, 0.2, 0.3]
      workload.input_tokens: [1000, 4000]
      workload.output_tokens: [200, 800]
      options.gpus: {profiles: gpus, match: "rtx-*"}
    zip:
      - [workload.input_tokens, workload.output_tokens]   # vary together instead of multiplying

Grid keys are split in two. *Structural* keys (serving.*, options.*, token counts, anything that changes
which options exist or what one replica can carry) resolve the scenario and build the per-option lifecycle
inputs once per combination, exactly as `compare` does. *Numeric* keys (NUMERIC_COLUMNS) only overwrite
one column of those inputs, so their combinations are broadcast into arrays of n_combos x n_options rows
and costed by `lifecycle.lifecycle` in chunks. Rows come out structural combination by structural
combination, then numeric combination (last grid key fastest), then option (in compare's order).
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import numpy as np

from llmcost import compare, gate, inputs, prices, scenario
from llmcost.catalog import Catalog
from llmcost.engine import lifecycle
from llmcost.errors import LlmcostError, unknown
from llmcost.numbers import parse_quantity
from llmcost.render import csv_cell
from llmcost.runs import DOES_NOT_FIT, NA, num
from llmcost.schema import KINDS, Spec
from llmcost.yamlsrc import read_yaml

NEVER = compare.NEVER
FORMATS = ("csv", "jsonl", "json")
CHUNK_ROWS = 50_000
"""Rows formatted and written at a time."""
ENGINE_CELLS = 65_536
"""Most row x month cells per call of the lifecycle engine (2,048 rows at a 32-month horizon): its arrays,
some 30 of rows x months, then stay in the CPU cache, which is faster than bigger calls, and memory stays
flat (a few MB) whatever the grid or horizon."""
EXCEL_ROWS = 1_048_576

NUMERIC_COLUMNS: dict[str, tuple[str, str]] = {
    "workload.requests_per_day": ("requests_per_day", "all"),
    "workload.monthly_growth": ("monthly_growth", "all"),
    "workload.peak_to_average": ("peak_to_average", "not_batch"),
    "economics.electricity_usd_per_kwh": ("electricity_usd_per_kwh", "all"),
    "economics.horizon_months": ("horizon_months", "all"),
    "economics.lifetime_months": ("lifetime_months", "all"),
    "economics.discount_rate": ("discount_rate", "all"),
    "economics.pue": ("pue", "all"),
    "economics.resale_fraction": ("resale_fraction", "all"),
    "economics.ops_usd_per_month": ("ops_usd_per_month", "own"),
}
"""Grid keys that only overwrite one lifecycle input column (how compare builds it: `not_batch` = batch
work keeps a peak factor of 1, `own` = only owned hardware pays operations). Every other key is structural."""

RESULT_COLUMNS = ("replicas", "capex_usd", "monthly_usd", "usd_per_mtok", "tco_usd", "breakeven_tokens_per_day",
                  "payback_months", "utilization", "capacity_tokens_per_day")
_NUM, _NEVER, _NA, _DNF = 0, 1, 2, 3
_WORDS = {_NEVER: NEVER, _NA: NA, _DNF: DOES_NOT_FIT}


# ---------------------------------------------------------------------------------------------- grid files


@dataclass
class Axis:
    """One dimension of the grid: a single key, or a zip group of keys that step together."""

    keys: tuple[str, ...]
    values: list[tuple[Any, ...]]  # one tuple per step, one value per key
    numeric: bool

    def column(self, j: int) -> np.ndarray:
        return np.array([float(v[j]) for v in self.values])


@dataclass
class Grid:
    path: str
    base: str | None
    axes: list[Axis]

    @property
    def keys(self) -> list[str]:
        return [k for a in self.axes for k in a.keys]

    @property
    def structural(self) -> list[Axis]:
        return [a for a in self.axes if not a.numeric]

    @property
    def numeric(self) -> list[Axis]:
        return [a for a in self.axes if a.numeric]

    @property
    def numeric_shape(self) -> tuple[int, ...]:
        return tuple(len(a.values) for a in self.numeric)


def _fail(path: str, line: Any, key: str, message: str) -> LlmcostError:
    return LlmcostError(f"{path}:{line or 1}: {key}: {message}")


def _number(value: Any, path: str, line: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _fail(path, line, key, f"expected a number, got {value!r}")
    v = float(value) if not isinstance(value, str) else parse_quantity(value, f"{path}:{line}: {key}", minimum=None)
    if not math.isfinite(v):
        raise _fail(path, line, key, f"{value!r} is not a finite number")
    return v


def _item(value: Any, spec: Spec, path: str, line: Any, key: str) -> Any:
    """One grid value as the type the scenario field wants (lists of ids stay tuples)."""
    if spec.type in ("num", "int"):
        return _number(value, path, line, key)
    if spec.type == "bool":
        if isinstance(value, bool):
            return value
        return scenario.coerce(str(value), spec, f"{path}:{line}: {key}")
    if spec.type in ("refs", "gpu_opt"):
        if isinstance(value, list):
            return tuple(str(v).strip() for v in value)
        return tuple(t.strip() for t in str(value).split(",") if t.strip())
    if isinstance(value, (list, dict)):
        raise _fail(path, line, key, f"expected one value per grid step, got {value!r}")
    return str(value)


def _range(body: dict[str, Any], spec: Spec, path: str, line: Any, key: str) -> list[float]:
    extra = set(body) - {"start", "stop", "num", "log"}
    if extra or not {"start", "stop", "num"} <= set(body):
        raise _fail(path, line, key, "a range is {start, stop, num} with optional log: true")
    if spec.type not in ("num", "int"):
        raise _fail(path, line, key, "a range needs a numeric key")
    start, stop = _number(body["start"], path, line, key + ".start"), _number(body["stop"], path, line, key + ".stop")
    num = _number(body["num"], path, line, key + ".num")
    if num < 1 or num != int(num):
        raise _fail(path, line, key, f"num must be a whole number of at least 1, got {body['num']!r}")
    log = body.get("log", False)
    if not isinstance(log, bool):
        raise _fail(path, line, key, f"log must be true or false, got {log!r}")
    if log:
        if start <= 0 or stop <= 0:
            raise _fail(path, line, key, "a log range needs start and stop above 0")
        out = np.geomspace(start, stop, int(num))
    else:
        out = np.linspace(start, stop, int(num))
    if spec.type == "int":
        out = np.unique(np.round(out))
    return [float(v) for v in out]


def _profiles(cat: Catalog, body: dict[str, Any], path: str, line: Any, key: str) -> list[str]:
    extra = set(body) - {"profiles", "match"}
    kind = body.get("profiles")
    if extra or not isinstance(kind, str):
        raise _fail(path, line, key, "a profile list is {profiles: KIND} with optional match: GLOB")
    if kind not in KINDS:
        raise _fail(path, line, key, unknown("profile kind", kind, KINDS))
    pattern = str(body.get("match", "*"))
    ids = [i for i in cat.ids(kind) if fnmatch.fnmatchcase(i, pattern)]
    if not ids:
        raise _fail(path, line, key, f"no {kind} id matches {pattern!r}")
    return ids


def _values(cat: Catalog, raw: Any, spec: Spec, path: str, line: Any, key: str) -> list[Any]:
    if isinstance(raw, dict) and "profiles" in raw:
        items: list[Any] = list(_profiles(cat, raw, path, line, key))
    elif isinstance(raw, dict):
        return _range(raw, spec, path, line, key)
    elif isinstance(raw, list):
        items = list(raw)
    else:
        items = [raw]
    if not items:
        raise _fail(path, line, key, "an empty list gives no rows; give at least one value")
    return [_item(v, spec, path, line, key) for v in items]


def set_text(value: Any) -> str:
    """A grid value as the text `--set KEY=TEXT` takes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


def cell_value(value: Any) -> Any:
    """A grid value as it appears in an output row (lists of ids as one comma-joined text)."""
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, tuple):
        return ",".join(value)
    return value


def load_grid(cat: Catalog, path: str, sets: Sequence[str] = ()) -> Grid:
    """Read and check a grid file: keys are scenario keys, values lists, ranges or profile lists."""
    p = Path(path)
    if not p.is_file():
        raise LlmcostError(f"grid file {path!r}: no such file")
    doc = read_yaml(p)
    if not isinstance(doc, dict):
        raise LlmcostError(f"{path}:1: expected a mapping with base:, grid: and optional zip:")
    lines = getattr(doc, "key_lines", {})
    extra = set(doc) - {"base", "grid", "zip", "description", "name"}
    if extra:
        key = sorted(extra)[0]
        raise _fail(path, lines.get(key), key, unknown("grid file key", key, ("base", "grid", "zip", "description")))
    base = doc.get("base")
    if base is not None and not isinstance(base, str):
        raise _fail(path, lines.get("base"), "base", "expected a scenario id or a scenario file path")
    beside = p.parent / base if base is not None else None
    if base is not None and base not in cat.entries["scenarios"] and not Path(base).is_file() and beside and beside.is_file():
        base = str(beside)  # a scenario file beside the grid file
    body = doc.get("grid")
    if not isinstance(body, dict) or not body:
        raise _fail(path, lines.get("grid") or 1, "grid", "expected a mapping of dotted scenario keys to lists of values")
    glines = getattr(body, "key_lines", {})
    values: dict[str, list[Any]] = {}
    for key, raw in body.items():
        line = glines.get(key)
        if key.startswith("assumptions."):
            raise _fail(path, line, key, "assumptions cannot vary in a grid; set them with --set assumptions.NAME=VALUE")
        try:
            spec = scenario._spec_at(key.split("."))
        except LlmcostError as e:
            raise _fail(path, line, key, str(e).removeprefix(f"--set {key}: ")) from None
        values[key] = _values(cat, raw, spec, path, line, f"grid.{key}")
    groups = doc.get("zip") or []
    if not isinstance(groups, list) or not all(isinstance(g, list) and g for g in groups):
        raise _fail(path, lines.get("zip"), "zip",
                    "expected a list of lists of grid keys, e.g. [[workload.input_tokens, workload.output_tokens]]")
    group_of: dict[str, int] = {}
    for gi, g in enumerate(groups):
        for key in g:
            if key not in values:
                raise _fail(path, lines.get("zip"), "zip", unknown("grid key", str(key), values))
            if key in group_of:
                raise _fail(path, lines.get("zip"), "zip", f"{key} is in more than one zip group")
            group_of[key] = gi
        sizes = {len(values[k]) for k in g}
        if len(sizes) > 1:
            shown = ", ".join(f"{k} has {len(values[k])}" for k in g)
            raise _fail(path, lines.get("zip"), "zip", f"keys zipped together need as many values each ({shown})")
    axes: list[Axis] = []
    done: set[int] = set()
    for key in values:
        if key not in group_of:
            keys: tuple[str, ...] = (key,)
        elif group_of[key] in done:
            continue
        else:
            done.add(group_of[key])
            keys = tuple(groups[group_of[key]])
        steps = list(zip(*(values[k] for k in keys), strict=True))
        axes.append(Axis(keys, steps, all(k in NUMERIC_COLUMNS for k in keys)))
    grid = Grid(path, base, axes)
    _check_numeric(cat, grid, sets)
    return grid


def _check_numeric(cat: Catalog, grid: Grid, sets: Sequence[str]) -> None:
    """Numeric keys never pass through the scenario loader per row: check their extremes against the schema."""
    for axis in grid.numeric:
        for j, key in enumerate(axis.keys):
            col = axis.column(j)
            for v in {float(col.min()), float(col.max())}:
                try:
                    scenario.resolve(cat, grid.base, [*sets, f"{key}={set_text(v)}"])
                except LlmcostError as e:
                    raise LlmcostError(f"{grid.path}: grid.{key} = {set_text(v)}: {e}") from None


# ---------------------------------------------------------------------------------------------- evaluation


@dataclass
class Block:
    """One structural combination: the scenario resolved and its options prepared once."""

    grid: Grid
    assignments: list[tuple[str, Any]]
    prepared: compare.Prepared
    batch: bool

    @property
    def n_options(self) -> int:
        return len(self.prepared.opts)

    @property
    def rows(self) -> int:
        return self.n_options * math.prod(self.grid.numeric_shape)


def blocks(cat: Catalog, grid: Grid, sets: Sequence[str] = (), vs: str | None = None) -> Iterator[Block]:
    """Structural combinations in grid order (last key fastest), each resolved like `compare --set ...`."""
    axes = grid.structural
    for steps in itertools.product(*(a.values for a in axes)):
        assignments = [(k, v) for a, step in zip(axes, steps, strict=True) for k, v in zip(a.keys, step, strict=True)]
        extra = [f"{k}={set_text(v)}" for k, v in assignments]
        try:
            sc = scenario.resolve(cat, grid.base, [*sets, *extra])
            prepared = compare.prepare(cat, sc, vs)
        except LlmcostError as e:
            where = ", ".join(extra) or "base scenario"
            raise LlmcostError(f"{grid.path}: {where}: {e}") from None
        yield Block(grid, assignments, prepared, bool(sc.workload.batch))


def prices_used(cat: Catalog, grids: Sequence[Grid], sets: Sequence[str] = (), vs: str | None = None) -> prices.PricesUsed:
    """The prices a sweep uses, for the staleness warning: `prices.scenario_prices` of every structural
    combination of every grid, resolved as `blocks` resolves them (numeric axes change no price's date)."""
    used = prices.PricesUsed()
    for grid in grids:
        axes = grid.structural
        for steps in itertools.product(*(a.values for a in axes)):
            extra = [f"{k}={set_text(v)}" for a, step in zip(axes, steps, strict=True) for k, v in zip(a.keys, step, strict=True)]
            used |= prices.scenario_prices(cat, scenario.resolve(cat, grid.base, [*sets, *extra]), vs)
    return used


def count(cat: Catalog, grids: Sequence[Grid], sets: Sequence[str] = (), vs: str | None = None) -> int:
    """Rows the grids expand to (options resolved, nothing costed)."""
    return sum(b.rows for g in grids for b in blocks(cat, g, sets, vs))


@dataclass
class Chunk:
    """Some rows of one block. Columns with few distinct values (the option's own columns, grid values) are
    categorical: an index per row into a short list of Python values, formatted once per value. Costed
    columns are float arrays with state codes (never, n/a, does not fit)."""

    opt: np.ndarray
    cats: dict[str, tuple[np.ndarray, list[Any]]]  # column -> (index per row, Python values)
    nums: dict[str, tuple[np.ndarray, np.ndarray]]  # column -> (values, state codes)

    def __len__(self) -> int:
        return len(self.opt)

    def __contains__(self, col: str) -> bool:
        return col in self.cats or col in self.nums

    def select(self, keep: np.ndarray) -> Chunk:
        return Chunk(self.opt[keep], {k: (i[keep], v) for k, (i, v) in self.cats.items()},
                     {k: (v[keep], s[keep]) for k, (v, s) in self.nums.items()})

    def values(self, col: str) -> list[Any]:
        """Python values of a column, as compare's rows hold them (ints where whole, states as words)."""
        if col in self.cats:
            idx, vals = self.cats[col]
            per = np.empty(len(vals), dtype=object)
            per[:] = vals
            return cast(list[Any], per[idx].tolist())
        v, states = self.nums[col]
        v = v + 0.0
        out = np.empty(len(v), dtype=object)
        whole = _whole(v)
        out[whole] = v[whole].astype(np.int64).tolist()
        out[~whole] = v[~whole].tolist()
        for code, word in _WORDS.items():
            out[states == code] = word
        return out.tolist()

    def texts(self, col: str, fmt: str) -> list[str]:
        """A column formatted as CSV cells or JSON values."""
        if col in self.cats:
            idx, vals = self.cats[col]
            per = np.array([_csv_text(v) if fmt == "csv" else _json_text(v) for v in vals], dtype=object)
            return cast(list[Any], per[idx].tolist())
        v, states = self.nums[col]
        return _num_texts(v, states, fmt)


def _whole(v: np.ndarray, below: float = 2.0**53) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        whole: np.ndarray = (np.abs(v) < below) & (v == np.floor(v))
    return whole


def _num_texts(v: np.ndarray, states: np.ndarray | None, fmt: str) -> list[str]:
    """Numbers as compare's CSV/JSON print them (runs.num, then render.csv_cell or json): whole numbers as
    integers (CSV: below 1e16, JSON: below 2**53), others as repr(float). A column with many repeated values
    (capex, capacity, break-even, ...) is formatted once per distinct value."""
    v = v + 0.0  # -0.0 -> 0.0
    n = len(v)
    if n > 64:
        uniq, inverse = np.unique(v, return_inverse=True)
        if len(uniq) * 2 < n:
            texts = np.array(_num_texts(uniq, None, fmt), dtype=object)[inverse.reshape(-1)]
            return cast(list[str], _put_states(texts, states, fmt).tolist())
    whole = _whole(v, 1e16 if fmt == "csv" else 2.0**53)
    out = np.empty(n, dtype=object)
    if whole.all():
        out[:] = list(map(int.__repr__, v.astype(np.int64).tolist()))
    else:
        out[~whole] = list(map(float.__repr__, v[~whole].tolist()))
        if whole.any():
            out[whole] = list(map(int.__repr__, v[whole].astype(np.int64).tolist()))
    return cast(list[str], _put_states(out, states, fmt).tolist())


def _put_states(out: np.ndarray, states: np.ndarray | None, fmt: str) -> np.ndarray:
    if states is not None:
        for code, word in _WORDS.items():
            m = states == code
            if m.any():
                out[m] = word if fmt == "csv" else f'"{word}"'
    return out


def _csv_text(value: Any) -> str:
    text = csv_cell(value)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _json_text(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"non-finite number {value!r} reached the renderer")
    return json.dumps(value)


def _option_consts(block: Block) -> dict[str, list[Any]]:
    """Columns that are the same for every numeric combination: what compare._row takes from the option."""
    p = block.prepared
    names = ("option", "kind", "model", "fits", "gpus_per_replica", "ttft_s", "tpot_s", "notes")
    cols: dict[str, list[Any]] = {k: [] for k in names}
    for o in p.opts:
        j = p.index.get(id(o))
        fits = bool(p.serve_out["fits"][j]) if j is not None else True
        cols["option"].append(o.label)
        cols["kind"].append(("own", "rent", "api")[o.kind])
        cols["model"].append(p.model)
        cols["fits"].append(fits)
        if not fits:
            for k in ("gpus_per_replica", "ttft_s", "tpot_s"):
                cols[k].append(DOES_NOT_FIT)
            cols["notes"].append("; ".join(["model does not fit", *o.notes]))
            continue
        cols["gpus_per_replica"].append(o.choice.count if o.choice else NA)
        cols["ttft_s"].append(num(p.serve_out["ttft_s"][j]) if j is not None else NA)
        cols["tpot_s"].append(num(p.serve_out["tpot_s"][j]) if j is not None else NA)
        notes = list(o.notes)
        if j is not None and not p.serve_out["meets_latency"][j]:
            notes.append("misses the latency target")
        cols["notes"].append("; ".join(notes))
    return cols


def _states(res: dict[str, np.ndarray], kind: np.ndarray, fits: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """compare._row's states, vectorised: API rows n/a where compare says so, inf as never or n/a."""
    api = kind == lifecycle.API
    out = {}
    for col in RESULT_COLUMNS:
        v = res[col]
        finite = np.isfinite(v)
        if col in ("breakeven_tokens_per_day", "payback_months"):
            st = np.where(api, _NA, np.where(finite, _NUM, _NEVER))
        elif col in ("replicas", "utilization", "capacity_tokens_per_day"):
            st = np.where(api | ~finite, _NA, _NUM)
        else:
            st = np.where(finite, _NUM, _NA)
        st = np.where(fits, st, _DNF).astype(np.int8)
        out[col] = (np.where(st == _NUM, v, 0.0), st)
    return out


def evaluate(x: dict[str, np.ndarray], cells: int = ENGINE_CELLS) -> dict[str, np.ndarray]:
    """lifecycle.lifecycle over rows grouped by whole-month horizon, so a row's numbers never depend on its
    neighbours (the same months axis compare uses for it), in calls of at most `cells` row x month cells."""
    months = np.ceil(x["horizon_months"])
    n = len(months)
    groups = np.unique(months)
    if len(groups) == 1 and n * groups[0] <= cells:
        return lifecycle.lifecycle(x)
    out: dict[str, np.ndarray] = {}
    for m in groups:
        rows = np.flatnonzero(months == m) if len(groups) > 1 else np.arange(n)
        step = max(256, cells // max(1, int(m)))
        for i in range(0, len(rows), step):
            sel = rows[i:i + step]
            part = lifecycle.lifecycle({k: v[sel] for k, v in x.items()})
            for k, v in part.items():
                out.setdefault(k, np.empty(n, dtype=v.dtype))[sel] = v
    return out


def chunks(block: Block, chunk_rows: int = CHUNK_ROWS, extra_consts: dict[str, Any] | None = None) -> Iterator[Chunk]:
    """The block's rows (numeric combination major, option minor), costed chunk by chunk."""
    p = block.prepared
    n_opt = block.n_options
    numeric = block.grid.numeric
    shape = block.grid.numeric_shape
    total = block.rows
    base = inputs.stack(p.inputs)
    kind = base["kind"].astype(int)
    fits = np.array([bool(p.serve_out["fits"][p.index[id(o)]]) if id(o) in p.index else True for o in p.opts])
    consts = _option_consts(block)
    for key, value in [*block.assignments, *(extra_consts or {}).items()]:
        consts[key] = [cell_value(value)] * n_opt
    axis_cols = [[a.column(j) for j in range(len(a.keys))] for a in numeric]
    axis_cells = [[[cell_value(v[j]) for v in a.values] for j in range(len(a.keys))] for a in numeric]
    step = max(1, chunk_rows)
    for start in range(0, total, step):
        r = np.arange(start, min(total, start + step))
        combo, opt = np.divmod(r, n_opt)
        x = {k: v[opt] for k, v in base.items()}
        cats = {k: (opt, v) for k, v in consts.items()}
        idx = np.unravel_index(combo, shape) if shape else ()
        for axis, cols, cells, ix in zip(numeric, axis_cols, axis_cells, idx, strict=True):
            for key, col, cell in zip(axis.keys, cols, cells, strict=True):
                cats[key] = (ix, cell)
                name, rule = NUMERIC_COLUMNS[key]
                if rule == "not_batch" and block.batch:
                    continue
                vals = col[ix]
                x[name] = np.where(kind[opt] == lifecycle.OWN, vals, 0.0) if rule == "own" else vals
        res = evaluate(x)
        yield Chunk(opt, cats, _states(res, kind[opt], fits[opt]))


# ---------------------------------------------------------------------------------------------- output


def columns_of(grids: Sequence[Grid]) -> list[str]:
    """Output columns: the grid file (several grids only), every grid key, then compare's row keys."""
    keys = list(dict.fromkeys(k for g in grids for k in g.keys))
    return (["grid"] if len(grids) > 1 else []) + keys + list(compare.ROW_KEYS)


def check_condition(text: str, keys: Sequence[str], what: str) -> gate.Predicate:
    """gate.parse, also rejecting a comparison whose value is another column (columns compare with constants)."""
    pred = gate.parse(text, keys, what)
    toks = gate._tokens(text, what)
    for i, (kind, _) in enumerate(toks[:-1]):
        nxt = toks[i + 1]
        if kind == "op" and nxt[0] == "word" and nxt[1] in keys:
            raise LlmcostError(f"{what} {text!r}: compare {toks[i - 1][1]!r} with a number or a quoted text, not with "
                               f"the column {nxt[1]!r}")
    return pred


class _RowView:
    """A row of a chunk seen as a mapping, columns turned into Python values only when a condition reads them."""

    __slots__ = ("chunk", "cache", "i")

    def __init__(self, chunk: Chunk) -> None:
        self.chunk, self.i = chunk, 0
        self.cache: dict[str, list[Any]] = {}

    def get(self, key: str, default: Any = None) -> Any:
        col = self.cache.get(key)
        if col is None:
            if key not in self.chunk:
                return default
            col = self.cache[key] = self.chunk.values(key)
        return col[self.i]

    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self.chunk


def _matches(chunk: Chunk, pred: Callable[[Any], bool]) -> np.ndarray:
    view = _RowView(chunk)
    keep = np.zeros(len(chunk), dtype=bool)
    for i in range(len(chunk)):
        view.i = i
        keep[i] = pred(view)
    return keep


@dataclass
class Result:
    rows: int = 0
    tripped: int = 0
    tripped_names: list[str] = field(default_factory=list)


class Writer:
    """Writes chunks as CSV, JSON Lines or one JSON array, formatting column by column."""

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

    def write(self, chunk: Chunk) -> None:
        if not len(chunk):
            return
        cols = [chunk.texts(c, self.fmt) if c in chunk else [""] * len(chunk) if self.fmt == "csv" else ["null"] * len(chunk)
                for c in self.columns]
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


def run(cat: Catalog, grids: Sequence[Grid], out: IO[str], fmt: str = "csv", columns: Sequence[str] | None = None,
        sets: Sequence[str] = (), vs: str | None = None, where: str | None = None, fail_if: str | None = None,
        chunk_rows: int = CHUNK_ROWS, progress: Callable[[int], None] | None = None) -> Result:
    """Stream every row of the grids to `out`; rows matching `where` only; count rows matching `fail_if`.
    `progress`, when given, is called with the number of rows evaluated after each chunk."""
    every = columns_of(grids)
    cols = list(columns) if columns else every
    keep_pred = check_condition(where, every, "--where") if where else None
    gate_pred = check_condition(fail_if, every, "--fail-if") if fail_if else None
    result = Result()
    writer = Writer(out, fmt, cols)
    for g in grids:
        extra = {"grid": g.path} if len(grids) > 1 else {}
        for block in blocks(cat, g, sets, vs):
            for chunk in chunks(block, chunk_rows, extra):
                if progress is not None:
                    progress(len(chunk))
                if keep_pred is not None:
                    chunk = chunk.select(_matches(chunk, keep_pred))
                if gate_pred is not None:
                    hit = np.flatnonzero(_matches(chunk, gate_pred))
                    result.tripped += len(hit)
                    for i in hit[: max(0, 10 - len(result.tripped_names))]:
                        result.tripped_names.append(_row_name(chunk, int(i), g))
                writer.write(chunk)
                result.rows += len(chunk)
    writer.close()
    return result


def _row_name(chunk: Chunk, i: int, grid: Grid) -> str:
    opt = int(chunk.opt[i])
    view = _RowView(chunk)
    view.i = i
    where = ", ".join(f"{k}={view.get(k)}" for k in grid.keys)
    return f"{chunk.cats['option'][1][opt]} [{where}]"


def rows(cat: Catalog, grids: Sequence[Grid], sets: Sequence[str] = (), vs: str | None = None,
         chunk_rows: int = CHUNK_ROWS) -> Iterator[dict[str, Any]]:
    """Every row as a dict of Python values (for tests and small grids; the CLI streams text instead)."""
    every = columns_of(grids)
    for g in grids:
        extra = {"grid": g.path} if len(grids) > 1 else {}
        for block in blocks(cat, g, sets, vs):
            for chunk in chunks(block, chunk_rows, extra):
                vals = {c: chunk.values(c) if c in chunk else [None] * len(chunk) for c in every}
                for i in range(len(chunk)):
                    yield {c: vals[c][i] for c in every}


# ---------------------------------------------------------------------------------------------- Monte Carlo


def sample_columns(grids: Sequence[Grid]) -> list[str]:
    """Output columns of `sweep --samples`: the grid keys, then the Monte Carlo compare keys."""
    from llmcost import uncertainty

    keys = list(dict.fromkeys(k for g in grids for k in g.keys))
    return (["grid"] if len(grids) > 1 else []) + keys + list(uncertainty.MC_KEYS)


def run_samples(cat: Catalog, grids: Sequence[Grid], out: IO[str], fmt: str, samples: int, seed: int,
                columns: Sequence[str] | None = None, sets: Sequence[str] = (), vs: str | None = None,
                where: str | None = None, fail_if: str | None = None) -> Result:
    """`sweep --samples`: every grid combination through `compare --samples` (the same draws for every
    combination: common random numbers across the grid too), rows streamed as they come. Each
    combination runs its own Monte Carlo, so this path is for grids of hundreds, not millions."""
    from llmcost import uncertainty

    every = sample_columns(grids)
    cols = list(columns) if columns else every
    keep = check_condition(where, every, "--where") if where else None
    trip = check_condition(fail_if, every, "--fail-if") if fail_if else None
    result = Result()
    first = True
    if fmt == "json":
        out.write("[")
    for g in grids:
        for steps in itertools.product(*(a.values for a in g.axes)):
            assignments = [(k, v) for a, step in zip(g.axes, steps, strict=True) for k, v in zip(a.keys, step, strict=True)]
            extra = [f"{k}={set_text(v)}" for k, v in assignments]
            try:
                sc = scenario.resolve(cat, g.base, [*sets, *extra])
                comp = uncertainty.compare_uncertain(cat, sc, samples, seed, vs)
            except LlmcostError as e:
                raise LlmcostError(f"{g.path}: {', '.join(extra) or 'base scenario'}: {e}") from None
            for r in comp.rows:
                row = {"grid": g.path, **{k: cell_value(v) for k, v in assignments}, **r}
                if keep is not None and not keep(row):
                    continue
                if trip is not None and trip(row):
                    result.tripped += 1
                    if len(result.tripped_names) < 10:
                        result.tripped_names.append(f"{row['option']} at {', '.join(extra) or 'base'}")
                _write_row({c: row.get(c) for c in cols}, out, fmt, first)
                first = False
                result.rows += 1
    if fmt == "json":
        out.write("\n]\n" if not first else "]\n")
    return result


def _write_row(row: dict[str, Any], out: IO[str], fmt: str, first: bool) -> None:
    import csv

    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        if first:
            writer.writerow([csv_cell(c) for c in row])
        writer.writerow([csv_cell(v) for v in row.values()])
    else:
        text = json.dumps(row, allow_nan=False)
        out.write(text + "\n" if fmt == "jsonl" else ("\n" if first else ",\n") + text)
