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

    The non-expert part is always read. A given expert escapes every one of the tokens with
    probability (1 - k/E)^tokens, so the expected share of the expert bytes read is one minus that.
    """
    experts = max(_f(row, "experts"), 1.0)
    share_per_token = min(_f(row, "experts_per_token") / experts, 1.0)
    untouched = (1.0 - share_per_token) ** tokens
    return _f(row, "dense_bytes") + _f(row, "expert_bytes") * (1.0 - untouched)


def serve_max_concurrency(row: Mapping[str, object]) -> float:
    """Sequences of (input + output) tokens whose KV cache fits beside the weights; 0 if none or if a
    request is longer than the model's context. Capped by the engine's batch limit."""
    tokens_per_request = _f(row, "input_tokens") + _f(row, "output_tokens")
    if tokens_per_request > _f(row, "model_context"):
        return 0.0
    per_gpu_gib = _f(row, "memory_gib") * _f(row, "usable_fraction") - _f(row, "overhead_gib")
    usable = max(per_gpu_gib, 0.0) * GIB * _f(row, "gpus")
    weights = _f(row, "dense_bytes") + _f(row, "expert_bytes")
    kv_per_request = max(tokens_per_request * _f(row, "kv_bytes_per_token"), 1.0)
    room = max(usable - weights, 0.0)
    return min(float(math.floor(room / kv_per_request)), _f(row, "engine_max_concurrency"))


def _rates(row: Mapping[str, object]) -> tuple[float, float, float]:
    """(effective bytes/s, decode FLOP/s, prefill FLOP/s) of the whole replica."""
    gpus = _f(row, "gpus")
    bandwidth = _f(row, "bandwidth_gb_per_s") * 1e9 * _f(row, "bandwidth_efficiency") * gpus
    decode = _f(row, "decode_tflops") * 1e12 * _f(row, "compute_efficiency") * gpus
    prefill = _f(row, "prefill_tflops") * 1e12 * _f(row, "prefill_efficiency") * gpus
    return bandwidth, decode, prefill


def forward_flops_per_token(row: Mapping[str, object], attended: float) -> float:
    """2 FLOPs per active weight, plus QK^T and AV over `attended` earlier tokens (2 x 2 L d each)."""
    return 2.0 * _f(row, "active_params") + 4.0 * _f(row, "layers") * _f(row, "d_model") * attended


def at_concurrency(row: Mapping[str, object], s: float) -> dict[str, float | bool]:
    """One replica serving `s` requests at once (continuous batching): step, prefill, throughput."""
    bandwidth, decode_peak, prefill_peak = _rates(row)
    tp = _f(row, "tp_efficiency")
    prompt = _f(row, "input_tokens")
    answer = _f(row, "output_tokens")
    # A decode step attends, on average over the answer, to the prompt and half the answer.
    context = prompt + answer / 2.0
    memory_bytes = expected_weight_bytes_read(row, s) + s * context * _f(row, "kv_bytes_per_token")
    memory_time = memory_bytes / bandwidth
    compute_time = s * forward_flops_per_token(row, context) / decode_peak
    step = max(memory_time, compute_time) / tp
    if prompt > 0:
        # Causal prompt: token i attends to i earlier tokens, prompt/2 on average. The prompt's
        # tokens share one pass over the weights (the experts its tokens touch).
        prompt_flops = prompt * forward_flops_per_token(row, prompt / 2.0)
        prefill = max(expected_weight_bytes_read(row, prompt) / bandwidth, prompt_flops / prefill_peak) / tp
    else:
        prefill = 0.0
    # While this request is in flight the replica also prefills the s - 1 others sharing the batch.
    own_decode = answer * step
    others_prefill = (s - 1.0) * prefill
    lifetime = prefill + own_decode + others_prefill
    return {
        "step_s": step,
        "prefill_s": prefill,
        "requests_per_s": s / max(lifetime, 1e-30),
        "tpot_s": (own_decode + others_prefill) / max(answer, 1.0),
        "compute_bound": compute_time >= memory_time,
    }


def candidate_concurrencies(s_max: float) -> list[float]:
    top = max(s_max, 1.0)
    return [min(float(c), top) for c in LADDER] + [min(s_max, top)]


def auto_concurrency(row: Mapping[str, object], s_max: float) -> tuple[float, list[float]]:
    """The batch size `--concurrency auto` should pick, and every batch size as good as it.

    Among the candidates that meet the TPOT target, the most requests/s; batch 1 when none meets
    it. Candidates whose requests/s is within 1e-9 of the best are ties (in a compute-bound regime
    requests/s does not depend on the batch at all); the first tie in ladder order is returned and
    the list holds all of them.
    """
    target = _f(row, "max_tpot_s")
    scored = []
    for s in candidate_concurrencies(s_max):
        r = at_concurrency(row, s)
        if r["tpot_s"] <= target * (1.0 + LATENCY_SLACK):
            scored.append((s, float(r["requests_per_s"])))
    if not scored:
        return 1.0, [1.0]
    best = max(rate for _, rate in scored)
    ties = [s for s, rate in scored if rate >= best * (1.0 - 1e-9)]
    return ties[0], sorted(set(ties))


ZERO_WHEN_NO_FIT = ("prefill_tokens_per_s", "decode_tokens_per_s", "requests_per_s", "output_tokens_per_s",
                    "ttft_s", "tpot_s")


def serve(row: Mapping[str, object], concurrency: float | None = None) -> dict[str, float | bool]:
    """Reference of llmcost.engine.serving.serve for one row.

    `concurrency` forces the batch size (used to evaluate the engine's pick among ties); by default
    the row's own `concurrency` applies (0 = auto). Extra key `tied_concurrencies`: for auto rows
    the batch sizes with the same best throughput (a list), else the single chosen one.
    """
    s_max = serve_max_concurrency(row)
    fits = s_max >= 1.0
    weights = _f(row, "dense_bytes") + _f(row, "expert_bytes")
    kv_seq = (_f(row, "input_tokens") + _f(row, "output_tokens")) * _f(row, "kv_bytes_per_token")
    wanted = _f(row, "concurrency")
    if concurrency is not None:
        s, ties = float(concurrency), [float(concurrency)]
    elif wanted > 0:
        s = min(wanted, max(s_max, 1.0))
        ties = [s]
    else:
        s, ties = auto_concurrency(row, s_max)
    out: dict[str, object] = {
        "fits": fits,
        "max_concurrency": s_max,
        "weights_bytes": weights,
        "kv_bytes_per_sequence": kv_seq,
        "tied_concurrencies": ties if fits else [0.0],
    }
    if not fits:
        out.update({k: 0.0 for k in ZERO_WHEN_NO_FIT})
        out.update({"concurrency": 0.0, "meets_latency": False, "compute_bound": False})
        return out  # type: ignore[return-value]
    r = at_concurrency(row, s)
    prompt = _f(row, "input_tokens")
    out.update({
        "concurrency": s,
        "prefill_tokens_per_s": prompt / r["prefill_s"] if prompt > 0 else 0.0,
        "decode_tokens_per_s": s / float(r["step_s"]),
        "requests_per_s": r["requests_per_s"],
        "output_tokens_per_s": float(r["requests_per_s"]) * _f(row, "output_tokens"),
        "ttft_s": r["prefill_s"],
        "tpot_s": r["tpot_s"],
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


def activation_bytes(row: Mapping[str, object], batch: float, checkpointing: bool) -> float:
    """One micro-batch's activations (Korthikanti et al. 2022): every layer keeps `act` bytes per
    token and hidden unit; with full recomputation every layer keeps its 16-bit input (`ckpt` bytes)
    and one layer at a time holds its full set while it is recomputed."""
    token_hidden = _f(row, "seq_len") * batch * _f(row, "d_model")
    layers = _f(row, "layers")
    full_layer = token_hidden * _f(row, "act_bytes_per_token_hidden")
    if checkpointing:
        return layers * token_hidden * _f(row, "ckpt_bytes_per_token_hidden") + full_layer
    return layers * full_layer


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
    layers, d_model, seq = _f(row, "layers"), _f(row, "d_model"), _f(row, "seq_len")
    # 6 FLOPs per active weight per token (2 forward, 4 backward) and 3 x (forward QK^T + AV).
    per_token = 6.0 * _f(row, "active_params") + 3.0 * (4.0 * layers * d_model * seq)
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
    na = _f(row, "active_params")
    attention_forward = 4.0 * _f(row, "layers") * _f(row, "d_model") * _f(row, "seq_len")
    # Full: 2 FLOPs per weight forward, 4 backward. Frozen weights (LoRA): forward and activation
    # gradients only; attention (no weights) and the adapters (forward, both gradients) in full.
    weights = 6.0 * na if full else 4.0 * na + 6.0 * _f(row, "trainable_params")
    flops = weights + 3.0 * attention_forward
    if checkpointing:
        flops += 2.0 * na + attention_forward
    return flops * _f(row, "dequant_overhead")


def finetune(row: Mapping[str, object]) -> dict[str, float | bool]:
    """Reference of llmcost.engine.training.finetune for one row."""
    full = bool(row["method_full"])
    gpus = _f(row, "gpus")
    params = _f(row, "params")
    if full:
        resident = params * _f(row, "state_bytes_per_param") / gpus
    else:
        resident = params * _f(row, "base_bits_per_weight") / 8.0 \
            + _f(row, "trainable_params") * _f(row, "trainable_bytes_per_param")
    overhead = _f(row, "overhead_gib") * GIB
    capacity = _f(row, "memory_gib") * GIB
    batch = _f(row, "batch")
    mode = _f(row, "checkpointing")
    # -1 = auto: recompute only when the run does not fit without it.
    needs_it = resident + activation_bytes(row, batch, False) + overhead > capacity
    checkpointing = needs_it if mode < 0 else mode > 0
    per_gpu = resident + activation_bytes(row, batch, checkpointing) + overhead
    per_token = finetune_flops_per_token(row, full, checkpointing)
    achieved_per_gpu = _f(row, "tflops") * 1e12 * _f(row, "mfu")
    tokens = _f(row, "tokens")
    gpu_hours = tokens * per_token / achieved_per_gpu / 3600.0
    wall_hours = gpu_hours / gpus
    out: dict[str, float | bool] = {
        "flops": tokens * per_token,
        "flops_per_token": per_token,
        "checkpointing": checkpointing,
        "tokens_per_s": gpus * achieved_per_gpu / per_token,
        "gpu_hours": gpu_hours,
        "wall_hours": wall_hours,
        "memory_per_gpu_gib": per_gpu / GIB,
        "fits": per_gpu <= capacity,
    }
    out.update(run_costs(row, gpu_hours, wall_hours))
    return out
