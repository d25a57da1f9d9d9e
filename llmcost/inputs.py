"""From profile records to the engine's input numbers: model shapes, GPU peaks, defaults.

Everything here is lookup and unit conversion; formulas live in llmcost.engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmcost import hosting
from llmcost.catalog import BPW_RE, Catalog, parse_gpu_option
from llmcost.engine import flops, memory
from llmcost.errors import LlmcostError
from llmcost.schema import Engine, Gpu, Model, Quantization, Rental


def model_shape(m: Model) -> dict[str, float]:
    """Shape numbers of a model; active parameters derived from the expert counts (never guessed)."""
    head_dim = m.head_dim or m.d_model // m.heads
    experts = float(m.experts or 0)
    k = float(m.experts_per_token or 0)
    expert_params = (m.expert_params_b or 0.0) * 1e9
    params = m.params_b * 1e9
    return {
        "params": params,
        "active_params": float(flops.active_params(params, experts, k, expert_params)),
        "dense_params": params - experts * expert_params,
        "expert_params_total": experts * expert_params,
        "experts": experts,
        "experts_per_token": k,
        "layers": float(m.layers),
        "d_model": float(m.d_model),
        "heads": float(m.heads),
        "kv_heads": float(m.kv_heads),
        "head_dim": float(head_dim),
        "ffn_dim": float(m.ffn_dim),
        "ffn_gated": float(m.ffn_gated),
        "kv_elements_per_layer": float(m.kv_elements_per_token_per_layer or 2 * m.kv_heads * head_dim),
        "context": float(m.context),
    }


def tensor_tflops(gpu: Gpu, rate: str, accumulate: str = "fp32") -> float:
    """Dense tensor peak for a format: FP16 with FP16 accumulate uses the GeForce double rate; FP8 and
    INT8 fall back to the BF16 rate on GPUs without them."""
    if rate == "fp16" and accumulate == "fp16":
        return gpu.tflops_fp16_acc16
    if rate == "fp8" and gpu.tflops_fp8:
        return gpu.tflops_fp8
    if rate == "int8" and gpu.tops_int8:
        return gpu.tops_int8
    return gpu.tflops_bf16


def training_mfu(cat: Catalog, gpu: Gpu, gpus: Any) -> Any:
    """Default MFU by setting: one GPU, an NVLink cluster, or GPUs over PCIe (`gpus` may be an array)."""
    many = cat.value("mfu_nvlink" if gpu.interconnect == "nvlink" else "mfu_pcie")
    return _per_count(gpus, cat.value("mfu_single_gpu"), many)


def tp_efficiency(cat: Catalog, gpu: Gpu, gpus: Any) -> Any:
    """Fraction of a tensor-parallel group's summed speed that a decode step reaches (1 on one GPU)."""
    return _per_count(gpus, 1.0, cat.value("tp_efficiency_nvlink" if gpu.interconnect == "nvlink" else "tp_efficiency_pcie"))


def _per_count(gpus: Any, one: Any, many: Any) -> Any:
    if np.ndim(gpus) == 0 and np.ndim(one) == 0 and np.ndim(many) == 0:
        return one if float(gpus) <= 1 else many
    return np.where(np.asarray(gpus) <= 1, one, many)


def rentals_for(cat: Catalog, gpu_id: str) -> list[Rental]:
    """Rental offers of a GPU, cheapest first."""
    offers = [r for r in cat.entries["rentals"].values() if r.gpu == gpu_id]
    return sorted(offers, key=lambda r: (r.usd_per_gpu_hour, r.id))


def cheapest_rental(cat: Catalog, gpu_id: str, kinds: Sequence[str] = ("on-demand", "serverless", "spot")) -> Rental | None:
    """Cheapest offer, preferring on-demand, then serverless, then spot (interruptible)."""
    offers = rentals_for(cat, gpu_id)
    for kind in kinds:
        match = [r for r in offers if r.kind == kind]
        if match:
            return match[0]
    return None


def engine_for(cat: Catalog, engine_id: str, quant: Quantization) -> Engine:
    """The engine asked for (or the first that runs `quant` when 'auto'); error if it cannot run it."""
    if engine_id == "auto":
        for e in cat.entries["engines"].values():
            if runs(e, quant.id):
                assert isinstance(e, Engine)
                return e
        raise LlmcostError(f"no engine runs quantization {quant.id!r}; pick another --quant")
    engine = cat.get("engines", engine_id)
    assert isinstance(engine, Engine)
    if not runs(engine, quant.id):
        able = [e.id for e in cat.entries["engines"].values() if runs(e, quant.id)]
        raise LlmcostError(f"engine {engine.id!r} does not run {quant.id!r} (it runs {', '.join(engine.quantizations)}); "
                           f"engines that do: {', '.join(able) or 'none'}")
    return engine


