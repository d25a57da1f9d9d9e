"""From profile records to the engine's input numbers: model shapes, GPU peaks, defaults.

Everything here is lookup and unit conversion; formulas live in llmcost.engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from llmcost import hosting
from llmcost.catalog import BPW_RE, Catalog, parse_gpu_option
from llmcost.engine import flops, memory
from llmcost.errors import LlmcostError
from llmcost.schema import CALIBRATED_EFFICIENCIES, Calibration, Engine, Gpu, Model, Quantization, Rental


def model_shape(m: Model) -> dict[str, float]:
    """Shape numbers of a model; active parameters derived from the expert counts (never guessed).

    Attention FLOPs per key come from heads x head dims, not d_model; latent attention (MLA) trains
    and prefills in the decompressed form (query-key dims head_dim + RoPE, values v_head_dim) and
    decodes in the absorbed form over the latent (kv_lora_rank + RoPE, kv_lora_rank): DeepSeek-V2
    report (arXiv 2405.04434) sec. 2.1.2-2.1.3. Sliding-window layers attend to at most their window.
    """
    head_dim = m.head_dim or m.d_model // m.heads
    experts = float(m.experts or 0)
    k = float(m.experts_per_token or 0)
    expert_params = (m.expert_params_b or 0.0) * 1e9
    params = m.params_b * 1e9
    active = float(flops.active_params(params, experts, k, expert_params))
    embedding = float(m.vocab * m.d_model)
    mla = m.kv_lora_rank is not None
    rope = float(m.qk_rope_head_dim or 0)
    v_dim = float(m.v_head_dim or head_dim)
    sliding = float(m.sliding_layers or 0) if m.sliding_window else 0.0
    full_layers = float(m.layers) - sliding
    qk_train = head_dim + rope
    train_per_layer = float(flops.attention_flops_per_key(1, m.heads, qk_train, v_dim))
    decode_per_layer = float(flops.attention_flops_per_key(1, m.heads, (m.kv_lora_rank or 0) + rope, m.kv_lora_rank or 0)) \
        if mla else train_per_layer
    kv_elements = float(m.kv_elements_per_token_per_layer or ((m.kv_lora_rank or 0) + rope if mla else 2 * m.kv_heads * head_dim))
    return {
        "params": params,
        "active_params": active,
        "matmul_params": active - (0.0 if m.tied_embeddings else embedding),
        "dense_params": params - experts * expert_params,
        "expert_params_total": experts * expert_params,
        "expert_matmul_params": min(k, experts) * expert_params,
        "embedding_params": embedding,
        "head_params": 0.0 if m.tied_embeddings else embedding,
        "experts": experts,
        "experts_per_token": k,
        "layers": float(m.layers),
        "d_model": float(m.d_model),
        "heads": float(m.heads),
        "kv_heads": 1.0 if mla else float(m.kv_heads),
        "head_dim": float(head_dim),
        "ffn_dim": float(m.ffn_dim),
        "ffn_gated": float(m.ffn_gated),
        "attn_flops_per_key": full_layers * train_per_layer,
        "attn_window_flops_per_key": sliding * train_per_layer,
        "window": float(m.sliding_window or 0) if sliding else 0.0,
        "attn_decode_factor": decode_per_layer / train_per_layer,
        "full_layers": full_layers,
        "sliding_layers": sliding,
        "kv_elements_per_layer": kv_elements,
        "context": float(m.context),
        "vocab": float(m.vocab),
    }


def shape_of(cat: Catalog, model: Model) -> dict[str, float]:
    """model_shape(model), made once per catalog (Catalog.derived); callers read it and never change it."""
    return cat.derived(_shape_of, model)


def _shape_of(cat: Catalog, model: Model) -> dict[str, float]:
    return model_shape(model)


def weight_bytes(shape: dict[str, float], quant: Quantization) -> dict[str, float]:
    """Checkpoint bytes of a model in a format, by tensor kind (memory.quantized_weights_bytes): dense_bytes
    (everything outside the routed experts), expert_bytes, and embedding_bytes (the untied input
    embedding, held but only looked up, never read whole by a decode step)."""
    bits = quant.bits_per_weight
    embed_bits = quant.embedding_bits or bits
    head_bits = quant.head_bits or bits
    moe = shape["experts"] > 0
    linear = max(shape["dense_params"] - shape["embedding_params"] - shape["head_params"], 0.0)
    tied = shape["head_params"] == 0
    dense, experts = memory.quantized_weights_bytes(linear, shape["expert_params_total"], shape["embedding_params"],
                                                    shape["head_params"], (quant.non_expert_bits or bits) if moe else bits,
                                                    bits, head_bits if tied else embed_bits, head_bits)
    return {"dense_bytes": float(dense), "expert_bytes": float(experts),
            "embedding_bytes": 0.0 if tied else float(memory.weights_bytes(shape["embedding_params"], embed_bits))}


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


def training_mfu(cat: Catalog, gpu: Gpu, gpus: Any) -> Any:
    """Default MFU by setting: one GPU, an NVLink cluster, or GPUs over PCIe (`gpus` may be an array), times the GPU's
    mfu_factor where its profile has one (H100: Llama 3's runs reached a smaller share of the peak than the A100-era
    runs the assumptions come from)."""
    many = cat.value("mfu_nvlink" if gpu.interconnect == "nvlink" else "mfu_pcie")
    return _per_count(gpus, cat.value("mfu_single_gpu"), many) * (gpu.mfu_factor or 1.0)


def finetune_mfu(cat: Catalog, gpu: Gpu, gpus: Any) -> Any:
    """Default MFU of a fine-tune: the single-GPU figure for every GPU of one host, whose FSDP/DDP collectives
    the training engine adds over the link itself (training.finetune_comm_s), so a multi-GPU discount would
    count them twice; beyond one host the cluster figures (training_mfu), whose inter-node traffic is not
    modelled. `gpus` may be an array."""
    one_host = np.asarray(gpus) <= cat.value("gpus_per_host")
    cluster = training_mfu(cat, gpu, gpus)
    single = cat.value("mfu_single_gpu") * (gpu.mfu_factor or 1.0)
    if np.ndim(one_host) == 0 and np.ndim(cluster) == 0:
        return single if bool(one_host) else cluster
    return np.where(one_host, single, cluster)


def link_kind(gpu: Gpu) -> str:
    """How a GPU's collectives travel: nvlink, pcie_p2p (peer-to-peer over PCIe) or pcie_host (staged
    through host memory: GeForce cards have no PCIe peer-to-peer in NVIDIA's driver, tinygrad
    open-gpu-kernel-modules README; NCCL then logs 'P2P is disabled', TensorRT-LLM issue #2225)."""
    if gpu.interconnect == "nvlink":
        return "nvlink"
    return "pcie_p2p" if gpu.pcie_p2p else "pcie_host"


