"""`compare` and `breakeven`: a scenario's own, rent and API options through the serving and lifecycle engines."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from llmcost import inputs, runs
from llmcost.catalog import Catalog, gpu_price_usd, parse_gpu_option
from llmcost.engine import lifecycle, money, serving
from llmcost.errors import LlmcostError
from llmcost.runs import DOES_NOT_FIT, NA, GpuChoice, num
from llmcost.schema import Api, Rental, Scenario

NEVER = "never"
AUTO_GPU_COUNTS = (1, 2, 4, 8)
"""GPU counts tried per replica when an option names no count: tensor parallelism splits heads evenly
over powers of two."""

Row = dict[str, Any]


@dataclass
class Option:
    """One row of the comparison before the engines run."""

    label: str
    kind: int
    choice: GpuChoice | None = None
    rental: Rental | None = None
    api: Api | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    rows: list[Row]
    verdict: str
    reference: str
    months: np.ndarray
    cumulative: dict[str, np.ndarray]


def economics(cat: Catalog, sc: Scenario) -> dict[str, float]:
    """Scenario economics with every missing value taken from the assumptions."""
    eco = sc.economics
    names = ("electricity_usd_per_kwh", "pue", "lifetime_months", "resale_fraction", "horizon_months", "discount_rate",
             "ops_usd_per_month", "host_usd", "host_power_w")
    out = {}
    for n in names:
        value = getattr(eco, n, None) if eco is not None else None
        out[n] = _plain(value) if value is not None else cat.value(n)
    for n in ("horizon_months", "lifetime_months"):
        if not np.all((out[n] > 0) & (out[n] <= 1200)):
            bad = float(np.max(out[n])) if np.any(out[n] > 1200) else float(np.min(out[n]))
            raise LlmcostError(f"{n} = {bad:g}: expected more than 0 and at most 1200 months (100 years)")
    return out


def _plain(value: Any) -> Any:
    """A scenario number as a plain float; arrays of sampled values (llmcost.uncertainty) pass through."""
    return value if isinstance(value, np.ndarray) else float(value)


def _auto_count(cat: Catalog, sc: Scenario, gpu_id: str, quant: str, engine: str) -> GpuChoice:
    """Fewest GPUs (1, 2, 4, 8) per replica that hold the model and one sequence."""
    gpu = cat.get("gpus", gpu_id)
    model = cat.get("models", sc.serving.model)
    tried = [GpuChoice(n, gpu) for n in AUTO_GPU_COUNTS]
    x = inputs.stack([runs.serve_inputs(cat, model, ch, quant, engine, sc.workload.input_tokens, sc.workload.output_tokens,
                                        1, None) for ch in tried])
    fits = serving.serve(x)["fits"]
    return tried[int(np.argmax(fits))] if fits.any() else tried[-1]


def options(cat: Catalog, sc: Scenario, quant: str, engine: str, extra_apis: Sequence[str] = ()) -> list[Option]:
    """Own options (GPU count per replica given or the fewest that fit), rental offers of those GPUs (or the
    ones named), the scenario's APIs and the APIs that host the served model."""
    out: list[Option] = []
    counts: dict[str, GpuChoice] = {}
    for spec in sc.options.gpus:
        count, gid = parse_gpu_option(spec)
        ch = GpuChoice(count, cat.get("gpus", gid)) if spec.strip() != gid else _auto_count(cat, sc, gid, quant, engine)
        counts.setdefault(gid, ch)
        out.append(Option(f"own {ch.label}", lifecycle.OWN, choice=ch))
    wanted = list(sc.options.rentals)
    offers: list[Rental] = []
    for rid in wanted:
        if rid == "auto":
            for gid in counts:
                offers += inputs.rentals_for(cat, gid)
        else:
            offers.append(cat.get("rentals", rid))
    for offer in {r.id: r for r in offers}.values():
        ch = counts.get(offer.gpu) or _auto_count(cat, sc, offer.gpu, quant, engine)
        label = f"rent {ch.count}x {offer.id}" if ch.count > 1 else f"rent {offer.id}"
        notes = ["serverless: billed for busy time only, cold starts not counted"] if offer.kind == "serverless" else []
        out.append(Option(label, lifecycle.RENT, choice=ch, rental=offer, notes=notes))
    api_ids = list(dict.fromkeys([*extra_apis, *sc.options.apis]))
    if sc.options.hosts:
        api_ids += [a.id for a in cat.entries["apis"].values() if a.serves_model == sc.serving.model and a.id not in api_ids]
    for aid in api_ids:
        out.append(Option(f"api {aid}", lifecycle.API, api=cat.get("apis", aid)))
    return out


