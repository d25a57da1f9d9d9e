"""The fuzz campaign of issue #14 (item 6): generated `llmcost` invocations over every command and option, each
checked against the contract.

Invocations run in-process through the real entry point (`llmcost.cli.app.main`), in a workspace of generated
input files (scenarios, grids, profile directories, price files, benchmark result files) and output targets
(existing files, symlinks, directories, devices, names too long). Values are typical, at the edges of their
bounds (the one table, `llmcost.schema.quantities`) and hostile: 0, negatives, 1e300, 400-digit numbers, NaN
and inf as text, huge counts, empty strings, unicode, control characters, every assumption at its extremes
through `--set assumptions.X=...`, hostile COLUMNS values. I/O faults (a full disk, a closed pipe, a reader that
leaves after one byte, a file-size limit, FIFOs and devices) and signals (SIGTERM, SIGHUP, SIGINT mid-sweep)
run `python -m llmcost` in subprocesses.

The contract, asserted on every invocation (`violations`):
- exit 0, 1 or 2 only (a signal: 128 + its number); nothing raised out of `main`; no traceback and no NumPy
  (or other Python) warning on stderr; no control character on stderr;
- exit 2 is exactly one `llmcost: error:` line (`profiles validate` lists its problems instead); exit 1 is the
  one line of a tripped gate; exit 0 has none;
- a value outside its bounds (known from the table, not from llmcost's answer) exits 2;
- every CSV, JSON and JSON Lines output (stdout or the -o file) parses, and every numeric cell is finite and,
  outside the signed columns (`SIGNED`), not negative: no negative money, hours or energy; tables and Markdown
  hold no `nan` or `inf` and no control character;
- no user file harmed: every input is unchanged, an existing -o target is unchanged after a failed run (and is
  still a symlink, FIFO or device when it was one), no temporary file is left behind.

`campaign(n, seed)` runs n generated invocations; `fault_cases` the subprocess ones. The fast tier
(tests/test_fuzz_cli.py) runs a few hundred on every test run; the long tier (`python benchmarks/fuzz_campaign.py`,
or `pytest -m fuzz_long`) runs at least 5,000 and prints the counts.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import dataclasses
import hashlib
import io
import itertools
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from llmcost import bounds, schema
from llmcost.schema import Bounds
from llmcost.schema.quantities import OPTIONS

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"

# ------------------------------------------------------------------------------------------------ the contract

SIGNED = frozenset({"fitted_error", "default_error", "value", "age_days"})
"""Output columns that may hold a negative number: calibrate's relative errors, `profiles show`'s field values (a
profile may hold a price decline) and a price's age (negative for a date after LLMCOST_TODAY). Grid columns (dotted
scenario keys) echo the user's input and are signed too."""

STATE_WORDS = frozenset({"never", "n/a", "does not fit", "unbounded", ""})
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PY_WARNING = re.compile(r"(^|\s)\S*\.py:\d+: \w*Warning\b|^\s*warnings\.warn|\b\w+Warning: ")
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
    if any(_PY_WARNING.search(line) for line in res.err.splitlines() if not line.startswith("llmcost:")):
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
    if value < 0 and key not in SIGNED and "." not in key:
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


# ------------------------------------------------------------------------------------------------ the workspace


def _digest(path: Path) -> tuple[Any, ...]:
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        return ("link", os.readlink(path))
    if stat.S_ISREG(st.st_mode):
        return ("file", stat.S_IMODE(st.st_mode), hashlib.sha1(path.read_bytes()).hexdigest())
    return ("node", stat.S_IFMT(st.st_mode))