def runs(engine: Engine, quant_id: str) -> bool:
    """Whether `engine` runs quantization `quant_id` (`*bpw` in its list: any N.Nbpw)."""
    return quant_id in engine.quantizations or ("*bpw" in engine.quantizations and bool(BPW_RE.fullmatch(quant_id)))


def efficiency(table: dict[str, float], quant_id: str, what: str, engine_id: str) -> float:
    if quant_id in table:
        return table[quant_id]
    if "default" in table:
        return table["default"]
    raise LlmcostError(f"engine {engine_id!r} has no {what} for {quant_id!r} and no default; add one to its profile")


@dataclass(frozen=True)
class GpuChoice:
    """`count` GPUs of one kind working as one unit (a tensor-parallel replica or a training group)."""

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


def serve_inputs(cat: Catalog, model: Model, gpu: Gpu, gpus: Any, quant_id: str, engine_id: str, input_tokens: Any,
                 output_tokens: Any, concurrency: Any, max_tpot_ms: Any) -> dict[str, Any]:
    """Engine input row for serving `model` on `gpus` x `gpu` (see llmcost.engine.serving.serve). Token counts,
    the GPU count, the latency target and assumption values may be arrays (sweeps, Monte Carlo)."""
    quant = cat.get("quantizations", quant_id)
    engine = cat.get("engines", engine_id)
    shape = model_shape(model)
    bits = quant.bits_per_weight
    rate_peak = tensor_tflops(gpu, quant.tensor_rate, engine.accumulate)
    tpot = np.inf if max_tpot_ms is None else np.where(np.asarray(max_tpot_ms, dtype=float) > 0,
                                                       np.asarray(max_tpot_ms, dtype=float) / 1000.0, np.inf)
    return {
        **shape,
        "dense_bytes": float(memory.weights_bytes(shape["dense_params"], bits)),
        "expert_bytes": float(memory.weights_bytes(shape["expert_params_total"], bits)),
        "kv_bytes_per_token": memory.kv_bytes_per_token(shape["layers"], shape["kv_elements_per_layer"], cat.value("kv_cache_bytes")),
        "memory_gib": gpu.memory_gib, "gpus": gpus,
        "usable_fraction": cat.value("usable_memory_fraction"), "overhead_gib": cat.value("runtime_overhead_gib"),
        "bandwidth_gb_per_s": gpu.memory_bandwidth_gb_per_s,
        "decode_tflops": rate_peak, "prefill_tflops": rate_peak,
        "bandwidth_efficiency": efficiency(engine.bandwidth_efficiency, quant.id, "bandwidth_efficiency", engine.id),
        "compute_efficiency": efficiency(engine.compute_efficiency, quant.id, "compute_efficiency", engine.id),
        "prefill_efficiency": efficiency(engine.prefill_efficiency, quant.id, "prefill_efficiency", engine.id),
        "engine_max_concurrency": float(engine.max_concurrency),
        "tp_efficiency": tp_efficiency(cat, gpu, gpus),
        "input_tokens": input_tokens, "output_tokens": output_tokens, "model_context": shape["context"],
        "concurrency": concurrency, "max_tpot_s": tpot,
    }


