"""The profile schema: typed records, their validation and their JSON Schema, from one description.

Each record is a frozen dataclass whose fields carry a `Spec` in their metadata. `build()` checks a
YAML mapping against it and collects every problem as `path:line: key.path: message`; `json_schema()`
turns the same specs into a JSON Schema for editors.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import re
from dataclasses import dataclass, field
from typing import Any

from llmcost.errors import closest, key_text
from llmcost.yamlsrc import YList, YMap

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._/+-]*$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Spec:
    """How one field is written in YAML and what values it accepts."""

    type: str  # str | id | int | num | bool | date | enum | ref | refs | sources | record | records | num_map | gpu_opt | range
    doc: str
    required: bool = True
    gt: float | None = None
    ge: float | None = None
    le: float | None = None
    choices: tuple[str, ...] = ()
    ref: str = ""
    record: Any = None
    key: str = ""  # YAML key when it differs from the attribute name


def _f(spec: Spec, default: Any = dataclasses.MISSING) -> Any:
    if not spec.required and default is dataclasses.MISSING:
        default = None
    if isinstance(default, (dict, list)):
        value = default
        return field(default_factory=lambda: type(value)(value), metadata={"spec": spec})
    return field(default=default, metadata={"spec": spec})


def text(doc: str, required: bool = True, default: Any = dataclasses.MISSING) -> Any:
    return _f(Spec("str", doc, required), default)


def ident(doc: str = "unique id: lowercase letters, digits and . _ / + -") -> Any:
    return _f(Spec("id", doc))


MAX_VALUE = 1e18
"""Largest number any profile or scenario field accepts unless it says otherwise: far above any real
quantity (1e18 tokens, parameters or dollars), and small enough that no product of them overflows."""


def integer(doc: str, *, ge: float = 1, le: float = MAX_VALUE, required: bool = True, default: Any = dataclasses.MISSING) -> Any:
    return _f(Spec("int", doc, required, ge=ge, le=le), default)


def number(doc: str, *, gt: float | None = 0, ge: float | None = None, le: float | None = MAX_VALUE,
           required: bool = True, default: Any = dataclasses.MISSING) -> Any:
    return _f(Spec("num", doc, required, gt=gt, ge=ge, le=le), default)


def fraction(doc: str, required: bool = True, default: Any = dataclasses.MISSING) -> Any:
    return number(doc, gt=None, ge=0, le=1, required=required, default=default)


def flag(doc: str, default: bool | None = None) -> Any:
    return _f(Spec("bool", doc, default is None), dataclasses.MISSING if default is None else default)


def date(doc: str, required: bool = True) -> Any:
    return _f(Spec("date", doc, required))


def choice(doc: str, choices: tuple[str, ...], *, key: str = "", required: bool = True,
           default: Any = dataclasses.MISSING) -> Any:
    return _f(Spec("enum", doc, required, choices=choices, key=key), default)


def ref(doc: str, kind: str, required: bool = True, default: Any = dataclasses.MISSING) -> Any:
    return _f(Spec("ref", doc, required, ref=kind), default)


def refs(doc: str, kind: str, required: bool = False) -> Any:
    return _f(Spec("refs", doc, required, ref=kind), dataclasses.MISSING if required else ())


def sources(doc: str = "field name (or `default`) -> where the number comes from (URL, or paper and table)") -> Any:
    return _f(Spec("sources", doc, False), {})


def record(doc: str, cls: Any, required: bool = False) -> Any:
    return _f(Spec("record", doc, required, record=cls))


def records(doc: str, cls: Any) -> Any:
    return _f(Spec("records", doc, False, record=cls), ())


def num_map(doc: str, *, gt: float | None = 0, le: float | None = None) -> Any:
    return _f(Spec("num_map", doc, False, gt=gt, le=le), {})


def spec_of(f: dataclasses.Field[Any]) -> Spec:
    spec: Spec = f.metadata["spec"]
    return spec


def yaml_key(f: dataclasses.Field[Any]) -> str:
    return spec_of(f).key or f.name


# ---------------------------------------------------------------------------------------------- ranges

Z90 = 1.2815515655446004
"""The standard normal's 90th percentile: a normal's P10 and P90 are mean -/+ Z90 sd."""

RANGE_SHAPES: dict[tuple[str, ...], str] = {
    ("high", "low", "mode"): "triangular",
    ("high", "low"): "uniform",
    ("mean", "sd"): "normal",
    ("p10", "p90"): "lognormal",
}
"""The keys of a range (sorted) and the distribution they give."""


class Uncertain(float):
    """A number written as a range. It is its point value (the mode, or the median for uniform, normal and
    lognormal ranges) wherever a plain number is expected, so point estimates use it unchanged;
    `llmcost.uncertainty` reads `dist` and `params` to sample it.

    `lower`/`upper` are the field's valid bounds (None: unbounded), `lower_open` when the lower bound
    itself is not allowed; normal and lognormal draws are truncated to them.

    >>> u = Uncertain.of("triangular", {"low": 0.1, "mode": 0.15, "high": 0.3})
    >>> float(u), u.low, u.high, u.describe()
    (0.15, 0.1, 0.3, 'triangular 0.1..0.15..0.3')
    """

    dist: str
    params: dict[str, float]
    lower: float | None
    upper: float | None
    lower_open: bool

    def __new__(cls, center: float, dist: str, params: dict[str, float], lower: float | None = None,
                upper: float | None = None, lower_open: bool = False) -> Uncertain:
        obj = super().__new__(cls, center)
        obj.dist, obj.params, obj.lower, obj.upper, obj.lower_open = dist, dict(params), lower, upper, lower_open
        return obj

    def __reduce__(self) -> Any:
        return (Uncertain, (float(self), self.dist, self.params, self.lower, self.upper, self.lower_open))

    @classmethod
    def of(cls, dist: str, params: dict[str, float], lower: float | None = None, upper: float | None = None,
           lower_open: bool = False) -> Uncertain:
        """A range from its distribution and parameters, centred on its mode or median."""
        p = params
        center = {"triangular": lambda: p["mode"], "uniform": lambda: (p["low"] + p["high"]) / 2.0,
                  "normal": lambda: p["mean"], "lognormal": lambda: math.sqrt(p["p10"] * p["p90"])}[dist]()
        return cls(center, dist, params, lower, upper, lower_open)

    @property
    def low(self) -> float:
        """The low end the tornado uses: low for triangular and uniform ranges, P10 for normal and lognormal."""
        p = self.params
        if self.dist == "normal":
            return self._clip(p["mean"] - Z90 * p["sd"])
        return p["p10"] if self.dist == "lognormal" else p["low"]

    @property
    def high(self) -> float:
        p = self.params
        if self.dist == "normal":
            return self._clip(p["mean"] + Z90 * p["sd"])
        return p["p90"] if self.dist == "lognormal" else p["high"]

    def _clip(self, v: float) -> float:
        if self.lower is not None and v < self.lower:
            v = self.lower
        return min(v, self.upper) if self.upper is not None else v

    def describe(self) -> str:
        order = {"triangular": ("low", "mode", "high"), "uniform": ("low", "high"), "normal": ("mean", "sd"),
                 "lognormal": ("p10", "p90")}[self.dist]
        if self.dist in ("triangular", "uniform"):
            return f"{self.dist} " + "..".join(f"{self.params[k]:g}" for k in order)
        return f"{self.dist} " + ", ".join(f"{k} {self.params[k]:g}" for k in order)


def _bound_text(lower: float | None, upper: float | None, lower_open: bool) -> str:
    parts = []
    if lower is not None:
        parts.append(f"{'>' if lower_open else '>='} {lower:g}")
    if upper is not None:
        parts.append(f"<= {upper:g}")
    return " and ".join(parts) or "finite"


def spec_bounds(spec: Spec) -> tuple[float | None, float | None, bool]:
    """(lower, upper, lower_open) of a numeric field."""
    if spec.gt is not None and (spec.ge is None or spec.gt >= spec.ge):
        return spec.gt, spec.le, True
    return spec.ge, spec.le, False


def parse_range(value: Any, bounds: tuple[float | None, float | None, bool], where: tuple[int, str],
                out: Problems) -> Uncertain | None:
    """A range mapping ({low, mode, high}, {low, high}, {mean, sd} or {p10, p90}) checked against the field's
    bounds; problems go to `out` as `path:line: key.path: message`."""
    line, keypath = where
    if not isinstance(value, dict):
        out.add(line, keypath, f"expected a range {{low, mode, high}}, {{low, high}}, {{mean, sd}} or {{p10, p90}}, "
                               f"got {_describe(value)}")
        return None
    shape = tuple(sorted(str(k) for k in value))
    dist = RANGE_SHAPES.get(shape)
    if dist is None:
        out.add(line, keypath, f"a range is {{low, mode, high}} (triangular), {{low, high}} (uniform), {{mean, sd}} "
                               f"(normal) or {{p10, p90}} (lognormal); got {{{', '.join(map(key_text, value))}}}")
        return None
    params: dict[str, float] = {}
    key_lines = getattr(value, "key_lines", {})
    for k, v in value.items():
        reason = check_number(v, Spec("num", "", gt=None))
        if reason:
            out.add(key_lines.get(k, line), f"{keypath}.{k}", reason)
            return None
        params[str(k)] = float(v)
    lower, upper, lower_open = bounds
    p = params
    order_problem = {
        "triangular": None if p.get("low", 0) <= p.get("mode", 0) <= p.get("high", 0)
        else f"expected low <= mode <= high, got low {p.get('low', 0):g}, mode {p.get('mode', 0):g}, high {p.get('high', 0):g}",
        "uniform": None if p.get("low", 0) <= p.get("high", 0)
        else f"expected low <= high, got low {p.get('low', 0):g}, high {p.get('high', 0):g}",
        "normal": None if p.get("sd", 1) > 0 else f"sd must be > 0, got {p.get('sd', 0):g}",
        "lognormal": None if 0 < p.get("p10", 1) < p.get("p90", 2)
        else f"expected 0 < p10 < p90 (a lognormal is positive), got p10 {p.get('p10', 0):g}, p90 {p.get('p90', 0):g}",
    }[dist]
    if order_problem:
        out.add(line, keypath, order_problem)
        return None
    checked = {"triangular": ("low", "mode", "high"), "uniform": ("low", "high"), "normal": ("mean",),
               "lognormal": ("p10", "p90")}[dist]
    for k in checked:
        v = p[k]
        below = lower is not None and (v <= lower if lower_open else v < lower)
        if below or (upper is not None and v > upper):
            out.add(key_lines.get(k, line), f"{keypath}.{k}",
                    f"{v:g} is outside the valid range ({_bound_text(lower, upper, lower_open)})")
            return None
    return Uncertain.of(dist, params, lower, upper, lower_open)


# ---------------------------------------------------------------------------------------------- records

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
    price_usd: float = number("new price per GPU, USD (MSRP for consumer cards, estimate for datacenter)")
    price_as_of: str = date("when price_usd was published or checked")
    interconnect: str = choice("multi-GPU link", ("pcie", "nvlink"))
    link_bandwidth_gb_per_s: float = number("bidirectional link bandwidth per GPU, GB/s")
    tflops_fp8: float | None = number("dense FP8 tensor TFLOPS", required=False)
    tops_int8: float | None = number("dense INT8 tensor TOPS", required=False)
    used_price_usd: float | None = number("used-market price, USD", required=False)
    used_price_as_of: str | None = date("when used_price_usd was checked", required=False)
    release_date: str | None = date("release date", required=False)
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False)


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
    sources: dict[str, str] = sources()
    notes: str | None = text("caveats", required=False)


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
    range: Uncertain | None = _f(Spec("range", "plausible range for Monte Carlo and sensitivity: {low, mode, high}, "
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
    ops_usd_per_month: float | None = number("operations cost per replica and month, USD", gt=None, ge=0, required=False)
    host_usd: float | None = number("host (CPU, board, PSU, case) cost per replica, USD", gt=None, ge=0, required=False)
    host_power_w: float | None = number("host power draw, W", gt=None, ge=0, required=False)


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
                               "tp_efficiency_nvlink", "resale_fraction", "resale_fraction_datacenter")},
    **{n: _AT_LEAST_1 for n in ("pue", "pue_datacenter", "peak_to_average", "qlora_compute_overhead")},
    **{n: _POSITIVE for n in ("lifetime_months", "horizon_months", "kv_cache_bytes", "electricity_usd_per_kwh")},
}
"""Valid values of an assumption's range (lower, upper, lower_open); every other assumption is >= 0."""