def link_inputs(cat: Catalog, gpu: Gpu) -> dict[str, Any]:
    """Collective latency and bus bandwidth of a GPU's link (llmcost.engine.collectives: the serving engine's
    all-reduces, fine-tuning's FSDP all-gathers): one direction of the link's bandwidth at the link's efficiency."""
    kind = link_kind(gpu)
    hop = "link_hop_latency_us_nvlink" if kind == "nvlink" else "link_hop_latency_us_pcie"
    return {"link_latency_s": cat.value(f"link_latency_us_{kind}") * 1e-6, "link_hop_latency_s": cat.value(hop) * 1e-6,
            "link_bus_gb_per_s": gpu.link_bandwidth_gb_per_s / 2.0 * cat.value(f"link_efficiency_{kind}")}


def host_link_gb_per_s(gpu: Gpu) -> float:
    """Bidirectional bandwidth between a GPU and its host (CPU offload): the PCIe slot of an NVLink GPU
    (`host_link_gb_per_s`), else the GPU's one link."""
    return gpu.host_link_gb_per_s or gpu.link_bandwidth_gb_per_s


def _per_count(gpus: Any, one: Any, many: Any) -> Any:
    if np.ndim(gpus) == 0 and np.ndim(one) == 0 and np.ndim(many) == 0:
        return one if float(gpus) <= 1 else many
    return np.where(np.asarray(gpus) <= 1, one, many)


