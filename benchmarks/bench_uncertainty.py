"""Wall time of `llmcost compare --samples 10000` on the default scenario, as a ratio to the point-estimate
`llmcost compare` measured in the same run.

Both are run as fresh subprocesses, alternating, and the medians compared (these machines are shared and
noisy). Target: under 5x. Writes benchmarks/results/uncertainty.json.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

SAMPLES = 10_000
POINT = [sys.executable, "-m", "llmcost", "compare", "--format", "csv"]
SAMPLED = [*POINT, "--samples", str(SAMPLES), "--seed", "0"]


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main(repeats: int = 9) -> None:
    point, sampled = [], []
    for _ in range(repeats):
        point.append(wall(POINT))
        sampled.append(wall(SAMPLED))
    result = {"samples": SAMPLES, "point_compare_s": statistics.median(point), "sampled_compare_s": statistics.median(sampled),
              "repeats": repeats}
    result["ratio"] = result["sampled_compare_s"] / result["point_compare_s"]
    print(f"llmcost compare (point estimate):         {result['point_compare_s']:.3f} s (median of {repeats})")
    print(f"llmcost compare --samples {SAMPLES:,}:       {result['sampled_compare_s']:.3f} s")
    print(f"ratio: {result['ratio']:.2f}x (target < 5x)")
    out = Path(__file__).parent / "results" / "uncertainty.json"
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
