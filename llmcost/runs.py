"""The pretrain, finetune and serve estimates: profiles in, engine called once, rows out.

Each function returns (rows, explanation). Rows carry the contract keys of DESIGN.md section 4;
a row that does not fit carries the state "does not fit" in its cost columns and a `reason`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmcost import inputs
from llmcost.catalog import Catalog, gpu_price_usd, parse_gpu_option
from llmcost.engine import memory, money, serving, training
from llmcost.errors import LlmcostError
from llmcost.explain import Explanation
from llmcost.schema import Gpu, Model

DOES_NOT_FIT = "does not fit"
NA = "n/a"
Row = dict[str, Any]


def num(value: Any) -> float | int:
    """A plain Python number for output (ints stay ints)."""
    v = float(value)
    if not math.isfinite(v):
        raise LlmcostError("a result overflowed to infinity; check the profiles and options for extreme values "
                           "(numbers are accepted up to 1e18)")
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


@dataclass(frozen=True)
class GpuChoice:
    count: int
    gpu: Gpu

    @property
    def label(self) -> str:
        return f"{self.count}x{self.gpu.id}" if self.count > 1 else self.gpu.id


def gpu_choices(cat: Catalog, specs: Sequence[str], default_count: int | None = None) -> list[GpuChoice]:
    """Parse --gpu values (ID or NxID); a plain ID takes `default_count` GPUs when given."""
    out = []
    for spec in specs:
        count, gid = parse_gpu_option(spec)
        explicit = spec.strip() != gid
        out.append(GpuChoice(count if explicit or default_count is None else default_count, cat.get("gpus", gid)))
    return out


def _reported(model: Model) -> Row:
    rep = model.reported
    get = (lambda k: getattr(rep, k) if rep is not None and getattr(rep, k) is not None else NA)
    energy = get("energy_mwh")
    return {
        "reported_gpu_hours": get("gpu_hours"),
        "reported_flops": get("training_flops"),
        "reported_energy_kwh": energy * 1000 if energy != NA else NA,
        "reported_gpu": get("gpu") if get("gpu") != NA else get("hardware"),
    }


def _run_cost_inputs(cat: Catalog, gpu: Gpu, gpus: float, used: bool, rate: float | None) -> Row:
    host_usd, host_w = inputs.host_per_gpu(cat, gpu)
    return {
        "gpus": gpus,
        "power_w": gpu.power_w,
        "pue": inputs.pue(cat, gpu),
        "host_power_w_per_gpu": host_w,
        "electricity_usd_per_kwh": cat.value("electricity_usd_per_kwh"),
        "capex_usd_per_gpu": gpu_price_usd(gpu, used) + host_usd,
        "resale_fraction": inputs.resale_fraction(cat, gpu),
        "lifetime_months": cat.value("lifetime_months"),
        "rental_usd_per_gpu_hour": rate or 0.0,
    }


def _rate(cat: Catalog, gpu: Gpu, override: float | None) -> tuple[float | None, str]:
    if override is not None:
        return override, "--usd-per-gpu-hour"
    offer = inputs.cheapest_rental(cat, gpu.id)
    return (offer.usd_per_gpu_hour, offer.id) if offer else (None, NA)


def _costs_or_state(row: Row, fits: bool, rate: float | None, out: dict[str, np.ndarray], i: int) -> None:
    for key in ("energy_kwh", "gpu_energy_kwh", "cost_owned_usd", "capex_usd", "gpu_hours", "wall_hours"):
        row[key] = num(out[key][i]) if fits else DOES_NOT_FIT
    row["cost_rented_usd"] = (num(out["cost_rented_usd"][i]) if rate is not None else NA) if fits else DOES_NOT_FIT


def pretrain_rows(cat: Catalog, model_id: str, gpu_specs: Sequence[str], gpus: int | None, tokens: float | None,
                  seq_len: int | None = None, mfu: float | None = None, usd_per_gpu_hour: float | None = None,
                  used: bool = False) -> tuple[list[Row], Explanation]:
    """Pre-training estimate for a model on each GPU option. A bare GPU id takes `gpus` GPUs, or when
    `gpus` is None the fewest that fit; `NxID` takes N."""
    model: Model = cat.get("models", model_id)
    if tokens is None:
        if model.pretrain_tokens_b is None:
            raise LlmcostError(f"model {model.id!r} has no pretrain_tokens_b; give --tokens (e.g. --tokens 1.4T)")
        tokens = model.pretrain_tokens_b * 1e9
    shape = inputs.model_shape(model)
    t = float(seq_len or min(model.context, cat.value("pretrain_seq_len_max")))
    choices = gpu_choices(cat, gpu_specs, gpus)
    ex = Explanation(cat, "pretrain")

    def engine_inputs(ch: GpuChoice) -> Row:
        rate, _ = _rate(cat, ch.gpu, usd_per_gpu_hour)
        return {**shape, **_run_cost_inputs(cat, ch.gpu, ch.count, used, rate), "seq_len": t, "tokens": tokens,
                "tflops": ch.gpu.tflops_bf16, "mfu": mfu if mfu is not None else inputs.training_mfu(cat, ch.gpu, ch.count),
                "memory_gib": ch.gpu.memory_gib, "state_bytes_per_param": cat.value("optimizer_bytes_per_param"),
                "act_bytes_per_token_hidden": cat.value("activation_bytes_per_token_hidden"),
                "ckpt_bytes_per_token_hidden": cat.value("checkpoint_bytes_per_token_hidden"),
                "tp_group": cat.value("gpus_per_host"), "overhead_gib": cat.value("training_overhead_gib")}

    base = [engine_inputs(ch) for ch in choices]
    out = training.pretrain(inputs.stack(base))
    if gpus is None:  # bare ids: the fewest GPUs that fit (min_gpus does not depend on the count asked)
        bare = [parse_gpu_option(spec)[1] == spec.strip() for spec in gpu_specs]
        fewest = [GpuChoice(int(out["min_gpus"][i]), ch.gpu) if b and np.isfinite(out["min_gpus"][i]) else ch
                  for i, (ch, b) in enumerate(zip(choices, bare, strict=True))]
        if fewest != choices:
            choices = fewest
            base = [engine_inputs(ch) for ch in choices]
            out = training.pretrain(inputs.stack(base))
    rows = []
    for i, ch in enumerate(choices):
        fits = bool(out["fits"][i])
        rate, rate_src = _rate(cat, ch.gpu, usd_per_gpu_hour)
        row: Row = {"model": model.id, "gpu": ch.gpu.id, "gpus": ch.count, "tokens": num(tokens), "flops": num(out["flops"][i]),
                    "mfu": num(base[i]["mfu"]), "fits": fits, "memory_per_gpu_gib": num(out["memory_per_gpu_gib"][i]),
                    "min_gpus": num(out["min_gpus"][i]) if np.isfinite(out["min_gpus"][i]) else "never"}
        _costs_or_state(row, fits, rate, out, i)
        row["wall_days"] = num(out["wall_hours"][i] / 24) if fits else DOES_NOT_FIT
        row["rental"] = rate_src
        row.update(_reported(model))
        row["reason"] = "" if fits else f"needs {row['min_gpus']} x {ch.gpu.id} for weights, gradients and Adam states"
        rows.append(row)
        ex.pretrain(model, ch, base[i], out, i, rate_src)
    return rows, ex


TARGET_CODES = {name: i for i, name in enumerate(memory.LORA_TARGETS)}


def finetune_rows(cat: Catalog, model_id: str, gpu_specs: Sequence[str], method: str, *, rank: int | None = None,
                  targets: str = "all", batch: int | None = None, seq_len: int | None = None,
                  checkpointing: bool | None = None, tokens: float | None = None, epochs: float | None = None,
                  mfu: float | None = None, usd_per_gpu_hour: float | None = None, apis: Sequence[str] = (),
                  used: bool = False) -> tuple[list[Row], Explanation]:
    """Fine-tuning estimate (full, lora, qlora) on each GPU option, plus API fine-tuning offers."""
    model: Model = cat.get("models", model_id)
    if method not in ("full", "lora", "qlora"):
        raise LlmcostError(f"--method {method!r}: use full, lora or qlora")
    if targets not in TARGET_CODES:
        raise LlmcostError(f"--targets {targets!r}: use {', '.join(TARGET_CODES)}")
    shape = inputs.model_shape(model)
    rank = rank or int(cat.value("lora_rank"))
    batch = batch or int(cat.value("finetune_batch"))
    t = float(seq_len or cat.value("finetune_seq_len"))
    dataset = tokens if tokens is not None else cat.value("finetune_dataset_tokens")
    epochs = epochs if epochs is not None else cat.value("finetune_epochs")
    trainable = float(memory.lora_trainable_params(rank, shape["layers"], shape["d_model"], shape["heads"], shape["kv_heads"],
                                                   shape["head_dim"], shape["ffn_dim"], shape["ffn_gated"],
                                                   max(shape["experts"], 1.0), TARGET_CODES[targets]))
    if method == "full":
        trainable = shape["params"]
    nf4 = cat.get("quantizations", "nf4").bits_per_weight
    choices = gpu_choices(cat, gpu_specs)
    ex = Explanation(cat, "finetune")
    base = []
    for ch in choices:
        rate, _ = _rate(cat, ch.gpu, usd_per_gpu_hour)
        base.append({**shape, **_run_cost_inputs(cat, ch.gpu, ch.count, used, rate),
                     "method_full": method == "full", "trainable_params": trainable,
                     "base_bits_per_weight": nf4 if method == "qlora" else 16.0,
                     "dequant_overhead": cat.value("qlora_compute_overhead") if method == "qlora" else 1.0,
                     "seq_len": t, "batch": float(batch), "checkpointing": _checkpoint_mode(checkpointing, method),
                     "tokens": dataset * epochs, "tflops": ch.gpu.tflops_bf16,
                     "mfu": mfu if mfu is not None else inputs.training_mfu(cat, ch.gpu, ch.count),
                     "memory_gib": ch.gpu.memory_gib, "state_bytes_per_param": cat.value("optimizer_bytes_per_param"),
                     "trainable_bytes_per_param": cat.value("trainable_bytes_per_param"),
                     "act_bytes_per_token_hidden": cat.value("activation_bytes_per_token_hidden"),
                     "ckpt_bytes_per_token_hidden": cat.value("checkpoint_bytes_per_token_hidden"),
                     "overhead_gib": cat.value("training_overhead_gib")})
    rows: list[Row] = []
    out = training.finetune(inputs.stack(base)) if base else {}
    for i, ch in enumerate(choices):
        fits = bool(out["fits"][i])
        rate, rate_src = _rate(cat, ch.gpu, usd_per_gpu_hour)
        row: Row = {"kind": "own", "model": model.id, "gpu": ch.gpu.id, "gpus": ch.count, "method": method,
                    "trainable_params": num(trainable), "tokens": num(dataset * epochs), "flops": num(out["flops"][i]),
                    "checkpointing": bool(out["checkpointing"][i]), "fits": fits,
                    "memory_per_gpu_gib": num(out["memory_per_gpu_gib"][i]),
                    "tokens_per_s": num(out["tokens_per_s"][i]) if fits else DOES_NOT_FIT}
        _costs_or_state(row, fits, rate, out, i)
        row["rental"] = rate_src
        row["reason"] = "" if fits else (f"needs {row['memory_per_gpu_gib']:.1f} GiB per GPU, {ch.gpu.id} has {ch.gpu.memory_gib:g}; "
                                         "try --method qlora, a smaller --batch/--seq-len, --checkpointing or more GPUs")
        rows.append(row)
        ex.finetune(model, ch, base[i], out, i, rate_src)
    for api_id in apis:
        api = cat.get("apis", api_id)
        price = api.finetune_train_usd_per_mtok
        rows.append({"kind": "api", "model": model.id, "gpu": api.id, "gpus": NA, "method": "api", "trainable_params": NA,
                     "tokens": num(dataset * epochs), "flops": NA, "checkpointing": NA, "fits": price is not None,
                     "memory_per_gpu_gib": NA, "tokens_per_s": NA, "energy_kwh": NA, "gpu_energy_kwh": NA, "cost_owned_usd": NA,
                     "capex_usd": NA,
                     "gpu_hours": NA, "wall_hours": NA,
                     "cost_rented_usd": num(price * dataset * epochs / 1e6) if price is not None else NA,
                     "rental": api.id, "reason": "" if price is not None else f"{api.id} sells no fine-tuning"})
    return rows, ex


def _checkpoint_mode(checkpointing: bool | None, method: str) -> float:
    """1 on, 0 off, -1 auto. QLoRA defaults to on, as in its recipe (Dettmers et al. 2023 sec. 4 train with
    gradient checkpointing): whoever picks QLoRA is short of memory."""
    if checkpointing is None:
        return 1.0 if method == "qlora" else -1.0
    return float(checkpointing)


def serve_rows(cat: Catalog, model_id: str, gpu_specs: Sequence[str], quant_id: str, engine_id: str = "auto", *,
               concurrency: int = 0, input_tokens: float | None = None, output_tokens: float | None = None,
               max_tpot_ms: float | None = None, used: bool = False) -> tuple[list[Row], Explanation]:
    """Serving estimate for one model, format and engine on each GPU option (NxID = tensor parallel)."""
    model: Model = cat.get("models", model_id)
    quant = cat.get("quantizations", quant_id)
    engine = inputs.engine_for(cat, engine_id, quant)
    inp = input_tokens if input_tokens is not None else cat.value("serve_input_tokens")
    outp = output_tokens if output_tokens is not None else cat.value("serve_output_tokens")
    choices = gpu_choices(cat, gpu_specs)
    base = [serve_inputs(cat, model, ch, quant.id, engine.id, inp, outp, concurrency, max_tpot_ms) for ch in choices]
    out = serving.serve(inputs.stack(base))
    ex = Explanation(cat, "serve")
    rows = []
    for i, ch in enumerate(choices):
        fits = bool(out["fits"][i])
        hourly_own, hourly_rent, rent_id = replica_hourly_usd(cat, ch, used, utilization=1.0)
        tokens_per_h = float(out["requests_per_s"][i]) * (inp + outp) * 3600.0
        row: Row = {"model": model.id, "gpu": ch.gpu.id, "gpus": ch.count, "quantization": quant.id, "engine": engine.id,
                    "fits": fits, "weights_gib": num(out["weights_bytes"][i] / memory.GIB),
                    "kv_mib_per_sequence": num(out["kv_bytes_per_sequence"][i] / 2**20),
                    "max_concurrency": num(out["max_concurrency"][i]), "concurrency": num(out["concurrency"][i])}
        for key in ("prefill_tokens_per_s", "decode_tokens_per_s", "output_tokens_per_s", "requests_per_s", "ttft_s", "tpot_s"):
            row[key] = num(out[key][i]) if fits else DOES_NOT_FIT
        row["bound"] = ("compute" if out["compute_bound"][i] else "memory") if fits else DOES_NOT_FIT
        row["usd_per_mtok"] = _per_mtok(hourly_own, tokens_per_h, fits)
        row["usd_per_mtok_rented"] = _per_mtok(hourly_rent, tokens_per_h, fits) if hourly_rent is not None else NA
        row["rental"] = rent_id
        row["reason"] = "" if fits else serve_reason(model, ch, base[i], out, i)
        rows.append(row)
        ex.serve(model, ch, quant, engine, base[i], out, i)
    return rows, ex


def _per_mtok(usd_per_hour: float, tokens_per_hour: float, fits: bool) -> Any:
    """USD per 1M tokens (input + output) at full load, or the state when the model does not fit."""
    return num(usd_per_hour / tokens_per_hour * 1e6) if fits and tokens_per_hour > 0 else DOES_NOT_FIT


def serve_inputs(cat: Catalog, model: Model, ch: GpuChoice, quant_id: str, engine_id: str, input_tokens: float,
                 output_tokens: float, concurrency: float, max_tpot_ms: float | None) -> Row:
    """Engine input row for serving `model` on `ch` (see llmcost.engine.serving.serve)."""
    quant = cat.get("quantizations", quant_id)
    engine = cat.get("engines", engine_id)
    shape = inputs.model_shape(model)
    bits = quant.bits_per_weight
    rate_peak = inputs.tensor_tflops(ch.gpu, quant.tensor_rate, engine.accumulate)
    return {
        **shape,
        "dense_bytes": float(memory.weights_bytes(shape["dense_params"], bits)),
        "expert_bytes": float(memory.weights_bytes(shape["expert_params_total"], bits)),
        "kv_bytes_per_token": float(memory.kv_bytes_per_token(shape["layers"], shape["kv_elements_per_layer"],
                                                                cat.value("kv_cache_bytes"))),
        "memory_gib": ch.gpu.memory_gib, "gpus": float(ch.count),
        "usable_fraction": cat.value("usable_memory_fraction"), "overhead_gib": cat.value("runtime_overhead_gib"),
        "bandwidth_gb_per_s": ch.gpu.memory_bandwidth_gb_per_s,
        "decode_tflops": rate_peak, "prefill_tflops": rate_peak,
        "bandwidth_efficiency": inputs.efficiency(engine.bandwidth_efficiency, quant.id, "bandwidth_efficiency", engine.id),
        "compute_efficiency": inputs.efficiency(engine.compute_efficiency, quant.id, "compute_efficiency", engine.id),
        "prefill_efficiency": inputs.efficiency(engine.prefill_efficiency, quant.id, "prefill_efficiency", engine.id),
        "engine_max_concurrency": float(engine.max_concurrency),
        "tp_efficiency": inputs.tp_efficiency(cat, ch.gpu, ch.count),
        "input_tokens": float(input_tokens), "output_tokens": float(output_tokens), "model_context": shape["context"],
        "concurrency": float(concurrency), "max_tpot_s": max_tpot_ms / 1000.0 if max_tpot_ms else math.inf,
    }


def serve_reason(model: Model, ch: GpuChoice, x: Row, out: dict[str, np.ndarray], i: int) -> str:
    if x["input_tokens"] + x["output_tokens"] > x["model_context"]:
        return f"{x['input_tokens'] + x['output_tokens']:.0f} tokens per request exceed {model.id}'s context of {model.context}"
    per_gpu = float(memory.usable_bytes(ch.gpu.memory_gib, 1, x["usable_fraction"], x["overhead_gib"]))
    need = out["weights_bytes"][i] + out["kv_bytes_per_sequence"][i]
    gpus = math.ceil(need / per_gpu) if per_gpu > 0 else 0
    return (f"weights {out['weights_bytes'][i] / memory.GIB:.1f} GiB + one sequence's KV cache need about {gpus} x {ch.gpu.id}; "
            f"use --gpu {gpus}x{ch.gpu.id} or a smaller --quant")


def replica_hourly_usd(cat: Catalog, ch: GpuChoice, used: bool, utilization: float) -> tuple[float, float | None, str]:
    """(owned USD per hour, rented USD per hour or None, rental id) of one replica at a utilisation."""
    from llmcost.engine import energy

    host_usd, host_w = inputs.replica_host(cat, ch.gpu, ch.count)
    capex = ch.count * gpu_price_usd(ch.gpu, used) + host_usd
    dep = float(money.depreciation_usd(capex, inputs.resale_fraction(cat, ch.gpu), 1.0, cat.value("lifetime_months")))
    watts = ch.count * float(energy.average_power_w(ch.gpu.idle_power_w, ch.gpu.power_w, utilization)) + host_w
    kwh = float(energy.energy_kwh(watts, 1.0, inputs.pue(cat, ch.gpu)))
    own = dep + kwh * cat.value("electricity_usd_per_kwh") + cat.value("ops_usd_per_month") / money.HOURS_PER_MONTH
    offer = inputs.cheapest_rental(cat, ch.gpu.id)
    rent = offer.usd_per_gpu_hour * ch.count if offer else None
    return own, rent, offer.id if offer else NA