def api_price_per_request(api: Api, sc: Scenario, finetuned: bool) -> tuple[float, list[str]]:
    """USD per request for this workload: context tier by prompt length, cache share, batch discount,
    fine-tuned-model prices when the lifecycle fine-tunes. Workload numbers may be arrays of sampled values
    (llmcost.uncertainty): the price is then an array, a tier applying per sample."""
    w = sc.workload
    notes = []
    inp, out_, cached = api.input_usd_per_mtok, api.output_usd_per_mtok, api.cached_input_usd_per_mtok
    for tier in sorted(api.context_tiers, key=lambda t: t.above_tokens):
        above = w.input_tokens > tier.above_tokens
        if isinstance(above, np.ndarray):
            if above.any():
                tier_cached = tier.cached_input_usd_per_mtok if tier.cached_input_usd_per_mtok is not None else cached
                cached = None if tier_cached is None else np.where(above, tier_cached, cached if cached is not None else inp)
                inp, out_ = np.where(above, tier.input_usd_per_mtok, inp), np.where(above, tier.output_usd_per_mtok, out_)
                notes.append(f"long-context tier above {tier.above_tokens} tokens in {above.mean():.0%} of samples")
        elif above:
            inp, out_ = tier.input_usd_per_mtok, tier.output_usd_per_mtok
            cached = tier.cached_input_usd_per_mtok if tier.cached_input_usd_per_mtok is not None else cached
            notes.append(f"long-context tier above {tier.above_tokens} tokens")
    if finetuned:
        if api.finetuned_input_usd_per_mtok is not None and api.finetuned_output_usd_per_mtok is not None:
            inp, out_ = api.finetuned_input_usd_per_mtok, api.finetuned_output_usd_per_mtok
            cached = None
            notes.append("fine-tuned model prices")
        elif api.finetune_train_usd_per_mtok is None:
            notes.append("no fine-tuning offered: base model prices")
    if cached is None:
        cached = inp
        if np.any(w.cached_input_share > 0):
            notes.append("no cache discount")
    discount = (api.batch_discount or 0.0) if w.batch else 0.0
    if discount:
        notes.append(f"batch discount {discount:.0%}")
    if api.context is not None and np.any(w.input_tokens + w.output_tokens > api.context):
        notes.append(f"request exceeds its {api.context}-token context")
    usd = money.api_usd_per_request(w.input_tokens, w.output_tokens, w.cached_input_share, inp, cached, out_, discount)
    return usd, notes


def _training_costs(cat: Catalog, sc: Scenario, opt: Option) -> tuple[float, float, float, list[str]]:
    """(one-time USD, periodic USD, period months, notes) of the lifecycle's training for one option.

    Owned GPUs pay the energy of the run (their depreciation is already in the monthly cost); rentals
    pay GPU-hours at their rate; APIs pay their fine-tuning price per trained token.
    """
    life = sc.lifecycle
    one, periodic, period, notes = 0.0, 0.0, 0.0, []
    if life is None:
        return one, periodic, period, notes
    model = sc.serving.model
    ft = life.finetune
    if ft is not None:
        tokens = ft.tokens * ft.epochs
        if opt.kind == lifecycle.API:
            assert opt.api is not None
            price = opt.api.finetune_train_usd_per_mtok
            cost = price * tokens / 1e6 if price is not None else 0.0
        else:
            assert opt.choice is not None
            rows, _ = runs.finetune_rows(cat, model, [opt.choice.label], ft.method, rank=ft.rank, tokens=ft.tokens,
                                         epochs=ft.epochs)
            row = rows[0]
            if row["fits"]:
                cost = float(row["energy_kwh"]) * cat.value("electricity_usd_per_kwh") if opt.kind == lifecycle.OWN else \
                    float(row["gpu_hours"]) * (opt.rental.usd_per_gpu_hour if opt.rental else 0.0)
                notes.append(f"{ft.method} fine-tune {float(row['wall_hours']):.1f} h per run")
            else:
                cost = 0.0
                notes.append(f"{ft.method} fine-tune does not fit on {opt.choice.label}")
        one += cost
        if ft.every_months:
            periodic, period = cost, ft.every_months
    pt = life.pretrain
    if pt is not None and opt.kind != lifecycle.API:
        assert opt.choice is not None
        count = pt.gpus or opt.choice.count
        rows, _ = runs.pretrain_rows(cat, model, [f"{count}x{opt.choice.gpu.id}"], None, pt.tokens)
        row = rows[0]
        if row["fits"]:
            energy = float(row["energy_kwh"]) * cat.value("electricity_usd_per_kwh")
            one += energy if opt.kind == lifecycle.OWN else float(row["gpu_hours"]) * (opt.rental.usd_per_gpu_hour if opt.rental else 0.0)
            notes.append(f"pre-training takes {float(row['wall_days']):,.0f} days on {count}x {opt.choice.gpu.id}")
        else:
            notes.append(f"pre-training needs {row['min_gpus']}x {opt.choice.gpu.id} to fit")
    return one, periodic, period, notes


