"""Running invocations in-process under a time and a memory limit, checking each, and counting."""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import random
import resource
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuzzcli.contract import Case, Outcome, violations
from fuzzcli.generate import NUMERIC_KEYS, as_text, generate, valid_for
from fuzzcli.workspace import Workspace, digest
from llmcost import bounds
from llmcost.schema.quantities import OPTIONS

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


def data_outputs(case: Case, res: Outcome, ws: Workspace | None = None) -> list[tuple[str, str]]:
    """(format, text) of what the run wrote: stdout, and the -o file when it is a regular file the run wrote (it
    differs from `ws`'s snapshot, or is new)."""
    fmt = _format_of(case)
    to_stdout = case.output in (None, "-") and case.command != "root" and not {"--help", "--count"} & set(case.argv)
    found = [(fmt, res.out)] if to_stdout else []
    written = case.output not in (None, "", "-") and os.path.isfile(case.output) and not case.output.startswith("/proc")
    if written and ws is not None:
        real = os.path.realpath(case.output)
        written = real not in ws.fixed or digest(Path(real)) != ws.fixed[real]
    if case.command == "calibrate":
        found = [("csv" if fmt == "csv" else fmt, res.out)] if res.out else []
    elif written:
        found.append((fmt, Path(case.output).read_text(errors="replace")))  # type: ignore[arg-type]
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
            text = as_text(random.Random(0), value) if value == int(value) else repr(value)
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
            data = data_outputs(case, res, ws) if res.raised is None and res.code in (0, 1) else []
            harmed = ws.harmed(case, res.code)  # puts the workspace back: after the outputs are read
            tally.add(case, res, violations(case, res, harmed, data), data)
            if progress:
                progress(i + 1)
    finally:
        os.chdir(cwd)
        if user_profiles is not None:
            os.environ["LLMCOST_PROFILES"] = user_profiles
    return tally