class Workspace:
    """A directory of inputs and output targets, and a snapshot of it to tell what a run changed."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        root.mkdir(parents=True, exist_ok=True)
        self.catalog_ids = _catalog_ids()
        self.scenarios = self._scenarios()
        self.profile_dirs = self._profile_dirs()
        self.price_files = self._price_files()
        self.result_files = self._result_files()
        self.case_inputs: list[Path] = []
        (root / "precious.csv").write_text("precious,data\n1,2\n")
        (root / "precious.json").write_text('[{"keep": 1}]\n')
        (root / "link.csv").symlink_to(root / "precious.csv")
        (root / "dangling.csv").symlink_to(root / "nowhere" / "gone.csv")
        (root / "adir").mkdir()
        self.fixed = self.snapshot()
        self.pristine = {p: Path(p).read_bytes() for p, d in self.fixed.items() if d[0] == "file"}

    # inputs ---------------------------------------------------------------------------------------------

    def _scenarios(self) -> list[Path]:
        base = {"name": "mine", "workload": {"requests_per_day": 2000, "input_tokens": 800, "output_tokens": 200},
                "serving": {"model": "llama-3.1-8b", "quantization": "awq-int4", "engine": "vllm"},
                "options": {"gpus": ["rtx-3090", "2xrtx-4090"], "apis": ["openai/gpt-4o-mini"]}}
        out = []
        for i, (section, key, value) in enumerate([(None, None, None), ("workload", "requests_per_day", -5),
                                                   ("workload", "output_tokens", 1e300), ("economics", "pue", 0.5),
                                                   ("workload", "monthly_growth", 10), ("serving", "model", "\x1b[2J"),
                                                   ("economics", "horizon_months", 0.5), ("workload", "requests_per_day", "9" * 400)]):
            doc = copy.deepcopy(base)
            if section is not None:
                doc.setdefault(section, {})[key] = value
            path = self.root / f"scenario{i}.yaml"
            path.write_text(yaml.safe_dump(doc, allow_unicode=False))
            out.append(path)
        for i in range(8):  # and some with a hostile value anywhere
            doc = copy.deepcopy(base)
            _mutate(doc, self.rng)
            path = self.root / f"scenario-mutated{i}.yaml"
            path.write_text(yaml.safe_dump(doc, allow_unicode=True))
            out.append(path)
        return out

    def _profile_dirs(self) -> dict[str, Path]:
        from conftest import VALID_PROFILES

        dirs = {}
        for name, mutate in [("ok", None), ("evil", ("apis", "name", "\x1b]0;owned\x07")), ("cheap-power", "electricity"),
                             ("negative-power", "negative"), ("huge", ("gpus", "price_usd", 1e300)), ("dup", "dup")]:
            d = self.root / f"profiles-{name}"
            d.mkdir()
            doc = copy.deepcopy(VALID_PROFILES)
            if isinstance(mutate, tuple):
                doc[mutate[0]][0][mutate[1]] = mutate[2]
            elif mutate == "electricity":
                doc["assumptions"]["electricity_usd_per_kwh"]["value"] = 0
            elif mutate == "negative":
                doc["assumptions"]["electricity_usd_per_kwh"]["value"] = -1
            (d / "all.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
            if mutate == "dup":
                (d / "again.yaml").write_text(yaml.safe_dump({"gpus": doc["gpus"]}))
            dirs[name] = d
        return dirs

    def _price_files(self) -> list[tuple[str, Path]]:
        out = [("genai-prices", FIXTURES / "prices" / "genai-prices.json"), ("litellm", FIXTURES / "prices" / "litellm.json")]
        out += [("litellm" if p.name.startswith("litellm") else "genai-prices", p) for p in sorted((FIXTURES / "prices" / "malformed").iterdir())]
        local = []
        for i in range(12):
            source, path = self.rng.choice(out[:2])
            doc = json.loads(path.read_text())
            _mutate(doc, self.rng)
            target = self.root / f"prices{i}.json"
            target.write_text(json.dumps(doc, allow_nan=True))
            local.append((source, target))
        for source, path in out:
            target = self.root / f"copy-{path.name}"
            shutil.copy(path, target)
            local.append((source, target))
        return local

    def _result_files(self) -> list[tuple[str, Path]]:
        fixtures = sorted((FIXTURES / "calibrate").glob("*.json*"))
        gpu_of = {"llama-bench-rtx4080.json": "rtx-4080", "vllm-rtx4090.json": "rtx-4090", "llama-bench-m2-ultra.jsonl": "m2-ultra-76c-192gb"}
        out = []
        for path in fixtures:
            target = self.root / f"copy-{path.name}"
            shutil.copy(path, target)
            out.append((gpu_of.get(path.name, "rtx-4090"), target))
        for i in range(10):
            gpu, path = self.rng.choice([o for o in out if "bad" not in o[1].name and o[1].suffix == ".json"])
            doc = json.loads(path.read_text())
            _mutate(doc, self.rng)
            target = self.root / f"results{i}.json"
            target.write_text(json.dumps(doc, allow_nan=True))
            out.append((gpu, target))
        return out

    def grid(self, text: str) -> Path:
        """A grid file for one invocation: an input like the others, removed once the invocation is checked."""
        path = self.root / f"grid{len(self.case_inputs)}.yaml"
        path.write_text(text)
        self.case_inputs.append(path)
        self.fixed[str(path)] = _digest(path)
        return path

    # snapshots -------------------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, tuple[Any, ...]]:
        out = {}
        for dirpath, dirnames, filenames in os.walk(self.root):
            for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                path = Path(dirpath) / name
                out[str(path)] = _digest(path)
        return out

    def harmed(self, case: Case, code: int | None) -> list[str]:
        """Files changed or left behind that must not be; then the workspace is put back as it was."""
        now = self.snapshot()
        allowed = self._allowed(case, code)
        bad = [f"{Path(p).name} changed" for p, d in self.fixed.items() if now.get(p) != d and p not in allowed]
        bad += [f"{Path(p).name} left behind" for p in now if p not in self.fixed and p not in allowed]
        self._restore(now)
        for path in self.case_inputs:
            path.unlink(missing_ok=True)
            self.fixed.pop(str(path), None)
        self.case_inputs = []
        return bad

    def _allowed(self, case: Case, code: int | None) -> set[str]:
        """The -o target (through a symlink: its target) may change after a run that wrote it (exit 0, or 1 for a gate)."""
        if case.output is None or code not in (0, 1):
            return set()
        path = os.path.normpath(case.output if os.path.isabs(case.output) else str(Path.cwd() / case.output))
        before = self.fixed.get(path)
        if before is not None and before[0] == "link":  # written through: the link itself must stay as it was
            return {os.path.normpath(os.path.join(os.path.dirname(path), before[1]))}
        return {path}

    def _restore(self, now: dict[str, tuple[Any, ...]]) -> None:
        for p in now:
            if p not in self.fixed:
                Path(p).unlink()
        for p, d in self.fixed.items():
            if now.get(p) != d and p in self.pristine:
                Path(p).unlink(missing_ok=True)
                Path(p).write_bytes(self.pristine[p])
                os.chmod(p, d[1])


def _mutate(doc: Any, rng: random.Random, depth: int = 0) -> None:
    """Replace one value somewhere in a JSON document by a hostile one."""
    if isinstance(doc, dict) and doc:
        key = rng.choice(list(doc))
        if depth < 6 and isinstance(doc[key], (dict, list)) and rng.random() < 0.7:
            _mutate(doc[key], rng, depth + 1)
        elif rng.random() < 0.15:
            del doc[key]
        else:
            doc[key] = rng.choice(HOSTILE_JSON)
    elif isinstance(doc, list) and doc:
        i = rng.randrange(len(doc))
        if depth < 6 and isinstance(doc[i], (dict, list)) and rng.random() < 0.7:
            _mutate(doc[i], rng, depth + 1)
        else:
            doc[i] = rng.choice(HOSTILE_JSON)


HOSTILE_JSON: list[Any] = [0, -1, -1e300, 1e300, float("nan"), float("inf"), 10**400, "", "x" * 5000, "\x1b[2J", "\u202e", None, [],
                           {}, True, "2025-02-30", "1,000", [[[[[[[[1]]]]]]]], {"a": {"b": {"c": {}}}}, 0.5, "NaN"]


def _catalog_ids() -> dict[str, list[str]]:
    from llmcost import api

    cat = api.load_catalog()
    ids = {kind: sorted(table) for kind, table in cat.entries.items() if table}
    ids["assumptions"] = sorted(cat.assumptions)
    return ids


# ------------------------------------------------------------------------------------------------ values

HOSTILE_TEXT = ["", " ", "x" * 5000, "\x1b[31mred\x1b[0m", "a\nb", "\u202eevil", "rtx-409", "RTX-4090", "../../etc/passwd", "%s%n",
                "{}", "null", "-1", "auto", "é" * 50, "\x00", "\t", "--help"]
NOT_NUMBERS = ["", " ", "abc", "nan", "NaN", "inf", "-inf", "Infinity", "1,000", "0x10", "\u0661\u0662", "1e", "--", "-", "5%", "\x1b5",
               "1e309", "9" * 400, "-" + "9" * 400, "1" + "0" * 400]
"""Texts that are no finite number as llmcost reads numbers (1e309 and the 400-digit ones overflow a float)."""


def valid_for(value: float, b: Bounds) -> bool:
    """Whether `value` is valid for `b`, decided from the table's fields (the oracle, not llmcost's check)."""
    if not math.isfinite(value) or value > b.le:
        return False
    if (b.gt is not None and not value > b.gt) or (b.ge is not None and not value >= b.ge):
        return False
    return not b.integer or value == int(value)


def number_text(rng: random.Random, b: Bounds, typical: tuple[float, float] | None = None, hostility: float = 1.0) -> tuple[str, bool]:
    """A number as text for a quantity with bounds `b`, and whether it is valid: typical, or (more often the higher
    `hostility`, 0 to 1) at an edge of its bounds or hostile."""
    r = rng.random() / max(hostility, 1e-9)
    if r > 0.55:
        low, high = typical or b.plausible or (b.lower or 0.0, min(b.le, 1e6))
        low, high = max(low, b.lower or low), min(high, b.le)
        value = math.exp(rng.uniform(math.log(max(low, 1e-9)), math.log(max(high, 1e-9)))) if low > 0 else rng.uniform(low, high)
    elif r > 0.2:
        lower = b.lower if b.lower is not None else -1.0
        value = rng.choice([lower, lower - 1e-9, lower + 1e-9, lower - 1, b.le, b.le * (1 + 1e-9), b.le + 1, 0.0, -1.0, 0.5, 1.0, 2.0,
                            1e300, -1e300, 1e18, 1e19, 2.0**63, 1e-300])
    else:
        return rng.choice(NOT_NUMBERS), False
    if b.integer and (r > 0.55 or rng.random() < 0.8):
        value = float(round(value)) if abs(value) < 1e300 else value
    return _as_text(rng, value), valid_for(value, b)


def _as_text(rng: random.Random, value: float) -> str:
    """A number written one of the ways llmcost reads numbers (the value stays exactly `value`)."""
    if value == int(value) and abs(value) < 1e15:
        n = int(value)
        choices = [str(n), f"{n:_}" if n >= 0 else str(n)]
        if n and n % 1000 == 0:
            choices.append(f"{n // 1000}k")
        if n and n % 1_000_000 == 0:
            choices.append(f"{n // 1_000_000}M")
        return rng.choice(choices)
    return repr(value)


# ------------------------------------------------------------------------------------------------ generating invocations

SCENARIO_COMMANDS = ("compare", "breakeven", "sensitivity", "sweep")
FORMATS = ["table", "csv", "json", "jsonl", "markdown"]
COMMON_GPUS = ["rtx-3090", "rtx-4090", "rtx-5090", "a100-80gb", "h100-sxm", "l40s", "rtx-a6000", "h200"]
"""GPUs that every engine runs on (a clean invocation mostly picks these; any id comes up too)."""


def _keys(command: str) -> list[str]:
    """The columns a command's rows hold (for --columns and gate conditions)."""
    from llmcost import comparison, uncertainty
    from llmcost.cli import estimates

    return {"compare": list(comparison.ROW_KEYS), "breakeven": list(comparison.BREAKEVEN_KEYS), "sweep": list(comparison.ROW_KEYS),
            "pretrain": list(estimates.PRETRAIN_TABLE), "finetune": list(estimates.FINETUNE_TABLE), "serve": list(estimates.SERVE_TABLE),
            "samples": list(uncertainty.MC_KEYS)}.get(command, ["option", "kind"])
