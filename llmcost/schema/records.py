"""The record types: one frozen dataclass per profile kind and per part of a scenario."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmcost.schema.fields import (
    Spec,
    choice,
    date,
    field_of,
    flag,
    fraction,
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
from llmcost.schema.ranges import Uncertain


@dataclass(frozen=True)
class Gpu:
    """A GPU: memory, bandwidth, dense tensor peaks, power and price."""

    id: str = ident()
    name: str = text("human name")
    vendor: str = choice("maker", ("nvidia", "amd", "apple", "intel"))
    gpu_class: str = choice("market class", ("consumer", "workstation", "datacenter"), key="class")
    memory_gib: float = number("memory, GiB (a '24 GB' card is 24)")
    memory_bandwidth_gb_per_s: float = number("memory bandwidth, decimal GB/s")
    tflops_bf16: float = number("dense BF16 tensor TFLOPS with FP32 accumulate")
    tflops_fp16_acc16: float = number("dense FP16 tensor TFLOPS with FP16 accumulate (GeForce: 2x tflops_bf16)")
    power_w: float = number("board power, W")
    idle_power_w: float = number("idle power, W", gt=None, ge=0)
    price_usd: float = number("new price per GPU, USD (street price where one is sourced, else launch MSRP; estimate for datacenter)")
    price_as_of: str = date("when price_usd was published or checked")
    interconnect: str = choice("multi-GPU link", ("pcie", "nvlink"))
    link_bandwidth_gb_per_s: float = number("bidirectional link bandwidth per GPU, GB/s")
    tflops_fp8: float | None = number("dense FP8 tensor TFLOPS", required=False)
    tops_int8: float | None = number("dense INT8 tensor TOPS", required=False)
    used_price_usd: float | None = number("used-market price, USD", required=False)
    used_price_as_of: str | None = date("when used_price_usd was checked", required=False)
    release_date: str | None = date("release date", required=False)
    integrated_host: bool = flag("a whole machine (e.g. a Mac Studio): its price and power already include the host", default=False)
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False)


@dataclass(frozen=True)
class Host:
    """The machine around the GPUs: price and power without them, power supply and slots."""

    id: str = ident()
    name: str = text("human name")
    form_factor: str = choice("desktop or workstation (desk-side), or rack (a datacenter server whose slots replicas share)",
                              ("desktop", "workstation", "rack"))
    gpu_form: str = choice("cards it takes: pcie (add-in cards) or sxm (modules on a baseboard: SXM, OAM)", ("pcie", "sxm"))
    max_gpus: int = integer("GPU slots")
    psu_w: float = number("power-supply output without the redundant units, W")
    idle_power_w: float = number("draw without the GPUs while they idle, W", gt=None, ge=0)
    busy_power_w: float = number("draw without the GPUs while they work, W (used for the power-supply check too)", gt=None, ge=0)
    price_usd: float = number("price without GPUs, USD", gt=None, ge=0)
    price_as_of: str = date("when price_usd was published or checked")
    rack_units: int | None = integer("height in rack units", required=False)
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

    training_flops: float | None = number("total training FLOPs", le=1e40, required=False)
    gpu_hours: float | None = number("GPU-hours of the run", required=False)
    gpu: str | None = ref("GPU used (gpu id)", "gpus", required=False)
    hardware: str | None = text("hardware in words", required=False)
    gpus: int | None = integer("number of accelerators", required=False)
    wall_days: float | None = number("wall-clock days", required=False)
    energy_mwh: float | None = number("energy, MWh", required=False)
    mfu: float | None = number("model FLOPs utilisation, fraction", le=1, required=False)
    tokens_b: float | None = number("training tokens of the run, billions", required=False)
    cost_usd: float | None = number("reported cost, USD", required=False)
    setting: str | None = text("what the run was", required=False)
    sources: dict[str, str] = sources()


@dataclass(frozen=True)
class Model:
    """A model's shape, from which parameters, FLOPs and memory are derived."""

    id: str = ident()
    name: str = text("human name")
    params_b: float = number("total parameters, billions")
    layers: int = integer("transformer layers")
    d_model: int = integer("hidden size")
    heads: int = integer("attention heads")
    kv_heads: int = integer("key/value heads (= heads for MHA, 1 for MQA)")
    ffn_dim: int = integer("MLP hidden size (per expert for MoE)")
    vocab: int = integer("vocabulary size")
    context: int = integer("maximum context, tokens")
    ffn_gated: bool = flag("MLP has gate, up and down matrices (SwiGLU/GeGLU)")
    license: str = text("licence")
    open_weights: bool = flag("weights are downloadable")
    release_date: str = date("first public release")
    family: str | None = text("model family", required=False)
    head_dim: int | None = integer("head size when not d_model/heads", required=False)
    tied_embeddings: bool = flag("input and output embeddings shared", default=False)
    experts: int | None = integer("routed experts (MoE)", required=False)
    experts_per_token: int | None = integer("experts each token uses (MoE)", required=False)
    expert_params_b: float | None = number("parameters of one routed expert over all layers, billions", required=False)
    kv_elements_per_token_per_layer: int | None = integer("cached elements per token and layer when not 2 kv_heads head_dim (MLA)", required=False)
    pretrain_tokens_b: float | None = number("pre-training tokens, billions", required=False)
    base_model: str | None = ref("model this one was fine-tuned from", "models", required=False)
    reported: Reported | None = record("published figures (shown, never used)", Reported)
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False)