@dataclass
class Prepared:
    """A scenario's options with their serving results and lifecycle inputs, before the lifecycle engine runs."""

    opts: list[Option]
    model: str
    ref: Api
    eco: dict[str, float]
    serve_out: dict[str, np.ndarray]
    index: dict[int, int]
    inputs: list[dict[str, float]]


def compare(cat: Catalog, sc: Scenario, vs: str | None = None, extra_apis: Sequence[str] = ()) -> Comparison:
    """Every option of the scenario costed over its horizon, with break-even and payback against `vs`."""
    return _finish(prepare(cat, sc, vs, extra_apis), sc)


def against_each_api(cat: Catalog, sc: Scenario, extra_apis: Sequence[str] = ()) -> dict[str, Comparison]:
    """`compare` with each of the scenario's APIs as the reference: the options are served and their
    training costed once; only the reference price changes between the lifecycle runs."""
    p = prepare(cat, sc, None, extra_apis)
    finetuned = sc.lifecycle is not None and sc.lifecycle.finetune is not None
    out = {}
    for o in p.opts:
        if o.api is not None:
            ref_usd, _ = api_price_per_request(o.api, sc, finetuned)
            rows = [{**row, "ref_api_usd_per_request": ref_usd} for row in p.inputs]
            out[o.api.id] = _finish(dataclasses.replace(p, ref=o.api, inputs=rows), sc)
    return out


def _finish(p: Prepared, sc: Scenario) -> Comparison:
    """Run the lifecycle engine on prepared options and turn the results into rows and a verdict."""
    opts, eco, serve_out, index = p.opts, p.eco, p.serve_out, p.index
    x = inputs.stack(p.inputs)
    res = lifecycle.lifecycle(x)
    flows = lifecycle.monthly_costs(x, int(eco["horizon_months"]))
    rows = [_row(o, p.model, res, serve_out, index, i) for i, o in enumerate(opts)]
    cumulative = {rows[i]["option"]: np.cumsum(flows["capex_usd"][i] + flows["opex_usd"][i]) for i in range(len(opts))
                  if rows[i]["fits"]}
    return Comparison(rows, verdict(rows, sc, p.ref.id, eco), p.ref.id, np.arange(1, int(eco["horizon_months"]) + 1), cumulative)


