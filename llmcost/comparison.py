"""The compare pipeline: a scenario's own, rent and API options through the serving and lifecycle engines.

One pipeline serves `compare` (one row per option), `breakeven` (the lifecycle re-run per reference
API), sweeps (rows per option x grid point) and Monte Carlo (rows per option x sample): every number of
the scenario and of the assumptions may be an array of `n` values (`llmcost.scenarios.with_values`,
`llmcost.uncertainty.sampling.with_assumption_values`), and `evaluate` returns options x n rows, option-major.

    options.build -> evaluate: GPU counts, serving engine, training runs, lifecycle inputs,
                     lifecycle engine -> Evaluation.table() (a results.Table) -> Comparison
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from llmcost import hosting, inputs, options, quality, results, trends
from llmcost.catalog import Catalog, api_model
from llmcost.engine import lifecycle, money, serverless, serving
from llmcost.errors import LlmcostError
from llmcost.notes import Note, join_notes, text_notes, value_notes
from llmcost.options import API, OWN, RENT, Option
from llmcost.results import MISSES_TARGET, NA, NEVER, Table, num
from llmcost.schema import Api, Scenario
from llmcost.training_runs import Training, api_fees, option_training

Row = dict[str, Any]

ROW_KEYS = ("option", "kind", "model", "fits", "gpus_per_replica", "host", "replicas", "capex_usd", "monthly_usd", "usd_per_mtok",
            "tco_usd", "breakeven_tokens_per_day", "payback_months", "utilization", "peak_utilization", "capacity_tokens_per_day",
            "ttft_s", "tpot_s", "itl_s", "quality_score", "quality_benchmark", "notes")
"""Keys of every compare row, in order (the CSV header)."""

UNFIT_KEYS = frozenset(ROW_KEYS[ROW_KEYS.index("replicas"):ROW_KEYS.index("itl_s") + 1]) | {"gpus_per_replica"}
NEVER_KEYS = frozenset({"breakeven_tokens_per_day", "payback_months", "ttft_s"})
"""ttft_s is "never" where the peak arrival rate reaches a replica's capacity (the queue grows without bound)."""
# ---------------------------------------------------------------------------------------------- inputs


def economics(cat: Catalog, sc: Scenario) -> dict[str, Any]:
    """The scenario's economics with defaults filled in (llmcost.hosting.economics), months checked."""
    out = hosting.economics(cat, sc)
    for n in ("horizon_months", "lifetime_months"):
        if not np.all((np.asarray(out[n]) > 0) & (np.asarray(out[n]) <= 1200)):
            bad = float(np.max(out[n])) if np.any(np.asarray(out[n]) > 1200) else float(np.min(out[n]))
            raise LlmcostError(f"{n} = {bad:g}: expected more than 0 and at most 1200 months (100 years)")
    return out


def _plain(value: Any) -> Any:
    """A scenario number as a plain float; arrays (sweeps, samples) pass through."""
    return value if isinstance(value, np.ndarray) else float(value)


def peak_factor(cat: Catalog, sc: Scenario) -> Any:
    """Peak over average request rate, for every workload: the scenario's peak_to_average; else 24 / its processing
    window (the hours a day its requests arrive in); else, for batch work, 24 / batch_window_hours (an overnight run);
    else the interactive default peak_to_average."""
    w = sc.workload
    if w.peak_to_average is not None:
        return _plain(w.peak_to_average)
    if w.window_hours is not None:
        return 24.0 / _plain(w.window_hours)
    if w.batch:
        return 24.0 / cat.value("batch_window_hours")
    return cat.value("peak_to_average")


def peak_source(cat: Catalog, sc: Scenario) -> str:
    """Where peak_factor's value comes from (for --explain)."""
    w = sc.workload
    if w.peak_to_average is not None:
        return "scenario workload.peak_to_average"
    if w.window_hours is not None:
        return "24 / scenario workload.window_hours"
    if w.batch:
        return f"24 / batch_window_hours [{cat.assumptions['batch_window_hours'].source}]"
    return f"assumption [{cat.assumptions['peak_to_average'].source}]"


def api_price_per_request(api: Api, sc: Scenario, finetuned: bool) -> tuple[Any, list[Note]]:
    """USD per request for this workload: context tier by prompt length, cache share, batch discount,
    fine-tuned-model prices when the lifecycle fine-tunes. Token counts may be arrays: a tier then applies
    per row, and its note says on which rows."""
    w = sc.workload
    notes: list[Note] = []
    inp: Any = api.input_usd_per_mtok
    out_: Any = api.output_usd_per_mtok
    cached: Any = api.cached_input_usd_per_mtok
    for tier in sorted(api.context_tiers, key=lambda t: t.above_tokens):
        above = np.asarray(w.input_tokens) > tier.above_tokens
        if not above.any():
            continue
        tier_cached = tier.cached_input_usd_per_mtok if tier.cached_input_usd_per_mtok is not None else cached
        cached = None if tier_cached is None else np.where(above, tier_cached, cached if cached is not None else inp)
        inp, out_ = np.where(above, tier.input_usd_per_mtok, inp), np.where(above, tier.output_usd_per_mtok, out_)
        notes.append((f"long-context tier above {tier.above_tokens} tokens", above))
    if finetuned and api.finetuned_input_usd_per_mtok is not None and api.finetuned_output_usd_per_mtok is not None:
        inp, out_ = api.finetuned_input_usd_per_mtok, api.finetuned_output_usd_per_mtok
        cached = None
        notes.append(("fine-tuned model prices", True))
    if cached is None:
        cached = inp
        if np.any(np.asarray(w.cached_input_share) > 0):
            notes.append(("no cache discount", np.asarray(w.cached_input_share) > 0))
    discount = (api.batch_discount or 0.0) if w.batch else 0.0
    if discount:
        notes.append((f"batch discount {discount:.0%}", True))
    if api.context is not None:
        over = np.asarray(w.input_tokens + w.output_tokens) > api.context
        if over.any():
            notes.append((f"request exceeds its {api.context}-token context", over))
    usd = money.api_usd_per_request(w.input_tokens, w.output_tokens, w.cached_input_share, inp, cached, out_, discount)
    return usd, notes


