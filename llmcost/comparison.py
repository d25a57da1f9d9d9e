"""The compare pipeline: a scenario's own, rent and API options through the serving and lifecycle engines.

One pipeline serves `compare` (one row per option), `breakeven` (the lifecycle re-run per reference
API), sweeps (rows per option x grid point) and Monte Carlo (rows per option x sample): every number of
the scenario and of the assumptions may be an array of `n` values (`llmcost.scenario.with_values`,
`llmcost.catalog.with_values`), and `evaluate` returns options x n rows, option-major.

    options.build -> evaluate: GPU counts, serving engine, training runs, lifecycle inputs,
                     lifecycle engine -> Evaluation.table() (a results.Table) -> Comparison
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from llmcost import inputs, options, results
from llmcost.catalog import Catalog, api_model, gpu_price_usd
from llmcost.engine import lifecycle, money, serving, training
from llmcost.errors import LlmcostError
from llmcost.options import API, OWN, Option
from llmcost.results import NA, NEVER, Table, num
from llmcost.schema import Api, Scenario

Row = dict[str, Any]
Note = tuple[str, Any]
"""A note and where it applies: True (every row) or a bool array over the option's rows."""

ROW_KEYS = ("option", "kind", "model", "fits", "gpus_per_replica", "replicas", "capex_usd", "monthly_usd", "usd_per_mtok",
            "tco_usd", "breakeven_tokens_per_day", "payback_months", "utilization", "capacity_tokens_per_day", "ttft_s",
            "tpot_s", "notes")
"""Keys of every compare row, in order (the CSV header)."""

UNFIT_KEYS = frozenset(ROW_KEYS[4:16])
NEVER_KEYS = frozenset({"breakeven_tokens_per_day", "payback_months"})
ECONOMICS = ("electricity_usd_per_kwh", "pue", "lifetime_months", "resale_fraction", "horizon_months", "discount_rate",
             "ops_usd_per_month", "host_usd", "host_power_w")
"""Scenario economics that fall back to the assumption of the same name."""


# ---------------------------------------------------------------------------------------------- inputs


def economics(cat: Catalog, sc: Scenario) -> dict[str, Any]:
    """Scenario economics with every missing value taken from the assumptions (arrays pass through)."""
    eco = sc.economics
    out: dict[str, Any] = {}
    for n in ECONOMICS:
        value = getattr(eco, n, None) if eco is not None else None
        out[n] = _plain(value) if value is not None else cat.value(n)
    for n in ("horizon_months", "lifetime_months"):
        if not np.all((np.asarray(out[n]) > 0) & (np.asarray(out[n]) <= 1200)):
            bad = float(np.max(out[n])) if np.any(np.asarray(out[n]) > 1200) else float(np.min(out[n]))
            raise LlmcostError(f"{n} = {bad:g}: expected more than 0 and at most 1200 months (100 years)")
    return out


def _plain(value: Any) -> Any:
    """A scenario number as a plain float; arrays (sweeps, samples) pass through."""
    return value if isinstance(value, np.ndarray) else float(value)


def peak_factor(cat: Catalog, sc: Scenario) -> Any:
    """Peak over average request rate: 1 for batch work (it runs evenly), else the scenario's or the default."""
    w = sc.workload
    if w.batch:
        return 1.0
    return _plain(w.peak_to_average) if w.peak_to_average is not None else cat.value("peak_to_average")


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
    if finetuned:
        if api.finetuned_input_usd_per_mtok is not None and api.finetuned_output_usd_per_mtok is not None:
            inp, out_ = api.finetuned_input_usd_per_mtok, api.finetuned_output_usd_per_mtok
            cached = None
            notes.append(("fine-tuned model prices", True))
        elif api.finetune_train_usd_per_mtok is None:
            notes.append(("no fine-tuning offered: base model prices", True))
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


@dataclass(frozen=True)
class Training:
    """One option's lifecycle training: (one-time USD, periodic USD, period months) and notes."""

    one_time_usd: Any = 0.0
    periodic_usd: Any = 0.0
    period_months: Any = 0.0
    notes: tuple[Note, ...] = ()