COLUMNS_ENV = ["-5", "0", "1", "5", "20", "80", "200", "99999999999", "abc", "", " 80", "1e3", "\uff18\uff10"]


class Gen:
    """Builds one invocation of one command: `add` appends an option; values come from the pools below."""

    def __init__(self, rng: random.Random, ws: Workspace, command: str) -> None:
        self.rng, self.ws, self.command = rng, ws, command
        self.case = Case([*command.split()], command)
        self.small = True  # the run must stay small: no big Monte Carlo, no big sweep
        self.hostility = rng.choice([0.0, 0.0, 0.3, 0.3, 1.0])  # clean, a hostile value now and then, or chaos
        self.case.hostility = self.hostility

    def bad(self, p: float) -> bool:
        """Whether to put a hostile value here (probability `p` at full hostility)."""
        return self.rng.random() < p * self.hostility

    def pick(self, items: list[Any]) -> Any:
        return self.rng.choice(items)

    def ids(self, kind: str) -> str:
        known = self.ws.catalog_ids.get(kind)
        if kind == "gpus" and self.rng.random() < 0.7:
            known = COMMON_GPUS
        return self.pick(known) if known and not self.bad(0.2) else self.pick(HOSTILE_TEXT)

    def number(self, key: str, what: str, typical: tuple[float, float] | None = None) -> str:
        text, ok = number_text(self.rng, bounds.lookup(key), typical, self.hostility)
        if not ok:
            self.case.invalid.append(f"{what} {text[:30]!r}")
        return text


def _scenario_keys() -> dict[str, schema.Spec]:
    out: dict[str, schema.Spec] = {}

    def walk(cls: Any, prefix: str) -> None:
        for f in dataclasses.fields(cls):
            spec = schema.spec_of(f)
            key = prefix + schema.yaml_key(f)
            if spec.type == "record":
                walk(spec.record, key + ".")
            elif spec.type != "records":
                out[key] = spec

    walk(schema.Scenario, "")
    return out


SCENARIO_KEYS = _scenario_keys()
NUMERIC_KEYS = [k for k, s in SCENARIO_KEYS.items() if s.type in ("num", "int") and k in bounds.table()]
TYPICAL = {"workload.requests_per_day": (10, 1e6), "workload.input_tokens": (10, 8000), "workload.output_tokens": (10, 4000),
           "economics.horizon_months": (1, 60), "lifecycle.pretrain.tokens": (1e6, 1e12), "lifecycle.finetune.tokens": (1e4, 1e9)}
"""Typical ranges where the plausible range would make runs slow (a 360-month horizon, 1e15 training tokens)."""


def _set_value(g: Gen, key: str) -> str:
    spec = SCENARIO_KEYS.get(key)
    if key.startswith("assumptions.") and key in bounds.table():
        if g.bad(0.3):  # a range for Monte Carlo and sensitivity
            return g.pick(["1..2", "2..1", "0.1..0.2..0.3", "-1..5", "0..1e300", "..", "1..nan"])
        return g.number(key, f"--set {key}")
    if spec is not None and key in bounds.table():
        return g.number(key, f"--set {key}", TYPICAL.get(key))
    if key == "serving.model":
        return g.ids("models")
    if key == "serving.quantization":
        return g.ids("quantizations")
    if key in ("options.gpus",):
        return ",".join(_gpu_option(g) for _ in range(g.rng.randint(0, 2)))
    if key in ("options.apis",):
        return ",".join(g.ids("apis") for _ in range(g.rng.randint(0, 2)))
    if key == "options.rentals":
        return g.pick(["auto", "", g.ids("rentals")])
    if spec is not None and spec.type == "bool":
        return g.pick(["true", "false", "yes", "maybe", ""])
    return g.pick(["auto", "vllm", "llama.cpp", *HOSTILE_TEXT])


def _set(g: Gen) -> list[str]:
    out = []
    for _ in range(g.rng.choice([1, 1, 1, 2, 3])):
        if g.rng.random() < 0.5 or g.command not in SCENARIO_COMMANDS:
            key = "assumptions." + g.pick(g.ws.catalog_ids["assumptions"]) if not g.bad(0.1) else "assumptions.nope"
        else:
            key = g.pick([k for k in SCENARIO_KEYS if g.bad(0.3) or not k.startswith("lifecycle.")]) if not g.bad(0.1) else \
                g.pick(["workload.nope", "", "=", "workload"])
        if key == "economics.horizon_months" and g.command == "sweep":
            key = "workload.requests_per_day"  # a 1,200-month horizon over a grid is slow, not wrong
        value = _set_value(g, key)
        if g.command not in SCENARIO_COMMANDS and not key.startswith("assumptions."):
            g.case.invalid.append(f"--set {key} on {g.command}")
        if sum(1 for a in g.case.argv if a.startswith(key + "=")) or any(key == o.split("=")[0] for o in out):
            g.case.invalid = [i for i in g.case.invalid if key not in i]  # given twice: the last wins, no prediction
        out += ["--set", f"{key}={value}"]
    return out


def _gpu_option(g: Gen) -> str:
    gid = g.ids("gpus")
    r = g.rng.random()
    if r < 0.6:
        return gid
    n = g.pick(["1", "2", "4", "8", "3"] + (["0", "-1", "1e3", "9" * 400, "", "10000001", "99999999999999999999"] if g.bad(0.5) else []))
    if n in ("0", "10000001", "99999999999999999999") or len(n) > 30:
        g.case.invalid.append(f"--gpu {n[:20]}x{gid}")
    return f"{n}x{gid}"


def _output(g: Gen) -> list[str]:
    root = g.ws.root
    if g.rng.random() < 0.65:
        return []
    ext = g.pick([".csv", ".json", ".jsonl", ".md", ".txt", ".yaml", ""])
    good = [str(root / f"new{ext}"), str(root / "precious.csv"), str(root / "precious.json"), str(root / "link.csv"), "/dev/null", "-"]
    hostile = [str(root / "dangling.csv"), str(root / "adir"), str(root / "nowhere" / "x.csv"), str(root / ("x" * 300 + ".csv")),
               "/dev/full", str(root / "precious.csv" / "x.csv"), "/proc/version", str(g.ws.scenarios[0]),
               str(g.ws.profile_dirs["ok"] / "new.yaml"), ""]
    target = g.pick(hostile if g.bad(0.5) else good)
    if g.command == "calibrate" and g.rng.random() < 0.7:
        target = str(root / "calibration.yaml")
    g.case.output = target
    return ["-o", target]


def _format(g: Gen) -> list[str]:
    fmt = g.pick(["csv", "jsonl", "json"] if g.command == "sweep" else FORMATS) if not g.bad(0.2) else g.pick(["xml", "", "CSV", "table", *HOSTILE_TEXT])
    g.case.fmt = fmt
    return ["-f", fmt]


