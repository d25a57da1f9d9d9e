"""Options shared by every command, and the output step they all end with."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from llmcost import api, gate, hf_config, render, scenarios
from llmcost import table as table_module
from llmcost.catalog import Catalog
from llmcost.diffs import CHANGES
from llmcost.errors import GateFailed, LlmcostError, unknown
from llmcost.numbers import parse_quantity
from llmcost.options import KIND_NAMES
from llmcost.results import DOES_NOT_FIT, NA, NEVER
from llmcost.schema import Scenario

ProfilesOpt = Annotated[list[str] | None, typer.Option(
    "--profiles", help="Directory or file of user profiles (repeatable): entries replace the built-ins with their id; an id "
                       "defined in two user files is an error. Also LLMCOST_PROFILES.")]
FormatOpt = Annotated[str | None, typer.Option("--format", "-f", show_default=False, help="table, csv, json, jsonl or markdown "
                                               "(default: the --output file's extension, .csv .json .jsonl .md, else table).")]
OutputOpt = Annotated[str | None, typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout.")]
ColumnsOpt = Annotated[list[str] | None, typer.Option("--columns", metavar="A,B,C", help="Only these columns, in this order, in "
                                                      "every format (comma-separated, repeatable).")]
WideOpt = Annotated[bool, typer.Option("--wide", help="Table: every column, none left out or shortened (may be wider than the terminal).")]
ExplainOpt = Annotated[bool, typer.Option("--explain", help="Show every intermediate quantity, formula and assumption with its source.")]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="Model id (llmcost profiles list models), or a Hugging Face config.json.")]
GpuOpt = Annotated[list[str] | None, typer.Option("--gpu", "-g", help="GPU id or NxID, e.g. 2xrtx-3090 (repeatable).")]
UsedOpt = Annotated[bool, typer.Option("--used", help="Price owned GPUs at used-market prices where known.")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override an assumption: assumptions.NAME=VALUE (repeatable).")]
MaxPriceAgeOpt = Annotated[int, typer.Option("--max-price-age-days", min=0, metavar="N", help="Warn on stderr when a price used (API, "
                                             "GPU or rental) is older than this many days (0: never).")]


ScenarioOpt = Annotated[str | None, typer.Option("--scenario", "-s", help="Built-in scenario id or a scenario YAML file (default: team-assistant).")]
ScenarioSetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override a scenario value by dotted path, e.g. workload.requests_per_day=5000, "
                                                          "or an assumption, assumptions.NAME=VALUE (repeatable).")]
ApiOpt = Annotated[list[str] | None, typer.Option("--api", "-a", help="API to compare (repeatable): replaces the scenario's APIs, "
                                                  "and the hosts of the served model unless --hosts is given.")]
HostsOpt = Annotated[bool | None, typer.Option("--hosts/--no-hosts", show_default=False, help="Also compare the APIs that host the "
                                               "served model (serves_model): default on, off with --api (options.hosts).")]
ScenarioUsedOpt = Annotated[bool, typer.Option("--used", help="Price owned GPUs at used-market prices where known (options.used).")]
ScenarioModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Model to serve, an id or a Hugging Face config.json "
                                                                            "(replaces serving.model).")]
MinQualityOpt = Annotated[float | None, typer.Option("--min-quality", min=0, max=100, metavar="SCORE", help=(
    "Leave out options scoring below SCORE on the comparison's benchmark (MMLU-Pro, or MMLU for older models) or "
    "without a score (sets options.min_quality)."))]


def load_catalog(profiles: Sequence[str] | None, sets: Sequence[str] | None = None) -> Catalog:
    """Built-in profiles + LLMCOST_PROFILES + --profiles, with `assumptions.NAME=VALUE` overrides applied."""
    given = scenarios.parse_sets(sets or ())
    for key in given:
        if not key.startswith("assumptions."):
            raise LlmcostError(f"--set {key}={given[key]}: expected assumptions.NAME=VALUE here")
    return api.load_catalog(profiles or (), given)


def scenario_inputs(profiles: Sequence[str] | None, scenario_id: str | None, sets: Sequence[str] | None, model: str | None = None,
                    gpu: Sequence[str] | None = None, apis: Sequence[str] | None = None, hosts: bool | None = None,
                    used: bool = False, min_quality: float | None = None) -> tuple[Catalog, Scenario]:
    """The catalog (with `--set assumptions.X=...`) and the scenario (with every other --set, and --model,
    --gpu, --api, --hosts/--no-hosts, --used, --min-quality, which win over --set) that compare, breakeven and
    sensitivity run on.

    --api replaces the scenario's APIs, the hosts of the served model included (options.hosts off) unless
    --hosts asks for them."""
    given = scenarios.parse_sets(sets or ())
    cat = api.load_catalog(profiles or (), {k: v for k, v in given.items() if k.startswith("assumptions.")})
    overrides: dict[str, Any] = {k: v for k, v in given.items() if not k.startswith("assumptions.")}
    if model:
        cat, overrides["serving.model"] = hf_config.with_model(cat, model)
    if gpu:
        overrides["options.gpus"] = ",".join(gpu)
    if apis:
        overrides["options.apis"] = ",".join(apis)
        overrides["options.hosts"] = False
    if hosts is not None:
        overrides["options.hosts"] = hosts
    if used:
        overrides["options.used"] = True
    if min_quality is not None:
        overrides["options.min_quality"] = min_quality
    return cat, scenarios.resolve(cat, scenario_id, overrides)


def check_format(fmt: str | None, output: str | None = None, allowed: Sequence[str] = render.FORMATS,
                 inputs: Iterable[str | Path] = ()) -> str:
    """The output format (see render.output_format), and an --output that is none of the run's inputs,
    checked before any work is done."""
    render.check_output(output, inputs)
    return render.output_format(fmt, output, allowed)


def quantity(text: str | None, what: str, integer: bool = False) -> float | None:
    return None if text is None else parse_quantity(text, what, integer=integer)


def pick_columns(columns: Sequence[str] | None, keys: Sequence[str]) -> list[str]:
    """--columns a,b,c (repeatable) as a list of known keys in the order given; an unknown one is exit 2."""
    chosen = list(dict.fromkeys(c.strip() for item in columns or () for c in item.split(",") if c.strip()))
    if columns is not None and not chosen:
        raise LlmcostError("--columns: give at least one column name, e.g. --columns option,monthly_usd")
    for c in chosen:
        if keys and c not in keys:
            raise LlmcostError(f"--columns: {unknown('column', c, keys)}")
    return chosen


def emit(rows: list[dict[str, Any]], fmt: str | None, output: str | None, title: str | None = None,
         explanation: str | None = None, footer: str | None = None, *, table: Sequence[str] | None = None,
         columns: Sequence[str] | None = None, wide: bool = False, inputs: Iterable[str | Path] = ()) -> None:
    """Render rows to stdout or --output; the explanation and footer follow tables, go to stderr otherwise.

    Under a table, the footer's first paragraph (the verdict, prose) is wrapped between words to the
    table's width; what follows a blank line (charts) is printed as it is.

    `table` names the columns a table shows by default, most important first (default: every key);
    `columns` (--columns) chooses the keys and their order in every format; `wide` (--wide) shows every
    key in a table, none left out or shortened; `inputs` are the run's input files, never overwritten."""
    fmt = check_format(fmt, output)
    keys = list(rows[0]) if rows else list(table or ())
    chosen = pick_columns(columns, keys)
    if chosen:
        rows = [{k: r.get(k) for k in chosen} for r in rows]
    elif fmt == "table" and table and not wide:
        rows = [{k: r[k] for k in table if k in r} for r in rows]
    with render.output_stream(output, inputs) as out:
        render.render(rows, fmt, out, title, wide=wide, keys=chosen or keys)
        if fmt == "table" and footer:
            out.write(render.wrap_prose(render.printable(footer, keep="\n"), table_module.width_of(out)) + "\n")
        if fmt == "markdown" and footer:
            out.write("\n" + render.printable(footer, keep="\n") + "\n")
        if explanation and fmt in ("table", "markdown"):
            out.write("\n" + render.printable(explanation, keep="\n"))
    if explanation and fmt not in ("table", "markdown"):
        sys.stderr.write(render.printable(explanation, keep="\n"))


