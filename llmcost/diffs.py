"""`llmcost diff`: what changed between two `llmcost compare -f json` outputs, one row per option.

A CI job runs compare on the main branch and on a pull request and diffs the two (as infracost diff does for
cloud costs). Per option: the old and new TCO, monthly cost and payback, and the change of each. The inputs
are rendered rows, so their states arrive as words and stay words:

- an option in one file only: `change` is "added" or "removed", and the other side reads "absent";
- a side that is not a number ("never", "n/a", "does not fit", "absent") gives no delta number: the delta
  reads "never" when a payback becomes never (so `delta_payback_months > 6` trips, as "never" ranks above
  every number), "was never" when it stops being never, "still never" when both are, else "n/a".

Nothing here reads the catalogue or runs an engine: a diff is only as good as the two files it is given.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from llmcost.errors import LlmcostError
from llmcost.render import count
from llmcost.results import NA, NEVER, STATES, Table, num, text_column
from llmcost.userfiles import read_capped

Row = dict[str, Any]

COMPARED = ("tco_usd", "monthly_usd", "payback_months")
"""The compare keys a diff reads from each file."""
DIFF_KEYS = ("option", "kind", "change", *(k for key in COMPARED for k in (f"old_{key}", f"new_{key}", f"delta_{key}")))
"""Keys of every diff row, in order (the CSV header)."""
ABSENT, WAS_NEVER, STILL_NEVER = "absent", "was never", "still never"
DIFF_STATES = (*STATES, ABSENT, WAS_NEVER, STILL_NEVER)
"""Words a diff's old_, new_ and delta_ cells may hold instead of a number."""
CHANGES = ("changed", "unchanged", "added", "removed")
HINT = "give two outputs of `llmcost compare -f json`"
MAX_BYTES = 64 * 2**20
"""Larger inputs are refused: a compare output is a few kilobytes."""


@dataclass(frozen=True)
class Diff:
    """`diff`'s result: `.columns` (text and cells as they read: numbers or state words), `.rows()` and a summary."""

    table: Table
    base: str
    head: str

    @property
    def columns(self) -> Mapping[str, np.ndarray]:
        return self.table.columns

    def rows(self) -> list[Row]:
        """Exactly the rows of `llmcost diff BASE HEAD --format json`."""
        return self.table.rows()

    @property
    def summary(self) -> str:
        """'2 options changed, 1 added, 0 removed, 14 unchanged.'"""
        changes = list(self.table.columns["change"])
        return (f"{count(changes.count('changed'), 'option')} changed, {changes.count('added')} added, "
                f"{changes.count('removed')} removed, {changes.count('unchanged')} unchanged.")


def read_rows(path: str | Path) -> list[Row]:
    """The rows of a `compare -f json` (or `-f jsonl`) output file, checked: one object per option with a text
    `option` and a number or state in each COMPARED key. Any other content is an LlmcostError naming the file."""
    name = str(path)
    data = read_capped(path, name, MAX_BYTES, HINT)
    try:
        text = data.decode("utf-8")
        lines = Path(name).suffix.lower() in (".jsonl", ".ndjson")
        rows = [_loads(line) for line in text.splitlines() if line.strip()] if lines else _loads(text)
    except (ValueError, RecursionError) as e:
        raise LlmcostError(f"{name}: not JSON ({str(e).splitlines()[0][:80]}); {HINT}") from None
    return check_rows(rows, name)


def _loads(text: str) -> Any:
    def refuse(word: str) -> Any:
        raise ValueError(f"{word} is not a JSON number")

    return json.loads(text, parse_constant=refuse)


def check_rows(rows: Any, name: str) -> list[Row]:
    """`rows` as compare rows, or an LlmcostError saying what in `name` is not one."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise LlmcostError(f"{name}: expected a JSON array of row objects; {HINT}")
    seen: set[str] = set()
    for i, r in enumerate(rows, 1):
        option = r.get("option")
        if not isinstance(option, str) or not option:
            raise LlmcostError(f"{name}: row {i} has no option name; {HINT}")
        if option in seen:
            raise LlmcostError(f"{name}: option {option!r} appears twice; diff takes one row per option ({HINT}, "
                               "not breakeven or sweep)")
        seen.add(option)
        for key in COMPARED:
            if key not in r:
                raise LlmcostError(f"{name}: row {i} ({option}) has no {key}; {HINT}")
            value = r[key]
            if not (_is_number(value) and math.isfinite(value)) and value not in STATES:
                raise LlmcostError(f"{name}: row {i} ({option}): {key} is {value!r}; expected a number or one of "
                                   f"{', '.join(STATES)} ({HINT})")
    return rows


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def delta(old: Any, new: Any) -> Any:
    """new - old, or the state that says why there is no number.

    >>> delta(12, 9.5), delta(12, "never"), delta("never", 4), delta("never", "never"), delta("absent", 3)
    (-2.5, 'never', 'was never', 'still never', 'n/a')
    """
    if _is_number(old) and _is_number(new):
        return num(new - old)
    if old == NEVER or new == NEVER:
        return STILL_NEVER if old == new else NEVER if _is_number(old) else WAS_NEVER if _is_number(new) else NA
    return NA


def diff(base: Sequence[Row], head: Sequence[Row], base_name: str = "BASE", head_name: str = "HEAD") -> Diff:
    """One row per option of `base` (in its order), then per option only in `head`, with old, new and delta
    of each COMPARED key and what changed (`change`: changed, unchanged, added, removed)."""
    old = {r["option"]: r for r in base}
    new = {r["option"]: r for r in head}
    out: list[Row] = []
    for option in dict.fromkeys([*old, *new]):
        a, b = old.get(option), new.get(option)
        row: Row = {"option": option, "kind": (b or a or {}).get("kind", NA)}
        pairs = [(a.get(k, ABSENT) if a else ABSENT, b.get(k, ABSENT) if b else ABSENT) for k in COMPARED]
        row["change"] = "added" if a is None else "removed" if b is None else \
            "unchanged" if all(x == y for x, y in pairs) else "changed"
        for key, (x, y) in zip(COMPARED, pairs, strict=True):
            row.update({f"old_{key}": x, f"new_{key}": y, f"delta_{key}": delta(x, y)})
        out.append(row)
    table = Table({k: text_column([r[k] for r in out]) for k in DIFF_KEYS})
    return Diff(table, base_name, head_name)