def training_costs(cat: Catalog, sc: Scenario, opt: Option, count: Any) -> Training:
    """The lifecycle's training runs for one option.

    Owned GPUs pay the energy of the run (their depreciation is already in the monthly cost); rentals pay
    GPU-hours at their rate; APIs pay their fine-tuning price per trained token.
    """
    life = sc.lifecycle
    if life is None:
        return Training()
    model = cat.get("models", sc.serving.model)
    one: Any = 0.0
    periodic: Any = 0.0
    period: Any = 0.0
    notes: list[Note] = []
    price_kwh = cat.value("electricity_usd_per_kwh")
    ft = life.finetune
    if ft is not None:
        tokens = ft.tokens * ft.epochs
        if opt.api is not None:
            price = opt.api.finetune_train_usd_per_mtok
            cost: Any = price * tokens / 1e6 if price is not None else 0.0
        else:
            assert opt.gpu is not None
            x = inputs.finetune_inputs(cat, model, opt.gpu, count, ft.method, rank=ft.rank, tokens=ft.tokens, epochs=ft.epochs)
            out = training.finetune(x)
            fits = out["fits"]
            run = out["energy_kwh"] * price_kwh if opt.kind == OWN else out["gpu_hours"] * (opt.rental.usd_per_gpu_hour if opt.rental else 0.0)
            cost = np.where(fits, run, 0.0)
            notes += value_notes(f"{ft.method} fine-tune {{:.1f}} h per run", out["wall_hours"], fits)
            if not np.all(fits):
                notes.append((f"{ft.method} fine-tune does not fit on {opt.label(int(np.max(count)))}", ~np.asarray(fits)))
        one = one + cost
        if ft.every_months:
            periodic, period = cost, ft.every_months
    pt = life.pretrain
    if pt is not None and opt.gpu is not None:
        gpus = pt.gpus or count
        inputs.check_group(opt.gpu, gpus)
        x = inputs.pretrain_inputs(cat, model, opt.gpu, gpus, pt.tokens)
        out = training.pretrain(x)
        fits = out["fits"]
        run = out["energy_kwh"] * price_kwh if opt.kind == OWN else out["gpu_hours"] * (opt.rental.usd_per_gpu_hour if opt.rental else 0.0)
        one = one + np.where(fits, run, 0.0)
        where = f"{int(np.max(gpus))}x {opt.gpu.id}"
        notes += value_notes(f"pre-training takes {{:,.0f}} days on {where}", out["wall_hours"] / 24.0, fits)
        if not np.all(fits):
            need = np.max(out["min_gpus"])
            notes.append((f"pre-training needs {'never' if not np.isfinite(need) else int(need)}x {opt.gpu.id} to fit",
                          ~np.asarray(fits)))
    return Training(one, periodic, period, tuple(notes))


def value_notes(template: str, values: Any, where: Any = True) -> list[Note]:
    """A note that carries a number, once per distinct number shown, each on its rows."""
    v = np.atleast_1d(np.asarray(values, dtype=float))
    mask = np.broadcast_to(np.asarray(where, dtype=bool), v.shape)
    texts = np.array([template.format(x) for x in v.tolist()], dtype=object)
    if v.size == 1:
        return [(str(texts[0]), bool(mask[0]))] if mask[0] else []
    return [(t, (texts == t) & mask) for t in dict.fromkeys(texts[mask].tolist())]


