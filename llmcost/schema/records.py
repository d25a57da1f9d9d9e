"""The record types: one frozen dataclass per profile kind and per part of a scenario."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmcost.schema.fields import (
    ANY_NUMBER,
    Spec,
    choice,
    date,
    field_of,
    flag,
    ident,
    integer,
    num_map,
    number,
    record,
    records,
    ref,
    refs,
    sources,
    text,
)
from llmcost.schema.quantities import (
    ASSUMPTIONS,
    BANDWIDTH_GB_PER_S,
    BATCH_TOKENS,
    BITS_PER_WEIGHT,
    BOARD_POWER_W,
    COLOCATION_USD_PER_KW_MONTH,
    CONCURRENCY,
    CONTEXT_TOKENS,
    COST_USD,
    DATASET_TOKENS,
    DISCOUNT,
    DISCOUNT_RATE,
    EFFICIENCY,
    ELECTRICITY_USD_PER_KWH,
    ENERGY_MWH,
    EPOCHS,
    EVERY_MONTHS,
    EXPERT_PARAMS_B,
    EXPERTS,
    GPU_COUNT,
    GPU_HOURS,
    GPU_PRICE_USD,
    GPUS_PER_HOST,
    GPUS_PER_INSTANCE,
    HEAD_DIM,
    HEADS,
    HIDDEN,
    HORIZON_MONTHS,
    HOST_POWER_W,
    HOST_USD,
    IDLE_POWER_W,
    KV_BYTES,
    KV_ELEMENTS,
    LAYERS,
    LIFETIME_MONTHS,
    LINK_GB_PER_S,
    LORA_RANK,
    MEASURED,
    MEMORY_GIB,
    MFU,
    MONTHLY_GROWTH,
    OPS_HOURS_PER_MONTH,
    OPS_USD_PER_MONTH,
    OVERHEAD_MS,
    PARAMS_B,
    PEAK_TO_AVERAGE,
    PRETRAIN_TOKENS,
    PRICE_DECLINE,
    PSU_W,
    PUE,
    QUALITY_POINTS,
    RACK_UNITS,
    REQUESTS_PER_DAY,
    RESALE,
    SERVERLESS_SECONDS,
    SHARE,
    STAFF_USD_PER_HOUR,
    TENSOR_TFLOPS,
    TOKENS_B,
    TOKENS_PER_REQUEST,
    TPOT_MS,
    TRAIN_USD_PER_MTOK,
    TRAINING_FLOPS,
    USABLE_MEMORY,
    USD_PER_GPU_HOUR,
    USD_PER_MTOK,
    VOCAB,
    WALL_DAYS,
    WINDOW_HOURS,
    WORKERS,
    Bounds,
)
from llmcost.schema.ranges import Uncertain

GPU_VENDORS = ("nvidia", "amd", "apple", "intel")
"""GPU makers: a GPU's `vendor`, and the makers an engine runs on."""

INTERCONNECTS = ("pcie", "nvlink", "none")
"""Multi-GPU links; `none` = the device works alone (an Apple SoC: no tensor parallelism across machines)."""