def prepare(cat: Catalog, sc: Scenario, vs: str | None = None, extra_apis: Sequence[str] = ()) -> Prepared:
    """The options of the scenario, their serving results and one lifecycle input row each (compare and sweep)."""
    w = sc.workload
    quant = cat.get("quantizations", sc.serving.quantization)
    engine = inputs.engine_for(cat, sc.serving.engine, quant)
    model = cat.get("models", sc.serving.model)
    eco = economics(cat, sc)
    opts = options(cat, sc, quant.id, engine.id, extra_apis)
    api_opts = [o for o in opts if o.api is not None]
    if not api_opts and vs is None:
        raise LlmcostError("the scenario names no API to compare against; add options.apis or --api")
    ref = cat.get("apis", vs) if vs else api_opts[0].api
    assert ref is not None
    finetuned = sc.lifecycle is not None and sc.lifecycle.finetune is not None
    ref_usd, _ = api_price_per_request(ref, sc, finetuned)
    peak = 1.0 if w.batch else (w.peak_to_average or cat.value("peak_to_average"))
    max_tpot = None if w.batch else sc.serving.max_tpot_ms

    hw = [o for o in opts if o.choice is not None]
    serve_out: dict[str, np.ndarray] = {}
    if hw:
        serve_out = serving.serve(inputs.stack([runs.serve_inputs(cat, model, o.choice, quant.id, engine.id, w.input_tokens,
                                                                  w.output_tokens, 0, max_tpot) for o in hw if o.choice]))
    index = {id(o): i for i, o in enumerate(hw)}
    base = []
    for o in opts:
        i = index.get(id(o))
        fits = bool(serve_out["fits"][i]) if i is not None else True
        cap = float(serve_out["requests_per_s"][i]) if i is not None and fits else 0.0
        row = _lifecycle_inputs(cat, sc, o, eco, peak, cap, ref_usd, finetuned)
        base.append(row)
    return Prepared(opts, model.id, ref, eco, serve_out, index, base)


def _lifecycle_inputs(cat: Catalog, sc: Scenario, o: Option, eco: dict[str, float], peak: float, cap: float,
                      ref_usd: float, finetuned: bool,
                      training: tuple[float, float, float] | None = None) -> dict[str, float]:
    """One lifecycle input row for an option. Numbers may be arrays of sampled values (llmcost.uncertainty),
    which then pass `training` = (one-time, periodic, period months) instead of costing the runs here."""
    w = sc.workload
    if training is None:
        one, periodic, period, notes = _training_costs(cat, sc, o)
        o.notes += notes
    else:
        one, periodic, period = training
    api_usd = 0.0
    if o.api is not None:
        api_usd, api_notes = api_price_per_request(o.api, sc, finetuned)
        o.notes += api_notes
    ch = o.choice
    gpu = ch.gpu if ch else None
    count = float(ch.count) if ch else 1.0
    host_usd, host_w = inputs.replica_host(cat, gpu, count, eco["host_usd"], eco["host_power_w"]) if gpu else (0.0, 0.0)
    return {
        "kind": float(o.kind), "requests_per_day": w.requests_per_day, "tokens_per_request": w.input_tokens + w.output_tokens,
        "peak_to_average": peak, "monthly_growth": w.monthly_growth, "horizon_months": eco["horizon_months"],
        "capacity_rps": cap, "gpus_per_replica": count,
        "unit_capex_usd": count * gpu_price_usd(gpu, sc.options.used) + host_usd if gpu else 0.0,
        "resale_fraction": _set_or(sc, "resale_fraction", inputs.resale_fraction(cat, gpu) if gpu else 0.0),
        "lifetime_months": eco["lifetime_months"],
        "idle_w": count * gpu.idle_power_w + host_w if gpu else 0.0,
        "busy_extra_w": count * (gpu.power_w - gpu.idle_power_w) if gpu else 0.0,
        "pue": _set_or(sc, "pue", inputs.pue(cat, gpu) if gpu else 1.0),
        "electricity_usd_per_kwh": eco["electricity_usd_per_kwh"], "ops_usd_per_month": eco["ops_usd_per_month"] if o.kind == lifecycle.OWN else 0.0,
        "rent_usd_per_gpu_hour": o.rental.usd_per_gpu_hour if o.rental else 0.0,
        "gpus_per_instance": float(o.rental.gpus_per_instance) if o.rental else 1.0,
        "serverless": o.rental is not None and o.rental.kind == "serverless",
        "api_usd_per_request": api_usd, "ref_api_usd_per_request": ref_usd,
        "one_time_usd": one, "periodic_usd": periodic, "period_months": period, "discount_rate": eco["discount_rate"],
    }


def _set_or(sc: Scenario, name: str, default: float) -> float:
    """The scenario's economics value when it sets one, else the per-class default."""
    value = getattr(sc.economics, name, None) if sc.economics is not None else None
    return _plain(value) if value is not None else default