def _condition(g: Gen) -> str:
    """A --fail-if / --where condition: well formed (numbers of any size) or hostile."""
    numeric = {"tco_usd", "payback_months", "monthly_usd", "breakeven_tokens_per_day", "capex_usd", "utilization", "usd_per_mtok",
               "replicas", "gpu_hours", "cost_owned_usd", "tpot_s", "flops", "api_monthly_usd", "tco_usd_p50", "p_cheaper_than_api"}
    cols = [c for c in _keys("samples" if "--samples" in g.case.argv else g.command) if c in numeric | {"kind", "fits"}] or ["kind"]
    if g.bad(0.3):
        cols += ["nope", "option", "capex_usd"]
    nums = ["0", "1", "18", "1e19", "9" * 40, "-1e300", "1e300", "1_000", "0.5", "\"never\""] + (["nan", "inf", "\"own\"", "true"] if g.bad(0.5) else [])

    def atom() -> str:
        c = g.pick(cols)
        if c == "kind":
            return f'kind {g.pick(["==", "!="])} "{g.pick(["own", "rent", "api", "owned"])}"'
        if c == "fits":
            return g.pick(["fits", "not fits", "fits == true"])
        return f"{c} {g.pick(['==', '!=', '<', '<=', '>', '>='])} {g.pick(nums)}"

    if not g.bad(0.6):
        parts = [atom() for _ in range(g.rng.randint(1, 3))]
        return f" {g.pick(['and', 'or'])} ".join(parts)
    if g.rng.random() < 0.4:
        n = g.pick([10, 49, 50, 51, 200])
        return "(" * n + atom() + ")" * n if g.rng.random() < 0.5 else "not " * n + atom()
    return g.pick(["tco_usd >> 3", "(((", "", "tco_usd >", "__import__('os')", "tco_usd > 1 and", "1 < 2", "tco_usd > 1 ; rm",
                   "\x1b[2J", "tco_usd > 1" * 500])


def _columns(g: Gen) -> str:
    known = _keys("samples" if "--samples" in g.case.argv else g.command)
    if not g.bad(0.5):
        return ",".join(g.rng.sample(known, g.rng.randint(1, 4)))
    return g.pick(["", ",,,", "option,option", "nope", "option,nope", "\x1b", "x" * 300])


HOSTILE_GRIDS = [
    "", "grid: []\n", "base: [1]\ngrid: {workload.requests_per_day: [1]}\n", "grid: {workload.requests_per_day: {start: 1}}\n",
    "grid: {workload.requests_per_day: {start: 1, stop: 2, num: 2, log: maybe}}\n",
    "grid: {workload.requests_per_day: {start: -1, stop: 2, num: 3, log: true}}\n",
    "grid: {assumptions.pue: [1, 2]}\n", "grid: {options.gpus: {profiles: nope}}\n", "grid: {options.gpus: {profiles: gpus, match: '['}}\n",
    "grid: {options.gpus: {profiles: gpus, match: 'zzz*'}}\n", "grid: {workload.requests_per_day: [[1, 2], {a: 1}]}\n",
    "grid: {workload.requests_per_day: []}\n", "grid: {workload.requests_per_day: [1, 2]}\nzip: [[workload.requests_per_day, workload.requests_per_day]]\n",
    "grid: {workload.requests_per_day: [1, 2], workload.input_tokens: [1]}\nzip: [[workload.requests_per_day, workload.input_tokens]]\n",
    "grid: {workload.nope: [1]}\n", "grid: {workload: [1]}\n", "grid: {'': [1]}\n", "grid: {workload.requests_per_day: [.nan, .inf]}\n",
    "grid: {workload.requests_per_day: [1e400]}\n", "grid: {workload.batch: [maybe]}\n", "grid: {serving.model: ['\\e[2J']}\n",
    "grid: {workload.requests_per_day: [" + ", ".join(["1"] * 5000) + "]}\n", "grid:\n" + "".join(f"  k{i}: [1]\n" for i in range(300)),
    "grid: {workload.requests_per_day: &a [1, 2]}\nzip: *a\n", "- just\n- a list\n", "grid: {workload.requests_per_day: !!python/object:os.system [1]}\n",
]
"""Grid files malformed in structure (each must be one exit-2 line, or a run that keeps the contract)."""


def _grid(g: Gen) -> str:
    """A grid file: mostly small (a few hundred rows), sometimes huge (refused or only counted) or hostile."""
    if g.bad(0.15):
        return g.pick(HOSTILE_GRIDS)
    huge = g.bad(0.3)
    lines = [f"base: {g.pick(['team-assistant', 'solo-coder', 'rag-chatbot', str(g.ws.scenarios[0])] + (['nope', ''] if g.bad(0.2) else []))}", "grid:"]
    keys = g.rng.sample([k for k in NUMERIC_KEYS if k != "economics.horizon_months" and (g.bad(0.3) or not k.startswith("lifecycle."))],
                        g.rng.randint(1, 3))
    for key in keys:
        b = bounds.lookup(key)
        if huge or g.rng.random() < 0.3:
            num = g.pick(["1e6", "1e7", "1e300", "-1", "0", "2.5", "abc", "1e5"]) if huge else g.pick(["2", "3", "5"])
            if num in ("1e300", "-1", "0", "2.5", "abc"):
                g.case.invalid.append(f"grid num {num}")
            start, ok1 = number_text(g.rng, b, TYPICAL.get(key), g.hostility)
            stop, ok2 = number_text(g.rng, b, TYPICAL.get(key), g.hostility)
            if not (ok1 and ok2):
                g.case.invalid.append(f"grid {key} range {start!r}..{stop!r}")
            lines.append(f"  {key}: {{start: {json.dumps(start)}, stop: {json.dumps(stop)}, num: {num}}}")
        else:
            values = []
            for _ in range(g.rng.randint(1, 3)):
                text, ok = number_text(g.rng, b, TYPICAL.get(key), g.hostility)
                values.append(json.dumps(text))
                if not ok:
                    g.case.invalid.append(f"grid {key}: {text[:30]!r}")
            lines.append(f"  {key}: [{', '.join(values)}]")
    if g.rng.random() < 0.4:
        lines.append("  " + g.pick(['options.gpus: {profiles: gpus, match: "rtx-40*"}', "serving.quantization: [awq-int4, q4_k_m]",
                                    "options.gpus: [rtx-3090, 2xrtx-4090]", "serving.model: [llama-3.1-8b, qwen2.5-7b]",
                                    "workload.batch: [true, false]", "options.hosts: [true, false]"] + (["options.gpus: [nope]"] if g.bad(0.3) else [])))
    if g.bad(0.1):
        lines.append(g.pick(["zip:\n  - [" + ", ".join(keys) + "]", "zip: [[nope]]", "extra: 1"]))
    if huge:
        g.small = False
    return "\n".join(lines) + "\n"


def _add(g: Gen, name: str) -> list[str]:
    """Arguments for one option or argument of g.command (empty: left out this time)."""
    if name not in POOLS:
        raise KeyError(f"no value pool for {g.command} {name}: add one to tests/fuzzcli.py POOLS")
    return POOLS[name](g)


def _flag(opt: str) -> Callable[[Gen], list[str]]:
    return lambda g: [opt] if g.rng.random() < 0.3 else []


def _maybe(p: float, make: Callable[[Gen], list[str]]) -> Callable[[Gen], list[str]]:
    return lambda g: make(g) if g.rng.random() < p else []


def _model(g: Gen) -> list[str]:
    return ["-m", g.ids("models")]


def _gpu(g: Gen) -> list[str]:
    if g.command == "calibrate":  # mostly the GPU the results were measured on
        return ["-g", getattr(g, "gpu_hint", "rtx-4090") if g.rng.random() < 0.7 else g.ids("gpus")]
    return [a for _ in range(g.rng.randint(1, 2)) for a in ("-g", _gpu_option(g))]


