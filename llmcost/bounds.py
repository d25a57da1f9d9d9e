"""Any number llmcost reads, looked up by dotted key in the one bounds table (`llmcost.schema.quantities`).

Keys: profile fields by kind (`gpus.power_w`, `models.reported.mfu`, `engines.bandwidth_efficiency`),
scenario keys (`workload.requests_per_day`, `economics.pue`, `lifecycle.finetune.rank`), assumptions
(`assumptions.pue`) and command-line options that are not a scenario key (`finetune.rank`, `serve.concurrency`,
`gpu_count` for the N of an NxID option).

>>> check("economics.pue", 1.2)
1.2
>>> check("finetune.rank", 0, what="--rank")
Traceback (most recent call last):
...
llmcost.errors.LlmcostError: --rank: expected an integer >= 1 and <= 1e+06, got 0
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from typing import Any

from llmcost.errors import ImplausibleValue, LlmcostError
from llmcost.schema import KINDS, Bounds, Scenario, check_number, spec_of, yaml_key
from llmcost.schema.quantities import ASSUMPTIONS, OPTIONS


def _walk(cls: Any, prefix: str, out: dict[str, Bounds]) -> None:
    for f in dataclasses.fields(cls):
        spec = spec_of(f)
        key = prefix + yaml_key(f)
        if spec.type in ("record", "records"):
            _walk(spec.record, key + ".", out)
        elif spec.bounds is not None and spec.type in ("num", "int", "num_map"):
            out[key] = spec.bounds


@functools.cache
def table() -> dict[str, Bounds]:
    """Every key with its bounds: profile fields, scenario keys, assumptions and command-line options."""
    out: dict[str, Bounds] = {}
    for kind, cls in KINDS.items():
        _walk(cls, kind + ".", out)
    _walk(Scenario, "", out)
    out.update({f"assumptions.{name}": b for name, b in ASSUMPTIONS.items()})
    out.update(OPTIONS)
    return out


def lookup(key: str) -> Bounds:
    """The bounds of `key` (KeyError for a key that is not in the table: a bug, not a user's mistake)."""
    return table()[key]


def check(key: str, value: float, what: str | None = None) -> float:
    """`value` when it is valid for `key`; LlmcostError (one line, naming `what`, default the key) when it is
    not; an ImplausibleValue warning naming the unit expected when it is valid but outside the plausible range."""
    bounds = lookup(key)
    name = what or key
    reason = check_number(value, bounds, integer_only=False)
    if reason:
        raise LlmcostError(f"{name}: {reason}")
    message = bounds.implausible(value)
    if message:
        warnings.warn(f"{name} = {value:g}: {message}", ImplausibleValue, stacklevel=2)
    return value