def inputs(*paths: str | Path | Sequence[str | Path] | None) -> list[str | Path]:
    """The input files of a run (scenario, grid, price, --profiles), flattened, for emit's `inputs`."""
    out: list[str | Path] = []
    for p in paths:
        if isinstance(p, (str, Path)):
            out.append(p)
        elif p:
            out.extend(p)
    return out


GATE_TEXTS = {"kind": KIND_NAMES, "change": CHANGES}
"""Every value a gate may compare these text columns with, whether or not this run's rows show it."""


def gate_keys(keys: Sequence[str]) -> dict[str, gate.Column]:
    """Columns known by name only (before any row exists): the declared vocabularies are already checked."""
    return {k: gate.Column(gate.TEXT, GATE_TEXTS[k]) if k in GATE_TEXTS else gate.Column() for k in keys}


def gate_columns(rows: Sequence[dict[str, Any]], states: Sequence[str] = ()) -> dict[str, gate.Column]:
    """What each column of a command's rows holds, for --fail-if / --where (gate.parse); `states` are the words
    its numeric columns may hold besides never, n/a, does not fit and unbounded."""
    from llmcost.uncertainty import UNBOUNDED

    return gate.columns_of(rows, GATE_TEXTS, (NEVER, NA, DOES_NOT_FIT, UNBOUNDED, *states))


def fail_if_matched(rows: Sequence[dict[str, Any]], fail_if: str | None, columns: Mapping[str, gate.Column] | None = None) -> None:
    """--fail-if: GateFailed (exit 1) naming the rows that match the condition, if any."""
    if not fail_if:
        return
    check = gate.parse(fail_if, columns if columns is not None else gate_columns(rows))
    tripped = [r for r in rows if check(r)]
    if tripped:
        names = ", ".join(str(r.get("option")) + (f" vs {r['api']}" if "api" in r else "") for r in tripped)
        raise GateFailed(f"--fail-if {fail_if!r} matched {render.count(len(tripped), 'row')}: {names}")
