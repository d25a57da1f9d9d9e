"""I/O faults and signals: `python -m llmcost` in subprocesses with stdout full or closed, -o into FIFOs and devices
or past a file-size limit, and SIGTERM, SIGHUP or SIGINT in the middle of a sweep."""

from __future__ import annotations

import os
import random
import resource
import signal
import stat
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fuzzcli.contract import PY_WARNING, output_problems
from fuzzcli.workspace import digest

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
    before = {p.name: digest(p) for p in tmp.iterdir()}
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
    if "Traceback" in err or PY_WARNING.search(err):
        bad.append("traceback or warning on stderr")
    errors = [ln for ln in err.splitlines() if ln.startswith("llmcost: error:")]
    if expect_line is not None and (len(errors) != 1 or not errors[0].startswith(expect_line)):
        bad.append(f"expected one line '{expect_line}...', got {errors}")
    if expect_line is None and errors:
        bad.append(f"error lines {errors}")
    after = {q.name: digest(q) for q in tmp.iterdir()}
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
