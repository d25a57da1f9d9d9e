"""`llmcost compare` and `llmcost breakeven`."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from llmcost import compare, gate, scenario
from llmcost.cli.charts import terminal_chart, write_plot
from llmcost.cli.common import FormatOpt, GpuOpt, OutputOpt, ProfilesOpt, emit, load_catalog
from llmcost.errors import GateFailed

ScenarioOpt = Annotated[str | None, typer.Option("--scenario", "-s", help="Built-in scenario id or a scenario YAML file (default: team-assistant).")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override a scenario value by dotted path, e.g. workload.requests_per_day=5000 (repeatable).")]
ApiOpt = Annotated[list[str] | None, typer.Option("--api", "-a", help="API to compare (repeatable; replaces the scenario's).")]
ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Model to serve (replaces serving.model).")]
FailIfOpt = Annotated[str | None, typer.Option("--fail-if", help="Exit 1 when a row matches, e.g. 'kind == \"own\" and payback_months > 18'.")]

TABLE_COLUMNS = ("option", "kind", "fits", "gpus_per_replica", "replicas", "capex_usd", "monthly_usd", "usd_per_mtok", "tco_usd",
                 "breakeven_tokens_per_day", "payback_months", "utilization", "tpot_s")


def _scenario(profiles: list[str] | None, scenario_id: str | None, sets: list[str] | None, model: str | None,
              gpu: list[str] | None, api: list[str] | None) -> tuple[Any, Any]:
    overrides = list(sets or [])
    if model:
        overrides.append(f"serving.model={model}")
    if gpu:
        overrides.append(f"options.gpus={','.join(gpu)}")
    if api:
        overrides.append(f"options.apis={','.join(api)}")
    cat = load_catalog(profiles, [s for s in overrides if s.strip().startswith("assumptions.")])
    return cat, scenario.resolve(cat, scenario_id, overrides)


def _gate(rows: list[dict[str, Any]], fail_if: str | None) -> None:
    if not fail_if:
        return
    check = gate.parse(fail_if, list(rows[0]) if rows else [])
    tripped = [r for r in rows if check(r)]
    if tripped:
        names = ", ".join(str(r.get("option")) + (f" vs {r['api']}" if "api" in r else "") for r in tripped)
        raise GateFailed(f"--fail-if {fail_if!r} matched {len(tripped)} row(s): {names}")


def compare_command(scenario_id: ScenarioOpt = None, model: ModelOpt = None, gpu: GpuOpt = None, api: ApiOpt = None,
                    vs: Annotated[str | None, typer.Option("--vs", help="Reference API for break-even and payback (default: the scenario's first).")] = None,
                    sets: SetOpt = None, fmt: FormatOpt = "table", output: OutputOpt = None,
                    chart: Annotated[bool, typer.Option("--chart", help="Draw cumulative cost per option in the terminal (stderr when not a table).")] = False,
                    plot: Annotated[str | None, typer.Option("--plot", help="Write the charts to FILE.png or FILE.svg (needs the 'plot' extra).")] = None,
                    explain: Annotated[bool, typer.Option("--explain", help="Show the scenario values and assumptions used.")] = False,
                    fail_if: FailIfOpt = None, profiles: ProfilesOpt = None) -> None:
    """One row per option (own N x GPU, rent offer, API): capex, monthly, $ per 1M tokens, TCO, break-even, payback."""
    cat, sc = _scenario(profiles, scenario_id, sets, model, gpu, api)
    if fail_if:
        gate.parse(fail_if, list(compare.ROW_KEYS))  # reject a bad gate before computing
    result = compare.compare(cat, sc, vs=vs)
    rows = result.rows
    shown = [{k: r[k] for k in TABLE_COLUMNS} for r in rows] if fmt == "table" else rows
    footer = result.verdict
    if chart and fmt == "table":
        footer = footer + "\n\n" + terminal_chart(result)
    emit(shown, fmt, output, title=f"{sc.name}: {sc.serving.model} ({sc.serving.quantization}), vs {result.reference}",
         footer=footer, explanation=compare.explain(cat, sc, result) if explain else None)
    if fmt != "table":
        sys.stderr.write(result.verdict + "\n")
        if chart:
            sys.stderr.write(terminal_chart(result) + "\n")
    if plot:
        write_plot(result, plot)
    _gate(rows, fail_if)


def breakeven_command(scenario_id: ScenarioOpt = None, model: ModelOpt = None, gpu: GpuOpt = None, api: ApiOpt = None,
                      sets: SetOpt = None, fmt: FormatOpt = "table", output: OutputOpt = None, fail_if: FailIfOpt = None,
                      profiles: ProfilesOpt = None) -> None:
    """Break-even table: own and rent options x APIs; cells are break-even tokens/day and payback months."""
    cat, sc = _scenario(profiles, scenario_id, sets, model, gpu, api)
    rows = compare.breakeven_rows(cat, sc)
    if fail_if:
        gate.parse(fail_if, list(rows[0]) if rows else [])
    if fmt == "table":
        emit(pivot(rows), fmt, output, title=f"{sc.name}: break-even tokens/day | payback months")
    else:
        emit(rows, fmt, output)
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