@dataclass(frozen=True)
class Gpu:
    """A GPU: memory, bandwidth, dense tensor peaks, power and price."""

    id: str = ident()
    name: str = text("human name")
    vendor: str = choice("maker", GPU_VENDORS)
    gpu_class: str = choice("market class", ("consumer", "workstation", "datacenter"), key="class")
    memory_gib: float = number("memory, GiB (a '24 GB' card is 24)", MEMORY_GIB)
    memory_bandwidth_gb_per_s: float = number("memory bandwidth, decimal GB/s", BANDWIDTH_GB_PER_S)
    tflops_bf16: float = number("dense BF16 tensor TFLOPS with FP32 accumulate", TENSOR_TFLOPS)
    tflops_fp16_acc16: float = number("dense FP16 tensor TFLOPS with FP16 accumulate (GeForce: 2x tflops_bf16)", TENSOR_TFLOPS)
    power_w: float = number("board power, W", BOARD_POWER_W)
    idle_power_w: float = number("idle power, W", IDLE_POWER_W)
    price_usd: float = number("new price per GPU, USD (street price where one is sourced, else launch MSRP; estimate for datacenter)",
                              GPU_PRICE_USD)
    price_as_of: str = date("when price_usd was published or checked")
    interconnect: str = choice("multi-GPU link (none: works alone, one per replica)", INTERCONNECTS)
    link_bandwidth_gb_per_s: float = number("bidirectional link bandwidth per GPU, GB/s", LINK_GB_PER_S)
    pcie_p2p: bool = flag("GPUs talk peer-to-peer over PCIe with the stock driver (GeForce cards do not: collectives go "
                          "through host memory)", default=True)
    host_link_gb_per_s: float | None = number("bidirectional link to the host CPU per GPU, GB/s, where it is not "
                                              "link_bandwidth_gb_per_s (NVLink GPUs reach the host over their PCIe slot)",
                                              LINK_GB_PER_S, required=False)
    tflops_fp8: float | None = number("dense FP8 tensor TFLOPS", TENSOR_TFLOPS, required=False)
    tops_int8: float | None = number("dense INT8 tensor TOPS", TENSOR_TFLOPS, required=False)
    used_price_usd: float | None = number("used-market price, USD", GPU_PRICE_USD, required=False)
    used_price_as_of: str | None = date("when used_price_usd was checked", required=False)
    release_date: str | None = date("release date", required=False)
    usable_memory_fraction: float | None = number("share of memory_gib serving may use, instead of the assumption "
                                                  "usable_memory_fraction (Apple: macOS's GPU working-set limit)", USABLE_MEMORY,
                                                  required=False)
    mfu_factor: float | None = number("training MFU on this GPU relative to the mfu_* assumptions (set on A100-era runs): a GPU "
                                      "whose FLOPs grew faster than its memory and links trains at a smaller share of its peak",
                                      EFFICIENCY, required=False)
    integrated_host: bool = flag("price_usd and the power figures are the whole machine's (a Mac): no host is added", default=False)
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False, multiline=True)

    def problems(self) -> list[tuple[str, str]]:
        """Checks across fields: (key, message) pairs."""
        if self.idle_power_w > self.power_w:
            return [("idle_power_w", f"idle power {self.idle_power_w:g} W is above the board power {self.power_w:g} W; "
                                     "both are watts (W)")]
        return []


@dataclass(frozen=True)
class Host:
    """The machine around the GPUs: price and power without them, power supply and slots."""

    id: str = ident()
    name: str = text("human name")
    form_factor: str = choice("desktop or workstation (desk-side), or rack (a datacenter server whose slots replicas share)",
                              ("desktop", "workstation", "rack"))
    gpu_form: str = choice("cards it takes: pcie (add-in cards) or sxm (modules on a baseboard: SXM, OAM)", ("pcie", "sxm"))
    max_gpus: int = integer("GPU slots", GPUS_PER_HOST)
    psu_w: float = number("power-supply output without the redundant units, W", PSU_W)
    idle_power_w: float = number("draw without the GPUs while they idle, W", HOST_POWER_W)
    busy_power_w: float = number("draw without the GPUs while they work, W (used for the power-supply check too)", HOST_POWER_W)
    price_usd: float = number("price without GPUs, USD", HOST_USD)
    price_as_of: str = date("when price_usd was published or checked")
    rack_units: int | None = integer("height in rack units", RACK_UNITS, required=False)
    memory_bandwidth_gb_per_s: float | None = number("CPU memory bandwidth, all channels and sockets (channels x MT/s x 8 "
                                                     "bytes), decimal GB/s: an optimizer stepped on the CPU (offload) reads and "
                                                     "writes its states at it; absent: that step is not costed",
                                                     BANDWIDTH_GB_PER_S, required=False)
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False)

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if self.busy_power_w < self.idle_power_w:
            out.append(("busy_power_w", f"{self.busy_power_w:g} W is below idle_power_w {self.idle_power_w:g} W"))
        if self.busy_power_w >= self.psu_w:
            out.append(("psu_w", f"{self.psu_w:g} W does not carry the host's own {self.busy_power_w:g} W"))
        return out


