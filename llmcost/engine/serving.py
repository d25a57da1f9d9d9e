"""Serving: decode and prefill time, concurrency, throughput and latency of one replica.

A replica is the GPUs that hold one copy of the model. With more than one GPU it runs tensor
parallel (every layer split across the GPUs, two all-reduces per layer and step: Shoeybi et al.
2019, Megatron-LM sec. 3) or, on engines that offer it, pipeline parallel (contiguous layers per
GPU: llama.cpp's default `--split-mode layer`, vLLM and TensorRT-LLM `pipeline_parallel_size`);
each row takes whichever serves more requests per second. Inputs are a mapping of broadcastable
arrays (keys in `serve`); outputs a dict of arrays of the broadcast shape.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from llmcost.engine import collectives, flops, memory

F = NDArray[np.float64]
A = NDArray[Any]

CONCURRENCY_CANDIDATES = np.array([1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024,
                                   1536, 2048, 4096], dtype=float)
"""Batch sizes tried by `--concurrency auto`, plus each row's own maximum."""

SINGLE, TENSOR, PIPELINE = 0.0, 1.0, 2.0
"""Codes of the `parallelism` output: one GPU, tensor parallel, pipeline parallel."""

PIPELINE_NONE, PIPELINE_SEQUENTIAL, PIPELINE_OVERLAPPED = 0.0, 1.0, 2.0
"""Codes of the `pipeline` input: the engine has no pipeline mode; its stages run one after another
on the whole batch (llama.cpp layer split); or micro-batches overlap across stages (vLLM, TensorRT-LLM)."""


def moe_weights_read(dense_bytes: ArrayLike, expert_bytes: ArrayLike, experts: ArrayLike,
                     experts_per_token: ArrayLike, concurrency: ArrayLike) -> F:
    """Weight bytes one decode step reads when S tokens each pick k of E experts.

    A given expert is untouched by all S tokens with probability (1 - k/E)^S, so the expected share
    of expert weights read is 1 - (1 - k/E)^S (uniform routing). Dense models have expert_bytes 0.

    Parameters
    ----------
    dense_bytes : array_like
        Bytes of the weights outside the routed experts (read whole every step).
    expert_bytes : array_like
        Bytes of all routed experts together.
    experts : array_like
        Routed experts per layer, E, a count.
    experts_per_token : array_like
        Experts each token is routed to, k, a count.
    concurrency : array_like
        Tokens in the step, S (one per sequence in decode).

    Returns
    -------
    ndarray
        Bytes read, of the inputs' broadcast shape.

    Examples
    --------
    >>> [round(float(moe_weights_read(1.0, 8.0, 8, 2, s)), 3) for s in (1, 4, 64)]
    [3.0, 6.469, 9.0]
    """
    e = np.maximum(np.asarray(experts, dtype=float), 1.0)
    k = np.asarray(experts_per_token, dtype=float)
    touched = 1.0 - (1.0 - np.minimum(k / e, 1.0)) ** np.asarray(concurrency, dtype=float)
    return np.asarray(dense_bytes, dtype=float) + np.asarray(expert_bytes, dtype=float) * touched


