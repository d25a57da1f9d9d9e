"""Speed and memory of `llmcost sweep` (a benchmark, not a test). Writes benchmarks/results/sweep.json.

1. End to end: a 1,048,576-row sweep to CSV (a temporary file) through the real CLI entry point, against
   the floor of formatting the same numeric matrix (every number the CSV holds, states as NaN) with
   np.savetxt in the same process. Target: ratio <= 1.5.
2. Structural: a grid over models x GPUs x input tokens x output tokens (345,600 rows: every option's serving
   run differs) to CSV, against np.savetxt of its numeric matrix. Target: ratio <= 3.
3. Engine: lifecycle() rows/s over 1,000,000 rows (in the calls the sweep makes: lifecycle.ENGINE_CELLS row x
   month cells each) against a scalar loop that calls it one row at a time (a subset, scaled). Target: >= 100x.
4. Peak RSS of the 1M sweep and of a 4x larger grid, each in a fresh subprocess. Target: flat, < 400 MB.

Run: python benchmarks/bench_sweep.py [--quick]   (--quick: 1/16 of the rows, for a smoke run)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

SETS = ["options.gpus=rtx-3090,rtx-4090", "options.rentals=", "options.apis=openai/gpt-4o-mini,google/gemini-2.5-flash-lite",
        "options.hosts=false"]
"""Four options (two owned GPUs, two APIs), so 262,144 numeric combinations give 1,048,576 rows."""


def grid_text(growth_steps: int, scale: int = 64) -> str:
    return f"""base: team-assistant
grid:
  workload.requests_per_day: {{start: 100, stop: 1e7, num: {scale}, log: true}}
  economics.electricity_usd_per_kwh: {{start: 0.05, stop: 0.5, num: {scale}}}
  economics.horizon_months: [12, 24, 36, 48]
  workload.peak_to_average: [1.5, 3, 6, 12]
  workload.monthly_growth: {{start: 0, stop: 0.1, num: {growth_steps}}}
"""


STRUCTURAL = """base: team-assistant
grid:
  serving.model: [llama-3.1-8b, qwen2.5-7b, mistral-7b, gemma-2-9b, qwen3-8b, llama-2-7b]
  options.gpus: [rtx-3090, rtx-4090, rtx-5090, l40s, a100-80gb, h100-sxm]
  workload.input_tokens: {start: 100, stop: 4000, num: %d}
  workload.output_tokens: {start: 50, stop: 1000, num: 40}
"""
"""Six models x six GPUs (each with its rental offers and the APIs): the option set changes with every
structural combination, and every token shape is a different serving run."""


def count_lines(path: str) -> int:
    with open(path) as f:
        return sum(1 for _ in f)


def argv(grid: str, out: str) -> list[str]:
    return ["sweep", grid, "-o", out, *[a for s in SETS for a in ("--set", s)]]


def numeric_matrix(grid_path: str, sets: list[str]) -> np.ndarray:
    """Every number of the sweep's CSV as one float matrix (states and text as NaN), from the same tables."""
    from llmcost import catalog, sweeps

    cat = catalog.load()
    g = sweeps.load_grid(cat, grid_path, sets)
    parts = []
    for table in sweeps.tables(cat, [g], sets):
        cols = []
        for v in table.columns.values():
            v = np.asarray(v)
            if v.dtype.kind in "fiub":
                cols.append(v.astype(float))
        parts.append(np.column_stack(cols))
    return np.concatenate(parts)


def end_to_end(grid_path: str, tmp: str, sets: list[str] = SETS) -> dict[str, float]:
    from llmcost.cli.app import main

    out = os.path.join(tmp, "sweep.csv")
    start = time.perf_counter()
    rc = main(["sweep", grid_path, "-o", out, *[a for s in sets for a in ("--set", s)]])
    sweep_s = time.perf_counter() - start
    assert rc == 0
    rows = count_lines(out) - 1
    size = os.path.getsize(out)
    os.unlink(out)
    m = numeric_matrix(grid_path, sets)
    floor = os.path.join(tmp, "floor.csv")
    start = time.perf_counter()
    np.savetxt(floor, m, fmt="%.17g", delimiter=",")
    savetxt_s = time.perf_counter() - start
    os.unlink(floor)
    return {"rows": rows, "csv_mb": size / 1e6, "numeric_columns": m.shape[1], "sweep_s": sweep_s,
            "savetxt_s": savetxt_s, "ratio": sweep_s / savetxt_s, "rows_per_s": rows / sweep_s}