@dataclass(frozen=True)
class Reported:
    """Published figures for a model: shown beside estimates, never used to compute them."""

    training_flops: float | None = number("total training FLOPs", TRAINING_FLOPS, required=False)
    gpu_hours: float | None = number("GPU-hours of the run", GPU_HOURS, required=False)
    gpu: str | None = ref("GPU used (gpu id)", "gpus", required=False)
    hardware: str | None = text("hardware in words", required=False)
    gpus: int | None = integer("number of accelerators", GPU_COUNT, required=False)
    wall_days: float | None = number("wall-clock days", WALL_DAYS, required=False)
    energy_mwh: float | None = number("energy, MWh", ENERGY_MWH, required=False)
    mfu: float | None = number("model FLOPs utilisation, fraction", MFU, required=False)
    tokens_b: float | None = number("training tokens of the run, billions", TOKENS_B, required=False)
    cost_usd: float | None = number("reported cost, USD", COST_USD, required=False)
    setting: str | None = text("what the run was", required=False)
    sources: dict[str, str] = sources()


BENCHMARKS = ("MMLU-Pro", "MMLU")
"""Benchmarks a quality score may name, headline first (llmcost.quality says why these two)."""


@dataclass(frozen=True)
class QualityScore:
    """One published benchmark score of a model or an API (issue #12): the number with its source and date,
    or no number and the reason why none is recorded (never a guess)."""

    benchmark: str = choice("benchmark", BENCHMARKS)
    score: float | None = number("score, percent correct", QUALITY_POINTS, required=False)
    as_of: str | None = date("when the source published it", required=False)
    setting: str | None = text("how it was run (shots, chain of thought, metric) as the source says", required=False)
    variant: str | None = text("the checkpoint or mode the number belongs to", required=False)
    evaluator: str | None = text("who ran the evaluation", required=False)
    reasoning: bool = flag("measured with hidden reasoning (thinking mode): more output tokens than a plain answer",
                           default=False)
    source: str | None = text("where the number comes from (paper and table, model card, URL)", required=False)
    doubtful: str | None = text("a known caveat of this number", required=False)
    note: str | None = text("a remark that is not a doubt (e.g. near the chance level)", required=False)
    reason: str | None = text("why there is no score (required without one)", required=False)

    def problems(self) -> list[tuple[str, str]]:
        """A score needs its source and date; no score needs a reason."""
        if self.score is None:
            return [] if self.reason else [("reason", "missing: say why there is no score (a score is never guessed)")]
        out = [(k, f"missing: a score needs its {k}") for k in ("source", "as_of") if getattr(self, k) is None]
        return out + ([("reason", "given with a score; use doubtful for a caveat")] if self.reason else [])