def usable_fraction(cat: Catalog, gpu: Gpu, engine: Engine | None = None) -> Any:
    """Share of a GPU's memory serving may use: the engine's own setting when its profile has one (TensorRT-LLM
    preallocates more than vLLM's 0.9), else the assumption usable_memory_fraction (may be an array in Monte
    Carlo); never more than the GPU's own limit when its profile has one (Apple: macOS's GPU working-set limit)."""
    share = engine.usable_memory_fraction if engine is not None and engine.usable_memory_fraction is not None \
        else cat.value("usable_memory_fraction")
    return share if gpu.usable_memory_fraction is None else np.minimum(share, gpu.usable_memory_fraction)


def check_group(gpu: Gpu, gpus: Any) -> None:
    """A GPU with no multi-GPU link (`interconnect: none`, e.g. a Mac) runs alone: one per replica."""
    if gpu.interconnect == "none" and np.any(np.asarray(gpus) > 1):
        raise LlmcostError(f"{gpu.id} has no multi-GPU link (interconnect: none), so llmcost runs it alone: use {gpu.id} "
                           "without a count (compare adds replicas for more load)")


def rentals_for(cat: Catalog, gpu_id: str) -> list[Rental]:
    """Rental offers of a GPU, cheapest first."""
    offers = [r for r in cat.entries["rentals"].values() if r.gpu == gpu_id]
    return sorted(offers, key=lambda r: (r.usd_per_gpu_hour, r.id))


def cheapest_rental(cat: Catalog, gpu_id: str, kinds: Sequence[str] = ("on-demand", "serverless", "spot")) -> Rental | None:
    """Cheapest offer, preferring on-demand, then serverless, then spot (interruptible); looked up once per
    catalog (Catalog.derived)."""
    return cat.derived(_cheapest_rental, gpu_id, tuple(kinds))


def _cheapest_rental(cat: Catalog, gpu_id: str, kinds: tuple[str, ...]) -> Rental | None:
    offers = rentals_for(cat, gpu_id)
    for kind in kinds:
        match = [r for r in offers if r.kind == kind]
        if match:
            return match[0]
    return None


def engine_for(cat: Catalog, engine_id: str, quant: Quantization, gpu: Gpu | None = None) -> Engine:
    """The engine asked for, or for 'auto' the first that runs `quant` (on `gpu`'s maker when given); an
    error if it cannot run them."""
    def able(e: Engine) -> bool:
        return runs(e, quant.id) and (gpu is None or e.runs_on(gpu))

    where = f" on {gpu.vendor} GPUs" if gpu is not None else ""
    if engine_id == "auto":
        for e in cat.entries["engines"].values():
            if able(e):
                found: Engine = e
                return found
        raise LlmcostError(f"no engine runs quantization {quant.id!r}{where}; pick another --quant")
    engine: Engine = cat.get("engines", engine_id)
    if able(engine):
        return engine
    others = ", ".join(e.id for e in cat.entries["engines"].values() if able(e)) or "none"
    if not runs(engine, quant.id):
        raise LlmcostError(f"engine {engine.id!r} does not run {quant.id!r} (it runs {', '.join(engine.quantizations)}); "
                           f"engines that do{where}: {others}")
    assert gpu is not None  # it runs the format, so the GPU's maker is what it lacks
    raise LlmcostError(f"engine {engine.id!r} runs on {', '.join(engine.vendors)} GPUs, not on {gpu.id} ({gpu.vendor}); "
                       f"engines that run {quant.id} there: {others} (or engine auto)")


