"""Sensitivity: a tornado of what moves one option's payback (or TCO, or break-even volume) the most.

Each ranged input at its low and its high end (low/high of triangular and uniform ranges, P10/P90 of
normal and lognormal ones), every other input at its mode, through the same Monte Carlo pipeline.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmcost import comparison
from llmcost.catalog import Catalog
from llmcost.errors import LlmcostError, unknown
from llmcost.render import human
from llmcost.results import DOES_NOT_FIT, NA, NEVER, Table, num, text_column
from llmcost.schema import Scenario
from llmcost.uncertainty.montecarlo import simulate
from llmcost.uncertainty.sampling import uncertain_inputs

UNBOUNDED = "unbounded"
TORNADO_METRICS = ("payback_months", "tco_usd", "breakeven_tokens_per_day")
Row = dict[str, Any]


@dataclass
class Tornado:
    """`sensitivity`'s result: one row per ranged input that moves the metric, largest swing first."""

    table: Table
    option: str
    reference: str
    metric: str
    base: Any
    no_effect: list[str]
    instead_of: str = ""
    """The metric asked for by default when it could not move (payback "never" at every end): `metric` replaces it."""

    @property
    def columns(self) -> Mapping[str, np.ndarray]:
        return self.table.columns

    def rows(self) -> list[Row]:
        """Exactly the rows of `llmcost sensitivity --format json`."""
        return self.table.rows()


def _cell(v: float, ok: bool, never: bool) -> Any:
    if not ok:
        return DOES_NOT_FIT
    if math.isinf(v):
        return NEVER if never else NA
    return num(v)


DEFAULT_METRIC, FALLBACK_METRIC = "payback_months", "tco_usd"


def tornado(cat: Catalog, sc: Scenario, option: str | None = None, metric: str | None = None, vs: str | None = None,
            extra_apis: Sequence[str] = ()) -> Tornado:
    """For one own or rent option against the reference API: `metric` with each ranged input at its low and
    its high end (low/high of triangular and uniform ranges, P10/P90 of normal and lognormal ones) and every
    other input at its mode, sorted by swing (largest first; an end that is "never" or "does not fit" while
    the other is a number swings without bound). By default (`metric` None) payback, or TCO, which always has a
    value, when no input moves the payback (it never pays back at either end of any range)."""
    if metric is None:
        first = tornado(cat, sc, option, DEFAULT_METRIC, vs, extra_apis)
        if len(first.table) or first.base != NEVER:
            return first
        return dataclasses.replace(tornado(cat, sc, option, FALLBACK_METRIC, vs, extra_apis), instead_of=DEFAULT_METRIC)
    if metric not in TORNADO_METRICS:
        raise LlmcostError(f"--metric {metric!r}: use one of {', '.join(TORNADO_METRICS)}")
    ranged = uncertain_inputs(cat, sc)
    if not ranged:
        raise LlmcostError("no input has a range: write {low, mode, high} for a scenario number, --set KEY=LOW..HIGH, "
                           "or give assumptions a range:")
    keys = list(ranged)
    n = 2 * len(keys) + 1
    values = {k: np.full(n, float(u)) for k, u in ranged.items()}
    for j, (k, u) in enumerate(ranged.items()):
        values[k][1 + 2 * j], values[k][2 + 2 * j] = u.low, u.high
    point = comparison.compare(cat, sc, vs, extra_apis)
    point_rows = point.rows()
    candidates = [r for r in point_rows if r["kind"] in ("own", "rent")]
    if option is None:
        own = [r for r in candidates if r["kind"] == "own" and r["fits"] and isinstance(r["tco_usd"], (int, float))]
        if not own:
            raise LlmcostError("no own option fits this scenario; name one with --option")
        label = min(own, key=lambda r: r["tco_usd"])["option"]
    else:
        labels = [r["option"] for r in candidates]
        label = next((lab for lab in (option, f"own {option}", f"rent {option}") if lab in labels), "")
        if not label:
            raise LlmcostError(f"--option: {unknown('own or rent option', option, labels)}")
    i = [r["option"] for r in point_rows].index(label)
    sim = simulate(cat, sc, values, n, vs, extra_apis)
    m, ok = sim.results[metric][i], sim.fits[i]
    never = metric != "tco_usd"
    rows, no_effect = [], []
    for j, (k, u) in enumerate(ranged.items()):
        lo, hi = 1 + 2 * j, 2 + 2 * j
        a, b = _cell(m[lo], ok[lo], never), _cell(m[hi], ok[hi], never)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            swing: Any = num(abs(b - a))
        else:
            swing = 0 if a == b else UNBOUNDED
        if swing == 0:
            no_effect.append(k)
            continue
        rows.append({"input": k, "distribution": u.dist, "low": num(u.low), "mode": num(float(u)), "high": num(u.high),
                     f"{metric}_at_low": a, f"{metric}_at_high": b, f"{metric}_swing": swing})
    rows.sort(key=lambda r: (-math.inf if r[f"{metric}_swing"] == UNBOUNDED else -r[f"{metric}_swing"], r["input"]))
    names = ("input", "distribution", "low", "mode", "high", f"{metric}_at_low", f"{metric}_at_high", f"{metric}_swing")
    table = Table({k: text_column([r[k] for r in rows]) for k in names})
    return Tornado(table, label, point.reference, metric, _cell(m[0], ok[0], never), no_effect)


def tornado_chart(t: Tornado, width: int = 40) -> str:
    """Text bars: each input's range of the metric around the value with every input at its mode (|)."""
    lo_key, hi_key = f"{t.metric}_at_low", f"{t.metric}_at_high"
    t_rows = t.rows()
    nums = [v for r in t_rows for v in (r[lo_key], r[hi_key]) if isinstance(v, (int, float))]
    if isinstance(t.base, (int, float)):
        nums.append(t.base)
    if not nums or not t_rows:
        return "(nothing to chart)"
    left, right = min(nums), max(nums)
    span = (right - left) or 1.0
    name_w = max(len(r["input"].removeprefix("assumptions.")) for r in t_rows)

    def col(v: Any, missing: int) -> int:
        return round((v - left) / span * (width - 1)) if isinstance(v, (int, float)) else missing

    base = col(t.base, width - 1)
    lines = [f"{t.metric} of {t.option} vs {t.reference}: | = all inputs at their mode ({_fmt(t.base)}); "
             "bars span the input's low to high end ('>' = never or does not fit)"]
    for r in t_rows:
        a, b = r[lo_key], r[hi_key]
        ca, cb = col(a, width), col(b, width)
        cells = [" "] * (width + 1)
        for c in range(min(ca, cb, base), max(ca, cb, base) + 1):
            cells[min(c, width)] = "#" if min(ca, cb) <= c <= max(ca, cb) else "-"
        if max(ca, cb) >= width:
            cells[width] = ">"
        cells[min(base, width)] = "|"
        lines.append(f"{r['input'].removeprefix('assumptions.'):<{name_w}} {''.join(cells)} {_fmt(a)} .. {_fmt(b)}")
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    return human(v) if isinstance(v, (int, float)) else str(v)
