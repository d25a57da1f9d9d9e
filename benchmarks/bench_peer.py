"""llmcost against its closest peer, llm-analysis (cli99/llm-analysis 0.2.2), on the same random configurations,
in one process (a benchmark, not a test). Writes benchmarks/results/peer.json.

Serving configurations: a model (LLaMA 7B/13B/33B/65B, OPT 6.7B/13B/66B), a GPU (A100 80GB SXM, H100 SXM, V100
32GB SXM), a tensor-parallel size (1, 2, 4, 8), a batch (1-64), a prompt (128-2048 tokens) and an output (32-512
tokens), FP16 weights. Training configurations: the same models and GPUs, 1-8 GPUs per host (fine-tuning) or
1-8 x 1-64 GPUs (pre-training), a batch per GPU (1-8), a sequence (512-2048 tokens) and 1e8-1e12 tokens.
Timed, per configuration, as a user's script calls each (a Python loop, `.rows()` and all, the built-in catalog
warm: loaded once per process, as any second call finds it):

1. serve: the peer's `LLMAnalysis(model, gpu, dtype, parallelism).inference(batch, seq_len, tokens)` against
   `llmcost.serve(model, gpu="NxID", quant="fp16", engine="vllm", concurrency=..., input_tokens=...,
   output_tokens=...).rows()`;
2. pretrain: the peer's `.training(batch_size_per_gpu, seq_len, total_num_tokens)` (ZeRO-3) against
   `llmcost.pretrain(model, gpu="NxID", tokens=..., seq_len=...).rows()`;
3. finetune: the peer's `.training(...)` on one host (it has no LoRA: a full fine-tune is the nearest estimate it
   makes) against `llmcost.finetune(model, gpu="NxID", method=lora|qlora|full, batch=..., seq_len=...,
   tokens=...).rows()`;
4. serve vectorised: one `llmcost.engine.serving.serve` call over 100x as many configurations (the engine's
   inputs built per model and GPU, the numbers as columns), as sweeps and Monte Carlo run it, against 1.

Each of 1-3 alternates peer and llmcost loops REPEATS times (the order swapped every other repeat) and reports
the median of the per-repeat ratios (peer time / llmcost time) and their range: on a shared machine both sides
of a pair see the same load. Targets: 1-3 faster than the peer (ratio > 1); 4 at least 100x. Needs the optional
`llm-analysis` package (pip install llm-analysis): without it the peer is skipped and only llmcost's rates are
reported.

Run: python benchmarks/bench_peer.py [--configs N] [--repeats R]
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODELS = {"llama-7b": "decapoda-research_llama-7b-hf", "llama-13b": "decapoda-research_llama-13b-hf",
          "llama-33b": "decapoda-research_llama-30b-hf", "llama-65b": "decapoda-research_llama-65b-hf",
          "opt-6.7b": "facebook_opt-6.7b", "opt-13b": "facebook_opt-13b", "opt-66b": "facebook_opt-66b"}
GPUS = {"a100-80gb": "a100-sxm-80gb", "h100-sxm": "h100-sxm-80gb", "v100-sxm-32gb": "v100-sxm-32gb"}
"""llmcost id -> llm-analysis config name. The OPT ids are llm-analysis's; llmcost has no OPT below 175B, so
those configurations use the nearest LLaMA shape on the llmcost side (the work per configuration is the same)."""
LLMCOST_MODEL = {"opt-6.7b": "llama-7b", "opt-13b": "llama-13b", "opt-66b": "llama-65b"}
METHODS = ("lora", "qlora", "full")

Config = dict[str, Any]
Loop = Callable[[], float]
"""Runs one side's loop over the configurations and returns its seconds."""


def serve_configurations(n: int, seed: int = 0) -> list[Config]:
    rng = np.random.default_rng(seed)
    models, gpus = list(MODELS), list(GPUS)
    return [{"model": models[rng.integers(len(models))], "gpu": gpus[rng.integers(len(gpus))],
             "tp": int(2 ** rng.integers(0, 4)), "batch": int(rng.integers(1, 65)), "input": int(rng.integers(128, 2049)),
             "output": int(rng.integers(32, 513))} for _ in range(n)]