@dataclass(frozen=True)
class ContextTier:
    """Prices that apply to a whole request whose prompt is longer than `above_tokens`."""

    above_tokens: int = integer("prompt length above which these prices apply")
    input_usd_per_mtok: float = number("input price, USD per 1M tokens", gt=None, ge=0)
    output_usd_per_mtok: float = number("output price, USD per 1M tokens", gt=None, ge=0)
    cached_input_usd_per_mtok: float | None = number("cached-input price, USD per 1M tokens", gt=None, ge=0, required=False)


@dataclass(frozen=True)
class Api:
    """A per-token API offer."""

    id: str = ident("provider/model")
    name: str = text("human name")
    provider: str = text("provider")
    input_usd_per_mtok: float = number("input price, USD per 1M tokens", gt=None, ge=0)
    output_usd_per_mtok: float = number("output price, USD per 1M tokens", gt=None, ge=0)
    as_of: str = date("when the prices were published or checked")
    cached_input_usd_per_mtok: float | None = number("cached-input read price, USD per 1M tokens", gt=None, ge=0, required=False)
    batch_discount: float | None = fraction("fraction off with the batch API", required=False)
    context: int | None = integer("context window, tokens", required=False)
    context_tiers: tuple[ContextTier, ...] = records("long-context price tiers", ContextTier)
    finetune_train_usd_per_mtok: float | None = number("fine-tuning price, USD per 1M trained tokens", required=False)
    finetuned_input_usd_per_mtok: float | None = number("fine-tuned model input price", gt=None, ge=0, required=False)
    finetuned_output_usd_per_mtok: float | None = number("fine-tuned model output price", gt=None, ge=0, required=False)
    serves_model: str | None = ref("open model this API hosts (model id)", "models", required=False)
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False)


@dataclass(frozen=True)
class Rental:
    """A cloud GPU offer."""

    id: str = ident("provider/offer")
    name: str = text("human name")
    provider: str = text("provider")
    gpu: str = ref("GPU (gpu id)", "gpus")
    gpus_per_instance: int = integer("GPUs per instance")
    usd_per_gpu_hour: float = number("price per GPU-hour, USD")
    kind: str = choice("billing", ("on-demand", "spot", "serverless"))
    as_of: str = date("when the price was published or checked")
    idle_timeout_s: float | None = number("serverless: seconds a worker stays billed after its last request", gt=None, ge=0,
                                          required=False)
    cold_start_s: float | None = number("serverless: seconds to start a worker before the model's weights load", gt=None, ge=0,
                                        required=False)
    min_workers: int = integer("serverless: always-on (active) workers, billed around the clock", ge=0, default=0)
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False)

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
    bits_per_weight: float = number("bits per weight including scales and zero points")
    tensor_rate: str = choice("tensor-core rate its matrix multiplies run at", ("bf16", "fp16", "fp8", "int8"))
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False)


