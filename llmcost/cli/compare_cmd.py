"""`llmcost compare` and `llmcost breakeven`."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from llmcost import api, gate, options, price_trace, prices, render
from llmcost.catalog import Catalog
from llmcost.cli.charts import check_plot, terminal_chart, terminal_trend_chart, terminal_volume_chart, volume_curves, write_plot
from llmcost.cli.common import (
    ApiOpt,
    ColumnsOpt,
    FormatOpt,
    GpuOpt,
    HostsOpt,
    MaxPriceAgeOpt,
    MinQualityOpt,
    OutputOpt,
    ProfilesOpt,
    ScenarioModelOpt,
    ScenarioOpt,
    ScenarioSetOpt,
    ScenarioUsedOpt,
    WideOpt,
    check_format,
    emit,
    fail_if_matched,
    gate_columns,
    gate_keys,
    inputs,
    pick_columns,
    scenario_inputs,
)
from llmcost.compare_explain import explain as explain_comparison
from llmcost.comparison import BREAKEVEN_KEYS, ROW_KEYS, Comparison, economics
from llmcost.schema import Scenario
from llmcost.uncertainty.montecarlo import MAX_MEMORY_GIB, MC_BREAKEVEN_KEYS, MC_KEYS
from llmcost.uncertainty.sampling import DEFAULT_SEED

FailIfOpt = Annotated[str | None, typer.Option("--fail-if", help="Exit 1 when a row matches, e.g. 'kind == \"own\" and payback_months > 18'.")]

SamplesOpt = Annotated[str | None, typer.Option("--samples", metavar="N", help="Monte Carlo: N correlated draws of every ranged input; "
                                                "adds P10/P50/P90 columns and p_cheaper_than_api.")]
MaxMemoryOpt = Annotated[str | None, typer.Option("--max-memory-gib", metavar="GIB", help="Refuse a --samples run whose memory "
                                                  f"estimate is above this (default {MAX_MEMORY_GIB:g}).")]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Random seed for --samples (same seed, same output).")]
VsOpt = Annotated[str | None, typer.Option("--vs", help="Reference API for break-even and payback (default: the scenario's first), "
                                           "or cheapest-at-quality: the cheapest API option scoring at least --min-quality "
                                           "(default: the served model's score).")]
MC_TABLE_COLUMNS = ("option", "kind", "tco_usd_p50", "payback_months_p50", "p_cheaper_than_api", "tco_usd_p10", "tco_usd_p90",
                    "payback_months_p10", "payback_months_p90", "breakeven_tokens_per_day_p50", "fits")
MC_BREAKEVEN_COLUMNS = ("option", "api", "payback_months_p50", "breakeven_tokens_per_day_p50", "p_cheaper_than_api",
                        "payback_months_p10", "payback_months_p90", "breakeven_tokens_per_day_p10", "breakeven_tokens_per_day_p90",
                        "fits")

TABLE_COLUMNS = ("option", "monthly_usd", "tco_usd", "payback_months", "breakeven_tokens_per_day", "capex_usd", "usd_per_mtok",
                 "fits", "replicas", "gpus_per_replica", "peak_utilization", "tpot_s", "quality_score")
"""compare's table, most important first: a narrow terminal drops columns from the end (render.write_table)."""


def compare_command(scenario_id: ScenarioOpt = None, model: ScenarioModelOpt = None, gpu: GpuOpt = None, api_ids: ApiOpt = None,
                    hosts: HostsOpt = None, used: ScenarioUsedOpt = False, vs: VsOpt = None, min_quality: MinQualityOpt = None,
                    sets: ScenarioSetOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
                    chart: Annotated[bool, typer.Option("--chart", help="Draw cumulative cost per option, with the price trends and "
                                                        "with flat prices, in the terminal (stderr when not a table).")] = False,
                    plot: Annotated[str | None, typer.Option("--plot", help="Write the charts (with and without price trends) to "
                                                             "FILE.png or FILE.svg (needs the 'plot' extra).")] = None,
                    explain: Annotated[bool, typer.Option("--explain", help="Show the scenario values and assumptions used.")] = False,
                    fail_if: FailIfOpt = None, profiles: ProfilesOpt = None,
                    max_price_age_days: MaxPriceAgeOpt = prices.DEFAULT_MAX_PRICE_AGE_DAYS,
                    samples_text: SamplesOpt = None, seed: SeedOpt = DEFAULT_SEED,
                    columns: ColumnsOpt = None, wide: WideOpt = False, max_memory_gib: MaxMemoryOpt = None) -> None:
    """One row per option (own N x GPU, rent offer, API): capex, monthly, $ per 1M tokens, TCO, break-even, payback."""
    fmt = check_format(fmt, output, inputs=inputs(scenario_id, profiles))  # format, --output, --columns before any work
    samples = None if samples_text is None else api.samples_count(samples_text)
    memory = api.memory_limit_gib(max_memory_gib)
    pick_columns(columns, MC_KEYS if samples else ROW_KEYS)
    if plot:
        check_plot(plot)
    cat, sc = scenario_inputs(profiles, scenario_id, sets, model, gpu, api_ids, hosts, used, min_quality)
    if fail_if:
        gate.parse(fail_if, gate_keys(MC_KEYS if samples else ROW_KEYS))  # reject a bad gate before computing
    result = api.compare(sc, vs=vs, samples=samples, seed=seed, catalog=cat, max_memory_gib=memory)
    priced = prices.scenario_api_ids(cat, sc, vs)
    prices.warn_if_stale(cat, prices.scenario_prices(cat, sc, vs), max_price_age_days)
    rows = result.rows()
    if fail_if:
        gate.parse(fail_if, gate_columns(rows))  # and a value the rows never hold before writing anything
    footer = result.verdict
    volume = volume_curves(cat, sc, vs) if chart or plot else None
    charts = f"{terminal_chart(result)}\n\n{terminal_trend_chart(result)}\n\n{terminal_volume_chart(*volume)}" if chart and volume else ""
    if chart and fmt == "table":
        footer = footer + "\n\n" + charts
    bench = f", quality = {rows[0]['quality_benchmark']}" if rows and "quality_benchmark" in rows[0] else ""
    emit(rows, fmt, output, title=f"{sc.name}: {sc.serving.model} ({sc.serving.quantization}), vs {result.reference}{bench}",
         footer=footer, explanation=explanation(cat, sc, result, priced, vs) if explain else None,
         table=MC_TABLE_COLUMNS if samples else TABLE_COLUMNS, columns=columns, wide=wide, inputs=inputs(scenario_id, profiles))
    if fmt not in ("table", "markdown"):  # a table and Markdown carry the verdict under the rows
        sys.stderr.write(result.verdict + "\n")
        if chart:
            sys.stderr.write(charts + "\n")
    if plot:
        write_plot(result, plot, volume)
    fail_if_matched(rows, fail_if)


