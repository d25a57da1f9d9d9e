"""Hypothesis strategies for engine input rows, kept in one place (as numpy-financial does).

Every column is described once, in `model_columns`, `serve_columns`, `pretrain_columns` and
`finetune_columns`, against a small `Sampler` interface with two implementations:

- `DrawSampler` draws one scalar per call from hypothesis (shrinkable single rows: `serve_rows()`),
- `ArraySampler` draws n values per call from a NumPy generator (tables of thousands of rows).

`serve_tables()` and friends combine the two: one hypothesis example is a table of 200-2000 rows,
a few drawn by hypothesis itself (its boundary values) and the rest from a generator seeded by
hypothesis. Rows are valid engine inputs: dense and MoE models from 1 layer x 64 wide to ~1.7T
parameters, 1-8 GPUs of 4-256 GiB, 2-16 bits per weight, every engine's efficiency range, prompts of
0 to 2M tokens, answers of 1 to 100K tokens, latency targets or none.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
from hypothesis import strategies as st

Columns = dict[str, Any]

D_MODELS = (64, 128, 256, 512, 768, 1024, 1536, 2048, 2560, 3072, 4096, 5120, 6144, 7168, 8192, 12288, 16384)
HEAD_DIMS = (64, 80, 96, 128, 256)
KNOWN_BITS = (2.0, 2.5, 3.0, 4.0, 4.127, 4.25, 4.5, 4.85, 5.69, 6.5625, 8.0, 8.5, 16.0)
MEMORIES_GIB = (4.0, 8.0, 12.0, 16.0, 24.0, 32.0, 40.0, 48.0, 80.0, 94.0, 141.0, 192.0)
CONTEXTS = (512.0, 2048.0, 4096.0, 8192.0, 32768.0, 131072.0, 1048576.0)
CONCURRENCIES = (1.0, 2.0, 7.0, 32.0, 60.0, 256.0, 384.0, 2048.0, 4096.0, 10000.0)


class Sampler(Protocol):
    """Where column values come from: a scalar per call (hypothesis) or an array (NumPy)."""

    def uniform(self, lo: float, hi: float) -> Any: ...
    def log(self, lo: float, hi: float) -> Any: ...
    def integers(self, lo: int, hi: int) -> Any: ...
    def choice(self, values: Sequence[float]) -> Any: ...
    def one_of(self, *values: Any) -> Any: ...
    def chance(self) -> Any: ...


class DrawSampler:
    """One value per call, drawn by hypothesis (so it shrinks and hits boundaries)."""

    def __init__(self, draw: Callable[[Any], Any]) -> None:
        self.draw = draw

    def uniform(self, lo: float, hi: float) -> float:
        return float(self.draw(st.floats(lo, hi)))

    def log(self, lo: float, hi: float) -> float:
        x = math.exp(self.draw(st.floats(math.log(lo), math.log(hi))))
        return min(max(x, lo), hi)

    def integers(self, lo: int, hi: int) -> float:
        return float(self.draw(st.integers(lo, hi)))

    def choice(self, values: Sequence[float]) -> float:
        return float(self.draw(st.sampled_from(values)))

    def one_of(self, *values: Any) -> Any:
        return values[self.draw(st.integers(0, len(values) - 1))]

    def chance(self) -> bool:
        return bool(self.draw(st.booleans()))


class ArraySampler:
    """n values per call from a NumPy generator; 3% of uniform draws sit exactly on a bound."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng, self.n = rng, n

    def _edges(self, x: np.ndarray, lo: float, hi: float) -> np.ndarray:
        u = self.rng.random(self.n)
        return np.where(u < 0.015, lo, np.where(u > 0.985, hi, x))

    def uniform(self, lo: float, hi: float) -> np.ndarray:
        return self._edges(self.rng.uniform(lo, hi, self.n), lo, hi)

    def log(self, lo: float, hi: float) -> np.ndarray:
        x = np.exp(self.rng.uniform(math.log(lo), math.log(hi), self.n))
        return self._edges(np.clip(x, lo, hi), lo, hi)

    def integers(self, lo: int, hi: int) -> np.ndarray:
        return self.rng.integers(lo, hi, self.n, endpoint=True).astype(float)

    def choice(self, values: Sequence[float]) -> np.ndarray:
        return self.rng.choice(np.asarray(values, dtype=float), self.n)

    def one_of(self, *values: Any) -> np.ndarray:
        pick = self.rng.integers(0, len(values), self.n)
        return np.choose(pick, [np.broadcast_to(np.asarray(v, dtype=float), (self.n,)) for v in values])

    def chance(self) -> np.ndarray:
        return self.rng.random(self.n) < 0.5