def assumption_bounds(name: str) -> tuple[float | None, float | None, bool]:
    return ASSUMPTION_BOUNDS.get(name, (0.0, None, False))


# ------------------------------------------------------------------------------------------ validation

@dataclass
class Problems:
    """Collects `path:line: key.path: message` lines."""

    path: str
    lines: list[str] = field(default_factory=list)

    def add(self, line: int, keypath: str, message: str) -> None:
        self.lines.append(f"{self.path}:{line}: {keypath}: {message}")


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, (YMap, dict)):
        return "a mapping"
    if isinstance(value, (YList, list)):
        return "a list"
    if value is None:
        return "nothing"
    return repr(value)


def _bounds(spec: Spec, show_cap: bool = False) -> str:
    """The bounds in words; the general cap (MAX_VALUE) only when it is the bound that was broken."""
    parts = []
    if spec.gt is not None:
        parts.append(f"> {spec.gt:g}")
    if spec.ge is not None:
        parts.append(f">= {spec.ge:g}")
    if spec.le is not None and (spec.le != MAX_VALUE or show_cap):
        parts.append(f"<= {spec.le:g}")
    return " and ".join(parts)


def check_number(value: Any, spec: Spec, integer_only: bool = False) -> str | None:
    """None when `value` is acceptable for `spec`, else the reason."""
    want = ("an integer" if integer_only else "a number") + (f" {_bounds(spec)}" if _bounds(spec) else "")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"expected {want}, got {_describe(value)}"
    if integer_only and not isinstance(value, int):
        return f"expected {want}, got {_describe(value)}"
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int beyond float range
        return f"expected {want}, got a number with {len(str(abs(value)))} digits (too large)"
    if not finite:
        return f"expected {want}, got {value!r} (numbers must be finite)"
    if spec.le is not None and not value <= spec.le:
        bounds = _bounds(spec, show_cap=True)
        return f"expected {'an integer' if integer_only else 'a number'} {bounds}, got {value!r}"
    if spec.gt is not None and not value > spec.gt or spec.ge is not None and not value >= spec.ge:
        return f"expected {want}, got {value!r}"
    return None


