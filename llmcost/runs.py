"""The pretrain, finetune and serve estimates: profiles in, engine called once, a results.Table out.

Each function returns an `Estimate`: its columns carry the contract keys of DESIGN.md section 4 as
NumPy arrays (states as NaN, inf and the fits mask; results.Table turns them into words), and an
explanation for `--explain`. A row that does not fit reads "does not fit" in its cost columns and says
why in `reason`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from llmcost import hosting, inputs
from llmcost.catalog import Catalog, api_model, parse_gpu_option
from llmcost.engine import energy, memory, money, serving, training
from llmcost.errors import LlmcostError
from llmcost.explain import Explanation
from llmcost.inputs import GpuChoice
from llmcost.results import MISSES_TARGET, NA, Table, text_column
from llmcost.schema import Gpu, Model

Row = dict[str, Any]
COST_KEYS = ("energy_kwh", "gpu_energy_kwh", "cost_owned_usd", "capex_usd", "gpu_hours", "wall_hours")


@dataclass(frozen=True)
class Estimate:
    """A pretrain, finetune or serve result: `.columns`, `.rows()` and the `--explain` text."""

    table: Table
    explanation: Explanation

    @property
    def columns(self) -> Mapping[str, np.ndarray]:
        return self.table.columns

    def rows(self) -> list[Row]:
        """Exactly the rows of the command's `--format json` output."""
        return self.table.rows()


def _floats(values: Sequence[Any]) -> np.ndarray:
    """Numbers with None as NaN (n/a)."""
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _reported(model: Model, n: int) -> dict[str, np.ndarray]:
    rep = model.reported

    def get(k: str) -> Any:
        return getattr(rep, k) if rep is not None else None

    energy_mwh = get("energy_mwh")
    gpu = get("gpu") or get("hardware")
    return {
        "reported_gpu_hours": _floats([get("gpu_hours")] * n),
        "reported_flops": _floats([get("training_flops")] * n),
        "reported_energy_kwh": _floats([energy_mwh * 1000 if energy_mwh is not None else None] * n),
        "reported_gpu": text_column([gpu if gpu is not None else NA] * n),
    }


def _rate(cat: Catalog, gpu: Any, override: float | None) -> tuple[float | None, str]:
    if override is not None:
        return override, "--usd-per-gpu-hour"
    offer = inputs.cheapest_rental(cat, gpu.id)
    return (offer.usd_per_gpu_hour, offer.id) if offer else (None, NA)


