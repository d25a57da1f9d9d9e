"""`llmcost sensitivity`: a tornado table of the ranged inputs that move one option's payback (or TCO, or
break-even volume) against the reference API the most."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from llmcost import api, prices, render, uncertainty
from llmcost.cli.common import (
    ApiOpt,
    FormatOpt,
    GpuOpt,
    HostsOpt,
    MaxPriceAgeOpt,
    OutputOpt,
    ProfilesOpt,
    ScenarioModelOpt,
    ScenarioOpt,
    ScenarioSetOpt,
    ScenarioUsedOpt,
    check_format,
    emit,
    inputs,
    scenario_inputs,
)

OptionOpt = Annotated[str | None, typer.Option("--option", help="Option label, e.g. 'own rtx-4090' or 'rent runpod/rtx-4090' "
                                               "(default: the cheapest own option).")]
MetricOpt = Annotated[str | None, typer.Option("--metric", show_default=False, help=(
    "payback_months (the default; tco_usd instead when no input moves a payback that is never), tco_usd or "
    "breakeven_tokens_per_day."))]
VsOpt = Annotated[str | None, typer.Option("--vs", help="Reference API (default: the scenario's first).")]
ChartOpt = Annotated[bool, typer.Option("--chart", help="Draw the tornado as text bars (stderr when not a table).")]


def sensitivity_command(scenario_id: ScenarioOpt = None, model: ScenarioModelOpt = None, gpu: GpuOpt = None, api_ids: ApiOpt = None,
                        hosts: HostsOpt = None, used: ScenarioUsedOpt = False,
                        vs: VsOpt = None, option: OptionOpt = None, metric: MetricOpt = None, sets: ScenarioSetOpt = None,
                        fmt: FormatOpt = None, output: OutputOpt = None, chart: ChartOpt = False,
                        profiles: ProfilesOpt = None,
                        max_price_age_days: MaxPriceAgeOpt = prices.DEFAULT_MAX_PRICE_AGE_DAYS) -> None:
    """Tornado: each ranged input at its low and high end, the others at their mode; sorted by swing."""
    fmt = check_format(fmt, output, inputs=inputs(scenario_id, profiles))  # format and --output before any work
    cat, sc = scenario_inputs(profiles, scenario_id, sets, model, gpu, api_ids, hosts, used)
    t = api.sensitivity(sc, option=option, metric=metric, vs=vs, catalog=cat)
    prices.warn_if_stale(cat, prices.scenario_prices(cat, sc, vs), max_price_age_days)
    base = render.human(t.base, t.metric)
    footer = f"{t.metric} of {t.option} vs {t.reference} with every input at its mode: {base}."
    if t.instead_of:
        footer = (f"{t.instead_of} of {t.option} vs {t.reference} is never with every input at its mode and at either end of "
                  f"each range, so this shows what moves {t.metric} (--metric {t.instead_of} to list the inputs anyway). "
                  + footer)
    if t.no_effect:
        footer += f" No effect: {', '.join(k.removeprefix('assumptions.') for k in t.no_effect)}."
    drawn = uncertainty.tornado_chart(t) if chart else ""
    if chart and fmt == "table":
        footer += "\n\n" + drawn
    emit(t.rows(), fmt, output, title=f"{sc.name}: what moves {t.metric} of {t.option} vs {t.reference}", footer=footer,
         inputs=inputs(scenario_id, profiles),  # a table leads with the swing; other formats keep the rows' order (and header)
         table=[k for k in ("input", f"{t.metric}_swing", f"{t.metric}_at_low", f"{t.metric}_at_high", "low", "mode", "high",
                            "distribution") if k in t.columns] if fmt == "table" else list(t.columns))
    if fmt not in ("table", "markdown"):
        sys.stderr.write(footer + "\n")
    if chart and fmt != "table":
        sys.stderr.write(drawn + "\n")
