"""Machines that are not a card in a desktop: whole-machine prices (no host added), a per-GPU usable
memory fraction (macOS's GPU working-set limit), devices with no multi-GPU link, engines per GPU maker.

Each figure is recomputed here by hand from the profile values and the formulas it cites.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from llmcost import catalog, comparison, hosting, runs, scenarios
from llmcost.errors import LlmcostError

GIB = 2.0**30

MAC = {
    "id": "test-mac", "name": "Test Mac (whole machine)", "vendor": "apple", "class": "consumer", "memory_gib": 64,
    "memory_bandwidth_gb_per_s": 400, "tflops_bf16": 10.0, "tflops_fp16_acc16": 10.0, "power_w": 150, "idle_power_w": 10,
    "price_usd": 3000, "price_as_of": "2025-01-01", "interconnect": "none", "link_bandwidth_gb_per_s": 5,
    "usable_memory_fraction": 0.75, "integrated_host": True, "sources": {"default": "test fixture"},
}
METAL = {
    "id": "test-metal", "name": "Test Metal engine", "vendors": ["apple"], "quantizations": ["q4_0", "fp16"],
    "accumulate": "fp16", "max_concurrency": 64, "bandwidth_efficiency": {"default": 0.6}, "compute_efficiency": {"default": 0.3},
    "prefill_efficiency": {"default": 0.7}, "sources": {"default": "test fixture"},
}


@pytest.fixture(scope="module")
def cat(tmp_path_factory: pytest.TempPathFactory) -> catalog.Catalog:
    path = tmp_path_factory.mktemp("mac") / "mac.yaml"
    path.write_text(yaml.safe_dump({"gpus": [MAC], "engines": [METAL]}, sort_keys=False))
    return catalog.load([path])


def test_the_gpus_usable_memory_fraction_replaces_the_assumption(cat: catalog.Catalog) -> None:
    """S_max = floor((memory x fraction - overhead) GiB - W) / (KV per token x tokens)), DESIGN.md sec. 3."""
    row = runs.serve(cat, "llama-2-70b", ["test-mac"], "q4_0", "auto", input_tokens=3000, output_tokens=1000).rows()[0]
    m = cat.get("models", "llama-2-70b")
    weights = m.params_b * 1e9 * 4.5 / 8
    kv_per_token = m.layers * 2 * m.kv_heads * (m.d_model // m.heads) * cat.value("kv_cache_bytes")
    free = (64 * 0.75 - cat.value("runtime_overhead_gib")) * GIB
    assert row["max_concurrency"] == min(math.floor((free - weights) / (kv_per_token * 4000)), 64)
    with_assumption = (64 * cat.value("usable_memory_fraction") - cat.value("runtime_overhead_gib")) * GIB
    assert row["max_concurrency"] < math.floor((with_assumption - weights) / (kv_per_token * 4000))


def test_a_whole_machine_gets_no_host(cat: catalog.Catalog) -> None:
    eco = hosting.economics(cat, None)
    mac = hosting.replica_costs(cat, eco, cat.get("gpus", "test-mac"), 1.0, False)
    assert mac["host"] == "integrated" and mac["capex_usd"] == 3000 and mac["idle_w"] == 10
    run = hosting.run_costs_inputs(cat, eco, cat.get("gpus", "test-mac"), 1.0, False)
    assert run["capex_usd_per_gpu"] == 3000 and run["host_power_w_per_gpu"] == 0
    rtx = hosting.replica_costs(cat, eco, cat.get("gpus", "rtx-4090"), 1.0, False)
    desk = cat.get("hosts", rtx["host"])
    card = cat.get("gpus", "rtx-4090")
    assert rtx["capex_usd"] == card.price_usd + desk.price_usd and rtx["idle_w"] == card.idle_power_w + desk.idle_power_w


def test_compare_prices_a_mac_at_its_own_price_and_power(cat: catalog.Catalog) -> None:
    """capex = replicas x price (no host); month-1 energy = (idle + (board - idle) x utilisation) x 730 h x PUE x $/kWh
    at an office's tariff (the default deployment); operations per machine; failures of the whole machine."""
    sc = scenarios.resolve(cat, "team-assistant", {"serving.model": "llama-3.1-8b", "serving.quantization": "q4_0",
                                                    "serving.engine": "auto", "options.gpus": "test-mac",
                                                    "economics.gpu_price_decline_per_year": 0})
    rows = {r["option"]: r for r in comparison.compare(cat, sc).rows()}
    mac = rows["own test-mac"]
    assert mac["capex_usd"] == mac["replicas"] * 3000
    watts = mac["replicas"] * 10 + (150 - 10) * mac["utilization"] * mac["replicas"]
    energy = watts * 730 * cat.value("pue") / 1000 * cat.value("electricity_usd_per_kwh_commercial")
    depreciation = 3000 * mac["replicas"] * (1 - cat.value("resale_fraction")) / cat.value("lifetime_months")
    ops = mac["replicas"] * cat.value("ops_hours_per_month") * cat.value("ops_usd_per_hour")
    failures = mac["replicas"] * 3000 * cat.value("gpu_annual_failure_rate") / 12
    assert mac["host"] == "integrated"
    assert mac["monthly_usd"] == pytest.approx(depreciation + energy + ops + failures, rel=1e-9)


