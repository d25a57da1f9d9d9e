"""`llmcost profiles import-prices`: read a price source, map it, and write it as a profile file.

`import_source` reads genai-prices (installed package or data file) or a LiteLLM file, and returns the
mapped entries; `profile_text` writes them as a profile with a header that says where they came from;
`validate_text` loads that text with the profile loader before anything is written. A source file that
is not JSON, too large, nested too deeply, or not in its format's shape is one LlmcostError naming the
file and the first bad value's path.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import tempfile
from collections.abc import Collection, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from llmcost import catalog, yamlsrc
from llmcost.errors import LlmcostError, ProfileError, unknown
from llmcost.price_import import genai_prices, litellm
from llmcost.price_import.entries import Imported, load_model_links
from llmcost.price_import.shape import ShapeError
from llmcost.userfiles import read_capped

SOURCES = ("genai-prices", "litellm")

MAX_JSON_BYTES = 256 * 2**20
"""Largest price file read (LiteLLM's, the larger, is a few MB); a bigger one is refused before it is read whole."""

MAX_JSON_DEPTH = 100
"""Reported nesting limit when the JSON reader gives up (price data is a few levels deep)."""

_INT_DIGITS = 20
"""Integers longer than this are read as Decimal: int() refuses more than 4,300 digits, and the shape check
rejects such numbers by their range, with their path."""

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def check_date(text: str, what: str) -> str:
    """`text` when it is a real date written YYYY-MM-DD, else LlmcostError naming `what`."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            datetime.date.fromisoformat(text)
            return text
    except ValueError:
        pass
    raise LlmcostError(f"{what} {text!r}: expected a date YYYY-MM-DD, e.g. 2026-11-10")


def file_date(path: Path) -> datetime.date:
    """The day a file was last written (UTC): the default `as_of` when the data records no check date."""
    return datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC).date()


def file_label(path: Path, data: bytes, kind: str) -> str:
    """How imported entries name their source file: its name and the start of its SHA-256."""
    return f"{kind} {path.name} (sha256 {hashlib.sha256(data).hexdigest()[:12]})"


def _json_int(text: str) -> int | Decimal:
    return int(text) if len(text) <= _INT_DIGITS else Decimal(text)


def _too_deep_line(text: str) -> int:
    """The line where `text` first nests deeper than MAX_JSON_DEPTH (strings skipped); 1 when it never does."""
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        token = m.group()
        depth += 1 if token in "[{" else -1 if token in "]}" else 0
        if depth > MAX_JSON_DEPTH:
            return text.count("\n", 0, m.start()) + 1
    return 1


def read_json(path: Path, what: str) -> tuple[Any, bytes]:
    """The JSON in `path` (fractions, NaN and Infinity as Decimal, exactly) and its bytes; one-line LlmcostError
    when it cannot be read."""
    name = f"{what} file {str(path)!r}"
    raw = read_capped(path, name, MAX_JSON_BYTES, "give the price data JSON (LiteLLM's model_prices_and_context_window.json "
                      "or genai-prices' data.json)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise LlmcostError(f"{name}: not UTF-8 text (byte {e.start}); is it the JSON file?") from None
    try:
        return json.loads(text, parse_float=Decimal, parse_int=_json_int, parse_constant=Decimal), raw
    except json.JSONDecodeError as e:
        raise LlmcostError(f"{name}: not JSON ({e.msg} at line {e.lineno})") from None
    except RecursionError:
        raise LlmcostError(f"{name}: line {_too_deep_line(text)}: nested more than {MAX_JSON_DEPTH} levels deep; "
                           "price data is a few levels deep") from None


def import_source(source: str, path: Path | None, *, as_of: str | None, today: datetime.date, model_ids: Collection[str],
                  wanted: Collection[str] = ()) -> tuple[Imported, datetime.date]:
    """Read `source` (genai-prices: the installed package, or the data file `path`; litellm: the file `path`) and
    import it; also return the data's own date (the file's), which `as_of` replaces when given."""
    if source not in SOURCES:
        raise LlmcostError(unknown("--from source", source, SOURCES))
    if source == "litellm" and path is None:
        raise LlmcostError("--from litellm needs the JSON file: llmcost profiles import-prices --from litellm "
                           "model_prices_and_context_window.json")
    links = load_model_links(model_ids)
    data: Any
    if path is None:
        data, label, saved = genai_prices.installed()
        where = label
    else:
        what = "LiteLLM prices" if source == "litellm" else "genai-prices data"
        data, raw = read_json(path, what)
        label = file_label(path, raw, "LiteLLM" if source == "litellm" else "genai-prices data")
        saved, where = file_date(path), f"{what} file {str(path)!r}"
    day = as_of or saved.isoformat()
    try:
        if source == "litellm":
            return litellm.import_litellm(data, label=label, as_of=day, today=today, links=links, wanted=wanted), saved
        return genai_prices.import_genai_prices(data, label=label, as_of=day, today=today, links=links, wanted=wanted), saved
    except ShapeError as e:
        raise LlmcostError(f"{where}: {e}") from None


def profile_text(imported: Imported, command: str) -> str:
    """The entries as an llmcost profile file, with a header that says where they came from and how to refresh."""
    header = [
        f"# API prices imported from {imported.source} by `{command}`.",
        f"# Every entry has as_of {imported.as_of}. Prices are USD per 1M tokens; cache writes, tool calls, search and",
        "# non-text modalities are left out. Re-run the command to refresh; edits here are overwritten.",
        "",
    ]
    body = yaml.safe_dump({"apis": imported.entries}, sort_keys=False, allow_unicode=True, width=120,
                          default_flow_style=False)
    return "\n".join(header) + body


def skipped_lines(skipped: Sequence[tuple[str, str]], limit: int = 12) -> list[str]:
    """One stderr line per reason: how many entries, and their names (all of them up to `limit`)."""
    by_reason: dict[str, list[str]] = {}
    for name, reason in skipped:
        by_reason.setdefault(reason, []).append(name)
    lines = []
    for reason, names in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        shown = ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")
        lines.append(f"llmcost: skipped {len(names)} ({reason}): {shown}")
    return lines


def validate_text(text: str, file_name: str, user_paths: Sequence[Path] = ()) -> None:
    """Load `text` as the profile file `file_name` (after `user_paths`) with the profile loader; LlmcostError if it fails."""
    size, limit = len(text.encode("utf-8")), yamlsrc.MAX_FILE_BYTES
    if size > limit:
        raise LlmcostError(f"the imported file would be {size:,} bytes, over the {limit:,}-byte limit of a "
                           "profile file; pick providers with --provider")
    with tempfile.TemporaryDirectory(prefix="llmcost-import-") as tmp:
        path = Path(tmp) / (Path(file_name).name or "prices.yaml")
        path.write_text(text, encoding="utf-8")
        try:
            catalog.load([*user_paths, path], skip=[Path(file_name)])  # the file it replaces is not a second definition
        except ProfileError as e:  # name the file the user asked for, not the temporary copy
            raise LlmcostError(f"the imported file does not load, nothing written: {str(e).replace(str(path), file_name)}") from None