@dataclass(frozen=True)
class Engine:
    """A serving engine: what it runs and how close to the hardware roofs it gets."""

    id: str = ident()
    name: str = text("human name")
    quantizations: tuple[str, ...] = refs("quantizations it runs (`*bpw` = any N.Nbpw)", "quantizations", required=True)
    accumulate: str = choice("accumulate precision of its FP16 GEMMs", ("fp16", "fp32"))
    max_concurrency: int = integer("most sequences it batches")
    bandwidth_efficiency: dict[str, float] = num_map("fraction of memory bandwidth reached in decode, by quantization (`default`)", le=1)
    compute_efficiency: dict[str, float] = num_map("fraction of tensor peak reached in batched decode, by quantization", le=1)
    prefill_efficiency: dict[str, float] = num_map("fraction of tensor peak reached in prefill, by quantization", le=1)
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False)


@dataclass(frozen=True)
class Assumption:
    """One default the engine uses, with why and where from."""

    value: float = number("the value", gt=None)
    rationale: str = text("why this value")
    source: str = text("where it comes from")
    unit: str | None = text("unit", required=False)
    range: Uncertain | None = field_of(Spec("range", "plausible range for Monte Carlo and sensitivity: {low, mode, high}, "
                                       "{low, high}, {mean, sd} or {p10, p90}; its mode (median) must equal value",
                                       False))
    range_rationale: str | None = text("why this range (required with range)", required=False)

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
    requests_per_day: float = number("requests per day", gt=None, ge=0)
    input_tokens: float = number("input tokens per request", gt=None, ge=0)
    output_tokens: float = number("output tokens per request", gt=None, ge=0)
    cached_input_share: float = fraction("share of input tokens served from the provider's prompt cache", default=0.0)
    peak_to_average: float | None = number("peak request rate over the daily average", ge=1, gt=None, required=False)
    monthly_growth: float = number("volume growth per month, fraction (0.05 = +5%/month)", gt=None, ge=-0.99, le=10.0,
                                   default=0.0)
    window_hours: float | None = number("hours a day the requests arrive in (a batch job's processing window); "
                                        "the peak is 24 / window_hours unless peak_to_average is given", le=24, required=False)
    batch: bool = flag("offline work: batch API discounts apply and no latency target", default=False)


@dataclass(frozen=True)
class Serving:
    model: str = ref("model served", "models")
    quantization: str = text("weight format (quantization id or N.Nbpw)", default="q4_k_m")
    engine: str = ref("serving engine", "engines", default="vllm")
    max_tpot_ms: float | None = number("latency target: most milliseconds per output token", required=False)


@dataclass(frozen=True)
class Options:
    gpus: tuple[str, ...] = refs("own-hardware options: gpu id or NxID (GPUs per replica)", "gpu_opt")
    rentals: tuple[str, ...] = refs("rental offers (rental ids); `auto` = every offer of the GPUs above", "rentals")
    apis: tuple[str, ...] = refs("API offers; the first is the reference for break-even", "apis")
    hosts: bool = flag("add the APIs that host the served model (serves_model)", default=True)
    used: bool = flag("price owned GPUs at used-market prices where known", default=False)


