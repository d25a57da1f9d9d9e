"""Rows (lists of dicts with the same keys) to table, CSV, JSON, JSON Lines or Markdown, and the file they go to.

Numbers stay unformatted in CSV and JSON; states ("never", "does not fit", "n/a") are words in the
same column; CSV text cells that a spreadsheet would run as a formula are neutralised; control
characters in text are shown escaped (\\x1b), so a profile cannot drive the user's terminal.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import os
import signal
import stat
import sys
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from llmcost import table
from llmcost.errors import LlmcostError

FORMATS = ("table", "csv", "json", "jsonl", "markdown")
EXTENSIONS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".md": "markdown", ".markdown": "markdown"}
"""Output file extensions and the format each implies when --format is not given."""
Row = dict[str, Any]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str, keep: str = "") -> str:
    """`text` with every non-printable character (ESC, CR, BEL, bidi overrides, ...) written as an escape.

    >>> printable("own \\x1b[31mred"), printable("a\\tb"), printable("two\\nlines", keep="\\n")
    ('own \\\\x1b[31mred', 'a\\\\tb', 'two\\nlines')
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in keep else repr(c)[1:-1] for c in text)


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
    return printable("'" + text if text.startswith(_FORMULA_START) else text)


def json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"non-finite number {value!r} reached the renderer")
    return value


def write_csv(rows: Iterable[Row], out: IO[str], columns: Sequence[str] | None = None, header: bool = True) -> None:
    """CSV with one header row (`columns`, else the first row's keys), written even when there is no row."""
    writer = csv.writer(out, lineterminator="\n")
    cols = list(columns) if columns else None
    for row in rows:
        if cols is None:
            cols = list(row)
        if header:
            writer.writerow([csv_cell(c) for c in cols])
            header = False
        writer.writerow([csv_cell(row.get(c)) for c in cols])
    if header and cols:
        writer.writerow([csv_cell(c) for c in cols])


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
    if not math.isfinite(v):  # a bug upstream; never print nan/inf
        raise ValueError(f"non-finite number {value!r} reached the renderer")
    if key.startswith("delta_") and v > 0:  # a change: up is +, down is -
        return "+" + human(value, key.removeprefix("delta_"))
    if key.endswith("_usd") or key.startswith("usd_") or "_usd_" in key:
        return money(v)
    if key in ("utilization", "peak_utilization", "mfu") or key.endswith(("_share", "_fraction")) or key.startswith("p_"):
        return f"{v:.0%}"
    if key == "flops" or abs(v) >= 1e15:
        return f"{v:.3g}"
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(v) >= div:
            return f"{v / div:,.3g}{suffix}"
    if abs(v) >= 100 or v == int(v):
        return f"{v:,.0f}"
    return f"{v:.3g}"


def count(n: float, word: str, plural: str = "") -> str:
    """A count with its noun in the right number: '1 entry', '2 entries', '0 rows', '1060 days', '1,000,000 rows'
    (thousands separated from 10,000 on).

    >>> count(1, "entry", "entries"), count(2, "entry", "entries"), count(0, "row"), count(1060, "day"), count(1e6, "row")
    ('1 entry', '2 entries', '0 rows', '1060 days', '1,000,000 rows')
    """
    return f"{n:{',' if abs(n) >= 10_000 else ''}.0f} {word if n == 1 else plural or word + 's'}"


def money(v: float) -> str:
    """USD for people: whole dollars from $100, millions and billions shortened, cents below $100; under $1 up to
    four decimals when the amount has them (a price of $0.075 per 1M tokens is not $0.07); the sign before the $.

    >>> money(1599.0), money(2.5e6), money(0.075), money(0.4427365), money(0.0001234), money(-50), money(0.1)
    ('$1,599', '$2.50M', '$0.075', '$0.44', '$0.000123', '-$50.00', '$0.10')
    """
    sign, a = ("-" if v < 0 else ""), abs(v)
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.2f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.2f}M"
    if a >= 100:
        return f"{sign}${a:,.0f}"
    for decimals in (2, 3, 4) if a < 1 else (2,):
        if abs(round(a, decimals) - a) <= 1e-9 * max(a, 1e-3):
            return f"{sign}${a:,.{decimals}f}"
    return f"{sign}${a:.3g}" if a < 0.01 else f"{sign}${a:,.2f}"