def lifecycle_inputs(cat: Catalog, sc: Scenario, opt: Option, eco: Mapping[str, Any], count: Any, capacity_rps: Any,
                     api_usd: Any, ref_usd: Any, train: Training) -> dict[str, Any]:
    """One option's lifecycle engine inputs (llmcost.engine.lifecycle.monthly_costs); values may be arrays."""
    w = sc.workload
    gpu = opt.gpu
    n = count if gpu is not None else 1.0
    host_usd, host_w = inputs.replica_host(cat, gpu, n, eco["host_usd"], eco["host_power_w"]) if gpu else (0.0, 0.0)
    return {
        "kind": float(opt.kind), "requests_per_day": w.requests_per_day, "tokens_per_request": w.input_tokens + w.output_tokens,
        "peak_to_average": peak_factor(cat, sc), "monthly_growth": w.monthly_growth, "horizon_months": eco["horizon_months"],
        "capacity_rps": capacity_rps, "gpus_per_replica": n,
        "unit_capex_usd": n * gpu_price_usd(gpu, sc.options.used) + host_usd if gpu else 0.0,
        "resale_fraction": _set_or(sc, "resale_fraction", inputs.resale_fraction(cat, gpu) if gpu else 0.0),
        "lifetime_months": eco["lifetime_months"],
        "idle_w": n * gpu.idle_power_w + host_w if gpu else 0.0,
        "busy_extra_w": n * (gpu.power_w - gpu.idle_power_w) if gpu else 0.0,
        "pue": _set_or(sc, "pue", inputs.pue(cat, gpu) if gpu else 1.0),
        "electricity_usd_per_kwh": eco["electricity_usd_per_kwh"],
        "ops_usd_per_month": eco["ops_usd_per_month"] if opt.kind == OWN else 0.0,
        "rent_usd_per_gpu_hour": opt.rental.usd_per_gpu_hour if opt.rental else 0.0,
        "gpus_per_instance": float(opt.rental.gpus_per_instance) if opt.rental else 1.0,
        "serverless": opt.rental is not None and opt.rental.kind == "serverless",
        "api_usd_per_request": api_usd, "ref_api_usd_per_request": ref_usd,
        "one_time_usd": train.one_time_usd, "periodic_usd": train.periodic_usd, "period_months": train.period_months,
        "discount_rate": eco["discount_rate"],
    }


def _set_or(sc: Scenario, name: str, default: Any) -> Any:
    """The scenario's economics value when it sets one, else the per-class default."""
    value = getattr(sc.economics, name, None) if sc.economics is not None else None
    return _plain(value) if value is not None else default


# ---------------------------------------------------------------------------------------------- evaluation


def reference_api(cat: Catalog, sc: Scenario, opts: Sequence[Option], vs: str | None) -> Api:
    """The API break-even and payback are measured against: `vs`, else the first API option."""
    if vs:
        api: Api = cat.get("apis", vs)
        return api
    for o in opts:
        if o.api is not None:
            return o.api
    raise LlmcostError("the scenario names no API to compare against; add options.apis or --api")


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


def serve_rows(rows: Sequence[dict[str, Any]], n: int) -> dict[str, np.ndarray]:
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
    meets_latency: np.ndarray
    notes: list[list[Note]]
    x: dict[str, np.ndarray]  # lifecycle inputs, options x n rows
    res: dict[str, np.ndarray] = field(default_factory=dict)

    def with_reference(self, cat: Catalog, sc: Scenario, api: Api) -> Evaluation:
        """The same options re-costed against another reference API (only the lifecycle runs again)."""
        ref_usd, _ = api_price_per_request(api, sc, finetuned(sc))
        x = {**self.x, "ref_api_usd_per_request": np.tile(np.broadcast_to(np.asarray(ref_usd, dtype=float), (self.n,)), len(self.opts))}
        return Evaluation(self.opts, self.n, self.model, api, self.counts, self.fits, self.ttft_s, self.tpot_s,
                          self.meets_latency, self.notes, x, lifecycle.evaluate(x))

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
            "replicas": per_kind(res["replicas"]),
            "capex_usd": res["capex_usd"],
            "monthly_usd": res["monthly_usd"],
            "usd_per_mtok": finite_or_nan(res["usd_per_mtok"]),
            "tco_usd": res["tco_usd"],
            "breakeven_tokens_per_day": per_kind(res["breakeven_tokens_per_day"]),
            "payback_months": per_kind(res["payback_months"]),
            "utilization": per_kind(res["utilization"]),
            "capacity_tokens_per_day": per_kind(finite_or_nan(res["capacity_tokens_per_day"])),
            "ttft_s": self.ttft_s.reshape(-1) if k else nan,
            "tpot_s": self.tpot_s.reshape(-1) if k else nan,
            "notes": self.notes_column(),
        }
        return Table(cols, fits, UNFIT_KEYS, NEVER_KEYS)

    def notes_column(self) -> np.ndarray:
        """Each row's notes joined with '; ': the option's, per-row ones, and the fit and latency states."""
        parts = []
        for i, o in enumerate(self.opts):
            notes = list(self.notes[i])
            if o.gpu is not None:
                notes = [("model does not fit", ~self.fits[i]), *notes, ("misses the latency target", self.fits[i] & ~self.meets_latency[i])]
            parts.append(join_notes(notes, self.n))
        return np.concatenate(parts) if parts else results.text_column([])