def _samples(g: Gen) -> list[str]:
    big = g.bad(0.4)
    text = g.pick(["1e7", "99999999999999999999", "1e300", "0", "-1", "abc", "", "2.5", "1e12", "10000000000000"]) if big else \
        g.pick(["1", "2", "16", "64"] if g.command == "sweep" else ["1", "2", "16", "64", "200"])
    if big and text in ("99999999999999999999", "1e300", "0", "-1", "abc", "", "2.5", "10000000000000"):
        g.case.invalid.append(f"--samples {text}")
    if big:
        g.small = False
    return ["--samples", text]


def _max_memory(g: Gen) -> list[str]:
    texts = ["0.001", "0.1", "4"] + (["0", "-1", "nan", "1e300", "abc"] if g.bad(0.5) else []) + ([] if not g.small else ["64", "1e6"])
    text = g.pick(texts)
    if text in ("0", "-1", "nan", "1e300", "abc"):
        g.case.invalid.append(f"--max-memory-gib {text}")
    return ["--max-memory-gib", text]


def _max_rows(g: Gen) -> list[str]:
    text = g.pick(["1", "100", "5000"] + (["0", "-1", "1e300", "abc", "2.5"] if g.bad(0.5) else []) + (["1e18", "1e9"] if g.small else []))
    if text in ("0", "-1", "1e300", "abc", "2.5"):
        g.case.invalid.append(f"--max-rows {text}")
    return ["--max-rows", text]


def _grids(g: Gen) -> list[str]:
    return [str(g.ws.grid(_grid(g))) for _ in range(g.rng.choice([1, 1, 1, 2]))]


def _results(g: Gen) -> list[str]:
    picks = g.rng.sample(g.ws.result_files, g.rng.choice([1, 1, 2]))
    g.gpu_hint = picks[0][0]  # type: ignore[attr-defined]
    return [str(p) for _, p in picks]


def _price_source(g: Gen) -> list[str]:
    source, path = g.pick(g.ws.price_files)
    g.price = (source, path)  # type: ignore[attr-defined]
    return ["--from", source if not g.bad(0.1) else g.pick(HOSTILE_TEXT)]


def _price_file(g: Gen) -> list[str]:
    source, path = getattr(g, "price", ("litellm", g.ws.price_files[1][1]))
    return [str(path)] if source == "litellm" else []


def _price_data(g: Gen) -> list[str]:
    source, path = getattr(g, "price", ("genai-prices", g.ws.price_files[0][1]))
    return ["--data", str(path)] if source == "genai-prices" else []


def _profiles(g: Gen) -> list[str]:
    if g.rng.random() < 0.8:
        return []
    name = g.pick(list(g.ws.profile_dirs) + ["missing", "file"]) if g.bad(0.6) else g.pick(["ok", "cheap-power", "file"])
    if name in ("negative-power", "huge"):
        g.case.invalid.append(f"--profiles {name}")
    path = g.ws.profile_dirs.get(name, g.ws.root / "missing") if name != "file" else g.ws.profile_dirs["ok"] / "all.yaml"
    return ["--profiles", str(path)]


def _scenario(g: Gen) -> list[str]:
    r = g.rng.random()
    if r < 0.5:
        return []
    if r < 0.75:
        return ["-s", g.ids("scenarios")]
    i = g.rng.randrange(len(g.ws.scenarios)) if g.bad(0.6) else 0
    if i in (1, 2, 3, 6, 7):
        g.case.invalid.append(f"scenario file {i}")
    return ["-s", str(g.ws.scenarios[i])]


def _paths(g: Gen) -> list[str]:
    pool = [str(p) for p in g.ws.profile_dirs.values()] + [str(p) for p in g.ws.scenarios] + [str(p) for _, p in g.ws.price_files[:3]]
    pool += [str(g.ws.root / "missing.yaml"), "GRID"]
    picked = g.rng.sample(pool, g.rng.randint(1, 3)) if g.bad(1.0) else g.rng.choice([["GRID"], [pool[0]], [str(g.ws.scenarios[0])]])
    for name in ("profiles-negative-power", "profiles-huge", "profiles-evil", "profiles-dup"):
        if str(g.ws.profile_dirs[name.removeprefix("profiles-")]) in picked:
            g.case.invalid.append(f"validate {name}")
    return [str(g.ws.grid(_grid(g))) if p == "GRID" else p for p in picked]  # the grid's values count only when it is checked


POOLS: dict[str, Callable[[Gen], list[str]]] = {
    "--scenario": _scenario, "--model": _maybe(0.8, _model), "--gpu": _maybe(0.7, _gpu), "--api": _maybe(0.3, lambda g: ["-a", g.ids("apis")]),
    "--vs": _maybe(0.2, lambda g: ["--vs", g.ids("apis")]), "--set": _maybe(0.6, _set), "--format": _maybe(0.8, _format),
    "--output": _output, "--chart": _flag("--chart"), "--plot": _maybe(0.05, lambda g: ["--plot", str(g.ws.root / g.pick(["c.png", "c.svg", "c.pdf"]))]),
    "--explain": _flag("--explain"), "--fail-if": _maybe(0.25, lambda g: ["--fail-if", _condition(g)]), "--profiles": _profiles,
    "--max-price-age-days": _maybe(0.2, lambda g: ["--max-price-age-days", g.pick(["-1", "99999999999999999999", "abc"] if g.bad(0.5) else ["0", "30"])]),
    "--samples": _maybe(0.2, _samples), "--seed": _maybe(0.2, lambda g: ["--seed", g.pick(["-1", "99999999999999999999", "x"] if g.bad(0.5) else ["0", "7"])]),
    "--columns": _maybe(0.15, lambda g: ["--columns", _columns(g)]), "--wide": _flag("--wide"), "--max-memory-gib": _maybe(0.1, _max_memory),
    "--gpus": _maybe(0.3, lambda g: ["--gpus", g.number("pretrain.gpus", "--gpus", (1, 4096))]),
    "--tokens": _maybe(0.4, lambda g: ["--tokens", g.number(f"{g.command}.tokens", "--tokens")]),
    "--seq-len": _maybe(0.3, lambda g: ["--seq-len", g.number(f"{g.command}.seq_len", "--seq-len", (16, 32768))]),
    "--mfu": _maybe(0.3, lambda g: ["--mfu", g.number(f"{g.command}.mfu", "--mfu")]),
    "--usd-per-gpu-hour": _maybe(0.3, lambda g: ["--usd-per-gpu-hour", g.number(f"{g.command}.usd_per_gpu_hour", "--usd-per-gpu-hour")]),
    "--used": _flag("--used"), "--method": _maybe(0.7, lambda g: ["--method", g.pick(["dora", ""] if g.bad(0.3) else ["lora", "qlora", "full"])]),
    "--rank": _maybe(0.3, lambda g: ["--rank", g.number("finetune.rank", "--rank", (1, 1024))]),
    "--targets": _maybe(0.3, lambda g: ["--targets", g.pick(["everything", ""] if g.bad(0.3) else ["qv", "attention", "all"])]),
    "--batch": _maybe(0.3, lambda g: ["--batch", g.number("finetune.batch", "--batch", (1, 64))]),
    "--checkpointing": _maybe(0.3, lambda g: [g.pick(["--checkpointing", "--no-checkpointing"])]),
    "--epochs": _maybe(0.3, lambda g: ["--epochs", g.number("finetune.epochs", "--epochs", (0.1, 10))]),
    "--quant": _maybe(0.6, lambda g: ["-q", g.ids("quantizations") if not g.bad(0.3) else g.pick(["4.0bpw", "0bpw", "99bpw", "-1bpw"])]),
    "--engine": _maybe(0.4, lambda g: ["-e", g.pick(["auto", *g.ws.catalog_ids["engines"]]) if not g.bad(0.2) else g.pick(HOSTILE_TEXT)]),
    "--concurrency": _maybe(0.4, lambda g: ["-c", "auto" if g.rng.random() < 0.2 else g.number("serve.concurrency", "--concurrency", (1, 256))]),
    "--input-tokens": _maybe(0.4, lambda g: ["--input-tokens", g.number("serve.input_tokens", "--input-tokens", (1, 32000))]),
    "--output-tokens": _maybe(0.4, lambda g: ["--output-tokens", g.number("serve.output_tokens", "--output-tokens", (1, 8000))]),
    "--max-tpot-ms": _maybe(0.3, lambda g: ["--max-tpot-ms", g.number("serve.max_tpot_ms", "--max-tpot-ms")]),
    "grids": _grids, "--where": _maybe(0.2, lambda g: ["--where", _condition(g)]), "--count": _flag("--count"),
    "--chunk-rows": _maybe(0.1, lambda g: ["--chunk-rows", g.pick(["0", "-5", "99999999999999999999"] if g.bad(0.5) else ["1", "7", "100000"])]),
    "--max-rows": lambda g: _max_rows(g) if g.rng.random() < 0.3 or not g.small else ["--max-rows", "20000"],
    "--option": _maybe(0.3, lambda g: ["--option", g.pick(["own rtx-3090", "own rtx-4090", "rent vast/rtx-4090", "nope", ""])] if g.bad(1) else []),
    "--metric": _maybe(0.5, lambda g: ["--metric", g.pick(["flops", ""] if g.bad(0.3) else ["payback_months", "tco_usd", "breakeven_tokens_per_day"])]),
    "results": _results, "kind": lambda g: [g.pick([*schema.ALL_KINDS, "gpu", "", "\x1b"] if g.bad(0.5) else list(schema.ALL_KINDS))],
    "entry_id": lambda g: [g.pick(g.ws.catalog_ids[g.pick(list(g.ws.catalog_ids))]) if not g.bad(0.3) else g.pick(HOSTILE_TEXT)],
    "paths": _paths, "--from": _price_source, "file": _price_file, "--data": _price_data,
    "--provider": _maybe(0.3, lambda g: ["--provider", g.pick(["openai", "together", "groq", "nope", ""])]),
    "--as-of": _maybe(0.4, lambda g: ["--as-of", g.pick(["2025-06-01", "2025-02-30", "9999-99-99", "", "yesterday", "2100-01-01", "1900-01-01"])]),
}


