"""Uncertainty: Monte Carlo P10/P50/P90 over ranged inputs, and a tornado of what moves one option most.

- `sampling`: which inputs are ranged, and correlated draws of them;
- `montecarlo`: options x samples through the compare pipeline, quantile rows, Monte Carlo sweeps;
- `tornado`: each ranged input at its low and high end.
"""

from llmcost.uncertainty.montecarlo import (
    MAX_MEMORY_GIB,
    MC_BREAKEVEN_KEYS,
    MC_KEYS,
    METRICS,
    QUANTILES,
    Simulation,
    breakeven_uncertain,
    check_memory,
    compare_uncertain,
    mc_rows,
    quantile_cells,
    sample_columns,
    simulate,
    sweep_samples,
)
from llmcost.uncertainty.sampling import DEFAULT_SEED, draw, draws, uncertain_inputs, with_assumption_ranges, with_assumption_values
from llmcost.uncertainty.tornado import TORNADO_METRICS, UNBOUNDED, Tornado, tornado, tornado_chart

__all__ = ["DEFAULT_SEED", "MAX_MEMORY_GIB", "MC_BREAKEVEN_KEYS", "MC_KEYS", "METRICS", "QUANTILES", "TORNADO_METRICS", "UNBOUNDED", "Simulation",
           "Tornado", "breakeven_uncertain", "check_memory", "compare_uncertain", "draw", "draws", "mc_rows", "quantile_cells", "sample_columns",
           "simulate", "sweep_samples", "tornado", "tornado_chart", "uncertain_inputs", "with_assumption_ranges",
           "with_assumption_values"]