def join_notes(notes: Sequence[Note], n: int) -> np.ndarray:
    """Per row, the texts of the notes that apply there, joined with '; ' (computed once per pattern)."""
    if not notes:
        return results.text_column([""] * n)
    masks = np.stack([np.broadcast_to(np.asarray(m, dtype=bool), (n,)) for _, m in notes])
    texts = [t for t, _ in notes]
    patterns, inverse = np.unique(masks.T, axis=0, return_inverse=True)
    joined = np.array(["; ".join(t for t, on in zip(texts, p, strict=True) if on) for p in patterns], dtype=object)
    return joined[inverse.reshape(-1)]


def finetuned(sc: Scenario) -> bool:
    return sc.lifecycle is not None and sc.lifecycle.finetune is not None


def evaluate(cat: Catalog, sc: Scenario, opts: Sequence[Option], n: int = 1, vs: str | None = None,
             counts: Mapping[tuple[str, int | None], np.ndarray] | None = None) -> Evaluation:
    """Every option costed on `n` rows of values (scenario and assumption numbers may be arrays of n).

    `counts` fixes the GPUs per replica of the hardware options (Monte Carlo keeps the point estimate's);
    by default they are resolved per row.
    """
    opts = list(opts)
    ref = reference_api(cat, sc, opts, vs)
    quant = cat.get("quantizations", sc.serving.quantization)
    model = cat.get("models", sc.serving.model)
    w = sc.workload
    eco = economics(cat, sc)
    ft = finetuned(sc)
    ref_usd, _ = api_price_per_request(ref, sc, ft)
    count_of = dict(counts) if counts is not None else gpu_counts(cat, sc, opts, n)

    # One serving run per distinct (GPU, count) choice: own and rent options of a GPU share it.
    keys = list(dict.fromkeys((o.gpu.id, o.count) for o in opts if o.gpu is not None))
    gpus = {o.gpu.id: o.gpu for o in opts if o.gpu is not None}
    max_tpot = None if w.batch else sc.serving.max_tpot_ms
    served: dict[str, np.ndarray] = {}
    if keys:
        rows = [inputs.serve_inputs(cat, model, gpus[g], count_of[(g, c)], quant.id,
                                    inputs.engine_for(cat, sc.serving.engine, quant, gpus[g]).id, w.input_tokens, w.output_tokens,
                                    0.0, max_tpot) for g, c in keys]
        served = serve_rows(rows, n)
    at = {key: j for j, key in enumerate(keys)}

    k = len(opts)
    fits = np.ones((k, n), dtype=bool)
    ttft, tpot, meets = np.full((k, n), np.nan), np.full((k, n), np.nan), np.ones((k, n), dtype=bool)
    per_option, notes, count_list = [], [], []
    for i, o in enumerate(opts):
        note_list: list[Note] = [(t, True) for t in o.notes]
        if o.gpu is not None:
            cal = inputs.calibration_for(cat, o.gpu.id, inputs.engine_for(cat, sc.serving.engine, quant, o.gpu).id, quant.id)
            if cal is not None:
                note_list.append((f"calibrated ({cal.id}, {cal.as_of})", True))
            j = at[(o.gpu.id, o.count)]
            count = count_of[(o.gpu.id, o.count)]
            fits[i] = served["fits"][j]
            ttft[i], tpot[i], meets[i] = served["ttft_s"][j], served["tpot_s"][j], served["meets_latency"][j]
            capacity: Any = np.where(fits[i], served["requests_per_s"][j], 0.0)
            api_usd: Any = 0.0
        else:
            assert o.api is not None
            count = np.zeros(n)
            capacity = 0.0
            fits[i] = np.broadcast_to(api_fits(o.api, sc), (n,))
            api_usd, api_notes = api_price_per_request(o.api, sc, ft)
        train = training_costs(cat, sc, o, count)
        note_list += train.notes
        if o.api is not None:
            note_list += api_notes
        per_option.append(lifecycle_inputs(cat, sc, o, eco, count, capacity, api_usd, ref_usd, train))
        notes.append(note_list)
        count_list.append(count)
    x = inputs.stack(per_option, n) if per_option else {}
    ev = Evaluation(opts, n, model.id, ref, count_list, fits, ttft, tpot, meets, notes, x)
    ev.res = lifecycle.evaluate(x) if per_option else {}
    return ev


