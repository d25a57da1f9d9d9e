"""Engine efficiencies fitted to measured runs by inverting the serving engine numerically.

The fit never restates a serving formula: it calls `llmcost.engine.serving.serve` at each measured shape
with candidate efficiencies and bisects until the engine's figure equals the measured one, so a calibration
stays right when the physics changes (overheads, tensor-parallel communication, ...): only its numbers must
be refitted, by running `llmcost calibrate` again on the same files.

Which efficiency a measurement sets (`knob`): prefill speed and time to first token set prefill_efficiency;
decode speed and output throughput set bandwidth_efficiency, or compute_efficiency where the engine says the
step is compute-bound at that shape. The time per output token is not fitted: it is shown beside the fit as
a check. Several measurements of one knob (two models, two prompt lengths) get the geometric mean of their
exact solutions, the least-squares fit in log space; efficiencies that several figures depend on are fitted
in turns until they settle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmcost import inputs
from llmcost.engine import serving
from llmcost.errors import LlmcostError
from llmcost.schema import CALIBRATED_EFFICIENCIES

FITTED = ("prefill_tokens_per_s", "ttft_s", "decode_tokens_per_s", "output_tokens_per_s")
"""Measured quantities that set an efficiency; tpot_s is compared, not fitted."""
FALLING = frozenset({"ttft_s", "tpot_s"})
"""Quantities that fall as an efficiency rises."""
LOWEST = 1e-3
"""Smallest efficiency searched: a run below 0.1% of the roofline did not run on the GPU as described."""
BISECTIONS = 60
PASSES = 8


@dataclass(frozen=True)
class Target:
    """One measured figure at its shape: the serving-engine inputs and the value to reproduce."""

    row: Mapping[str, Any]
    quantity: str
    measured: float
    label: str
    """Where it comes from and what it is, for messages: 'bench.json[1] (llama-2-7b tg128)'."""


def predict(targets: Sequence[Target], knobs: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The serving engine at every target's shape with these efficiencies (scalars, or arrays over targets)."""
    rows = [{**t.row, **{k: v if np.ndim(v) == 0 else v[i] for k, v in knobs.items()}} for i, t in enumerate(targets)]
    return serving.serve(inputs.stack(rows))


def knob(target: Target, out: Mapping[str, np.ndarray], i: int) -> str:
    """The efficiency this figure sets, given where the engine puts the step at the current efficiencies."""
    if target.quantity in ("prefill_tokens_per_s", "ttft_s"):
        return "prefill_efficiency"
    return "compute_efficiency" if bool(out["compute_bound"][i]) else "bandwidth_efficiency"


def fit(targets: Sequence[Target], start: Mapping[str, float]) -> dict[str, float]:
    """Efficiencies (only those some target sets) that make the engine reproduce the targets; `start` is
    the engine's own values, used for the efficiencies no target sets."""
    check_shapes(targets, start)
    knobs = dict(start)
    fitted: set[str] = set()
    for _ in range(PASSES):
        before = dict(knobs)
        for name in CALIBRATED_EFFICIENCIES:
            out = predict(targets, knobs)
            mine = [t for i, t in enumerate(targets) if t.quantity in FITTED and knob(t, out, i) == name]
            if mine:
                knobs[name] = float(np.exp(np.mean(np.log(solve(mine, name, knobs)))))
                fitted.add(name)
        if all(abs(knobs[k] / before[k] - 1.0) < 1e-9 for k in knobs):
            break
    return {k: v for k, v in knobs.items() if k in fitted}


def check_shapes(targets: Sequence[Target], knobs: Mapping[str, float]) -> None:
    """Each measured shape must fit in memory at the concurrency it ran at (never a silent cut)."""
    out = predict(targets, knobs)
    for i, t in enumerate(targets):
        asked = float(t.row["concurrency"])
        if not out["fits"][i] or out["concurrency"][i] != asked:
            most = int(out["max_concurrency"][i])
            raise LlmcostError(f"{t.label}: {asked:g} sequences of {t.row['input_tokens'] + t.row['output_tokens']:.0f} tokens "
                               f"do not fit llmcost's memory model of this GPU (at most {most}); check --gpu and the model")


def solve(targets: Sequence[Target], name: str, knobs: Mapping[str, float]) -> np.ndarray:
    """For each target, the value of efficiency `name` at which the engine gives the measured figure (the
    other efficiencies as in `knobs`): bisection in log space between LOWEST and 1."""
    n = len(targets)
    measured = np.array([t.measured for t in targets])
    falling = np.array([t.quantity in FALLING for t in targets])

    def gap(e: np.ndarray) -> np.ndarray:
        out = predict(targets, {**knobs, name: e})
        value = np.array([out[t.quantity][i] for i, t in enumerate(targets)])
        rising: np.ndarray = np.where(falling, measured - value, value - measured)  # rises with e
        return rising

    lo, hi = np.full(n, LOWEST), np.ones(n)
    g_lo, g_hi = gap(lo), gap(hi)
    for i, t in enumerate(targets):
        if g_hi[i] == g_lo[i]:
            raise LlmcostError(f"{t.label}: the estimate does not depend on {name} at this shape, so the run cannot set it")
        if g_hi[i] < 0:
            best = measured[i] - g_hi[i] if not falling[i] else measured[i] + g_hi[i]
            raise LlmcostError(f"{t.label}: {measured[i]:,.4g} measured is beyond what this GPU reaches at 100% {name} "
                               f"({best:,.4g}); check the GPU, the model and the weight format")
        if g_lo[i] > 0:
            raise LlmcostError(f"{t.label}: {measured[i]:,.4g} measured is below {LOWEST:.1%} {name}; "
                               "did the run use the GPU it names?")
    for _ in range(BISECTIONS):
        mid = np.sqrt(lo * hi)
        up = gap(mid) < 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    result: np.ndarray = np.sqrt(lo * hi)
    return result