def training_configurations(n: int, hosts: bool, seed: int) -> list[Config]:
    """Training runs: 1-8 GPUs of one host, times 1-64 hosts (data parallel) when `hosts`."""
    rng = np.random.default_rng(seed)
    models, gpus = list(MODELS), list(GPUS)
    return [{"model": models[rng.integers(len(models))], "gpu": gpus[rng.integers(len(gpus))],
             "tp": int(2 ** rng.integers(0, 4)), "dp": int(2 ** rng.integers(0, 7)) if hosts else 1,
             "batch": int(rng.integers(1, 9)), "seq_len": int(2 ** rng.integers(9, 12)), "tokens": float(10 ** rng.uniform(8, 12)),
             "method": METHODS[rng.integers(len(METHODS))]} for _ in range(n)]


def _model(c: Config) -> str:
    return LLMCOST_MODEL.get(str(c["model"]), str(c["model"]))


def _timed(run: Callable[[Config], Any], configs: list[Config]) -> Loop:
    def loop() -> float:
        start = time.process_time()
        for c in configs:
            run(c)
        return time.process_time() - start
    return loop


def peer_loops(serve: list[Config], pretrain: list[Config], finetune: list[Config]) -> dict[str, Loop] | None:
    """The peer's serve, pretrain and finetune loops, or None when llm-analysis is not installed."""
    try:
        from llm_analysis.analysis import DSZeRO, LLMAnalysis
        from llm_analysis.config import ParallelismConfig, get_dtype_config_by_name, get_gpu_config_by_name, get_model_config_by_name
    except ImportError:
        return None
    logging.disable(logging.CRITICAL)
    models = {k: get_model_config_by_name(v) for k, v in MODELS.items()}
    gpus = {k: get_gpu_config_by_name(v) for k, v in GPUS.items()}
    dtype = get_dtype_config_by_name("w16a16e16")

    def inference(c: Config) -> None:
        with contextlib.suppress(AssertionError):  # llm-analysis asserts when a configuration does not fit
            LLMAnalysis(models[c["model"]], gpus[c["gpu"]], dtype, ParallelismConfig(tp_size=c["tp"])).inference(
                batch_size_per_gpu=c["batch"], seq_len=c["input"], num_tokens_to_generate=c["output"])

    def training(c: Config) -> None:
        with contextlib.suppress(AssertionError):
            LLMAnalysis(models[c["model"]], gpus[c["gpu"]], dtype, ParallelismConfig(tp_size=c["tp"], dp_size=c["dp"]),
                        flops_efficiency=0.5, hbm_memory_efficiency=0.9).training(
                batch_size_per_gpu=c["batch"], seq_len=c["seq_len"], total_num_tokens=c["tokens"], ds_zero=DSZeRO.STAGE_3)

    return {"serve": _timed(inference, serve), "pretrain": _timed(training, pretrain), "finetune": _timed(training, finetune)}


def llmcost_loops(serve: list[Config], pretrain: list[Config], finetune: list[Config]) -> dict[str, Loop]:
    import llmcost

    def one_serve(c: Config) -> None:
        llmcost.serve(_model(c), gpu=f"{c['tp']}x{c['gpu']}", quant="fp16", engine="vllm", concurrency=c["batch"],
                      input_tokens=c["input"], output_tokens=c["output"]).rows()

    def one_pretrain(c: Config) -> None:
        llmcost.pretrain(_model(c), gpu=f"{c['tp'] * c['dp']}x{c['gpu']}", tokens=c["tokens"], seq_len=c["seq_len"]).rows()

    def one_finetune(c: Config) -> None:
        llmcost.finetune(_model(c), gpu=f"{c['tp']}x{c['gpu']}", method=c["method"], batch=c["batch"], seq_len=c["seq_len"],
                         tokens=c["tokens"]).rows()

    llmcost.load_catalog()  # warm: the built-in catalog is read once per process
    return {"serve": _timed(one_serve, serve), "pretrain": _timed(one_pretrain, pretrain), "finetune": _timed(one_finetune, finetune)}