@dataclass(frozen=True)
class Economics:
    electricity_usd_per_kwh: float | None = number("electricity price, USD/kWh", gt=None, ge=0, required=False)
    pue: float | None = number("power usage effectiveness (1 = no overhead)", gt=None, ge=1, required=False)
    lifetime_months: float | None = number("months over which hardware is depreciated", le=1200, required=False)
    resale_fraction: float | None = fraction("share of the purchase price recovered at the end of life", required=False)
    horizon_months: float | None = number("months the comparison covers (at most 100 years)", le=1200, required=False)
    discount_rate: float | None = number("yearly discount rate for NPV (0.08 = 8%)", gt=None, ge=0, required=False)
    ops_usd_per_month: float | None = number("operations cost per replica and month, USD (replaces ops hours x rate)", gt=None,
                                             ge=0, required=False)
    ops_hours_per_month: float | None = number("staff hours per owned box and month", gt=None, ge=0, required=False)
    ops_usd_per_hour: float | None = number("cost of a staff hour, USD", gt=None, ge=0, required=False)
    colocation_usd_per_kw_month: float | None = number("rack space and power delivery per kW of IT load and month, USD",
                                                       gt=None, ge=0, required=False)
    deployment: str | None = choice("where desk-side boxes run: home (residential electricity), office (commercial) or "
                                    "datacenter (colocation, industrial electricity); rack servers always run in a datacenter",
                                    ("home", "office", "datacenter"), required=False)
    host_usd: float | None = number("host (CPU, board, PSU, case) cost per box, USD (replaces the host catalogue's price)",
                                    gt=None, ge=0, required=False)
    host_power_w: float | None = number("host power draw per box, W (replaces the host catalogue's idle and busy power)",
                                        gt=None, ge=0, required=False)


@dataclass(frozen=True)
class FinetuneRun:
    tokens: float = number("dataset tokens per run")
    method: str = choice("fine-tuning method", ("lora", "qlora", "full"), default="lora")
    epochs: float = number("epochs per run", default=1.0)
    every_months: float | None = number("repeat every N months (absent: once)", required=False)
    rank: int = integer("LoRA rank", default=16)


@dataclass(frozen=True)
class PretrainRun:
    tokens: float = number("pre-training tokens")
    gpus: int | None = integer("GPUs used (absent: the scenario's first GPU option)", required=False)


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
    notes: str | None = text("caveats", required=False)


KINDS: dict[str, Any] = {
    "gpus": Gpu,
    "models": Model,
    "apis": Api,
    "rentals": Rental,
    "hosts": Host,
    "quantizations": Quantization,
    "engines": Engine,
    "scenarios": Scenario,
}
"""Profile kinds that are lists of entries with ids; `assumptions` is a mapping of name -> Assumption."""

ALL_KINDS = (*KINDS, "assumptions")

RANGE_RECORDS: tuple[Any, ...] = (Workload, Serving, Economics, FinetuneRun, PretrainRun, Assumption)
"""Records whose numbers may be written as ranges (scenarios and assumptions)."""

_FRACTION, _AT_LEAST_1, _POSITIVE = (0.0, 1.0, False), (1.0, None, False), (0.0, None, True)
ASSUMPTION_BOUNDS: dict[str, tuple[float | None, float | None, bool]] = {
    **{n: _FRACTION for n in ("mfu_single_gpu", "mfu_nvlink", "mfu_pcie", "usable_memory_fraction", "tp_efficiency_pcie",
                               "tp_efficiency_nvlink", "resale_fraction", "resale_fraction_datacenter", "gpu_annual_failure_rate",
                               "spare_gpu_fraction", "replica_boundary_margin")},
    "psu_headroom_fraction": (0.0, 1.0, True),
    "cluster_network_fraction": (0.0, 0.9, False),
    "batch_window_hours": (0.0, 24.0, True),
    **{n: _AT_LEAST_1 for n in ("pue", "pue_datacenter", "peak_to_average", "qlora_compute_overhead")},
    **{n: _POSITIVE for n in ("lifetime_months", "horizon_months", "kv_cache_bytes", "electricity_usd_per_kwh",
                               "electricity_usd_per_kwh_commercial", "electricity_usd_per_kwh_industrial", "serverless_load_gb_per_s")},
}
"""Valid values of an assumption's range (lower, upper, lower_open); every other assumption is >= 0."""


def assumption_bounds(name: str) -> tuple[float | None, float | None, bool]:
    return ASSUMPTION_BOUNDS.get(name, (0.0, None, False))

