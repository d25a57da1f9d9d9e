"""Price trends (issue #12): how API, rental and GPU prices move over the lifecycle, and what that does to the answer.

Three scenario economics keys, each a fraction of the price lost per year (0 = flat, negative = rising), with
defaults and ranges in profiles/assumptions.yaml (so `--samples` and `llmcost sensitivity` draw them):

- `economics.api_price_decline_per_year`: the price of API tokens AT CONSTANT QUALITY, a decline across
  models: buyers switch to newer, cheaper models that reach the same benchmark score (a16z "LLMflation",
  2024-11-12: 10x a year; Epoch AI, 2025-03-12: 9x to 900x a year by milestone). It is not a price cut of one
  model id, whose list price moves far less. It applies to every API option and to the reference API.
- `economics.rental_price_decline_per_year`: a rental offer's $/GPU-hour for the same GPU.
- `economics.gpu_price_decline_per_year`: the market price of a GPU model: replicas bought later in the horizon
  pay less, and a card resold at the horizon fetches resale_fraction of the market price then (datacenter cards
  default to `gpu_price_decline_per_year_datacenter`).

The lifecycle engine applies them month by month (`llmcost.engine.lifecycle.price_factor`: (1 - d)^(month/12)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from llmcost.catalog import Catalog, gpu_price_usd
from llmcost.engine import lifecycle
from llmcost.results import NEVER
from llmcost.schema import Gpu, Scenario

KEYS = lifecycle.TREND_KEYS
API_KEY = "api_price_decline_per_year"
CONSTANT_QUALITY = ("at constant quality across models (buyers switch to newer, cheaper models of the same benchmark "
                    "score), not a price cut of one model id")
"""Said wherever the API trend is applied."""


def value(cat: Catalog, sc: Scenario, name: str, gpu: Gpu | None = None) -> Any:
    """A trend: the scenario's economics value, else the assumption (datacenter GPUs: the `_datacenter` one).
    Arrays (sweeps, samples) pass through."""
    given = getattr(sc.economics, name, None) if sc.economics is not None else None
    if given is not None:
        return given if isinstance(given, np.ndarray) else float(given)
    if name == "gpu_price_decline_per_year" and gpu is not None and gpu.gpu_class == "datacenter":
        return cat.value("gpu_price_decline_per_year_datacenter")
    return cat.value(name)


def lifecycle_inputs(cat: Catalog, sc: Scenario, gpu: Gpu | None, count: Any) -> dict[str, Any]:
    """An option's trend inputs to the lifecycle engine: the three declines, and the GPUs' part of a replica's
    price (the part that follows the GPU market; the host's stays flat)."""
    out = {name: value(cat, sc, name, gpu) for name in KEYS}
    out["gpu_capex_usd"] = count * gpu_price_usd(gpu, sc.options.used) if gpu is not None else 0.0
    return out


def flat(x: Mapping[str, Any], keys: Sequence[str] = KEYS) -> dict[str, Any]:
    """Lifecycle inputs with the named trends at 0 (flat prices)."""
    return {**x, **{k: np.zeros_like(np.asarray(x[k], dtype=float)) for k in keys if k in x}}


def _payback(v: Any) -> str:
    if v == NEVER or not isinstance(v, (int, float)):
        return "never"
    return "month one" if v == 0 else f"{v:,.1f} months"


def sentence(rows: Sequence[Mapping[str, Any]], flat_rows: Sequence[Mapping[str, Any]], decline: float) -> str:
    """What the API trend moves: the best own option's payback and the cheapest option, with the trend
    (`rows`) and with API prices held flat (`flat_rows`, the same options)."""
    if decline == 0:
        return "API prices are held flat (economics.api_price_decline_per_year = 0)."

    def usable(rs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        return [r for r in rs if r["fits"] and isinstance(r["tco_usd"], (int, float))]

    ok, ok_flat = usable(rows), usable(flat_rows)
    if not ok or not ok_flat:
        return ""
    trend_word = f"fall {decline:.0%} a year" if decline > 0 else f"rise {-decline:.0%} a year"
    parts = [f"API prices {trend_word} here, {CONSTANT_QUALITY} (economics.api_price_decline_per_year)."]
    own = [r for r in ok if r["kind"] == "own"]
    changes = []
    if own:
        best = min(own, key=lambda r: r["tco_usd"])
        held = next(r for r in flat_rows if r["option"] == best["option"])
        now, then = _payback(best["payback_months"]), _payback(held["payback_months"])
        changes.append(f"{best['option']}'s payback would still be {now}" if now == then
                       else f"{best['option']}'s payback would be {then} instead of {now}")
    cheapest, cheapest_flat = min(ok, key=lambda r: r["tco_usd"]), min(ok_flat, key=lambda r: r["tco_usd"])
    changes.append(f"the cheapest option would still be {cheapest['option']}" if cheapest["option"] == cheapest_flat["option"]
                   else f"the cheapest option would be {cheapest_flat['option']} instead of {cheapest['option']}")
    parts.append("With API prices held flat, " + " and ".join(changes) + ".")
    return " ".join(parts)


def explain_lines(cat: Catalog, sc: Scenario) -> list[str]:
    """For --explain: each trend, where it came from, and how the engine applies it."""
    lines = [f"price trends (fraction lost per year; llmcost/trends.py, docs/trends-and-quality.md). The API trend is a "
             f"decline {CONSTANT_QUALITY}:"]
    for name in (*KEYS, "gpu_price_decline_per_year_datacenter"):
        given = name in KEYS and sc.economics is not None and getattr(sc.economics, name, None) is not None
        v = value(cat, sc, name) if given else cat.value(name)
        src = "scenario" if given else f"assumption [{cat.assumptions[name].source.strip()}]"
        lines.append(f"    {name} = {float(np.mean(v)):g}    <- {src}")
    lines += [
        "  month m pays (1 - d)^(m/12) of today's API price (every API option and the reference API) and rental rate;",
        "  a replica bought in month m pays that factor of its GPUs' price (the host stays flat), and GPUs resold at the",
        "  horizon fetch resale_fraction x the market price then; break-even volume uses the horizon's mean API and",
        "  rental prices; payback is read off the trending monthly curves.",
    ]
    return lines