def write_markdown(rows: Sequence[Row], out: IO[str], title: str | None = None, keys: Sequence[str] = ()) -> None:
    """A Markdown table: the title in bold, then the rows; with no row, the header of `keys` (or nothing)."""
    cols = list(rows[0]) if rows else list(keys)
    if not cols:
        return
    if title:
        out.write(f"**{_md(title)}**\n\n")
    out.write("| " + " | ".join(_md(c) for c in cols) + " |\n")
    out.write("|" + "|".join("---:" if any(_is_number(r.get(c)) for r in rows) else "---" for c in cols) + "|\n")
    for r in rows:
        out.write("| " + " | ".join(_md(human(r.get(c), c)) for c in cols) + " |\n")


def _md(text: str) -> str:
    """A Markdown table cell: pipes escaped, control characters shown as escapes."""
    return printable(text).replace("|", "\\|")


HEADINGS = {
    "gpus_per_replica": "GPUs/replica", "capex_usd": "capex", "monthly_usd": "monthly", "usd_per_mtok": "$/Mtok",
    "tco_usd": "TCO", "breakeven_tokens_per_day": "break-even tok/day", "payback_months": "payback months",
    "utilization": "util", "peak_utilization": "peak util", "tpot_s": "TPOT s", "ttft_s": "TTFT s", "quality_score": "quality",
    "p_cheaper_than_api": "P(cheaper than API)",
    "cost_owned_usd": "owned cost", "cost_rented_usd": "rented cost", "wall_hours": "wall hours", "wall_days": "wall days",
    "cost_api_usd": "API cost", "tokens": "trained tokens", "dataset_tokens": "dataset tokens",
    "gpu_hours": "GPU-hours", "old_tco_usd": "old TCO", "new_tco_usd": "new TCO", "delta_tco_usd": "TCO change",
    "old_monthly_usd": "old monthly", "new_monthly_usd": "new monthly", "delta_monthly_usd": "monthly change",
    "old_payback_months": "old payback months", "new_payback_months": "new payback months",
    "delta_payback_months": "payback change months", "memory_per_gpu_gib": "GiB per GPU", "tokens_per_s": "tokens/s", "energy_kwh": "energy kWh",
    "gpu_energy_kwh": "GPU energy kWh", "trainable_params": "trainable params", "output_tokens_per_s": "output tok/s",
    "decode_tokens_per_s": "decode tok/s", "prefill_tokens_per_s": "prefill tok/s", "requests_per_s": "req/s",
    "usd_per_mtok_rented": "$/Mtok rented", "weights_gib": "weights GiB", "reported_gpu_hours": "reported GPU-hours",
    "reported_energy_kwh": "reported kWh", "reported_flops": "reported FLOPs", "memory_gib": "memory GiB",
    "memory_bandwidth_gb_per_s": "GB/s", "tflops_bf16": "TFLOPS bf16", "tflops_fp16_acc16": "TFLOPS fp16 acc16",
    "power_w": "power W", "price_usd": "price", "used_price_usd": "used price", "input_usd_per_mtok": "input $/Mtok",
    "output_usd_per_mtok": "output $/Mtok", "cached_input_usd_per_mtok": "cached $/Mtok", "usd_per_gpu_hour": "$/GPU-hour",
}
"""Short column headings for people (table format only); CSV, JSON and Markdown keep the key names."""


def heading(key: str) -> str:
    """A column's heading in a table: HEADINGS' short name, with a percentile suffix kept (`TCO P50`), else the key.

    A tornado's `METRIC_at_low`, `METRIC_at_high` and `METRIC_swing` read `at low`, `at high` and `swing` (the
    table's title names the metric).

    >>> heading("tco_usd_p90"), heading("payback_months"), heading("min_gpus"), heading("tco_usd_at_low")
    ('TCO P90', 'payback months', 'min_gpus', 'at low')
    """
    base, _, pct = key.rpartition("_")
    if base in HEADINGS and pct in ("p10", "p50", "p90"):
        return f"{HEADINGS[base]} {pct.upper()}"
    for end in ("at_low", "at_high", "swing"):
        if key.endswith("_" + end) and key.removesuffix("_" + end) in HEADINGS:
            return end.replace("_", " ")
    return HEADINGS.get(key, key)


def write_table(rows: Sequence[Row], out: IO[str], title: str | None = None, color: bool | None = None,
                wide: bool = False) -> None:
    """A table that fits the terminal (table.width_of): one line per row, columns in the rows' key order,
    the first ones kept first. One row is shown as a field/value list, two or three long rows as
    `field | row1 | row2` when that fits. Columns that do not fit are named in one line below."""
    if color is None:
        color = out.isatty() and not os.environ.get("NO_COLOR")
    width = table.width_of(out)
    if not rows:
        out.write("(no rows)\n")
        return
    layout = _transposed(rows, width, wide) or table.fit(_columns(rows), width, wide)
    table.draw(layout, out, printable(title) if title else None, width, color)
    if layout.hidden:
        out.write(table.hidden_line(layout.hidden, width) + "\n")