def api_fits(api: Api, sc: Scenario) -> Any:
    """Whether a request (input + output tokens) fits the API's context window."""
    w = sc.workload
    return True if api.context is None else np.asarray(w.input_tokens + w.output_tokens) <= api.context


NO_BOX: Mapping[str, Any] = {"capex_usd": 0.0, "idle_w": 0.0, "busy_extra_w": 0.0, "pue": 1.0, "electricity_usd_per_kwh": 0.0,
                             "ops_usd_per_month": 0.0, "colocation_usd_per_month": 0.0, "failures_usd_per_month": 0.0}
"""The lifecycle's hardware inputs of an option without GPUs (an API)."""


def lifecycle_inputs(cat: Catalog, sc: Scenario, opt: Option, eco: Mapping[str, Any], count: Any, capacity_rps: Any,
                     api_usd: Any, ref_usd: Any, train: Training, ref_fees: Training, box: Mapping[str, Any] | None,
                     resale: Any) -> dict[str, Any]:
    """One option's lifecycle engine inputs (llmcost.engine.lifecycle.monthly_costs); values may be arrays.
    `box` is the option's llmcost.hosting.replica_costs (None for APIs); rentals pay no upkeep."""
    w = sc.workload
    b = box if box is not None else NO_BOX
    upkeep = b["ops_usd_per_month"] + b["colocation_usd_per_month"] + b["failures_usd_per_month"]
    return {
        "kind": float(opt.kind), "requests_per_day": w.requests_per_day, "tokens_per_request": w.input_tokens + w.output_tokens,
        "peak_to_average": peak_factor(cat, sc), "monthly_growth": w.monthly_growth, "horizon_months": eco["horizon_months"],
        "capacity_rps": capacity_rps, "gpus_per_replica": count if box is not None else 1.0,
        "unit_capex_usd": b["capex_usd"], "resale_fraction": resale, "lifetime_months": eco["lifetime_months"],
        "idle_w": b["idle_w"], "busy_extra_w": b["busy_extra_w"], "pue": b["pue"],
        "electricity_usd_per_kwh": b["electricity_usd_per_kwh"],
        "upkeep_usd_per_month": upkeep if opt.kind == OWN else 0.0,
        "rent_usd_per_gpu_hour": opt.rental.usd_per_gpu_hour if opt.rental else 0.0,
        "gpus_per_instance": float(opt.rental.gpus_per_instance) if opt.rental else 1.0,
        "serverless": opt.rental is not None and opt.rental.kind == "serverless",
        "api_usd_per_request": api_usd, "ref_api_usd_per_request": ref_usd,
        "one_time_usd": train.one_time_usd, "periodic_usd": train.periodic_usd, "period_months": train.period_months,
        "ref_one_time_usd": ref_fees.one_time_usd, "ref_periodic_usd": ref_fees.periodic_usd, "start_months": train.start_months,
        "discount_rate": eco["discount_rate"],
        **trends.lifecycle_inputs(cat, sc, opt.gpu if box is not None else None, count),  # price trends (issue #12)
    }


# ---------------------------------------------------------------------------------------------- evaluation


def not_an_alternative(api: Api, sc: Scenario) -> str:
    """Why an API is no alternative to what the scenario serves ('' when it is): a fine-tuned model can only be had
    from an API that fine-tunes it (one that sells fine-tuning) or serves it."""
    if finetuned(sc) and api.finetune_train_usd_per_mtok is None:
        return f"sells no fine-tuning: not an alternative to a fine-tuned {sc.serving.model}"
    return ""


def reference_api(cat: Catalog, sc: Scenario, opts: Sequence[Option], vs: str | None) -> Api:
    """The API break-even and payback are measured against: `vs`, else the first API option that is an alternative."""
    if vs == quality.CHEAPEST_AT_QUALITY:
        return cheapest_at_quality(sc, opts)
    if vs:
        api: Api = cat.get("apis", vs)
        why = not_an_alternative(api, sc)
        if why:
            able = [o.api.id for o in opts if o.api is not None and not not_an_alternative(o.api, sc)]
            raise LlmcostError(f"--vs {vs}: it {why}; compare against one that fine-tunes it: {', '.join(able) or 'none in the scenario'}")
        return api
    for o in opts:
        if o.api is not None and not not_an_alternative(o.api, sc):
            return o.api
    if any(o.api is not None for o in opts):
        raise LlmcostError("no API of the scenario sells fine-tuning, so none is an alternative to a fine-tuned model; add one "
                           "(e.g. --api openai/gpt-4o-mini)")
    floor = "" if sc.options.min_quality is None else f" that clears options.min_quality {sc.options.min_quality:g}"
    raise LlmcostError(f"the scenario names no API{floor} to compare against; add options.apis or --api")


def cheapest_at_quality(sc: Scenario, opts: Sequence[Option]) -> Api:
    """`--vs cheapest-at-quality` (issue #12): the API option with the lowest price per request for this workload
    (the mean over rows when numbers are arrays) among those that score at least the floor on the comparison's
    benchmark: options.min_quality, else the served model's own score (an API at least as good as self-hosting);
    an API that is no alternative to a fine-tuned model is left out."""
    floor = sc.options.min_quality
    if floor is None:
        floor = next((o.quality_score for o in opts if o.gpu is not None), None)
    apis = [o for o in opts if o.api is not None and o.quality_score is not None and (floor is None or o.quality_score >= floor)
            and not not_an_alternative(o.api, sc)]
    bench = opts[0].quality_benchmark if opts else quality.HEADLINE
    if floor is None or not apis:
        what = f"scores at least {floor:g} on {bench}" if floor is not None else "has a score to compare (set --min-quality)"
        raise LlmcostError(f"--vs {quality.CHEAPEST_AT_QUALITY}: no API option {what}; add APIs with --api or lower the floor")
    price = [float(np.mean(api_price_per_request(o.api, sc, finetuned(sc))[0])) for o in apis if o.api is not None]
    best = apis[int(np.argmin(price))].api
    assert best is not None
    return best


