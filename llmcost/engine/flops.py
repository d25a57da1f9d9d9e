"""FLOPs: active parameters, attention, training and inference FLOPs per token.

Attention is counted per key (per earlier token attended to), summed over the layers that attend to
the whole context (`attn_flops_per_key`) plus those that attend to a sliding window of `window`
tokens (`window_flops_per_key`, 0 for models without sliding-window layers).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]


def active_params(params: ArrayLike, experts: ArrayLike, experts_per_token: ArrayLike, expert_params: ArrayLike) -> F:
    """Parameters a token uses: total minus the routed experts it skips (dense: experts = 0).

    N_a = N - (E - k) x P_e.

    Parameters
    ----------
    params : array_like
        Parameters of the model, a count.
    experts : array_like
        Routed experts per layer, a count (0 for dense models).
    experts_per_token : array_like
        Experts each token is routed to, a count.
    expert_params : array_like
        Parameters of one expert across all layers, a count.

    Returns
    -------
    ndarray
        Parameters, a count, of the inputs' broadcast shape.

    Examples
    --------
    Mixtral 8x7B: 46.7B total, 8 experts of 5.637B, top-2:

    >>> round(float(active_params(46.7e9, 8, 2, 5.637e9)) / 1e9, 1)
    12.9
    """
    e = np.asarray(experts, dtype=float)
    k = np.asarray(experts_per_token, dtype=float)
    return np.asarray(params, dtype=float) - np.maximum(e - k, 0.0) * np.asarray(expert_params, dtype=float)


def attention_flops_per_key(layers: ArrayLike, heads: ArrayLike, qk_dim: ArrayLike, v_dim: ArrayLike) -> F:
    """Forward attention FLOPs per token per key over `layers` layers: 2 L heads (d_qk + d_v).

    QK^T (qk_dim per head) and AV (v_dim per head), 2 FLOPs per multiply-add. With d_qk = d_v = head_dim
    and heads x head_dim = d_model this is Kaplan et al.'s 4 L d (2020, Table 1).

    Parameters
    ----------
    layers : array_like
        Attention layers, a count.
    heads : array_like
        Query heads per layer, a count.
    qk_dim : array_like
        Elements per head in the query-key product (head_dim; for MLA the latent plus the RoPE part).
    v_dim : array_like
        Elements per head in the attention-value product.

    Returns
    -------
    ndarray
        FLOPs per token per key (per earlier token attended to), of the inputs' broadcast shape.

    Examples
    --------
    Not 4 L d when heads x head_dim differs from d_model: Qwen3-32B (64 layers, 64 heads of 128, d_model
    5120) does 1.6x the 4 L d count (Qwen3-32B config.json):

    >>> float(attention_flops_per_key(64, 64, 128, 128) / (4 * 64 * 5120))
    1.6

    DeepSeek-V3's latent attention (MLA) decodes in the absorbed form, scores over the 576-element
    latent (512 + 64 RoPE) and values in the 512-element latent, 128 heads (DeepSeek-V3 report sec.
    2.1.1, config.json kv_lora_rank 512, qk_rope_head_dim 64): 9.7x the 4 L d count per layer:

    >>> round(float(attention_flops_per_key(1, 128, 576, 512) / (4 * 7168)), 1)
    9.7
    """
    return 2.0 * np.asarray(layers, dtype=float) * np.asarray(heads, dtype=float) * (
        np.asarray(qk_dim, dtype=float) + np.asarray(v_dim, dtype=float))


def attention_flops_per_token(attn_flops_per_key: ArrayLike, context: ArrayLike, window_flops_per_key: ArrayLike = 0.0,
                              window: ArrayLike = 0.0) -> F:
    """Forward attention FLOPs of one token attending to `context` earlier tokens.

    Full-attention layers see all of them, sliding-window layers at most `window` (gpt-oss: 128,
    config.json `sliding_window`).

    Parameters
    ----------
    attn_flops_per_key : array_like
        FLOPs per key of the full-attention layers together (attention_flops_per_key).
    context : array_like
        Tokens attended to.
    window_flops_per_key : array_like, default 0.0
        FLOPs per key of the sliding-window layers together (0: none).
    window : array_like, default 0.0
        Tokens, the sliding window.

    Returns
    -------
    ndarray
        FLOPs per token, of the inputs' broadcast shape.

    Examples
    --------
    GPT-3 175B (96 layers, d 12288) at 2048 tokens, 4 L d T:

    >>> float(attention_flops_per_token(4 * 96 * 12288, 2048)) / 1e9
    9.663676416
    """
    t = np.asarray(context, dtype=float)
    return (np.asarray(attn_flops_per_key, dtype=float) * t
            + np.asarray(window_flops_per_key, dtype=float) * np.minimum(t, np.asarray(window, dtype=float)))


def training_flops_per_token(matmul_params: ArrayLike, attn_flops_per_key: ArrayLike, seq_len: ArrayLike,
                             window_flops_per_key: ArrayLike = 0.0, window: ArrayLike = 0.0) -> F:
    """Training FLOPs per token, 6 N + 3 x attention forward (PaLM, Chowdhery et al. 2022, App. B: 6N + 12 L d T).

    N counts the weights that multiply (active parameters without an untied input embedding, which
    is a lookup).

    Parameters
    ----------
    matmul_params : array_like
        N, parameters that multiply per token, a count.
    attn_flops_per_key : array_like
        Forward FLOPs per key of the full-attention layers (attention_flops_per_key).
    seq_len : array_like
        Tokens per training sequence (the context attended to).
    window_flops_per_key : array_like, default 0.0
        Forward FLOPs per key of the sliding-window layers (0: none).
    window : array_like, default 0.0
        Tokens, the sliding window.

    Returns
    -------
    ndarray
        FLOPs per trained token, of the inputs' broadcast shape.

    Examples
    --------
    GPT-3 175B at T = 2048 (Brown et al. report 3.14e23 FLOPs for 300B tokens):

    >>> round(float(training_flops_per_token(174.6e9, 4 * 96 * 12288, 2048)) * 300e9 / 1e23, 2)
    3.23
    """
    return 6.0 * np.asarray(matmul_params, dtype=float) + 3.0 * attention_flops_per_token(
        attn_flops_per_key, seq_len, window_flops_per_key, window)


def finetune_flops_per_token(method_full: ArrayLike, matmul_params: ArrayLike, attn_flops_per_key: ArrayLike,
                             seq_len: ArrayLike, checkpointing: ArrayLike, trainable: ArrayLike, dequant_overhead: ArrayLike,
                             window_flops_per_key: ArrayLike = 0.0, window: ArrayLike = 0.0) -> F:
    """Fine-tuning FLOPs per token.

    Full: 6 N + 3 x attention, as pre-training. LoRA: forward (2 N) plus activation gradients (2 N),
    no weight gradients for frozen weights, so 4 N (Hu et al. 2021 sec. 4.2: no gradients for most
    parameters); attention has no weights, so its forward and backward (3 x attention) stay whole;
    the adapters cost 6 x trainable. Checkpointing adds one more forward (2 N + attention). QLoRA
    multiplies by the dequantisation overhead (1 for the others).

    Parameters
    ----------
    method_full : array_like of bool
        True for full fine-tuning, False for LoRA and QLoRA.
    matmul_params : array_like
        N, parameters that multiply per token, a count.
    attn_flops_per_key : array_like
        Forward FLOPs per key of the full-attention layers (attention_flops_per_key).
    seq_len : array_like
        Tokens per training sequence.
    checkpointing : array_like of bool
        Activation checkpointing on (one more forward pass).
    trainable : array_like
        Trainable (adapter) parameters, a count.
    dequant_overhead : array_like
        Factor >= 1 on the FLOPs for dequantising a 4-bit base (QLoRA; 1 for the others).
    window_flops_per_key : array_like, default 0.0
        Forward FLOPs per key of the sliding-window layers (0: none).
    window : array_like, default 0.0
        Tokens, the sliding window.

    Returns
    -------
    ndarray
        FLOPs per trained token, of the inputs' broadcast shape.
    """
    n = np.asarray(matmul_params, dtype=float)
    attn_fwd = attention_flops_per_token(attn_flops_per_key, seq_len, window_flops_per_key, window)
    full = 6.0 * n + 3.0 * attn_fwd
    lora = 4.0 * n + 3.0 * attn_fwd + 6.0 * np.asarray(trainable, dtype=float)
    base = np.where(np.asarray(method_full, dtype=bool), full, lora)
    recompute = np.where(np.asarray(checkpointing, dtype=bool), 2.0 * n + attn_fwd, 0.0)
    return (base + recompute) * np.asarray(dequant_overhead, dtype=float)


def forward_flops_per_token(matmul_params: ArrayLike, attn_flops_per_key: ArrayLike, context: ArrayLike,
                            window_flops_per_key: ArrayLike = 0.0, window: ArrayLike = 0.0) -> F:
    """Inference FLOPs per token: 2 N + attention over `context` tokens (Kaplan et al. 2020 Table 1).

    Parameters
    ----------
    matmul_params : array_like
        N, parameters that multiply per token, a count.
    attn_flops_per_key : array_like
        Forward FLOPs per key of the full-attention layers (attention_flops_per_key).
    context : array_like
        Tokens attended to.
    window_flops_per_key : array_like, default 0.0
        Forward FLOPs per key of the sliding-window layers (0: none).
    window : array_like, default 0.0
        Tokens, the sliding window.

    Returns
    -------
    ndarray
        FLOPs per token, of the inputs' broadcast shape.

    Examples
    --------
    A 7B dense model (4 L d = 4 x 32 x 4096 FLOPs per key) at 2,048 tokens of context: 2 x 6.74e9 +
    1.07e9 FLOPs:

    >>> round(float(forward_flops_per_token(6.74e9, 4 * 32 * 4096, 2048)) / 1e9, 2)
    14.55
    """
    return 2.0 * np.asarray(matmul_params, dtype=float) + attention_flops_per_token(
        attn_flops_per_key, context, window_flops_per_key, window)