def _scalar(value: Any, spec: Spec, where: tuple[int, str], out: Problems) -> Any:
    line, keypath = where
    t = spec.type
    if t in ("num", "int"):
        reason = check_number(value, spec, integer_only=(t == "int"))
        if reason:
            out.add(line, keypath, reason)
            return None
        if isinstance(value, Uncertain):  # a range already checked: keep it (it is its point value)
            return value
        return float(value) if t == "num" else int(value)
    if t == "bool":
        if not isinstance(value, bool):
            out.add(line, keypath, f"expected true or false, got {_describe(value)}")
        return value
    if not isinstance(value, str):
        out.add(line, keypath, f"expected text, got {_describe(value)}")
        return None
    if t == "id" and not ID_RE.fullmatch(value):  # fullmatch: `$` alone lets "id\n" through
        out.add(line, keypath, f"id {value!r} must be lowercase letters, digits and . _ / + - (e.g. 'my-rtx-4090')")
    elif t == "date" and not _is_date(value):
        out.add(line, keypath, f"expected a date YYYY-MM-DD, got {_describe(value)}")
    elif t == "enum" and value not in spec.choices:
        near = closest(value, spec.choices)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        out.add(line, keypath, f"expected one of {', '.join(spec.choices)}, got {value!r}{hint}")
    elif len(value) > 10_000:
        out.add(line, keypath, "text longer than 10,000 characters")
    return value