def gpu_counts(cat: Catalog, sc: Scenario, opts: Sequence[Option], n: int) -> dict[tuple[str, int | None], np.ndarray]:
    """GPUs per replica of every hardware option, per row: the count given, or the fewest of
    AUTO_GPU_COUNTS that hold the model and one sequence (the most when none does)."""
    quant = cat.get("quantizations", sc.serving.quantization)
    model = cat.get("models", sc.serving.model)
    w = sc.workload
    out: dict[tuple[str, int | None], np.ndarray] = {}
    auto = []
    for o in opts:
        if o.gpu is None or (o.gpu.id, o.count) in out:
            continue
        if o.count is not None:
            out[(o.gpu.id, o.count)] = np.full(n, float(o.count))
        elif o.gpu.interconnect == "none":  # works alone: one per replica
            out[(o.gpu.id, None)] = np.ones(n)
        else:
            out[(o.gpu.id, None)] = np.zeros(n)
            auto.append(o.gpu)
    if auto:
        cands = options.AUTO_GPU_COUNTS
        rows = [inputs.serve_inputs(cat, model, g, float(c), quant.id, inputs.engine_for(cat, sc.serving.engine, quant, g).id,
                                    w.input_tokens, w.output_tokens, 1.0, None) for g in auto for c in cands]
        fits = serve_rows(rows, n)["fits"].reshape(len(auto), len(cands), n)
        first = np.argmax(fits, axis=1)
        chosen = np.where(fits.any(axis=1), np.asarray(cands, dtype=float)[first], float(cands[-1]))
        for g, c in zip(auto, chosen, strict=True):
            out[(g.id, None)] = c
    return out


def serve_rows(rows: Sequence[Mapping[str, Any]], n: int) -> dict[str, np.ndarray]:
    """The serving engine on each input row x n values, shaped (rows, n). Rows whose inputs are all single
    values (nothing swept or sampled reaches serving) run once and are broadcast."""
    def constant(v: Any) -> bool:
        return np.ndim(v) == 0 or bool(np.all(np.asarray(v) == np.asarray(v).flat[0]))

    if all(constant(v) for r in rows for v in r.values()):
        once = serving.serve(inputs.stack([{k: np.asarray(v).flat[0] for k, v in r.items()} for r in rows]))
        return {k: np.repeat(v[:, None], n, axis=1) for k, v in once.items()}
    return {k: v.reshape(len(rows), n) for k, v in serving.serve(inputs.stack(rows, n)).items()}


@dataclass
class Evaluation:
    """Options x n rows through the engines (option-major), before rows are made."""

    opts: list[Option]
    n: int
    model: str
    ref: Api
    counts: list[np.ndarray]  # GPUs per replica per option (zeros for APIs)
    fits: np.ndarray  # (options, n)
    ttft_s: np.ndarray  # (options, n), NaN for APIs
    tpot_s: np.ndarray
    itl_s: np.ndarray
    meets_latency: np.ndarray
    notes: list[list[Note]]
    hosts: np.ndarray  # (options, n) host label of owned options, '' otherwise
    x: dict[str, np.ndarray]  # lifecycle inputs, options x n rows
    res: dict[str, np.ndarray] = field(default_factory=dict)
    boundary_margin: float = 0.05  # a load this close to a replica boundary is noted (replica_boundary_margin)

    def with_reference(self, cat: Catalog, sc: Scenario, api: Api) -> Evaluation:
        """The same options re-costed against another reference API (only the lifecycle runs again)."""
        ref_usd, _ = api_price_per_request(api, sc, finetuned(sc))
        fees = api_fees(api, sc)
        k = len(self.opts)
        x = {**self.x, "ref_api_usd_per_request": np.tile(np.broadcast_to(np.asarray(ref_usd, dtype=float), (self.n,)), k),
             "ref_one_time_usd": np.full(k * self.n, float(fees.one_time_usd)),
             "ref_periodic_usd": np.full(k * self.n, float(fees.periodic_usd))}
        return dataclasses.replace(self, ref=api, x=x, res=lifecycle.evaluate(x))

    def with_x(self, x: dict[str, np.ndarray]) -> Evaluation:
        """The same options with other lifecycle inputs (only the lifecycle runs again)."""
        return dataclasses.replace(self, x=x, res=lifecycle.evaluate(x))

    def table(self) -> Table:
        """One row per option and value (option-major), the compare row keys."""
        k, n = len(self.opts), self.n
        kind = np.repeat([o.kind for o in self.opts], n)
        api = kind == API
        fits = self.fits.reshape(-1)
        res = self.res
        nan = np.full(k * n, np.nan)

        def per_kind(v: np.ndarray, hw_only: bool = True) -> np.ndarray:
            return np.where(api, np.nan, v) if hw_only else v

        def finite_or_nan(v: np.ndarray) -> np.ndarray:
            return np.where(np.isfinite(v), v, np.nan)

        counts = np.concatenate([np.where(o.gpu is not None, c, np.nan) for o, c in zip(self.opts, self.counts, strict=True)])
        label = np.concatenate([options.labels(o, c) for o, c in zip(self.opts, self.counts, strict=True)])
        cols: dict[str, np.ndarray] = {
            "option": label,
            "kind": results.text_column([o.kind_name for o in self.opts for _ in range(n)]),
            "model": results.text_column([api_model(o.api) if o.api is not None else self.model for o in self.opts for _ in range(n)]),
            "fits": fits,
            "gpus_per_replica": counts,
            "host": self.hosts.reshape(-1) if k else results.text_column([]),
            "replicas": per_kind(res["replicas"]),
            "capex_usd": res["capex_usd"],
            "monthly_usd": res["monthly_usd"],
            "usd_per_mtok": finite_or_nan(res["usd_per_mtok"]),
            "tco_usd": res["tco_usd"],
            "breakeven_tokens_per_day": per_kind(res["breakeven_tokens_per_day"]),
            "payback_months": per_kind(res["payback_months"]),
            "utilization": per_kind(res["utilization"]),
            "peak_utilization": per_kind(res["peak_utilization"]),
            "capacity_tokens_per_day": per_kind(finite_or_nan(res["capacity_tokens_per_day"])),
            "ttft_s": self.ttft_s.reshape(-1) if k else nan,
            "tpot_s": self.tpot_s.reshape(-1) if k else nan,
            "itl_s": self.itl_s.reshape(-1) if k else nan,
            # quality beside cost (issue #12): the option's score on the comparison's benchmark (NaN = n/a)
            "quality_score": np.repeat([np.nan if o.quality_score is None else o.quality_score for o in self.opts], n),
            "quality_benchmark": results.text_column([o.quality_benchmark for o in self.opts for _ in range(n)]),
            "notes": self.notes_column(),
        }
        return Table(cols, fits, UNFIT_KEYS, NEVER_KEYS)

    def notes_column(self) -> np.ndarray:
        """Each row's notes joined with '; ': the option's, per-row ones, and the fit and latency states."""
        parts = []
        for i, o in enumerate(self.opts):
            notes = list(self.notes[i])
            if o.gpu is not None:
                notes = [("model does not fit", ~self.fits[i]), *notes, (MISSES_TARGET, self.fits[i] & ~self.meets_latency[i]),
                         *boundary_notes(self, i), *consistency_notes(self, i)]
            parts.append(join_notes(notes, self.n))
        return np.concatenate(parts) if parts else results.text_column([])