@functools.cache
def engine_ranges() -> dict[str, tuple[float, ...]]:
    """Every efficiency value and batch cap in the built-in engine profiles."""
    from llmcost import catalog

    engines = list(catalog.load().entries["engines"].values())
    return {
        "bandwidth_efficiency": tuple(sorted({v for e in engines for v in e.bandwidth_efficiency.values()})),
        "compute_efficiency": tuple(sorted({v for e in engines for v in e.compute_efficiency.values()})),
        "prefill_efficiency": tuple(sorted({v for e in engines for v in e.prefill_efficiency.values()})),
        "engine_max_concurrency": tuple(sorted({float(e.max_concurrency) for e in engines})),
    }


def _efficiency(s: Sampler, key: str) -> Any:
    """One of the engines' own values, or anywhere in (and a little around) their range."""
    values = engine_ranges()[key]
    return s.one_of(s.choice(values), s.uniform(max(min(values) * 0.5, 0.01), min(max(values) * 1.25, 1.0)))


def model_columns(s: Sampler, extreme: bool = False) -> Columns:
    """A dense or MoE transformer: shape, total and active parameters, KV bytes per token.

    `extreme` widens the size range: up to 100x more weight per layer (tens of trillions of
    parameters, which fit nowhere).
    """
    layers = s.integers(1, 128)
    d_model = s.choice(D_MODELS)
    head_dim = s.choice(HEAD_DIMS)
    heads = np.maximum(np.floor(d_model / head_dim), 1.0)
    kv_heads = np.maximum(np.floor(heads / s.choice((1, 2, 4, 8, 16, 64))), 1.0)
    vocab = s.choice((32000.0, 50272.0, 128256.0, 256000.0))
    per_layer = s.log(4.0, 4000.0) if extreme else s.log(4.0, 40.0)
    params = layers * d_model * d_model * per_layer + vocab * d_model
    moe = s.chance()
    experts = np.where(moe, s.integers(2, 256), 0.0)
    per_token = np.where(moe, np.minimum(s.integers(1, 8), experts), 0.0)
    expert_total = np.where(moe, params * s.uniform(0.5, 0.98), 0.0)
    per_expert = expert_total / np.maximum(experts, 1.0)
    active = params - np.maximum(experts - per_token, 0.0) * per_expert
    tied = s.chance()
    embedding = np.where(tied, 0.0, np.minimum(vocab * d_model, 0.5 * (params - expert_total)))
    # A share of the layers may use a sliding window (gpt-oss: half at 128 tokens; Gemma 3: 5 of 6 at 1024).
    sliding = np.floor(layers * s.choice((0.0, 0.0, 0.5, 5.0 / 6.0, 1.0)))
    window = np.where(sliding > 0, s.choice((128.0, 1024.0, 4096.0)), 0.0)
    per_layer_kv = 2.0 * kv_heads * head_dim * s.choice((1.0, 2.0))
    attn_per_layer = 4.0 * heads * head_dim
    return {
        "params": params,
        "active_params": active,
        "matmul_params": active - embedding,
        "embedding_params": embedding,
        "dense_params": params - expert_total,
        "expert_params_total": expert_total,
        "expert_matmul_params": np.where(moe, per_token * per_expert, 0.0),
        "vocab": vocab,
        "experts": experts,
        "experts_per_token": per_token,
        "layers": layers,
        "d_model": d_model,
        "kv_heads": np.where(s.chance(), kv_heads, 1.0),
        "attn_flops_per_key": (layers - sliding) * attn_per_layer,
        "attn_window_flops_per_key": sliding * attn_per_layer,
        "window": window,
        "attn_decode_factor": s.choice((1.0, 1.0, 3.4)),  # 3.4: latent attention decodes in the absorbed form
        "kv_bytes_per_token": (layers - sliding) * per_layer_kv,
        "kv_window_bytes_per_token": sliding * per_layer_kv,
    }