def wrap_prose(text: str, width: int) -> str:
    """`text`'s first paragraph wrapped between words to `width` (a number or word is never split); the rest as is.

    >>> wrap_prose("pays back after 143 months, beyond the horizon.\\n\\n+--chart--+", 20)
    'pays back after 143\\nmonths, beyond the\\nhorizon.\\n\\n+--chart--+'
    """
    first, sep, rest = text.partition("\n\n")
    wrapped = textwrap.fill(first.replace("\n", " "), width, break_long_words=False, break_on_hyphens=False)
    return wrapped + sep + rest


def _columns(rows: Sequence[Row]) -> list[table.Column]:
    cols = []
    for i, key in enumerate(rows[0]):
        values = [r.get(key) for r in rows]
        text = all(isinstance(v, str) or v is None for v in values)
        cols.append(table.Column(key, printable(heading(key)), [printable(human(v, key)) for v in values],
                                 right=any(_is_number(v) for v in values), shrink=text and (i == 0 or key in table.PROSE),
                                 middle=i == 0))
    return cols


def _transposed(rows: Sequence[Row], width: int, wide: bool) -> table.Layout | None:
    """One row as `field | value`; two or three rows of many columns as `field | row1 | row2` if that fits."""
    if len(rows) > 3 or (len(rows) > 1 and len(rows[0]) <= 12):
        return None
    keys = list(rows[0])
    heads = ["value"] if len(rows) == 1 else [str(r.get("option") or r.get("gpu") or i + 1) for i, r in enumerate(rows)]
    if len(set(heads)) < len(heads):
        heads = [f"{h} ({i + 1})" for i, h in enumerate(heads)]
    cols = [table.Column("field", "field", [printable(k) for k in keys])]
    cols += [table.Column(h, printable(h), [printable(human(r.get(k), k)) for k in keys], shrink=True) for h, r in zip(heads, rows, strict=True)]
    layout = table.fit(cols, width, wide)
    return layout if len(rows) == 1 or not layout.hidden else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def render(rows: Sequence[Row], fmt: str, out: IO[str], title: str | None = None, wide: bool = False,
           keys: Sequence[str] = ()) -> None:
    """Write rows in one of FORMATS to `out`; `keys` name the CSV and Markdown header when there is no row."""
    if fmt == "csv":
        write_csv(rows, out, None if rows else keys)
    elif fmt == "json":
        write_json(rows, out)
    elif fmt == "jsonl":
        write_jsonl(rows, out)
    elif fmt == "markdown":
        write_markdown(rows, out, title, keys)
    else:
        write_table(rows, out, title, wide=wide)


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived while an output file was being written (the partial file is already removed)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.exit_code = 128 + signum
        self.name = signal.Signals(signum).name


WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS)
"""Errors of a device or file system that cannot take the output: one line, exit 2 (not a traceback)."""