NO_SERVERLESS: Mapping[str, Any] = {"min_workers": 0.0, "latency_s": 0.0, "latency_slope_s": 0.0, "capacity_latency_s": 0.0,
                                    "idle_timeout_s": 0.0, "cold_start_s": 0.0}
"""Serverless billing inputs of an option that is not a serverless offer."""


def is_serverless(opt: Option) -> bool:
    return opt.rental is not None and opt.rental.kind == "serverless"


def serverless_billing(cat: Catalog, sc: Scenario, opt: Option, served: Mapping[str, np.ndarray], j: int,
                       quiet: Mapping[str, np.ndarray], jq: int, fits: Any) -> tuple[dict[str, Any], list[Note]]:
    """A serverless offer's billing inputs (llmcost.engine.serverless) and notes: one request's latency at batch 1
    and at the capacity batch (the serving engine's), the offer's idle timeout and always-on workers, and a cold
    start = the offer's worker start + the model's weights / serverless_load_gb_per_s."""
    assert opt.rental is not None
    rent = opt.rental
    with np.errstate(divide="ignore", invalid="ignore"):
        one = np.where(fits, 1.0 / quiet["requests_per_s"][jq], 0.0)
        batch = served["concurrency"][j]
        full = np.where(fits, batch / served["requests_per_s"][j], 0.0)
        slope = np.where(fits & (batch > 1), (full - one) / (batch - 1.0), 0.0)
    cold = (rent.cold_start_s or 0.0) + served["weights_bytes"][j] / (cat.value("serverless_load_gb_per_s") * 1e9)
    x = {"min_workers": float(rent.min_workers), "latency_s": one, "latency_slope_s": slope, "capacity_latency_s": full,
         "idle_timeout_s": float(rent.idle_timeout_s or 0.0), "cold_start_s": cold}
    w = sc.workload
    peak = peak_factor(cat, sc)
    workers = lifecycle.replicas_needed(w.requests_per_day, peak, np.where(fits, served["requests_per_s"][j], 0.0))
    lam = np.asarray(w.requests_per_day, dtype=float) / 86400.0 * peak / workers
    latency = serverless.request_latency_s(lam, one, slope, full)
    flex = np.maximum(workers - rent.min_workers, 0.0)
    starts = serverless.cold_starts_per_s(lam, latency, x["idle_timeout_s"], cold) * 86400.0 / peak * flex
    hours = serverless.worker_hours_per_day(w.requests_per_day, peak, workers, rent.min_workers, one, slope, full,
                                            x["idle_timeout_s"], cold)
    notes = value_notes("serverless: billed {:,.1f} worker-hours a day", hours, fits)
    if rent.min_workers:
        notes.append((f"{rent.min_workers} always-on worker{'s' if rent.min_workers > 1 else ''}", True))
    notes += value_notes("{:,.0f} cold starts a day", starts, fits & (starts >= 0.5))
    notes += value_notes(f"cold start {{:,.0f}} s (worker start and weights), idle timeout {x['idle_timeout_s']:g} s", cold, fits)
    return x, notes


def host_notes(box: Mapping[str, Any], serves: Any) -> list[Note]:
    """Why no host carries an owned option's cards (where its model does fit), and that a rack server runs in a
    datacenter (colocation and the industrial tariff)."""
    out = text_notes(np.broadcast_to(np.asarray(box["reason"], dtype=object), np.shape(serves)), serves)
    dc = np.asarray(box["datacenter"]) & np.asarray(box["fits"])
    if np.any(dc):
        out.append(("in a datacenter: colocation and industrial electricity", dc))
    return out


