"""Collectives: the time of an all-reduce, all-gather or reduce-scatter over a GPU group's link.

One alpha-beta model for every collective (NVIDIA nccl-tests doc/PERFORMANCE.md): a fixed latency
that grows with the ring's steps, plus the bytes each GPU sends over the link's bus bandwidth. The
serving engine's tensor-parallel all-reduces and the training engine's FSDP all-gathers and
reduce-scatters use it. Inputs broadcast; 0 on one GPU.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]


def _ring(message_bytes: ArrayLike, gpus: ArrayLike, latency_s: ArrayLike, hop_latency_s: ArrayLike,
          bus_bytes_per_s: ArrayLike, steps_per_gpu: float) -> F:
    n = np.asarray(gpus, dtype=float)
    ring = np.maximum(n - 1.0, 0.0)
    t = (np.asarray(latency_s, dtype=float) + steps_per_gpu * ring * np.asarray(hop_latency_s, dtype=float)
         + steps_per_gpu * ring / np.maximum(n, 1.0) * np.asarray(message_bytes, dtype=float)
         / np.asarray(bus_bytes_per_s, dtype=float))
    return np.where(n > 1.0, t, 0.0)


def allreduce_s(message_bytes: ArrayLike, gpus: ArrayLike, latency_s: ArrayLike, hop_latency_s: ArrayLike,
                bus_bytes_per_s: ArrayLike) -> F:
    """Time of one all-reduce of `message_bytes` over `gpus` GPUs (0 on one GPU).

    A fixed latency that grows with the ring's 2 (n - 1) steps, plus the ring's 2 (n - 1) / n x bytes over
    the bus bandwidth (alpha-beta model; NVIDIA nccl-tests doc/PERFORMANCE.md: busbw = algbw x 2 (n - 1) / n,
    "time ~ overhead + size / bw").

    Parameters
    ----------
    message_bytes : array_like
        Bytes, the message each GPU holds before and after the all-reduce.
    gpus : array_like
        GPUs in the group, a count.
    latency_s : array_like
        Seconds, the fixed latency of one collective.
    hop_latency_s : array_like
        Seconds added per ring step.
    bus_bytes_per_s : array_like
        Bytes per second, the link's bus bandwidth per GPU (one direction).

    Returns
    -------
    ndarray
        Seconds, of the inputs' broadcast shape; 0 where `gpus` <= 1.

    Examples
    --------
    8 RTX 4090s without peer-to-peer, 8 bytes: 7 us + 14 x 2.5 us, near the 42 us NVIDIA/nccl #1530
    measured; a 1 MiB message (batch 64 x d_model 8192 x 2 bytes) adds 1.75 x 1 MiB at 11 GB/s:

    >>> [round(float(allreduce_s(b, 8, 7e-6, 2.5e-6, 11e9)) * 1e6, 1) for b in (8, 2**20)]
    [42.0, 208.8]
    """
    return _ring(message_bytes, gpus, latency_s, hop_latency_s, bus_bytes_per_s, 2.0)


def allgather_s(total_bytes: ArrayLike, gpus: ArrayLike, latency_s: ArrayLike, hop_latency_s: ArrayLike,
                bus_bytes_per_s: ArrayLike) -> F:
    """Time of one all-gather, or of one reduce-scatter (the same traffic), over `gpus` GPUs (0 on one GPU).

    Half an all-reduce: the ring's (n - 1) steps and (n - 1) / n x bytes over the bus bandwidth
    (nccl-tests doc/PERFORMANCE.md: all_gather and reduce_scatter busbw = algbw x (n - 1) / n; an
    all-reduce is a reduce-scatter followed by an all-gather).

    Parameters
    ----------
    total_bytes : array_like
        Bytes, all GPUs' shards together: what an all-gather leaves on each GPU, or what a reduce-scatter
        splits into shards.
    gpus : array_like
        GPUs in the group, a count.
    latency_s : array_like
        Seconds, the fixed latency of one collective.
    hop_latency_s : array_like
        Seconds added per ring step.
    bus_bytes_per_s : array_like
        Bytes per second, the link's bus bandwidth per GPU (one direction).

    Returns
    -------
    ndarray
        Seconds, of the inputs' broadcast shape; 0 where `gpus` <= 1.

    Examples
    --------
    FSDP gathering one 0.4 GB layer of Llama-2 7B in BF16 over two RTX 3090s that stage through host
    memory (11.2 GB/s bus bandwidth): half of it crosses the link, 18 ms:

    >>> round(float(allgather_s(0.4e9, 2, 9e-6, 2.5e-6, 11.2e9)) * 1e3, 1)
    17.9
    """
    return _ring(total_bytes, gpus, latency_s, hop_latency_s, bus_bytes_per_s, 1.0)
