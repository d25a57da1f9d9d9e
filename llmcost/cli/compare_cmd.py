"""`llmcost compare` and `llmcost breakeven`."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from llmcost import api, gate, prices, uncertainty
from llmcost.cli.charts import check_plot, terminal_chart, terminal_volume_chart, volume_curves, write_plot
from llmcost.cli.common import (
    ApiOpt,
    ColumnsOpt,
    FormatOpt,
    GpuOpt,
    MaxPriceAgeOpt,
    OutputOpt,
    ProfilesOpt,
    ScenarioModelOpt,
    ScenarioOpt,
    ScenarioSetOpt,
    WideOpt,
    check_format,
    emit,
    gate_columns,
    gate_keys,
    inputs,
    pick_columns,
    scenario_inputs,
)
from llmcost.comparison import BREAKEVEN_KEYS, ROW_KEYS
from llmcost.comparison import explain as explain_comparison
from llmcost.errors import GateFailed

FailIfOpt = Annotated[str | None, typer.Option("--fail-if", help="Exit 1 when a row matches, e.g. 'kind == \"own\" and payback_months > 18'.")]

SamplesOpt = Annotated[str | None, typer.Option("--samples", metavar="N", help="Monte Carlo: N correlated draws of every ranged input; "
                                                "adds P10/P50/P90 columns and p_cheaper_than_api.")]
MaxMemoryOpt = Annotated[str | None, typer.Option("--max-memory-gib", metavar="GIB", help="Refuse a --samples run whose memory "
                                                  f"estimate is above this (default {uncertainty.MAX_MEMORY_GIB:g}).")]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Random seed for --samples (same seed, same output).")]
MC_TABLE_COLUMNS = ("option", "kind", "tco_usd_p50", "payback_months_p50", "p_cheaper_than_api", "tco_usd_p10", "tco_usd_p90",
                    "payback_months_p10", "payback_months_p90", "breakeven_tokens_per_day_p50", "fits")
MC_BREAKEVEN_COLUMNS = ("option", "api", "payback_months_p50", "breakeven_tokens_per_day_p50", "p_cheaper_than_api",
                        "payback_months_p10", "payback_months_p90", "breakeven_tokens_per_day_p10", "breakeven_tokens_per_day_p90",
                        "fits")

TABLE_COLUMNS = ("option", "kind", "monthly_usd", "tco_usd", "payback_months", "breakeven_tokens_per_day", "capex_usd", "usd_per_mtok",
                 "fits", "replicas", "gpus_per_replica", "utilization", "tpot_s")
"""compare's table, most important first: a narrow terminal drops columns from the end (render.write_table)."""


def _gate(rows: list[dict[str, Any]], fail_if: str | None) -> None:
    if not fail_if:
        return
    check = gate.parse(fail_if, gate_columns(rows))
    tripped = [r for r in rows if check(r)]
    if tripped:
        names = ", ".join(str(r.get("option")) + (f" vs {r['api']}" if "api" in r else "") for r in tripped)
        raise GateFailed(f"--fail-if {fail_if!r} matched {len(tripped)} row(s): {names}")


def compare_command(scenario_id: ScenarioOpt = None, model: ScenarioModelOpt = None, gpu: GpuOpt = None, api_ids: ApiOpt = None,
                    vs: Annotated[str | None, typer.Option("--vs", help="Reference API for break-even and payback (default: the scenario's first).")] = None,
                    sets: ScenarioSetOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
                    chart: Annotated[bool, typer.Option("--chart", help="Draw cumulative cost per option in the terminal (stderr when not a table).")] = False,
                    plot: Annotated[str | None, typer.Option("--plot", help="Write the charts to FILE.png or FILE.svg (needs the 'plot' extra).")] = None,
                    explain: Annotated[bool, typer.Option("--explain", help="Show the scenario values and assumptions used.")] = False,
                    fail_if: FailIfOpt = None, profiles: ProfilesOpt = None,
                    max_price_age_days: MaxPriceAgeOpt = prices.DEFAULT_MAX_PRICE_AGE_DAYS,
                    samples_text: SamplesOpt = None, seed: SeedOpt = uncertainty.DEFAULT_SEED,
                    columns: ColumnsOpt = None, wide: WideOpt = False, max_memory_gib: MaxMemoryOpt = None) -> None:
    """One row per option (own N x GPU, rent offer, API): capex, monthly, $ per 1M tokens, TCO, break-even, payback."""
    fmt = check_format(fmt, output, inputs=inputs(scenario_id, profiles))  # format, --output, --columns before any work
    samples = None if samples_text is None else api.samples_count(samples_text)
    memory = api.memory_limit_gib(max_memory_gib)
    pick_columns(columns, uncertainty.MC_KEYS if samples else ROW_KEYS)
    if plot:
        check_plot(plot)
    cat, sc = scenario_inputs(profiles, scenario_id, sets, model, gpu, api_ids)
    if fail_if:
        gate.parse(fail_if, gate_keys(uncertainty.MC_KEYS if samples else ROW_KEYS))  # reject a bad gate before computing
    result = api.compare(sc, vs=vs, samples=samples, seed=seed, catalog=cat, max_memory_gib=memory)
    priced = prices.scenario_api_ids(cat, sc, vs)
    prices.warn_if_stale(cat, prices.scenario_prices(cat, sc, vs), max_price_age_days)
    rows = result.rows()
    if fail_if:
        gate.parse(fail_if, gate_columns(rows))  # and a value the rows never hold before writing anything
    footer = result.verdict
    volume = volume_curves(cat, sc, vs) if chart or plot else None
    charts = f"{terminal_chart(result)}\n\n{terminal_volume_chart(*volume)}" if chart and volume else ""
    if chart and fmt == "table":
        footer = footer + "\n\n" + charts
    emit(rows, fmt, output, title=f"{sc.name}: {sc.serving.model} ({sc.serving.quantization}), vs {result.reference}",
         footer=footer, explanation=explain_comparison(cat, sc, result) + prices.price_lines(cat, priced) if explain else None,
         table=MC_TABLE_COLUMNS if samples else TABLE_COLUMNS, columns=columns, wide=wide, inputs=inputs(scenario_id, profiles))
    if fmt != "table":
        sys.stderr.write(result.verdict + "\n")
        if chart:
            sys.stderr.write(charts + "\n")
    if plot:
        write_plot(result, plot, volume)
    _gate(rows, fail_if)


