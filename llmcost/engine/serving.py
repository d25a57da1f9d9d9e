"""Serving: decode and prefill time, concurrency, throughput and latency of one replica.

A replica is the GPUs that hold one copy of the model (tensor parallel across them). Inputs are a
mapping of broadcastable arrays (keys below); outputs a dict of arrays of the broadcast shape.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from llmcost.engine import flops, memory

F = NDArray[np.float64]

CONCURRENCY_CANDIDATES = np.array([1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024,
                                   1536, 2048, 4096], dtype=float)
"""Batch sizes tried by `--concurrency auto`, plus each row's own maximum."""


def moe_weights_read(dense_bytes: ArrayLike, expert_bytes: ArrayLike, experts: ArrayLike,
                     experts_per_token: ArrayLike, concurrency: ArrayLike) -> F:
    """Weight bytes one decode step reads when S tokens each pick k of E experts.

    A given expert is untouched by all S tokens with probability (1 - k/E)^S, so the expected share
    of expert weights read is 1 - (1 - k/E)^S (uniform routing). Dense models have expert_bytes 0.

    >>> [round(float(moe_weights_read(1.0, 8.0, 8, 2, s)), 3) for s in (1, 4, 64)]
    [3.0, 6.469, 9.0]
    """
    e = np.maximum(np.asarray(experts, dtype=float), 1.0)
    k = np.asarray(experts_per_token, dtype=float)
    touched = 1.0 - (1.0 - np.minimum(k / e, 1.0)) ** np.asarray(concurrency, dtype=float)
    return np.asarray(dense_bytes, dtype=float) + np.asarray(expert_bytes, dtype=float) * touched


def decode_step_s(weights_read: ArrayLike, kv_read: ArrayLike, flops_step: ArrayLike,
                  bandwidth_bytes_per_s: ArrayLike, peak_flops: ArrayLike, tp_efficiency: ArrayLike) -> F:
    """Time of one decode step for the whole batch: the slower of reading weights and KV cache at the
    effective bandwidth and computing at the effective peak (roofline; vLLM paper sec. 2.2-2.3),
    divided by the tensor-parallel efficiency (1 on one GPU, lower over PCIe)."""
    mem_s = (np.asarray(weights_read, dtype=float) + np.asarray(kv_read, dtype=float)) / np.asarray(bandwidth_bytes_per_s, dtype=float)
    compute_s = np.asarray(flops_step, dtype=float) / np.asarray(peak_flops, dtype=float)
    return np.maximum(mem_s, compute_s) / np.asarray(tp_efficiency, dtype=float)


def _at_concurrency(x: Mapping[str, ArrayLike], s: F, bw: F, decode_peak: F, prefill_peak: F) -> dict[str, F]:
    inp = np.asarray(x["input_tokens"], dtype=float)
    out = np.asarray(x["output_tokens"], dtype=float)
    ctx_avg = inp + out / 2.0
    weights_read = moe_weights_read(x["dense_bytes"], x["expert_bytes"], x["experts"], x["experts_per_token"], s)
    kv_read = s * ctx_avg * np.asarray(x["kv_bytes_per_token"], dtype=float)
    step_flops = s * flops.forward_flops_per_token(x["active_params"], x["layers"], x["d_model"], ctx_avg)
    step = decode_step_s(weights_read, kv_read, step_flops, bw, decode_peak, x["tp_efficiency"])
    # Prefill of one request: compute at the prefill rate (causal: on average half the prompt is
    # attended), but never faster than one pass over the weights.
    prefill_flops = inp * flops.forward_flops_per_token(x["active_params"], x["layers"], x["d_model"], inp / 2.0)
    prefill_weights = moe_weights_read(x["dense_bytes"], x["expert_bytes"], x["experts"], x["experts_per_token"], inp)
    prefill = np.where(inp > 0, decode_step_s(prefill_weights, 0.0, prefill_flops, bw, prefill_peak, x["tp_efficiency"]), 0.0)
    busy = s * prefill + out * step  # one request's lifetime while S run together
    return {
        "step_s": step,
        "prefill_s": prefill,
        "requests_per_s": s / np.maximum(busy, 1e-30),
        "tpot_s": (out * step + (s - 1.0) * prefill) / np.maximum(out, 1.0),
        "compute_bound": step_flops / decode_peak >= (weights_read + kv_read) / bw,
    }


def serve(x: Mapping[str, ArrayLike]) -> dict[str, F]:
    """Throughput and latency of one replica.

    Keys of `x` (arrays, broadcast together): params, active_params, dense_bytes and expert_bytes
    (weight bytes outside and inside routed experts), experts, experts_per_token, layers, d_model,
    kv_bytes_per_token, memory_gib, gpus, usable_fraction, overhead_gib, bandwidth_gb_per_s,
    decode_tflops and prefill_tflops (tensor peaks for the format and accumulate precision),
    bandwidth_efficiency, compute_efficiency, prefill_efficiency, engine_max_concurrency,
    tp_efficiency, input_tokens, output_tokens, model_context, concurrency (0 = auto: the batch
    with the most requests/s that meets max_tpot_s), max_tpot_s (inf = no target).

    Returns fits, max_concurrency, concurrency, weights_bytes, kv_bytes_per_sequence,
    prefill_tokens_per_s, decode_tokens_per_s, output_tokens_per_s, requests_per_s, ttft_s, tpot_s,
    compute_bound. Rows that do not fit get concurrency 0 and zero throughput.
    """
    arrays = {k: np.asarray(v, dtype=float) for k, v in x.items()}
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    n = int(np.prod(shape))
    if len(shape) <= 1:  # slices of broadcast 1-D views cost nothing
        flat = {k: a if a.shape == (n,) else np.broadcast_to(a, (n,)) for k, a in arrays.items()}
    else:
        flat = {k: np.broadcast_to(a, shape).reshape(-1) for k, a in arrays.items()}
    if n <= CHUNK_ROWS:
        return {k: v.reshape(shape) for k, v in _serve_rows(flat).items()}
    parts = [_serve_rows({k: v[i:i + CHUNK_ROWS] for k, v in flat.items()}) for i in range(0, n, CHUNK_ROWS)]
    return {k: np.concatenate([p[k] for p in parts])[:n].reshape(shape) for k in parts[0]}


