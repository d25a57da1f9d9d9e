"""Rows (lists of dicts with the same keys) to table, CSV, JSON, JSON Lines or Markdown.

Numbers stay unformatted in CSV and JSON; states ("never", "does not fit", "n/a") are words in the
same column; CSV text cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from llmcost.errors import LlmcostError

FORMATS = ("table", "csv", "json", "markdown")
Row = dict[str, Any]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One CSV cell: numbers plain, booleans as true/false, text that starts like a formula prefixed with '.

    OWASP CSV-injection guidance: a cell that starts with = + - @ tab or CR is prefixed with a quote
    so spreadsheets show it as text. Numbers (negative ones too) are left as numbers.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):  # a bug upstream; never print nan/inf
            raise ValueError(f"non-finite number {value!r} reached the renderer")
        return repr(value) if value != int(value) or abs(value) >= 1e16 else str(int(value))
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"non-finite number {value!r} reached the renderer")
    return value


def write_csv(rows: Iterable[Row], out: IO[str], columns: Sequence[str] | None = None, header: bool = True) -> None:
    writer = csv.writer(out, lineterminator="\n")
    cols = list(columns) if columns else None
    for row in rows:
        if cols is None:
            cols = list(row)
        if header:
            writer.writerow([csv_cell(c) for c in cols])
            header = False
        writer.writerow([csv_cell(row.get(c)) for c in cols])


def write_json(rows: Iterable[Row], out: IO[str]) -> None:
    data = [{k: json_value(v) for k, v in r.items()} for r in rows]
    json.dump(data, out, indent=2, allow_nan=False)
    out.write("\n")


def write_jsonl(rows: Iterable[Row], out: IO[str]) -> None:
    for r in rows:
        out.write(json.dumps({k: json_value(v) for k, v in r.items()}, allow_nan=False))
        out.write("\n")


def human(value: Any, key: str = "") -> str:
    """A number for people: money with $ and separators, big counts with k/M/B/T, fractions as %."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, (int, float)):
        return str(value)
    v = float(value)
    if key.endswith("_usd") or key.startswith("usd_") or "_usd_" in key:
        if abs(v) >= 1e9:
            return f"${v / 1e9:,.2f}B"
        if abs(v) >= 1e6:
            return f"${v / 1e6:,.2f}M"
        return f"${v:,.2f}" if abs(v) < 100 else f"${v:,.0f}"
    if key in ("utilization", "peak_utilization") or key.endswith("_share") or key.endswith("_fraction") or key == "mfu":
        return f"{v:.0%}"
    if key == "flops" or abs(v) >= 1e15:
        return f"{v:.3g}"
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(v) >= div:
            return f"{v / div:,.3g}{suffix}"
    if abs(v) >= 100 or v == int(v):
        return f"{v:,.0f}"
    return f"{v:.3g}"


def write_markdown(rows: Sequence[Row], out: IO[str], title: str | None = None) -> None:
    if not rows:
        return
    cols = list(rows[0])
    if title:
        out.write(f"**{title}**\n\n")
    out.write("| " + " | ".join(cols) + " |\n")
    out.write("|" + "|".join("---:" if isinstance(rows[0][c], (int, float)) and not isinstance(rows[0][c], bool) else "---"
                             for c in cols) + "|\n")
    for r in rows:
        out.write("| " + " | ".join(human(r[c], c).replace("|", "\\|") for c in cols) + " |\n")


HEADINGS = {
    "gpus_per_replica": "GPUs/replica", "capex_usd": "capex", "monthly_usd": "monthly", "usd_per_mtok": "$/Mtok",
    "tco_usd": "TCO", "breakeven_tokens_per_day": "break-even tok/day", "payback_months": "payback mo",
    "utilization": "util", "peak_utilization": "peak util", "tpot_s": "TPOT s", "ttft_s": "TTFT s",
}
"""Short column headings for people (table format only); CSV, JSON and Markdown keep the key names."""


def write_table(rows: Sequence[Row], out: IO[str], title: str | None = None, color: bool | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    if color is None:
        color = out.isatty() and not os.environ.get("NO_COLOR")
    console = Console(file=out, no_color=not color, highlight=False, soft_wrap=False,
                      force_terminal=color if color else None, width=None if color else _width())
    table = Table(title=title, show_lines=False, header_style="bold" if color else "")
    if not rows:
        console.print("(no rows)")
        return
    cols = list(rows[0])
    for c in cols:
        numeric = any(isinstance(r[c], (int, float)) and not isinstance(r[c], bool) for r in rows)
        table.add_column(HEADINGS.get(c, c), justify="right" if numeric else "left", overflow="fold",
                         no_wrap=c == cols[0])
    for r in rows:
        table.add_row(*(human(r[c], c) for c in cols))
    console.print(table)


def _width() -> int:
    try:
        return int(os.environ.get("COLUMNS", "")) or 160
    except ValueError:
        return 160


def render(rows: Sequence[Row], fmt: str, out: IO[str], title: str | None = None) -> None:
    """Write rows in one of FORMATS (+ jsonl) to `out`."""
    if fmt == "csv":
        write_csv(rows, out)
    elif fmt == "json":
        write_json(rows, out)
    elif fmt == "jsonl":
        write_jsonl(rows, out)
    elif fmt == "markdown":
        write_markdown(rows, out, title)
    else:
        write_table(rows, out, title)


@contextmanager
def output_stream(path: str | None) -> Iterator[IO[str]]:
    """stdout, or a temporary file beside `path` renamed over it only when the block succeeds.

    A failing or interrupted run leaves an existing file untouched and removes the partial one.
    """
    if path is None or path == "-":
        yield sys.stdout
        return
    target = Path(path)
    if target.is_dir():
        raise LlmcostError(f"--output {path!r} is a directory; give a file name")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise LlmcostError(f"--output {path!r}: directory {str(directory)!r} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=directory)
    except OSError as e:
        raise LlmcostError(f"--output {path!r}: cannot write there ({e.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            yield f
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def to_text(rows: Sequence[Row], fmt: str, title: str | None = None) -> str:
    buf = io.StringIO()
    render(rows, fmt, buf, title)
    return buf.getvalue()