def engine(n: int = 1_000_000, scalar_rows: int = 2_000) -> dict[str, float]:
    from llmcost import catalog, comparison, options, scenarios
    from llmcost.engine import lifecycle

    cat = catalog.load()
    sc = scenarios.resolve(cat, None)
    base = comparison.evaluate(cat, sc, options.build(cat, sc)).x
    rng = np.random.default_rng(0)
    opt = rng.integers(0, len(base["kind"]), n)
    x = {k: v[opt] for k, v in base.items()}
    x["requests_per_day"] = 10 ** rng.uniform(2, 7, n)
    x["electricity_usd_per_kwh"] = rng.uniform(0.05, 0.5, n)
    x["peak_to_average"] = rng.uniform(1, 10, n)
    months = int(np.ceil(x["horizon_months"].max()))
    chunk = lifecycle.ENGINE_CELLS // months  # the rows per engine call the sweep uses at this horizon
    start = time.perf_counter()
    for i in range(0, n, chunk):
        lifecycle.lifecycle({k: v[i:i + chunk] for k, v in x.items()})
    vec_s = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(scalar_rows):
        lifecycle.lifecycle({k: v[i:i + 1] for k, v in x.items()})
    scalar_s = (time.perf_counter() - start) * n / scalar_rows
    return {"rows": n, "rows_per_call": chunk, "months": months, "vectorised_s": vec_s, "vectorised_rows_per_s": n / vec_s,
            "scalar_rows_timed": scalar_rows, "scalar_s_scaled": scalar_s, "scalar_rows_per_s": n / scalar_s,
            "speedup": scalar_s / vec_s}


CHILD = """
import json, resource, sys, time
from llmcost.cli.app import main
start = time.perf_counter()
rc = main(json.loads(sys.argv[1]))
print(json.dumps({"rc": rc, "s": time.perf_counter() - start,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def peak_rss(grid_path: str, tmp: str) -> dict[str, float]:
    out = os.path.join(tmp, "rss.csv")
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(argv(grid_path, out))], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    rows = count_lines(out) - 1
    os.unlink(out)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["rc"] == 0, proc.stderr
    return {"rows": rows, "wall_s": result["s"], "peak_rss_mb": result["peak_rss_mb"]}


def main() -> None:
    quick = "--quick" in sys.argv
    scale = 16 if quick else 64
    results: dict[str, object] = {"quick": quick, "cpu_count": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        one, four = os.path.join(tmp, "grid-1x.yaml"), os.path.join(tmp, "grid-4x.yaml")
        Path(one).write_text(grid_text(4, scale))
        Path(four).write_text(grid_text(16, scale))
        rss = {"1x": peak_rss(one, tmp), "4x": peak_rss(four, tmp)}
        results["peak_rss"] = rss
        print(f"peak RSS: {rss['1x']['rows']:,} rows {rss['1x']['peak_rss_mb']:.0f} MB ({rss['1x']['wall_s']:.1f} s); "
              f"{rss['4x']['rows']:,} rows {rss['4x']['peak_rss_mb']:.0f} MB ({rss['4x']['wall_s']:.1f} s) "
              "(target flat, < 400 MB)")
        e2e = end_to_end(one, tmp)
        results["end_to_end"] = e2e
        print(f"sweep to CSV: {e2e['rows']:,} rows, {e2e['csv_mb']:.0f} MB in {e2e['sweep_s']:.2f} s "
              f"({e2e['rows_per_s']:,.0f} rows/s); np.savetxt of the same {e2e['numeric_columns']}-column numeric matrix "
              f"{e2e['savetxt_s']:.2f} s; ratio {e2e['ratio']:.2f}x (target <= 1.5x)")
        structural = os.path.join(tmp, "grid-structural.yaml")
        Path(structural).write_text(STRUCTURAL % (8 if quick else 30))
        st = end_to_end(structural, tmp, [])
        results["structural"] = st
        print(f"structural sweep to CSV: {st['rows']:,} rows in {st['sweep_s']:.2f} s ({st['rows_per_s']:,.0f} rows/s); "
              f"np.savetxt of the same {st['numeric_columns']}-column numeric matrix {st['savetxt_s']:.2f} s; "
              f"ratio {st['ratio']:.2f}x (target <= 3x)")
    eng = engine(1_000_000 // (16 if quick else 1))
    results["engine"] = eng
    print(f"lifecycle(): {eng['rows']:,} rows in {eng['vectorised_s']:.2f} s ({eng['vectorised_rows_per_s']:,.0f} rows/s); "
          f"scalar loop {eng['scalar_rows_per_s']:,.0f} rows/s (timed {eng['scalar_rows_timed']:,} rows, scaled); "
          f"speedup {eng['speedup']:,.0f}x (target >= 100x)")
    out = Path(__file__).parent / "results" / ("sweep-quick.json" if quick else "sweep.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