def runs(engine: Engine, quant_id: str) -> bool:
    """Whether `engine` runs quantization `quant_id` (`*bpw` in its list: any N.Nbpw)."""
    return quant_id in engine.quantizations or ("*bpw" in engine.quantizations and bool(BPW_RE.fullmatch(quant_id)))


def calibration_for(cat: Catalog, gpu_id: str, engine_id: str, quant_id: str) -> Calibration | None:
    """The calibration (`llmcost calibrate`) of this engine and format on this GPU, the last loaded when several."""
    found = [c for c in cat.entries["calibrations"].values() if (c.gpu, c.engine, c.quantization) == (gpu_id, engine_id, quant_id)]
    return found[-1] if found else None


def engine_efficiencies(cat: Catalog, gpu: Gpu, engine: Engine, quant_id: str) -> dict[str, float]:
    """Bandwidth, compute and prefill efficiency of `engine` running `quant_id` on `gpu`: the calibration's
    where one was fitted for them, else the engine's defaults."""
    cal = calibration_for(cat, gpu.id, engine.id, quant_id)
    out = {}
    for name in CALIBRATED_EFFICIENCIES:
        fitted = getattr(cal, name) if cal is not None else None
        out[name] = fitted if fitted is not None else efficiency(getattr(engine, name), quant_id, name, engine.id)
    return out


def efficiency(table: dict[str, float], quant_id: str, what: str, engine_id: str) -> float:
    if quant_id in table:
        return table[quant_id]
    if "default" in table:
        return table["default"]
    raise LlmcostError(f"engine {engine_id!r} has no {what} for {quant_id!r} and no default; add one to its profile")


@dataclass(frozen=True)
class GpuChoice:
    """`count` GPUs of one kind working as one unit (a tensor-parallel replica or a training group)."""

    count: int
    gpu: Gpu

    @property
    def label(self) -> str:
        return f"{self.count}x{self.gpu.id}" if self.count > 1 else self.gpu.id


def gpu_choices(cat: Catalog, specs: Sequence[str], default_count: int | None = None) -> list[GpuChoice]:
    """Parse --gpu values (ID or NxID); a plain ID takes `default_count` GPUs when given."""
    out = []
    for spec in specs:
        count, gid = parse_gpu_option(spec)
        explicit = spec.strip() != gid
        choice = GpuChoice(count if explicit or default_count is None else default_count, cat.get("gpus", gid))
        check_group(choice.gpu, choice.count)
        out.append(choice)
    return out


PIPELINE_CODES = {"none": 0.0, "sequential": 1.0, "overlapped": 2.0}
"""Engine profile `pipeline` -> llmcost.engine.serving PIPELINE_* codes."""


def pipeline_mode(engine: Engine, gpu: Gpu) -> float:
    """The engine's pipeline mode on this GPU's link (PIPELINE_CODES). Engines that overlap micro-batches
    across stages (vLLM, TensorRT-LLM) run tensor parallel within a node whose GPUs have NVLink and use
    pipeline parallelism where they do not (vLLM docs/serving/parallelism_scaling.md: "if the GPUs on the
    node do not have NVLINK interconnect (e.g. L40S), leverage pipeline parallelism instead of tensor
    parallelism"; TensorRT-LLM's perf-overview v1.0 runs TP on H100/B200 and PP on the PCIe-only RTX 6000
    Pro). llama.cpp's layer split is its default on any link."""
    if engine.pipeline == "overlapped" and gpu.interconnect == "nvlink":
        return PIPELINE_CODES["none"]
    return PIPELINE_CODES[engine.pipeline]