def explanation(cat: Catalog, sc: Scenario, result: Comparison, priced: list[str], vs: str | None) -> str:
    """compare --explain: the scenario, formulas and assumptions, then every price used (hardware, then APIs).
    With --samples the hardware prices are shown with the point estimate's replicas and capex."""
    point = result if "capex_usd" in result.columns else api.compare(sc, vs=vs, catalog=cat)
    hardware = price_trace.hardware_lines(cat, sc, options.build(cat, sc), point.rows(), economics(cat, sc))
    return explain_comparison(cat, sc, point) + hardware + prices.price_lines(cat, priced)


def breakeven_command(scenario_id: ScenarioOpt = None, model: ScenarioModelOpt = None, gpu: GpuOpt = None, api_ids: ApiOpt = None,
                      hosts: HostsOpt = None, used: ScenarioUsedOpt = False, min_quality: MinQualityOpt = None,
                      sets: ScenarioSetOpt = None, fmt: FormatOpt = None, output: OutputOpt = None, fail_if: FailIfOpt = None,
                      profiles: ProfilesOpt = None, max_price_age_days: MaxPriceAgeOpt = prices.DEFAULT_MAX_PRICE_AGE_DAYS,
                      samples_text: SamplesOpt = None, seed: SeedOpt = DEFAULT_SEED,
                      columns: ColumnsOpt = None, wide: WideOpt = False, max_memory_gib: MaxMemoryOpt = None) -> None:
    """Break-even table: own and rent options x APIs; cells are break-even tokens/day and payback months."""
    fmt = check_format(fmt, output, inputs=inputs(scenario_id, profiles))  # format and --output before any work
    samples = None if samples_text is None else api.samples_count(samples_text)
    memory = api.memory_limit_gib(max_memory_gib)
    pick_columns(columns, MC_BREAKEVEN_KEYS if samples else BREAKEVEN_KEYS)
    if fail_if:
        gate.parse(fail_if, gate_keys(MC_BREAKEVEN_KEYS if samples else BREAKEVEN_KEYS))  # before computing
    cat, sc = scenario_inputs(profiles, scenario_id, sets, model, gpu, api_ids, hosts, used, min_quality)
    rows = api.breakeven(sc, samples=samples, seed=seed, catalog=cat, max_memory_gib=memory).rows()
    if fail_if:
        gate.parse(fail_if, gate_columns(rows))
    prices.warn_if_stale(cat, prices.scenario_prices(cat, sc), max_price_age_days)
    if fmt == "table" and samples:
        emit(rows, fmt, output, title=f"{sc.name}: break-even tokens/day and payback months, P10/P50/P90 of {render.count(samples, 'sample')} "
             f"(seed {seed})", table=MC_BREAKEVEN_COLUMNS, columns=columns, wide=wide, inputs=inputs(scenario_id, profiles))
    elif fmt == "table" and not columns:  # --columns picks from the long rows, so it shows them rather than the pivot
        emit(pivot(rows), fmt, output, title=f"{sc.name}: break-even tokens/day | payback months", wide=wide,
             inputs=inputs(scenario_id, profiles))
    else:  # the keys name the CSV header when no own or rent option is left to pair with an API
        emit(rows, fmt, output, columns=columns, wide=wide, inputs=inputs(scenario_id, profiles),
             table=MC_BREAKEVEN_KEYS if samples else BREAKEVEN_KEYS)
    fail_if_matched(rows, fail_if)


def pivot(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Long rows -> one row per option, one column per API, cells 'volume | months' (table format only)."""
    from llmcost.render import human

    table: dict[str, dict[str, Any]] = {}
    for r in rows:
        line = table.setdefault(r["option"], {"option": r["option"]})
        be, pb = r["breakeven_tokens_per_day"], r["payback_months"]
        worn = " past its life" if "worn out before it has paid" in r.get("notes", "") else ""
        line[r["api"]] = f"{human(be)} | {human(pb) if isinstance(pb, str) else f'{pb:.1f}'}{worn}"
    return list(table.values())
