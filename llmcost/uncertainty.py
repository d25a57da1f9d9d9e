"""Uncertainty: Monte Carlo P10/P50/P90 over ranged inputs, and a tornado of what moves one option most.

Any number of a scenario or an assumption may be a range (`llmcost.schema.Uncertain`: triangular,
uniform, normal or lognormal). Point commands use its mode (or median). Here each ranged input is drawn
N times, once per sample, from its own stream (`default_rng([seed, crc32(key)])`), and every option
reads the same draws (common random numbers): differences between options are then differences of the
options, not sampling noise, and a duplicated option gets identical numbers. The samples become rows of
the same engine that costs one comparison: options x samples rows through `serving.serve` (when an
input of serving is uncertain) and `lifecycle.lifecycle`.

Only the numbers vary between samples; which options exist, how many GPUs an option without a count
gets, and the option notes come from the point estimate. Training runs of the lifecycle are costed at
the point values and scaled exactly by what they are proportional to (tokens, epochs, 1/MFU, the QLoRA
overhead, electricity price and PUE); inputs that only decide whether a training run fits are held at
their point value.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmcost import compare, inputs, runs, sweep
from llmcost.catalog import Catalog
from llmcost.engine import lifecycle, memory, serving
from llmcost.errors import LlmcostError, unknown
from llmcost.runs import DOES_NOT_FIT, NA, num
from llmcost.schema import Scenario, Uncertain, assumption_bounds, yaml_key

NEVER = compare.NEVER
UNBOUNDED = "unbounded"
QUANTILES = (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))
METRICS = ("monthly_usd", "tco_usd", "breakeven_tokens_per_day", "payback_months")
TORNADO_METRICS = ("payback_months", "tco_usd", "breakeven_tokens_per_day")
DEFAULT_SEED = 0
SERVE_ROWS = 8192
"""Most rows per call of the serving engine (it has a 21-candidate axis): memory stays flat."""

SERVING_KEYS = frozenset({"workload.input_tokens", "workload.output_tokens", "serving.max_tpot_ms",
                          "assumptions.usable_memory_fraction", "assumptions.runtime_overhead_gib",
                          "assumptions.kv_cache_bytes", "assumptions.tp_efficiency_pcie", "assumptions.tp_efficiency_nvlink"})
"""Inputs that change what one replica carries: with any of them uncertain, serving runs per sample."""

_SHADOWED = {n: f"economics.{n}" for n in ("electricity_usd_per_kwh", "pue", "lifetime_months", "resale_fraction",
                                          "horizon_months", "discount_rate", "ops_usd_per_month", "host_usd", "host_power_w")}

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
        if shadow and sc.economics is not None and getattr(sc.economics, name.split(".")[-1], None) is not None:
            continue
        if name == "peak_to_average" and (sc.workload.peak_to_average is not None or sc.workload.batch):
            continue
        out[f"assumptions.{name}"] = u
    return dict(sorted(out.items()))


def with_assumption_ranges(cat: Catalog, sets: Sequence[str]) -> Catalog:
    """`--set assumptions.NAME=LOW..HIGH` (uniform) or `LOW..MODE..HIGH` (triangular): the assumption's
    value becomes the range (its point value the mode or midpoint)."""
    from llmcost.scenario import range_text

    new = Catalog(entries=cat.entries, assumptions=dict(cat.assumptions), where=cat.where)
    for item in sets:
        key, _, text = item.partition("=")
        name = key.strip().removeprefix("assumptions.")
        if name not in new.assumptions:
            raise LlmcostError(f"--set {item!r}: " + unknown("assumption", name, new.assumptions))
        u = range_text(text.strip(), assumption_bounds(name), f"--set {key.strip()}")
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


# ---------------------------------------------------------------------------------------------- engine


def _substitute(rec: Any, values: dict[str, np.ndarray], prefix: str = "") -> Any:
    changes = {}
    for f in dataclasses.fields(rec):
        v = getattr(rec, f.name)
        key = prefix + yaml_key(f)
        if key in values:
            changes[f.name] = values[key]
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            new = _substitute(v, values, key + ".")
            if new is not v:
                changes[f.name] = new
    return dataclasses.replace(rec, **changes) if changes else rec


def _sampled(cat: Catalog, sc: Scenario, values: dict[str, np.ndarray]) -> tuple[Catalog, Scenario]:
    """The catalog and scenario with each ranged number replaced by its array of draws."""
    assumptions: dict[str, Any] = dict(cat.assumptions)
    for n, a in cat.assumptions.items():
        if f"assumptions.{n}" in values:
            assumptions[n] = dataclasses.replace(a, value=values[f"assumptions.{n}"])  # type: ignore[arg-type]
    return Catalog(entries=cat.entries, assumptions=assumptions, where=cat.where), _substitute(sc, values)


@dataclass
class Simulation:
    """Options x samples results of the lifecycle engine, with the point comparison they vary around."""

    prepared: compare.Prepared
    shown: int  # the first `shown` options are the comparison's; a last extra one may be the reference API
    results: dict[str, np.ndarray]  # key -> (options, samples)
    fits: np.ndarray  # (options, samples)
    ref: int  # row of the reference API
    samples: int


def simulate(cat: Catalog, sc: Scenario, values: dict[str, np.ndarray], n: int, vs: str | None = None,
             extra_apis: Sequence[str] = ()) -> Simulation:
    """Every option of the scenario costed on the same `n` samples of the ranged inputs (`values`: key ->
    array of n draws; keys not given stay at their point value)."""
    p = compare.prepare(cat, sc, vs, extra_apis)
    opts = list(p.opts)
    ref = next((i for i, o in enumerate(opts) if o.api is not None and o.api.id == p.ref.id), None)
    if ref is None:
        opts.append(compare.Option(f"api {p.ref.id}", lifecycle.API, api=p.ref))
        ref = len(opts) - 1
    cat_s, sc_s = _sampled(cat, sc, values)
    w = sc_s.workload
    eco = compare.economics(cat_s, sc_s)
    finetuned = sc.lifecycle is not None and sc.lifecycle.finetune is not None
    ref_usd, _ = compare.api_price_per_request(p.ref, sc_s, finetuned)
    peak = 1.0 if w.batch else (w.peak_to_average if w.peak_to_average is not None else cat_s.value("peak_to_average"))
    cap, fits = _capacity(cat, sc, cat_s, sc_s, p, opts, n, per_sample=bool(SERVING_KEYS & set(values)))
    rows = []
    for i, o in enumerate(opts):
        row = compare._lifecycle_inputs(cat_s, sc_s, dataclasses.replace(o, notes=[]), eco, peak, cap[i], ref_usd,  # type: ignore[arg-type]
                                        finetuned, _training(cat, sc, cat_s, sc_s, o))
        rows.append({k: np.broadcast_to(np.asarray(v, dtype=bool if k == "serverless" else float), (n,)) for k, v in row.items()})
    x = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    res = sweep.evaluate(x)
    return Simulation(p, len(p.opts), {k: v.reshape(len(opts), n) for k, v in res.items()}, fits, ref, n)


def _capacity(cat: Catalog, sc: Scenario, cat_s: Catalog, sc_s: Scenario, p: compare.Prepared, opts: list[compare.Option],
              n: int, per_sample: bool) -> tuple[list[np.ndarray], np.ndarray]:
    """(requests/s of one replica per option, fits (options x samples)): the point serving results when no
    serving input is uncertain, else the serving engine on choices x samples rows."""
    w = sc_s.workload
    fits = np.ones((len(opts), n), dtype=bool)
    for i, o in enumerate(opts):  # an API fits when the request is within its context
        if o.api is not None and o.api.context is not None:
            fits[i] = np.broadcast_to(w.input_tokens + w.output_tokens <= o.api.context, (n,))
    hw = [(i, o) for i, o in enumerate(opts) if o.choice is not None]
    caps: list[np.ndarray] = [np.zeros(n) for _ in opts]
    if not hw:
        return caps, fits
    if not per_sample:
        for i, o in hw:
            j = p.index[id(o)]
            fit = bool(p.serve_out["fits"][j])
            fits[i] = fit
            caps[i] = np.full(n, float(p.serve_out["requests_per_s"][j]) if fit else 0.0)
        return caps, fits
    quant = cat.get("quantizations", sc.serving.quantization)
    engine = inputs.engine_for(cat, sc.serving.engine, quant)
    model = cat.get("models", sc.serving.model)
    shape = inputs.model_shape(model)
    w0 = sc.workload
    choices: dict[tuple[int, str], int] = {}
    base: list[dict[str, np.ndarray]] = []
    for _, o in hw:
        ch = o.choice
        assert ch is not None
        if (ch.count, ch.gpu.id) in choices:
            continue
        choices[(ch.count, ch.gpu.id)] = len(base)
        row = runs.serve_inputs(cat, model, ch, quant.id, engine.id, w0.input_tokens, w0.output_tokens, 0,
                                None if w0.batch else sc.serving.max_tpot_ms)
        max_tpot = None if w.batch else sc_s.serving.max_tpot_ms
        row.update({
            "usable_fraction": cat_s.value("usable_memory_fraction"), "overhead_gib": cat_s.value("runtime_overhead_gib"),
            "kv_bytes_per_token": memory.kv_bytes_per_token(shape["layers"], shape["kv_elements_per_layer"],
                                                            cat_s.value("kv_cache_bytes")),
            "tp_efficiency": inputs.tp_efficiency(cat_s, ch.gpu, ch.count),
            "input_tokens": w.input_tokens, "output_tokens": w.output_tokens,
            "max_tpot_s": max_tpot / 1000.0 if max_tpot is not None else math.inf,
        })
        base.append({k: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for k, v in row.items()})
    x = {k: np.concatenate([b[k] for b in base]) for k in base[0]}
    total = len(x["gpus"])
    rps_flat, ok_flat = np.empty(total), np.empty(total, dtype=bool)
    for start in range(0, total, SERVE_ROWS):
        part = serving.serve({k: v[start:start + SERVE_ROWS] for k, v in x.items()})
        rps_flat[start:start + SERVE_ROWS] = part["requests_per_s"]
        ok_flat[start:start + SERVE_ROWS] = part["fits"]
    rps, ok = rps_flat.reshape(len(base), n), ok_flat.reshape(len(base), n)
    for i, o in hw:
        ch = o.choice
        assert ch is not None
        j = choices[(ch.count, ch.gpu.id)]
        fits[i] = ok[j]
        caps[i] = np.where(ok[j], rps[j], 0.0)
    return caps, fits


def _training(cat: Catalog, sc: Scenario, cat_s: Catalog, sc_s: Scenario, o: compare.Option) -> tuple[Any, Any, Any]:
    """(one-time, periodic, period months) of the lifecycle's training for one option on every sample: the
    point cost times the ratio of what it is proportional to (exactly 1 at the point values)."""
    life = sc.lifecycle
    if life is None:
        return 0.0, 0.0, 0.0
    life_s = sc_s.lifecycle
    assert life_s is not None
    ft_cost: Any = 0.0
    pt_cost: Any = 0.0
    period: Any = 0.0
    ch = o.choice
    own = o.kind == lifecycle.OWN
    energy_ratio: Any = 1.0
    if own and ch is not None:
        pue = "pue_datacenter" if ch.gpu.gpu_class == "datacenter" else "pue"
        energy_ratio = (cat_s.value("electricity_usd_per_kwh") / cat.value("electricity_usd_per_kwh")) \
            * (cat_s.value(pue) / cat.value(pue))
    if life.finetune is not None:
        ft, ft_s = life.finetune, life_s.finetune
        assert ft_s is not None
        one, _, _, _ = compare._training_costs(cat, dataclasses.replace(sc, lifecycle=dataclasses.replace(life, pretrain=None)),
                                               dataclasses.replace(o, notes=[]))
        scale: Any = (ft_s.tokens / float(ft.tokens)) * (ft_s.epochs / float(ft.epochs))
        if ch is not None:
            scale = scale * _mfu_ratio(cat, cat_s, ch.gpu, ch.count) * energy_ratio
            if ft.method == "qlora":
                scale = scale * (cat_s.value("qlora_compute_overhead") / cat.value("qlora_compute_overhead"))
        ft_cost = one * scale
        if ft.every_months:
            period = ft_s.every_months
    if life.pretrain is not None and ch is not None:
        pt, pt_s = life.pretrain, life_s.pretrain
        assert pt_s is not None
        one, _, _, _ = compare._training_costs(cat, dataclasses.replace(sc, lifecycle=dataclasses.replace(life, finetune=None)),
                                               dataclasses.replace(o, notes=[]))
        pt_cost = one * (pt_s.tokens / float(pt.tokens)) * _mfu_ratio(cat, cat_s, ch.gpu, pt.gpus or ch.count) * energy_ratio
    return ft_cost + pt_cost, ft_cost if life.finetune is not None and life.finetune.every_months else 0.0, period


def _mfu_ratio(cat: Catalog, cat_s: Catalog, gpu: Any, count: float) -> Any:
    """Point MFU over sampled MFU for a training setting: run time (and cost) is proportional to 1 / MFU."""
    name = "mfu_single_gpu" if count <= 1 else "mfu_nvlink" if gpu.interconnect == "nvlink" else "mfu_pcie"
    return cat.value(name) / cat_s.value(name)


# ---------------------------------------------------------------------------------------------- summaries


def quantile_cells(values: np.ndarray, fits: np.ndarray, q: float, never: bool) -> list[Any]:
    """Per row of `values` (rows x samples), the q-quantile as an output cell: the smallest sample value with at
    least a share q of samples at or below it (inverted CDF, always a value some sample had). "never" (inf)
    ranks above every number and "does not fit" above "never", so a percentile is "never" when more than
    1 - q of the samples never get there.

    >>> quantile_cells(np.array([[1.0, 2.0, np.inf, np.inf]]), np.ones((1, 4), bool), 0.5, True)
    [2]
    >>> quantile_cells(np.array([[1.0, 2.0, np.inf, np.inf]]), np.ones((1, 4), bool), 0.9, True)
    ['never']
    """
    n = values.shape[1]
    k = min(max(math.ceil(round(q * n, 9)) - 1, 0), n - 1)
    v = np.sort(np.where(fits, values, np.nan), axis=1)[:, k]
    out: list[Any] = []
    for x in v.tolist():
        out.append(DOES_NOT_FIT if math.isnan(x) else (NEVER if never else NA) if math.isinf(x) else num(x))
    return out


def mc_rows(sim: Simulation, point_rows: list[Row], extra: dict[str, Any] | None = None) -> list[Row]:
    """Compare rows with P10/P50/P90 of each metric and the probability of beating the reference API."""
    shown = sim.shown
    kinds = [r["kind"] for r in point_rows]
    cells: dict[str, list[Any]] = {}
    for metric in METRICS:
        never = metric in ("breakeven_tokens_per_day", "payback_months")
        for name, q in QUANTILES:
            cells[f"{metric}_{name}"] = quantile_cells(sim.results[metric][:shown], sim.fits[:shown], q, never)
    tco, fits = sim.results["tco_usd"], sim.fits
    ref_fits = fits[sim.ref]
    cheaper = (fits[:shown] & (~ref_fits | (tco[:shown] < tco[sim.ref]))).mean(axis=1)
    p_fits = fits[:shown].mean(axis=1)
    rows = []
    for i, point in enumerate(point_rows):
        row: Row = {"option": point["option"], "kind": point["kind"], "model": point["model"], "fits": point["fits"],
                    **(extra or {}), "samples": sim.samples}
        for metric in METRICS:
            row[metric] = point[metric]
            for name, _ in QUANTILES:
                cell = cells[f"{metric}_{name}"][i]
                row[f"{metric}_{name}"] = NA if kinds[i] == "api" and metric in ("breakeven_tokens_per_day", "payback_months") else cell
        row["p_cheaper_than_api"] = NA if kinds[i] == "api" else num(cheaper[i])
        row["p_fits"] = num(p_fits[i])
        row["notes"] = point["notes"]
        rows.append(row)
    return rows


MC_KEYS = ("option", "kind", "model", "fits", "samples",
           *(k for m in METRICS for k in (m, *(f"{m}_{q}" for q, _ in QUANTILES))), "p_cheaper_than_api", "p_fits", "notes")
"""Keys of every compare row with --samples, in order (the CSV header)."""


def _summary(ranged: dict[str, Uncertain], n: int, seed: int) -> str:
    names = ", ".join(k.removeprefix("assumptions.") for k in ranged) or "none"
    return f"{n:,} samples (seed {seed}) of {len(ranged)} ranged inputs: {names}."


def compare_uncertain(cat: Catalog, sc: Scenario, samples: int, seed: int = DEFAULT_SEED, vs: str | None = None,
                      extra_apis: Sequence[str] = ()) -> compare.Comparison:
    """`compare` with P10/P50/P90 columns over `samples` correlated draws of the ranged inputs."""
    point = compare.compare(cat, sc, vs, extra_apis)
    ranged = uncertain_inputs(cat, sc)
    sim = simulate(cat, sc, draws(ranged, samples, seed), samples, vs, extra_apis)
    rows = mc_rows(sim, point.rows)
    lines = [point.verdict, _summary(ranged, samples, seed)]
    own = [r for r in rows if r["kind"] == "own" and r["fits"] and isinstance(r["tco_usd"], (int, float))]
    if own:
        best = min(own, key=lambda r: r["tco_usd"])
        lines.append(f"{best['option']} costs less than {point.reference} over the horizon in {best['p_cheaper_than_api']:.0%} "
                     f"of samples; its TCO P10-P90 is {_money(best['tco_usd_p10'])} to {_money(best['tco_usd_p90'])}, "
                     f"payback P10/P50/P90 {_months(best['payback_months_p10'])} / {_months(best['payback_months_p50'])} / "
                     f"{_months(best['payback_months_p90'])}.")
    return compare.Comparison(rows, " ".join(lines), point.reference, point.months, point.cumulative)


def breakeven_uncertain(cat: Catalog, sc: Scenario, samples: int, seed: int = DEFAULT_SEED,
                        apis: Sequence[str] = ()) -> list[Row]:
    """`breakeven` with P10/P50/P90 of break-even volume and payback, every API on the same draws."""
    ranged = uncertain_inputs(cat, sc)
    values = draws(ranged, samples, seed)
    out = []
    for api_id, point in compare.against_each_api(cat, sc, apis).items():
        sim = simulate(cat, sc, values, samples, api_id, apis)
        api_month = next(a["monthly_usd"] for a in point.rows if a["option"] == f"api {api_id}")
        for r in mc_rows(sim, point.rows, {"api": api_id}):
            if r["kind"] == "api":
                continue
            out.append({k: r[k] for k in ("option", "kind", "api", "fits", "samples")}
                       | {k: r[k] for m in ("breakeven_tokens_per_day", "payback_months", "monthly_usd")
                          for k in (m, *(f"{m}_{q}" for q, _ in QUANTILES))}
                       | {"api_monthly_usd": api_month, "p_cheaper_than_api": r["p_cheaper_than_api"], "p_fits": r["p_fits"]})
    return out


def _money(v: Any) -> str:
    return f"${v:,.0f}" if isinstance(v, (int, float)) else str(v)


def _months(v: Any) -> str:
    return f"{v:.1f} mo" if isinstance(v, (int, float)) else str(v)


# ---------------------------------------------------------------------------------------------- tornado


@dataclass
class Tornado:
    rows: list[Row]
    option: str
    reference: str
    metric: str
    base: Any
    no_effect: list[str]


def _cell(v: float, ok: bool, never: bool) -> Any:
    if not ok:
        return DOES_NOT_FIT
    if math.isinf(v):
        return NEVER if never else NA
    return num(v)


def tornado(cat: Catalog, sc: Scenario, option: str | None = None, metric: str = "payback_months", vs: str | None = None,
            extra_apis: Sequence[str] = ()) -> Tornado:
    """For one own or rent option against the reference API: `metric` with each ranged input at its low and
    its high end (low/high of triangular and uniform ranges, P10/P90 of normal and lognormal ones) and every
    other input at its mode, sorted by swing (largest first; an end that is "never" or "does not fit" while
    the other is a number swings without bound)."""
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
    point = compare.compare(cat, sc, vs, extra_apis)
    candidates = [r for r in point.rows if r["kind"] in ("own", "rent")]
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
    i = [r["option"] for r in point.rows].index(label)
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
    return Tornado(rows, label, point.reference, metric, _cell(m[0], ok[0], never), no_effect)


def tornado_chart(t: Tornado, width: int = 40) -> str:
    """Text bars: each input's range of the metric around the value with every input at its mode (|)."""
    lo_key, hi_key = f"{t.metric}_at_low", f"{t.metric}_at_high"
    nums = [v for r in t.rows for v in (r[lo_key], r[hi_key]) if isinstance(v, (int, float))]
    if isinstance(t.base, (int, float)):
        nums.append(t.base)
    if not nums or not t.rows:
        return "(nothing to chart)"
    left, right = min(nums), max(nums)
    span = (right - left) or 1.0
    name_w = max(len(r["input"].removeprefix("assumptions.")) for r in t.rows)

    def col(v: Any, missing: int) -> int:
        return round((v - left) / span * (width - 1)) if isinstance(v, (int, float)) else missing

    base = col(t.base, width - 1)
    lines = [f"{t.metric} of {t.option} vs {t.reference}: | = all inputs at their mode ({_fmt(t.base)}); "
             "bars span the input's low to high end ('>' = never or does not fit)"]
    for r in t.rows:
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
    from llmcost.render import human

    return human(v) if isinstance(v, (int, float)) else str(v)
