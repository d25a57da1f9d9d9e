"""Sampling: which inputs are uncertain, and correlated draws of them.

Any number of a scenario or an assumption may be a range (`llmcost.schema.Uncertain`: triangular,
uniform, normal or lognormal). Point commands use its mode (or median). Here each ranged input is drawn
N times, once per sample, from its own stream (`default_rng([seed, crc32(key)])`), and every option
reads the same draws (common random numbers): differences between options are then differences of the
options, not sampling noise, and a duplicated option gets identical numbers.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from llmcost import scenarios
from llmcost.catalog import Catalog
from llmcost.errors import LlmcostError, unknown
from llmcost.schema import Scenario, Uncertain, assumption_bounds, yaml_key

DEFAULT_SEED = 0

_SHADOWED = {n: f"economics.{n}" for n in ("electricity_usd_per_kwh", "pue", "lifetime_months", "resale_fraction",
                                          "horizon_months", "discount_rate", "ops_hours_per_month", "ops_usd_per_hour",
                                          "colocation_usd_per_kw_month", "api_price_decline_per_year",
                                          "rental_price_decline_per_year", "gpu_price_decline_per_year")}
_SHADOWED["gpu_price_decline_per_year_datacenter"] = "economics.gpu_price_decline_per_year"  # issue #12

Row = dict[str, Any]


# ---------------------------------------------------------------------------------------------- inputs


def uncertain_inputs(cat: Catalog, sc: Scenario) -> dict[str, Uncertain]:
    """Every ranged number the comparison reads, by dotted key (`workload.requests_per_day`,
    `assumptions.electricity_usd_per_kwh`), sorted. An assumption is left out when the scenario sets the
    value itself, or when `--set assumptions.NAME=VALUE` fixed it."""
    out: dict[str, Uncertain] = {}

    def walk(rec: Any, prefix: str) -> None:
        for f in dataclasses.fields(rec):
            v = getattr(rec, f.name)
            key = prefix + yaml_key(f)
            if isinstance(v, Uncertain):
                out[key] = v
            elif dataclasses.is_dataclass(v) and not isinstance(v, type):
                walk(v, key + ".")

    walk(sc, "")
    for name, a in cat.assumptions.items():
        u = a.range if a.range is not None else a.value if isinstance(a.value, Uncertain) else None
        if u is None or float(u) != float(a.value):  # no range, or the value was set on the command line
            continue
        shadow = _SHADOWED.get(name)
        if shadow and sc.economics is not None and getattr(sc.economics, shadow.split(".")[-1], None) is not None:
            continue
        eco = sc.economics
        if eco is not None and ((name.startswith("electricity_usd_per_kwh") and eco.electricity_usd_per_kwh is not None)
                                or (name.startswith("ops_") and eco.ops_usd_per_month is not None)):
            continue
        w = sc.workload
        if name == "peak_to_average" and (w.peak_to_average is not None or w.window_hours is not None or w.batch):
            continue
        if name == "batch_window_hours" and (w.peak_to_average is not None or w.window_hours is not None or not w.batch):
            continue
        out[f"assumptions.{name}"] = u
    return dict(sorted(out.items()))


def with_assumption_ranges(cat: Catalog, ranges: Mapping[str, str], what: str = "--set") -> Catalog:
    """Assumptions given as `LOW..HIGH` (uniform) or `LOW..MODE..HIGH` (triangular) texts by name: the
    assumption's value becomes the range (its point value the mode or midpoint)."""
    new = Catalog(entries=cat.entries, assumptions=dict(cat.assumptions), where=cat.where)
    for key, text in ranges.items():
        name = key.strip().removeprefix("assumptions.")
        if name not in new.assumptions:
            raise LlmcostError(f"{what} assumptions.{name}: " + unknown("assumption", name, new.assumptions))
        u = scenarios.range_text(text.strip(), assumption_bounds(name), f"{what} assumptions.{name}")
        new.assumptions[name] = dataclasses.replace(new.assumptions[name], value=u, range=None, range_rationale=None,
                                                    source="set on the command line")
    return new


def draw(u: Uncertain, n: int, seed: int, key: str) -> np.ndarray:
    """N draws of one ranged input from its own stream: the same (seed, key) gives the same numbers on any
    machine, whatever other inputs are uncertain. Normal and lognormal draws outside the field's valid
    range are drawn again (truncation).

    >>> u = Uncertain.of("triangular", {"low": 1.0, "mode": 2.0, "high": 4.0})
    >>> bool((draw(u, 5, 0, "x") == draw(u, 5, 0, "x")).all()), draw(u, 3, 0, "x").shape
    (True, (3,))
    """
    rng = np.random.default_rng([seed, zlib.crc32(key.encode())])
    p = u.params
    if u.dist in ("triangular", "uniform"):
        if p["low"] == p["high"]:
            return np.full(n, float(u))
        if u.dist == "uniform":
            return rng.uniform(p["low"], p["high"], n)
        return rng.triangular(p["low"], p["mode"], p["high"], n)
    if u.dist == "normal":
        mu, sigma = p["mean"], p["sd"]

        def make(z: np.ndarray) -> np.ndarray:
            return mu + sigma * z
    else:
        mu, sigma = (math.log(p["p10"]) + math.log(p["p90"])) / 2.0, (math.log(p["p90"]) - math.log(p["p10"])) / (2.0 * 1.2815515655446004)

        def make(z: np.ndarray) -> np.ndarray:
            return np.exp(mu + sigma * z)
    out = make(rng.standard_normal(n))
    for _ in range(200):
        bad = ~_inside(u, out)
        if not bad.any():
            break
        out[bad] = make(rng.standard_normal(int(bad.sum())))
    clipped: np.ndarray = np.clip(out, u.lower if u.lower is not None else -np.inf, u.upper if u.upper is not None else np.inf)
    return clipped


def _inside(u: Uncertain, v: np.ndarray) -> np.ndarray:
    ok = np.ones(v.shape, dtype=bool)
    if u.lower is not None:
        ok &= v > u.lower if u.lower_open else v >= u.lower
    if u.upper is not None:
        ok &= v <= u.upper
    return ok


def draws(ranged: dict[str, Uncertain], n: int, seed: int) -> dict[str, np.ndarray]:
    """N correlated draws of every ranged input (one column per input, shared by every option)."""
    return {k: draw(u, n, seed, k) for k, u in ranged.items()}


def with_assumption_values(cat: Catalog, values: Mapping[str, Any]) -> Catalog:
    """The catalog with the assumptions at `assumptions.NAME` keys of `values` replaced (arrays of draws)."""
    assumptions: dict[str, Any] = dict(cat.assumptions)
    for name, a in cat.assumptions.items():
        key = f"assumptions.{name}"
        if key in values:
            assumptions[name] = dataclasses.replace(a, value=values[key])
    return Catalog(entries=cat.entries, assumptions=assumptions, where=cat.where)
