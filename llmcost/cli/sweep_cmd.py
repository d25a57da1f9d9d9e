"""`llmcost sweep GRID.yaml`: every combination of a parameter grid, streamed as CSV, JSON Lines or JSON."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Annotated

import typer

from llmcost import api, prices, render, scenarios, sweeps, uncertainty
from llmcost.cli.common import MaxPriceAgeOpt, OutputOpt, ProfilesOpt, load_catalog
from llmcost.cli.compare_cmd import MaxMemoryOpt, SamplesOpt, SeedOpt
from llmcost.errors import GateFailed, LlmcostError, unknown

GridArg = Annotated[list[str], typer.Argument(
    help="Grid YAML file(s): base: scenario, grid: {dotted.key: values}, zip: [[keys]].", metavar="GRID.yaml",
    show_default=False)]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Override a base scenario value by dotted path, e.g. "
                                                  "workload.cached_input_share=0.5, or assumptions.NAME=VALUE (repeatable).")]
FormatOpt = Annotated[str | None, typer.Option("--format", "-f", show_default=False,
                                               help="csv, jsonl or json (default: the --output file's extension, else csv).")]
ColumnsOpt = Annotated[list[str] | None, typer.Option(
    "--columns", "-c",
    help="Columns to write, in order, comma-separated (repeatable); default every grid key then compare's columns.")]
WhereOpt = Annotated[str | None, typer.Option(
    "--where", help="Keep only rows that match, e.g. 'kind == \"own\" and payback_months < 12'.")]
FailIfOpt = Annotated[str | None, typer.Option(
    "--fail-if", help="Exit 1 when a written row matches, e.g. 'kind == \"own\" and payback_months > 18'.")]
CountOpt = Annotated[bool, typer.Option("--count", help="Print the number of rows the grid expands to, without costing them.")]
VsOpt = Annotated[str | None, typer.Option(
    "--vs", help="Reference API for break-even and payback (default: each scenario's first).")]
ChunkOpt = Annotated[int, typer.Option("--chunk-rows", help="Rows costed per engine call.", hidden=True, min=1)]
MaxRowsOpt = Annotated[str | None, typer.Option("--max-rows", metavar="N", help="Refuse a grid of more rows than this, before any "
                                                f"work (default {sweeps.MAX_ROWS:,}; --count prints the rows).")]


def sweep_command(grids: GridArg, sets: SetOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
                  columns: ColumnsOpt = None, where: WhereOpt = None, fail_if: FailIfOpt = None, count: CountOpt = False,
                  vs: VsOpt = None, chunk_rows: ChunkOpt = sweeps.CHUNK_ROWS, profiles: ProfilesOpt = None,
                  max_price_age_days: MaxPriceAgeOpt = prices.DEFAULT_MAX_PRICE_AGE_DAYS,
                  samples_text: SamplesOpt = None, seed: SeedOpt = uncertainty.DEFAULT_SEED, max_rows: MaxRowsOpt = None,
                  max_memory_gib: MaxMemoryOpt = None) -> None:
    """Every combination of a parameter grid over a base scenario, one row per combination and option, streamed."""
    render.check_output(output, [*grids, *(profiles or ())])  # before any work
    fmt = render.output_format(fmt, output, sweeps.FORMATS, default="csv")
    samples = None if samples_text is None else api.samples_count(samples_text)
    memory = api.memory_limit_gib(max_memory_gib)
    row_limit = api.row_limit(max_rows)
    given = scenarios.parse_sets(sets or ())
    cat = load_catalog(profiles, [f"{k}={v}" for k, v in given.items() if k.startswith("assumptions.")])
    all_sets = {k: v for k, v in given.items() if not k.startswith("assumptions.")}
    loaded = [sweeps.load_grid(cat, g, all_sets) for g in grids]
    every = uncertainty.sample_columns(loaded) if samples else sweeps.columns_of(loaded)
    chosen = [c.strip() for item in columns or [] for c in item.split(",") if c.strip()]
    for c in chosen:
        if c not in every:
            raise LlmcostError(f"--columns: {unknown('column', c, every)}")
    if where:
        sweeps.check_condition(where, every, "--where")
    if fail_if:
        sweeps.check_condition(fail_if, every, "--fail-if")
    sizes = [sweeps.size(cat, g, all_sets, vs) for g in loaded]  # arithmetic: instant for any grid
    total = sum(z.rows for z in sizes)
    if count:
        sys.stdout.write(f"{total}\n")
        return
    sweeps.check_rows(total, row_limit)
    if samples:
        uncertainty.check_memory(samples, max(z.most_options for z in sizes) + 1, memory)
    # resolves every structural combination: a clash between good values exits 2 before anything is written
    prices.warn_if_stale(cat, sweeps.prices_used(cat, loaded, all_sets, vs), max_price_age_days)
    if fmt == "csv" and total > sweeps.EXCEL_ROWS:
        sys.stderr.write(f"llmcost: note: {total:,} rows is more than a spreadsheet opens ({sweeps.EXCEL_ROWS:,}); "
                         "filter with --where or read it with a data tool\n")
    try:
        with render.output_stream(output, [*grids, *(profiles or ())]) as out:  # output layer: never over an input
            if samples:
                result = uncertainty.sweep_samples(cat, loaded, out, fmt, samples, seed, chosen or None, all_sets, vs, where, fail_if,
                                                     memory)
            else:
                with _progress(total) as advance:
                    result = sweeps.run(cat, loaded, out, fmt, chosen or None, all_sets, vs, where, fail_if, chunk_rows, advance)
    except BrokenPipeError:  # `llmcost sweep GRID | head`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes at exit
        raise typer.Exit(0) from None
    if output and output != "-":
        sys.stderr.write(f"llmcost: wrote {render.count(result.rows, 'row')} to {output}\n")
    if result.tripped:
        names = "; ".join(result.tripped_names) + (f"; and {result.tripped - len(result.tripped_names)} more"
                                                   if result.tripped > len(result.tripped_names) else "")
        raise GateFailed(f"--fail-if {fail_if!r} matched {render.count(result.tripped, 'row')}: {names}")


PROGRESS_ROWS = 200_000
"""Sweeps longer than this show a progress bar (when stderr is a terminal)."""


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None] | None]:
    """A transient rich progress bar on stderr for long sweeps in a terminal; nothing otherwise."""
    if total < PROGRESS_ROWS or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("sweep", total=total)
        yield lambda n: bar.advance(task, n)