def gpu_columns(s: Sampler) -> Columns:
    return {
        "memory_gib": s.one_of(s.choice(MEMORIES_GIB), s.uniform(4.0, 256.0)),
        "gpus": s.integers(1, 8),
    }


def serve_columns(s: Sampler, extreme: bool = False) -> Columns:
    """Engine input of llmcost.engine.serving.serve."""
    m = model_columns(s, extreme)
    bits = s.one_of(s.choice(KNOWN_BITS), s.uniform(2.0, 16.0))
    g = gpu_columns(s)
    decode_tflops = s.log(5.0, 5000.0)
    biggest_prompt = 1e15 if extreme else 2e6
    return {
        "matmul_params": m["matmul_params"], "expert_matmul_params": m["expert_matmul_params"],
        "dense_bytes": m["dense_params"] * bits / 8.0, "expert_bytes": m["expert_params_total"] * bits / 8.0,
        "embedding_bytes": m["embedding_params"] * bits / 8.0,
        "experts": m["experts"], "experts_per_token": m["experts_per_token"],
        "layers": m["layers"], "d_model": m["d_model"], "kv_heads": m["kv_heads"],
        **{k: m[k] for k in ("attn_flops_per_key", "attn_window_flops_per_key", "window", "attn_decode_factor",
                             "kv_bytes_per_token", "kv_window_bytes_per_token")},
        **g,
        "usable_fraction": s.uniform(0.5, 0.98),
        "overhead_gib": s.uniform(0.0, 2.0),
        "bandwidth_gb_per_s": s.log(100.0, 8000.0),
        "decode_tflops": decode_tflops,
        "prefill_tflops": s.one_of(decode_tflops, 2.0 * decode_tflops, s.log(5.0, 5000.0)),
        "bandwidth_efficiency": _efficiency(s, "bandwidth_efficiency"),
        "compute_efficiency": _efficiency(s, "compute_efficiency"),
        "prefill_efficiency": _efficiency(s, "prefill_efficiency"),
        "engine_max_concurrency": s.one_of(s.choice(engine_ranges()["engine_max_concurrency"]), s.integers(1, 4096)),
        "link_latency_s": s.uniform(1e-6, 2e-5),
        "link_hop_latency_s": s.one_of(0.0, s.uniform(1e-7, 5e-6)),
        "link_bus_gb_per_s": s.log(3.0, 500.0),
        "pipeline": s.choice((0.0, 1.0, 2.0)),
        "step_overhead_s": s.one_of(0.0, s.uniform(0.0, 3e-3)),
        "request_overhead_s": s.one_of(0.0, s.uniform(0.0, 0.02)),
        "prefill_batch_tokens": s.one_of(0.0, s.choice((512.0, 2048.0, 8192.0)), np.round(s.log(16.0, 1e6))),
        "cached_share": s.one_of(0.0, s.uniform(0.0, 1.0)),
        "input_tokens": s.one_of(s.choice((0.0, 1.0, 128.0, 512.0, 1000.0, 2048.0)), s.integers(0, 8192),
                                 np.round(s.log(1.0, biggest_prompt))),
        "output_tokens": s.one_of(s.choice((1.0, 16.0, 128.0, 256.0, 2048.0)), s.integers(1, 4096),
                                  np.round(s.log(1.0, 1e5))),
        "model_context": s.choice(CONTEXTS + ((1e16,) if extreme else ())),
        "concurrency": s.one_of(0.0, 0.0, s.integers(1, 64), s.choice(CONCURRENCIES)),
        "max_tpot_s": s.one_of(math.inf, s.log(1e-4, 2.0)),
    }


