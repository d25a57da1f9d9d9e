"""Values a catalog derives once (Catalog.derived): equal to the ones made afresh, reused while the catalog lasts,
made anew for a changed catalog, never written to the disk cache, and bounded in number. How fast the cached path
is: benchmarks/bench_peer.py, never here."""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path
from typing import Any

import pytest
import yaml

import llmcost
from llmcost import catalog, hf_config, hosting, inputs, runs
from llmcost.catalog import Catalog

SERVE_ARGS = (2.0, "fp16", "vllm", 1000.0, 200.0, 16.0, None)


def _serve_row(cat: Catalog) -> dict[str, Any]:
    return inputs.serve_inputs(cat, cat.get("models", "llama-3.1-8b"), cat.get("gpus", "a100-80gb"), *SERVE_ARGS)


def _derived_values(cat: Catalog) -> dict[str, Any]:
    """Every value the per-call paths take from Catalog.derived, for one model and GPU."""
    model, gpu = cat.get("models", "llama-3.1-8b"), cat.get("gpus", "rtx-4090")
    return {"serve": _serve_row(cat), "shape": inputs.shape_of(cat, model), "trainable": inputs.trainable_params(cat, model, "lora", None, "all"),
            "rental": inputs.cheapest_rental(cat, gpu.id), "box": hosting.box_for(cat, gpu, 2), "cluster": hosting.cluster_for(cat, gpu, 16),
            "run_costs": inputs.default_run_costs(cat, gpu, 16.0, False),
            "hourly": runs.replica_hourly_usd(cat, inputs.GpuChoice(2, gpu), False, 1.0)}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(repr(a) == repr(b))


def test_derived_values_equal_values_made_afresh_and_are_made_once() -> None:
    cat = catalog.load()
    first = _derived_values(cat)
    again = _derived_values(cat)
    assert all(again[k] is first[k] for k in first if k != "serve")  # made once, handed out again
    fresh = catalog.load()  # its own tables and nothing derived yet
    assert fresh.memo == {}
    assert _same(_derived_values(fresh), first)
    assert _same(first["shape"], inputs.model_shape(cat.get("models", "llama-3.1-8b")))


def test_a_profile_record_is_matched_by_identity_not_by_id() -> None:
    cat = catalog.load()
    gpu = cat.get("gpus", "rtx-4090")
    dearer = type(gpu)(**{**vars(gpu), "price_usd": gpu.price_usd * 2})
    own, _, _, _, _ = runs.replica_hourly_usd(cat, inputs.GpuChoice(1, gpu), False, 1.0)
    own_dearer, _, _, _, _ = runs.replica_hourly_usd(cat, inputs.GpuChoice(1, dearer), False, 1.0)
    assert own is not None and own_dearer is not None and own_dearer > own


def test_a_changed_catalog_derives_its_own_values(tmp_path: Path, valid_profiles: Any) -> None:
    cat = catalog.load()
    choice = inputs.GpuChoice(1, cat.get("gpus", "rtx-4090"))
    before = runs.replica_hourly_usd(cat, choice, False, 1.0)
    pricier = catalog.with_assumption(cat, "electricity_usd_per_kwh_commercial", 0.6)
    after = runs.replica_hourly_usd(pricier, choice, False, 1.0)
    assert after[0] is not None and before[0] is not None and after[0] > before[0]
    assert runs.replica_hourly_usd(cat, choice, False, 1.0) == before  # the original catalog is unchanged
    assert cat.memo and dataclasses.replace(cat).memo == {} and cat.copy().memo == {}
    # a user file with a cheaper rental of the same GPU: a new catalog, whose cheapest offer is that one
    profiles = valid_profiles()
    profiles["rentals"][0].update(id="test/cheap-4090", gpu="rtx-4090", usd_per_gpu_hour=0.01)
    path = tmp_path / "cheap.yaml"
    path.write_text(yaml.safe_dump({"rentals": profiles["rentals"]}, sort_keys=False))
    assert inputs.cheapest_rental(cat, "rtx-4090").id != "test/cheap-4090"
    assert inputs.cheapest_rental(catalog.load([path]), "rtx-4090").id == "test/cheap-4090"


def test_a_config_json_model_gets_a_catalog_of_its_own(tmp_path: Path) -> None:
    config = {"model_type": "llama", "hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 8,
              "num_attention_heads": 16, "num_key_value_heads": 4, "vocab_size": 32000, "max_position_embeddings": 4096}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    builtin = catalog.builtin_catalog()
    with_model, model_id = hf_config.with_model(builtin, str(path))
    assert with_model is not builtin and with_model.memo == {}
    assert llmcost.serve(str(path), gpu="rtx-4090", quant="fp16", concurrency=1).rows()[0]["model"] == model_id


def test_the_disk_cache_holds_no_derived_values() -> None:
    cat = catalog.load()
    _derived_values(cat)
    assert cat.memo and pickle.loads(pickle.dumps(cat)).memo == {}


def test_the_table_is_bounded() -> None:
    cat = catalog.load()

    def number(_: Catalog, i: int) -> int:
        return i

    for i in range(catalog.DERIVED_LIMIT + 10):
        assert cat.derived(number, i) == i
    assert len(cat.memo) <= catalog.DERIVED_LIMIT


@pytest.mark.parametrize("call", [
    lambda cat: llmcost.serve("llama-3.1-8b", gpu=["rtx-4090", "2xa100-80gb"], quant="fp16", catalog=cat),
    lambda cat: llmcost.finetune("llama-3.1-8b", gpu=["rtx-4090", "2xa100-80gb"], method="full", catalog=cat),
    lambda cat: llmcost.pretrain("llama-3.1-8b", gpu=["a100-80gb", "64xh100-sxm"], tokens="1T", catalog=cat),
])
def test_the_api_without_a_catalog_gives_what_a_fresh_catalog_gives(call: Any) -> None:
    assert call(None).rows() == call(None).rows() == call(catalog.load()).rows()


def test_the_api_without_a_catalog_reads_llmcost_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         valid_profiles: Any) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(valid_profiles(), sort_keys=False))
    monkeypatch.setenv("LLMCOST_PROFILES", str(path))
    assert llmcost.serve("test-model", gpu="test-gpu", quant="test-q", engine="test-engine", concurrency=1).rows()[0]["gpu"] == "test-gpu"