def _state(value: float, kind: int, what: str) -> Any:
    if kind == lifecycle.API and what in ("breakeven", "payback"):
        return NA
    if not math.isfinite(value):
        return NEVER if what in ("breakeven", "payback") else NA
    return num(value)


def _row(o: Option, model: str, res: dict[str, np.ndarray], serve_out: dict[str, np.ndarray], index: dict[int, int], i: int) -> Row:
    kind = ("own", "rent", "api")[o.kind]
    j = index.get(id(o))
    fits = bool(serve_out["fits"][j]) if j is not None else not any("exceeds its" in n for n in o.notes)
    row: Row = {"option": o.label, "kind": kind, "model": model, "fits": fits}
    if not fits:
        for key in ("gpus_per_replica", "replicas", "capex_usd", "monthly_usd", "usd_per_mtok", "tco_usd",
                    "breakeven_tokens_per_day", "payback_months", "utilization", "capacity_tokens_per_day", "ttft_s", "tpot_s"):
            row[key] = DOES_NOT_FIT
        row["notes"] = "; ".join(o.notes if j is None else ["model does not fit", *o.notes])
        return row
    row["gpus_per_replica"] = o.choice.count if o.choice else NA
    row["replicas"] = num(res["replicas"][i]) if o.kind != lifecycle.API else NA
    row["capex_usd"] = num(res["capex_usd"][i])
    row["monthly_usd"] = num(res["monthly_usd"][i])
    row["usd_per_mtok"] = _state(res["usd_per_mtok"][i], o.kind, "price")
    row["tco_usd"] = num(res["tco_usd"][i])
    row["breakeven_tokens_per_day"] = _state(res["breakeven_tokens_per_day"][i], o.kind, "breakeven")
    row["payback_months"] = _state(res["payback_months"][i], o.kind, "payback")
    row["utilization"] = num(res["utilization"][i]) if o.kind != lifecycle.API else NA
    row["capacity_tokens_per_day"] = _state(res["capacity_tokens_per_day"][i], o.kind, "capacity")
    row["ttft_s"] = num(serve_out["ttft_s"][j]) if j is not None else NA
    row["tpot_s"] = num(serve_out["tpot_s"][j]) if j is not None else NA
    slow = ["misses the latency target"] if j is not None and not serve_out["meets_latency"][j] else []
    row["notes"] = "; ".join([*o.notes, *slow])
    return row


def _money(v: float) -> str:
    return f"${v:,.0f}" if abs(v) >= 100 else f"${v:,.2f}"


def verdict(rows: Sequence[Row], sc: Scenario, ref: str, eco: dict[str, float]) -> str:
    """Plain-language summary: cheapest option at this volume, and when owning beats the reference API."""
    w = sc.workload
    ok = [r for r in rows if r["fits"] and isinstance(r["tco_usd"], (int, float))]
    if not ok:
        return "No option fits this scenario."
    best = min(ok, key=lambda r: r["tco_usd"])
    tokens_day = w.requests_per_day * (w.input_tokens + w.output_tokens)
    horizon = eco["horizon_months"]
    lines = [f"At {w.requests_per_day:,.0f} requests/day ({tokens_day:,.0f} tokens/day), the cheapest option over "
             f"{horizon:g} months is {best['option']} ({_money(best['tco_usd'])} total, {_money(best['monthly_usd'])}/month)."]
    own = [r for r in ok if r["kind"] == "own"]
    if own:
        o = min(own, key=lambda r: r["tco_usd"])
        be, pb = o["breakeven_tokens_per_day"], o["payback_months"]
        if be == NEVER:
            lines.append(f"{o['option']} never beats {ref} per token at any volume one replica can carry.")
        else:
            pb_text = ("never pays back" if pb == NEVER else "is cheaper from month one" if pb == 0
                       else f"pays back in {pb:.1f} months" if pb <= horizon
                       else f"would pay back only after {pb:,.0f} months, beyond the {horizon:g}-month horizon")
            lines.append(f"{o['option']} beats {ref} above {be:,.0f} tokens/day and at this volume {pb_text}.")
    unfit = [r["option"] for r in rows if not r["fits"]]
    if unfit:
        lines.append(f"Does not fit: {', '.join(unfit)}.")
    return " ".join(lines)


