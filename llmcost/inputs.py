"""From profile records to the engine's input numbers: model shapes, GPU peaks, defaults.

Everything here is lookup and unit conversion; formulas live in llmcost.engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from llmcost.catalog import BPW_RE, Catalog
from llmcost.engine import flops
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


def training_mfu(cat: Catalog, gpu: Gpu, gpus: float) -> float:
    """Default MFU by setting: one GPU, an NVLink cluster, or GPUs over PCIe."""
    if gpus <= 1:
        return cat.value("mfu_single_gpu")
    return cat.value("mfu_nvlink" if gpu.interconnect == "nvlink" else "mfu_pcie")


def tp_efficiency(cat: Catalog, gpu: Gpu, gpus: float) -> float:
    if gpus <= 1:
        return 1.0
    return cat.value("tp_efficiency_nvlink" if gpu.interconnect == "nvlink" else "tp_efficiency_pcie")


def host_per_gpu(cat: Catalog, gpu: Gpu) -> tuple[float, float]:
    """(USD, W) of host per GPU in a training cluster: datacenter servers or desktop hosts."""
    if gpu.gpu_class == "datacenter":
        return cat.value("datacenter_host_usd_per_gpu"), cat.value("datacenter_host_power_w_per_gpu")
    per = cat.value("consumer_gpus_per_host")
    return cat.value("host_usd") / per, cat.value("host_power_w") / per


def replica_host(cat: Catalog, gpu: Gpu, gpus: float, host_usd: Any = None, host_power_w: Any = None) -> tuple[Any, Any]:
    """(USD, W) of the host of one serving replica: an 8-GPU server's share per datacenter GPU, or one
    desktop box (host_usd, host_power_w; a scenario may override them) for consumer and workstation cards."""
    if gpu.gpu_class == "datacenter":
        return cat.value("datacenter_host_usd_per_gpu") * gpus, cat.value("datacenter_host_power_w_per_gpu") * gpus
    return (cat.value("host_usd") if host_usd is None else host_usd,
            cat.value("host_power_w") if host_power_w is None else host_power_w)


def resale_fraction(cat: Catalog, gpu: Gpu) -> float:
    return cat.value("resale_fraction_datacenter" if gpu.gpu_class == "datacenter" else "resale_fraction")


def pue(cat: Catalog, gpu: Gpu) -> float:
    return cat.value("pue_datacenter" if gpu.gpu_class == "datacenter" else "pue")


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
                return e
        raise LlmcostError(f"no engine runs quantization {quant.id!r}; pick another --quant")
    engine: Engine = cat.get("engines", engine_id)
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


def stack(rows: Sequence[dict[str, Any]]) -> dict[str, np.ndarray]:
    """List of per-row input dicts -> dict of 1-D arrays (the engine's scenario arrays)."""
    keys = rows[0].keys()
    return {k: np.array([r[k] for r in rows]) for k in keys}
