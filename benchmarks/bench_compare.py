"""Wall time of `llmcost compare` on the default scenario, as a ratio to importing its dependencies.

Both are run as fresh subprocesses in the same session, alternating, and the medians compared
(these machines are shared and noisy). Target: 1.5x or less. Writes benchmarks/results/compare.json.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASELINE = [sys.executable, "-c", "import numpy, yaml, typer, rich.table"]
COMMAND = [sys.executable, "-m", "llmcost", "compare", "--format", "csv"]


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main(repeats: int = 15) -> None:
    base, comp = [], []
    for _ in range(repeats):
        base.append(wall(BASELINE))
        comp.append(wall(COMMAND))
    result = {"baseline_import_s": statistics.median(base), "compare_s": statistics.median(comp)}
    result["ratio"] = result["compare_s"] / result["baseline_import_s"]
    print(f"import numpy, yaml, typer, rich.table: {result['baseline_import_s']:.3f} s (median of {repeats})")
    print(f"llmcost compare (default scenario):    {result['compare_s']:.3f} s")
    print(f"ratio: {result['ratio']:.2f}x (target <= 1.5x)")
    out = Path(__file__).parent / "results" / "compare.json"
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