@dataclass(frozen=True)
class Model:
    """A model's shape, from which parameters, FLOPs and memory are derived."""

    id: str = ident()
    name: str = text("human name")
    params_b: float = number("total parameters, billions", PARAMS_B)
    layers: int = integer("transformer layers", LAYERS)
    d_model: int = integer("hidden size", HIDDEN)
    heads: int = integer("attention heads", HEADS)
    kv_heads: int = integer("key/value heads (= heads for MHA, 1 for MQA)", HEADS)
    ffn_dim: int = integer("MLP hidden size (per expert for MoE)", HIDDEN)
    vocab: int = integer("vocabulary size", VOCAB)
    context: int = integer("maximum context, tokens", CONTEXT_TOKENS)
    ffn_gated: bool = flag("MLP has gate, up and down matrices (SwiGLU/GeGLU)")
    license: str = text("licence")
    open_weights: bool = flag("weights are downloadable")
    release_date: str = date("first public release")
    family: str | None = text("model family", required=False)
    head_dim: int | None = integer("head size when not d_model/heads", HEAD_DIM, required=False)
    tied_embeddings: bool = flag("input and output embeddings shared", default=False)
    experts: int | None = integer("routed experts (MoE)", EXPERTS, required=False)
    experts_per_token: int | None = integer("experts each token uses (MoE)", EXPERTS, required=False)
    expert_params_b: float | None = number("parameters of one routed expert over all layers, billions", EXPERT_PARAMS_B, required=False)
    kv_elements_per_token_per_layer: int | None = integer("cached elements per token and layer when not 2 kv_heads head_dim (MLA)", KV_ELEMENTS, required=False)
    kv_lora_rank: int | None = integer("latent attention (MLA): compressed KV dimension (config.json kv_lora_rank)", HIDDEN,
                                       required=False)
    qk_rope_head_dim: int | None = integer("latent attention (MLA): decoupled RoPE key dimension per head", HEAD_DIM, required=False)
    v_head_dim: int | None = integer("value dimension per head when not head_dim (MLA)", HEAD_DIM, required=False)
    sliding_window: int | None = integer("tokens a sliding-window attention layer attends to", CONTEXT_TOKENS, required=False)
    sliding_layers: int | None = integer("layers with sliding-window attention (the rest attend to the whole context)",
                                         LAYERS, required=False)
    pretrain_tokens_b: float | None = number("pre-training tokens, billions", TOKENS_B, required=False)
    base_model: str | None = ref("model this one was fine-tuned from", "models", required=False)
    reported: Reported | None = record("published figures (shown, never used)", Reported)
    quality: tuple[QualityScore, ...] = records("published benchmark scores, headline benchmark first", QualityScore)
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False, multiline=True)

    def problems(self) -> list[tuple[str, str]]:
        """Checks across fields: (key, message) pairs."""
        out = []
        if self.kv_heads > self.heads:
            out.append(("kv_heads", f"{self.kv_heads} key/value heads is more than the {self.heads} attention heads"))
        if self.experts is not None and self.experts_per_token is not None and self.experts_per_token > self.experts:
            out.append(("experts_per_token", f"{self.experts_per_token} experts per token is more than the {self.experts} experts"))
        return out


@dataclass(frozen=True)
class ContextTier:
    """Prices that apply to a whole request whose prompt is longer than `above_tokens`."""

    above_tokens: int = integer("prompt length above which these prices apply", CONTEXT_TOKENS)
    input_usd_per_mtok: float = number("input price, USD per 1M tokens", USD_PER_MTOK)
    output_usd_per_mtok: float = number("output price, USD per 1M tokens", USD_PER_MTOK)
    cached_input_usd_per_mtok: float | None = number("cached-input price, USD per 1M tokens", USD_PER_MTOK, required=False)


@dataclass(frozen=True)
class Api:
    """A per-token API offer."""

    id: str = ident("provider/model")
    name: str = text("human name")
    provider: str = text("provider")
    input_usd_per_mtok: float = number("input price, USD per 1M tokens", USD_PER_MTOK)
    output_usd_per_mtok: float = number("output price, USD per 1M tokens", USD_PER_MTOK)
    as_of: str = date("when the prices were published or checked")
    cached_input_usd_per_mtok: float | None = number("cached-input read price, USD per 1M tokens", USD_PER_MTOK, required=False)
    batch_discount: float | None = number("fraction off with the batch API", DISCOUNT, required=False)
    context: int | None = integer("context window, tokens", CONTEXT_TOKENS, required=False)
    context_tiers: tuple[ContextTier, ...] = records("long-context price tiers", ContextTier)
    finetune_train_usd_per_mtok: float | None = number("fine-tuning price, USD per 1M trained tokens", TRAIN_USD_PER_MTOK, required=False)
    finetuned_input_usd_per_mtok: float | None = number("fine-tuned model input price", USD_PER_MTOK, required=False)
    finetuned_output_usd_per_mtok: float | None = number("fine-tuned model output price", USD_PER_MTOK, required=False)
    serves_model: str | None = ref("open model this API hosts (model id)", "models", required=False)
    quality: tuple[QualityScore, ...] = records("published benchmark scores (absent: the served model's when "
                                                "serves_model is set)", QualityScore)
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False, multiline=True)