def run_cost_inputs(cat: Catalog, gpu: Gpu, gpus: Any, used: bool, rate: float | None,
                    eco: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Energy and money inputs of a training run (llmcost.engine.training.run_costs): the hosts, site and
    upkeep of `llmcost.hosting` (the same boxes every command uses), the scenario's economics when given."""
    x = hosting.run_costs_inputs(cat, eco if eco is not None else hosting.economics(cat, None), gpu, gpus, used)
    return {"gpus": gpus, "power_w": gpu.power_w, "rental_usd_per_gpu_hour": rate or 0.0,
            **{k: x[k] for k in ("pue", "host_power_w_per_gpu", "electricity_usd_per_kwh", "capex_usd_per_gpu", "resale_fraction",
                                 "lifetime_months", "upkeep_usd_per_gpu_month")}}


def pretrain_inputs(cat: Catalog, model: Model, gpu: Gpu, gpus: Any, tokens: Any, seq_len: float | None = None,
                    mfu: Any = None, rate: float | None = None, used: bool = False,
                    eco: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Engine inputs of pre-training `model` on `gpus` x `gpu` (llmcost.engine.training.pretrain)."""
    t = float(seq_len or min(model.context, cat.value("pretrain_seq_len_max")))
    return {**model_shape(model), **run_cost_inputs(cat, gpu, gpus, used, rate, eco), "seq_len": t, "tokens": tokens,
            "tflops": gpu.tflops_bf16, "mfu": mfu if mfu is not None else training_mfu(cat, gpu, gpus),
            "memory_gib": gpu.memory_gib, "state_bytes_per_param": cat.value("optimizer_bytes_per_param"),
            "act_bytes_per_token_hidden": cat.value("activation_bytes_per_token_hidden"),
            "ckpt_bytes_per_token_hidden": cat.value("checkpoint_bytes_per_token_hidden"),
            "tp_group": cat.value("gpus_per_host"), "overhead_gib": cat.value("training_overhead_gib")}


LORA_TARGET_CODES = {name: i for i, name in enumerate(memory.LORA_TARGETS)}
FINETUNE_METHODS = ("full", "lora", "qlora")


def finetune_inputs(cat: Catalog, model: Model, gpu: Gpu, gpus: Any, method: str, *, rank: int | None = None,
                    targets: str = "all", batch: int | None = None, seq_len: float | None = None,
                    checkpointing: bool | None = None, tokens: Any = None, epochs: Any = None, mfu: Any = None,
                    rate: float | None = None, used: bool = False, eco: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Engine inputs of fine-tuning `model` (full, lora, qlora) on `gpus` x `gpu` (llmcost.engine.training.finetune);
    what is not given comes from the assumptions."""
    if method not in FINETUNE_METHODS:
        raise LlmcostError(f"--method {method!r}: use {', '.join(FINETUNE_METHODS)}")
    if targets not in LORA_TARGET_CODES:
        raise LlmcostError(f"--targets {targets!r}: use {', '.join(LORA_TARGET_CODES)}")
    shape = model_shape(model)
    return {**shape, **run_cost_inputs(cat, gpu, gpus, used, rate, eco),
            "method_full": method == "full", "trainable_params": trainable_params(cat, model, method, rank, targets),
            "base_bits_per_weight": cat.get("quantizations", "nf4").bits_per_weight if method == "qlora" else 16.0,
            "dequant_overhead": cat.value("qlora_compute_overhead") if method == "qlora" else 1.0,
            "seq_len": float(seq_len or cat.value("finetune_seq_len")), "batch": float(batch or cat.value("finetune_batch")),
            "checkpointing": checkpoint_mode(checkpointing, method),
            "tokens": (tokens if tokens is not None else cat.value("finetune_dataset_tokens"))
            * (epochs if epochs is not None else cat.value("finetune_epochs")),
            "tflops": gpu.tflops_bf16, "mfu": mfu if mfu is not None else training_mfu(cat, gpu, gpus),
            "memory_gib": gpu.memory_gib, "state_bytes_per_param": cat.value("optimizer_bytes_per_param"),
            "trainable_bytes_per_param": cat.value("trainable_bytes_per_param"),
            "act_bytes_per_token_hidden": cat.value("activation_bytes_per_token_hidden"),
            "ckpt_bytes_per_token_hidden": cat.value("checkpoint_bytes_per_token_hidden"),
            "overhead_gib": cat.value("training_overhead_gib")}


def trainable_params(cat: Catalog, model: Model, method: str, rank: int | None, targets: str) -> float:
    """Parameters a fine-tune trains: all of them (full), or the LoRA adapters' r (d_in + d_out) per matrix."""
    shape = model_shape(model)
    if method == "full":
        return shape["params"]
    r = rank or int(cat.value("lora_rank"))
    return float(memory.lora_trainable_params(r, shape["layers"], shape["d_model"], shape["heads"], shape["kv_heads"],
                                              shape["head_dim"], shape["ffn_dim"], shape["ffn_gated"], max(shape["experts"], 1.0),
                                              LORA_TARGET_CODES[targets]))


def checkpoint_mode(checkpointing: bool | None, method: str) -> float:
    """1 on, 0 off, -1 auto. QLoRA defaults to on, as in its recipe (Dettmers et al. 2023 sec. 4 train with
    gradient checkpointing): whoever picks QLoRA is short of memory."""
    if checkpointing is None:
        return 1.0 if method == "qlora" else -1.0
    return float(checkpointing)


def stack(rows: Sequence[Mapping[str, Any]], n: int = 1) -> dict[str, np.ndarray]:
    """Per-option input dicts whose values are scalars or arrays of `n` -> dict of 1-D arrays of
    len(rows) x n (option-major: the rows of the first option, then the second's, ...)."""
    keys = rows[0].keys()
    if n == 1 and all(np.ndim(r[k]) == 0 for r in rows for k in keys):
        return {k: np.array([r[k] for r in rows]) for k in keys}
    return {k: np.concatenate([np.broadcast_to(np.asarray(r[k], dtype=float if k != "serverless" else bool), (n,)) for r in rows])
            for k in keys}
