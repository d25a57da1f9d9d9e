"""Options shared by every command, and the output step they all end with."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from llmcost import api, hf_config, render, scenarios
from llmcost.catalog import Catalog
from llmcost.errors import LlmcostError
from llmcost.numbers import parse_quantity
from llmcost.schema import Scenario

ProfilesOpt = Annotated[list[str] | None, typer.Option(
    "--profiles", help="Directory or file of user profiles (repeatable; later wins). Also LLMCOST_PROFILES.")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, csv, json or markdown.")]
OutputOpt = Annotated[str | None, typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout.")]
ExplainOpt = Annotated[bool, typer.Option("--explain", help="Show every intermediate quantity, formula and assumption with its source.")]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="Model id (llmcost profiles list models), or a Hugging Face config.json.")]
GpuOpt = Annotated[list[str] | None, typer.Option("--gpu", "-g", help="GPU id or NxID, e.g. 2xrtx-3090 (repeatable).")]
UsedOpt = Annotated[bool, typer.Option("--used", help="Price owned GPUs at used-market prices where known.")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override an assumption: assumptions.NAME=VALUE (repeatable).")]
MaxPriceAgeOpt = Annotated[int, typer.Option("--max-price-age-days", min=0, metavar="N", help="Warn on stderr when an API price used is "
                                             "older than this many days (0: never).")]


ScenarioOpt = Annotated[str | None, typer.Option("--scenario", "-s", help="Built-in scenario id or a scenario YAML file (default: team-assistant).")]
ScenarioSetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override a scenario value by dotted path, e.g. workload.requests_per_day=5000, "
                                                          "or an assumption, assumptions.NAME=VALUE (repeatable).")]
ApiOpt = Annotated[list[str] | None, typer.Option("--api", "-a", help="API to compare (repeatable; replaces the scenario's).")]
ScenarioModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Model to serve, an id or a Hugging Face config.json "
                                                                            "(replaces serving.model).")]


def load_catalog(profiles: Sequence[str] | None, sets: Sequence[str] | None = None) -> Catalog:
    """Built-in profiles + LLMCOST_PROFILES + --profiles, with `assumptions.NAME=VALUE` overrides applied."""
    given = scenarios.parse_sets(sets or ())
    for key in given:
        if not key.startswith("assumptions."):
            raise LlmcostError(f"--set {key}={given[key]}: expected assumptions.NAME=VALUE here")
    return api.load_catalog(profiles or (), given)


def scenario_inputs(profiles: Sequence[str] | None, scenario_id: str | None, sets: Sequence[str] | None, model: str | None = None,
                    gpu: Sequence[str] | None = None, apis: Sequence[str] | None = None) -> tuple[Catalog, Scenario]:
    """The catalog (with `--set assumptions.X=...`) and the scenario (with every other --set, and --model,
    --gpu, --api, which win over --set) that compare, breakeven and sensitivity run on."""
    given = scenarios.parse_sets(sets or ())
    cat = api.load_catalog(profiles or (), {k: v for k, v in given.items() if k.startswith("assumptions.")})
    overrides: dict[str, Any] = {k: v for k, v in given.items() if not k.startswith("assumptions.")}
    if model:
        cat, overrides["serving.model"] = hf_config.with_model(cat, model)
    if gpu:
        overrides["options.gpus"] = ",".join(gpu)
    if apis:
        overrides["options.apis"] = ",".join(apis)
    return cat, scenarios.resolve(cat, scenario_id, overrides)


def check_format(fmt: str, allowed: Sequence[str] = render.FORMATS) -> str:
    if fmt not in allowed:
        raise LlmcostError(f"--format {fmt!r}: use one of {', '.join(allowed)}")
    return fmt


def quantity(text: str | None, what: str, integer: bool = False) -> float | None:
    return None if text is None else parse_quantity(text, what, integer=integer)


def emit(rows: list[dict[str, Any]], fmt: str, output: str | None, title: str | None = None,
         explanation: str | None = None, footer: str | None = None) -> None:
    """Render rows to stdout or --output; the explanation and footer follow tables, go to stderr otherwise."""
    check_format(fmt)
    with render.output_stream(output) as out:
        rows_out = rows
        if fmt == "table" and len(rows) <= 3 and rows and len(rows[0]) > 12:
            rows_out = transpose(rows)
        render.render(rows_out, fmt, out, title)
        if fmt in ("table", "markdown") and footer:
            out.write(("\n" if fmt == "markdown" else "") + footer + "\n")
        if explanation and fmt in ("table", "markdown"):
            out.write("\n" + explanation)
    if explanation and fmt not in ("table", "markdown"):
        sys.stderr.write(explanation)


def transpose(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A few wide rows shown as `field | row1 | row2` for people (table format only)."""
    heads = [str(r.get("option") or r.get("gpu") or i) for i, r in enumerate(rows)]
    if len(set(heads)) < len(heads):
        heads = [f"{h} ({i + 1})" for i, h in enumerate(heads)]
    out = []
    for key in rows[0]:
        item: dict[str, Any] = {"field": key}
        for h, r in zip(heads, rows, strict=False):
            value = r[key]
            item[h] = render.human(value, key) if not isinstance(value, str) else value
        out.append(item)
    return out