def mdc_wait_s(arrival_per_s: ArrayLike, servers: ArrayLike, service_per_s: ArrayLike) -> F:
    """Mean wait in queue of an M/D/c queue (Poisson arrivals, deterministic service of `service_per_s`
    requests per second across all `servers`): the Allen-Cunneen approximation, (c_a^2 + c_s^2) / 2 = 1/2
    of the M/M/c wait, with Sakasegawa's (1977) closed form for M/M/c, W_q ~ rho^(sqrt(2 (c + 1)) - 1) /
    (c mu (1 - rho)). Infinite when arrivals reach the service rate (rho >= 1).

    Parameters
    ----------
    arrival_per_s : array_like
        Requests per second arriving (lambda).
    servers : array_like
        Servers (batch slots), c, a count.
    service_per_s : array_like
        Requests per second all servers together complete (c mu).

    Returns
    -------
    ndarray
        Seconds, the mean wait, of the inputs' broadcast shape: 0 without arrivals, inf at rho >= 1.

    Examples
    --------
    One server at 80% load (M/D/1 exactly: rho / (2 mu (1 - rho)) = 2 s at mu = 1), and 64 servers:

    >>> [round(float(mdc_wait_s(0.8, c, 1.0)), 3) for c in (1, 64)]
    [2.0, 0.245]
    """
    lam = np.asarray(arrival_per_s, dtype=float)
    mu_total = np.asarray(service_per_s, dtype=float)
    c = np.maximum(np.asarray(servers, dtype=float), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = lam / mu_total
        mmc = rho ** (np.sqrt(2.0 * (c + 1.0)) - 1.0) / (mu_total * (1.0 - rho))
    return np.where(lam <= 0, 0.0, np.where(rho < 1.0, 0.5 * mmc, np.inf))


def ttft_at_rate_s(arrival_per_s: ArrayLike, concurrency: ArrayLike, requests_per_s: ArrayLike, prefill_s: ArrayLike,
                   request_overhead_s: ArrayLike) -> F:
    """Mean time to first token at an open arrival rate per replica: the engine's fixed per-request
    cost, the request's prefill, the wait for one of `concurrency` batch slots (M/D/c, mdc_wait_s),
    and the wait behind other requests' prefills (M/D/1: Pollaczek-Khinchine with deterministic
    service, lambda D^2 / (2 (1 - lambda D)); DistServe, Zhong et al. 2024, sec. 3 models a prefill
    instance this way).

    Parameters
    ----------
    arrival_per_s : array_like
        Requests per second arriving at the replica.
    concurrency : array_like
        Batch slots (sequences decoded together), a count.
    requests_per_s : array_like
        Requests per second the replica completes at that batch.
    prefill_s : array_like
        Seconds, one request's prefill (D).
    request_overhead_s : array_like
        Seconds the engine spends per request before its prefill.

    Returns
    -------
    ndarray
        Seconds, the mean time to first token, of the inputs' broadcast shape (inf where either queue
        does not drain).

    Examples
    --------
    No arrivals, then 3 requests/s at a replica that serves 4/s in one slot, with 0.1 s prefills and
    10 ms overhead: 0.01 + 0.1 + 0.3 x 0.1 / (2 x 0.7) + the M/D/1 wait 0.75 / (2 x 4 x 0.25):

    >>> [round(v, 4) for v in ttft_at_rate_s([0.0, 3.0], 1, 4.0, 0.1, 0.01).tolist()]
    [0.11, 0.5064]
    """
    lam = np.asarray(arrival_per_s, dtype=float)
    d = np.asarray(prefill_s, dtype=float)
    busy = lam * d
    with np.errstate(divide="ignore", invalid="ignore"):
        prefill_wait = np.where(busy < 1.0, lam * d * d / (2.0 * (1.0 - busy)), np.inf)
    return (np.asarray(request_overhead_s, dtype=float) + d + np.where(lam > 0, prefill_wait, 0.0)
            + mdc_wait_s(lam, concurrency, requests_per_s))


def prefill_pass_tokens(prompt_tokens: ArrayLike, concurrency: ArrayLike, batch_tokens: ArrayLike) -> F:
    """Prompt tokens one prefill forward pass carries: the prompts of the `concurrency` requests in flight
    batched together, up to the engine's token budget `batch_tokens`, which also chunks a longer prompt
    (vLLM V1 chunked prefill, max_num_batched_tokens: docs.vllm.ai optimization guide; TensorRT-LLM
    in-flight batching, max_num_tokens). `batch_tokens` 0: the engine prefills one request's prompt at
    a time, whole. The pass's weight reads, all-reduces and fixed step cost are shared by its tokens.

    Parameters
    ----------
    prompt_tokens : array_like
        Prompt tokens per request that are computed (not cached).
    concurrency : array_like
        Requests in flight, a count.
    batch_tokens : array_like
        Tokens one forward pass may carry (the engine's budget); 0: one prompt at a time.

    Returns
    -------
    ndarray
        Tokens per prefill pass, of the inputs' broadcast shape.

    Examples
    --------
    Three 128-token prompts in one pass; a 5,000-token prompt in chunks of 2,048; no batching:

    >>> prefill_pass_tokens([128, 5000, 128], [3, 8, 3], [8192, 2048, 0]).tolist()
    [384.0, 2048.0, 128.0]
    """
    new = np.asarray(prompt_tokens, dtype=float)
    budget = np.asarray(batch_tokens, dtype=float)
    batched = np.minimum(np.asarray(concurrency, dtype=float) * new, budget)
    return np.where(budget > 0, batched, new)


def _a(x: Mapping[str, ArrayLike], key: str) -> F:
    return np.asarray(x[key], dtype=float)


def _kv(x: Mapping[str, ArrayLike], tokens: ArrayLike) -> F:
    return memory.kv_bytes(tokens, x["kv_bytes_per_token"], x["kv_window_bytes_per_token"], x["window"])


def _attention(x: Mapping[str, ArrayLike], context: ArrayLike) -> F:
    return flops.attention_flops_per_token(x["attn_flops_per_key"], context, x["attn_window_flops_per_key"], x["window"])


def kv_replicas(gpus: ArrayLike, kv_heads: ArrayLike) -> F:
    """Copies of the KV cache a tensor-parallel group keeps: KV heads split across GPUs, and a head is
    replicated when there are fewer heads than GPUs (vLLM; MLA's one latent "head" on every GPU).

    Parameters
    ----------
    gpus : array_like
        GPUs in the tensor-parallel group, a count.
    kv_heads : array_like
        Key-value heads per layer, a count (1 for latent attention).

    Returns
    -------
    ndarray
        Copies of the KV cache, at least 1, of the inputs' broadcast shape.

    Examples
    --------
    >>> kv_replicas([1, 8, 8], [8, 8, 1]).tolist()
    [1.0, 1.0, 8.0]
    """
    return np.maximum(np.asarray(gpus, dtype=float) / np.maximum(np.asarray(kv_heads, dtype=float), 1.0), 1.0)


def decode_step_s(weights_read: ArrayLike, kv_read: ArrayLike, gemm_flops: ArrayLike, attention_flops: ArrayLike,
                  bandwidth_bytes_per_s: ArrayLike, peak_flops: ArrayLike, expert_read: ArrayLike = 0.0,
                  expert_flops: ArrayLike = 0.0) -> F:
    """Time of one decode step for the whole batch, roofline per kernel: the weight GEMMs take the slower of
    reading the weights and computing 2 N per token, then attention the slower of reading the KV cache and
    its FLOPs (they are separate kernels, so their times add; Williams et al. 2009 apply the roofline to
    each kernel, and Yuan et al. 2024, arXiv 2402.16363, to each operation of an LLM layer). A mixture of
    experts' routed experts are a kernel of their own (a grouped GEMM in which each expert sees only the
    batch's tokens routed to it: Gale et al. 2023, MegaBlocks, sec. 3), so `expert_read` and
    `expert_flops` take their own roofline beside the dense GEMMs' `weights_read` and `gemm_flops`.

    Parameters
    ----------
    weights_read : array_like
        Bytes of dense weights the step reads.
    kv_read : array_like
        Bytes of KV cache the step reads (all sequences).
    gemm_flops : array_like
        FLOPs of the dense weight GEMMs (all tokens of the step).
    attention_flops : array_like
        FLOPs of attention (all tokens of the step).
    bandwidth_bytes_per_s : array_like
        Bytes per second of memory bandwidth reached.
    peak_flops : array_like
        FLOPs per second reached.
    expert_read : array_like, default 0.0
        Bytes of routed-expert weights the step reads (0 for dense models).
    expert_flops : array_like, default 0.0
        FLOPs of the routed experts' GEMMs.

    Returns
    -------
    ndarray
        Seconds per decode step, of the inputs' broadcast shape.

    Examples
    --------
    A 14 GB model at batch 1 on 500 GB/s reads for 28 ms; at batch 256 its GEMMs take 256 x 14 GFLOP at
    100 TFLOP/s (35.8 ms), and reading 256 sequences' 0.5 GB of KV cache adds 256 ms:

    >>> [round(float(decode_step_s(14e9, kv, 2 * 7e9 * s, 0, 500e9, 100e12)) * 1e3, 2) for s, kv in ((1, 0), (256, 256 * 5e8))]
    [28.0, 291.84]

    A MoE whose 1 GB of dense weights are compute-bound at batch 256 (256 x 2 GFLOP, 5.1 ms) while its
    10 GB of experts are read (20 ms): 25.1 ms, where one roofline over both would hide the dense GEMMs:

    >>> round(float(decode_step_s(1e9, 0, 256 * 2e9, 0, 500e9, 100e12, 10e9, 256 * 4e9)) * 1e3, 2)
    25.12
    """
    bw = np.asarray(bandwidth_bytes_per_s, dtype=float)
    peak = np.asarray(peak_flops, dtype=float)
    gemm = np.maximum(np.asarray(weights_read, dtype=float) / bw, np.asarray(gemm_flops, dtype=float) / peak)
    experts = np.maximum(np.asarray(expert_read, dtype=float) / bw, np.asarray(expert_flops, dtype=float) / peak)
    return gemm + experts + np.maximum(np.asarray(kv_read, dtype=float) / bw, np.asarray(attention_flops, dtype=float) / peak)


def _phases(x: Mapping[str, ArrayLike], s: F, mode: float) -> tuple[F, F, A]:
    """(decode step, prefill of one request, compute-bound) at batch `s` in one parallel mode."""
    n = _a(x, "gpus")
    inp, out = _a(x, "input_tokens"), _a(x, "output_tokens")
    d_bytes = _a(x, "d_model") * 2.0  # one token's hidden state in 16 bit
    bw1 = _a(x, "bandwidth_gb_per_s") * 1e9 * _a(x, "bandwidth_efficiency")
    peak1 = _a(x, "decode_tflops") * 1e12 * _a(x, "compute_efficiency")
    prefill_peak1 = _a(x, "prefill_tflops") * 1e12 * _a(x, "prefill_efficiency")
    link = (x["link_latency_s"], x["link_hop_latency_s"], _a(x, "link_bus_gb_per_s") * 1e9)
    dense_read = _a(x, "dense_bytes") - _a(x, "embedding_bytes")  # the input embedding is a lookup, not read whole

    def weights_read(tokens: ArrayLike) -> F:
        return moe_weights_read(dense_read, x["expert_bytes"], x["experts"], x["experts_per_token"], tokens)

    def experts_read(tokens: ArrayLike) -> F:
        return moe_weights_read(0.0, x["expert_bytes"], x["experts"], x["experts_per_token"], tokens)

    ctx = inp + out / 2.0  # a decode step attends, on average over the answer, to the prompt and half the answer
    gemm_per_token = 2.0 * _a(x, "matmul_params")
    expert_per_token = 2.0 * _a(x, "expert_matmul_params")
    attention_per_token = _a(x, "attn_decode_factor") * _attention(x, ctx)
    new = inp * (1.0 - _a(x, "cached_share"))  # prompt tokens computed; a cached prefix is read, not recomputed
    attended = inp * (1.0 + _a(x, "cached_share")) / 2.0  # mean position of a computed prompt token (causal)
    prefill_flops = new * flops.forward_flops_per_token(x["matmul_params"], x["attn_flops_per_key"], attended,
                                                        x["attn_window_flops_per_key"], x["window"])
    # A forward pass over the prompts carries `pass_tokens` of them (several requests' prompts, or chunks
    # of a long one); its weight reads, all-reduces and fixed overhead are shared by those tokens.
    pass_tokens = prefill_pass_tokens(new, s, x["prefill_batch_tokens"])
    share = new / np.maximum(pass_tokens, 1e-30)  # passes' worth of fixed costs one request's prompt pays
    if mode == PIPELINE:
        # Each GPU holds L/n layers and their KV cache. Overlapped stages run n micro-batches of s/n:
        # a token's step is one GPU's time for a micro-batch (at least one sequence). Sequential
        # stages (llama.cpp) run the whole batch on one GPU after another.
        overlapped = _a(x, "pipeline") == PIPELINE_OVERLAPPED
        b = np.where(overlapped, np.maximum(s / n, 1.0), s)
        reads, kv, ways = weights_read(b), b * _kv(x, ctx), np.ones_like(n)
        hop = _a(x, "link_latency_s") + b * d_bytes / link[2]
        comm = (n - 1.0) * hop
        prefill_comm = (n - 1.0) * (_a(x, "link_latency_s") + pass_tokens * d_bytes / link[2]) * share
        prefill_read = weights_read(pass_tokens) / bw1 * share  # one stage after another reads its weights
    else:
        b, ways = s, n
        reads, kv = weights_read(s), s * _kv(x, ctx) * np.where(n > 1.0, kv_replicas(n, x["kv_heads"]), 1.0)
        comm = 2.0 * _a(x, "layers") * collectives.allreduce_s(s * d_bytes, n, *link)
        prefill_comm = 2.0 * _a(x, "layers") * collectives.allreduce_s(pass_tokens * d_bytes, n, *link) * share
        prefill_read = weights_read(pass_tokens) / (n * bw1) * share
    expert_reads = experts_read(b)
    step = decode_step_s(reads - expert_reads, kv, b * (gemm_per_token - expert_per_token), b * attention_per_token, ways * bw1,
                         ways * peak1, expert_reads, b * expert_per_token) + comm
    # Prompt chunks flow through pipeline stages together, so prefill computes on every GPU either way.
    prefill = np.maximum(prefill_read, prefill_flops / (n * prefill_peak1)) + prefill_comm
    compute_bound = b * (gemm_per_token + attention_per_token) / (ways * peak1) >= (reads + kv) / (ways * bw1)
    overhead = _a(x, "step_overhead_s")
    return step + overhead, np.where(inp > 0, prefill + overhead * share, 0.0), compute_bound


def _at_concurrency(x: Mapping[str, ArrayLike], s: F, mode: float) -> dict[str, A]:
    step, prefill, compute_bound = _phases(x, s, mode)
    out = _a(x, "output_tokens")
    busy = s * prefill + out * step  # one request's lifetime while S run together: S prefills and its decode
    rps = s / np.maximum(busy, 1e-30)
    # Other requests' prefills delay this one's (M/D/1 at the rate the S - 1 others start).
    others = (s - 1.0) / s * rps * prefill
    with np.errstate(divide="ignore", invalid="ignore"):
        prefill_wait = np.where(others < 1.0, others * prefill / (2.0 * (1.0 - others)), np.inf)
    return {
        "step_s": step,
        "prefill_s": prefill,
        "requests_per_s": rps,
        "tpot_s": step,
        "itl_s": (out * step + (s - 1.0) * prefill) / np.maximum(out, 1.0),
        "ttft_s": _a(x, "request_overhead_s") + prefill + np.where(s > 1.0, prefill_wait, 0.0),
        "compute_bound": compute_bound,
    }


def _best_mode(x: Mapping[str, ArrayLike], s: F, tp_ok: A, pp_ok: A) -> dict[str, A]:
    """Results at batch `s` in the faster of tensor and pipeline parallel (by requests/s) among the
    modes whose memory holds the batch; ties and single GPUs go to tensor parallel. Pipeline parallel is
    not evaluated when no row may use it (one GPU, an engine without it, NVLink with vLLM)."""
    tp = _at_concurrency(x, s, TENSOR)
    if pp_ok.any():
        pp = _at_concurrency(x, s, PIPELINE)
        use_pp = pp_ok & (~tp_ok | (pp["requests_per_s"] > tp["requests_per_s"]))
        out = {k: np.where(use_pp, pp[k], tp[k]) for k in tp}
    else:
        use_pp = np.zeros(np.broadcast_shapes(np.shape(pp_ok), np.shape(tp_ok), np.shape(tp["requests_per_s"])), dtype=bool)
        out = {k: v if np.shape(v) == use_pp.shape else np.where(use_pp, v, v) for k, v in tp.items()}
    out["parallelism"] = np.where(use_pp, PIPELINE, np.where(_a(x, "gpus") > 1.0, TENSOR, SINGLE))
    return out


def serve(x: Mapping[str, ArrayLike]) -> dict[str, A]:
    """Throughput and latency of one replica.

    The batch (`concurrency`, or with "auto" the candidate with the most requests/s whose decode step meets
    `max_tpot_s`) in the faster of tensor and pipeline parallel, limited by the KV cache that fits beside
    the weights (capacity). Rows that do not fit get zero throughput and latency.

    Parameters
    ----------
    x : mapping of str to array_like
        Arrays broadcast together (the keys of `llmcost.inputs.SERVE_KEYS`). Model:

        - matmul_params: parameters that multiply per token (active weights), a count.
        - expert_matmul_params: the part of them in routed experts, a count.
        - dense_bytes, expert_bytes: bytes of the weights outside and inside the routed experts.
        - embedding_bytes: bytes, the part of dense_bytes that is an input lookup, not read per step.
        - experts, experts_per_token: routed experts per layer, and per token, counts.
        - layers, kv_heads: counts; d_model: hidden units, a count.
        - attn_flops_per_key, attn_window_flops_per_key: FLOPs per token per key of the full- and
          sliding-window layers (flops.attention_flops_per_key); window: tokens.
        - attn_decode_factor: ratio of decode to prefill attention FLOPs per key (above 1 for latent
          attention, which decodes in the absorbed form).
        - kv_bytes_per_token, kv_window_bytes_per_token: bytes per token cached by the full- and
          sliding-window layers.
        - model_context: tokens, the model's context window.

        Hardware (per GPU, unless said):

        - memory_gib: GiB of memory; gpus: GPUs per replica, a count.
        - usable_fraction: fraction 0-1 of memory the runtime may take; overhead_gib: GiB it keeps.
        - bandwidth_gb_per_s: decimal GB/s of memory bandwidth.
        - decode_tflops, prefill_tflops: TFLOPS, the dense tensor peaks for the format and accumulate
          precision.
        - link_latency_s, link_hop_latency_s: seconds; link_bus_gb_per_s: decimal GB/s (the all-reduce
          model, collectives.allreduce_s).

        Engine:

        - bandwidth_efficiency, compute_efficiency, prefill_efficiency: fractions 0-1 of the bandwidth,
          decode peak and prefill peak reached.
        - engine_max_concurrency: most sequences the engine batches, a count.
        - pipeline: a PIPELINE_* code.
        - step_overhead_s: seconds per forward pass (launches, scheduling, sampling).
        - request_overhead_s: seconds per request before its prefill (API, tokeniser).
        - prefill_batch_tokens: prompt tokens one forward pass carries across requests, 0 = one prompt at
          a time (prefill_pass_tokens).
        - cached_share: fraction 0-1 of the prompt whose prefill a prefix cache skips (0 without one).

        Workload:

        - input_tokens, output_tokens: tokens per request.
        - concurrency: sequences decoded together, a count; 0 = auto (the batch with the most requests/s
          whose tpot_s meets max_tpot_s).
        - max_tpot_s: seconds per decode step at most (inf = no target).

    Returns
    -------
    dict of str to ndarray
        Arrays of the inputs' broadcast shape:

        - fits: the model, one request and the batch asked for fit (bool); model_fits: the model and one
          request fit (bool).
        - max_concurrency: sequences that fit, a count; concurrency: the batch used, a count (0 where
          nothing fits).
        - parallelism: SINGLE, TENSOR or PIPELINE.
        - weights_bytes, kv_bytes_per_sequence: bytes.
        - step_s (the decode step), prefill_s (one request's prefill): seconds.
        - prefill_tokens_per_s, decode_tokens_per_s, output_tokens_per_s: tokens per second;
          requests_per_s: requests per second.
        - ttft_s (request overhead + prefill + the wait behind the other S - 1 requests' prefills), tpot_s
          (the decode step, as engines' benchmarks report TPOT), itl_s (mean time between output tokens
          including the other requests' prefills): seconds.
        - meets_latency: tpot_s within max_tpot_s (bool); compute_bound: the decode step is compute-bound
          (bool).
    """
    arrays = {k: np.asarray(v, dtype=float) for k, v in x.items()}
    shapes = {a.shape for a in arrays.values()}
    shape = next(iter(shapes)) if len(shapes) == 1 else np.broadcast_shapes(*shapes)
    n = math.prod(shape)
    if len(shapes) == 1 and len(shape) == 1:  # one column per key already (a result table's inputs)
        flat = arrays
    elif len(shape) <= 1:  # slices of broadcast 1-D views cost nothing
        flat = {k: a if a.shape == (n,) else np.broadcast_to(a, (n,)) for k, a in arrays.items()}
    else:
        flat = {k: np.broadcast_to(a, shape).reshape(-1) for k, a in arrays.items()}
    if n <= CHUNK_ROWS:
        return {k: v if v.shape == shape else v.reshape(shape) for k, v in _serve_rows(flat).items()}
    parts = [_serve_rows({k: v[i:i + CHUNK_ROWS] for k, v in flat.items()}) for i in range(0, n, CHUNK_ROWS)]
    return {k: np.concatenate([p[k] for p in parts])[:n].reshape(shape) for k in parts[0]}


CHUNK_ROWS = 16_384
"""Rows evaluated together: keeps the candidate-batch arrays in cache and memory flat."""


def capacity(x: Mapping[str, ArrayLike]) -> tuple[F, F]:
    """Most sequences whose KV cache fits beside the weights, in tensor parallel and in pipeline parallel.

    Tensor parallel keeps kv_replicas copies of the KV cache; pipeline parallel one.

    Parameters
    ----------
    x : mapping of str to array_like
        Arrays broadcast together, keys as in `serve`: gpus (a count), dense_bytes and expert_bytes
        (bytes), input_tokens and output_tokens (tokens per request), kv_bytes_per_token and
        kv_window_bytes_per_token (bytes per token), window and model_context (tokens), memory_gib (GiB
        per GPU), usable_fraction (fraction 0-1), overhead_gib (GiB per GPU), kv_heads (a count),
        engine_max_concurrency (sequences), pipeline (a PIPELINE_* code).

    Returns
    -------
    tuple of ndarray
        (tensor parallel, pipeline parallel) sequences, counts: 0 where a request is longer than the
        model's context, and for pipeline parallel where the engine has none or the replica is one GPU.
    """
    gpus = _a(x, "gpus")
    weights = _a(x, "dense_bytes") + _a(x, "expert_bytes")
    tokens = _a(x, "input_tokens") + _a(x, "output_tokens")
    kv_seq = _kv(x, tokens)
    free = memory.usable_bytes(x["memory_gib"], gpus, x["usable_fraction"], x["overhead_gib"])
    in_context = tokens <= _a(x, "model_context")
    rep = np.where(gpus > 1.0, kv_replicas(gpus, x["kv_heads"]), 1.0)
    tp = np.where(in_context, memory.max_concurrency(free, weights, kv_seq * rep, x["engine_max_concurrency"]), 0.0)
    pp_able = in_context & (gpus > 1.0) & (_a(x, "pipeline") != PIPELINE_NONE)
    pp = np.where(pp_able, memory.max_concurrency(free, weights, kv_seq, x["engine_max_concurrency"]), 0.0)
    return tp, pp


def _serve_rows(x: Mapping[str, F]) -> dict[str, A]:
    """serve() on 1-D arrays of equal length."""
    s_tp, s_pp = capacity(x)
    s_max = np.maximum(s_tp, s_pp)
    model_fits = s_max >= 1.0
    wanted = _a(x, "concurrency")
    max_tpot = _a(x, "max_tpot_s")
    fits = model_fits & ((wanted <= 0) | (wanted <= s_max))
    s = np.where(wanted > 0, wanted, 1.0)
    auto = np.nonzero(wanted <= 0)[0]
    if auto.size:
        # Candidates on a trailing axis, for the auto rows only: the fixed ladder and each row's
        # maximum, never above it.
        s_auto = np.maximum(s_max[auto], 1.0)[:, None]
        ladder = np.broadcast_to(CONCURRENCY_CANDIDATES, (auto.size, CONCURRENCY_CANDIDATES.size))
        cands = np.minimum(np.concatenate([ladder, s_auto], axis=1), s_auto)
        ex = {k: v[auto][:, None] for k, v in x.items()}
        at = _best_mode(ex, cands, cands <= s_tp[auto][:, None], cands <= s_pp[auto][:, None])
        ok = at["tpot_s"] <= max_tpot[auto][:, None] * (1 + 1e-9)
        score = np.where(ok, at["requests_per_s"], -1.0)
        # Throughput plateaus once decode is compute-bound; among batches within rounding of the best
        # rate take the smallest (first), which has the lowest latency.
        near_best = score >= np.max(score, axis=1, keepdims=True) * (1 - 1e-9)
        best = np.take_along_axis(cands, np.argmax(near_best, axis=1)[:, None], axis=1)[:, 0]
        s[auto] = np.where(np.any(ok, axis=1), best, 1.0)  # no batch meets the target: report batch 1
    r = _best_mode(x, s, s <= s_tp, s <= s_pp)
    inp = _a(x, "input_tokens")
    out = _a(x, "output_tokens")
    zero = np.zeros(s.shape)
    every = bool(fits.all())

    def fit(v: F) -> F:
        return v.astype(float) if every and v.shape == zero.shape else np.where(fits, v, zero)  # all fit: a copy, as np.where makes

    tokens = inp + out
    return {
        "fits": fits,
        "model_fits": model_fits,
        "max_concurrency": s_max,
        "concurrency": fit(s),
        "parallelism": fit(r["parallelism"]),
        "weights_bytes": _a(x, "dense_bytes") + _a(x, "expert_bytes") + zero,
        "kv_bytes_per_sequence": _kv(x, tokens) + zero,
        "step_s": fit(r["step_s"]),
        "prefill_s": fit(r["prefill_s"]),
        "prefill_tokens_per_s": np.where(fits & (r["prefill_s"] > 0), inp / np.maximum(r["prefill_s"], 1e-30), zero),
        "decode_tokens_per_s": fit(s / r["step_s"]),
        "requests_per_s": fit(r["requests_per_s"]),
        "output_tokens_per_s": fit(r["requests_per_s"] * out),
        "ttft_s": fit(r["ttft_s"]),
        "tpot_s": fit(r["tpot_s"]),
        "itl_s": fit(r["itl_s"]),
        "meets_latency": fits & (r["tpot_s"] <= max_tpot * (1 + 1e-9)),
        "compute_bound": fits & r["compute_bound"],
    }