def run_cost_columns(s: Sampler, gpus: Any) -> Columns:
    """The run_costs keys of llmcost.engine.training."""
    return {
        "gpus": gpus,
        "power_w": s.uniform(50.0, 1200.0),
        "pue": s.uniform(1.0, 2.0),
        "host_power_w_per_gpu": s.uniform(0.0, 500.0),
        "electricity_usd_per_kwh": s.uniform(0.0, 0.6),
        "capex_usd_per_gpu": s.log(100.0, 60000.0),
        "resale_fraction": s.uniform(0.0, 0.9),
        "lifetime_months": s.integers(6, 84),
        "upkeep_usd_per_gpu_month": s.one_of(0.0, s.log(0.1, 500.0)),
        "rental_usd_per_gpu_hour": s.one_of(0.0, s.log(0.05, 20.0)),
    }


def _training_columns(s: Sampler, extreme: bool) -> Columns:
    m = model_columns(s, extreme)
    # 1-8 GPUs mostly, and clusters beyond one host so that min_gpus leaves the single-host regime.
    gpus = s.one_of(s.integers(1, 8), s.integers(1, 8), s.choice((16.0, 64.0, 384.0, 1024.0, 2048.0, 16384.0)))
    biggest = 1e15
    return {
        "params": m["params"], "matmul_params": m["matmul_params"], "layers": m["layers"], "d_model": m["d_model"],
        "vocab": m["vocab"],
        **{k: m[k] for k in ("attn_flops_per_key", "attn_window_flops_per_key", "window")},
        "seq_len": s.one_of(s.choice((128.0, 512.0, 2048.0, 4096.0, 8192.0, 131072.0)), s.integers(16, 32768)),
        "tokens": s.one_of(s.log(1.0, biggest), s.choice((1e6, 3e7, 1e9, 3e11, 1.4e12, 1.5e13, biggest))),
        "tflops": s.log(5.0, 5000.0),
        "mfu": s.uniform(0.05, 0.8),
        "memory_gib": gpu_columns(s)["memory_gib"],
        "state_bytes_per_param": s.choice((8.0, 12.0, 16.0, 18.0)),  # pre-training
        "act_bytes_per_token_hidden": s.one_of(34.0, s.uniform(10.0, 80.0)),
        "ckpt_bytes_per_token_hidden": s.one_of(2.0, s.uniform(1.0, 4.0)),
        "overhead_gib": s.uniform(0.0, 2.0),
        **run_cost_columns(s, gpus),
    }


def pretrain_columns(s: Sampler, extreme: bool = False) -> Columns:
    """Engine input of llmcost.engine.training.pretrain."""
    cols = _training_columns(s, extreme)
    cols["tp_group"] = s.choice((1.0, 2.0, 4.0, 8.0, 16.0))
    return cols


def finetune_columns(s: Sampler, extreme: bool = False) -> Columns:
    """Engine input of llmcost.engine.training.finetune (full, LoRA and QLoRA rows)."""
    cols = _training_columns(s, extreme)
    full = s.chance()
    qlora = s.chance()
    cols.update({
        "method_full": full,
        "trainable_params": np.where(full, cols["params"], cols["params"] * s.log(1e-6, 0.05)),
        "base_bits_per_weight": s.one_of(16.0, 4.127, s.uniform(2.0, 16.0)),
        "dequant_overhead": np.where(full | ~np.asarray(qlora), 1.0, s.uniform(1.0, 2.0)),
        "batch": s.one_of(1.0, 2.0, s.integers(1, 64)),
        "checkpointing": s.choice((-1.0, 0.0, 1.0)),
        "trainable_bytes_per_param": s.choice((12.0, 16.0)),
        "weight_bytes_per_param": 2.0,
        "optimizer_state_bytes_per_param": s.choice((12.0, 2.0)),
        "paged_states": s.chance(),
        "optimizer_in_backward": s.chance(),
        "shard": s.chance(),
        "offload": s.chance(),
        "offload_gb_per_s": s.uniform(5.0, 60.0),
        "host_memory_gb_per_s_per_gpu": s.one_of(np.inf, s.uniform(10.0, 200.0)),
        "host_memory_efficiency": s.uniform(0.5, 0.9),
        "bytes_per_logit": s.one_of(0.0, 3.5, 13.0, s.uniform(0.0, 20.0)),
        "link_latency_s": s.uniform(1e-6, 2e-5),
        "link_hop_latency_s": s.one_of(0.0, s.uniform(1e-7, 5e-6)),
        "link_bus_gb_per_s": s.log(3.0, 500.0),
    })
    return cols