def _is_date(value: str) -> bool:
    try:
        return bool(DATE_RE.fullmatch(value)) and datetime.date.fromisoformat(value) is not None
    except ValueError:  # 2024-02-30
        return False


def _value(value: Any, spec: Spec, where: tuple[int, str], out: Problems) -> Any:
    line, keypath = where
    if spec.type in ("record", "records"):
        if spec.type == "record":
            return build(spec.record, value, out, line, keypath)
        if not isinstance(value, list):
            out.add(line, keypath, f"expected a list, got {_describe(value)}")
            return ()
        lines = getattr(value, "item_lines", [line] * len(value))
        return tuple(build(spec.record, v, out, ln, f"{keypath}[{i}]") for i, (v, ln) in enumerate(zip(value, lines, strict=False)))
    if spec.type == "refs":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            out.add(line, keypath, f"expected a list of ids, got {_describe(value)}")
            return ()
        lines = getattr(value, "item_lines", [line] * len(value))
        return tuple(_scalar(v, Spec("str", ""), (ln, f"{keypath}[{i}]"), out) for i, (v, ln) in enumerate(zip(value, lines, strict=False)))
    if spec.type in ("sources", "num_map"):
        if not isinstance(value, dict):
            out.add(line, keypath, f"expected a mapping, got {_describe(value)}")
            return {}
        result = {}
        for k, v in value.items():
            kl = getattr(value, "key_lines", {}).get(k, line)
            inner = Spec("str", "") if spec.type == "sources" else Spec("num", "", gt=spec.gt, le=spec.le)
            result[k] = _scalar(v, inner, (kl, f"{keypath}.{key_text(k)}"), out)
        return result
    if spec.type == "ref":
        return _scalar(value, Spec("str", ""), where, out)
    if spec.type == "range":
        return value if isinstance(value, Uncertain) else parse_range(value, spec_bounds(spec), where, out)
    return _scalar(value, spec, where, out)


