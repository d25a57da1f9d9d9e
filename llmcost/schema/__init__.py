"""The profile schema: typed records, their validation and their JSON Schema, from one description.

Each record (`records`) is a frozen dataclass whose fields carry a `Spec` (`fields`). `build()`
(`validate`) checks a YAML mapping against it and collects every problem as `path:line: key.path:
message`; numbers may be written as ranges (`ranges.Uncertain`); `json_schema.json_schema()` turns the
same specs into a JSON Schema for editors (imported only by `llmcost profiles schema`).
"""

from llmcost.numbers import MAX_VALUE
from llmcost.schema.checks import Problems, check_number, describe
from llmcost.schema.fields import (
    DATE_RE,
    ID_RE,
    Spec,
    spec_of,
    yaml_key,
)
from llmcost.schema.quantities import ASSUMPTIONS, Bounds
from llmcost.schema.ranges import RANGE_SHAPES, Z90, Uncertain, parse_range, spec_bounds
from llmcost.schema.records import (
    ALL_KINDS,
    BENCHMARKS,
    CALIBRATED_EFFICIENCIES,
    CALIBRATED_QUANTITIES,
    KINDS,
    RANGE_RECORDS,
    Api,
    Assumption,
    Calibration,
    ContextTier,
    Economics,
    Engine,
    FinetuneRun,
    Gpu,
    Host,
    Lifecycle,
    MeasuredRun,
    Model,
    Options,
    PretrainRun,
    QualityScore,
    Quantization,
    Rental,
    Reported,
    Scenario,
    Serving,
    Workload,
    assumption_bounds,
)
from llmcost.schema.validate import build, numeric_fields, uncovered_numbers

__all__ = [
    "ALL_KINDS", "ASSUMPTIONS", "BENCHMARKS", "Bounds", "CALIBRATED_EFFICIENCIES", "CALIBRATED_QUANTITIES", "DATE_RE", "ID_RE",
    "KINDS", "MAX_VALUE", "RANGE_RECORDS", "RANGE_SHAPES", "Z90",
    "Api", "Assumption", "Calibration", "ContextTier", "Economics", "Engine", "FinetuneRun", "Gpu", "Host", "Lifecycle",
    "MeasuredRun", "Model", "Options", "PretrainRun", "Problems", "QualityScore", "Quantization", "Rental", "Reported", "Scenario",
    "Serving", "Spec", "Uncertain", "Workload",
    "assumption_bounds", "build", "check_number", "describe", "numeric_fields", "parse_range", "spec_bounds", "spec_of",
    "uncovered_numbers", "yaml_key",
]