def vectorised(configs: list[Config]) -> float:
    from llmcost import catalog, inputs
    from llmcost.engine import serving

    cat = catalog.load()
    start = time.process_time()
    names = [(_model(c), str(c["gpu"])) for c in configs]
    keys = list(dict.fromkeys(names))
    base = [inputs.serve_inputs(cat, cat.get("models", m), cat.get("gpus", g), 1.0, "fp16", "vllm", 0.0, 0.0, 0.0, None)
            for m, g in keys]
    position = {k: i for i, k in enumerate(keys)}
    which = np.fromiter((position[k] for k in names), dtype=int, count=len(names))
    table = inputs.stack(base)
    x = {k: v[which] for k, v in table.items()}
    for key, col in (("gpus", "tp"), ("concurrency", "batch"), ("input_tokens", "input"), ("output_tokens", "output")):
        x[key] = np.fromiter((c[col] for c in configs), dtype=float, count=len(configs))
    serving.serve(x)
    return time.process_time() - start


def paired(own: Loop, peer: Loop | None, repeats: int) -> dict[str, Any]:
    """Alternate llmcost's and the peer's loops `repeats` times; per-repeat seconds and ratios (peer / llmcost)."""
    own(), peer() if peer else None  # warm both: first calls fill caches, as any script's second call finds them
    own_s: list[float] = []
    peer_s: list[float] = []
    for r in range(repeats):
        if peer is not None and r % 2:
            peer_s.append(peer())
        own_s.append(own())
        if peer is not None and not r % 2:
            peer_s.append(peer())
    out: dict[str, Any] = {"llmcost_s": own_s, "llmcost_median_s": statistics.median(own_s)}
    if peer is not None:
        ratios = [p / o for p, o in zip(peer_s, own_s, strict=True)]
        out.update({"peer_s": peer_s, "peer_median_s": statistics.median(peer_s), "ratios": ratios,
                    "ratio_median": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios)})
    return out


def main() -> None:
    n = int(sys.argv[sys.argv.index("--configs") + 1]) if "--configs" in sys.argv else 2000
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 7
    sets = {"serve": serve_configurations(n), "pretrain": training_configurations(n // 2, True, seed=2),
            "finetune": training_configurations(n // 2, False, seed=3)}
    own = llmcost_loops(sets["serve"], sets["pretrain"], sets["finetune"])
    peer = peer_loops(sets["serve"], sets["pretrain"], sets["finetune"])
    results: dict[str, Any] = {"configs": {k: len(v) for k, v in sets.items()}, "repeats": repeats, "cpu_count": os.cpu_count(),
                               "peer": peer is not None}
    for name, loop in own.items():
        res = paired(loop, peer[name] if peer else None, repeats)
        count = len(sets[name])
        res["llmcost_configs_per_s"] = count / res["llmcost_median_s"]
        if peer:
            res["peer_configs_per_s"] = count / res["peer_median_s"]
        results[name] = res
        line = f"{name}: llmcost {res['llmcost_configs_per_s']:,.0f} configs/s per call"
        if peer:
            line += (f", llm-analysis {res['peer_configs_per_s']:,.0f}: {res['ratio_median']:.2f}x the peer "
                     f"(range {res['ratio_min']:.2f}-{res['ratio_max']:.2f} over {repeats} repeats; target > 1)")
        print(line)
    vec_configs = serve_configurations(100 * n, seed=1)
    vec_s = vectorised(vec_configs) / 100
    results["vectorised"] = {"configs_timed": 100 * n, "llmcost_s": vec_s, "llmcost_configs_per_s": n / vec_s}
    print(f"serve vectorised: {n / vec_s:,.0f} configs/s ({100 * n:,} configurations in one call)")
    if peer:
        ratio = results["serve"]["peer_median_s"] / vec_s
        results["vectorised"]["ratio"] = ratio
        print(f"  {ratio:,.0f}x the peer's loop (target >= 100x)")
    else:
        print("llm-analysis is not installed: peer skipped (pip install llm-analysis)")
    out = Path(__file__).parent / "results" / "peer.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