@dataclass(frozen=True)
class Rental:
    """A cloud GPU offer."""

    id: str = ident("provider/offer")
    name: str = text("human name")
    provider: str = text("provider")
    gpu: str = ref("GPU (gpu id)", "gpus")
    gpus_per_instance: int = integer("GPUs per instance", GPUS_PER_INSTANCE)
    usd_per_gpu_hour: float = number("price per GPU-hour, USD", USD_PER_GPU_HOUR)
    kind: str = choice("billing", ("on-demand", "spot", "serverless"))
    as_of: str = date("when the price was published or checked")
    idle_timeout_s: float | None = number("serverless: seconds a worker stays billed after its last request", SERVERLESS_SECONDS,
                                          required=False)
    cold_start_s: float | None = number("serverless: seconds to start a worker before the model's weights load",
                                        SERVERLESS_SECONDS, required=False)
    min_workers: int = integer("serverless: always-on (active) workers, billed around the clock", WORKERS, default=0)
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False, multiline=True)

    def problems(self) -> list[tuple[str, str]]:
        serverless = self.kind == "serverless"
        out = []
        for key in ("idle_timeout_s", "cold_start_s"):
            given = getattr(self, key) is not None
            if serverless and not given:
                out.append((key, f"missing: a serverless offer needs {key} (with its source) to be billed as the provider bills"))
            elif given and not serverless:
                out.append((key, "only serverless offers take it"))
        if self.min_workers and not serverless:
            out.append(("min_workers", "only serverless offers take it"))
        return out


@dataclass(frozen=True)
class Quantization:
    """A weight format: bits per weight including scales, and the tensor-core rate its GEMMs use."""

    id: str = ident()
    name: str = text("human name")
    bits_per_weight: float = number("bits per weight including scales and zero points", BITS_PER_WEIGHT)
    tensor_rate: str = choice("tensor-core rate its matrix multiplies run at", ("bf16", "fp16", "fp8", "int8"))
    embedding_bits: float | None = number("bits per weight of the input embedding (default: bits_per_weight)", BITS_PER_WEIGHT,
                                          required=False)
    head_bits: float | None = number("bits per weight of the output head (default: bits_per_weight)", BITS_PER_WEIGHT, required=False)
    non_expert_bits: float | None = number("bits per weight of an MoE model's linear weights outside the routed experts "
                                           "(default: bits_per_weight)", BITS_PER_WEIGHT, required=False)
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False, multiline=True)


@dataclass(frozen=True)
class Engine:
    """A serving engine: what it runs and how close to the hardware roofs it gets."""

    id: str = ident()
    name: str = text("human name")
    quantizations: tuple[str, ...] = refs("quantizations it runs (`*bpw` = any N.Nbpw)", "quantizations", required=True)
    accumulate: str = choice("accumulate precision of its FP16 GEMMs", ("fp16", "fp32"))
    max_concurrency: int = integer("most sequences it batches", CONCURRENCY)
    bandwidth_efficiency: dict[str, float] = num_map("fraction of memory bandwidth reached in decode, by quantization (`default`)", EFFICIENCY)
    compute_efficiency: dict[str, float] = num_map("fraction of tensor peak reached in batched decode, by quantization", EFFICIENCY)
    prefill_efficiency: dict[str, float] = num_map("fraction of tensor peak reached in prefill, by quantization", EFFICIENCY)
    vendors: tuple[str, ...] = refs(f"GPU makers it runs on ({', '.join(GPU_VENDORS)}); absent: any", "vendors")
    matmul_rate: str | None = choice("tensor rate its matrix multiplies run at whatever the weight format (it dequantizes "
                                     "to this); absent: the quantization's tensor_rate", ("bf16", "fp16", "fp8", "int8"),
                                     required=False)
    kv_cache_bytes: dict[str, float] = num_map("bytes per cached KV element by quantization (`default`; absent: the kv_cache_bytes "
                                               "assumption)", KV_BYTES)
    step_overhead_ms: float = number("fixed time per forward pass beyond the roofline (launches, scheduling, sampling), ms",
                                     OVERHEAD_MS, default=0.0)
    request_overhead_ms: float = number("fixed time per request before its prefill (API server, tokeniser, scheduling), ms",
                                        OVERHEAD_MS, default=0.0)
    prefill_batch_tokens: int | None = integer("prompt tokens one forward pass carries across requests (chunked prefill "
                                               "token budget); absent: one request's prompt at a time", BATCH_TOKENS,
                                               required=False)
    pipeline: str = choice("pipeline-parallel mode across GPUs: none, sequential (stages run one after another on the "
                           "batch, llama.cpp layer split) or overlapped (micro-batches in flight)",
                           ("none", "sequential", "overlapped"), default="none")
    prefix_caching: bool = flag("reuses the KV cache of a shared prompt prefix across requests", default=False)
    usable_memory_fraction: float | None = number("share of GPU memory it takes for weights and KV cache "
                                                  "(default: the usable_memory_fraction assumption)", USABLE_MEMORY, required=False)
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False, multiline=True)

    def problems(self) -> list[tuple[str, str]]:
        """Checks across fields: (key, message) pairs."""
        bad = [v for v in self.vendors if v not in GPU_VENDORS]
        return [("vendors", f"unknown maker {v!r}; expected {', '.join(GPU_VENDORS)}") for v in bad]

    def runs_on(self, gpu: Gpu) -> bool:
        """Whether this engine runs on `gpu`'s maker (an engine that names none runs on any)."""
        return not self.vendors or gpu.vendor in self.vendors


