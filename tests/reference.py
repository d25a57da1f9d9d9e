"""Scalar reference implementation of the cost engine, for tests and benchmarks.

Plain Python floats and the `math` module only: one scenario row at a time, no NumPy. Written from
the cost model (DESIGN.md section 3 and the engine's docstrings), not from the engine's code, so that
`tests/test_engine_vs_reference.py` can check the vectorised engine against an independent loop.

Each function takes a mapping with the same keys as the engine function it mirrors and returns a
dict with the same output keys (bools as bool, everything else as float).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

GIB = 1024.0**3
HOURS_PER_MONTH = 730.0
LADDER = (1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 4096)
"""Batch sizes `--concurrency auto` tries (the engine's CONCURRENCY_CANDIDATES), plus each row's maximum."""

LATENCY_SLACK = 1e-9
"""A TPOT within one part in 1e9 of the target meets it (float noise is not a miss)."""


# ---------------------------------------------------------------------------------------- serving

def _f(row: Mapping[str, object], key: str) -> float:
    return float(row[key])  # type: ignore[arg-type]


def expected_weight_bytes_read(row: Mapping[str, object], tokens: float) -> float:
    """Weight bytes read when `tokens` tokens each route to k of E experts at random.

    The non-expert part is always read, except the input embedding (a lookup of a few rows). A given
    expert escapes every one of the tokens with probability (1 - k/E)^tokens, so the expected share of
    the expert bytes read is one minus that.
    """
    experts = max(_f(row, "experts"), 1.0)
    share_per_token = min(_f(row, "experts_per_token") / experts, 1.0)
    untouched = (1.0 - share_per_token) ** tokens
    return _f(row, "dense_bytes") - _f(row, "embedding_bytes") + _f(row, "expert_bytes") * (1.0 - untouched)


def kv_bytes(row: Mapping[str, object], tokens: float) -> float:
    """KV cache of `tokens` tokens: full-attention layers keep all, sliding-window layers the last `window`."""
    return tokens * _f(row, "kv_bytes_per_token") + min(tokens, _f(row, "window")) * _f(row, "kv_window_bytes_per_token")


def attention_flops(row: Mapping[str, object], context: float) -> float:
    return context * _f(row, "attn_flops_per_key") + min(context, _f(row, "window")) * _f(row, "attn_window_flops_per_key")


def kv_copies(row: Mapping[str, object], pipeline: bool) -> float:
    """Tensor parallel splits KV heads over the GPUs and copies a head when there are fewer heads than
    GPUs; pipeline stages hold their own layers' cache, one copy."""
    gpus = _f(row, "gpus")
    if pipeline or gpus <= 1:
        return 1.0
    return max(gpus / max(_f(row, "kv_heads"), 1.0), 1.0)


def capacity(row: Mapping[str, object], pipeline: bool) -> float:
    """Sequences of (input + output) tokens whose KV cache fits beside the weights; 0 if none, if a
    request is longer than the model's context, or (pipeline) if the engine has no pipeline mode or
    the replica is one GPU. Capped by the engine's batch limit."""
    tokens_per_request = _f(row, "input_tokens") + _f(row, "output_tokens")
    if tokens_per_request > _f(row, "model_context"):
        return 0.0
    if pipeline and (_f(row, "gpus") <= 1 or _f(row, "pipeline") == 0):
        return 0.0
    per_gpu_gib = _f(row, "memory_gib") * _f(row, "usable_fraction") - _f(row, "overhead_gib")
    usable = max(per_gpu_gib, 0.0) * GIB * _f(row, "gpus")
    weights = _f(row, "dense_bytes") + _f(row, "expert_bytes")
    kv_per_request = max(kv_bytes(row, tokens_per_request) * kv_copies(row, pipeline), 1.0)
    room = max(usable - weights, 0.0)
    return min(float(math.floor(room / kv_per_request)), _f(row, "engine_max_concurrency"))


def serve_max_concurrency(row: Mapping[str, object]) -> float:
    return max(capacity(row, False), capacity(row, True))


def allreduce(row: Mapping[str, object], message: float) -> float:
    """Ring all-reduce on n GPUs: base latency, 2 (n - 1) steps, and 2 (n - 1) / n of the message over the bus."""
    n = _f(row, "gpus")
    if n <= 1:
        return 0.0
    return (_f(row, "link_latency_s") + 2 * (n - 1) * _f(row, "link_hop_latency_s")
            + 2 * (n - 1) / n * message / (_f(row, "link_bus_gb_per_s") * 1e9))


def phases(row: Mapping[str, object], s: float, pipeline: bool) -> tuple[float, float, bool]:
    """(decode step, prefill of one request, compute-bound) at batch `s`, tensor or pipeline parallel.

    A decode step runs the dense weight matrix multiplies (each the slower of reading the weights and
    doing their FLOPs), a mixture of experts' routed experts (the same rule over the experts' bytes and
    FLOPs) and then attention (the slower of reading the KV cache and its FLOPs): kernels one after the
    other.
    """
    n = _f(row, "gpus")
    bandwidth = _f(row, "bandwidth_gb_per_s") * 1e9 * _f(row, "bandwidth_efficiency")
    decode_peak = _f(row, "decode_tflops") * 1e12 * _f(row, "compute_efficiency")
    prefill_peak = _f(row, "prefill_tflops") * 1e12 * _f(row, "prefill_efficiency")
    prompt, answer = _f(row, "input_tokens"), _f(row, "output_tokens")
    hidden = 2.0 * _f(row, "d_model")
    bus = _f(row, "link_bus_gb_per_s") * 1e9
    context = prompt + answer / 2.0  # a decode step attends on average to the prompt and half the answer
    matmul_flops = 2.0 * _f(row, "matmul_params")
    expert_flops = 2.0 * _f(row, "expert_matmul_params")
    attention_per_token = _f(row, "attn_decode_factor") * attention_flops(row, context)
    cached = _f(row, "cached_share")
    computed = prompt * (1.0 - cached)  # a cached prefix is not recomputed
    mean_position = prompt * (1.0 + cached) / 2.0  # computed tokens sit between the prefix and the end
    prompt_flops = computed * (matmul_flops + attention_flops(row, mean_position))
    # Prompts are prefilled in forward passes of `pass_tokens`: the s requests' prompts together up to the
    # engine's token budget (which also cuts a longer prompt into chunks), or one prompt whole without one.
    # Each pass reads the weights, all-reduces its hidden states and pays the step overhead once; this
    # request pays `passes` of them (its tokens' share).
    budget = _f(row, "prefill_batch_tokens")
    pass_tokens = min(s * computed, budget) if budget > 0 else computed
    passes = computed / pass_tokens if pass_tokens > 0 else 0.0
    if pipeline:
        # One GPU holds L/n layers. Overlapped stages run n micro-batches of s/n (at least one
        # sequence): a token waits for one GPU's pass over the whole model at the micro-batch.
        # Sequential stages (llama.cpp) pass the whole batch from GPU to GPU.
        batch = max(s / n, 1.0) if _f(row, "pipeline") == 2 else s
        share = 1.0
        weights = expected_weight_bytes_read(row, batch)
        cache = batch * kv_bytes(row, context)
        links = (n - 1) * (_f(row, "link_latency_s") + batch * hidden / bus)
        prompt_links = passes * (n - 1) * (_f(row, "link_latency_s") + pass_tokens * hidden / bus)
        prompt_read = passes * expected_weight_bytes_read(row, pass_tokens) / bandwidth
    else:
        batch, share = s, n
        weights = expected_weight_bytes_read(row, s)
        cache = s * kv_bytes(row, context) * kv_copies(row, False)
        links = 2 * _f(row, "layers") * allreduce(row, s * hidden)
        prompt_links = passes * 2 * _f(row, "layers") * allreduce(row, pass_tokens * hidden)
        prompt_read = passes * expected_weight_bytes_read(row, pass_tokens) / (n * bandwidth)
    experts = expected_weight_bytes_read(row, batch) - expected_weight_bytes_read({**row, "expert_bytes": 0.0}, batch)
    gemm = (max((weights - experts) / (share * bandwidth), batch * (matmul_flops - expert_flops) / (share * decode_peak))
            + max(experts / (share * bandwidth), batch * expert_flops / (share * decode_peak)))
    attention = max(cache / (share * bandwidth), batch * attention_per_token / (share * decode_peak))
    step = gemm + attention + links
    prefill = max(prompt_read, prompt_flops / (n * prefill_peak)) + prompt_links
    compute_bound = batch * (matmul_flops + attention_per_token) / decode_peak >= (weights + cache) / bandwidth
    overhead = _f(row, "step_overhead_s")
    return step + overhead, (prefill + passes * overhead) if prompt > 0 else 0.0, compute_bound


def at_concurrency(row: Mapping[str, object], s: float, pipeline: bool = False) -> dict[str, float | bool]:
    """One replica serving `s` requests at once (continuous batching): step, prefill, throughput, latency."""
    step, prefill, compute_bound = phases(row, s, pipeline)
    answer = _f(row, "output_tokens")
    # While this request is in flight the replica also prefills the s - 1 others sharing the batch.
    lifetime = s * prefill + answer * step
    rate = s / max(lifetime, 1e-30)
    # Other requests' prefills arrive at (s - 1)/s of the rate; this one waits behind them (M/D/1).
    load = (s - 1.0) / s * rate * prefill
    wait = load * prefill / (2.0 * (1.0 - load)) if s > 1 else 0.0
    return {
        "step_s": step,
        "prefill_s": prefill,
        "requests_per_s": rate,
        "tpot_s": step,
        "itl_s": (answer * step + (s - 1.0) * prefill) / max(answer, 1.0),
        "ttft_s": _f(row, "request_overhead_s") + prefill + wait,
        "compute_bound": compute_bound,
        "parallelism": 2.0 if pipeline else (1.0 if _f(row, "gpus") > 1 else 0.0),
    }


def best_mode(row: Mapping[str, object], s: float) -> dict[str, float | bool]:
    """At batch `s`: pipeline parallel when its memory holds the batch and it serves more requests/s than
    tensor parallel (or tensor parallel cannot hold the batch); else tensor parallel."""
    tensor = at_concurrency(row, s, False)
    tensor_ok = s <= capacity(row, False)
    if s <= capacity(row, True):
        pipe = at_concurrency(row, s, True)
        if not tensor_ok or float(pipe["requests_per_s"]) > float(tensor["requests_per_s"]):
            return pipe
    return tensor


def candidate_concurrencies(s_max: float) -> list[float]:
    top = max(s_max, 1.0)
    return [min(float(c), top) for c in LADDER] + [min(s_max, top)]


def auto_concurrency(row: Mapping[str, object], s_max: float) -> tuple[float, list[float]]:
    """The batch size `--concurrency auto` should pick, and every batch size as good as it.

    Among the candidates whose decode step (TPOT) meets the target, the most requests/s; batch 1 when
    none meets it. Candidates whose requests/s is within 1e-9 of the best are ties (in a compute-bound
    regime requests/s does not depend on the batch at all); the first tie in ladder order is returned
    and the list holds all of them.
    """
    target = _f(row, "max_tpot_s")
    scored = []
    for s in candidate_concurrencies(s_max):
        r = best_mode(row, s)
        if r["tpot_s"] <= target * (1.0 + LATENCY_SLACK):
            scored.append((s, float(r["requests_per_s"])))
    if not scored:
        return 1.0, [1.0]
    best = max(rate for _, rate in scored)
    ties = [s for s, rate in scored if rate >= best * (1.0 - 1e-9)]
    return ties[0], sorted(set(ties))


ZERO_WHEN_NO_FIT = ("prefill_tokens_per_s", "decode_tokens_per_s", "requests_per_s", "output_tokens_per_s",
                    "ttft_s", "tpot_s", "itl_s", "step_s", "prefill_s", "parallelism")


def serve(row: Mapping[str, object], concurrency: float | None = None) -> dict[str, float | bool]:
    """Reference of llmcost.engine.serving.serve for one row.

    `concurrency` forces the batch size (used to evaluate the engine's pick among ties); by default
    the row's own `concurrency` applies (0 = auto). A batch asked for that memory cannot hold does
    not fit (never cut to what fits). Extra key `tied_concurrencies`: for auto rows the batch sizes
    with the same best throughput (a list), else the single chosen one.
    """
    s_max = serve_max_concurrency(row)
    model_fits = s_max >= 1.0
    weights = _f(row, "dense_bytes") + _f(row, "expert_bytes")
    kv_seq = kv_bytes(row, _f(row, "input_tokens") + _f(row, "output_tokens"))
    wanted = _f(row, "concurrency")
    fits = model_fits and (wanted <= 0 or wanted <= s_max)
    out: dict[str, object] = {
        "fits": fits,
        "model_fits": model_fits,
        "max_concurrency": s_max,
        "weights_bytes": weights,
        "kv_bytes_per_sequence": kv_seq,
        "tied_concurrencies": [0.0],
    }
    if not fits:
        out.update({k: 0.0 for k in ZERO_WHEN_NO_FIT})
        out.update({"concurrency": 0.0, "meets_latency": False, "compute_bound": False})
        return out  # type: ignore[return-value]
    if concurrency is not None:
        s, ties = float(concurrency), [float(concurrency)]
    elif wanted > 0:
        s, ties = wanted, [wanted]
    else:
        s, ties = auto_concurrency(row, s_max)
    out["tied_concurrencies"] = ties
    r = best_mode(row, s)
    prompt = _f(row, "input_tokens")
    out.update({
        "concurrency": s,
        "parallelism": r["parallelism"],
        "step_s": r["step_s"],
        "prefill_s": r["prefill_s"],
        "prefill_tokens_per_s": prompt / float(r["prefill_s"]) if float(r["prefill_s"]) > 0 else 0.0,
        "decode_tokens_per_s": s / float(r["step_s"]),
        "requests_per_s": r["requests_per_s"],
        "output_tokens_per_s": float(r["requests_per_s"]) * _f(row, "output_tokens"),
        "ttft_s": r["ttft_s"],
        "tpot_s": r["tpot_s"],
        "itl_s": r["itl_s"],
        "meets_latency": float(r["tpot_s"]) <= _f(row, "max_tpot_s") * (1.0 + LATENCY_SLACK),
        "compute_bound": r["compute_bound"],
    })
    return out  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------- training

def run_costs(row: Mapping[str, object], gpu_hours: float, wall_hours: float) -> dict[str, float]:
    """Energy (GPU and host share, times PUE) and money (owned: the purchase less its book value after the
    run's wall-clock months, plus electricity, plus upkeep for those months; rented: GPU-hours x hourly rate)."""
    pue = _f(row, "pue")
    gpu_kwh = _f(row, "power_w") * gpu_hours * pue / 1000.0
    host_kwh = _f(row, "host_power_w_per_gpu") * gpu_hours * pue / 1000.0
    capex = _f(row, "gpus") * _f(row, "capex_usd_per_gpu")
    months = wall_hours / HOURS_PER_MONTH
    resale = _f(row, "resale_fraction")
    book_value = max(resale, 1.0 - (1.0 - resale) * months / _f(row, "lifetime_months"))
    depreciation = capex * (1.0 - book_value)
    energy = gpu_kwh + host_kwh
    energy_usd = energy * _f(row, "electricity_usd_per_kwh")
    upkeep = _f(row, "gpus") * _f(row, "upkeep_usd_per_gpu_month") * months
    return {
        "gpu_energy_kwh": gpu_kwh,
        "energy_kwh": energy,
        "capex_usd": capex,
        "energy_usd": energy_usd,
        "depreciation_usd": depreciation,
        "upkeep_usd": upkeep,
        "cost_owned_usd": depreciation + energy_usd + upkeep,
        "cost_rented_usd": gpu_hours * _f(row, "rental_usd_per_gpu_hour"),
    }


def activation_bytes(row: Mapping[str, object], batch: float, checkpointing: bool, logits: float = 0.0) -> float:
    """One micro-batch's activations (Korthikanti et al. 2022): every layer keeps `act` bytes per
    token and hidden unit; with full recomputation every layer keeps its 16-bit input (`ckpt` bytes)
    and one layer at a time holds its full set while it is recomputed. The loss's `logits` are alive
    with everything stored when the backward pass starts, and gone before any layer is recomputed."""
    token_hidden = _f(row, "seq_len") * batch * _f(row, "d_model")
    layers = _f(row, "layers")
    full_layer = token_hidden * _f(row, "act_bytes_per_token_hidden")
    if checkpointing:
        return layers * token_hidden * _f(row, "ckpt_bytes_per_token_hidden") + max(full_layer, logits)
    return layers * full_layer + logits


def pretrain_bytes_per_gpu(row: Mapping[str, object], gpus: float, activations: float) -> float:
    """Model states shard over every GPU (ZeRO); activations over the tensor-parallel group only."""
    states = _f(row, "params") * _f(row, "state_bytes_per_param")
    return states / gpus + activations / min(gpus, _f(row, "tp_group")) + _f(row, "overhead_gib") * GIB


def min_gpus(row: Mapping[str, object], activations: float) -> float:
    """Fewest GPUs whose per-GPU memory fits, by search (the engine uses a closed form); inf if
    no count does (activations beyond the tensor-parallel group stop shrinking)."""
    capacity = _f(row, "memory_gib") * GIB

    def fits(g: float) -> bool:
        return pretrain_bytes_per_gpu(row, g, activations) <= capacity

    group = _f(row, "tp_group")
    g = 1.0
    while g <= group:
        if fits(g):
            return g
        g += 1.0
    floor = activations / group + _f(row, "overhead_gib") * GIB
    if floor >= capacity:
        return math.inf
    lo, hi = group, group + 1.0  # fits(lo) is False
    while not fits(hi):
        lo, hi = hi, hi * 2.0
        if hi > 1e18:
            return math.inf
    while hi - lo > 1.0:
        mid = math.floor((lo + hi) / 2.0)
        lo, hi = (lo, float(mid)) if fits(mid) else (float(mid), hi)
    return hi


def pretrain(row: Mapping[str, object]) -> dict[str, float | bool]:
    """Reference of llmcost.engine.training.pretrain for one row."""
    # 6 FLOPs per multiplying weight per token (2 forward, 4 backward) and 3 x (forward QK^T + AV).
    per_token = 6.0 * _f(row, "matmul_params") + 3.0 * attention_flops(row, _f(row, "seq_len"))
    tokens = _f(row, "tokens")
    total = per_token * tokens
    achieved_per_gpu = _f(row, "tflops") * 1e12 * _f(row, "mfu")
    gpu_hours = total / achieved_per_gpu / 3600.0
    gpus = _f(row, "gpus")
    wall_hours = gpu_hours / gpus
    act = activation_bytes(row, 1.0, True)
    per_gpu = pretrain_bytes_per_gpu(row, gpus, act)
    out: dict[str, float | bool] = {
        "flops": total,
        "flops_per_token": per_token,
        "gpu_hours": gpu_hours,
        "wall_hours": wall_hours,
        "memory_per_gpu_gib": per_gpu / GIB,
        "fits": per_gpu <= _f(row, "memory_gib") * GIB,
        "min_gpus": min_gpus(row, act),
        "tokens_per_s": tokens / max(wall_hours * 3600.0, 1e-30),
    }
    out.update(run_costs(row, gpu_hours, wall_hours))
    return out


def finetune_flops_per_token(row: Mapping[str, object], full: bool, checkpointing: bool) -> float:
    na = _f(row, "matmul_params")
    attention_forward = attention_flops(row, _f(row, "seq_len"))
    # Full: 2 FLOPs per weight forward, 4 backward. Frozen weights (LoRA): forward and activation
    # gradients only; attention (no weights) and the adapters (forward, both gradients) in full.
    weights = 6.0 * na if full else 4.0 * na + 6.0 * _f(row, "trainable_params")
    flops = weights + 3.0 * attention_forward
    if checkpointing:
        flops += 2.0 * na + attention_forward
    return flops * _f(row, "dequant_overhead")


def finetune_resident(row: Mapping[str, object]) -> tuple[float, float]:
    """(bytes per GPU before activations, bytes streamed over PCIe per step) of a fine-tune.

    What the run holds: full fine-tuning keeps BF16 weights, gradients (one layer's when the optimizer
    steps in backward) and optimizer states (none on the GPU when paged); LoRA keeps the frozen base
    and 16-ish bytes per adapter weight. Sharding spreads it over the GPUs and adds two gathered
    layers; offload leaves only the two gathered layers and streams weights in twice a step (and full
    fine-tuning's gradients out once).
    """
    full = bool(row["method_full"])
    params = _f(row, "params")
    per_layer = params / _f(row, "layers")
    bytes_each = _f(row, "weight_bytes_per_param") if full else _f(row, "base_bits_per_weight") / 8.0
    weights = params * bytes_each
    gradients = _f(row, "weight_bytes_per_param") * (per_layer if bool(row["optimizer_in_backward"]) else params)
    if full:
        states = 0.0 if bool(row["paged_states"]) else params * _f(row, "optimizer_state_bytes_per_param")
        held = weights + gradients + states
    else:
        held = weights + _f(row, "trainable_params") * _f(row, "trainable_bytes_per_param")
    sharded, offloaded = bool(row["shard"]), bool(row["offload"])
    ways = _f(row, "gpus") if sharded else 1.0
    gathered = min(2.0, _f(row, "layers")) * per_layer * bytes_each if (sharded or offloaded) else 0.0
    if offloaded:
        return gathered, (2.0 * weights + (gradients if full else 0.0)) / ways
    return held / ways + gathered, 0.0


def ring(row: Mapping[str, object], message: float, steps_per_gpu: float) -> float:
    """A ring collective on n GPUs: base latency, steps_per_gpu x (n - 1) steps, and steps_per_gpu x (n - 1) / n
    of the message over the bus (2 for an all-reduce, 1 for an all-gather or a reduce-scatter)."""
    n = _f(row, "gpus")
    if n <= 1:
        return 0.0
    return (_f(row, "link_latency_s") + steps_per_gpu * (n - 1) * _f(row, "link_hop_latency_s")
            + steps_per_gpu * (n - 1) / n * message / (_f(row, "link_bus_gb_per_s") * 1e9))


def finetune_collectives_s(row: Mapping[str, object]) -> float:
    """Per step, layer by layer: sharded runs gather each layer's weights twice (forward, backward) and
    reduce-scatter its trainable gradients once; replicated ones all-reduce the trainable gradients."""
    full = bool(row["method_full"])
    layers = _f(row, "layers")
    bytes_each = _f(row, "weight_bytes_per_param") if full else _f(row, "base_bits_per_weight") / 8.0
    layer_weights = _f(row, "params") * bytes_each / layers
    layer_grads = (_f(row, "params") if full else _f(row, "trainable_params")) * _f(row, "weight_bytes_per_param") / layers
    if bool(row["shard"]):
        return layers * (2.0 * ring(row, layer_weights, 1.0) + ring(row, layer_grads, 1.0))
    return layers * ring(row, layer_grads, 2.0)


def finetune(row: Mapping[str, object]) -> dict[str, float | bool]:
    """Reference of llmcost.engine.training.finetune for one row."""
    full = bool(row["method_full"])
    gpus = _f(row, "gpus")
    resident, streamed = finetune_resident(row)
    overhead = _f(row, "overhead_gib") * GIB
    capacity = _f(row, "memory_gib") * GIB
    batch = _f(row, "batch")
    mode = _f(row, "checkpointing")
    step_tokens = batch * _f(row, "seq_len")
    logits = step_tokens * _f(row, "vocab") * _f(row, "bytes_per_logit")
    # -1 = auto: recompute only when the run does not fit without it.
    needs_it = resident + activation_bytes(row, batch, False, logits) + overhead > capacity
    checkpointing = needs_it if mode < 0 else mode > 0
    per_gpu = resident + activation_bytes(row, batch, checkpointing, logits) + overhead
    per_token = finetune_flops_per_token(row, full, checkpointing)
    achieved_per_gpu = _f(row, "tflops") * 1e12 * _f(row, "mfu")
    # A step takes the longer of its compute and its transfers, the offload stream and the collectives
    # (FSDP prefetches while computing).
    transfers = streamed / (_f(row, "offload_gb_per_s") * 1e9) + finetune_collectives_s(row)
    # Offloaded states are stepped by the CPU: gradients read, weights and states read and written, at the
    # host's memory bandwidth per GPU; after the backward pass, or inside it (hidden like the transfers) when
    # the optimizer steps in the backward pass.
    cpu_s = 0.0
    if bool(row["offload"]):
        weight = _f(row, "weight_bytes_per_param")
        held = 2 * weight + _f(row, "optimizer_state_bytes_per_param") if full else _f(row, "trainable_bytes_per_param")
        bandwidth = _f(row, "host_memory_gb_per_s_per_gpu") * 1e9 * _f(row, "host_memory_efficiency")
        cpu_s = _f(row, "trainable_params") / gpus * (2 * held - weight) / bandwidth
    if bool(row["optimizer_in_backward"]):
        step_s = max(step_tokens * per_token / achieved_per_gpu, transfers + cpu_s)
    else:
        step_s = max(step_tokens * per_token / achieved_per_gpu, transfers) + cpu_s
    rate = gpus * step_tokens / step_s
    tokens = _f(row, "tokens")
    wall_hours = tokens / rate / 3600.0
    gpu_hours = wall_hours * gpus
    out: dict[str, float | bool] = {
        "flops": tokens * per_token,
        "flops_per_token": per_token,
        "checkpointing": checkpointing,
        "tokens_per_s": rate,
        "gpu_hours": gpu_hours,
        "wall_hours": wall_hours,
        "memory_per_gpu_gib": per_gpu / GIB,
        "fits": per_gpu <= capacity,
    }
    out.update(run_costs(row, gpu_hours, wall_hours))
    return out