def breakeven_rows(cat: Catalog, sc: Scenario, apis: Sequence[str] = ()) -> list[Row]:
    """Long-form break-even table: every own and rent option against every API."""
    out = []
    for api_id, comp in against_each_api(cat, sc, apis).items():
        for r in comp.rows:
            if r["kind"] == "api":
                continue
            out.append({"option": r["option"], "kind": r["kind"], "api": api_id, "fits": r["fits"],
                        "breakeven_tokens_per_day": r["breakeven_tokens_per_day"], "payback_months": r["payback_months"],
                        "monthly_usd": r["monthly_usd"],
                        "api_monthly_usd": next(a["monthly_usd"] for a in comp.rows if a["option"] == f"api {api_id}")})
    return out


ROW_KEYS = ("option", "kind", "model", "fits", "gpus_per_replica", "replicas", "capex_usd", "monthly_usd", "usd_per_mtok",
            "tco_usd", "breakeven_tokens_per_day", "payback_months", "utilization", "capacity_tokens_per_day", "ttft_s",
            "tpot_s", "notes")
"""Keys of every compare row, in order (the CSV header)."""


def explain(cat: Catalog, sc: Scenario, result: Comparison) -> str:
    """The scenario's values, the economics with where each came from, and the formulas behind the columns."""
    eco = economics(cat, sc)
    w = sc.workload
    lines = [f"scenario {sc.id}: {sc.description}",
             f"  workload: {w.requests_per_day:g} requests/day x ({w.input_tokens:g} in + {w.output_tokens:g} out) tokens, "
             f"cached share {w.cached_input_share:g}, growth {w.monthly_growth:g}/month, batch {w.batch}",
             f"  serving: {sc.serving.model} as {sc.serving.quantization} on {sc.serving.engine}, max TPOT "
             f"{sc.serving.max_tpot_ms or 'none'} ms",
             "  economics (scenario value, else profiles/assumptions.yaml):"]
    for name, value in eco.items():
        given = sc.economics is not None and getattr(sc.economics, name, None) is not None
        src = "scenario" if given else f"assumption [{cat.assumptions[name].source}]"
        lines.append(f"    {name} = {value:g}    <- {src}")
    peak = sc.workload.peak_to_average
    lines.append(f"    peak_to_average = {1.0 if w.batch else peak or cat.value('peak_to_average'):g}    <- "
                 + ("batch work runs evenly" if w.batch else "scenario" if peak else f"assumption [{cat.assumptions['peak_to_average'].source}]"))
    lines += [
        "formulas (llmcost/engine/lifecycle.py):",
        "  replicas = ceil(requests/day / 86400 x peak_to_average / capacity requests/s per replica)  (serving engine at the latency target)",
        "  own monthly = replicas x capex x (1 - resale) / lifetime + replicas x (idle W + (board - idle) W x utilisation) x 730 h x PUE x $/kWh + ops",
        "  rent monthly = billed GPUs x $/GPU-h x 730 (serverless: busy GPU-hours only)",
        "  api monthly = requests/day x 30.42 x (input x (uncached x in + cached x cache) + output x out) / 1e6 x (1 - batch discount)",
        "  usd_per_mtok = month-1 cost / month-1 tokens (input + output) x 1e6",
        "  tco_usd = purchases + running costs + one-time training over the horizon - residual value (NPV when discount_rate > 0)",
        "  breakeven_tokens_per_day = fixed monthly per replica / (30.42 x (API $/token - marginal $/token)), within one replica's capacity",
        f"  payback_months = first month where cumulative {result.reference} cost reaches the option's cumulative cash cost",
        "assumptions used:",
    ]
    for name in ("resale_fraction", "resale_fraction_datacenter", "pue_datacenter", "usable_memory_fraction",
                 "runtime_overhead_gib", "kv_cache_bytes", "datacenter_host_usd_per_gpu", "datacenter_host_power_w_per_gpu"):
        a = cat.assumptions[name]
        lines.append(f"  {name} = {a.value:g}    [{a.source}] {a.rationale}")
    for r in result.rows:
        if r["notes"]:
            lines.append(f"note: {r['option']}: {r['notes']}")
    return "\n".join(lines) + "\n"
