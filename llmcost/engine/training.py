"""Training runs: pre-training and fine-tuning time, memory, energy and cost.

Inputs are mappings of broadcastable arrays (keys in each docstring); outputs dicts of arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from llmcost.engine import collectives, energy, flops, memory, money

F = NDArray[np.float64]


def _a(x: Mapping[str, ArrayLike], key: str) -> F:
    return np.asarray(x[key], dtype=float)


def run_costs(x: Mapping[str, ArrayLike], gpu_hours: F, wall_hours: F) -> dict[str, F]:
    """Energy and money of a training run.

    Energy = GPU-hours x (board W + host W per GPU) x PUE (LLaMA sec. 6 method). Owned cost: the hardware
    bought for the run and sold after it, capex x (1 - book value share after the run's wall-clock months,
    money.residual_share), plus energy at the site's price, plus upkeep for the wall-clock months. Rented
    cost: GPU-hours x the hourly rate (the provider's price carries its energy and upkeep).

    Parameters
    ----------
    x : mapping of str to array_like
        Arrays broadcast together:

        - gpus: GPUs, a count.
        - power_w: W per GPU when busy (board power).
        - host_power_w_per_gpu: W, the hosts' busy draw per GPU.
        - pue: ratio of facility to IT power (>= 1); electricity_usd_per_kwh: USD per kWh.
        - capex_usd_per_gpu: USD per GPU (the GPU, its host share, and for runs over several boxes the
          network and spares shares).
        - resale_fraction: fraction 0-1 of the price recovered at the end of the lifetime;
          lifetime_months: months.
        - upkeep_usd_per_gpu_month: USD per GPU and month (operations, colocation, failed-card
          replacements).
        - rental_usd_per_gpu_hour: USD per GPU-hour (0 = no offer).
    gpu_hours : ndarray
        GPU-hours of the run.
    wall_hours : ndarray
        Hours of wall-clock time of the run.

    Returns
    -------
    dict of str to ndarray
        Arrays of the broadcast shape: gpu_energy_kwh (kWh, the GPUs' boards with PUE), energy_kwh (kWh,
        hosts included), capex_usd, depreciation_usd, energy_usd, upkeep_usd, cost_owned_usd
        (depreciation + energy + upkeep) and cost_rented_usd (USD).
    """
    gpus = _a(x, "gpus")
    gpu_kwh = energy.energy_kwh(x["power_w"], gpu_hours, x["pue"])
    host_kwh = energy.energy_kwh(x["host_power_w_per_gpu"], gpu_hours, x["pue"])
    total_kwh = gpu_kwh + host_kwh
    capex = gpus * _a(x, "capex_usd_per_gpu")
    months = wall_hours / money.HOURS_PER_MONTH
    depreciation = capex * (1.0 - money.residual_share(months, x["lifetime_months"], x["resale_fraction"]))
    energy_usd = total_kwh * _a(x, "electricity_usd_per_kwh")
    upkeep = gpus * _a(x, "upkeep_usd_per_gpu_month") * months
    return {
        "gpu_energy_kwh": gpu_kwh,
        "energy_kwh": total_kwh,
        "capex_usd": capex,
        "energy_usd": energy_usd,
        "depreciation_usd": depreciation,
        "upkeep_usd": upkeep,
        "cost_owned_usd": depreciation + energy_usd + upkeep,
        "cost_rented_usd": gpu_hours * _a(x, "rental_usd_per_gpu_hour"),
    }


def pretrain_memory_per_gpu_bytes(params: ArrayLike, gpus: ArrayLike, state_bytes: ArrayLike,
                                  act_bytes: ArrayLike, tp_group: ArrayLike, overhead_bytes: ArrayLike) -> F:
    """Memory per GPU of pre-training: states sharded over all GPUs, activations over the tensor-parallel group.

    Weights, gradients and Adam states (16 bytes/param, ZeRO sec. 3.1) sharded over all GPUs, plus
    activations sharded over the tensor-parallel group (at most one host), plus runtime overhead.

    Parameters
    ----------
    params : array_like
        Parameters, a count.
    gpus : array_like
        GPUs, a count.
    state_bytes : array_like
        Bytes per parameter of weights, gradients and optimizer states.
    act_bytes : array_like
        Bytes of one micro-batch's activations (memory.activation_bytes).
    tp_group : array_like
        GPUs in a tensor-parallel group (one host), a count.
    overhead_bytes : array_like
        Bytes per GPU the runtime keeps.

    Returns
    -------
    ndarray
        Bytes per GPU, of the inputs' broadcast shape.

    Examples
    --------
    LLaMA 7B's 6.74e9 parameters at 16 bytes on 64 GPUs, 8 per host, with 8 GB of activations and 2 GB
    of overhead: 1.685 + 1 + 2 GB:

    >>> round(float(pretrain_memory_per_gpu_bytes(6.74e9, 64, 16, 8e9, 8, 2e9)) / 1e9, 3)
    4.685
    """
    g = np.asarray(gpus, dtype=float)
    return (np.asarray(params, dtype=float) * np.asarray(state_bytes, dtype=float) / g
            + np.asarray(act_bytes, dtype=float) / np.minimum(g, np.asarray(tp_group, dtype=float))
            + np.asarray(overhead_bytes, dtype=float))


def min_gpus_to_fit(params: ArrayLike, state_bytes: ArrayLike, act_bytes: ArrayLike, tp_group: ArrayLike,
                    overhead_bytes: ArrayLike, memory_bytes: ArrayLike) -> F:
    """Smallest GPU count whose per-GPU memory (pretrain_memory_per_gpu_bytes) fits; inf when none does.

    Closed form in two regimes: up to one host everything shards, (S + A) / G + o <= M; beyond it
    activations stop sharding, S / G + A / h + o <= M.

    Parameters
    ----------
    params : array_like
        Parameters, a count.
    state_bytes : array_like
        Bytes per parameter of weights, gradients and optimizer states.
    act_bytes : array_like
        Bytes of one micro-batch's activations.
    tp_group : array_like
        GPUs in a tensor-parallel group (one host), a count.
    overhead_bytes : array_like
        Bytes per GPU the runtime keeps.
    memory_bytes : array_like
        Bytes of memory per GPU.

    Returns
    -------
    ndarray
        GPUs, a count, of the inputs' broadcast shape; inf where no count fits.

    Examples
    --------
    The same run on 80 GB GPUs fits on 2 ((107.8 + 8) / 78 GB = 1.48); on 16 GB GPUs activations stop
    sharding beyond one host: 107.8 / (14 - 1) = 8.3, so 9; on 2 GB GPUs never:

    >>> min_gpus_to_fit(6.74e9, 16, 8e9, 8, 2e9, [80e9, 16e9, 2e9]).tolist()
    [2.0, 9.0, inf]
    """
    states = np.asarray(params, dtype=float) * np.asarray(state_bytes, dtype=float)
    act = np.asarray(act_bytes, dtype=float)
    h = np.asarray(tp_group, dtype=float)
    room = np.asarray(memory_bytes, dtype=float) - np.asarray(overhead_bytes, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        small = np.ceil((states + act) / room - 1e-9)
        large_room = room - act / h
        large = np.where(large_room > 0, np.ceil(states / large_room - 1e-9), np.inf)
    small = np.where(room > 0, np.maximum(small, 1.0), np.inf)
    return np.where(small <= h, small, np.maximum(large, h + 1.0))


def pretrain(x: Mapping[str, ArrayLike]) -> dict[str, NDArray[Any]]:
    """Pre-training estimate.

    FLOPs = (6 N + 3 x attention) D (PaLM App. B); GPU-hours = FLOPs / (peak x MFU); memory with full
    activation checkpointing at micro-batch 1.

    Parameters
    ----------
    x : mapping of str to array_like
        Arrays broadcast together, the keys of `run_costs` and:

        - params: parameters, a count; matmul_params: active weights that multiply per token, a count.
        - attn_flops_per_key, attn_window_flops_per_key: FLOPs per token per key of the full- and
          sliding-window layers; window: tokens (flops.attention_flops_per_token).
        - layers: a count; d_model: hidden units, a count.
        - seq_len: tokens per sequence; tokens: training tokens.
        - gpus: GPUs, a count; tflops: TFLOPS per GPU, the dense BF16 peak; mfu: fraction 0-1 of it reached.
        - memory_gib: GiB per GPU.
        - state_bytes_per_param: bytes per parameter of weights, gradients and Adam states.
        - act_bytes_per_token_hidden, ckpt_bytes_per_token_hidden: bytes per token, hidden unit and layer
          without and with checkpointing (memory.activation_bytes).
        - tp_group: GPUs in a tensor-parallel group (one host), a count.
        - overhead_gib: GiB per GPU the runtime keeps.

    Returns
    -------
    dict of str to ndarray
        Arrays of the broadcast shape: flops (FLOPs), flops_per_token (FLOPs per token), gpu_hours
        (GPU-hours), wall_hours (hours), memory_per_gpu_gib (GiB), fits (bool), min_gpus (a count; inf =
        none fits), tokens_per_s (tokens per second), and what `run_costs` returns.
    """
    per_token = flops.training_flops_per_token(x["matmul_params"], x["attn_flops_per_key"], x["seq_len"],
                                               x["attn_window_flops_per_key"], x["window"])
    total = per_token * _a(x, "tokens")
    gpu_hours = total / (_a(x, "tflops") * 1e12 * _a(x, "mfu")) / 3600.0
    wall_hours = gpu_hours / _a(x, "gpus")
    act = memory.activation_bytes(x["seq_len"], 1, x["d_model"], x["layers"], True,
                                  x["act_bytes_per_token_hidden"], x["ckpt_bytes_per_token_hidden"])
    overhead = _a(x, "overhead_gib") * memory.GIB
    per_gpu = pretrain_memory_per_gpu_bytes(x["params"], x["gpus"], x["state_bytes_per_param"], act, x["tp_group"], overhead)
    need = min_gpus_to_fit(x["params"], x["state_bytes_per_param"], act, x["tp_group"], overhead,
                           _a(x, "memory_gib") * memory.GIB)
    out: dict[str, NDArray[Any]] = {
        "flops": total,
        "flops_per_token": per_token,
        "gpu_hours": gpu_hours,
        "wall_hours": wall_hours,
        "memory_per_gpu_gib": per_gpu / memory.GIB,
        "fits": per_gpu <= _a(x, "memory_gib") * memory.GIB,
        "min_gpus": need,
        "tokens_per_s": _a(x, "tokens") / np.maximum(wall_hours * 3600.0, 1e-30),
    }
    out.update(run_costs(x, gpu_hours, wall_hours))
    return out


def finetune_resident_bytes(x: Mapping[str, ArrayLike]) -> tuple[F, F]:
    """(bytes per GPU that do not depend on the batch, bytes each training step moves over PCIe per GPU).

    Full fine-tuning keeps BF16 weights, their gradients and the optimizer states (mixed-precision
    AdamW: FP32 master, momentum and variance, 12 bytes; ZeRO sec. 3.1): 16 bytes per parameter.
    8-bit AdamW keeps its two moments in 2 bytes (Dettmers et al. 2021); a paged optimizer lets them
    live in CPU memory (bitsandbytes paged optimizers); stepping the optimizer in the backward pass
    frees each layer's gradients at once, so only one layer's are held (torchtune
    memory_optimizations: optimizer_in_bwd). LoRA and QLoRA hold the frozen base at its precision and
    16 bytes per trainable parameter.

    Sharding (FSDP FULL_SHARD / ZeRO-3; Zhao et al. 2023, PyTorch FSDP) divides all of that by the
    GPU count and holds two gathered layers (the one computing and the one prefetched) at the weights'
    precision; CPU offload keeps the shards in host memory and streams them in, weights twice a step
    (forward and backward) and full fine-tuning's gradients once out (FSDP CPUOffload; Answer.AI
    FSDP+QLoRA trains Llama-2 70B on two 24 GB cards this way).

    Parameters
    ----------
    x : mapping of str to array_like
        Arrays broadcast together, keyed as in `finetune` (same units); read here: method_full, params,
        gpus, layers, weight_bytes_per_param, base_bits_per_weight, optimizer_in_backward, paged_states,
        optimizer_state_bytes_per_param, trainable_params, trainable_bytes_per_param, shard and offload.

    Returns
    -------
    tuple of ndarray
        (bytes per GPU that do not depend on the batch, bytes each training step moves over PCIe per GPU),
        each of the broadcast shape.
    """
    full = np.asarray(x["method_full"], dtype=bool)
    params = _a(x, "params")
    g = _a(x, "gpus")
    layer = params / _a(x, "layers")
    weight_b = np.where(full, _a(x, "weight_bytes_per_param"), _a(x, "base_bits_per_weight") / 8.0)
    in_bwd = np.asarray(x["optimizer_in_backward"], dtype=bool)
    grads = _a(x, "weight_bytes_per_param") * np.where(in_bwd, layer, params)
    states = np.where(np.asarray(x["paged_states"], dtype=bool), 0.0, params * _a(x, "optimizer_state_bytes_per_param"))
    weights = params * weight_b
    shardable = np.where(full, weights + grads + states, weights + _a(x, "trainable_params") * _a(x, "trainable_bytes_per_param"))
    shard = np.asarray(x["shard"], dtype=bool)
    offload = np.asarray(x["offload"], dtype=bool)
    ways = np.where(shard, g, 1.0)
    gathered = np.where(shard | offload, np.minimum(2.0, _a(x, "layers")) * layer * weight_b, 0.0)
    resident = np.where(offload, 0.0, shardable / ways) + gathered
    moved = np.where(offload, (2.0 * weights + np.where(full, grads, 0.0)) / ways, 0.0)
    return resident, moved


def host_optimizer_s(trainable_params: ArrayLike, gpus: ArrayLike, held_bytes_per_param: ArrayLike, grad_bytes_per_param: ArrayLike,
                     host_memory_gb_per_s_per_gpu: ArrayLike, efficiency: ArrayLike) -> F:
    """Seconds the CPU takes to step the optimizer of one GPU's shard when the states live in host memory (CPU
    offload: ZeRO-Offload, Ren et al. 2021, sec. 4, runs the Adam step on the CPU; PyTorch FSDP CPUOffload
    keeps parameters and gradients there and torchtune steps them with a fused CPU AdamW). An element-wise
    update is bound by memory traffic: it reads the gradient and reads and writes the weight and each optimizer
    state, (2 x held - gradient) bytes per parameter, at the host's memory bandwidth per GPU (every GPU's process
    steps its shard at once) times the efficiency streaming kernels reach (STREAM triad).

    Parameters
    ----------
    trainable_params : array_like
        Parameters the optimizer steps, a count.
    gpus : array_like
        GPUs sharing them, a count.
    held_bytes_per_param : array_like
        Bytes held per parameter: weight, gradient and optimizer states.
    grad_bytes_per_param : array_like
        Bytes per parameter of the gradient (read, not written).
    host_memory_gb_per_s_per_gpu : array_like
        Decimal GB/s of host memory bandwidth per GPU.
    efficiency : array_like
        Fraction 0-1 of that bandwidth reached.

    Returns
    -------
    ndarray
        Seconds per optimizer step, of the inputs' broadcast shape.

    Examples
    --------
    Llama 3.1 70B (70.6e9 parameters) with mixed-precision AdamW (16 bytes held, 2 of them the BF16 gradient) on
    8 GPUs of a host with 614.4 GB/s (two Xeon 8480C, 8 channels of DDR5-4800 each) at 0.76: 30 bytes a
    parameter, 2.1 TB in 4.5 s:

    >>> round(float(host_optimizer_s(70.6e9, 8, 16, 2, 614.4 / 8, 0.76)), 2)
    4.54
    """
    traffic = (2.0 * np.asarray(held_bytes_per_param, dtype=float) - np.asarray(grad_bytes_per_param, dtype=float))
    per_gpu = np.asarray(trainable_params, dtype=float) / np.asarray(gpus, dtype=float) * traffic
    return per_gpu / (np.asarray(host_memory_gb_per_s_per_gpu, dtype=float) * 1e9 * np.asarray(efficiency, dtype=float))


def finetune_comm_s(x: Mapping[str, ArrayLike]) -> F:
    """Seconds a training step spends in collectives over the GPUs' link (collectives.py; 0 on one GPU).

    Sharded (FSDP FULL_SHARD / ZeRO-3; Zhao et al. 2023, PyTorch FSDP, sec. 3.2-3.3): each layer's
    weights, at their stored precision, are all-gathered before its forward and again before its
    backward, and the trainable parameters' BF16 gradients are reduce-scattered after it: two
    all-gathers of the weights and one reduce-scatter of the gradients a step. Data parallel
    (--no-shard; PyTorch DDP, Li et al. 2020): one all-reduce of the trainable gradients a step. Both
    run layer by layer (FSDP units, DDP buckets), so every layer pays the link's latency.

    Parameters
    ----------
    x : mapping of str to array_like
        Arrays broadcast together, keyed as in `finetune` (same units); read here: method_full, params,
        trainable_params, layers, gpus, shard, weight_bytes_per_param, base_bits_per_weight,
        link_latency_s, link_hop_latency_s and link_bus_gb_per_s.

    Returns
    -------
    ndarray
        Seconds per training step, of the broadcast shape.
    """
    full = np.asarray(x["method_full"], dtype=bool)
    layers = _a(x, "layers")
    g = _a(x, "gpus")
    link = (x["link_latency_s"], x["link_hop_latency_s"], _a(x, "link_bus_gb_per_s") * 1e9)
    weight_b = np.where(full, _a(x, "weight_bytes_per_param"), _a(x, "base_bits_per_weight") / 8.0)
    layer_weights = _a(x, "params") * weight_b / layers
    layer_grads = np.where(full, _a(x, "params"), _a(x, "trainable_params")) * _a(x, "weight_bytes_per_param") / layers
    sharded = layers * (2.0 * collectives.allgather_s(layer_weights, g, *link) + collectives.allgather_s(layer_grads, g, *link))
    replicated = layers * collectives.allreduce_s(layer_grads, g, *link)
    return np.where(np.asarray(x["shard"], dtype=bool), sharded, replicated)


def finetune(x: Mapping[str, ArrayLike]) -> dict[str, NDArray[Any]]:
    """Fine-tuning estimate (full, LoRA or QLoRA).

    Memory per GPU = finetune_resident_bytes + activations and logits of one micro-batch
    (memory.activation_bytes) + overhead. Time per step = the slower of computing it (FLOPs / (peak x
    MFU)) and moving data: offloaded weights over PCIe (moved bytes / offload_gb_per_s) and the
    collectives (finetune_comm_s), which share the host link on PCIe boxes. FSDP prefetches the next
    unit's weights while one computes (Zhao et al. 2023, sec. 3.3), and DDP reduces gradient buckets
    during the backward pass (Li et al. 2020), so the two overlap. With offload the CPU then steps the
    optimizer over the states in host memory (host_optimizer_s), after the backward pass.

    Parameters
    ----------
    x : mapping of str to array_like
        Arrays broadcast together, the keys of `run_costs` and:

        - method_full (bool): full fine-tuning; False for LoRA and QLoRA.
        - params: parameters, a count; matmul_params: active weights that multiply per token, a count.
        - attn_flops_per_key, attn_window_flops_per_key: FLOPs per token per key; window: tokens.
        - layers: a count; d_model: hidden units, a count; vocab: tokens in the vocabulary, a count.
        - trainable_params: parameters trained, a count.
        - base_bits_per_weight: bits per weight of the frozen base (16, or NF4's for QLoRA).
        - dequant_overhead: factor >= 1 on the FLOPs (1 unless QLoRA).
        - seq_len: tokens per sequence; batch: sequences per GPU.
        - checkpointing: 1 on, 0 off, -1 auto (on only when the run does not fit without it).
        - tokens: tokens trained on (dataset tokens x epochs).
        - gpus: GPUs, a count; tflops: TFLOPS per GPU, the dense BF16 peak; mfu: fraction 0-1 of it
          reached; memory_gib: GiB per GPU.
        - weight_bytes_per_param: bytes per parameter of the BF16 training weights and of the gradients.
        - optimizer_state_bytes_per_param: bytes per parameter; paged_states (bool): the states live in
          CPU memory; optimizer_in_backward (bool): the optimizer steps per layer in the backward pass.
        - trainable_bytes_per_param: bytes per trainable (adapter) parameter, states included.
        - shard (bool): FSDP FULL_SHARD / ZeRO-3; offload (bool): CPU offload.
        - offload_gb_per_s: decimal GB/s from host to GPU.
        - host_memory_gb_per_s_per_gpu: decimal GB/s of host memory per GPU; host_memory_efficiency:
          fraction 0-1 of it reached (host_optimizer_s).
        - act_bytes_per_token_hidden, ckpt_bytes_per_token_hidden: bytes per token, hidden unit and layer
          without and with checkpointing.
        - bytes_per_logit: the loss's memory per logit, bytes (memory.logits_bytes).
        - link_latency_s, link_hop_latency_s: seconds; link_bus_gb_per_s: decimal GB/s (finetune_comm_s).
        - overhead_gib: GiB per GPU the runtime keeps.

    Returns
    -------
    dict of str to ndarray
        Arrays of the broadcast shape: flops (FLOPs), flops_per_token (FLOPs per token), checkpointing
        (bool, as decided), tokens_per_s (tokens per second, all GPUs), gpu_hours (GPU-hours), wall_hours
        (hours), memory_per_gpu_gib (GiB), fits (bool), and what `run_costs` returns.
    """
    full = np.asarray(x["method_full"], dtype=bool)
    g = _a(x, "gpus")
    resident, moved = finetune_resident_bytes(x)
    overhead = _a(x, "overhead_gib") * memory.GIB
    capacity = _a(x, "memory_gib") * memory.GIB

    step_tokens = _a(x, "batch") * _a(x, "seq_len")
    logits = memory.logits_bytes(step_tokens, x["vocab"], x["bytes_per_logit"])

    def total_memory(ckpt: ArrayLike) -> F:
        act = memory.activation_bytes(x["seq_len"], x["batch"], x["d_model"], x["layers"], ckpt,
                                      x["act_bytes_per_token_hidden"], x["ckpt_bytes_per_token_hidden"], logits)
        return resident + act + overhead

    mode = _a(x, "checkpointing")
    ckpt = np.where(mode < 0, total_memory(False) > capacity, mode > 0)
    per_gpu = total_memory(ckpt)
    per_token = flops.finetune_flops_per_token(full, x["matmul_params"], x["attn_flops_per_key"], x["seq_len"],
                                               ckpt, x["trainable_params"], x["dequant_overhead"],
                                               x["attn_window_flops_per_key"], x["window"])
    achieved = _a(x, "tflops") * 1e12 * _a(x, "mfu")
    transfer_s = moved / (_a(x, "offload_gb_per_s") * 1e9) + finetune_comm_s(x)
    # With offload the CPU steps the optimizer after the backward pass (in it, layer by layer, when the step
    # runs in the backward pass, which then hides it like the transfers).
    held = np.where(full, 2.0 * _a(x, "weight_bytes_per_param") + _a(x, "optimizer_state_bytes_per_param"),
                    _a(x, "trainable_bytes_per_param"))
    cpu_s = np.where(np.asarray(x["offload"], dtype=bool),
                     host_optimizer_s(x["trainable_params"], g, held, x["weight_bytes_per_param"], x["host_memory_gb_per_s_per_gpu"],
                                      x["host_memory_efficiency"]), 0.0)
    in_bwd = np.asarray(x["optimizer_in_backward"], dtype=bool)
    step_s = np.maximum(step_tokens * per_token / achieved, transfer_s + np.where(in_bwd, cpu_s, 0.0)) + np.where(in_bwd, 0.0, cpu_s)
    rate = g * step_tokens / step_s
    tokens = _a(x, "tokens")
    wall_hours = tokens / rate / 3600.0
    gpu_hours = wall_hours * g
    out: dict[str, NDArray[Any]] = {
        "flops": tokens * per_token,
        "flops_per_token": per_token,
        "checkpointing": ckpt,
        "tokens_per_s": rate,
        "gpu_hours": gpu_hours,
        "wall_hours": wall_hours,
        "memory_per_gpu_gib": per_gpu / memory.GIB,
        "fits": per_gpu <= capacity,
    }
    out.update(run_costs(x, gpu_hours, wall_hours))
    return out
