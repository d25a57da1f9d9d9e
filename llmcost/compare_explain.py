"""`compare --explain`: the scenario, the economics and where each value came from, each owned option's host and
upkeep, the formulas behind the columns (docs/cost-model.md has them in full), and every assumption the costs use
with its value, range and source (override any with `--set assumptions.NAME=VALUE`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from llmcost import hosting, options, quality, trends
from llmcost.catalog import Catalog
from llmcost.comparison import PER_OPTION_SOURCES, Comparison, economics, peak_factor, peak_source
from llmcost.schema import Scenario

COST_ASSUMPTIONS = (
    "electricity_usd_per_kwh", "electricity_usd_per_kwh_commercial", "electricity_usd_per_kwh_industrial", "pue",
    "pue_datacenter", "lifetime_months", "resale_fraction", "resale_fraction_datacenter", "horizon_months", "discount_rate",
    "psu_headroom_fraction", "ops_hours_per_month", "ops_usd_per_hour", "colocation_usd_per_kw_month", "gpu_annual_failure_rate",
    "spare_gpu_fraction", "cluster_network_fraction", "peak_to_average", "batch_window_hours", "serverless_load_gb_per_s",
    "replica_boundary_margin", "usable_memory_fraction", "runtime_overhead_gib", "kv_cache_bytes",
)
"""The assumptions behind compare's money, listed by --explain."""

FORMULAS = (
    "formulas (llmcost/engine/lifecycle.py, llmcost/engine/serverless.py; docs/cost-model.md):",
    "  replicas = ceil(requests/day / 86400 x peak_to_average / capacity requests/s per replica)  (serving engine at the latency "
    "target); peak_utilization = peak load / (replicas x capacity)",
    "  own capex = replicas x (GPUs x price + host price x share of the box)  (profiles/hosts.yaml; rack servers shared slot by slot)",
    "  own monthly = depreciation capex x (1 - resale) / lifetime + energy replicas x (idle W + (busy - idle) W x utilisation) x 730 h"
    " x PUE x $/kWh of the site + upkeep (ops hours x $/h x boxes + colocation $/kW-month x rated kW in a datacenter + GPUs x price"
    " x annual failure rate / 12)",
    "  rent monthly = billed GPUs x $/GPU-h x 730; serverless: always-on workers x 730 h + flex workers x f x busy window, "
    "f = (lambda C + e^a - 1) / (lambda C + e^a), a = lambda (W + idle timeout), W = W1 / (1 - lambda slope), C = worker start + "
    "weights / serverless_load_gb_per_s",
    "  api monthly = requests/day x 30.42 x (input x (uncached x in + cached x cache) + output x out) / 1e6 x (1 - batch discount)",
    "  training: owned runs pay their energy (GPUs beyond the serving fleet rented, or bought and sold after the run); rented runs "
    "GPU-hours x rate; APIs their fine-tuning price; serving starts when the runs end, the reference API serves until then",
    "  usd_per_mtok = monthly / month-1 tokens (input + output) x 1e6",
    "  tco_usd = purchases + running costs + training + bridge API over the horizon - residual value (NPV when discount_rate > 0)",
    "  breakeven_tokens_per_day = (fixed monthly per replica + own training - reference training per month) / (30.42 x (API $/token"
    " - marginal $/token)), within one replica's capacity; flex serverless: where its bill per request meets the API's",
    "  payback_months = month where the cumulative cash cost (capex, running, training) falls to the reference API's (its fees "
    "included)",
)


def _shown(value: Any) -> str:
    return "per option" if value is None else value if isinstance(value, str) else f"{value:g}"


def _range(a: Any) -> str:
    return f" (range {a.range.describe()})" if a.range is not None else ""


def explain(cat: Catalog, sc: Scenario, result: Comparison) -> str:
    """The text of `compare --explain` (module docstring)."""
    eco = economics(cat, sc)
    w = sc.workload
    lines = [f"scenario {sc.id}: {sc.description}",
             f"  workload: {w.requests_per_day:g} requests/day x ({w.input_tokens:g} in + {w.output_tokens:g} out) tokens, "
             f"cached share {w.cached_input_share:g}, growth {w.monthly_growth:g}/month, batch {w.batch}",
             f"  serving: {sc.serving.model} as {sc.serving.quantization} on {sc.serving.engine}, max TPOT "
             f"{sc.serving.max_tpot_ms or 'none'} ms",
             "  economics (scenario value, else profiles/assumptions.yaml):"]
    for name, value in eco.items():
        if sc.economics is not None and getattr(sc.economics, name, None) is not None:
            src = "scenario"
        elif value is None:
            src = PER_OPTION_SOURCES[name]
        elif name in cat.assumptions:
            src = f"assumption [{cat.assumptions[name].source}]"
        else:
            src = "default: desk-side boxes in an office; rack servers always in a datacenter"
        lines.append(f"    {name} = {_shown(value)}    <- {src}")
    lines.append(f"    peak_to_average = {peak_factor(cat, sc):g}    <- {peak_source(cat, sc)}")
    lines += owned_boxes(cat, sc, eco, result)
    lines += FORMULAS
    lines.append("assumptions used (override with --set assumptions.NAME=VALUE):")
    for name in COST_ASSUMPTIONS:
        a = cat.assumptions[name]
        unit = f" {a.unit}" if a.unit else ""
        lines.append(f"  {name} = {_shown(a.value)}{unit}{_range(a)}    [{a.source}] {a.rationale}")
    lines += trends.explain_lines(cat, sc) + quality.explain_lines(cat, sc, options.build(cat, sc))  # issue #12
    for r in result.rows():
        if r["notes"]:
            lines.append(f"note: {r['option']}: {r['notes']}")
    return "\n".join(lines) + "\n"


def owned_boxes(cat: Catalog, sc: Scenario, eco: dict[str, Any], result: Comparison) -> list[str]:
    """Each owned option's host and its monthly upkeep per replica, with the host's sources."""
    out = ["owned boxes (per replica):"]
    own = [o for o in options.build(cat, sc) if o.kind == options.OWN and o.gpu is not None]
    for r in result.rows():
        if r["kind"] != "own" or not isinstance(r["gpus_per_replica"], (int, float)):
            continue
        count = int(r["gpus_per_replica"])
        match = [o for o in own if options.labels(o, np.array([float(count)]))[0] == r["option"]]
        if not match or match[0].gpu is None:
            continue
        gpu = match[0].gpu
        box = hosting.box_for(cat, gpu, count)
        x = hosting.replica_costs(cat, eco, gpu, float(count), sc.options.used)
        host = box.host
        head = (f"  {r['option']}: host {x['host']}" + (f" (${host.price_usd:,.0f}, idle {host.idle_power_w:g} W, busy "
                                                          f"{host.busy_power_w:g} W, supply {host.psu_w:,.0f} W, slots {host.max_gpus})"
                                                          if host else ""))
        out.append(head + f"; electricity ${float(x['electricity_usd_per_kwh']):g}/kWh, PUE {float(x['pue']):g}; upkeep "
                   f"${float(x['ops_usd_per_month']):,.2f} operations + ${float(x['colocation_usd_per_month']):,.2f} colocation + "
                   f"${float(x['failures_usd_per_month']):,.2f} failed cards a month")
        if host is not None:
            src = host.sources.get("price_usd") or host.sources.get("default", "profiles/hosts.yaml")
            out.append(f"    {host.id}: {host.name} [price: {src}]")
    return out if len(out) > 1 else []


__all__ = ["COST_ASSUMPTIONS", "explain"]