SERVE_KEYS = ("matmul_params", "expert_matmul_params", "dense_bytes", "expert_bytes", "embedding_bytes", "experts", "experts_per_token", "layers",
              "d_model", "kv_heads", "attn_flops_per_key", "attn_window_flops_per_key", "window", "attn_decode_factor",
              "kv_bytes_per_token", "kv_window_bytes_per_token", "model_context", "memory_gib", "gpus", "usable_fraction",
              "overhead_gib", "bandwidth_gb_per_s", "decode_tflops", "prefill_tflops", "link_latency_s", "link_hop_latency_s",
              "link_bus_gb_per_s", "bandwidth_efficiency", "compute_efficiency", "prefill_efficiency", "engine_max_concurrency",
              "pipeline", "step_overhead_s", "request_overhead_s", "prefill_batch_tokens", "cached_share", "input_tokens", "output_tokens", "concurrency",
              "max_tpot_s")
"""Keys of the serving engine's input row (llmcost.engine.serving.serve), in one place."""


def serve_inputs(cat: Catalog, model: Model, gpu: Gpu, gpus: Any, quant_id: str, engine_id: str, input_tokens: Any,
                 output_tokens: Any, concurrency: Any, max_tpot_ms: Any, cached_share: Any = 0.0) -> dict[str, Any]:
    """Engine input row for serving `model` on `gpus` x `gpu` (see llmcost.engine.serving.serve). Token counts,
    the GPU count, the latency target, the cached share and assumption values may be arrays (sweeps, Monte
    Carlo). `cached_share` of the prompt skips prefill where the engine caches prefixes."""
    fixed = cat.derived(serve_profile_inputs, model, gpu, quant_id, engine_id)
    tpot = np.inf if max_tpot_ms is None else np.where(np.asarray(max_tpot_ms, dtype=float) > 0,
                                                       np.asarray(max_tpot_ms, dtype=float) / 1000.0, np.inf)
    row = {
        **fixed, "gpus": gpus, "cached_share": cached_share if cat.get("engines", engine_id).prefix_caching else 0.0,
        "input_tokens": input_tokens, "output_tokens": output_tokens, "concurrency": concurrency, "max_tpot_s": tpot,
    }
    return {k: row[k] for k in SERVE_KEYS}


def serve_profile_inputs(cat: Catalog, model: Model, gpu: Gpu, quant_id: str, engine_id: str) -> dict[str, Any]:
    """The part of a serving input row (serve_inputs) that the profiles alone decide: model shape and weights in
    the format, the GPU, the engine and the assumptions. Made once per catalog (Catalog.derived) by serve_inputs."""
    quant = cat.get("quantizations", quant_id)
    engine = cat.get("engines", engine_id)
    shape = model_shape(model)
    rate_peak = tensor_tflops(gpu, engine.matmul_rate or quant.tensor_rate, engine.accumulate)
    kv_bytes = engine.kv_cache_bytes.get(quant.id, engine.kv_cache_bytes.get("default", cat.value("kv_cache_bytes")))
    return {
        **shape, **weight_bytes(shape, quant), **link_inputs(cat, gpu),
        "kv_bytes_per_token": memory.kv_bytes_per_token(shape["full_layers"], shape["kv_elements_per_layer"], kv_bytes),
        "kv_window_bytes_per_token": memory.kv_bytes_per_token(shape["sliding_layers"], shape["kv_elements_per_layer"], kv_bytes),
        "memory_gib": gpu.memory_gib,
        "usable_fraction": usable_fraction(cat, gpu, engine), "overhead_gib": cat.value("runtime_overhead_gib"),
        "bandwidth_gb_per_s": gpu.memory_bandwidth_gb_per_s,
        "decode_tflops": rate_peak, "prefill_tflops": rate_peak,
        **engine_efficiencies(cat, gpu, engine, quant.id),
        "engine_max_concurrency": float(engine.max_concurrency),
        "pipeline": pipeline_mode(engine, gpu),
        "step_overhead_s": engine.step_overhead_ms / 1000.0, "request_overhead_s": engine.request_overhead_ms / 1000.0,
        "prefill_batch_tokens": float(engine.prefill_batch_tokens or 0),
        "model_context": shape["context"],
    }