# ---------------------------------------------------------------------------------------------- compare


@dataclass(frozen=True)
class Comparison:
    """`compare`'s result: rows (as columns), the verdict, and the monthly cumulative cost per option."""

    table: Table
    verdict: str
    reference: str
    months: np.ndarray
    cumulative: dict[str, np.ndarray]

    @property
    def columns(self) -> Mapping[str, np.ndarray]:
        return self.table.columns

    def rows(self) -> list[Row]:
        """Exactly the rows of `llmcost compare --format json`."""
        return self.table.rows()


def compare(cat: Catalog, sc: Scenario, vs: str | None = None, extra_apis: Sequence[str] = ()) -> Comparison:
    """Every option of the scenario costed over its horizon, with break-even and payback against `vs`."""
    ev = evaluate(cat, sc, options.build(cat, sc, extra_apis), 1, vs)
    return finish(ev, sc)


def finish(ev: Evaluation, sc: Scenario) -> Comparison:
    """Rows, verdict and cumulative cost curves of a one-row-per-option evaluation."""
    table = ev.table()
    rows = table.rows()
    horizon = float(np.max(ev.x["horizon_months"])) if len(ev.opts) else 0.0
    months = int(np.ceil(horizon))
    flows = lifecycle.monthly_costs(ev.x, months) if len(ev.opts) else {}
    cumulative = {rows[i]["option"]: np.cumsum(flows["capex_usd"][i] + flows["opex_usd"][i]) for i in range(len(rows))
                  if rows[i]["fits"]}
    return Comparison(table, verdict(rows, sc, ev.ref.id, horizon), ev.ref.id, np.arange(1, months + 1), cumulative)


def against_each_api(cat: Catalog, sc: Scenario, extra_apis: Sequence[str] = ()) -> dict[str, Comparison]:
    """`compare` with each of the scenario's APIs as the reference: the options are served and their
    training costed once; only the reference price changes between the lifecycle runs."""
    opts = options.build(cat, sc, extra_apis)
    ev = evaluate(cat, sc, opts)
    return {o.api.id: finish(ev.with_reference(cat, sc, o.api), sc) for o in opts if o.api is not None}


BREAKEVEN_KEYS = ("option", "kind", "api", "fits", "breakeven_tokens_per_day", "payback_months", "monthly_usd", "api_monthly_usd")


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
        parts.append(Table(cols, part.fits, frozenset({"breakeven_tokens_per_day", "payback_months", "monthly_usd"}), NEVER_KEYS))
    if not parts:
        return Table({k: results.text_column([]) for k in BREAKEVEN_KEYS})
    return results.concat(parts)


def _money(v: float) -> str:
    return f"${v:,.0f}" if abs(v) >= 100 else f"${v:,.2f}"


def verdict(rows: Sequence[Row], sc: Scenario, ref: str, horizon: float) -> str:
    """Plain-language summary: cheapest option at this volume, and when owning beats the reference API."""
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
    lines.append(f"    peak_to_average = {peak_factor(cat, sc):g}    <- "
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
    for r in result.rows():
        if r["notes"]:
            lines.append(f"note: {r['option']}: {r['notes']}")
    return "\n".join(lines) + "\n"


__all__ = ["NA", "NEVER", "ROW_KEYS", "Comparison", "Evaluation", "api_price_per_request", "breakeven", "compare", "economics",
           "evaluate", "explain", "num", "verdict"]