def _command_params() -> dict[str, list[Any]]:
    """Every leaf command of the app and its parameters (options and arguments), from the app itself."""
    import typer

    from llmcost.cli.app import app

    out: dict[str, list[Any]] = {}

    def walk(cmd: Any, path: list[str]) -> None:
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])
        else:
            out[" ".join(path)] = list(cmd.params)

    walk(typer.main.get_command(app), [])
    return out


COMMANDS = _command_params()


def param_key(param: Any) -> str:
    """The pool key of a parameter: its long option, or an argument's name."""
    if param.param_type_name == "argument":
        return str(param.name)
    return next(o for o in param.opts if o.startswith("--"))


def generate(rng: random.Random, ws: Workspace) -> Case:
    """One invocation: a command (weighted towards the pipeline's), its options from the pools, shuffled."""
    r = rng.random()
    if r < 0.02:
        return Case(rng.choice([[], ["--version"], ["--help"], ["nope"], ["--bogus"], ["compare", "--bogus"], ["profiles"]]), "root")
    command = rng.choices(list(COMMANDS), weights=[_WEIGHTS.get(c, 1) for c in COMMANDS])[0]
    g = Gen(rng, ws, command)
    if command == "calibrate" and g.hostility == 0:  # a run that fits: a good file, its GPU, the defaults it implies
        gpu, path = rng.choice([(gpu, p) for gpu, p in ws.result_files if p.name.startswith("copy-") and "bad" not in p.name])
        g.case.argv += [str(path), "-g", gpu, *_output(g), *_maybe(0.5, _format)(g)]
        if g.case.output is None:
            g.case.output = str(ws.root / "calibration.yaml")
            g.case.argv += ["-o", g.case.output]
        return g.case
    parts: list[list[str]] = []
    args: list[str] = []
    for param in COMMANDS[command]:
        key = param_key(param)
        got = _add(g, key)
        while param.required and not got and not g.bad(0.2):
            got = _add(g, key)
        if param.param_type_name == "argument":
            args += got
        elif got:
            parts.append(got)
    rng.shuffle(parts)
    g.case.argv += args + [a for p in parts for a in p]
    if "--help" in g.case.argv:
        g.case.invalid = []  # a value that reads --help prints the help
    _environment(g)
    if command == "sweep" and not g.small and "--count" not in g.case.argv and "--max-rows" not in g.case.argv:
        g.case.argv += ["--max-rows", "20000"]
    return g.case


def _environment(g: Gen) -> None:
    """Hostile terminal widths, a pinned day, user profile paths and cache directories, now and then."""
    env, root = g.case.env, g.ws.root
    if g.rng.random() < 0.25:
        env["COLUMNS"] = g.pick(COLUMNS_ENV)
    if g.bad(0.1):
        env["LLMCOST_TODAY"] = g.pick(["abc", "2026-02-30", "0001-01-01", "9999-12-31", "", "2026-11-26\n"])
        if env["LLMCOST_TODAY"] in ("abc", "2026-02-30") and g.command in ("compare", "breakeven", "serve", "finetune", "pretrain"):
            g.case.invalid.append(f"LLMCOST_TODAY={env['LLMCOST_TODAY']}")
    if g.bad(0.1):
        env["LLMCOST_PROFILES"] = g.pick([str(g.ws.profile_dirs["ok"]), "", ":", "x" * 5000, str(root / "missing"),
                                          f"{g.ws.profile_dirs['ok']}:{g.ws.profile_dirs['cheap-power']}"])
    if g.bad(0.1):
        env["XDG_CACHE_HOME"] = g.pick(["/dev/null", "/proc", "y" * 5000, str(root / "precious.csv")])


_WEIGHTS = {"compare": 6, "breakeven": 3, "sweep": 4, "serve": 3, "finetune": 3, "pretrain": 3, "sensitivity": 2, "calibrate": 1,
            "profiles list": 1, "profiles show": 1, "profiles validate": 1, "profiles schema": 0.5, "profiles import-prices": 1}


# ------------------------------------------------------------------------------------------------ running in-process


class Hung(BaseException):
    """An invocation ran past its time limit."""


@contextlib.contextmanager
def _limits(seconds: int, memory_gib: float) -> Iterator[None]:
    """SIGALRM after `seconds` raises Hung; the address space may grow by `memory_gib` (MemoryError beyond)."""
    def alarm(signum: int, frame: object) -> None:
        raise Hung(f"ran past {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    size = _vm_size()
    if size:
        want = size + int(memory_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (min(want, hard) if hard != resource.RLIM_INFINITY else want, hard))
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _vm_size() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_in_process(case: Case, seconds: int = 60) -> Outcome:
    """`main(case.argv)` with stdout and stderr captured and case.env set; anything that leaves main is recorded."""
    from llmcost.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in ("COLUMNS", "NO_COLOR", *case.env)}
    os.environ["NO_COLOR"] = "1"
    os.environ.update(case.env)
    start = time.perf_counter()
    code: int | None = None
    raised = None
    try:
        with _limits(seconds, 6.0), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(case.argv))
    except BaseException as e:  # noqa: BLE001 - every escape is a finding
        raised = f"{type(e).__name__}: {str(e)[:200]}"
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Outcome(code, out.getvalue(), err.getvalue(), raised, time.perf_counter() - start)