def run_cost_inputs(cat: Catalog, gpu: Gpu, gpus: Any, used: bool, rate: float | None,
                    eco: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Energy and money inputs of a training run (llmcost.engine.training.run_costs): the hosts, site and
    upkeep of `llmcost.hosting` (the same boxes every command uses), the scenario's economics when given."""
    if eco is None and np.ndim(gpus) == 0:
        x = default_run_costs(cat, gpu, gpus, used)
    else:
        x = hosting.run_costs_inputs(cat, eco if eco is not None else hosting.economics(cat, None), gpu, gpus, used)
    return {"gpus": gpus, "power_w": gpu.power_w, "rental_usd_per_gpu_hour": rate or 0.0,
            **{k: x[k] for k in ("pue", "host_power_w_per_gpu", "electricity_usd_per_kwh", "capex_usd_per_gpu", "resale_fraction",
                                 "lifetime_months", "upkeep_usd_per_gpu_month", "host_memory_gb_per_s_per_gpu")}}


def default_run_costs(cat: Catalog, gpu: Gpu, gpus: float, used: bool) -> dict[str, Any]:
    """hosting.run_costs_inputs of `gpus` (a number) x `gpu` without a scenario (the economics of the assumptions),
    made once per catalog (Catalog.derived); callers read it and never change it."""
    return cat.derived(_default_run_costs, gpu, float(gpus), used)


def _default_run_costs(cat: Catalog, gpu: Gpu, gpus: float, used: bool) -> dict[str, Any]:
    return hosting.run_costs_inputs(cat, hosting.economics(cat, None), gpu, gpus, used)


def pretrain_inputs(cat: Catalog, model: Model, gpu: Gpu, gpus: Any, tokens: Any, seq_len: float | None = None,
                    mfu: Any = None, rate: float | None = None, used: bool = False,
                    eco: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Engine inputs of pre-training `model` on `gpus` x `gpu` (llmcost.engine.training.pretrain)."""
    t = float(seq_len or min(model.context, cat.value("pretrain_seq_len_max")))
    return {**shape_of(cat, model), **run_cost_inputs(cat, gpu, gpus, used, rate, eco), "seq_len": t, "tokens": tokens,
            "tflops": gpu.tflops_bf16, "mfu": mfu if mfu is not None else training_mfu(cat, gpu, gpus),
            "memory_gib": gpu.memory_gib, "state_bytes_per_param": cat.value("optimizer_bytes_per_param"),
            "act_bytes_per_token_hidden": cat.value("activation_bytes_per_token_hidden"),
            "ckpt_bytes_per_token_hidden": cat.value("checkpoint_bytes_per_token_hidden"),
            "tp_group": cat.value("gpus_per_host"), "overhead_gib": cat.value("training_overhead_gib")}


LORA_TARGET_CODES = {name: i for i, name in enumerate(memory.LORA_TARGETS)}
FINETUNE_METHODS = ("full", "lora", "qlora")
OPTIMIZERS = {"adamw": "adamw_state_bytes_per_param", "adamw8bit": "adamw8bit_state_bytes_per_param",
              "paged-adamw8bit": "adamw8bit_state_bytes_per_param"}
"""--optimizer choices and the assumption that holds their state bytes per parameter."""
LOSSES = {"full": "loss_bytes_per_logit_full", "chunked": "loss_bytes_per_logit_chunked", "fused": "loss_bytes_per_logit_fused"}
"""--loss choices (how the trainer computes the cross-entropy over the vocabulary), from the most memory to the
least, and the assumption that holds their memory per logit: full (Hugging Face transformers: FP32 logits for
every token), chunked (torchtune: FP32 one chunk at a time; the default, as llmcost's batch and sequence defaults
follow torchtune's recipes), fused (Liger, Unsloth, Cut Cross-Entropy: the logits never held whole)."""


@dataclass(frozen=True)
class Recipe:
    """How a fine-tune is run, beyond method and shape: sharding (None = on with several GPUs), CPU
    offload, optimizer, optimizer step in the backward pass, activation checkpointing (None = auto), and
    how the loss over the vocabulary is computed (LOSSES)."""

    shard: bool | None = None
    offload: bool = False
    optimizer: str = "adamw"
    optimizer_in_backward: bool = False
    checkpointing: bool | None = None
    loss: str = "chunked"


def finetune_inputs(cat: Catalog, model: Model, gpu: Gpu, gpus: Any, method: str, *, rank: int | None = None,
                    targets: str = "all", batch: int | None = None, seq_len: float | None = None,
                    checkpointing: bool | None = None, tokens: Any = None, epochs: Any = None, mfu: Any = None,
                    rate: float | None = None, used: bool = False, recipe: Recipe | None = None,
                    eco: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Engine inputs of fine-tuning `model` (full, lora, qlora) on `gpus` x `gpu` (llmcost.engine.training.finetune);
    what is not given comes from the assumptions. `checkpointing` overrides the recipe's."""
    if method not in FINETUNE_METHODS:
        raise LlmcostError(f"--method {method!r}: use {', '.join(FINETUNE_METHODS)}")
    if targets not in LORA_TARGET_CODES:
        raise LlmcostError(f"--targets {targets!r}: use {', '.join(LORA_TARGET_CODES)}")
    r = recipe or Recipe()
    if r.optimizer not in OPTIMIZERS:
        raise LlmcostError(f"--optimizer {r.optimizer!r}: use {', '.join(OPTIMIZERS)}")
    if r.loss not in LOSSES:
        raise LlmcostError(f"--loss {r.loss!r}: use {', '.join(LOSSES)}")
    profile = finetune_profile_inputs(cat, model, gpu, gpus, used, eco)
    ckpt = checkpointing if checkpointing is not None else r.checkpointing
    return {**profile, "rental_usd_per_gpu_hour": rate or 0.0,
            "method_full": method == "full", "trainable_params": trainable_params(cat, model, method, rank, targets),
            "base_bits_per_weight": cat.get("quantizations", "nf4").bits_per_weight if method == "qlora"
            else 8.0 * profile["weight_bytes_per_param"],
            "dequant_overhead": cat.value("qlora_compute_overhead") if method == "qlora" else 1.0,
            "seq_len": float(seq_len or cat.value("finetune_seq_len")), "batch": float(batch or cat.value("finetune_batch")),
            "checkpointing": checkpoint_mode(ckpt, method),
            "tokens": (tokens if tokens is not None else cat.value("finetune_dataset_tokens"))
            * (epochs if epochs is not None else cat.value("finetune_epochs")),
            **({"mfu": mfu} if mfu is not None else {}),
            "optimizer_state_bytes_per_param": cat.value(OPTIMIZERS[r.optimizer]),
            "paged_states": r.optimizer.startswith("paged"), "optimizer_in_backward": r.optimizer_in_backward,
            **({"shard": r.shard} if r.shard is not None else {}), "offload": r.offload,
            "bytes_per_logit": cat.value(LOSSES[r.loss])}


def finetune_profile_inputs(cat: Catalog, model: Model, gpu: Gpu, gpus: Any, used: bool = False,
                            eco: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The part of finetune_inputs that the profiles and the GPU count alone decide (model shape, run costs
    without the rental rate, link, default MFU and sharding, memory assumptions); made once per catalog
    (Catalog.derived) for a GPU count without a scenario's economics. Callers read it and never change it."""
    if eco is None and np.ndim(gpus) == 0:
        return cat.derived(_finetune_profile_inputs, model, gpu, float(gpus), used)
    return _finetune_profile_inputs(cat, model, gpu, gpus, used, eco)


def _finetune_profile_inputs(cat: Catalog, model: Model, gpu: Gpu, gpus: Any, used: bool,
                             eco: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {**shape_of(cat, model), **run_cost_inputs(cat, gpu, gpus, used, None, eco), **link_inputs(cat, gpu),
            "tflops": gpu.tflops_bf16, "mfu": finetune_mfu(cat, gpu, gpus),
            "memory_gib": gpu.memory_gib, "weight_bytes_per_param": cat.get("quantizations", "bf16").bits_per_weight / 8.0,
            "trainable_bytes_per_param": cat.value("trainable_bytes_per_param"), "shard": np.asarray(gpus) > 1,
            "offload_gb_per_s": host_link_gb_per_s(gpu) / 2.0 * cat.value("offload_pcie_efficiency"),
            "host_memory_efficiency": cat.value("host_memory_efficiency"),
            "act_bytes_per_token_hidden": cat.value("activation_bytes_per_token_hidden"),
            "ckpt_bytes_per_token_hidden": cat.value("checkpoint_bytes_per_token_hidden"),
            "overhead_gib": cat.value("training_overhead_gib")}


def trainable_params(cat: Catalog, model: Model, method: str, rank: int | None, targets: str) -> float:
    """Parameters a fine-tune trains: all of them (full), or the LoRA adapters' r (d_in + d_out) per matrix;
    counted once per catalog (Catalog.derived)."""
    return cat.derived(_trainable_params, model, method, rank, targets)


def _trainable_params(cat: Catalog, model: Model, method: str, rank: int | None, targets: str) -> float:
    shape = shape_of(cat, model)
    if method == "full":
        return shape["params"]
    r = rank or int(cat.value("lora_rank"))
    return float(memory.lora_trainable_params(r, shape["layers"], shape["d_model"], shape["heads"], shape["kv_heads"],
                                              shape["head_dim"], shape["ffn_dim"], shape["ffn_gated"], max(shape["experts"], 1.0),
                                              LORA_TARGET_CODES[targets]))


def checkpoint_mode(checkpointing: bool | None, method: str) -> float:
    """1 on, 0 off, -1 auto. QLoRA defaults to on, as in its recipe (Dettmers et al. 2023 sec. 4 train with
    gradient checkpointing): whoever picks QLoRA is short of memory."""
    if checkpointing is None:
        return 1.0 if method == "qlora" else -1.0
    return float(checkpointing)


FLOAT_TYPES = frozenset({float, np.float64})
"""Values stack() puts into one float matrix (other scalars, such as flags, get an array of their own)."""


def stack(rows: Sequence[Mapping[str, Any]], n: int = 1) -> dict[str, np.ndarray]:
    """Per-option input dicts whose values are scalars or arrays of `n` -> dict of 1-D arrays of
    len(rows) x n (option-major: the rows of the first option, then the second's, ...)."""
    keys = list(rows[0])
    if n == 1 and len(rows) == 1 and set(map(type, rows[0].values())) <= FLOAT_TYPES:  # one configuration of numbers
        return dict(zip(keys, np.array(list(rows[0].values()), dtype=float)[:, None], strict=True))
    table = [[r[k] for k in keys] for r in rows]
    if n == 1 and not _has_vectors(table):
        floats = [i for i, v in enumerate(table[0]) if type(v) in FLOAT_TYPES]
        block = [[row[i] for i in floats] for row in table]
        out = {}
        if set(map(type, chain.from_iterable(block))) <= FLOAT_TYPES:  # one matrix, a row per key
            out = dict(zip([keys[i] for i in floats], np.array(block, dtype=float).T.copy(), strict=True))
        return {k: out[k] if k in out else np.array([row[i] for row in table]) for i, k in enumerate(keys)}
    return {k: np.concatenate([np.broadcast_to(np.asarray(r[k], dtype=float if k != "serverless" else bool), (n,)) for r in rows])
            for k in keys}


def _has_vectors(table: Sequence[Sequence[Any]]) -> bool:
    """Whether any value is an array of one or more dimensions (0-d arrays are scalars)."""
    if not any(issubclass(t, np.ndarray) for t in set(map(type, chain.from_iterable(table)))):
        return False
    return any(isinstance(v, np.ndarray) and v.ndim for row in table for v in row)
