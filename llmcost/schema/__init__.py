"""The profile schema: typed records, their validation and their JSON Schema, from one description.

Each record (`records`) is a frozen dataclass whose fields carry a `Spec` (`fields`). `build()`
(`validate`) checks a YAML mapping against it and collects every problem as `path:line: key.path:
message`; numbers may be written as ranges (`ranges.Uncertain`); `json_schema.json_schema()` turns the
same specs into a JSON Schema for editors (imported only by `llmcost profiles schema`).
"""

from llmcost.schema.checks import Problems, check_number, describe
from llmcost.schema.fields import (
    DATE_RE,
    ID_RE,
    MAX_VALUE,
    Spec,
    spec_of,
    yaml_key,
)
from llmcost.schema.ranges import RANGE_SHAPES, Z90, Uncertain, parse_range, spec_bounds
from llmcost.schema.records import (
    ALL_KINDS,
    ASSUMPTION_BOUNDS,
    KINDS,
    RANGE_RECORDS,
    Api,
    Assumption,
    ContextTier,
    Economics,
    Engine,
    FinetuneRun,
    Gpu,
    Host,
    Lifecycle,
    Model,
    Options,
    PretrainRun,
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
    "ALL_KINDS", "ASSUMPTION_BOUNDS", "DATE_RE", "ID_RE", "KINDS", "MAX_VALUE", "RANGE_RECORDS", "RANGE_SHAPES", "Z90",
    "Api", "Assumption", "ContextTier", "Economics", "Engine", "FinetuneRun", "Gpu", "Host", "Lifecycle", "Model", "Options",
    "PretrainRun", "Problems", "Quantization", "Rental", "Reported", "Scenario", "Serving", "Spec", "Uncertain", "Workload",
    "assumption_bounds", "build", "check_number", "describe", "numeric_fields", "parse_range", "spec_bounds", "spec_of",
    "uncovered_numbers", "yaml_key",
]
