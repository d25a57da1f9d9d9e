"""FLOPs: active parameters, training and inference FLOPs per token."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]


def active_params(params: ArrayLike, experts: ArrayLike, experts_per_token: ArrayLike, expert_params: ArrayLike) -> F:
    """Parameters a token uses: total minus the routed experts it skips (dense: experts = 0).

    N_a = N - (E - k) x P_e. Mixtral 8x7B: 46.7B total, 8 experts of 5.637B, top-2:

    >>> round(float(active_params(46.7e9, 8, 2, 5.637e9)) / 1e9, 1)
    12.9
    """
    e = np.asarray(experts, dtype=float)
    k = np.asarray(experts_per_token, dtype=float)
    return np.asarray(params, dtype=float) - np.maximum(e - k, 0.0) * np.asarray(expert_params, dtype=float)


def attention_flops_per_token(layers: ArrayLike, d_model: ArrayLike, context: ArrayLike) -> F:
    """Forward attention FLOPs per token attending to `context` tokens: QK^T and AV, 2 FLOPs per
    multiply-add each, 4 L d T (Kaplan et al. 2020 Table 1; PaLM App. B counts 3x this for training)."""
    return 4.0 * np.asarray(layers, dtype=float) * np.asarray(d_model, dtype=float) * np.asarray(context, dtype=float)


def training_flops_per_token(active: ArrayLike, layers: ArrayLike, d_model: ArrayLike, seq_len: ArrayLike) -> F:
    """Training FLOPs per token, 6 N_a + 12 L d T (PaLM, Chowdhery et al. 2022, App. B).

    GPT-3 175B at T = 2048 (Brown et al. report 3.14e23 FLOPs for 300B tokens):

    >>> round(float(training_flops_per_token(174.6e9, 96, 12288, 2048)) * 300e9 / 1e23, 2)
    3.23
    """
    return 6.0 * np.asarray(active, dtype=float) + 3.0 * attention_flops_per_token(layers, d_model, seq_len)


def finetune_flops_per_token(method_full: ArrayLike, active: ArrayLike, layers: ArrayLike, d_model: ArrayLike,
                             seq_len: ArrayLike, checkpointing: ArrayLike, trainable: ArrayLike,
                             dequant_overhead: ArrayLike) -> F:
    """Fine-tuning FLOPs per token.

    Full: 6 N_a + 12 L d T, as pre-training. LoRA: forward (2 N_a) plus activation gradients (2 N_a),
    no weight gradients for frozen weights, so 4 N_a; attention has no weights, so its forward and
    backward (12 L d T) stay whole; the adapters cost 6 x trainable. Checkpointing adds one more
    forward (2 N_a + 4 L d T). QLoRA multiplies by the dequantisation overhead (1 for the others).
    """
    na = np.asarray(active, dtype=float)
    attn_fwd = attention_flops_per_token(layers, d_model, seq_len)
    full = 6.0 * na + 3.0 * attn_fwd
    lora = 4.0 * na + 3.0 * attn_fwd + 6.0 * np.asarray(trainable, dtype=float)
    base = np.where(np.asarray(method_full, dtype=bool), full, lora)
    recompute = np.where(np.asarray(checkpointing, dtype=bool), 2.0 * na + attn_fwd, 0.0)
    return (base + recompute) * np.asarray(dequant_overhead, dtype=float)


def forward_flops_per_token(active: ArrayLike, layers: ArrayLike, d_model: ArrayLike, context: ArrayLike) -> F:
    """Inference FLOPs per token: 2 N_a + attention over `context` tokens (Kaplan et al. 2020 Table 1)."""
    return 2.0 * np.asarray(active, dtype=float) + attention_flops_per_token(layers, d_model, context)
