"""Monte Carlo: P10/P50/P90 of compare's metrics over correlated draws of the ranged inputs.

The samples are rows of the same pipeline that costs one comparison (`llmcost.comparison.evaluate` with
every ranged number an array of draws): options x samples rows through the serving, training and
lifecycle engines. Only the numbers vary between samples; which options exist, how many GPUs an option
without a count gets, and the option notes come from the point estimate.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from llmcost import comparison, options, scenarios
from llmcost.catalog import Catalog
from llmcost.errors import LlmcostError
from llmcost.options import API, Option
from llmcost.render import count, csv_cell
from llmcost.results import DOES_NOT_FIT, NA, NEVER, Table, num, text_column
from llmcost.schema import Scenario, Uncertain
from llmcost.uncertainty.sampling import DEFAULT_SEED, draws, uncertain_inputs, with_assumption_values

QUANTILES = (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))
METRICS = ("monthly_usd", "tco_usd", "breakeven_tokens_per_day", "payback_months")
Row = dict[str, Any]

MAX_MEMORY_GIB = 4.0
"""Memory a Monte Carlo run may take before it is refused (`--max-memory-gib` raises it): the options x samples
rows are costed in one pass, so memory grows with --samples (docs/reliability.md)."""

BYTES_PER_SAMPLE_ROW = 2048
"""Upper bound of the memory one sample of one option takes through the compare pipeline: 620 to 1,700 bytes
measured for the built-in scenarios at horizons of 1 to 600 months with 4,000 samples (the lifecycle engine works in chunks of
rows x months, so the horizon does not multiply it); tests/test_uncertainty.py checks it with tracemalloc."""


def check_memory(samples: int, options: int, limit_gib: float = MAX_MEMORY_GIB) -> None:
    """Refuse, before any work, a Monte Carlo run of `samples` draws of `options` options (the reference API
    included) whose memory estimate exceeds `limit_gib`: one line with the estimate, the most samples that fit,
    and how to raise the limit.

    >>> check_memory(1000, 18)
    >>> check_memory(10_000_000, 18)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    llmcost.errors.LlmcostError: --samples 10,000,000 of 18 options needs about 343 GiB of memory ...; use --samples 116,508 ...
    """
    need = samples * options * BYTES_PER_SAMPLE_ROW
    if need <= limit_gib * 2**30:
        return
    most = int(limit_gib * 2**30 // (options * BYTES_PER_SAMPLE_ROW))
    raise LlmcostError(f"--samples {samples:,} of {options} options needs about {_gib(need)} of memory (2 KiB per sample and "
                       f"option), more than the limit of {limit_gib:g} GiB; "
                       + (f"use --samples {most:,} or fewer, or " if most >= 1 else "")
                       + f"raise the limit with --max-memory-gib {math.ceil(need / 2**30)}")


def _gib(n_bytes: float) -> str:
    gib = n_bytes / 2**30
    return f"{gib:,.0f} GiB" if gib >= 10 else f"{gib:.1f} GiB" if gib >= 0.1 else f"{n_bytes / 2**20:.1f} MiB"

MC_KEYS = ("option", "kind", "model", "fits", "samples",
           *(k for m in METRICS for k in (m, *(f"{m}_{q}" for q, _ in QUANTILES))), "p_cheaper_than_api", "p_fits",
           "quality_score", "quality_benchmark", "notes")
"""Keys of every compare row with --samples, in order (the CSV header)."""


@dataclass
class Simulation:
    """Options x samples results of the lifecycle engine."""

    opts: list[Option]
    shown: int  # the first `shown` options are the comparison's; a last extra one may be the reference API
    results: dict[str, np.ndarray]  # key -> (options, samples)
    fits: np.ndarray  # (options, samples)
    ref: int  # row of the reference API
    samples: int


def simulate(cat: Catalog, sc: Scenario, values: dict[str, np.ndarray], n: int, vs: str | None = None,
             extra_apis: Sequence[str] = ()) -> Simulation:
    """Every option of the scenario costed on the same `n` samples of the ranged inputs (`values`: key ->
    array of n draws; keys not given stay at their point value)."""
    opts = options.build(cat, sc, extra_apis)
    shown = len(opts)
    ref_api = comparison.reference_api(cat, sc, opts, vs)
    ref = next((i for i, o in enumerate(opts) if o.api is not None and o.api.id == ref_api.id), None)
    if ref is None:
        opts.append(Option(API, api=ref_api))
        ref = len(opts) - 1
    point = comparison.gpu_counts(cat, sc, opts, 1)
    counts = {key: np.full(n, float(c[0])) for key, c in point.items()}
    cat_s = with_assumption_values(cat, values)
    sc_s = scenarios.with_values(sc, {k: v for k, v in values.items() if not k.startswith("assumptions.")})
    ev = comparison.evaluate(cat_s, sc_s, opts, n, ref_api.id, counts=counts)  # vs resolved once (cheapest-at-quality)
    k = len(opts)
    return Simulation(opts, shown, {key: v.reshape(k, n) for key, v in ev.res.items()}, ev.fits, ref, n)


def quantile_cells(values: np.ndarray, fits: np.ndarray, q: float, never: bool) -> list[Any]:
    """Per row of `values` (rows x samples), the q-quantile as an output cell: the smallest sample value with at
    least a share q of samples at or below it (inverted CDF, always a value some sample had). "never" (inf)
    ranks above every number and "does not fit" above "never", so a percentile is "never" when more than
    1 - q of the samples never get there.

    >>> quantile_cells(np.array([[1.0, 2.0, np.inf, np.inf]]), np.ones((1, 4), bool), 0.5, True)
    [2]
    >>> quantile_cells(np.array([[1.0, 2.0, np.inf, np.inf]]), np.ones((1, 4), bool), 0.9, True)
    ['never']
    """
    n = values.shape[1]
    k = min(max(math.ceil(round(q * n, 9)) - 1, 0), n - 1)
    v = np.sort(np.where(fits, values, np.nan), axis=1)[:, k]
    out: list[Any] = []
    for x in v.tolist():
        out.append(DOES_NOT_FIT if math.isnan(x) else (NEVER if never else NA) if math.isinf(x) else num(x))
    return out


def mc_rows(sim: Simulation, point_rows: list[Row], extra: dict[str, Any] | None = None) -> list[Row]:
    """Compare rows with P10/P50/P90 of each metric and the probability of beating the reference API."""
    shown = sim.shown
    kinds = [r["kind"] for r in point_rows]
    cells: dict[str, list[Any]] = {}
    for metric in METRICS:
        never = metric in ("breakeven_tokens_per_day", "payback_months")
        for name, q in QUANTILES:
            cells[f"{metric}_{name}"] = quantile_cells(sim.results[metric][:shown], sim.fits[:shown], q, never)
    tco, fits = sim.results["tco_usd"], sim.fits
    ref_fits = fits[sim.ref]
    cheaper = (fits[:shown] & (~ref_fits | (tco[:shown] < tco[sim.ref]))).mean(axis=1)
    p_fits = fits[:shown].mean(axis=1)
    rows = []
    for i, point in enumerate(point_rows):
        row: Row = {"option": point["option"], "kind": point["kind"], "model": point["model"], "fits": point["fits"],
                    **(extra or {}), "samples": sim.samples}
        for metric in METRICS:
            row[metric] = point[metric]
            for name, _ in QUANTILES:
                cell = cells[f"{metric}_{name}"][i]
                api_state = kinds[i] == "api" and metric in ("breakeven_tokens_per_day", "payback_months")
                row[f"{metric}_{name}"] = (NA if point["fits"] else point[metric]) if api_state else cell
        row["p_cheaper_than_api"] = NA if kinds[i] == "api" else num(cheaper[i])
        row["p_fits"] = num(p_fits[i])
        row["quality_score"], row["quality_benchmark"] = point["quality_score"], point["quality_benchmark"]
        row["notes"] = point["notes"]
        rows.append(row)
    return rows


def summary(ranged: dict[str, Uncertain], n: int, seed: int) -> str:
    names = ", ".join(k.removeprefix("assumptions.") for k in ranged) or "none"
    return f"{count(n, 'sample')} (seed {seed}) of {count(len(ranged), 'ranged input')}: {names}."


def _money(v: Any) -> str:
    return f"${v:,.0f}" if isinstance(v, (int, float)) else str(v)


def _months(v: Any) -> str:
    return f"{v:.1f} mo" if isinstance(v, (int, float)) else str(v)


def rows_table(rows: list[Row], keys: Sequence[str]) -> Table:
    """Rows whose cells are already output values (quantiles, states) as a Table of object columns."""
    return Table({k: text_column([r.get(k) for r in rows]) for k in keys})


def compare_uncertain(cat: Catalog, sc: Scenario, samples: int, seed: int = DEFAULT_SEED, vs: str | None = None,
                      extra_apis: Sequence[str] = (), max_memory_gib: float = MAX_MEMORY_GIB) -> comparison.Comparison:
    """`compare` with P10/P50/P90 columns over `samples` correlated draws of the ranged inputs (refused before any
    work when its memory estimate exceeds `max_memory_gib`)."""
    check_memory(samples, len(options.build(cat, sc, extra_apis)) + 1, max_memory_gib)
    point = comparison.compare(cat, sc, vs, extra_apis)
    ranged = uncertain_inputs(cat, sc)
    sim = simulate(cat, sc, draws(ranged, samples, seed), samples, vs, extra_apis)
    rows = mc_rows(sim, point.rows())
    lines = [point.verdict, summary(ranged, samples, seed)]
    own = [r for r in rows if r["kind"] == "own" and r["fits"] and isinstance(r["tco_usd"], (int, float))]
    if own:
        best = min(own, key=lambda r: r["tco_usd"])
        lines.append(f"{best['option']} costs less than {point.reference} over the horizon in {best['p_cheaper_than_api']:.0%} "
                     f"of samples; its TCO P10-P90 is {_money(best['tco_usd_p10'])} to {_money(best['tco_usd_p90'])}, "
                     f"payback P10/P50/P90 {_months(best['payback_months_p10'])} / {_months(best['payback_months_p50'])} / "
                     f"{_months(best['payback_months_p90'])}.")
    return comparison.Comparison(rows_table(rows, MC_KEYS), " ".join(lines), point.reference, point.months, point.cumulative,
                                 point.cumulative_flat)


MC_BREAKEVEN_KEYS = ("option", "kind", "api", "fits", "samples",
                     *(k for m in ("breakeven_tokens_per_day", "payback_months", "monthly_usd")
                       for k in (m, *(f"{m}_{q}" for q, _ in QUANTILES))), "api_monthly_usd", "p_cheaper_than_api", "p_fits")


def breakeven_uncertain(cat: Catalog, sc: Scenario, samples: int, seed: int = DEFAULT_SEED,
                        apis: Sequence[str] = (), max_memory_gib: float = MAX_MEMORY_GIB) -> Table:
    """`breakeven` with P10/P50/P90 of break-even volume and payback, every API on the same draws (one API at a
    time: the memory of one compare with `samples`)."""
    check_memory(samples, len(options.build(cat, sc, apis)) + 1, max_memory_gib)
    ranged = uncertain_inputs(cat, sc)
    values = draws(ranged, samples, seed)
    out = []
    for api_id, point in comparison.against_each_api(cat, sc, apis).items():
        sim = simulate(cat, sc, values, samples, api_id, apis)
        point_rows = point.rows()
        api_month = next(a["monthly_usd"] for a in point_rows if a["option"] == f"api {api_id}")
        for r in mc_rows(sim, point_rows, {"api": api_id}):
            if r["kind"] == "api":
                continue
            out.append({**r, "api_monthly_usd": api_month})
    return rows_table(out, MC_BREAKEVEN_KEYS)


# ---------------------------------------------------------------------------------------------- sweeps


def sample_columns(grids: Sequence[Any]) -> list[str]:
    """Output columns of `sweep --samples`: the grid keys, then the Monte Carlo compare keys."""
    keys = list(dict.fromkeys(k for g in grids for k in g.keys))
    return (["grid"] if len(grids) > 1 else []) + keys + list(MC_KEYS)


def sweep_samples(cat: Catalog, grids: Sequence[Any], out: IO[str], fmt: str, samples: int, seed: int,
                  columns: Sequence[str] | None = None, sets: Any = None, vs: str | None = None,
                  where: str | None = None, fail_if: str | None = None, max_memory_gib: float = MAX_MEMORY_GIB) -> Any:
    """`sweep --samples`: every grid combination through `compare --samples` (the same draws for every
    combination: common random numbers across the grid too), rows streamed as they come. Each
    combination runs its own Monte Carlo, so this path is for grids of hundreds, not millions."""
    from llmcost.sweeps import Result, cell_value, check_condition  # the sweep machinery only for sweeps

    every = sample_columns(grids)
    cols = list(columns) if columns else every
    keep = check_condition(where, every, "--where") if where else None
    trip = check_condition(fail_if, every, "--fail-if") if fail_if else None
    base = scenarios.as_overrides(sets)
    result = Result()
    first = True
    if fmt == "json":
        out.write("[")
    for g in grids:
        for steps in itertools.product(*(a.values for a in g.axes)):
            assignments = [(k, v) for a, step in zip(g.axes, steps, strict=True) for k, v in zip(a.keys, step, strict=True)]
            where_text = ", ".join(f"{k}={cell_value(v)}" for k, v in assignments)
            try:
                sc = scenarios.resolve(cat, g.base, {**base, **dict(assignments)})
                comp = compare_uncertain(cat, sc, samples, seed, vs, max_memory_gib=max_memory_gib)
            except LlmcostError as e:
                raise LlmcostError(f"{g.path}: {where_text or 'base scenario'}: {e}") from None
            for r in comp.rows():
                row = {"grid": g.path, **{k: cell_value(v) for k, v in assignments}, **r}
                if keep is not None and not keep(row):
                    continue
                if trip is not None and trip(row):
                    result.tripped += 1
                    if len(result.tripped_names) < 10:
                        result.tripped_names.append(f"{row['option']} at {where_text or 'base'}")
                _write_row({c: row.get(c) for c in cols}, out, fmt, first)
                first = False
                result.rows += 1
    if fmt == "json":
        out.write("\n]\n" if not first else "]\n")
    if fmt == "csv" and first:  # no row matched --where: the header still says what the columns are
        csv.writer(out, lineterminator="\n").writerow([csv_cell(c) for c in cols])
    return result


def _write_row(row: dict[str, Any], out: IO[str], fmt: str, first: bool) -> None:
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        if first:
            writer.writerow([csv_cell(c) for c in row])
        writer.writerow([csv_cell(v) for v in row.values()])
    else:
        text = json.dumps(row, allow_nan=False)
        out.write(text + "\n" if fmt == "jsonl" else ("\n" if first else ",\n") + text)