def data_outputs(case: Case, res: Outcome) -> list[tuple[str, str]]:
    """(format, text) of what the run wrote: stdout, and the -o file when it is a regular file."""
    fmt = _format_of(case)
    to_stdout = case.output in (None, "-") and case.command != "root" and not {"--help", "--count"} & set(case.argv)
    found = [(fmt, res.out)] if to_stdout else []
    if case.command == "calibrate":
        found = [("csv" if fmt == "csv" else fmt, res.out)] if res.out else []
    elif case.output not in (None, "", "-") and os.path.isfile(case.output) and not case.output.startswith("/proc"):
        text = Path(case.output).read_text(errors="replace")
        if not text.startswith(("precious", '[{"keep"')):
            found.append((fmt, text))
    if case.command in ("profiles schema", "profiles import-prices"):
        return [("json", t) for f, t in found if case.command == "profiles schema"]
    return found


def _format_of(case: Case) -> str:
    if case.fmt:
        return case.fmt.lower()
    ext = Path(case.output or "").suffix.lower()
    by_ext = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".md": "markdown"}
    if ext in by_ext:
        return by_ext[ext]
    return "csv" if case.command == "sweep" else "table"


# ------------------------------------------------------------------------------------------------ the campaign


@dataclass
class Tally:
    """Counts of a campaign: invocations by command and exit code, outputs checked, and every violation."""

    runs: Counter[tuple[str, Any]] = field(default_factory=Counter)
    outputs: Counter[str] = field(default_factory=Counter)
    cells: int = 0
    found: list[tuple[str, list[str]]] = field(default_factory=list)
    seconds: float = 0.0
    slowest: tuple[float, str] = (0.0, "")

    @property
    def invocations(self) -> int:
        return sum(self.runs.values())

    def add(self, case: Case, res: Outcome, problems: list[str], data: list[tuple[str, str]]) -> None:
        self.runs[(case.command, res.code if res.raised is None else "raised")] += 1
        for fmt, text in data:
            self.outputs[fmt] += 1
            self.cells += text.count(",") + text.count(":")
        if problems:
            self.found.append((case.text(), problems))
        self.seconds += res.seconds
        if res.seconds > self.slowest[0]:
            self.slowest = (res.seconds, case.text())

    def report(self) -> str:
        commands = sorted({c for c, _ in self.runs})
        codes = sorted({k for _, k in self.runs}, key=str)
        lines = [f"{'command':24s}" + "".join(f"{'exit ' + str(k):>10s}" for k in codes) + f"{'total':>10s}"]
        for c in commands:
            lines.append(f"{c:24s}" + "".join(f"{self.runs[(c, k)]:>10d}" for k in codes) + f"{sum(self.runs[(c, k)] for k in codes):>10d}")
        lines.append(f"{'all':24s}" + "".join(f"{sum(self.runs[(c, k)] for c in commands):>10d}" for k in codes) + f"{self.invocations:>10d}")
        kinds = Counter(p.split(":")[0].split(" (")[0] for _, ps in self.found for p in ps)
        lines.append(f"outputs parsed: {dict(self.outputs)}; about {self.cells:,} cells checked; {self.seconds:.0f} s in llmcost; "
                     f"slowest {self.slowest[0]:.1f} s: {self.slowest[1][:150]}")
        lines.append(f"violations: {len(self.found)} invocations" + (f" ({dict(kinds)})" if kinds else ""))
        for text, problems in self.found[:40]:
            lines.append(f"  {text[:300]}\n    -> {'; '.join(problems)[:400]}")
        return "\n".join(lines)


EDGE_COMMANDS = [["compare", "-f", "json"], ["breakeven", "-f", "csv"], ["sensitivity", "-f", "json"],
                 ["compare", "-s", "finetune-startup", "-f", "jsonl"], ["compare", "-s", "pretrain-from-scratch", "-f", "csv"],
                 ["compare", "--samples", "20", "-f", "json"], ["serve", "-m", "llama-3.1-70b", "-g", "2xrtx-4090", "-f", "json"],
                 ["finetune", "-m", "llama-3.1-8b", "-g", "rtx-4090", "-a", "openai/gpt-4o-mini", "-f", "json"],
                 ["pretrain", "-m", "llama-7b", "-g", "8xa100-80gb", "-f", "json"]]
"""Commands every edge value goes through (scenario keys only through the first six)."""


def edges() -> list[Case]:
    """Every assumption and every numeric scenario key at each end of its valid and its plausible range (and just
    inside an open end), through every command of EDGE_COMMANDS that reads it; every pretrain, finetune and serve
    option at the ends of its range. Valid values must give finite, non-negative numbers or one exit-2 line (an
    overflow); a value just outside (an open end's bound itself) must exit 2."""
    cases = []
    for key in [k for k in bounds.table() if k.startswith("assumptions.")] + NUMERIC_KEYS:
        b = bounds.lookup(key)
        ends = {b.lower if b.lower is not None else -1e18, b.le, *(b.plausible or ()), *([b.gt + 1e-9] if b.gt is not None else [])}
        for value in sorted(v for v in ends if valid_for(v, b)):
            for argv in EDGE_COMMANDS[:6] if not key.startswith("assumptions.") else EDGE_COMMANDS:
                cases.append(Case([*argv, "--set", f"{key}={value!r}"], argv[0]))
    base = {argv[0]: argv for argv in EDGE_COMMANDS[-3:]}
    for key, b in OPTIONS.items():
        command, _, name = key.partition(".")
        for value in sorted({b.lower or 0.0, b.le, *(b.plausible or ())}) if command in base else []:
            text = _as_text(random.Random(0), value) if value == int(value) else repr(value)
            cases.append(Case([*base[command], f"--{name.replace('_', '-')}", text], command, invalid=[] if valid_for(value, b) else [key]))
    return cases


def campaign(n: int, seed: int, root: Path, n_edges: int | None = 0, progress: Callable[[int], None] | None = None) -> Tally:
    """n generated in-process invocations and `n_edges` of the edge cases (None: all of them) in a fresh workspace
    under `root`, each checked (see `violations`)."""
    rng = random.Random(seed)
    ws = Workspace(root, rng)
    tally = Tally()
    edge_cases = edges()
    if n_edges is not None and n_edges < len(edge_cases):
        edge_cases = rng.sample(edge_cases, n_edges)
    cases = itertools.chain((generate(rng, ws) for _ in range(n)), edge_cases)  # lazily: each grid file just before its run
    cwd, user_profiles = Path.cwd(), os.environ.pop("LLMCOST_PROFILES", None)
    os.chdir(ws.root)
    try:
        for i, case in enumerate(cases):
            res = run_in_process(case)
            data = data_outputs(case, res) if res.raised is None and res.code in (0, 1) else []
            harmed = ws.harmed(case, res.code)  # puts the workspace back: after the outputs are read
            tally.add(case, res, violations(case, res, harmed, data), data)
            if progress:
                progress(i + 1)
    finally:
        os.chdir(cwd)
        if user_profiles is not None:
            os.environ["LLMCOST_PROFILES"] = user_profiles
    return tally


# ------------------------------------------------------------------------------------------------ faults in subprocesses

ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
ENV.pop("LLMCOST_PROFILES", None)
QUICK = [["compare", "-f", "csv"], ["breakeven", "-f", "json"], ["serve", "-m", "llama-3.1-8b", "-f", "jsonl"], ["pretrain", "-m", "llama-7b"],
         ["finetune", "-m", "llama-3.1-8b", "-f", "markdown"], ["sensitivity", "-f", "csv"], ["profiles", "list", "gpus"],
         ["profiles", "show", "rtx-4090"], ["profiles", "schema", "gpus"], ["sweep", "GRID"], ["compare", "--samples", "50", "-f", "csv"],
         ["--help"], ["compare", "--help"]]
BIG_GRID = "base: team-assistant\ngrid:\n  workload.requests_per_day: {start: 100, stop: 1e6, num: 300000}\n"
SMALL_GRID = "base: team-assistant\ngrid:\n  workload.requests_per_day: [500, 3000]\n"


@dataclass
class Fault:
    """A subprocess invocation under an I/O fault or a signal, and what it must end with."""

    name: str
    argv: list[str]
    codes: tuple[int, ...]