def _rows(ev: Evaluation, i: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Option i's lifecycle inputs and results, n rows each."""
    sl = slice(i * ev.n, (i + 1) * ev.n)
    return {k: np.asarray(v)[sl] for k, v in ev.x.items()}, {k: v[sl] for k, v in ev.res.items()}


def boundary_notes(ev: Evaluation, i: int) -> list[Note]:
    """A replica count that a load within `boundary_margin` of one replica's capacity decides (a rounding cliff)."""
    x, r = _rows(ev, i)
    reps = r["replicas"]
    load = reps * r["peak_utilization"]  # peak load in replicas' worth of capacity
    fits = ev.fits[i]
    over = fits & (reps >= 2) & (load - (reps - 1) <= ev.boundary_margin) & (load > reps - 1)
    under = fits & (reps - load <= ev.boundary_margin) & (load < reps) & (load > 0)
    texts = np.full(ev.n, "", dtype=object)
    for j in np.flatnonzero(over).tolist():
        texts[j] = (f"peak load is {load[j]:.4g}x one replica's capacity: {reps[j]:.0f} replicas, where "
                    f"{(load[j] - reps[j] + 1) / load[j]:.2%} less volume (or faster serving) would need {reps[j] - 1:.0f}")
    for j in np.flatnonzero(under & ~over).tolist():
        texts[j] = (f"peak load is {load[j]:.4g}x one replica's capacity: {(reps[j] - load[j]) / load[j]:.2%} more volume "
                    f"needs {reps[j] + 1:.0f} replicas")
    return text_notes(texts)


def consistency_notes(ev: Evaluation, i: int) -> list[Note]:
    """Explanations where the columns seem to disagree: a payback past the hardware's life, a break-even above today's
    volume with a finite payback (payback counts cash, break-even depreciation net of resale), a break-even below
    today's volume without payback, and a TCO below the reference API's that never pays back in cash."""
    x, r = _rows(ev, i)
    o = ev.opts[i]
    ref = ev.ref.id
    fits = ev.fits[i]
    be, pb = r["breakeven_tokens_per_day"], r["payback_months"]
    today = x["requests_per_day"] * x["tokens_per_request"]
    life, horizon = x["lifetime_months"], x["horizon_months"]
    serves = fits & (x["start_months"] < horizon)
    out: list[Note] = []
    if o.kind == OWN:
        out += value_notes(f"the payback comes after the hardware's {float(np.max(life)):g}-month life: it is worn out before "
                           "it has paid for itself", pb, serves & np.isfinite(pb) & (pb > life))
        out.append((f"its break-even lies above today's volume, so it costs more each month than {ref} once depreciation is "
                    "counted; the payback counts cash only", serves & np.isfinite(pb) & np.isfinite(be) & (be > today)))
        out.append((f"it never beats {ref} per token within one replica's capacity, so it costs more each month than {ref} once "
                    "depreciation is counted; the payback counts cash only", serves & np.isfinite(pb) & np.isinf(be)))
    if o.kind == RENT:
        first_month = x["ref_api_usd_per_request"] * x["requests_per_day"] * lifecycle.DAYS_PER_MONTH
        out.append((f"cheaper than {ref} in its first month, but {ref}'s prices fall faster "
                    f"(economics.{trends.API_KEY}), so over the horizon {ref} costs less",
                    serves & np.isinf(pb) & (r["monthly_usd"] < first_month) & (x[trends.API_KEY] > 0)))
    out.append((f"its break-even lies below today's volume, but today's load needs more than one replica and the extra ones "
                f"do not pay for themselves against {ref}", serves & np.isinf(pb) & (be <= today) & (r["replicas"] > 1)))
    out.append((f"cheaper than {ref} over the horizon only through the hardware's resale value at its end; in cash it does "
                "not pay back within the horizon", serves & (r["tco_usd"] < r["reference_tco_usd"]) & ~(pb <= horizon)))
    return out


def finetuned(sc: Scenario) -> bool:
    return sc.lifecycle is not None and sc.lifecycle.finetune is not None


@dataclass
class Served:
    """The serving engine's figures per distinct (GPU id, count) of a comparison: at the chosen batch, and at batch 1
    for the serverless offers (each shape (choices, n))."""

    at: dict[tuple[str, int | None], int]
    rows: dict[str, np.ndarray]
    quiet_at: dict[tuple[str, int | None], int]
    quiet: dict[str, np.ndarray]


def serve_options(cat: Catalog, sc: Scenario, opts: Sequence[Option], count_of: Mapping[tuple[str, int | None], Any],
                  n: int) -> Served:
    """One serving run per distinct (GPU, count) choice (own and rent options of a GPU share it), and one at batch 1
    for the choices a serverless offer bills (a request's latency at the batch its arrival rate makes)."""
    quant = cat.get("quantizations", sc.serving.quantization)
    model = cat.get("models", sc.serving.model)
    w = sc.workload
    gpus = {o.gpu.id: o.gpu for o in opts if o.gpu is not None}
    max_tpot = None if w.batch else sc.serving.max_tpot_ms

    def run(keys: list[tuple[str, int | None]], concurrency: float) -> dict[str, np.ndarray]:
        if not keys:
            return {}
        rows = [inputs.serve_inputs(cat, model, gpus[g], count_of[(g, c)], quant.id,
                                    inputs.engine_for(cat, sc.serving.engine, quant, gpus[g]).id, w.input_tokens, w.output_tokens,
                                    concurrency, max_tpot, w.cached_input_share) for g, c in keys]
        out = serve_rows(rows, n)
        out["request_overhead_s"] = np.array([np.broadcast_to(np.asarray(r["request_overhead_s"], dtype=float), (n,))
                                              for r in rows]).reshape(len(rows), n)
        return out

    keys = list(dict.fromkeys((o.gpu.id, o.count) for o in opts if o.gpu is not None))
    quiet = list(dict.fromkeys((o.gpu.id, o.count) for o in opts if o.gpu is not None and is_serverless(o)))
    return Served({key: j for j, key in enumerate(keys)}, run(keys, 0.0), {key: j for j, key in enumerate(quiet)}, run(quiet, 1.0))


@dataclass
class OptionRows:
    """One option through the serving engine, hosts and training, before the lifecycle: n rows each."""

    fits: Any
    count: Any
    notes: list[Note]
    inputs: dict[str, Any]
    host: Any = ""
    tpot_s: Any = np.nan
    itl_s: Any = np.nan
    meets_latency: Any = True
    queue: Mapping[str, Any] = field(default_factory=dict)  # the serving figures queued_ttft reads (own and rent)


def hardware_option(cat: Catalog, sc: Scenario, eco: Mapping[str, Any], o: Option, count: Any, served: Served,
                    ref_usd: Any, ref_fees: Training) -> OptionRows:
    """An own or rent option: capacity from the serving engine, its host box (own), its serverless billing (a
    serverless offer), its training runs, and its lifecycle inputs."""
    assert o.gpu is not None
    j = served.at[(o.gpu.id, o.count)]
    s = served.rows
    fits = np.array(s["fits"][j], dtype=bool)
    capacity = np.where(fits, s["requests_per_s"][j], 0.0)
    notes: list[Note] = [(t, True) for t in o.notes]
    quant = cat.get("quantizations", sc.serving.quantization)
    cal = inputs.calibration_for(cat, o.gpu.id, inputs.engine_for(cat, sc.serving.engine, quant, o.gpu).id, quant.id)
    if cal is not None:
        notes.append((f"calibrated ({cal.id}, {cal.as_of})", True))
    box = hosting.replica_costs(cat, eco, o.gpu, count, sc.options.used)
    billing = dict(NO_SERVERLESS)
    if is_serverless(o):
        billing, more = serverless_billing(cat, sc, o, s, j, served.quiet, served.quiet_at[(o.gpu.id, o.count)], fits)
        notes += more
    host: Any = ""
    if o.kind == OWN:
        host = box["host"]
        notes += host_notes(box, fits)
        fits &= box["fits"]
    fleet = count * lifecycle.replicas_needed(sc.workload.requests_per_day, peak_factor(cat, sc), capacity) if o.kind == OWN else 0.0
    train = option_training(cat, sc, eco, o, count, fleet)
    fits &= np.asarray(train.fits, dtype=bool)
    x = lifecycle_inputs(cat, sc, o, eco, count, capacity, 0.0, ref_usd, train, ref_fees, box, hosting.resale_fraction(cat, eco, o.gpu))
    queue = {k: s[k][j] for k in QUEUE_KEYS}
    return OptionRows(fits, count, notes + list(train.notes), {**x, **billing}, host, s["tpot_s"][j], s["itl_s"][j],
                      s["meets_latency"][j], queue)


def api_option(cat: Catalog, sc: Scenario, eco: Mapping[str, Any], o: Option, n: int, ref_usd: Any, ref_fees: Training) -> OptionRows:
    """An API option: its price per request for this workload, whether it is an alternative, its fine-tuning fees."""
    assert o.api is not None
    fits = np.array(np.broadcast_to(api_fits(o.api, sc), (n,)), dtype=bool)
    api_usd, notes = api_price_per_request(o.api, sc, finetuned(sc))
    why = not_an_alternative(o.api, sc)
    if why:
        fits[:] = False
        notes = [(why, True)]
    train = option_training(cat, sc, eco, o, np.zeros(n), 0.0)
    x = lifecycle_inputs(cat, sc, o, eco, np.zeros(n), np.zeros(n), api_usd, ref_usd, train, ref_fees, None, 0.0)
    return OptionRows(fits, np.zeros(n), [(t, True) for t in o.notes] + list(train.notes) + notes, {**x, **NO_SERVERLESS})


def evaluate(cat: Catalog, sc: Scenario, opts: Sequence[Option], n: int = 1, vs: str | None = None,
             counts: Mapping[tuple[str, int | None], np.ndarray] | None = None) -> Evaluation:
    """Every option costed on `n` rows of values (scenario and assumption numbers may be arrays of n).

    `counts` fixes the GPUs per replica of the hardware options (Monte Carlo keeps the point estimate's);
    by default they are resolved per row.
    """
    opts = list(opts)
    ref = reference_api(cat, sc, opts, vs)
    eco = economics(cat, sc)
    ref_usd, _ = api_price_per_request(ref, sc, finetuned(sc))
    ref_fees = api_fees(ref, sc)
    count_of = dict(counts) if counts is not None else gpu_counts(cat, sc, opts, n)
    served = serve_options(cat, sc, opts, count_of, n)
    per = [hardware_option(cat, sc, eco, o, count_of[(o.gpu.id, o.count)], served, ref_usd, ref_fees) if o.gpu is not None
           else api_option(cat, sc, eco, o, n, ref_usd, ref_fees) for o in opts]

    def grid(key: str, dtype: Any) -> np.ndarray:
        return np.array([np.broadcast_to(np.asarray(getattr(p, key), dtype=dtype), (n,)) for p in per], dtype=dtype).reshape(len(per), n)

    x = inputs.stack([p.inputs for p in per], n) if per else {}
    res = lifecycle.evaluate(x) if per else {}
    queue = {k: np.array([np.broadcast_to(np.asarray(p.queue.get(k, np.nan), dtype=float), (n,)) for p in per]).reshape(len(per), n)
             for k in QUEUE_KEYS}
    ttft = queued_ttft(x, res, queue).reshape(len(per), n) if per else np.full((0, n), np.nan)
    counts_per_option = [np.broadcast_to(np.asarray(p.count, dtype=float), (n,)) for p in per]
    return Evaluation(opts, n, sc.serving.model, ref, counts_per_option, grid("fits", bool), ttft, grid("tpot_s", float),
                      grid("itl_s", float), grid("meets_latency", bool), [p.notes for p in per], grid("host", object), x, res,
                      boundary_margin=float(hosting.point(cat, "replica_boundary_margin")))


QUEUE_KEYS = ("concurrency", "requests_per_s", "prefill_s", "request_overhead_s")
"""The serving figures of a replica that its queueing time to first token reads."""


def queued_ttft(x: Mapping[str, np.ndarray], res: Mapping[str, np.ndarray], served: Mapping[str, np.ndarray]) -> np.ndarray:
    """Time to first token at the busy hour of month 1: each replica takes its share of the peak arrival
    rate, and requests wait for a batch slot (M/D/c) and behind other prompts (M/D/1):
    llmcost.engine.serving.ttft_at_rate_s. NaN for APIs; inf where the rate reaches a replica's capacity."""
    peak_rps = np.asarray(x["requests_per_day"], dtype=float) * np.asarray(x["peak_to_average"], dtype=float) / 86400.0
    with np.errstate(divide="ignore", invalid="ignore"):
        per_replica = np.where(res["replicas"] > 0, peak_rps / res["replicas"], 0.0)
        return serving.ttft_at_rate_s(per_replica, served["concurrency"].reshape(-1), served["requests_per_s"].reshape(-1),
                                      served["prefill_s"].reshape(-1), served["request_overhead_s"].reshape(-1))


# ---------------------------------------------------------------------------------------------- compare


@dataclass(frozen=True)
class Comparison:
    """`compare`'s result: rows (as columns), the verdict, and the monthly cumulative cost per option, with the
    price trends and (`cumulative_flat`) with flat prices."""

    table: Table
    verdict: str
    reference: str
    months: np.ndarray
    cumulative: dict[str, np.ndarray]
    cumulative_flat: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def columns(self) -> Mapping[str, np.ndarray]:
        return self.table.columns

    def rows(self) -> list[Row]:
        """Exactly the rows of `llmcost compare --format json`."""
        return self.table.rows()


def compare(cat: Catalog, sc: Scenario, vs: str | None = None, extra_apis: Sequence[str] = ()) -> Comparison:
    """Every option of the scenario costed over its horizon, with break-even and payback against `vs`."""
    ev = evaluate(cat, sc, options.build(cat, sc, extra_apis), 1, vs)
    return finish(ev, sc, cat)


def finish(ev: Evaluation, sc: Scenario, cat: Catalog) -> Comparison:
    """Rows, verdict and cumulative cost curves of a one-row-per-option evaluation."""
    table = ev.table()
    rows = table.rows()
    horizon = float(np.max(ev.x["horizon_months"])) if len(ev.opts) else 0.0
    months = int(np.ceil(horizon))

    def curves(x: Mapping[str, Any]) -> dict[str, np.ndarray]:
        flows = lifecycle.monthly_costs(x, months)
        return {rows[i]["option"]: np.cumsum(flows["capex_usd"][i] + flows["opex_usd"][i]) for i in range(len(rows)) if rows[i]["fits"]}

    if not ev.opts:
        return Comparison(table, verdict(rows, sc, ev.ref.id, horizon), ev.ref.id, np.arange(1, months + 1), {})
    lifetime = float(np.max(ev.x["lifetime_months"]))
    text = " ".join(t for t in [verdict(rows, sc, ev.ref.id, horizon, lifetime), *trend_and_quality_lines(cat, sc, ev, rows)] if t)
    return Comparison(table, text, ev.ref.id, np.arange(1, months + 1), curves(ev.x), curves(trends.flat(ev.x)))


def trend_and_quality_lines(cat: Catalog, sc: Scenario, ev: Evaluation, rows: Sequence[Row]) -> list[str]:
    """The verdict's sentences on the price trends and quality (issue #12): what holding API prices flat
    would change, quality gaps of the cheapest and the best own option against the reference API, and
    what the quality floor left out."""
    decline = float(np.mean(ev.x[trends.API_KEY]))
    flat_rows = ev.with_x(trends.flat(ev.x, (trends.API_KEY,))).table().rows() if decline else rows
    out = [trends.sentence(rows, flat_rows, decline)]
    ok = [r for r in rows if r["fits"] and isinstance(r["tco_usd"], (int, float))]
    gap = cat.value("quality_material_gap_points")
    named = [min(ok, key=lambda r: r["tco_usd"])["option"]] if ok else []
    own = [r for r in ok if r["kind"] == "own"]
    if own:
        named.append(min(own, key=lambda r: r["tco_usd"])["option"])
    out.append(quality.gap_sentence(rows, list(dict.fromkeys(named)), ev.ref.id, gap) or "")
    floor = sc.options.min_quality
    if floor is not None:
        kept = {o.label() for o in ev.opts}
        dropped = [o for o in options.every(cat, sc) if o.label() not in kept]
        out.append(quality.floor_sentence(dropped, floor, ev.opts[0].quality_benchmark))
    return out


def against_each_api(cat: Catalog, sc: Scenario, extra_apis: Sequence[str] = ()) -> dict[str, Comparison]:
    """`compare` with each of the scenario's APIs as the reference: the options are served and their
    training costed once; only the reference price changes between the lifecycle runs."""
    opts = options.build(cat, sc, extra_apis)
    ev = evaluate(cat, sc, opts)
    return {o.api.id: finish(ev.with_reference(cat, sc, o.api), sc, cat) for o in opts
            if o.api is not None and not not_an_alternative(o.api, sc)}


BREAKEVEN_KEYS = ("option", "kind", "api", "fits", "breakeven_tokens_per_day", "payback_months", "monthly_usd", "api_monthly_usd",
                  "notes")


def breakeven(cat: Catalog, sc: Scenario, extra_apis: Sequence[str] = ()) -> Table:
    """Long-form break-even table: every own and rent option against every API."""
    parts = []
    for api_id, comp in against_each_api(cat, sc, extra_apis).items():
        t = comp.table
        hw = np.flatnonzero(t.columns["kind"] != "api")
        ref_row = int(np.flatnonzero(t.columns["option"] == f"api {api_id}")[0])
        part = t.take(hw)
        cols = {k: part.columns[k] for k in ("option", "kind")}
        cols["api"] = results.text_column([api_id] * len(hw))
        cols.update({k: part.columns[k] for k in ("fits", "breakeven_tokens_per_day", "payback_months", "monthly_usd")})
        cols["api_monthly_usd"] = np.full(len(hw), t.columns["monthly_usd"][ref_row])
        cols["notes"] = part.columns["notes"]
        parts.append(Table(cols, part.fits, frozenset({"breakeven_tokens_per_day", "payback_months", "monthly_usd"}), NEVER_KEYS))
    if not parts:
        return Table({k: results.text_column([]) for k in BREAKEVEN_KEYS})
    return results.concat(parts)


def _money(v: float) -> str:
    return f"${v:,.0f}" if abs(v) >= 100 else f"${v:,.2f}"


def verdict(rows: Sequence[Row], sc: Scenario, ref: str, horizon: float, lifetime: float = 0.0) -> str:
    """Plain-language summary: the cheapest option at this volume; when the cheapest owned option beats the reference
    API, with what its columns mean when they seem to disagree (payback past the hardware's life, break-even above
    today's volume); replica counts that a load within a few percent of a replica boundary decides."""
    w = sc.workload
    ok = [r for r in rows if r["fits"] and isinstance(r["tco_usd"], (int, float))]
    if not ok:
        return "No option fits this scenario."
    best = min(ok, key=lambda r: r["tco_usd"])
    tokens_day = w.requests_per_day * (w.input_tokens + w.output_tokens)
    lines = [f"At {w.requests_per_day:,.0f} requests/day ({tokens_day:,.0f} tokens/day), the cheapest option over "
             f"{horizon:g} months is {best['option']} ({_money(best['tco_usd'])} total, {_money(best['monthly_usd'])}/month)."]
    own = [r for r in ok if r["kind"] == "own"]
    if own:
        lines.append(own_verdict(min(own, key=lambda r: r["tco_usd"]), ref, tokens_day, horizon, lifetime))
    chosen = [best] + ([min(own, key=lambda r: r["tco_usd"])] if own else [])
    for r in {r["option"]: r for r in chosen if r["kind"] != "api"}.values():
        cliff = next((t for t in r["notes"].split("; ") if t.startswith("peak load is")), "")
        if cliff:
            lines.append(f"{r['option']}: {cliff}.")
    apart = [r["option"] for r in rows if not r["fits"] and "not an alternative" in r["notes"]]
    if apart:
        lines.append(f"Not an alternative to the fine-tuned {sc.serving.model} (they sell no fine-tuning): {', '.join(apart)}.")
    unfit = [r["option"] for r in rows if not r["fits"] and r["option"] not in apart]
    if unfit:
        lines.append(f"Does not fit: {', '.join(unfit)}.")
    return " ".join(lines)


def own_verdict(o: Row, ref: str, tokens_day: float, horizon: float, lifetime: float) -> str:
    """When the owned option beats the reference API, and what its payback means."""
    be, pb = o["breakeven_tokens_per_day"], o["payback_months"]
    start = next((t for t in o["notes"].split("; ") if t.startswith("serving starts in month")), "")
    if "never serves" in o["notes"]:
        return f"{o['option']} never serves within the horizon: its training outlasts it."
    if be == NEVER:
        head = f"{o['option']} never beats {ref} per token at any volume one replica can carry"
    elif be == 0:
        head = f"{o['option']} beats {ref} at any volume"
    else:
        head = f"{o['option']} beats {ref} above {be:,.0f} tokens/day"
    if pb == NEVER and isinstance(be, (int, float)) and be <= tokens_day:
        why = next((t for t in o["notes"].split("; ") if t.startswith(("cheaper than", "its break-even lies below"))), "")
        text = head + ", yet at this volume it never pays back in cash" + (f": {why}" if why else
                                                                          " (break-even takes the horizon's mean prices for one "
                                                                          "replica; payback follows the months as they come)")
    elif pb == NEVER:
        text = head + " and at this volume never pays back"
    elif pb == 0:
        text = head + " and at this volume is cheaper from month one"
    else:
        losing = be == NEVER or be > tokens_day
        text = head + ("; counting cash alone" if losing else "; at this volume") + f" it pays back in {pb:,.1f} months"
        if lifetime and pb > lifetime:
            text += f", after the hardware's {lifetime:g}-month life, so it is worn out before it has paid for itself"
        elif pb > horizon:
            text += f", beyond the {horizon:g}-month horizon"
        if losing and be != NEVER:
            text += f" (below the break-even volume it costs more each month than {ref} once depreciation is counted)"
    return text + (f" ({start})" if start else "") + "."


PER_OPTION_SOURCES = {
    "electricity_usd_per_kwh": "by site: home electricity_usd_per_kwh, office electricity_usd_per_kwh_commercial, datacenter "
                               "electricity_usd_per_kwh_industrial",
    "pue": "by site: pue (desk-side), pue_datacenter",
    "resale_fraction": "by GPU class: resale_fraction, resale_fraction_datacenter",
    "ops_usd_per_month": "ops_hours_per_month x ops_usd_per_hour x boxes (a rack server's hours shared slot by slot)",
    "host_usd": "the host's price in profiles/hosts.yaml",
    "host_power_w": "the host's idle and busy power in profiles/hosts.yaml",
}
"""Where each per-option economics value comes from when the scenario does not set it (for --explain)."""


__all__ = ["NA", "NEVER", "ROW_KEYS", "Comparison", "Evaluation", "api_price_per_request", "breakeven", "compare", "economics",
           "evaluate", "num", "verdict"]