def build(cls: Any, data: Any, out: Problems, line: int, keypath: str) -> Any:
    """Check `data` (a YMap) against record class `cls`; add problems to `out`; return the record or None."""
    if not isinstance(data, dict):
        out.add(line, keypath, f"expected a mapping, got {_describe(data)}")
        return None
    fields = {yaml_key(f): f for f in dataclasses.fields(cls)}
    key_lines = getattr(data, "key_lines", {})
    before = len(out.lines)
    for key in data:
        if key not in fields:
            near = closest(str(key), fields)
            hint = f"; did you mean {near[0]!r}?" if near else f"; valid keys: {', '.join(fields)}"
            out.add(key_lines.get(key, line), f"{keypath}.{key_text(key)}", f"unknown key{hint}")
    kwargs: dict[str, Any] = {}
    for key, f in fields.items():
        spec = spec_of(f)
        if key not in data or data[key] is None:
            if key in data and spec.type not in ("record", "records", "refs", "sources", "num_map") and not spec.required:
                out.add(key_lines.get(key, line), f"{keypath}.{key}", "empty value; give a value or leave the key out")
            elif spec.required and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                out.add(line, f"{keypath}.{key}", f"missing required key ({spec.doc})")
            continue
        where = (key_lines.get(key, line), f"{keypath}.{key}")
        if cls in RANGE_RECORDS and spec.type in ("num", "range") and isinstance(data[key], dict):
            bounds = assumption_bounds(keypath.split(".")[-1]) if cls is Assumption else spec_bounds(spec)
            kwargs[f.name] = parse_range(data[key], bounds, where, out)
            continue
        kwargs[f.name] = _value(data[key], spec, where, out)
    if len(out.lines) > before:
        return None
    rec = cls(**kwargs)
    for key, message in rec.problems() if hasattr(rec, "problems") else ():
        out.add(key_lines.get(key, line), f"{keypath}.{key}", message)
    return None if len(out.lines) > before else rec


