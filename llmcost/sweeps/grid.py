"""Grid files for `llmcost sweep`: which scenario keys vary, over which values, and how they combine.

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

Grid keys are split in two. *Structural* keys (ids, switches, and the few counts that shape a run:
serving.*, options.*, workload.batch, ...) decide which options exist; each combination of them is
resolved once. *Numeric* keys (every other number: volumes, token counts, latency target, economics,
training tokens) are substituted as arrays, so all their combinations run through the engines together.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from llmcost import bounds, scenarios
from llmcost.catalog import Catalog
from llmcost.errors import LlmcostError, unknown
from llmcost.numbers import parse_quantity
from llmcost.schema import KINDS, Spec, check_number
from llmcost.yamlsrc import file_kind, read_yaml

SCALAR_KEYS = frozenset({"lifecycle.finetune.every_months", "lifecycle.finetune.rank", "lifecycle.pretrain.gpus",
                         "options.min_quality"})
"""Numbers that shape the lifecycle's runs (how often, which rank, how many GPUs) or which options exist (the
quality floor): structural."""


def is_numeric(key: str, spec: Spec) -> bool:
    """Whether a grid key's values can run through the engines as one array."""
    return spec.type in ("num", "int") and key not in SCALAR_KEYS


# ---------------------------------------------------------------------------------------------- grid files


class Steps(Sequence[tuple[float, ...]]):
    """The steps of a numeric axis as one (steps x keys) float array, read as tuples only when asked: a range of
    a million steps takes 8 MB per key, not a million tuples."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    @overload
    def __getitem__(self, i: int) -> tuple[float, ...]: ...

    @overload
    def __getitem__(self, i: slice) -> Steps: ...

    def __getitem__(self, i: int | slice) -> tuple[float, ...] | Steps:
        if isinstance(i, slice):
            return Steps(self.array[i])
        return tuple(float(v) for v in self.array[i])

    def __eq__(self, other: object) -> bool:  # equal to the list of tuples it stands for
        return list(self) == list(other) if isinstance(other, (Steps, list, tuple)) else NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable like the list it stands for


@dataclass
class Axis:
    """One dimension of the grid: a single key, or a zip group of keys that step together."""

    keys: tuple[str, ...]
    values: Sequence[tuple[Any, ...]]  # one tuple per step, one value per key (Steps for a numeric axis)
    numeric: bool

    def column(self, j: int) -> np.ndarray:
        if isinstance(self.values, Steps):
            column: np.ndarray = self.values.array[:, j]
            return column
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
        return scenarios.coerce(str(value), spec, f"{path}:{line}: {key}")
    if spec.type in ("refs", "gpu_opt"):
        if isinstance(value, list):
            return tuple(str(v).strip() for v in value)
        return tuple(t.strip() for t in str(value).split(",") if t.strip())
    if isinstance(value, (list, dict)):
        raise _fail(path, line, key, f"expected one value per grid step, got {value!r}")
    return str(value)


def _range(body: dict[str, Any], spec: Spec, path: str, line: Any, key: str) -> np.ndarray:
    extra = set(body) - {"start", "stop", "num", "log"}
    if extra or not {"start", "stop", "num"} <= set(body):
        raise _fail(path, line, key, "a range is {start, stop, num} with optional log: true")
    if spec.type not in ("num", "int"):
        raise _fail(path, line, key, "a range needs a numeric key")
    start, stop = _number(body["start"], path, line, key + ".start"), _number(body["stop"], path, line, key + ".stop")
    num = _number(body["num"], path, line, key + ".num")
    reason = check_number(num, bounds.lookup("grid.range.num"))  # before anything is built: num: 1e300 is one line
    if reason:
        raise _fail(path, line, key + ".num", f"{reason}; a sweep has at most {bounds.lookup('grid.range.num').le:,.0f} steps per range")
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
    return np.asarray(out, dtype=float)


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


def _values(cat: Catalog, raw: Any, spec: Spec, path: str, line: Any, key: str) -> list[Any] | np.ndarray:
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


def load_grid(cat: Catalog, path: str, sets: Mapping[str, Any] | Sequence[str] | None = None) -> Grid:
    """Read and check a grid file: keys are scenario keys, values lists, ranges or profile lists."""
    p = Path(path)
    if file_kind(p) != "file":
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
    if base is not None and base not in cat.entries["scenarios"] and file_kind(base) != "file" and beside and file_kind(beside) == "file":
        base = str(beside)  # a scenario file beside the grid file
    body = doc.get("grid")
    if not isinstance(body, dict) or not body:
        raise _fail(path, lines.get("grid") or 1, "grid", "expected a mapping of dotted scenario keys to lists of values")
    glines = getattr(body, "key_lines", {})
    values: dict[str, list[Any] | np.ndarray] = {}
    specs: dict[str, Spec] = {}
    for key, raw in body.items():
        line = glines.get(key)
        if key.startswith("assumptions."):
            raise _fail(path, line, key, "assumptions cannot vary in a grid; set them with --set assumptions.NAME=VALUE")
        try:
            spec = scenarios.spec_at(key)
        except LlmcostError as e:
            raise _fail(path, line, key, str(e).removeprefix(f"--set {key}: ")) from None
        specs[key] = spec
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
        if all(is_numeric(k, specs[k]) for k in keys):
            axes.append(Axis(keys, Steps(np.column_stack([np.asarray(values[k], dtype=float) for k in keys])), True))
        else:
            steps = zip(*([float(v) for v in values[k]] if isinstance(values[k], np.ndarray) else values[k] for k in keys), strict=True)
            axes.append(Axis(keys, list(steps), False))
    grid = Grid(path, base, axes)
    _check_numeric(cat, grid, scenarios.as_overrides(sets))
    return grid


def _check_numeric(cat: Catalog, grid: Grid, sets: dict[str, Any]) -> None:
    """Numeric keys never pass through the scenario loader per row: check their extremes against the schema."""
    for axis in grid.numeric:
        for j, key in enumerate(axis.keys):
            col = axis.column(j)
            for v in {float(col.min()), float(col.max())}:
                try:
                    scenarios.resolve(cat, grid.base, {**sets, key: v})
                except LlmcostError as e:
                    raise LlmcostError(f"{grid.path}: grid.{key} = {set_text(v)}: {e}") from None