@contextmanager
def output_stream(path: str | None, inputs: Iterable[str | Path] = ()) -> Iterator[IO[str]]:
    """stdout, or `path` written safely: what a failed or interrupted run leaves is what was there before.

    - A regular file (or a new one) is written to a temporary file beside it and renamed over it only
      when the block succeeds; a symlink is written through to its target. An existing file keeps its
      mode; a new one gets the umask's.
    - A FIFO, a character device (/dev/full, /dev/null) or a socket is written directly: never replaced.
    - Writing over one of `inputs` (the run's scenario, grid, price or profile files, or a file inside a
      profile directory) is refused.
    - SIGTERM and SIGHUP during the block remove the temporary file and raise `Terminated`.
    """
    if path is None or path == "-":
        yield sys.stdout
        return
    target = _resolve(path)
    _refuse_inputs(path, target, inputs)
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise _error(path, e) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise LlmcostError(f"--output {path!r} is a directory; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        with _direct(path, target) as f:
            yield f
        return
    with _replacing(path, target, st) as f:
        yield f


def check_output(path: str | None, inputs: Iterable[str | Path] = ()) -> None:
    """Refuse an --output path that cannot be written or is one of the run's inputs, before any work is done
    (output_stream checks the same again when it opens the file)."""
    if path is not None and path != "-":
        _refuse_inputs(path, _resolve(path), inputs)


def _resolve(path: str) -> Path:
    """The file `path` names: a symlink's final target, which must be in an existing directory."""
    try:
        target = Path(os.path.realpath(path))
        directory = target.parent
        if not directory.is_dir():
            raise LlmcostError(f"--output {path!r}: directory {str(Path(path).parent)!r} does not exist")
        os.stat(directory)  # a name too long for the system fails here, not in the middle of the run
        limit = os.pathconf(directory, "PC_NAME_MAX")
        if 0 < limit < len(target.name.encode(errors="surrogateescape")):
            raise LlmcostError(f"--output {_short(path)}: the file name is longer than the file system allows")
    except OSError as e:
        raise _error(path, e) from None
    return target


def _refuse_inputs(path: str, target: Path, inputs: Iterable[str | Path]) -> None:
    for item in inputs:
        source = Path(item)
        try:
            if not source.exists():  # a built-in scenario id, not a file
                continue
            real = Path(os.path.realpath(source))
            same = real == target or (source.exists() and target.exists() and os.path.samefile(real, target))
            inside = real.is_dir() and target.suffix in (".yaml", ".yml") and real in target.parents
        except OSError:
            continue
        if same or inside:
            raise LlmcostError(f"--output {_short(path)} is also an input of this run ({_short(str(item))}); "
                               "write to another file")


@contextmanager
def _direct(path: str, target: Path) -> Iterator[IO[str]]:
    """Write into a FIFO or device as it is (opening a FIFO waits for its reader)."""
    try:
        f = open(target, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below, errors mapped
    except OSError as e:
        raise _error(path, e) from None
    try:
        with f:
            yield f
    except OSError as e:
        if e.errno in WRITE_ERRORS:
            raise _error(path, e) from None
        raise


@contextmanager
def _replacing(path: str, target: Path, st: os.stat_result | None) -> Iterator[IO[str]]:
    """A temporary file beside `target`, renamed over it when the block succeeds; removed on any failure."""
    with _terminate_cleanly():
        tmp = _temporary(path, target, st)
        try:
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                yield f
            os.replace(tmp, target)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            if e.errno in WRITE_ERRORS:
                raise _error(path, e) from None
            raise
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def _temporary(path: str, target: Path, st: os.stat_result | None) -> Path:
    """Create the temporary file: the existing file's mode (and owner, where allowed), or the umask's for a new one."""
    for n in range(100):
        tmp = target.with_name(f".{target.name[:40]}.{os.getpid()}.{n}.part")  # short: the name may be near the limit
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
        except FileExistsError:
            continue
        except OSError as e:
            raise _error(path, e) from None
        try:
            if st is not None:
                os.fchmod(fd, stat.S_IMODE(st.st_mode) & 0o777)
                if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
                    with suppress(PermissionError):  # only root may give a file away; others keep their own
                        os.fchown(fd, st.st_uid, st.st_gid)
        finally:
            os.close(fd)
        return tmp
    raise LlmcostError(f"--output {_short(path)}: cannot create a temporary file beside it")


@contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Terminated (so the block's clean-up runs) instead of killing the process."""
    def handler(signum: int, frame: object) -> None:
        raise Terminated(signum)

    wanted = [s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None]
    try:
        previous = {s: signal.signal(s, handler) for s in wanted}
    except ValueError:  # not the main thread: signals cannot be caught here
        yield
        return
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _error(path: str, e: OSError) -> LlmcostError:
    return LlmcostError(f"--output {_short(path)}: cannot write there ({e.strerror or e})")


def _short(text: str) -> str:
    """A path for a one-line message: quoted, control characters escaped, at most about 80 characters."""
    quoted = repr(text)
    return quoted if len(quoted) <= 80 else quoted[:38] + "…" + quoted[-38:]


def output_format(fmt: str | None, output: str | None, allowed: Sequence[str] = FORMATS, default: str = "table") -> str:
    """The format to write: --format when given, else the one --output's extension implies, else `default`.

    A table into a data file (.csv, .json, .jsonl, .md) is refused: it is surely a mistake.
    """
    ext = Path(output).suffix.lower() if output and output != "-" else ""
    implied = EXTENSIONS.get(ext)
    if fmt is None and implied and implied not in allowed:
        raise LlmcostError(f"--output {_short(output or '')}: {implied} is not one of the formats here ({', '.join(allowed)}); "
                           "choose one with --format")
    if fmt is None:
        fmt = implied or default
    if fmt not in allowed:
        raise LlmcostError(f"--format {fmt!r}: use one of {', '.join(allowed)}")
    if fmt == "table" and implied:
        raise LlmcostError(f"--output {_short(output or '')} is a {implied} file name but --format is table; "
                           f"use -f {implied if implied in allowed else 'csv'} or another extension (e.g. .txt)")
    return fmt


def to_text(rows: Sequence[Row], fmt: str, title: str | None = None) -> str:
    buf = io.StringIO()
    render(rows, fmt, buf, title)
    return buf.getvalue()