CALIBRATED_QUANTITIES = ("prefill_tokens_per_s", "decode_tokens_per_s", "output_tokens_per_s", "ttft_s", "tpot_s")
"""Serve outputs a measured run can be fitted to (the names of `llmcost serve`'s columns)."""

CALIBRATED_EFFICIENCIES = ("bandwidth_efficiency", "compute_efficiency", "prefill_efficiency")


@dataclass(frozen=True)
class MeasuredRun:
    """One measured figure a calibration was fitted to, at the shape it was measured."""

    source: str = text("result file and entry, e.g. bench.json[2]")
    model: str = ref("model run (model id)", "models")
    quantity: str = choice("what was measured (a serve column)", CALIBRATED_QUANTITIES)
    measured: float = number("the measured value, in the column's unit", MEASURED)
    input_tokens: float = number("prompt tokens per request", TOKENS_PER_REQUEST)
    output_tokens: float = number("generated tokens per request", TOKENS_PER_REQUEST)
    concurrency: int = integer("sequences run together", CONCURRENCY)


@dataclass(frozen=True)
class Calibration:
    """Efficiencies of one engine and weight format on one GPU, fitted to measured runs (`llmcost calibrate`).
    `serve`, `compare` and sweeps use them instead of the engine's defaults for that GPU."""

    id: str = ident()
    gpu: str = ref("GPU the runs were made on (gpu id)", "gpus")
    engine: str = ref("engine that ran them (engine id)", "engines")
    quantization: str = text("weight format run (quantization id)")
    as_of: str = date("when the runs were made")
    bandwidth_efficiency: float | None = number("fitted fraction of memory bandwidth reached in decode", EFFICIENCY, required=False)
    compute_efficiency: float | None = number("fitted fraction of tensor peak reached in batched decode", EFFICIENCY, required=False)
    prefill_efficiency: float | None = number("fitted fraction of tensor peak reached in prefill", EFFICIENCY, required=False)
    runs: tuple[MeasuredRun, ...] = records("the measured figures fitted", MeasuredRun)
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False)

    def problems(self) -> list[tuple[str, str]]:
        """Checks across fields: (key, message) pairs."""
        if all(getattr(self, k) is None for k in CALIBRATED_EFFICIENCIES):
            return [("bandwidth_efficiency", f"a calibration needs at least one of {', '.join(CALIBRATED_EFFICIENCIES)}")]
        return []