def _llmcost(argv: list[str]) -> list[str]:
    return [sys.executable, "-m", "llmcost", *argv]


def fault_cases(rng: random.Random, n: int) -> list[Fault]:
    """n faults: stdout full, closed or leaving after one byte; -o into a FIFO, /dev/full or past a file-size
    limit; SIGTERM, SIGHUP or SIGINT in the middle of a sweep written with -o or to stdout."""
    kinds = ["full", "closed", "head", "fifo", "devfull", "fsize", "signal"]
    return [_fault(rng, kinds[i % len(kinds)] if i < len(kinds) else rng.choice(kinds)) for i in range(n)]


def _fault(rng: random.Random, kind: str) -> Fault:
    argv = rng.choice(QUICK)
    if kind == "full":
        return Fault("stdout on a full disk", argv, (2,))
    if kind == "closed":
        return Fault("stdout closed before the first byte", argv, (0,))
    if kind == "head":
        return Fault("stdout reader leaves after one byte", argv, (0,))
    if kind == "fifo":
        return Fault("-o into a FIFO", [a for a in argv if a != "--help"] or ["compare"], (0,))
    if kind == "devfull":
        return Fault("-o /dev/full", [a for a in argv if a != "--help"] or ["compare"], (2,))
    if kind == "fsize":
        return Fault("-o past a 2 KB file-size limit", ["sweep", "GRID"] if rng.random() < 0.5 else ["compare", "-f", "csv", "--explain"], (2,))
    sig = rng.choice([signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
    return Fault(f"{signal.Signals(sig).name} mid-sweep" + (" to stdout" if rng.random() < 0.3 else " with -o"), ["sweep", "BIG"],
                 (128 + sig, 130, -sig))


def run_fault(fault: Fault, tmp: Path) -> list[str]:
    """Run one fault; its problems (empty when the contract held)."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "grid.yaml").write_text(SMALL_GRID)
    (tmp / "big.yaml").write_text(BIG_GRID)
    argv = [str(tmp / "grid.yaml") if a == "GRID" else str(tmp / "big.yaml") if a == "BIG" else a for a in fault.argv]
    target = tmp / "out.csv"
    target.write_text("previous\n")
    before = {p.name: _digest(p) for p in tmp.iterdir()}
    name = fault.name
    try:
        if name.startswith("stdout on a full disk"):
            with open("/dev/full", "w") as full:
                p = subprocess.run(_llmcost(argv), stdout=full, stderr=subprocess.PIPE, env=ENV, timeout=300)
            expect_line = "llmcost: error: cannot write the output:"
        elif name.startswith("stdout closed"):
            read, write = os.pipe()
            os.close(read)
            try:
                p = subprocess.run(_llmcost(argv), stdout=write, stderr=subprocess.PIPE, env=ENV, timeout=300)
            finally:
                os.close(write)
            expect_line = None
        elif name.startswith("stdout reader leaves"):
            proc = subprocess.Popen(_llmcost(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
            assert proc.stdout is not None and proc.stderr is not None
            proc.stdout.read(1)
            proc.stdout.close()
            err = proc.stderr.read()
            proc.wait(timeout=300)
            p = subprocess.CompletedProcess(proc.args, proc.returncode, b"", err)
            expect_line = None
        elif name.startswith("-o into a FIFO"):
            return _fifo(argv, tmp)
        elif name.startswith("-o /dev/full"):
            p = subprocess.run(_llmcost([*argv, "-o", "/dev/full"]), capture_output=True, env=ENV, timeout=300)
            if not stat.S_ISCHR(os.stat("/dev/full").st_mode):
                return ["/dev/full is no longer a device"]
            expect_line = "llmcost: error: --output '/dev/full'"
        elif name.startswith("-o past"):
            p = subprocess.run(_llmcost([*argv, "-o", str(target)]), capture_output=True, env=ENV, timeout=300, preexec_fn=_fsize_limit)
            expect_line = "llmcost: error: --output"
        else:
            return _signal(fault, argv, tmp, target)
    except subprocess.TimeoutExpired:
        return ["ran past 300 s"]
    return _fault_problems(fault, p, expect_line, tmp, before)


def _fsize_limit() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


def _fault_problems(fault: Fault, p: subprocess.CompletedProcess[bytes], expect_line: str | None, tmp: Path,
                    before: dict[str, tuple[Any, ...]]) -> list[str]:
    err = p.stderr.decode(errors="replace")
    bad = []
    if p.returncode not in fault.codes:
        bad.append(f"exit {p.returncode}, expected {fault.codes}")
    if "Traceback" in err or _PY_WARNING.search(err):
        bad.append("traceback or warning on stderr")
    errors = [ln for ln in err.splitlines() if ln.startswith("llmcost: error:")]
    if expect_line is not None and (len(errors) != 1 or not errors[0].startswith(expect_line)):
        bad.append(f"expected one line '{expect_line}...', got {errors}")
    if expect_line is None and errors:
        bad.append(f"error lines {errors}")
    after = {q.name: _digest(q) for q in tmp.iterdir()}
    if after != before:
        bad.append(f"files changed: {sorted(set(after.items()) ^ set(before.items()))[:3]}")
    return bad


def _fifo(argv: list[str], tmp: Path) -> list[str]:
    fifo = tmp / "pipe"
    if fifo.exists():
        fifo.unlink()
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    p = subprocess.run(_llmcost([*argv, "-o", str(fifo)]), capture_output=True, env=ENV, timeout=300)
    got = reader.communicate(timeout=60)[0].decode(errors="replace")
    bad = []
    if p.returncode != 0:
        bad.append(f"exit {p.returncode}: {p.stderr.decode()[-300:]}")
    if not stat.S_ISFIFO(fifo.lstat().st_mode):
        bad.append("the FIFO was replaced")
    if not got:
        bad.append("the FIFO's reader got nothing")
    fmt = "json" if "json" in argv else "jsonl" if "jsonl" in argv else "csv" if "csv" in argv or argv[0] == "sweep" else "table"
    bad += [f"{fmt} output: {x}" for x in output_problems(fmt, got)]
    fifo.unlink()
    return bad


def _signal(fault: Fault, argv: list[str], tmp: Path, target: Path) -> list[str]:
    sig = next(s for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT) if signal.Signals(s).name in fault.name)
    to_file = "with -o" in fault.name
    proc = subprocess.Popen(_llmcost([*argv, *(["-o", str(target)] if to_file else [])]), stdout=subprocess.PIPE if to_file else subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=ENV)
    deadline = time.monotonic() + 120
    while not (any(q.stat().st_size > 10_000 for q in tmp.glob(".*.part")) if to_file else time.monotonic() > deadline - 118):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            return [f"the sweep ended (exit {proc.returncode}) before the signal"]
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    bad = []
    if proc.returncode not in fault.codes:
        bad.append(f"exit {proc.returncode}, expected {fault.codes}")
    if b"Traceback" in err:
        bad.append("traceback on stderr")
    left = sorted(q.name for q in tmp.iterdir() if q.name.endswith(".part"))
    if left:
        bad.append(f"partial files left: {left}")
    if target.read_text() != "previous\n":
        bad.append("the existing -o target changed")
    return bad


def fault_campaign(n: int, seed: int, root: Path) -> tuple[Counter[str], list[tuple[str, list[str]]]]:
    """n subprocess faults; (count by fault kind, problems found)."""
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    found = []
    for i, fault in enumerate(fault_cases(rng, n)):
        kind = fault.name.split(" to stdout")[0].split(" with -o")[0]
        counts[kind] += 1
        problems = run_fault(fault, root / f"fault{i}")
        if problems:
            found.append((f"{fault.name}: llmcost {' '.join(fault.argv)}", problems))
    return counts, found