def test_auto_picks_an_engine_that_runs_on_the_gpus_maker(cat: catalog.Catalog) -> None:
    rows = runs.serve(cat, "llama-3.1-8b", ["test-mac", "rtx-4090", "rx-7900-xtx", "m2-ultra-76c-192gb"], "q4_0", "auto").rows()
    assert [r["engine"] for r in rows] == ["llama.cpp-metal", "llama.cpp", "llama.cpp-rocm", "llama.cpp-metal"]
    assert runs.serve(cat, "llama-3.1-8b", ["m2-ultra-76c-192gb"], "mlx-4bit", "auto").rows()[0]["engine"] == "mlx"


def test_an_engine_on_a_gpu_it_does_not_run_on_is_an_error(cat: catalog.Catalog) -> None:
    with pytest.raises(LlmcostError, match=r"engine 'llama.cpp' runs on nvidia GPUs, not on test-mac \(apple\); "
                                           r"engines that run q4_0 there: llama.cpp-metal, test-metal \(or engine auto\)"):
        runs.serve(cat, "llama-3.1-8b", ["test-mac"], "q4_0", "llama.cpp")
    sc = scenarios.resolve(cat, "team-assistant", {"options.gpus": "test-mac"})
    with pytest.raises(LlmcostError, match="engine 'vllm' runs on nvidia GPUs, not on test-mac"):
        comparison.compare(cat, sc)


def test_a_device_with_no_multi_gpu_link_runs_alone(cat: catalog.Catalog) -> None:
    with pytest.raises(LlmcostError, match="test-mac has no multi-GPU link"):
        runs.serve(cat, "llama-3.1-8b", ["2xtest-mac"], "q4_0", "auto")
    sc = scenarios.resolve(cat, "team-assistant", {"serving.model": "llama-2-70b", "serving.quantization": "fp16",
                                                    "serving.engine": "auto", "options.gpus": "test-mac"})
    rows = {r["option"]: r for r in comparison.compare(cat, sc).rows()}
    assert rows["own test-mac"]["fits"] is False  # 140 GB of weights: never split over two Macs
    assert rows["own test-mac"]["option"] == "own test-mac"  # one per replica (an NVIDIA card would try 2, 4, 8)


def test_engine_vendors_must_be_gpu_makers(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump({"engines": [{**METAL, "vendors": ["apel"]}]}, sort_keys=False))
    with pytest.raises(LlmcostError, match=r"engines\[0\]\.vendors: unknown maker 'apel'; expected nvidia, amd, apple, intel"):
        catalog.load([path])


def test_builtin_apple_entries_are_whole_machines_with_the_working_set_limit() -> None:
    """profiles/gpus.yaml, Apple block: 2/3 of RAM up to 36 GB, 3/4 from 64 GB (macOS 13-15 readouts)."""
    apple = [g for g in catalog.load().entries["gpus"].values() if g.vendor == "apple"]
    assert len(apple) >= 10
    for g in apple:
        assert g.integrated_host and g.interconnect == "none", g.id
        assert g.usable_memory_fraction == (0.6667 if g.memory_gib <= 36 else 0.75), g.id
        assert g.tflops_fp16_acc16 == g.tflops_bf16 and g.tops_int8 is None and g.tflops_fp8 is None, g.id


def test_a_mac_and_an_amd_box_are_own_options_beside_an_rtx_box(cli) -> None:
    """compare: the Mac's capex is its price (integrated host); the Radeon and RTX boxes add the desktop host."""
    import json

    rc, out, err = cli("compare", "-m", "llama-3.1-8b", "-g", "m4-max-32c-36gb", "-g", "rx-7900-xtx", "-g", "rtx-4090",
                       "--set", "serving.engine=auto", "--set", "serving.quantization=q4_k_m", "-f", "json")
    assert rc == 0, err
    rows = {r["option"]: r for r in json.loads(out)}
    cat = catalog.load()
    host = cat.get("hosts", "desktop-1gpu").price_usd
    assert rows["own rx-7900-xtx"]["host"] == rows["own rtx-4090"]["host"] == "desktop-1gpu"
    assert rows["own m4-max-32c-36gb"]["kind"] == "own"
    assert rows["own m4-max-32c-36gb"]["capex_usd"] == rows["own m4-max-32c-36gb"]["replicas"] * 1999
    assert rows["own rx-7900-xtx"]["capex_usd"] == rows["own rx-7900-xtx"]["replicas"] * (cat.get("gpus", "rx-7900-xtx").price_usd + host)
    assert rows["own rtx-4090"]["capex_usd"] == rows["own rtx-4090"]["replicas"] * (cat.get("gpus", "rtx-4090").price_usd + host)
