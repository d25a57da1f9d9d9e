"""Invariants of the engine, checked with hypothesis on tables of random valid rows.

Each test runs the engine on a table and on a changed copy (more tokens, a faster or cheaper GPU,
fewer bits, more memory) and checks the direction of every row's change. Comparisons allow 1e-9 of
float noise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import strategies
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcost.engine import serving, training

NOISE = 1e-9
CHECK = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
small_tables = {"min_rows": 100, "max_rows": 400}
factors_up = st.floats(1.0, 1e6)
factors_down = st.floats(1e-6, 1.0)


def never_below(new: np.ndarray, old: np.ndarray, table: dict[str, np.ndarray], what: str) -> None:
    bad = np.flatnonzero(~(new >= old * (1 - NOISE)))
    assert bad.size == 0, f"{what}: {bad.size} rows went down, first {old[bad[0]]} -> {new[bad[0]]}; " \
                          f"row = {strategies.row_of(table, bad[0])!r}"


def never_above(new: np.ndarray, old: np.ndarray, table: dict[str, np.ndarray], what: str) -> None:
    bad = np.flatnonzero(~(new <= old * (1 + NOISE)))
    assert bad.size == 0, f"{what}: {bad.size} rows went up, first {old[bad[0]]} -> {new[bad[0]]}; " \
                          f"row = {strategies.row_of(table, bad[0])!r}"


def changed(table: dict[str, np.ndarray], **scale: Any) -> dict[str, np.ndarray]:
    out = dict(table)
    for key, factor in scale.items():
        out[key] = table[key] * factor
    return out


# ------------------------------------------------------------------------------ training: tokens

TRAINING_COSTS = ("flops", "gpu_hours", "wall_hours", "energy_kwh", "cost_owned_usd", "cost_rented_usd")


@CHECK
@given(strategies.pretrain_tables(**small_tables), factors_up)
def test_more_pretraining_tokens_never_cost_less(table: dict[str, np.ndarray], factor: float) -> None:
    old, new = training.pretrain(table), training.pretrain(changed(table, tokens=factor))
    for key in TRAINING_COSTS:
        never_below(new[key], old[key], table, key)


@CHECK
@given(strategies.finetune_tables(**small_tables), factors_up)
def test_more_finetuning_tokens_never_cost_less(table: dict[str, np.ndarray], factor: float) -> None:
    old, new = training.finetune(table), training.finetune(changed(table, tokens=factor))
    for key in TRAINING_COSTS:
        never_below(new[key], old[key], table, key)


@CHECK
@given(strategies.pretrain_tables(**small_tables), strategies.finetune_tables(**small_tables), st.floats(1e-3, 1e3))
def test_flops_are_linear_in_tokens(pre: dict[str, np.ndarray], fine: dict[str, np.ndarray], k: float) -> None:
    for fn, table in ((training.pretrain, pre), (training.finetune, fine)):
        one, scaled = fn(table), fn(changed(table, tokens=k))
        np.testing.assert_allclose(scaled["flops"], k * one["flops"], rtol=1e-12)
        np.testing.assert_allclose(one["flops"], table["tokens"] * one["flops_per_token"], rtol=1e-12)
        doubled = fn(changed(table, tokens=2.0))
        halves = fn(changed(table, tokens=0.5))
        np.testing.assert_allclose(doubled["flops"], 4.0 * halves["flops"], rtol=1e-12)
        # Time and energy follow FLOPs: GPU-hours per FLOP do not depend on the token count.
        np.testing.assert_allclose(scaled["gpu_hours"] / scaled["flops"], one["gpu_hours"] / one["flops"], rtol=1e-12)


@CHECK
@given(strategies.pretrain_tables(**small_tables))
def test_pretrain_fits_exactly_from_min_gpus_up(table: dict[str, np.ndarray]) -> None:
    out = training.pretrain(table)
    np.testing.assert_array_equal(out["fits"], table["gpus"] >= out["min_gpus"])
    at_min = training.pretrain(dict(table, gpus=np.where(np.isfinite(out["min_gpus"]), out["min_gpus"], 1.0)))
    assert np.all(at_min["fits"] | ~np.isfinite(out["min_gpus"]))


# ------------------------------------------------------------------------------ GPUs: speed and price

@CHECK
@given(strategies.serve_tables(**small_tables), factors_up, st.sampled_from(["bandwidth", "tflops", "both"]))
def test_a_faster_gpu_is_never_slower(table: dict[str, np.ndarray], factor: float, which: str) -> None:
    """More bandwidth or more FLOP/s never lowers requests/s, at a fixed batch or with auto batching (its
    pick maximises requests/s over modes and a candidate set that only grows). On one GPU (no choice of
    parallel mode) decode and prefill tokens/s never drop either, nor does a single stream's TTFT rise
    (with more streams a faster decode brings the others' prefills back sooner)."""
    bw = factor if which in ("bandwidth", "both") else 1.0
    fl = factor if which in ("tflops", "both") else 1.0
    old = serving.serve(table)
    new = serving.serve(changed(table, bandwidth_gb_per_s=bw, decode_tflops=fl, prefill_tflops=fl))
    np.testing.assert_array_equal(new["fits"], old["fits"])
    for key in ("requests_per_s", "output_tokens_per_s"):
        never_below(new[key], old[key], table, key)
    one = table["gpus"] == 1
    for key in ("decode_tokens_per_s", "prefill_tokens_per_s"):
        never_below(np.where(one, new[key], np.inf), np.where(one, old[key], 0.0), table, key)
    single = one & (new["concurrency"] == 1) & (old["concurrency"] == 1)
    never_above(np.where(single, new["ttft_s"], 0.0), np.where(single, old["ttft_s"], np.inf), table, "ttft_s")


@CHECK
@given(strategies.pretrain_tables(**small_tables), strategies.finetune_tables(**small_tables), factors_down)
def test_a_cheaper_gpu_never_costs_more_to_own(pre: dict[str, np.ndarray], fine: dict[str, np.ndarray], f: float) -> None:
    for fn, table in ((training.pretrain, pre), (training.finetune, fine)):
        old = fn(table)
        for key in ("capex_usd_per_gpu", "power_w", "electricity_usd_per_kwh"):
            new = fn(changed(table, **{key: f}))
            never_above(new["cost_owned_usd"], old["cost_owned_usd"], table, f"cost_owned_usd with cheaper {key}")
            np.testing.assert_array_equal(new["gpu_hours"], old["gpu_hours"])
        new = fn(changed(table, rental_usd_per_gpu_hour=f))
        never_above(new["cost_rented_usd"], old["cost_rented_usd"], table, "cost_rented_usd")


@CHECK
@given(strategies.pretrain_tables(**small_tables), factors_up)
def test_a_faster_gpu_never_takes_longer_to_train(table: dict[str, np.ndarray], factor: float) -> None:
    old, new = training.pretrain(table), training.pretrain(changed(table, tflops=factor))
    never_above(new["gpu_hours"], old["gpu_hours"], table, "gpu_hours")
    never_above(new["energy_kwh"], old["energy_kwh"], table, "energy_kwh")
    never_above(new["cost_rented_usd"], old["cost_rented_usd"], table, "cost_rented_usd")


# ------------------------------------------------------------------------------ memory

@CHECK
@given(strategies.serve_tables(**small_tables), st.floats(2.0, 16.0), st.floats(2.0, 16.0))
def test_fewer_bits_never_need_more_memory(table: dict[str, np.ndarray], bits_a: float, bits_b: float) -> None:
    """Re-quantising every row from `high` to `low` bits per weight shrinks the weights and never
    lowers the number of sequences that fit (nor turns a fitting row into one that does not)."""
    low, high = sorted((bits_a, bits_b))
    at_high = serving.serve(changed(table, dense_bytes=high / 16.0, expert_bytes=high / 16.0, embedding_bytes=high / 16.0))
    at_low = serving.serve(changed(table, dense_bytes=low / 16.0, expert_bytes=low / 16.0, embedding_bytes=low / 16.0))
    never_above(at_low["weights_bytes"], at_high["weights_bytes"], table, "weights_bytes")
    assert np.all(at_low["max_concurrency"] >= at_high["max_concurrency"])
    assert np.all(at_low["fits"] | ~at_high["fits"])


@CHECK
@given(strategies.serve_tables(**small_tables), factors_up, st.integers(0, 7))
def test_more_memory_never_fits_fewer_sequences(table: dict[str, np.ndarray], factor: float, extra_gpus: int) -> None:
    old = serving.serve(table)
    for bigger in (changed(table, memory_gib=factor), dict(table, gpus=table["gpus"] + extra_gpus)):
        new = serving.serve(bigger)
        assert np.all(new["max_concurrency"] >= old["max_concurrency"])
        assert np.all(new["fits"] | ~old["fits"])


@CHECK
@given(strategies.finetune_tables(**small_tables), factors_up)
def test_more_memory_never_turns_a_finetune_into_a_misfit(table: dict[str, np.ndarray], factor: float) -> None:
    """A bigger card keeps a fitting run fitting, and never makes it slower: with checkpointing on
    auto it may switch recomputation off (more memory used, fewer FLOPs per token)."""
    old, new = training.finetune(table), training.finetune(changed(table, memory_gib=factor))
    assert np.all(new["fits"] | ~old["fits"])
    never_above(new["gpu_hours"], old["gpu_hours"], table, "gpu_hours")
    fixed_mode = table["checkpointing"] >= 0
    np.testing.assert_array_equal(new["memory_per_gpu_gib"][fixed_mode], old["memory_per_gpu_gib"][fixed_mode])


@CHECK
@given(strategies.finetune_tables(**small_tables), st.integers(1, 7))
def test_sharding_offload_and_lean_optimizers_never_need_more_memory(table: dict[str, np.ndarray], extra_gpus: int) -> None:
    """With checkpointing fixed, sharding over more GPUs, CPU offload, paged states and the optimizer step in
    the backward pass each hold memory per GPU level or lower."""
    fixed = dict(table, checkpointing=np.where(table["checkpointing"] < 0, 1.0, table["checkpointing"]))
    old = training.finetune(fixed)["memory_per_gpu_gib"]
    sharded = dict(fixed, shard=np.ones_like(fixed["shard"]))
    base = training.finetune(sharded)["memory_per_gpu_gib"]
    more = training.finetune(dict(sharded, gpus=fixed["gpus"] + extra_gpus))["memory_per_gpu_gib"]
    never_above(more, base, table, "memory with more GPUs sharing")
    for key in ("offload", "paged_states", "optimizer_in_backward"):
        new = training.finetune(dict(fixed, **{key: np.ones_like(fixed[key])}))["memory_per_gpu_gib"]
        never_above(new, old, table, f"memory with {key}")


# ------------------------------------------------------------------------------ serving: auto batch

@CHECK
@given(strategies.serve_tables(**small_tables))
def test_auto_batch_is_at_least_as_good_as_any_fixed_batch(table: dict[str, np.ndarray]) -> None:
    """Auto concurrency's requests/s is at least that of every ladder batch that meets the TPOT target,
    never exceeds the maximum, and meets the target whenever some batch does."""
    auto = serving.serve(dict(table, concurrency=np.zeros_like(table["concurrency"])))
    assert np.all(auto["concurrency"] <= np.maximum(auto["max_concurrency"], 0))
    some_batch_meets = np.zeros(auto["fits"].shape, dtype=bool)
    for c in serving.CONCURRENCY_CANDIDATES:
        fixed = serving.serve(dict(table, concurrency=np.full_like(table["concurrency"], c)))
        meets = fixed["meets_latency"] & fixed["fits"]
        some_batch_meets |= meets
        never_below(np.where(meets, auto["requests_per_s"], np.inf), np.where(meets, fixed["requests_per_s"], 0.0),
                    table, f"auto requests_per_s vs batch {c:g}")
    assert np.all(auto["meets_latency"] | ~some_batch_meets)


# ------------------------------------------------------------------------------ extremes

def all_finite(out: dict[str, np.ndarray], allowed_inf: tuple[str, ...] = ()) -> None:
    for key, value in out.items():
        if key in allowed_inf:
            value = np.where(np.isposinf(value), 0.0, value)
        assert np.all(np.isfinite(np.asarray(value, dtype=float))), key


extreme = {"min_rows": 200, "max_rows": 600, "extreme": True}


@CHECK
@given(strategies.serve_tables(**extreme))
def test_serve_outputs_are_finite_for_extreme_inputs(table: dict[str, np.ndarray]) -> None:
    """Prompts up to 1e15 tokens, contexts up to 1e16, models from a few thousand to ~1e15 weights."""
    out = serving.serve(table)
    all_finite(out)
    assert np.all(out["requests_per_s"][~out["fits"]] == 0)


@CHECK
@given(strategies.pretrain_tables(**extreme), strategies.finetune_tables(**extreme))
def test_training_outputs_are_finite_for_extreme_inputs(pre: dict[str, np.ndarray], fine: dict[str, np.ndarray]) -> None:
    """Tokens up to 1e15 and models far too big for any GPU count: every output is a finite number,
    except min_gpus, which is +inf (the state "never") exactly when the activations left over beyond
    one tensor-parallel group do not fit."""
    out = training.pretrain(pre)
    all_finite(out, allowed_inf=("min_gpus",))
    from llmcost.engine import memory

    act = memory.activation_bytes(pre["seq_len"], 1, pre["d_model"], pre["layers"], True,
                                  pre["act_bytes_per_token_hidden"], pre["ckpt_bytes_per_token_hidden"])
    never = act / pre["tp_group"] + pre["overhead_gib"] * memory.GIB >= pre["memory_gib"] * memory.GIB
    np.testing.assert_array_equal(np.isinf(out["min_gpus"]), never)
    all_finite(training.finetune(fine))


def test_tiny_model_and_huge_token_counts_are_finite() -> None:
    """Corner rows written out: a 10K-weight model on 1e15 tokens, and a 1e15-weight model."""
    base = {"params": 1e4, "matmul_params": 1e4, "layers": 1.0, "d_model": 64.0, "attn_flops_per_key": 4 * 64.0,
            "attn_window_flops_per_key": 0.0, "window": 0.0, "seq_len": 16.0, "tokens": 1e15,
            "gpus": 1.0, "tflops": 5.0, "mfu": 0.05, "memory_gib": 4.0, "state_bytes_per_param": 16.0,
            "act_bytes_per_token_hidden": 34.0, "ckpt_bytes_per_token_hidden": 2.0, "tp_group": 8.0, "overhead_gib": 0.5,
            "power_w": 450.0, "pue": 1.1, "host_power_w_per_gpu": 30.0, "electricity_usd_per_kwh": 0.15,
            "capex_usd_per_gpu": 1600.0, "resale_fraction": 0.3, "lifetime_months": 36.0, "rental_usd_per_gpu_hour": 0.5,
            "upkeep_usd_per_gpu_month": 20.0}
    huge = dict(base, params=1e15, matmul_params=1e15, layers=256.0, d_model=65536.0, attn_flops_per_key=4 * 256 * 65536.0, gpus=8.0)
    for row in (base, huge):
        all_finite(training.pretrain(row), allowed_inf=("min_gpus",))
        ft = dict(row, method_full=False, trainable_params=row["params"] * 1e-3, base_bits_per_weight=4.127,
                  dequant_overhead=1.28, batch=64.0, checkpointing=-1.0, trainable_bytes_per_param=16.0,
                  weight_bytes_per_param=2.0, optimizer_state_bytes_per_param=12.0, paged_states=False,
                  optimizer_in_backward=False, shard=False, offload=False, offload_gb_per_s=25.0, host_memory_gb_per_s_per_gpu=50.0,
                  host_memory_efficiency=0.76, vocab=256000.0,
                  bytes_per_logit=13.0, link_latency_s=9e-6, link_hop_latency_s=2.5e-6, link_bus_gb_per_s=11.2)
        all_finite(training.finetune(ft))
    assert not training.pretrain(huge)["fits"]