CHUNK_ROWS = 16_384
"""Rows evaluated together: keeps the candidate-batch arrays in cache and memory flat."""


def _serve_rows(x: Mapping[str, F]) -> dict[str, F]:
    """serve() on 1-D arrays of equal length."""
    gpus = np.asarray(x["gpus"], dtype=float)
    weights = np.asarray(x["dense_bytes"], dtype=float) + np.asarray(x["expert_bytes"], dtype=float)
    seq_tokens = np.asarray(x["input_tokens"], dtype=float) + np.asarray(x["output_tokens"], dtype=float)
    kv_seq = seq_tokens * np.asarray(x["kv_bytes_per_token"], dtype=float)
    free = memory.usable_bytes(x["memory_gib"], gpus, x["usable_fraction"], x["overhead_gib"])
    s_max = memory.max_concurrency(free, weights, kv_seq, x["engine_max_concurrency"])
    s_max = np.where(seq_tokens <= np.asarray(x["model_context"], dtype=float), s_max, 0.0)
    fits = s_max >= 1.0

    bw = np.asarray(x["bandwidth_gb_per_s"], dtype=float) * 1e9 * np.asarray(x["bandwidth_efficiency"], dtype=float) * gpus
    decode_peak = np.asarray(x["decode_tflops"], dtype=float) * 1e12 * np.asarray(x["compute_efficiency"], dtype=float) * gpus
    prefill_peak = np.asarray(x["prefill_tflops"], dtype=float) * 1e12 * np.asarray(x["prefill_efficiency"], dtype=float) * gpus

    wanted = np.asarray(x["concurrency"], dtype=float)
    max_tpot = np.asarray(x["max_tpot_s"], dtype=float)
    shape = s_max.shape
    s = np.minimum(wanted, np.maximum(s_max, 1.0))
    auto = np.nonzero(wanted <= 0)[0]
    if auto.size:
        # Candidates on a trailing axis, for the auto rows only: the fixed ladder and each row's
        # maximum, never above it.
        s_auto = s_max[auto]
        ladder = np.broadcast_to(CONCURRENCY_CANDIDATES, (auto.size, CONCURRENCY_CANDIDATES.size))
        cands = np.minimum(np.concatenate([ladder, s_auto[:, None]], axis=1), np.maximum(s_auto, 1.0)[:, None])
        ex = {k: v[auto][:, None] for k, v in x.items()}
        at = _at_concurrency(ex, cands, bw[auto][:, None], decode_peak[auto][:, None], prefill_peak[auto][:, None])
        ok = at["tpot_s"] <= max_tpot[auto][:, None] * (1 + 1e-9)
        score = np.where(ok, at["requests_per_s"], -1.0)
        # Throughput plateaus once decode is compute-bound; among batches within rounding of the best
        # rate take the smallest (first), which has the lowest latency.
        near_best = score >= np.max(score, axis=1, keepdims=True) * (1 - 1e-9)
        best = np.take_along_axis(cands, np.argmax(near_best, axis=1)[:, None], axis=1)[:, 0]
        s[auto] = np.where(np.any(ok, axis=1), best, 1.0)  # no batch meets the target: report batch 1
    r = _at_concurrency(x, s, bw, decode_peak, prefill_peak)
    inp = np.asarray(x["input_tokens"], dtype=float)
    out = np.asarray(x["output_tokens"], dtype=float)
    zero = np.zeros(shape)
    return {
        "fits": np.broadcast_to(fits, shape),
        "max_concurrency": np.broadcast_to(s_max, shape),
        "concurrency": np.where(fits, s, 0.0),
        "weights_bytes": np.broadcast_to(weights, shape),
        "kv_bytes_per_sequence": np.broadcast_to(kv_seq, shape),
        "prefill_tokens_per_s": np.where(fits & (inp > 0), inp / np.maximum(r["prefill_s"], 1e-30), zero),
        "decode_tokens_per_s": np.where(fits, s / r["step_s"], zero),
        "requests_per_s": np.where(fits, r["requests_per_s"], zero),
        "output_tokens_per_s": np.where(fits, r["requests_per_s"] * out, zero),
        "ttft_s": np.where(fits, r["prefill_s"], zero),
        "tpot_s": np.where(fits, r["tpot_s"], zero),
        "meets_latency": np.where(fits, r["tpot_s"] <= max_tpot * (1 + 1e-9), False),
        "compute_bound": np.where(fits, r["compute_bound"], False),
    }