def numeric_fields(rec: Any) -> list[str]:
    """Names of the numeric fields set in a record (for the sources check)."""
    names = []
    for f in dataclasses.fields(rec):
        if spec_of(f).type in ("num", "int") and getattr(rec, f.name) is not None and f.name != "id":
            names.append(yaml_key(f))
    return names


def uncovered_numbers(rec: Any) -> list[str]:
    """Numeric fields of a record (and its `reported` block) that no `sources` key covers."""
    missing = []
    srcs = getattr(rec, "sources", None)
    if srcs is not None and "default" not in srcs:
        missing += [k for k in numeric_fields(rec) if k not in srcs]
    rep = getattr(rec, "reported", None)
    if rep is not None:
        missing += [f"reported.{k}" for k in uncovered_numbers(rep)]
    return missing


# ------------------------------------------------------------------------------------------ JSON Schema

RANGE_SCHEMA: dict[str, Any] = {
    "description": "a range: {low, mode, high} triangular, {low, high} uniform, {mean, sd} normal, {p10, p90} lognormal",
    "oneOf": [{"type": "object", "properties": {k: {"type": "number"} for k in keys}, "required": list(keys),
               "additionalProperties": False} for keys in RANGE_SHAPES],
}

_JSON_TYPES = {"str": "string", "id": "string", "date": "string", "enum": "string", "ref": "string",
               "int": "integer", "num": "number", "bool": "boolean"}


def _field_schema(spec: Spec) -> dict[str, Any]:
    s: dict[str, Any] = {"description": spec.doc}
    if spec.type in _JSON_TYPES:
        s["type"] = _JSON_TYPES[spec.type]
    if spec.type == "id":
        s["pattern"] = ID_RE.pattern
    if spec.type == "date":
        s["pattern"] = DATE_RE.pattern
    if spec.type == "enum":
        s["enum"] = list(spec.choices)
    if spec.type in ("num", "int", "num_map"):
        bounds = {"exclusiveMinimum": spec.gt, "minimum": spec.ge, "maximum": spec.le}
        target = s if spec.type != "num_map" else s.setdefault("additionalProperties", {"type": "number"})
        target.update({k: v for k, v in bounds.items() if v is not None})
    if spec.type == "num_map":
        s["type"] = "object"
    if spec.type == "sources":
        s.update(type="object", additionalProperties={"type": "string"})
    if spec.type == "refs":
        s.update(type="array", items={"type": "string"})
    if spec.type == "range":
        s["oneOf"] = RANGE_SCHEMA["oneOf"]
    if spec.type == "record":
        s.update(record_schema(spec.record))
    if spec.type == "records":
        s.update(type="array", items=record_schema(spec.record))
    return s


def record_schema(cls: Any) -> dict[str, Any]:
    """JSON Schema (draft 2020-12 subset) of one record class."""
    props = {yaml_key(f): _field_schema(spec_of(f)) for f in dataclasses.fields(cls)}
    if cls in RANGE_RECORDS:  # a number or a range
        for f in dataclasses.fields(cls):
            if spec_of(f).type == "num":
                p = props[yaml_key(f)]
                number_schema = {k: v for k, v in p.items() if k != "description"}
                props[yaml_key(f)] = {"description": p["description"], "anyOf": [number_schema, RANGE_SCHEMA]}
    required = [yaml_key(f) for f in dataclasses.fields(cls)
                if spec_of(f).required and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if cls.__doc__:
        out["description"] = cls.__doc__.strip().splitlines()[0]
    if required:
        out["required"] = required
    return out


def json_schema(kind: str) -> dict[str, Any]:
    """JSON Schema for a profile file holding `kind` (editors point `$schema` comments at it)."""
    if kind == "assumptions":
        item: dict[str, Any] = {"type": "object", "additionalProperties": record_schema(Assumption)}
    else:
        item = {"type": "array", "items": record_schema(KINDS[kind])}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"llmcost {kind} profile file",
        "type": "object",
        "properties": {kind: item},
    }
