"""The benchmark figures as a Markdown table, from benchmarks/results/*.json (what the bench_*.py scripts wrote).

    python benchmarks/report.py

docs/performance.md holds this table (tests/docs_pages.py puts it there and tests/test_docs.py checks it is
current), so a figure in the docs is always the last measured one. The targets are the ones each script's
docstring states.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RESULTS / f"{name}.json").read_text())
    return data


def _rate(rows_per_s: float) -> str:
    return f"{rows_per_s / 1e6:.2f}M rows/s" if rows_per_s >= 1e6 else f"{rows_per_s / 1e3:,.0f}k rows/s"


def _verdict(ok: bool) -> str:
    return "" if ok else " (missed)"


def rows() -> list[tuple[str, str, str, str]]:
    """(benchmark, result, target, script) per figure."""
    out = []
    engine = load("engine")
    for r in engine["results"]:
        out.append((f"`{r['function']}` on {r['rows']:,} rows vs the scalar reference loop",
                    f"{r['speedup']:.0f}x ({_rate(r['engine_rows_per_s'])})", ">= 100x" + _verdict(r["speedup"] >= 100),
                    "bench_engine.py"))
    sweep = load("sweep")
    eng = sweep["engine"]
    out.append((f"`lifecycle.lifecycle` (the compare model) on {eng['rows']:,} rows vs a per-row loop",
                f"{eng['speedup']:.0f}x ({_rate(eng['vectorised_rows_per_s'])})", ">= 100x" + _verdict(eng["speedup"] >= 100),
                "bench_sweep.py"))
    e2e = sweep["end_to_end"]
    out.append((f"`llmcost sweep` of {e2e['rows']:,} rows to CSV vs `np.savetxt` of the same numeric matrix",
                f"{e2e['ratio']:.2f}x ({e2e['sweep_s']:.1f} s for {e2e['csv_mb']:.0f} MB of CSV vs {e2e['savetxt_s']:.1f} s)",
                "<= 1.5x" + _verdict(e2e["ratio"] <= 1.5), "bench_sweep.py"))
    st = sweep["structural"]
    out.append((f"`llmcost sweep` of a structural grid (models x GPUs x token counts) of {st['rows']:,} rows to CSV vs `np.savetxt`",
                f"{st['ratio']:.2f}x ({st['sweep_s']:.1f} s vs {st['savetxt_s']:.1f} s)", "<= 3x" + _verdict(st["ratio"] <= 3),
                "bench_sweep.py"))
    rss = sweep["peak_rss"]
    small, big = rss["1x"]["peak_rss_mb"], rss["4x"]["peak_rss_mb"]
    out.append((f"peak memory of a sweep of {rss['1x']['rows']:,} rows / of {rss['4x']['rows']:,} rows",
                f"{small:.0f} MB / {big:.0f} MB", "flat, < 400 MB" + _verdict(big < 400 and big < 1.5 * small), "bench_sweep.py"))
    unc = load("uncertainty")
    out.append((f"`llmcost compare --samples {unc['samples']:,}` vs `llmcost compare`",
                f"{unc['ratio']:.2f}x ({unc['sampled_compare_s']:.2f} s vs {unc['point_compare_s']:.2f} s)",
                "< 5x" + _verdict(unc["ratio"] < 5), "bench_uncertainty.py"))
    comp = load("compare")
    out.append(("`llmcost compare` vs `python -c \"import numpy, yaml, typer, rich.table\"`, wall time",
                f"{comp['ratio']:.2f}x ({comp['compare_s']:.2f} s vs {comp['baseline_import_s']:.2f} s)",
                "<= 1.5x" + _verdict(comp["ratio"] <= 1.5), "bench_compare.py"))
    st = load("startup")
    out.append(("`llmcost compare` vs the same imports, CPU time (warm / cold profile cache)",
                f"{st['ratio']:.2f}x / {st['ratio_cold_cache']:.2f}x ({st['compare_cpu_s']:.3f} s vs {st['baseline_import_cpu_s']:.3f} s)",
                "<= 1.3x" + _verdict(st["ratio"] <= 1.3), "bench_startup.py"))
    out.append(("an empty 16-option typer app vs the same imports, CPU time (the floor for any typer CLI)",
                f"{st['ratio_typer_app']:.2f}x ({st['typer_app_cpu_s']:.3f} s)", "-", "bench_startup.py"))
    peer = load("peer")
    if peer.get("peer"):  # llm-analysis was installed when it ran
        calls = {"serve": "`llmcost.serve(...)` vs llm-analysis `inference()`",
                 "pretrain": "`llmcost.pretrain(...)` vs llm-analysis `training()`",
                 "finetune": "`llmcost.finetune(...)` (LoRA, QLoRA, full) vs llm-analysis `training()` (it has no LoRA)"}
        for name, what in calls.items():
            r = peer[name]
            out.append((f"{what}, one configuration per call, {peer['configs'][name]:,} configurations (CPU time)",
                        f"{r['ratio_median']:.2f}x the peer's speed (median of {peer['repeats']}, {r['ratio_min']:.2f}-{r['ratio_max']:.2f}; "
                        f"{r['llmcost_configs_per_s']:,.0f} vs {r['peer_configs_per_s']:,.0f} configurations/s)",
                        "> 1x" + _verdict(r["ratio_median"] > 1), "bench_peer.py"))
        vec = peer["vectorised"]
        out.append(("the serving engine vectorised over the configurations vs llm-analysis `inference()` in a loop",
                    f"{vec['ratio']:,.0f}x ({_rate(vec['llmcost_configs_per_s'])})", ">= 100x" + _verdict(vec["ratio"] >= 100),
                    "bench_peer.py"))
    return out


def imports_line() -> str:
    """Where `llmcost compare`'s import time goes, from bench_startup.py's `python -X importtime` run."""
    by_package = load("startup")["import_ms_by_package"]
    return "Import time of `llmcost compare` by package (ms): " + ", ".join(f"{k} {v:g}" for k, v in by_package.items()) + "."


def table() -> str:
    lines = ["| benchmark | result | target | script |", "|---|---|---|---|"]
    lines += [f"| {b} | {r} | {t} | `benchmarks/{s}` |" for b, r, t, s in rows()]
    return "\n".join(lines) + "\n\n" + imports_line()


if __name__ == "__main__":
    print(table())
