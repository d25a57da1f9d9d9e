"""llmcost's serving estimate against its closest peer, llm-analysis (cli99/llm-analysis 0.2.2), on the same
random configurations, in one process (a benchmark, not a test). Writes benchmarks/results/peer.json.

Configurations: a model (LLaMA 7B/13B/33B/65B, OPT 6.7B/13B/66B), a GPU (A100 80GB SXM, H100 SXM, V100 32GB SXM),
a tensor-parallel size (1, 2, 4, 8), a batch (1-64), a prompt (128-2048 tokens) and an output (32-512 tokens),
FP16 weights. Timed, per configuration:

1. peer: `LLMAnalysis(model, gpu, dtype, parallelism).inference(batch, seq_len, tokens)` in a Python loop;
2. llmcost per configuration: `llmcost.runs.serve` (the `serve` command's estimate, rows and all) in a loop;
3. llmcost vectorised: one `llmcost.engine.serving.serve` call over all configurations (the engine's inputs
   built per model and GPU, the numbers as columns), as sweeps and Monte Carlo run it.

Targets: 2 faster than 1; 3 at least 100x 1. Needs the optional `llm-analysis` package (pip install
llm-analysis): without it the peer is skipped and only llmcost's rates are reported.

Run: python benchmarks/bench_peer.py [--configs N]
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from pathlib import Path

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


def configurations(n: int, seed: int = 0) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    models, gpus = list(MODELS), list(GPUS)
    return [{"model": models[rng.integers(len(models))], "gpu": gpus[rng.integers(len(gpus))],
             "tp": int(2 ** rng.integers(0, 4)), "batch": int(rng.integers(1, 65)), "input": int(rng.integers(128, 2049)),
             "output": int(rng.integers(32, 513))} for _ in range(n)]


def peer(configs: list[dict[str, object]]) -> float | None:
    try:
        from llm_analysis.analysis import LLMAnalysis
        from llm_analysis.config import ParallelismConfig, get_dtype_config_by_name, get_gpu_config_by_name, get_model_config_by_name
    except ImportError:
        return None
    logging.disable(logging.CRITICAL)
    models = {k: get_model_config_by_name(v) for k, v in MODELS.items()}
    gpus = {k: get_gpu_config_by_name(v) for k, v in GPUS.items()}
    dtype = get_dtype_config_by_name("w16a16e16")
    start = time.perf_counter()
    for c in configs:
        with contextlib.suppress(AssertionError):  # llm-analysis asserts when a configuration does not fit
            LLMAnalysis(models[c["model"]], gpus[c["gpu"]], dtype, ParallelismConfig(tp_size=c["tp"])).inference(
                batch_size_per_gpu=c["batch"], seq_len=c["input"], num_tokens_to_generate=c["output"])
    return time.perf_counter() - start


def per_configuration(configs: list[dict[str, object]]) -> float:
    from llmcost import catalog, runs

    cat = catalog.load()
    start = time.perf_counter()
    for c in configs:
        runs.serve(cat, LLMCOST_MODEL.get(str(c["model"]), str(c["model"])), [f"{c['tp']}x{c['gpu']}"], "fp16", "vllm",
                   concurrency=int(c["batch"]), input_tokens=float(c["input"]), output_tokens=float(c["output"])).rows()
    return time.perf_counter() - start


def vectorised(configs: list[dict[str, object]]) -> float:
    from llmcost import catalog, inputs
    from llmcost.engine import serving

    cat = catalog.load()
    start = time.perf_counter()
    names = [(LLMCOST_MODEL.get(str(c["model"]), str(c["model"])), str(c["gpu"])) for c in configs]
    keys = list(dict.fromkeys(names))
    base = [inputs.serve_inputs(cat, cat.get("models", m), cat.get("gpus", g), 1.0, "fp16", "vllm", 0.0, 0.0, 0.0, None)
            for m, g in keys]
    position = {k: i for i, k in enumerate(keys)}
    which = np.fromiter((position[k] for k in names), dtype=int, count=len(names))
    table = inputs.stack(base)
    x = {k: v[which] for k, v in table.items()}
    for key, col in (("gpus", "tp"), ("concurrency", "batch"), ("input_tokens", "input"), ("output_tokens", "output")):
        x[key] = np.fromiter((c[col] for c in configs), dtype=float, count=len(configs))
    gpu_tp = np.array([inputs.tp_efficiency(cat, cat.get("gpus", g), 2.0) for _, g in keys])[which]
    x["tp_efficiency"] = np.where(x["gpus"] > 1, gpu_tp, 1.0)
    serving.serve(x)
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[sys.argv.index("--configs") + 1]) if "--configs" in sys.argv else 2000
    configs = configurations(n)
    results: dict[str, object] = {"configs": n, "cpu_count": os.cpu_count()}
    vec_configs = configurations(100 * n, seed=1)
    vec_s = vectorised(vec_configs) / 100
    own_s = per_configuration(configs)
    peer_s = peer(configs)
    results.update({"llmcost_per_configuration_s": own_s, "llmcost_per_configuration_configs_per_s": n / own_s,
                    "llmcost_vectorised_s": vec_s, "llmcost_vectorised_configs_per_s": n / vec_s,
                    "vectorised_configs_timed": 100 * n})
    print(f"llmcost runs.serve per configuration: {n / own_s:,.0f} configs/s; vectorised engine: {n / vec_s:,.0f} configs/s "
          f"({100 * n:,} configurations in one call)")
    if peer_s is None:
        print("llm-analysis is not installed: peer skipped (pip install llm-analysis)")
    else:
        results.update({"peer_s": peer_s, "peer_configs_per_s": n / peer_s, "per_configuration_vs_peer": peer_s / own_s,
                        "vectorised_vs_peer": peer_s / vec_s})
        print(f"llm-analysis loop: {n / peer_s:,.0f} configs/s; llmcost per configuration {peer_s / own_s:.2f}x the peer "
              f"(target > 1); vectorised {peer_s / vec_s:,.0f}x the peer (target >= 100x)")
    out = Path(__file__).parent / "results" / "peer.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