@dataclass(frozen=True)
class Assumption:
    """One default the engine uses, with why and where from."""

    value: float = number("the value", ANY_NUMBER)
    rationale: str = text("why this value", multiline=True)
    source: str = text("where it comes from")
    unit: str | None = text("unit", required=False)
    range: Uncertain | None = field_of(Spec("range", "plausible range for Monte Carlo and sensitivity: {low, mode, high}, "
                                       "{low, high}, {mean, sd} or {p10, p90}; its mode (median) must equal value",
                                       False))
    range_rationale: str | None = text("why this range (required with range)", required=False, multiline=True)

    def problems(self) -> list[tuple[str, str]]:
        """Checks across fields: (key, message) pairs."""
        out = []
        if self.range is not None:
            if float(self.range) != float(self.value):
                out.append(("range", f"the range's {'mode' if self.range.dist == 'triangular' else 'median'} "
                                     f"{float(self.range):g} must equal value {float(self.value):g}, so point estimates use value"))
            if not self.range_rationale:
                out.append(("range_rationale", "missing: say why the range is what it is"))
        elif self.range_rationale is not None:
            out.append(("range_rationale", "given without a range"))
        return out


# ------------------------------------------------------------------------------------------ scenarios

@dataclass(frozen=True)
class Workload:
    requests_per_day: float = number("requests per day", REQUESTS_PER_DAY)
    input_tokens: float = number("input tokens per request", TOKENS_PER_REQUEST)
    output_tokens: float = number("output tokens per request", TOKENS_PER_REQUEST)
    cached_input_share: float = number("share of input tokens served from the provider's prompt cache", SHARE, default=0.0)
    peak_to_average: float | None = number("peak request rate over the daily average", PEAK_TO_AVERAGE, required=False)
    monthly_growth: float = number("volume growth per month, fraction (0.05 = +5%/month)", MONTHLY_GROWTH,
                                   default=0.0)
    window_hours: float | None = number("hours a day the requests arrive in (a batch job's processing window); "
                                        "the peak is 24 / window_hours unless peak_to_average is given", WINDOW_HOURS, required=False)
    batch: bool = flag("offline work: batch API discounts apply and no latency target", default=False)


@dataclass(frozen=True)
class Serving:
    model: str = ref("model served", "models")
    quantization: str = text("weight format (quantization id or N.Nbpw)", default="q4_k_m")
    engine: str = ref("serving engine, or auto: for each GPU the first engine that runs the quantization on it", "engines",
                      default="vllm")
    max_tpot_ms: float | None = number("latency target: most milliseconds per output token", TPOT_MS, required=False)


@dataclass(frozen=True)
class Options:
    gpus: tuple[str, ...] = refs("own-hardware options: gpu id or NxID (GPUs per replica)", "gpu_opt")
    rentals: tuple[str, ...] = refs("rental offers (rental ids); `auto` = every offer of the GPUs above", "rentals")
    apis: tuple[str, ...] = refs("API offers; the first is the reference for break-even", "apis")
    hosts: bool = flag("add the APIs that host the served model (serves_model)", default=True)
    used: bool = flag("price owned GPUs at used-market prices where known", default=False)
    min_quality: float | None = number("leave out options whose quality score (the comparison's benchmark) is below this",
                                       QUALITY_POINTS, required=False)