# ------------------------------------------------------------------------------------ strategies

BOOL_KEYS = ("method_full", "paged_states", "optimizer_in_backward", "shard", "offload")


def _row(cols: Columns) -> dict[str, Any]:
    return {k: (bool(v) if k in BOOL_KEYS else float(v)) for k, v in cols.items()}


class Table(dict[str, np.ndarray]):
    """Columns of equal length; its repr stays short in hypothesis reports (row_of(table, i) shows a row)."""

    seed: int | None = None
    drawn: int = 0

    def __repr__(self) -> str:
        n = len(next(iter(self.values()))) if self else 0
        return f"Table({n} rows: {self.drawn} drawn by hypothesis, the rest from seed {self.seed})"


def _table(cols: Columns, n: int) -> Table:
    return Table({k: np.broadcast_to(np.asarray(v, dtype=bool if k in BOOL_KEYS else float), (n,)).copy()
                  for k, v in cols.items()})


def _rows_strategy(columns: Callable[..., Columns], extreme: bool) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def rows(draw: Callable[[Any], Any]) -> dict[str, Any]:
        return _row(columns(DrawSampler(draw), extreme))

    return rows()


def _tables_strategy(columns: Callable[..., Columns], min_rows: int, max_rows: int, drawn_rows: int,
                     extreme: bool) -> st.SearchStrategy[dict[str, np.ndarray]]:
    @st.composite
    def tables(draw: Callable[[Any], Any]) -> dict[str, np.ndarray]:
        picked = draw(st.lists(_rows_strategy(columns, extreme), max_size=drawn_rows))
        n = draw(st.integers(min_rows, max_rows))
        seed = draw(st.integers(0, 2**63 - 1))
        generated = _table(columns(ArraySampler(np.random.default_rng(seed), n - len(picked)), extreme), n - len(picked))
        table = Table({k: np.concatenate([np.array([r[k] for r in picked], dtype=v.dtype), v]) for k, v in generated.items()})
        table.seed, table.drawn = seed, len(picked)
        return table

    return tables()


def serve_rows(extreme: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """One serving input row (floats), drawn by hypothesis."""
    return _rows_strategy(serve_columns, extreme)


def pretrain_rows(extreme: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    return _rows_strategy(pretrain_columns, extreme)


def finetune_rows(extreme: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    return _rows_strategy(finetune_columns, extreme)


def serve_tables(min_rows: int = 200, max_rows: int = 2000, drawn_rows: int = 8,
                 extreme: bool = False) -> st.SearchStrategy[dict[str, np.ndarray]]:
    """A table (dict of 1-D arrays) of serving rows: `drawn_rows` at most from hypothesis, the rest
    from a NumPy generator hypothesis seeds."""
    return _tables_strategy(serve_columns, min_rows, max_rows, drawn_rows, extreme)


def pretrain_tables(min_rows: int = 200, max_rows: int = 2000, drawn_rows: int = 8,
                    extreme: bool = False) -> st.SearchStrategy[dict[str, np.ndarray]]:
    return _tables_strategy(pretrain_columns, min_rows, max_rows, drawn_rows, extreme)


def finetune_tables(min_rows: int = 200, max_rows: int = 2000, drawn_rows: int = 8,
                    extreme: bool = False) -> st.SearchStrategy[dict[str, np.ndarray]]:
    return _tables_strategy(finetune_columns, min_rows, max_rows, drawn_rows, extreme)


def row_of(table: dict[str, np.ndarray], i: int) -> dict[str, Any]:
    """Row i of a table as plain Python scalars."""
    return {k: v[i].item() for k, v in table.items()}
