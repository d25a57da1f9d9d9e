"""Memory: weights, KV cache, training states and activations, and what fits.

All functions take broadcastable arrays (or scalars) and return arrays. Bytes are plain bytes;
GiB = 2**30 bytes (a "24 GB" card has 24 GiB).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

GIB = float(2**30)
F = NDArray[np.float64]


def weights_bytes(params: ArrayLike, bits_per_weight: ArrayLike) -> F:
    """Bytes to hold `params` weights at `bits_per_weight` (scales included in the bits).

    Parameters
    ----------
    params : array_like
        Weights, a count.
    bits_per_weight : array_like
        Bits per weight, quantisation scales included.

    Returns
    -------
    ndarray
        Bytes, of the inputs' broadcast shape.

    Examples
    --------
    >>> float(weights_bytes(6.74e9, 16)) / 1e9
    13.48
    """
    return np.asarray(params, dtype=float) * np.asarray(bits_per_weight, dtype=float) / 8.0


def kv_bytes_per_token(layers: ArrayLike, kv_elements_per_layer: ArrayLike, kv_bytes: ArrayLike) -> F:
    """KV-cache bytes per token: layers x cached elements per layer x bytes each (vLLM paper sec. 3).

    The elements per layer are 2 x kv_heads x head_dim for multi-head and grouped-query attention
    (K and V), fewer for latent attention (MLA).

    Parameters
    ----------
    layers : array_like
        Layers that cache, a count.
    kv_elements_per_layer : array_like
        Cached elements per token and layer, a count.
    kv_bytes : array_like
        Bytes per cached element (2 for FP16/BF16, 1 for FP8).

    Returns
    -------
    ndarray
        Bytes per token, of the inputs' broadcast shape.

    Examples
    --------
    OPT-13B (40 layers, 2 x 5120 elements, FP16) needs 800 KiB per token, the vLLM paper's figure:

    >>> float(kv_bytes_per_token(40, 2 * 5120, 2)) / 1024
    800.0
    """
    return np.asarray(layers, dtype=float) * np.asarray(kv_elements_per_layer, dtype=float) * np.asarray(kv_bytes, dtype=float)


def kv_bytes(tokens: ArrayLike, kv_bytes_per_token: ArrayLike, window_bytes_per_token: ArrayLike = 0.0,
             window: ArrayLike = 0.0) -> F:
    """KV-cache bytes of a sequence of `tokens` tokens: full-attention layers cache every token,
    sliding-window layers at most the last `window` (Beltagy et al. 2020, Longformer sec. 3; gpt-oss
    config.json: half the layers `sliding_attention` with `sliding_window` 128).

    Parameters
    ----------
    tokens : array_like
        Tokens in the sequence.
    kv_bytes_per_token : array_like
        Bytes per token of the full-attention layers (kv_bytes_per_token()).
    window_bytes_per_token : array_like, default 0.0
        Bytes per token of the sliding-window layers (0: none).
    window : array_like, default 0.0
        Tokens, the sliding window.

    Returns
    -------
    ndarray
        Bytes per sequence, of the inputs' broadcast shape.

    Examples
    --------
    gpt-oss-120b at 8192 tokens: 18 full layers x 8 KV heads x 64 x 2 (K, V) x 2 bytes = 36,864 bytes
    per token, and 18 sliding layers that keep 128 tokens:

    >>> float(kv_bytes(8192, 36864, 36864, 128)) / 2**20
    292.5
    """
    t = np.asarray(tokens, dtype=float)
    return (t * np.asarray(kv_bytes_per_token, dtype=float)
            + np.minimum(t, np.asarray(window, dtype=float)) * np.asarray(window_bytes_per_token, dtype=float))


def quantized_weights_bytes(linear_params: ArrayLike, expert_params: ArrayLike, embedding_params: ArrayLike,
                            head_params: ArrayLike, linear_bits: ArrayLike, expert_bits: ArrayLike,
                            embedding_bits: ArrayLike, head_bits: ArrayLike) -> tuple[F, F]:
    """(non-expert bytes, routed-expert bytes) of a checkpoint whose tensors are kept at different precisions.

    Quantised formats quantise the linear layers inside the blocks and keep the input embedding and
    the output head at higher precision (AutoAWQ/GPTQ: FP16; llama.cpp k-quants: Q6_K output, per
    src/llama-quant.cpp); MXFP4 releases quantise only the MoE experts (gpt-oss config.json
    `modules_to_not_convert`: attention, router, embeddings, head). Norms and biases are counted with
    the linear layers (they are under 0.1% of the parameters).

    Parameters
    ----------
    linear_params : array_like
        Parameters of the linear layers outside the routed experts (norms and biases included), a count.
    expert_params : array_like
        Parameters of all routed experts, a count (0 for dense models).
    embedding_params : array_like
        Parameters of the input embedding, a count.
    head_params : array_like
        Parameters of the output head, a count (0 when tied to the embedding).
    linear_bits : array_like
        Bits per weight of the linear layers.
    expert_bits : array_like
        Bits per weight of the experts.
    embedding_bits : array_like
        Bits per weight of the input embedding.
    head_bits : array_like
        Bits per weight of the output head.

    Returns
    -------
    tuple of ndarray
        (non-expert bytes, routed-expert bytes), each of the inputs' broadcast shape.

    Examples
    --------
    Llama 3.1 8B AWQ INT4 (6.979B linear weights at 4 + 16/128 + 4/128 bits, 525.3M-parameter
    embedding and head in FP16): 5.73 GB, the published checkpoint's 4.68 + 1.05 GB:

    >>> dense, experts = quantized_weights_bytes(6.979e9, 0, 525.3e6, 525.3e6, 4.15625, 4.15625, 16, 16)
    >>> round(float(dense + experts) / 1e9, 2)
    5.73
    """
    dense = (np.asarray(linear_params, dtype=float) * np.asarray(linear_bits, dtype=float)
             + np.asarray(embedding_params, dtype=float) * np.asarray(embedding_bits, dtype=float)
             + np.asarray(head_params, dtype=float) * np.asarray(head_bits, dtype=float)) / 8.0
    return dense, np.asarray(expert_params, dtype=float) * np.asarray(expert_bits, dtype=float) / 8.0


def usable_bytes(memory_gib: ArrayLike, gpus: ArrayLike, usable_fraction: ArrayLike, overhead_gib: ArrayLike) -> F:
    """Memory left for weights and KV cache across `gpus` cards: the share the runtime may take, minus its
    fixed per-GPU overhead (CUDA context, activation workspace).

    Parameters
    ----------
    memory_gib : array_like
        GiB of memory per GPU.
    gpus : array_like
        GPUs, a count.
    usable_fraction : array_like
        Fraction 0-1 of each GPU's memory the runtime may take.
    overhead_gib : array_like
        GiB per GPU the runtime keeps for itself.

    Returns
    -------
    ndarray
        Bytes across all `gpus`, at least 0, of the inputs' broadcast shape.

    Examples
    --------
    Two 24 GiB cards at 90%, less 1 GiB each: 41.2 GiB:

    >>> round(float(usable_bytes(24, 2, 0.9, 1.0)) / GIB, 1)
    41.2
    """
    per_gpu = np.asarray(memory_gib, dtype=float) * np.asarray(usable_fraction, dtype=float) - np.asarray(overhead_gib, dtype=float)
    return np.maximum(per_gpu, 0.0) * GIB * np.asarray(gpus, dtype=float)


def max_concurrency(free_bytes: ArrayLike, weights: ArrayLike, kv_per_sequence: ArrayLike, engine_cap: ArrayLike) -> F:
    """Most sequences whose KV cache fits beside the weights: floor((M - W) / KV_seq), capped by the engine.

    Parameters
    ----------
    free_bytes : array_like
        Bytes for weights and KV cache (usable_bytes).
    weights : array_like
        Bytes of the weights.
    kv_per_sequence : array_like
        Bytes of one sequence's KV cache.
    engine_cap : array_like
        Most sequences the engine batches, a count.

    Returns
    -------
    ndarray
        Sequences, a count, of the inputs' broadcast shape; 0 means not even one sequence fits (the model
        does not fit).

    Examples
    --------
    >>> max_concurrency([24e9, 10e9], 13.5e9, 1e9, 64).tolist()
    [10.0, 0.0]
    """
    room = np.asarray(free_bytes, dtype=float) - np.asarray(weights, dtype=float)
    seqs = np.floor(np.maximum(room, 0.0) / np.maximum(np.asarray(kv_per_sequence, dtype=float), 1.0))
    return np.minimum(seqs, np.asarray(engine_cap, dtype=float))


def activation_bytes(seq_len: ArrayLike, batch: ArrayLike, d_model: ArrayLike, layers: ArrayLike,
                     checkpointing: ArrayLike, act_bytes_per_token_hidden: ArrayLike,
                     ckpt_bytes_per_token_hidden: ArrayLike, logits_bytes: ArrayLike = 0.0) -> F:
    """Peak activation memory of one micro-batch (Korthikanti et al. 2022, sec. 4), with the loss's logits.

    Without checkpointing every layer keeps s b h x `act_bytes_per_token_hidden` bytes (34 with
    16-bit activations; the 5as/h attention-score term vanishes with flash attention), all alive when
    the backward pass starts, beside the logits and their gradient (`logits_bytes`, from logits_bytes()). With
    full recomputation each layer keeps only its 16-bit input (2 s b h); the logits are freed once the
    output layer's backward is done, before any layer recomputes its full set, so the peak holds the
    larger of the two.

    Parameters
    ----------
    seq_len : array_like
        Tokens per sequence (s).
    batch : array_like
        Sequences per micro-batch (b).
    d_model : array_like
        Hidden size (h), a count of units.
    layers : array_like
        Layers, a count.
    checkpointing : array_like of bool
        Full activation recomputation on.
    act_bytes_per_token_hidden : array_like
        Bytes per token, hidden unit and layer kept without checkpointing (34 with 16-bit activations).
    ckpt_bytes_per_token_hidden : array_like
        Bytes per token, hidden unit and layer kept with checkpointing (2: the layer's 16-bit input).
    logits_bytes : array_like, default 0.0
        Bytes of the loss's logits and their gradient (logits_bytes()).

    Returns
    -------
    ndarray
        Bytes of one micro-batch's activations at their peak, of the inputs' broadcast shape.

    Examples
    --------
    Llama 3.1 8B (32 layers, d 4096), one sequence of 2,048 tokens with checkpointing: 0.54 GB of layer
    inputs, and the logits (1.2 GB) outweigh one layer's 0.29 GB:

    >>> round(float(activation_bytes(2048, 1, 4096, 32, True, 34, 2, 1.2e9)) / 1e9, 2)
    1.74
    """
    sbh = np.asarray(seq_len, dtype=float) * np.asarray(batch, dtype=float) * np.asarray(d_model, dtype=float)
    layers_f = np.asarray(layers, dtype=float)
    act = np.asarray(act_bytes_per_token_hidden, dtype=float)
    logits = np.asarray(logits_bytes, dtype=float)
    full = sbh * act * layers_f + logits
    ckpt = sbh * np.asarray(ckpt_bytes_per_token_hidden, dtype=float) * layers_f + np.maximum(sbh * act, logits)
    return np.where(np.asarray(checkpointing, dtype=bool), ckpt, full)


def logits_bytes(tokens: ArrayLike, vocab: ArrayLike, bytes_per_logit: ArrayLike) -> F:
    """Memory of the loss over the vocabulary for `tokens` tokens: tokens x vocab logits at
    `bytes_per_logit` each (the head's output, its FP32 copy for the loss, their gradients; Wijmans et
    al. 2024, Cut Cross-Entropy, sec. 1: Gemma 2 2B's loss and head take 28 GB for 8,192 tokens of a
    256,000-token vocabulary in PyTorch, about 13 bytes per logit; chunked and fused losses keep less).

    Parameters
    ----------
    tokens : array_like
        Tokens in the micro-batch (sequences x tokens per sequence).
    vocab : array_like
        Tokens in the vocabulary, a count.
    bytes_per_logit : array_like
        Bytes per logit (token x vocabulary entry) the loss holds at its peak.

    Returns
    -------
    ndarray
        Bytes, of the inputs' broadcast shape.

    Examples
    --------
    Llama 3.1 8B (vocabulary 128,256), batch 2 x 2,048 tokens, unchunked:

    >>> round(float(logits_bytes(4096, 128256, 13)) / 2**30, 2)
    6.36
    """
    return np.asarray(tokens, dtype=float) * np.asarray(vocab, dtype=float) * np.asarray(bytes_per_logit, dtype=float)


LORA_TARGETS = ("qv", "attention", "all")
"""LoRA target sets, coded 0, 1, 2: W_q and W_v (the LoRA paper's choice), all four attention
matrices, or attention plus every MLP matrix (QLoRA's choice)."""


def lora_trainable_params(rank: ArrayLike, layers: ArrayLike, d_model: ArrayLike, heads: ArrayLike,
                          kv_heads: ArrayLike, head_dim: ArrayLike, ffn_dim: ArrayLike, ffn_gated: ArrayLike,
                          experts: ArrayLike, targets: ArrayLike) -> F:
    """Trainable LoRA parameters: sum over adapted matrices of r (d_in + d_out) (Hu et al. 2021, sec. 4).

    MLP adapters go on each MLP matrix (gate, up, down when gated) of every expert for MoE models.

    Parameters
    ----------
    rank : array_like
        LoRA rank r, a count.
    layers : array_like
        Layers, a count.
    d_model : array_like
        Hidden size, a count of units.
    heads : array_like
        Query heads per layer, a count.
    kv_heads : array_like
        Key-value heads per layer, a count.
    head_dim : array_like
        Units per head.
    ffn_dim : array_like
        Units of the MLP's inner layer (per expert for MoE models).
    ffn_gated : array_like of bool
        A gated MLP (gate, up and down matrices) rather than up and down.
    experts : array_like
        Experts whose MLPs get adapters, a count (1 for dense models).
    targets : array_like of int
        Codes indexing LORA_TARGETS: 0 W_q and W_v, 1 all four attention matrices, 2 attention and MLP.

    Returns
    -------
    ndarray
        Trainable parameters, a count, of the inputs' broadcast shape.

    Examples
    --------
    GPT-3 175B with r=4 on W_q and W_v, and on all four attention matrices (Hu et al. sec. 4.2: the 35 MB
    checkpoint; and Table 4's 37.7M row):

    >>> gpt3 = (96, 12288, 96, 96, 128, 49152, False, 1)
    >>> [round(float(lora_trainable_params(4, *gpt3, t)) / 1e6, 1) for t in (0, 1)]
    [18.9, 37.7]
    """
    r = np.asarray(rank, dtype=float)
    code = np.asarray(targets)
    d = np.asarray(d_model, dtype=float)
    q_side = d + np.asarray(heads, dtype=float) * np.asarray(head_dim, dtype=float)
    kv_side = d + np.asarray(kv_heads, dtype=float) * np.asarray(head_dim, dtype=float)
    attention = r * np.where(code == 0, q_side + kv_side, 2 * q_side + 2 * kv_side)
    mlp_mats = np.where(np.asarray(ffn_gated, dtype=bool), 3.0, 2.0)
    mlp = r * (d + np.asarray(ffn_dim, dtype=float)) * mlp_mats * np.asarray(experts, dtype=float)
    per_layer = attention + np.where(code == 2, mlp, 0.0)
    return per_layer * np.asarray(layers, dtype=float)