def breakeven_command(scenario_id: ScenarioOpt = None, model: ScenarioModelOpt = None, gpu: GpuOpt = None, api_ids: ApiOpt = None,
                      sets: ScenarioSetOpt = None, fmt: FormatOpt = None, output: OutputOpt = None, fail_if: FailIfOpt = None,
                      profiles: ProfilesOpt = None, max_price_age_days: MaxPriceAgeOpt = prices.DEFAULT_MAX_PRICE_AGE_DAYS,
                      samples_text: SamplesOpt = None, seed: SeedOpt = uncertainty.DEFAULT_SEED,
                      columns: ColumnsOpt = None, wide: WideOpt = False, max_memory_gib: MaxMemoryOpt = None) -> None:
    """Break-even table: own and rent options x APIs; cells are break-even tokens/day and payback months."""
    fmt = check_format(fmt, output, inputs=inputs(scenario_id, profiles))  # format and --output before any work
    samples = None if samples_text is None else api.samples_count(samples_text)
    memory = api.memory_limit_gib(max_memory_gib)
    pick_columns(columns, uncertainty.MC_BREAKEVEN_KEYS if samples else BREAKEVEN_KEYS)
    if fail_if:
        gate.parse(fail_if, gate_keys(uncertainty.MC_BREAKEVEN_KEYS if samples else BREAKEVEN_KEYS))  # before computing
    cat, sc = scenario_inputs(profiles, scenario_id, sets, model, gpu, api_ids)
    rows = api.breakeven(sc, samples=samples, seed=seed, catalog=cat, max_memory_gib=memory).rows()
    if fail_if:
        gate.parse(fail_if, gate_columns(rows))
    prices.warn_if_stale(cat, prices.scenario_prices(cat, sc), max_price_age_days)
    if fmt == "table" and samples:
        emit(rows, fmt, output, title=f"{sc.name}: break-even tokens/day and payback months, P10/P50/P90 of {samples:,} samples "
             f"(seed {seed})", table=MC_BREAKEVEN_COLUMNS, columns=columns, wide=wide, inputs=inputs(scenario_id, profiles))
    elif fmt == "table" and not columns:  # --columns picks from the long rows, so it shows them rather than the pivot
        emit(pivot(rows), fmt, output, title=f"{sc.name}: break-even tokens/day | payback months", wide=wide,
             inputs=inputs(scenario_id, profiles))
    else:  # the keys name the CSV header when no own or rent option is left to pair with an API
        emit(rows, fmt, output, columns=columns, wide=wide, inputs=inputs(scenario_id, profiles),
             table=uncertainty.MC_BREAKEVEN_KEYS if samples else BREAKEVEN_KEYS)
    _gate(rows, fail_if)


def pivot(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Long rows -> one row per option, one column per API, cells 'volume | months' (table format only)."""
    from llmcost.render import human

    table: dict[str, dict[str, Any]] = {}
    for r in rows:
        line = table.setdefault(r["option"], {"option": r["option"]})
        be, pb = r["breakeven_tokens_per_day"], r["payback_months"]
        line[r["api"]] = f"{human(be)} | {human(pb) if isinstance(pb, str) else f'{pb:.1f}'}"
    return list(table.values())
