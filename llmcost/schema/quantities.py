"""The bounds table: every number llmcost reads, with its unit, its valid range and its plausible range.

A value outside the valid range is an error (the engine would divide by zero, or cost money that
cannot exist). A value outside the plausible range is legal but most likely a unit slip (0.3 for a
board power in kW, 0.896 for a bandwidth in TB/s): it gets a warning that names the unit expected.
Zero is always plausible where it is valid: it means "none" or "free", deliberately.

Each quantity is written once here. Profile and scenario fields name theirs in `llmcost.schema.records`
(`power_w = number("board power", BOARD_POWER_W)`), assumptions in `ASSUMPTIONS`, and command-line
options without a field in `OPTIONS`; `llmcost.bounds` looks any of them up by dotted key. Assumption
bounds live here rather than in profiles/assumptions.yaml because the valid range protects the engine
(a user file must not widen it), the same quantity is also a scenario key (`economics.pue` and
`assumptions.pue`), and the table must be known before any file is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmcost.numbers import MAX_VALUE


@dataclass(frozen=True)
class Bounds:
    """Valid range (`gt` or `ge`, and `le`) and plausible range of one number, in `unit`.

    `below` and `above` name the slip a value under or over the plausible range most likely is
    ("kW" makes the warning end "did you write kW?"). `integer`: only whole numbers are valid.
    """

    unit: str
    gt: float | None = None
    ge: float | None = None
    le: float = MAX_VALUE
    plausible: tuple[float, float] | None = None
    below: str = ""
    above: str = ""
    integer: bool = False

    @property
    def lower(self) -> float | None:
        return self.gt if self.gt is not None else self.ge

    @property
    def lower_open(self) -> bool:
        return self.gt is not None

    def valid(self, value: float) -> bool:
        low_ok = (self.gt is None or value > self.gt) and (self.ge is None or value >= self.ge)
        return low_ok and value <= self.le and (not self.integer or float(value).is_integer())

    def plausible_at(self, value: float) -> bool:
        if self.plausible is None or value == 0:
            return True
        return self.plausible[0] <= value <= self.plausible[1]

    def in_words(self, show_cap: bool = False) -> str:
        """'> 0', '>= 0 and <= 1': the valid range; the general cap (MAX_VALUE) only when asked."""
        parts = [f"> {self.gt:g}"] if self.gt is not None else [f">= {self.ge:g}"] if self.ge is not None else []
        if self.le != MAX_VALUE or show_cap:
            parts.append(f"<= {self.le:g}")
        return " and ".join(parts)

    def implausible(self, value: float) -> str | None:
        """None when `value` is plausible, else 'implausible; expected UNIT between A and B; did you write X?'."""
        if self.plausible_at(value) or self.plausible is None:
            return None
        low, high = self.plausible
        slip = self.below if value < low else self.above
        return f"implausible; expected {self.unit} between {low:g} and {high:g}" + (f"; did you write {slip}?" if slip else "")


def fraction(unit: str = "a fraction (0.3 = 30%)", plausible: tuple[float, float] = (0.0, 1.0), *, positive: bool = False) -> Bounds:
    """A share between 0 and 1; `positive` when 0 itself would break a division."""
    return Bounds(unit, gt=0.0 if positive else None, ge=None if positive else 0.0, le=1.0, plausible=plausible)


def count(unit: str, plausible: tuple[float, float], le: float = MAX_VALUE) -> Bounds:
    """A whole number of things, at least 1."""
    return Bounds(unit, ge=1, le=le, plausible=plausible, integer=True)


# ------------------------------------------------------------------------------------------ hardware
MEMORY_GIB = Bounds("GiB of memory per GPU", gt=0, plausible=(1, 1024), above="MiB")
BANDWIDTH_GB_PER_S = Bounds("decimal GB/s", gt=0, plausible=(50, 30_000), below="TB/s")
LINK_GB_PER_S = Bounds("decimal GB/s per GPU", gt=0, plausible=(1, 20_000), below="TB/s")
TENSOR_TFLOPS = Bounds("dense TFLOPS (or TOPS)", gt=0, plausible=(1, 50_000), below="PFLOPS", above="GFLOPS")
BOARD_POWER_W = Bounds("watts (W)", gt=0, plausible=(30, 2000), below="kW")
IDLE_POWER_W = Bounds("watts (W)", ge=0, plausible=(1, 500), below="kW")
GPU_PRICE_USD = Bounds("USD per GPU", gt=0, plausible=(50, 500_000), above="cents")
HOST_USD = Bounds("USD per replica host", ge=0, plausible=(100, 1_000_000), above="cents")
HOST_USD_PER_GPU = Bounds("USD per GPU", ge=0, plausible=(100, 500_000), above="cents")
HOST_POWER_W = Bounds("watts (W)", ge=0, plausible=(10, 10_000), below="kW")
GPUS_PER_HOST = count("GPUs per host", (1, 16), le=1024)
GPUS_PER_INSTANCE = count("GPUs per instance", (1, 16), le=1024)
GPU_COUNT = count("GPUs", (1, 100_000), le=10_000_000)
PSU_W = Bounds("watts (W)", gt=0, plausible=(100, 20_000), below="kW")
RACK_UNITS = count("rack units", (1, 12), le=100)

# ------------------------------------------------------------------------------------------ models
PARAMS_B = Bounds("billions of parameters", gt=0, plausible=(0.01, 20_000), above="parameters instead of billions")
EXPERT_PARAMS_B = Bounds("billions of parameters", gt=0, plausible=(0.001, 2000), above="parameters instead of billions")
LAYERS = count("layers", (1, 1000))
HIDDEN = count("hidden units", (16, 200_000))
HEADS = count("attention heads", (1, 4096))
HEAD_DIM = count("units per head", (8, 4096))
VOCAB = count("tokens in the vocabulary", (100, 10_000_000))
CONTEXT_TOKENS = count("tokens of context", (128, 100_000_000))
EXPERTS = count("experts", (2, 100_000))
KV_ELEMENTS = count("cached elements per token and layer", (1, 10_000_000))
TOKENS_B = Bounds("billions of tokens", gt=0, plausible=(0.01, 1_000_000), above="tokens instead of billions")

# ------------------------------------------------------------------------------------------ reported figures
TRAINING_FLOPS = Bounds("FLOPs", gt=0, le=1e40, plausible=(1e15, 1e30))
GPU_HOURS = Bounds("GPU-hours", gt=0, plausible=(0.01, 1e10))
WALL_DAYS = Bounds("days", gt=0, plausible=(0.001, 10_000), above="hours")
ENERGY_MWH = Bounds("MWh", gt=0, plausible=(0.001, 10_000_000), above="kWh")
COST_USD = Bounds("USD", gt=0, plausible=(1, 1e11))
MFU = fraction("a fraction of the dense peak (0.45 = 45%)", (0.05, 0.9), positive=True)

# ------------------------------------------------------------------------------------------ prices
USD_PER_MTOK = Bounds("USD per 1M tokens", ge=0, plausible=(0.001, 1000), below="USD per token", above="cents")
TRAIN_USD_PER_MTOK = Bounds("USD per 1M trained tokens", gt=0, plausible=(0.001, 1000), below="USD per token", above="cents")
USD_PER_GPU_HOUR = Bounds("USD per GPU-hour", gt=0, plausible=(0.01, 200), above="USD per month")
ELECTRICITY_USD_PER_KWH = Bounds("USD per kWh", ge=0, plausible=(0.01, 1.0), above="cents per kWh")
OPS_USD_PER_MONTH = Bounds("USD per replica and month", ge=0, plausible=(1, 10_000_000), above="cents")
OPS_HOURS_PER_MONTH = Bounds("staff hours per box and month", ge=0, le=10_000, plausible=(0.1, 730))
STAFF_USD_PER_HOUR = Bounds("USD per staff hour", ge=0, plausible=(5, 1000), above="cents")
COLOCATION_USD_PER_KW_MONTH = Bounds("USD per kW of IT load and month", ge=0, plausible=(10, 2000), above="cents")
DISCOUNT = fraction("a fraction of the price (0.5 = 50% off)", (0.0, 0.95))

# ------------------------------------------------------------------------------------------ formats and engines
BITS_PER_WEIGHT = Bounds("bits per weight", gt=0, le=64, plausible=(1, 32))
KV_BYTES = Bounds("bytes per cached element", gt=0, le=16, plausible=(0.25, 4), above="bits")
EFFICIENCY = fraction("a fraction of the hardware roof (0.7 = 70%)", (0.05, 1.0), positive=True)
CONCURRENCY = count("sequences", (1, 1_000_000))
BATCH_TOKENS = count("tokens per forward pass", (16, 10_000_000))
LATENCY_US = Bounds("microseconds", ge=0, le=1_000_000, plausible=(0.1, 10_000), below="milliseconds", above="nanoseconds")
OVERHEAD_MS = Bounds("milliseconds", ge=0, le=1_000_000, plausible=(0, 5000), below="seconds")
PRICE_DECLINE = Bounds("a fraction lost per year (0.9 = ten times cheaper a year; negative = rising)", ge=-1, le=1,
                       plausible=(-0.5, 0.999), above="a percentage (90% is 0.9)")
QUALITY_POINTS = Bounds("benchmark points, percent correct", ge=0, le=100, plausible=(0, 100))
USABLE_MEMORY = fraction("a fraction of the GPU's memory (0.75 = 75%)", (0.5, 1.0), positive=True)
SERVERLESS_SECONDS = Bounds("seconds", ge=0, le=86_400, plausible=(0, 3600), above="milliseconds")
WORKERS = Bounds("workers", ge=0, le=1_000_000, plausible=(0, 1000), integer=True)
LOAD_GB_PER_S = Bounds("decimal GB/s of weights loaded", gt=0, plausible=(0.05, 100), above="MB/s")
MEASURED = Bounds("the serve column's unit (tokens/s or seconds)", gt=0, le=1e12, plausible=(1e-4, 1e7))

# ------------------------------------------------------------------------------------------ training memory and shape
BYTES_PER_PARAM = Bounds("bytes per parameter", ge=0, le=1024, plausible=(1, 64))
BYTES_PER_TOKEN_HIDDEN = Bounds("bytes per token per hidden unit per layer", ge=0, le=10_000, plausible=(0.5, 500))
OVERHEAD_GIB = Bounds("GiB per GPU", ge=0, plausible=(0, 64), above="MiB")
LORA_RANK = count("rank", (1, 4096), le=1_000_000)
SEQ_LEN = count("tokens per sequence", (16, 100_000_000))
BATCH = count("sequences per GPU", (1, 65_536))
EPOCHS = Bounds("passes over the dataset", gt=0, le=1_000_000, plausible=(0.01, 1000))
DATASET_TOKENS = Bounds("tokens", gt=0, plausible=(1000, 1e14), below="billions of tokens")
PRETRAIN_TOKENS = Bounds("tokens", gt=0, plausible=(1e6, 1e15), below="billions of tokens")
OVERHEAD_FACTOR = Bounds("a factor (1 = no overhead)", ge=1, le=1000, plausible=(1, 5))
BYTES_PER_LOGIT = Bounds("bytes per logit (token x vocabulary entry)", ge=0, le=1000, plausible=(0, 32))

# ------------------------------------------------------------------------------------------ workload and economics
REQUESTS_PER_DAY = Bounds("requests per day", ge=0, plausible=(1, 1e11))
TOKENS_PER_REQUEST = Bounds("tokens per request", ge=0, plausible=(1, 100_000_000))
PEAK_TO_AVERAGE = Bounds("a ratio of peak to average load (>= 1)", ge=1, le=1_000_000, plausible=(1, 100))
MONTHLY_GROWTH = Bounds("a fraction per month (0.05 = +5%)", ge=-0.99, le=10.0, plausible=(-0.5, 1.0), above="a percentage (5% is 0.05)")
TPOT_MS = Bounds("milliseconds per output token", gt=0, plausible=(1, 60_000), below="seconds")
PUE = Bounds("a ratio of facility to IT power (>= 1)", ge=1, le=100, plausible=(1, 3))
LIFETIME_MONTHS = Bounds("months", ge=1, le=1200, plausible=(6, 240), below="years")
HORIZON_MONTHS = Bounds("months", ge=1, le=1200, plausible=(1, 360))
EVERY_MONTHS = Bounds("months", gt=0, le=1200, plausible=(0.25, 240))
RESALE = fraction("a fraction of the purchase price (0.3 = 30%)", (0.0, 0.9))
DISCOUNT_RATE = Bounds("a fraction per year (0.08 = 8%)", ge=0, le=10, plausible=(0, 0.5), above="a percentage (8% is 0.08)")
SHARE = fraction()
WINDOW_HOURS = Bounds("hours a day", gt=0, le=24, plausible=(0.25, 24), above="minutes")
NETWORK_SHARE = Bounds("a fraction of the GPUs' price (0.1 = 10%)", ge=0, le=0.9, plausible=(0, 0.5))

# ------------------------------------------------------------------------------------------ sizes of a run (docs/reliability.md)
SAMPLES = count("Monte Carlo samples", (1, 100_000_000), le=1e12)
MEMORY_LIMIT_GIB = Bounds("GiB of memory", gt=0, le=1e6, plausible=(0.1, 4096), above="MiB")
SWEEP_ROWS = count("rows", (1, 1e10))
GRID_STEPS = count("steps of a grid range", (1, 1_000_000), le=10_000_000)


ASSUMPTIONS: dict[str, Bounds] = {
    "mfu_single_gpu": MFU, "mfu_nvlink": MFU, "mfu_pcie": MFU,
    "qlora_compute_overhead": OVERHEAD_FACTOR,
    "activation_bytes_per_token_hidden": BYTES_PER_TOKEN_HIDDEN, "checkpoint_bytes_per_token_hidden": BYTES_PER_TOKEN_HIDDEN,
    "optimizer_bytes_per_param": BYTES_PER_PARAM, "trainable_bytes_per_param": BYTES_PER_PARAM,
    "training_overhead_gib": OVERHEAD_GIB, "lora_rank": LORA_RANK, "pretrain_seq_len_max": SEQ_LEN,
    "usable_memory_fraction": fraction("a fraction of GPU memory (0.9 = 90%)", (0.5, 1.0), positive=True),
    "runtime_overhead_gib": OVERHEAD_GIB, "kv_cache_bytes": KV_BYTES,
    "link_efficiency_nvlink": EFFICIENCY, "link_efficiency_pcie_p2p": EFFICIENCY, "link_efficiency_pcie_host": EFFICIENCY,
    "link_latency_us_nvlink": LATENCY_US, "link_latency_us_pcie_p2p": LATENCY_US, "link_latency_us_pcie_host": LATENCY_US,
    "link_hop_latency_us_nvlink": LATENCY_US, "link_hop_latency_us_pcie": LATENCY_US,
    "offload_pcie_efficiency": EFFICIENCY,
    "host_memory_efficiency": EFFICIENCY,
    "adamw_state_bytes_per_param": BYTES_PER_PARAM, "adamw8bit_state_bytes_per_param": BYTES_PER_PARAM,
    "loss_bytes_per_logit_full": BYTES_PER_LOGIT, "loss_bytes_per_logit_chunked": BYTES_PER_LOGIT,
    "loss_bytes_per_logit_fused": BYTES_PER_LOGIT,
    "peak_to_average": PEAK_TO_AVERAGE, "electricity_usd_per_kwh": ELECTRICITY_USD_PER_KWH,
    "electricity_usd_per_kwh_commercial": ELECTRICITY_USD_PER_KWH, "electricity_usd_per_kwh_industrial": ELECTRICITY_USD_PER_KWH,
    "pue": PUE, "pue_datacenter": PUE, "lifetime_months": LIFETIME_MONTHS,
    "resale_fraction": RESALE, "resale_fraction_datacenter": RESALE, "horizon_months": HORIZON_MONTHS,
    "discount_rate": DISCOUNT_RATE, "gpus_per_host": GPUS_PER_HOST,
    "psu_headroom_fraction": fraction("a fraction of the power supply's rating the box may load (0.8 = 80%)", (0.5, 1.0),
                                      positive=True),
    "ops_hours_per_month": OPS_HOURS_PER_MONTH, "ops_usd_per_hour": STAFF_USD_PER_HOUR,
    "colocation_usd_per_kw_month": COLOCATION_USD_PER_KW_MONTH,
    "gpu_annual_failure_rate": fraction("a fraction of GPUs failing per year (0.02 = 2%)", (0.0, 0.3)),
    "spare_gpu_fraction": fraction("a fraction of the cluster's GPUs held as spares (0.02 = 2%)", (0.0, 0.3)),
    "cluster_network_fraction": NETWORK_SHARE, "batch_window_hours": WINDOW_HOURS,
    "serverless_load_gb_per_s": LOAD_GB_PER_S,
    "replica_boundary_margin": fraction("a fraction of a replica's capacity (0.1 = 10%)", (0.0, 0.5)),
    "finetune_dataset_tokens": DATASET_TOKENS, "finetune_epochs": EPOCHS, "finetune_batch": BATCH,
    "finetune_seq_len": SEQ_LEN, "serve_input_tokens": TOKENS_PER_REQUEST, "serve_output_tokens": TOKENS_PER_REQUEST,
    "api_price_decline_per_year": PRICE_DECLINE, "rental_price_decline_per_year": PRICE_DECLINE,
    "gpu_price_decline_per_year": PRICE_DECLINE, "gpu_price_decline_per_year_datacenter": PRICE_DECLINE,
    "quality_material_gap_points": QUALITY_POINTS,
}
"""Every assumption the engine reads, with its bounds; values, rationales and sources live in profiles/assumptions.yaml."""

OPTIONS: dict[str, Bounds] = {
    "gpu_count": GPU_COUNT,
    "pretrain.gpus": GPU_COUNT, "pretrain.tokens": PRETRAIN_TOKENS, "pretrain.seq_len": SEQ_LEN, "pretrain.mfu": MFU,
    "pretrain.usd_per_gpu_hour": USD_PER_GPU_HOUR,
    "finetune.rank": LORA_RANK, "finetune.batch": BATCH, "finetune.seq_len": SEQ_LEN, "finetune.tokens": DATASET_TOKENS,
    "finetune.epochs": EPOCHS, "finetune.mfu": MFU, "finetune.usd_per_gpu_hour": USD_PER_GPU_HOUR,
    "serve.concurrency": CONCURRENCY, "serve.input_tokens": TOKENS_PER_REQUEST, "serve.output_tokens": TOKENS_PER_REQUEST,
    "serve.max_tpot_ms": TPOT_MS,
    "samples": SAMPLES, "max_memory_gib": MEMORY_LIMIT_GIB, "sweep.max_rows": SWEEP_ROWS, "grid.range.num": GRID_STEPS,
}
"""Command-line options that are not a scenario key (`COMMAND.OPTION`, underscores for dashes; `samples` and
`max_memory_gib` for every command that has them), the GPU count in an `NxID` option, and the steps of a grid range."""
