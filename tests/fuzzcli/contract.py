"""What every invocation must keep (issue #14): exit codes, stderr, parsed outputs with finite, non-negative
numbers. See the package docstring."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

# ------------------------------------------------------------------------------------------------ the contract

SIGNED = frozenset({"fitted_error", "default_error", "value", "age_days", "low", "mode", "high"})
"""Output columns that may hold a negative number: calibrate's relative errors, `profiles show`'s field values (a
profile may hold a price decline), a price's age (negative for a date after LLMCOST_TODAY) and the range of an input
in `sensitivity` (a price decline's range reaches below 0: rising prices). Grid columns (dotted scenario keys) echo
the user's input and are signed too, and `diff`'s `delta_*` columns are changes."""

STATE_WORDS = frozenset({"never", "n/a", "does not fit", "unbounded", ""})
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
PY_WARNING = re.compile(r"(^|\s)\S*\.py:\d+: \w*Warning\b|^\s*warnings\.warn|\b\w+Warning: ")
_NON_FINITE = re.compile(r"(?<![\w/.-])(nan|-?inf|-?infinity)(?![\w/-])", re.IGNORECASE)


@dataclass
class Case:
    """One generated invocation and what the generator knows about it."""

    argv: list[str]
    command: str
    env: dict[str, str] = field(default_factory=dict)
    invalid: list[str] = field(default_factory=list)  # values outside their bounds: the run must exit 2
    output: str | None = None  # the -o argument, if any
    fmt: str | None = None  # the --format argument, if any (the last one given)
    hostility: float = 0.0  # how hostile its values were meant to be (0: every value typical and valid)

    def text(self) -> str:
        env = " ".join(f"{k}={v!r}" for k, v in self.env.items())
        return (env + " " if env else "") + "llmcost " + " ".join(_show(a) for a in self.argv)


def _show(arg: str) -> str:
    text = repr(arg) if not arg or not arg.isprintable() or " " in arg else arg
    return text if len(text) <= 120 else text[:60] + f"...({len(text)} chars)..." + text[-20:]


@dataclass
class Outcome:
    code: int | None
    out: str
    err: str
    raised: str | None = None  # an exception that left main(): always a violation
    seconds: float = 0.0


def violations(case: Case, res: Outcome, harmed: list[str], data: list[tuple[str, str]]) -> list[str]:
    """Every way `res` breaks the contract. `harmed`: files changed that must not be; `data`: (format, text)
    outputs to parse (stdout and the -o file)."""
    bad: list[str] = []
    if res.raised is not None:
        return [f"raised out of main: {res.raised}"]
    if res.code not in (0, 1, 2):
        bad.append(f"exit code {res.code}")
    bad += _stderr_problems(case, res)
    if case.invalid and res.code != 2:
        bad.append(f"accepted a value outside its bounds ({case.invalid[0]}) with exit {res.code}")
    bad += harmed
    if res.code in (0, 1):
        for fmt, text in data:
            bad += [f"{fmt} output: {p}" for p in output_problems(fmt, text)]
    return bad


def _stderr_problems(case: Case, res: Outcome) -> list[str]:
    bad = []
    if "Traceback" in res.err:
        bad.append("traceback on stderr")
    if any(PY_WARNING.search(line) for line in res.err.splitlines() if not line.startswith("llmcost:")):
        bad.append("a Python or NumPy warning on stderr")
    if _CONTROL.search(res.err.replace("\n", "")):
        bad.append("a control character on stderr")
    lines = res.err.splitlines()
    errors = [ln for ln in lines if ln.startswith("llmcost: error:")]
    problems = [ln for ln in lines if not ln.startswith("llmcost: ")]
    if res.code == 2 and case.command == "profiles validate" and not errors:
        if not problems:
            bad.append("profiles validate exit 2 without a problem line")
    elif res.code == 2 and len(errors) != 1:
        bad.append(f"exit 2 with {len(errors)} 'llmcost: error:' lines")
    elif res.code == 1 and (len(errors) != 1 or "--fail-if" not in errors[0]):
        bad.append("exit 1 without exactly one tripped-gate line")
    elif res.code == 0 and errors:
        bad.append("exit 0 with an 'llmcost: error:' line")
    return bad


def output_problems(fmt: str, text: str) -> list[str]:
    """Parse an output in its format; every numeric cell finite and, outside SIGNED, not negative."""
    try:
        if fmt == "json":
            rows = json.loads(text, parse_constant=_refuse_constant) if text.strip() else None
            if text.strip() and not isinstance(rows, (list, dict)):
                return ["JSON that is neither an array nor an object"]
            return _cells(rows if isinstance(rows, list) else [rows] if isinstance(rows, dict) else [])
        if fmt == "jsonl":
            return _cells([json.loads(line, parse_constant=_refuse_constant) for line in text.splitlines() if line.strip()])
        if fmt == "csv":
            return _csv_problems(text)
    except ValueError as e:
        return [f"does not parse: {e}"]
    problems = []
    if _CONTROL.search(text.replace("\n", "")):
        problems.append("a control character")
    if _NON_FINITE.search(text):
        problems.append(f"'{_NON_FINITE.search(text).group()}' in the text")  # type: ignore[union-attr]
    return problems


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} in JSON")


def _cells(rows: list[Any]) -> list[str]:
    problems = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        for key, value in row.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            problems += _number_problem(str(key), float(value))
    return problems[:3]


def _number_problem(key: str, value: float) -> list[str]:
    if not math.isfinite(value):
        return [f"{key} = {value}"]
    if value < 0 and key not in SIGNED and "." not in key and not key.startswith("delta_"):
        return [f"negative {key} = {value!r}"]
    return []


def _csv_problems(text: str) -> list[str]:
    if not text:
        return ["empty CSV (not even a header)"]
    problems = []
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    for row in reader:
        if len(row) != len(header):
            return [f"a row of {len(row)} cells under a header of {len(header)}"]
        for key, cell in zip(header, row, strict=True):
            if cell.strip().lower() in STATE_WORDS:
                continue
            try:
                value = float(cell)
            except ValueError:
                continue
            problems += _number_problem(key, value)
    return problems[:3]