def _costs(out: Mapping[str, np.ndarray], rates: Sequence[float | None], hosts: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Cost columns; owned cost and capex are n/a where no host carries the GPUs (the reason says why)."""
    cols = {k: np.asarray(out[k], dtype=float) for k in COST_KEYS}
    for k in ("cost_owned_usd", "capex_usd"):
        cols[k] = np.where(hosts["fits"], cols[k], np.nan)
    cols["cost_rented_usd"] = np.where([r is not None for r in rates], out["cost_rented_usd"], np.nan)
    return cols


def _hosts(cat: Catalog, choices: Sequence[GpuChoice], used: bool) -> dict[str, np.ndarray]:
    """Host box of each training option (hosting.cluster_for), as columns: fits, host, reason."""
    per = [inputs.default_run_costs(cat, ch.gpu, ch.count, used) for ch in choices]
    return {"fits": np.array([bool(p["fits"]) for p in per], dtype=bool),
            "host": text_column([str(p["host"]) for p in per]), "reason": text_column([str(p["reason"]) for p in per])}


def _reason(memory: str, hosts: Mapping[str, np.ndarray], i: int) -> str:
    host = "" if hosts["fits"][i] else f"{hosts['reason'][i]} (owned cost n/a)"
    return "; ".join(r for r in (memory, host) if r)


def pretrain(cat: Catalog, model_id: str, gpu_specs: Sequence[str], gpus: int | None, tokens: float | None,
             seq_len: int | None = None, mfu: float | None = None, usd_per_gpu_hour: float | None = None,
             used: bool = False) -> Estimate:
    """Pre-training estimate for a model on each GPU option. A bare GPU id takes `gpus` GPUs, or when
    `gpus` is None the fewest that fit; `NxID` takes N."""
    model: Model = cat.get("models", model_id)
    if tokens is None:
        if model.pretrain_tokens_b is None:
            raise LlmcostError(f"model {model.id!r} has no pretrain_tokens_b; give --tokens (e.g. --tokens 1.4T)")
        tokens = model.pretrain_tokens_b * 1e9
    choices = inputs.gpu_choices(cat, gpu_specs, gpus)
    rates = [_rate(cat, ch.gpu, usd_per_gpu_hour) for ch in choices]

    def engine_inputs(chs: Sequence[GpuChoice]) -> list[Row]:
        return [inputs.pretrain_inputs(cat, model, ch.gpu, float(ch.count), tokens, seq_len, mfu, r, used)
                for ch, (r, _) in zip(chs, rates, strict=True)]

    base = engine_inputs(choices)
    out = training.pretrain(inputs.stack(base))
    if gpus is None:  # bare ids: the fewest GPUs that fit (min_gpus does not depend on the count asked)
        bare = [parse_gpu_option(spec)[1] == spec.strip() for spec in gpu_specs]
        fewest = [GpuChoice(int(out["min_gpus"][i]), ch.gpu) if b and np.isfinite(out["min_gpus"][i]) and ch.gpu.interconnect != "none"
                  else ch for i, (ch, b) in enumerate(zip(choices, bare, strict=True))]
        if fewest != choices:
            choices = fewest
            base = engine_inputs(choices)
            out = training.pretrain(inputs.stack(base))
    n = len(choices)
    fits = np.asarray(out["fits"], dtype=bool)
    hosts = _hosts(cat, choices, used)
    reasons = [_reason("" if fits[i] else f"needs {_count(out['min_gpus'][i])} x {ch.gpu.id} for weights, gradients and Adam states",
                       hosts, i) for i, ch in enumerate(choices)]
    cols: dict[str, np.ndarray] = {
        "model": text_column([model.id] * n), "gpu": text_column([ch.gpu.id for ch in choices]),
        "gpus": _floats([ch.count for ch in choices]), "tokens": np.full(n, float(tokens)), "flops": out["flops"],
        "mfu": _floats([b["mfu"] for b in base]), "fits": fits, "memory_per_gpu_gib": out["memory_per_gpu_gib"],
        "min_gpus": out["min_gpus"], **_costs(out, [r for r, _ in rates], hosts), "wall_days": out["wall_hours"] / 24.0,
        "host": hosts["host"], "rental": text_column([src for _, src in rates]), **_reported(model, n),
        "reason": text_column(reasons),
    }
    ex = Explanation(cat, "pretrain", used)
    for i, ch in enumerate(choices):
        ex.later(functools.partial(ex.pretrain, model, ch, base[i], out, i, rates[i][1]))
    unfit = frozenset({*COST_KEYS, "cost_rented_usd", "wall_days"})
    return Estimate(Table(cols, fits, unfit, frozenset({"min_gpus"})), ex)


def _count(v: float) -> Any:
    return "never" if not np.isfinite(v) else int(v)


def finetune(cat: Catalog, model_id: str, gpu_specs: Sequence[str], method: str, *, rank: int | None = None,
             targets: str = "all", batch: int | None = None, seq_len: int | None = None,
             checkpointing: bool | None = None, tokens: float | None = None, epochs: float | None = None,
             mfu: float | None = None, usd_per_gpu_hour: float | None = None, apis: Sequence[str] = (),
             used: bool = False, recipe: inputs.Recipe | None = None) -> Estimate:
    """Fine-tuning estimate (full, lora, qlora) on each GPU option, plus API fine-tuning offers.

    One row per GPU option (kind `gpu`: owned and rented cost side by side) and per API (kind `api`: its price
    per trained token in `cost_api_usd`); a column that does not apply to a kind reads n/a. `dataset_tokens`
    x `epochs` = `tokens`, the tokens trained on (what GPU-hours and API prices are counted on). A GPU row that
    does not fit names the options that would make it fit (fit_hint)."""
    model: Model = cat.get("models", model_id)
    choices = inputs.gpu_choices(cat, gpu_specs)
    rates = [_rate(cat, ch.gpu, usd_per_gpu_hour) for ch in choices]
    recipe = recipe or inputs.Recipe(checkpointing=checkpointing)
    setting: dict[str, Any] = dict(rank=rank, targets=targets, batch=batch, seq_len=seq_len, tokens=tokens, epochs=epochs, mfu=mfu,
                                   used=used)
    base = [inputs.finetune_inputs(cat, model, ch.gpu, float(ch.count), method, rate=r, recipe=recipe, **setting)
            for ch, (r, _) in zip(choices, rates, strict=True)]
    trainable = inputs.trainable_params(cat, model, method, rank, targets)
    dataset = tokens if tokens is not None else cat.value("finetune_dataset_tokens")
    passes = epochs if epochs is not None else cat.value("finetune_epochs")
    trained = dataset * passes
    if base:
        out = training.finetune(inputs.stack(base))
    else:
        out = {k: np.zeros(0) for k in ("flops", "checkpointing", "fits", "memory_per_gpu_gib", "tokens_per_s", *COST_KEYS,
                                        "cost_rented_usd")}
    api_recs = [cat.get("apis", a) for a in apis]
    n_hw, n = len(choices), len(choices) + len(api_recs)
    fits = np.concatenate([np.asarray(out["fits"], dtype=bool),
                           np.array([a.finetune_train_usd_per_mtok is not None for a in api_recs], dtype=bool)])
    nan_api, nan_hw = np.full(len(api_recs), np.nan), np.full(n_hw, np.nan)

    def hw(values: Any) -> np.ndarray:
        return np.concatenate([np.asarray(values, dtype=float), nan_api])

    def per_kind(gpu_rows: Sequence[Any], api_rows: Sequence[Any]) -> np.ndarray:
        return text_column([*gpu_rows, *api_rows])

    hosts = _hosts(cat, choices, used)
    reasons = [_reason("" if fits[i] else f"needs {float(out['memory_per_gpu_gib'][i]):.1f} GiB per GPU, {ch.gpu.id} has "
                       f"{ch.gpu.memory_gib:g}; " + fit_hint(cat, model, ch, method, recipe, setting, base[i]), hosts, i)
               for i, ch in enumerate(choices)]
    reasons += ["" if a.finetune_train_usd_per_mtok is not None else f"{a.id} sells no fine-tuning" for a in api_recs]
    api_cost = [a.finetune_train_usd_per_mtok * trained / 1e6 if a.finetune_train_usd_per_mtok is not None else None for a in api_recs]
    costs = _costs(out, [r for r, _ in rates], hosts)
    cols: dict[str, np.ndarray] = {
        "option": per_kind([ch.label for ch in choices], [f"api {a.id}" for a in api_recs]),
        "kind": per_kind(["gpu"] * n_hw, ["api"] * len(api_recs)),
        "model": per_kind([model.id] * n_hw, [api_model(a) for a in api_recs]),
        "gpu": per_kind([ch.gpu.id for ch in choices], [NA] * len(api_recs)),
        "gpus": hw([ch.count for ch in choices]),
        "method": per_kind([method] * n_hw, [NA] * len(api_recs)),
        "trainable_params": hw([trainable] * n_hw),
        "dataset_tokens": np.full(n, float(dataset)), "epochs": np.full(n, float(passes)), "tokens": np.full(n, float(trained)),
        "flops": hw(out["flops"]),
        "checkpointing": per_kind([bool(c) for c in out["checkpointing"]], [NA] * len(api_recs)),
        "fits": fits, "memory_per_gpu_gib": hw(out["memory_per_gpu_gib"]), "tokens_per_s": hw(out["tokens_per_s"]),
        **{k: hw(costs[k]) for k in COST_KEYS},
        "cost_rented_usd": hw(costs["cost_rented_usd"]),
        "host": per_kind(list(hosts["host"]), [NA] * len(api_recs)),
        "rental": per_kind([src for _, src in rates], [NA] * len(api_recs)),
        "cost_api_usd": np.concatenate([nan_hw, _floats(api_cost)]),
        "api": per_kind([NA] * n_hw, [a.id for a in api_recs]),
        "reason": text_column(reasons),
    }
    ex = Explanation(cat, "finetune", used)
    for i, ch in enumerate(choices):
        ex.later(functools.partial(ex.finetune, model, ch, base[i], out, i, rates[i][1]))
    for a, cost in zip(api_recs, api_cost, strict=True):
        ex.later(functools.partial(ex.finetune_api, a, trained, cost))
    hw_rows = np.arange(n) < n_hw
    unfit = frozenset({"tokens_per_s", *COST_KEYS, "cost_rented_usd"})
    return Estimate(Table(cols, fits | ~hw_rows, unfit), ex)


PARALLELISM = {serving.SINGLE: "single", serving.TENSOR: "tensor", serving.PIPELINE: "pipeline"}
"""Words of the serving engine's `parallelism` codes."""


def fit_hint(cat: Catalog, model: Model, ch: GpuChoice, method: str, recipe: inputs.Recipe, setting: Mapping[str, Any],
             x: Row) -> str:
    """The options that would make a fine-tune that does not fit fit, each tried alone on the same run (and
    together when none does alone)."""
    ckpt_on = x["checkpointing"] > 0
    full = method == "full"
    tries: list[tuple[str, str, inputs.Recipe, dict[str, Any], int]] = []
    if method != "qlora":
        tries.append(("--method qlora", "qlora", recipe, {}, ch.count))
    if full:
        tries.append(("--method lora", "lora", recipe, {}, ch.count))
    if not ckpt_on:
        tries.append(("--checkpointing", method, replace(recipe, checkpointing=True), {}, ch.count))
    if ch.count > 1 and not bool(x["shard"]):
        tries.append(("--shard", method, replace(recipe, shard=True), {}, ch.count))
    if not recipe.offload:
        tries.append(("--offload", method, replace(recipe, offload=True), {}, ch.count))
    if full and recipe.optimizer != "paged-adamw8bit":
        tries.append(("--optimizer paged-adamw8bit", method, replace(recipe, optimizer="paged-adamw8bit"), {}, ch.count))
    if full and not recipe.optimizer_in_backward:
        tries.append(("--optimizer-in-backward", method, replace(recipe, optimizer_in_backward=True), {}, ch.count))
    for loss in list(inputs.LOSSES)[list(inputs.LOSSES).index(recipe.loss) + 1:]:
        tries.append((f"--loss {loss}", method, replace(recipe, loss=loss), {}, ch.count))
    if x["batch"] > 1:
        tries.append(("--batch 1", method, recipe, {"batch": 1}, ch.count))
    for n in range(ch.count + 1, int(cat.value("gpus_per_host")) + 1):
        tries.append((f"--gpu {n}x{ch.gpu.id}", method, recipe, {}, n))

    def fits(runs: Sequence[tuple[str, inputs.Recipe, Mapping[str, Any], int]]) -> list[bool]:
        """Whether each (method, recipe, other settings, GPUs) fits: one engine call over all of them."""
        rows = [inputs.finetune_inputs(cat, model, ch.gpu, float(n), m, recipe=r, **{**setting, **extra}) for m, r, extra, n in runs]
        return np.asarray(training.finetune(inputs.stack(rows))["fits"], dtype=bool).tolist() if rows else []

    ok = [name for (name, *_), fit in zip(tries, fits([t[1:] for t in tries]), strict=True) if fit]
    more = [o for o in ok if o.startswith("--gpu ")]
    named = [o for o in ok if not o.startswith("--gpu ")] + more[:1]  # the fewest GPUs that fit, not every count
    if named:
        return "fits with " + " or ".join(named)
    every = replace(recipe, checkpointing=True, shard=ch.count > 1, offload=True, loss=list(inputs.LOSSES)[-1],
                    optimizer="paged-adamw8bit" if full else recipe.optimizer, optimizer_in_backward=full)
    together = " ".join(dict.fromkeys(name for name, *_ in tries if not name.startswith(("--gpu ", "--method "))))
    if fits([("qlora" if method != "qlora" else method, every, {"batch": 1}, ch.count)])[0]:
        return f"fits only with several options together: {'--method qlora ' if method != 'qlora' else ''}{together}".rstrip()
    return "does not fit with any option on one box of these GPUs; use GPUs with more memory"


def serve(cat: Catalog, model_id: str, gpu_specs: Sequence[str], quant_id: str, engine_id: str = "auto", *,
          concurrency: int = 0, input_tokens: float | None = None, output_tokens: float | None = None,
          max_tpot_ms: float | None = None, cached_share: float = 0.0, used: bool = False) -> Estimate:
    """Serving estimate for one model, format and engine on each GPU option (NxID = one replica on N GPUs,
    tensor or pipeline parallel, whichever serves more)."""
    model: Model = cat.get("models", model_id)
    quant = cat.get("quantizations", quant_id)
    inp = input_tokens if input_tokens is not None else cat.value("serve_input_tokens")
    outp = output_tokens if output_tokens is not None else cat.value("serve_output_tokens")
    choices = inputs.gpu_choices(cat, gpu_specs)
    engines = [inputs.engine_for(cat, engine_id, quant, ch.gpu) for ch in choices]
    base = [inputs.serve_inputs(cat, model, ch.gpu, float(ch.count), quant.id, e.id, float(inp), float(outp),
                                float(concurrency), max_tpot_ms, cached_share) for ch, e in zip(choices, engines, strict=True)]
    out = serving.serve(inputs.stack(base))
    n = len(choices)
    fits = np.asarray(out["fits"], dtype=bool)
    fit_list = fits.tolist()
    misses = (fits & ~np.asarray(out["meets_latency"], dtype=bool)).tolist()
    hourly = [replica_hourly_usd(cat, ch, used, utilization=1.0) for ch in choices]
    tokens_per_h = out["requests_per_s"] * (inp + outp) * 3600.0
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(tokens_per_h > 0, _floats([h[0] for h in hourly]) / tokens_per_h * 1e6, np.nan)
        rent = np.where(tokens_per_h > 0, _floats([h[1] for h in hourly]) / tokens_per_h * 1e6, np.nan)
    cols: dict[str, np.ndarray] = {
        "model": text_column([model.id] * n), "gpu": text_column([ch.gpu.id for ch in choices]),
        "gpus": _floats([ch.count for ch in choices]), "quantization": text_column([quant.id] * n),
        "engine": text_column([e.id for e in engines]),
        "fits": text_column([MISSES_TARGET if miss else fit for miss, fit in zip(misses, fit_list, strict=True)]),
        "weights_gib": out["weights_bytes"] / memory.GIB,
        "kv_mib_per_sequence": out["kv_bytes_per_sequence"] / 2**20, "max_concurrency": out["max_concurrency"],
        "concurrency": np.where(fits, out["concurrency"], np.where(concurrency > 0, float(concurrency), np.nan)),
        "parallelism": text_column([PARALLELISM[p] if fit else NA for p, fit in zip(out["parallelism"].tolist(), fit_list, strict=True)]),
        **{k: out[k] for k in SERVE_RATES},
        "bound": text_column(["compute" if c else "memory" for c in out["compute_bound"].tolist()]),
        "usd_per_mtok": own, "usd_per_mtok_rented": rent,
        "host": text_column([h[3] for h in hourly]), "rental": text_column([h[2] for h in hourly]),
        "reason": text_column(["; ".join(r for r in ("" if fit_list[i] else serve_reason(model, ch, base[i], out, i), hourly[i][4]) if r)
                               for i, ch in enumerate(choices)]),
    }
    ex = Explanation(cat, "serve", used)
    for i, ch in enumerate(choices):
        ex.later(functools.partial(_explain_serve, ex, model, ch, quant, engines[i], base[i], out, i))
        ex.later(functools.partial(ex.serve_cost, ch, hourly[i][0], hourly[i][1], hourly[i][2], float(own[i])))
    return Estimate(Table(cols, fits, SERVE_UNFIT), ex)


SERVE_RATES = ("prefill_tokens_per_s", "decode_tokens_per_s", "output_tokens_per_s", "requests_per_s", "ttft_s", "tpot_s", "itl_s")
SERVE_UNFIT = frozenset({*SERVE_RATES, "bound", "usd_per_mtok", "usd_per_mtok_rented"})
"""Serve columns that read "does not fit" where a configuration does not."""


def _explain_serve(ex: Explanation, model: Model, ch: GpuChoice, quant: Any, engine: Any, x: Row, out: dict[str, np.ndarray],
                   i: int) -> None:
    ex.serve(model, ch, quant, engine, {**inputs.model_shape(model), **x}, out, i)


def serve_reason(model: Model, ch: GpuChoice, x: Row, out: Mapping[str, np.ndarray], i: int) -> str:
    """Why a serve row does not fit: a batch larger than memory holds (the state 'does not fit at N
    (at most M)'), a request longer than the context, or weights too big."""
    if out["model_fits"][i]:
        return f"does not fit at {x['concurrency']:.0f} (at most {out['max_concurrency'][i]:.0f})"
    if x["input_tokens"] + x["output_tokens"] > x["model_context"]:
        return f"{x['input_tokens'] + x['output_tokens']:.0f} tokens per request exceed {model.id}'s context of {model.context}"
    per_gpu = float(memory.usable_bytes(ch.gpu.memory_gib, 1, x["usable_fraction"], x["overhead_gib"]))
    need = out["weights_bytes"][i] + out["kv_bytes_per_sequence"][i]
    gpus = math.ceil(need / per_gpu) if per_gpu > 0 else 0
    return (f"weights {out['weights_bytes'][i] / memory.GIB:.1f} GiB + one sequence's KV cache need about {gpus} x {ch.gpu.id}; "
            f"use --gpu {gpus}x{ch.gpu.id} or a smaller --quant")


HourlyUsd = tuple[float | None, float | None, str, str, str]


def replica_hourly_usd(cat: Catalog, ch: GpuChoice, used: bool, utilization: float) -> HourlyUsd:
    """(owned USD per hour or None when no host carries it, rented USD per hour or None, rental id, host, why no
    host) of one replica at a utilisation: depreciation, energy at the site's price and PUE, and upkeep
    (operations, colocation, failed cards) of the same box `compare` prices (llmcost.hosting). Priced once per
    catalog (Catalog.derived)."""
    return cat.derived(_replica_hourly_usd, ch.gpu, ch.count, used, utilization)


def _replica_hourly_usd(cat: Catalog, gpu: Gpu, count: int, used: bool, utilization: float) -> HourlyUsd:
    ch = GpuChoice(count, gpu)
    eco = hosting.economics(cat, None)
    x = hosting.replica_costs(cat, eco, ch.gpu, float(ch.count), used)
    resale = hosting.resale_fraction(cat, eco, ch.gpu)
    dep = float(money.depreciation_usd(x["capex_usd"], resale, 1.0, eco["lifetime_months"]))
    watts = float(x["idle_w"] + x["busy_extra_w"] * utilization)
    kwh = float(energy.energy_kwh(watts, 1.0, x["pue"]))
    upkeep = float(x["ops_usd_per_month"] + x["colocation_usd_per_month"] + x["failures_usd_per_month"])
    own = dep + kwh * float(x["electricity_usd_per_kwh"]) + upkeep / money.HOURS_PER_MONTH
    offer = inputs.cheapest_rental(cat, ch.gpu.id)
    rent = offer.usd_per_gpu_hour * ch.count if offer else None
    fits = bool(x["fits"])
    return (own if fits else None), rent, offer.id if offer else NA, str(x["host"]), "" if fits else f"{x['reason']} (owned cost n/a)"
