"""`llmcost diff BASE.json HEAD.json`: per option, old and new TCO, monthly cost and payback, and their deltas."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from llmcost import api, gate
from llmcost.cli.common import (
    ColumnsOpt,
    FormatOpt,
    OutputOpt,
    WideOpt,
    check_format,
    emit,
    fail_if_matched,
    gate_columns,
    gate_keys,
    pick_columns,
)
from llmcost.diffs import DIFF_KEYS, DIFF_STATES

TABLE_COLUMNS = ("option", "change", "delta_tco_usd", "delta_monthly_usd", "delta_payback_months", "new_tco_usd", "old_tco_usd",
                 "new_monthly_usd", "old_monthly_usd", "new_payback_months", "old_payback_months", "kind")
"""diff's table, most important first: a narrow terminal drops columns from the end."""

def diff_command(base: Annotated[str, typer.Argument(metavar="BASE.json", help="`llmcost compare -f json` output before the change "
                                                     "(e.g. on the main branch).")],
                 head: Annotated[str, typer.Argument(metavar="HEAD.json", help="The same after the change (e.g. on the pull request).")],
                 fmt: FormatOpt = None, output: OutputOpt = None,
                 fail_if: Annotated[str | None, typer.Option("--fail-if", help="Exit 1 when a row matches, e.g. 'delta_monthly_usd > 100 "
                                                             "or delta_payback_months > 3' (\"never\" ranks above every number).")] = None,
                 columns: ColumnsOpt = None, wide: WideOpt = False) -> None:
    """Old and new TCO, monthly cost and payback per option of two compare outputs, and their deltas (CI: Markdown for a PR)."""
    fmt = check_format(fmt, output, inputs=[base, head])  # format and --output before any work
    pick_columns(columns, DIFF_KEYS)
    if fail_if:
        gate.parse(fail_if, gate_keys(DIFF_KEYS))  # an unknown column or a typo before reading anything
    result = api.diff(base, head)
    rows = result.rows()
    checks = gate_columns(rows, DIFF_STATES) if rows else gate_keys(DIFF_KEYS)
    if fail_if:
        gate.parse(fail_if, checks)  # and a value the rows never hold, before writing anything
    emit(rows, fmt, output, title=f"llmcost diff: {base} -> {head}", footer=result.summary, table=TABLE_COLUMNS, columns=columns,
         wide=wide, inputs=[base, head])
    if fmt not in ("table", "markdown"):
        sys.stderr.write(result.summary + "\n")
    fail_if_matched(rows, fail_if, checks)
