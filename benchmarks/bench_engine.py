"""Engine throughput: serving and pre-training on 1,000,000 rows, against the scalar reference loop.

    python3 benchmarks/bench_engine.py [--rows 1000000] [--reference-rows 20000] [--repeat 3]

The rows are random valid scenarios from tests/strategies.py (fixed seed). The vectorised engine
runs on all of them at once (best of --repeat); the scalar reference (tests/reference.py) loops
over the first --reference-rows and is scaled to the full count. Prints a table and writes
benchmarks/results/engine.json. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

import numpy as np  # noqa: E402
import reference  # noqa: E402
import strategies  # noqa: E402

from llmcost.engine import serving, training  # noqa: E402

CASES = {
    "serving.serve": (strategies.serve_columns, serving.serve, reference.serve),
    "training.pretrain": (strategies.pretrain_columns, training.pretrain, reference.pretrain),
}


def best_time(fn: Any, arg: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - start)
    return min(times)


def run(rows: int, reference_rows: int, repeat: int, seed: int) -> list[dict[str, Any]]:
    results = []
    for name, (columns, engine_fn, reference_fn) in CASES.items():
        table = strategies._table(columns(strategies.ArraySampler(np.random.default_rng(seed), rows)), rows)
        engine_s = best_time(engine_fn, table, repeat)
        subset = [strategies.row_of(table, i) for i in range(min(reference_rows, rows))]
        start = time.perf_counter()
        for row in subset:
            reference_fn(row)
        loop_s = time.perf_counter() - start
        results.append({
            "function": name,
            "rows": rows,
            "engine_s": engine_s,
            "engine_rows_per_s": rows / engine_s,
            "reference_rows": len(subset),
            "reference_s_measured": loop_s,
            "reference_rows_per_s": len(subset) / loop_s,
            "reference_s_scaled": loop_s * rows / len(subset),
            "speedup": (loop_s * rows / len(subset)) / engine_s,
            "auto_concurrency_rows": int(np.sum(table["concurrency"] == 0)) if "concurrency" in table else None,
        })
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reference-rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "engine.json")
    args = parser.parse_args()
    results = run(args.rows, args.reference_rows, args.repeat, args.seed)
    print("| function | rows | engine s | engine rows/s | reference rows/s | speedup |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['function']} | {r['rows']:,} | {r['engine_s']:.3f} | {r['engine_rows_per_s']:,.0f} "
              f"| {r['reference_rows_per_s']:,.0f} | {r['speedup']:,.0f}x |")
    report = {
        "results": results,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join(["python3", "benchmarks/bench_engine.py", *sys.argv[1:]]),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
