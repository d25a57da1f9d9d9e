"""Numbers written as ranges (`Uncertain`) for Monte Carlo and sensitivity, and how a range is checked."""

from __future__ import annotations

import math
from typing import Any

from llmcost.errors import key_text
from llmcost.schema.checks import Problems, as_number, check_number, describe
from llmcost.schema.fields import ANY_NUMBER, Spec
from llmcost.schema.quantities import Bounds

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


def spec_bounds(spec: Spec) -> Bounds:
    """The valid and plausible values of a numeric field."""
    return spec.bounds or ANY_NUMBER


def parse_range(value: Any, bounds: Bounds, where: tuple[int, str], out: Problems) -> Uncertain | None:
    """A range mapping ({low, mode, high}, {low, high}, {mean, sd} or {p10, p90}) checked against the field's
    valid range (problems go to `out` as `path:line: key.path: message`) and plausible range (warnings)."""
    line, keypath = where
    if not isinstance(value, dict):
        out.add(line, keypath, f"expected a range {{low, mode, high}}, {{low, high}}, {{mean, sd}} or {{p10, p90}}, "
                               f"got {describe(value)}")
        return None
    shape = tuple(sorted(str(k) for k in value))
    dist = RANGE_SHAPES.get(shape)
    if dist is None:
        out.add(line, keypath, f"a range is {{low, mode, high}} (triangular), {{low, high}} (uniform), {{mean, sd}} "
                               f"(normal) or {{p10, p90}} (lognormal); got {{{', '.join(map(key_text, value))}}}")
        return None
    params: dict[str, float] = {}
    key_lines = getattr(value, "key_lines", {})
    for k, v in ((k, as_number(v)) for k, v in value.items()):
        reason = check_number(v, ANY_NUMBER)
        if reason:
            out.add(key_lines.get(k, line), f"{keypath}.{k}", reason)
            return None
        params[str(k)] = float(v)
    lower, upper, lower_open = bounds.lower, bounds.le, bounds.lower_open
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
                    f"{v:g} is outside the valid range ({bounds.in_words(show_cap=v > upper)})")
            return None
    for k in checked:
        out.check_plausible(key_lines.get(k, line), f"{keypath}.{k}", p[k], bounds)
    return Uncertain.of(dist, params, lower, upper, lower_open)

