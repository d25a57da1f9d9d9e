"""CPU time of `llmcost compare` as a ratio to importing its dependencies (issue #15 item 4; target: 1.3x or less).

Every command is a fresh subprocess; its CPU time (user + system) comes from the operating system's
accounting of the child, so a busy shared machine slows the wall clock but hardly the ratio. The runs
alternate and the medians are compared. Also measured: `compare` with a cold built-in cache (what the
first run after an install or an edit of the profiles costs) and `llmcost --version`; and, from one
`python -X importtime` run of `compare`, where the import time goes, by package.

Run: python benchmarks/bench_startup.py [REPEATS]. Writes benchmarks/results/startup.json.
"""

from __future__ import annotations

import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

BASELINE = [sys.executable, "-c", "import numpy, yaml, typer, rich.table"]
COMPARE = [sys.executable, "-m", "llmcost", "compare", "--format", "csv"]
VERSION = [sys.executable, "-m", "llmcost", "--version"]
TYPER_APP = """
from typing import Annotated, Optional
import numpy, yaml, typer, rich.table
app = typer.Typer()
@app.command()
def compare({options}) -> None:
    print("ok")
@app.command()
def other() -> None:
    pass
app()
"""
"""A typer app with as many options as `compare` that does nothing: what typer's parsing costs at run time
(typer 0.26+ builds a pydantic adapter per option, so it imports pydantic, which `import typer` does not)."""


def cpu(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """CPU seconds (user + system) of one run of `cmd` as a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_time_by_package(cmd: list[str]) -> dict[str, float]:
    """Self import time (ms) of one run, summed by top-level package (llmcost by module), largest first."""
    run = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], check=True, capture_output=True, text=True)
    totals: Counter[str] = Counter()
    for line in run.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|(\s*)(\S+)", line)
        if m:
            name = m.group(3)
            key = name if name.startswith("llmcost") else name.split(".")[0]
            totals[key] += int(m.group(1)) / 1000.0
    return {k: round(v, 1) for k, v in totals.most_common(15)}


def typer_app(folder: str) -> list[str]:
    """The TYPER_APP script with 16 options of compare's kinds, invoked as `compare`."""
    kinds = ["Optional[str]", "Optional[list[str]]", "int", "bool"]
    options = ", ".join(f"o{i}: Annotated[{kinds[i % 4]}, typer.Option('--o{i}')] = "
                        f"{ {0: 'None', 1: 'None', 2: '1', 3: 'False'}[i % 4]}" for i in range(16))
    path = Path(folder) / "typer_app.py"
    path.write_text(TYPER_APP.format(options=options))
    return [sys.executable, str(path), "compare"]


def main(repeats: int = 15) -> None:
    cpu(COMPARE)  # fill the built-in cache
    cold_env = {**os.environ}
    folder = tempfile.mkdtemp()
    app = typer_app(folder)
    base, typer_floor, warm, cold, version = [], [], [], [], []
    for _ in range(repeats):
        base.append(cpu(BASELINE))
        typer_floor.append(cpu(app))
        warm.append(cpu(COMPARE))
        with tempfile.TemporaryDirectory() as empty:
            cold.append(cpu(COMPARE, env={**cold_env, "XDG_CACHE_HOME": empty}))
        version.append(cpu(VERSION))
    floor = statistics.median(base)
    result = {
        "repeats": repeats,
        "baseline_import_cpu_s": floor,
        "typer_app_cpu_s": statistics.median(typer_floor),
        "compare_cpu_s": statistics.median(warm),
        "compare_cold_cache_cpu_s": statistics.median(cold),
        "version_cpu_s": statistics.median(version),
    }
    result["ratio"] = result["compare_cpu_s"] / floor
    result["ratio_cold_cache"] = result["compare_cold_cache_cpu_s"] / floor
    result["ratio_typer_app"] = result["typer_app_cpu_s"] / floor
    result["ratio_to_typer_app"] = result["compare_cpu_s"] / result["typer_app_cpu_s"]
    result["import_ms_by_package"] = import_time_by_package(COMPARE)
    print(f"import numpy, yaml, typer, rich.table: {floor:.3f} s CPU (median of {repeats})")
    print(f"an empty typer app with 16 options:    {result['typer_app_cpu_s']:.3f} s  ratio {result['ratio_typer_app']:.2f}x")
    print(f"llmcost compare:                       {result['compare_cpu_s']:.3f} s  ratio {result['ratio']:.2f}x (target <= 1.3x); "
          f"{result['ratio_to_typer_app']:.2f}x the empty typer app")
    print(f"llmcost compare, cold cache:           {result['compare_cold_cache_cpu_s']:.3f} s  ratio {result['ratio_cold_cache']:.2f}x")
    print(f"llmcost --version:                     {result['version_cpu_s']:.3f} s")
    print("import time of compare by package (ms, self):", result["import_ms_by_package"])
    out = Path(__file__).parent / "results" / "startup.json"
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