@dataclass(frozen=True)
class Economics:
    electricity_usd_per_kwh: float | None = number("electricity price, USD/kWh", ELECTRICITY_USD_PER_KWH, required=False)
    pue: float | None = number("power usage effectiveness (1 = no overhead)", PUE, required=False)
    lifetime_months: float | None = number("months over which hardware is depreciated", LIFETIME_MONTHS, required=False)
    resale_fraction: float | None = number("share of the purchase price recovered at the end of life", RESALE, required=False)
    horizon_months: float | None = number("months the comparison covers (at most 100 years)", HORIZON_MONTHS, required=False)
    discount_rate: float | None = number("yearly discount rate for NPV (0.08 = 8%)", DISCOUNT_RATE, required=False)
    ops_usd_per_month: float | None = number("operations cost per replica and month, USD (replaces ops hours x rate)",
                                             OPS_USD_PER_MONTH, required=False)
    ops_hours_per_month: float | None = number("staff hours per owned box and month", OPS_HOURS_PER_MONTH, required=False)
    ops_usd_per_hour: float | None = number("cost of a staff hour, USD", STAFF_USD_PER_HOUR, required=False)
    colocation_usd_per_kw_month: float | None = number("rack space and power delivery per kW of IT load and month, USD",
                                                       COLOCATION_USD_PER_KW_MONTH, required=False)
    deployment: str | None = choice("where desk-side boxes run: home (residential electricity), office (commercial) or "
                                    "datacenter (colocation, industrial electricity); rack servers always run in a datacenter",
                                    ("home", "office", "datacenter"), required=False)
    host_usd: float | None = number("host (CPU, board, PSU, case) cost per box, USD (replaces the host catalogue's price)",
                                    HOST_USD, required=False)
    host_power_w: float | None = number("host power draw per box, W (replaces the host catalogue's idle and busy power)",
                                        HOST_POWER_W, required=False)
    # Price trends (issue #12): fractions lost per year, 0 = flat, negative = rising.
    api_price_decline_per_year: float | None = number(
        "API price decline per year at constant quality (0.9 = 10x cheaper a year; buyers switch to newer models)",
        PRICE_DECLINE, required=False)
    rental_price_decline_per_year: float | None = number("rental $/GPU-hour decline per year for a given GPU", PRICE_DECLINE,
                                                         required=False)
    gpu_price_decline_per_year: float | None = number("GPU market price decline per year (later purchases, resale by age)",
                                                      PRICE_DECLINE, required=False)


@dataclass(frozen=True)
class FinetuneRun:
    tokens: float = number("dataset tokens per run", DATASET_TOKENS)
    method: str = choice("fine-tuning method", ("lora", "qlora", "full"), default="lora")
    epochs: float = number("epochs per run", EPOCHS, default=1.0)
    every_months: float | None = number("repeat every N months (absent: once)", EVERY_MONTHS, required=False)
    rank: int = integer("LoRA rank", LORA_RANK, default=16)


@dataclass(frozen=True)
class PretrainRun:
    tokens: float = number("pre-training tokens", PRETRAIN_TOKENS)
    gpus: int | None = integer("GPUs used (absent: the scenario's first GPU option)", GPU_COUNT, required=False)


@dataclass(frozen=True)
class Lifecycle:
    finetune: FinetuneRun | None = record("optional fine-tuning runs", FinetuneRun)
    pretrain: PretrainRun | None = record("optional pre-training from scratch", PretrainRun)
    extra_gpus: str = choice("GPUs a run needs beyond the serving fleet: rent them (cheapest on-demand offer; bought when "
                             "there is none) or buy them for the run and sell them after it", ("rent", "buy"), default="rent")


@dataclass(frozen=True)
class Scenario:
    """A workload and the options to compare for it."""

    id: str = ident()
    name: str = text("human name")
    description: str = text("one sentence: what this scenario represents")
    workload: Workload = record("the traffic", Workload, required=True)
    serving: Serving = record("what is served and how", Serving, required=True)
    options: Options = record("what to compare", Options, required=True)
    economics: Economics = record("money and power (defaults from assumptions)", Economics)
    lifecycle: Lifecycle = record("one-time and periodic training", Lifecycle)
    notes: str | None = text("caveats", required=False, multiline=True)


KINDS: dict[str, Any] = {
    "gpus": Gpu,
    "models": Model,
    "apis": Api,
    "rentals": Rental,
    "hosts": Host,
    "quantizations": Quantization,
    "engines": Engine,
    "scenarios": Scenario,
    "calibrations": Calibration,
}
"""Profile kinds that are lists of entries with ids; `assumptions` is a mapping of name -> Assumption."""

ALL_KINDS = (*KINDS, "assumptions")

RANGE_RECORDS: tuple[Any, ...] = (Workload, Serving, Economics, FinetuneRun, PretrainRun, Assumption)
"""Records whose numbers may be written as ranges (scenarios and assumptions)."""



def assumption_bounds(name: str) -> Bounds:
    """The valid and plausible values of assumption `name` (one of quantities.ASSUMPTIONS)."""
    return ASSUMPTIONS[name]
