"""`llmcost calibrate`: real-format result files (tests/fixtures/calibrate) in, a user profile out, and back
through `serve --profiles` to the measured figures; malformed and mismatched files are one-line errors.

The measured figures are read here from the fixture files themselves, never from llmcost's output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import llmcost
from llmcost import catalog, inputs, runs

FIXTURES = Path(__file__).parent / "fixtures" / "calibrate"
ROUND_TRIP = 0.05
"""The contract: serve with the profile reproduces each fitted figure within 5% at its shape."""


def bench(name: str) -> list[dict]:
    text = (FIXTURES / name).read_text()
    return json.loads(text) if name.endswith(".json") else [json.loads(line) for line in text.splitlines() if line.strip()]


def serve_json(cli, profile: Path, *args: str) -> dict:
    rc, out, err = cli("serve", "--profiles", str(profile), "-f", "json", *args)
    assert rc == 0, err
    return json.loads(out)[0]


def test_llama_bench_json_round_trip(cli, tmp_path: Path) -> None:
    out = tmp_path / "rtx4080.yaml"
    rc, report, err = cli("calibrate", str(FIXTURES / "llama-bench-rtx4080.json"), "--gpu", "rtx-4080", "-o", str(out), "-f", "json")
    assert rc == 0, err
    assert f"wrote rtx-4080/llama.cpp/q4_k_m to {out}" in err
    pp, tg = bench("llama-bench-rtx4080.json")
    common = ("-m", "qwen2.5-7b", "-g", "rtx-4080", "-q", "q4_k_m", "-e", "llama.cpp", "-c", "1")
    pp_row = serve_json(cli, out, *common, "--input-tokens", str(pp["n_prompt"]), "--output-tokens", "0")
    tg_row = serve_json(cli, out, *common, "--input-tokens", "0", "--output-tokens", str(tg["n_gen"]))
    assert pp_row["prefill_tokens_per_s"] == pytest.approx(pp["avg_ts"], rel=ROUND_TRIP)
    assert tg_row["decode_tokens_per_s"] == pytest.approx(tg["avg_ts"], rel=ROUND_TRIP)
    rows = json.loads(report)
    assert [r["quantity"] for r in rows] == ["prefill_tokens_per_s", "decode_tokens_per_s"]
    assert [r["measured"] for r in rows] == [pp["avg_ts"], tg["avg_ts"]]


def test_the_profile_names_the_files_and_their_hashes(cli, tmp_path: Path) -> None:
    import hashlib

    out = tmp_path / "cal.yaml"
    assert cli("calibrate", str(FIXTURES / "llama-bench-rtx4080.json"), "-g", "rtx-4080", "-o", str(out))[0] == 0
    doc = yaml.safe_load(out.read_text())
    (cal,) = doc["calibrations"]
    digest = hashlib.sha256((FIXTURES / "llama-bench-rtx4080.json").read_bytes()).hexdigest()
    assert cal["sources"]["default"] == f"llama-bench -o json: llama-bench-rtx4080.json (sha256 {digest})"
    assert digest[:16] in cal["sources"]["bandwidth_efficiency"]
    assert (cal["gpu"], cal["engine"], cal["quantization"], cal["as_of"]) == ("rtx-4080", "llama.cpp", "q4_k_m", "2025-04-24")
    assert 0 < cal["bandwidth_efficiency"] <= 1 and 0 < cal["prefill_efficiency"] <= 1


def test_llama_bench_jsonl_round_trip_skips_what_it_cannot_use(cli, tmp_path: Path) -> None:
    out = tmp_path / "m2u.yaml"
    rc, _, err = cli("calibrate", str(FIXTURES / "llama-bench-m2-ultra.jsonl"), "-g", "m2-ultra-76c-192gb", "-m", "llama-2-7b",
                     "-o", str(out))
    assert rc == 0, err
    assert "skipped llama-bench-m2-ultra.jsonl:3: a pp+tg test (-pg)" in err
    assert "skipped llama-bench-m2-ultra.jsonl:4: tests at a prefilled context (n_depth 4096)" in err
    pp, tg = bench("llama-bench-m2-ultra.jsonl")[:2]
    common = ("-m", "llama-2-7b", "-g", "m2-ultra-76c-192gb", "-q", "q4_0", "-c", "1")
    assert serve_json(cli, out, *common, "--input-tokens", "512", "--output-tokens", "0")["prefill_tokens_per_s"] == \
        pytest.approx(pp["avg_ts"], rel=ROUND_TRIP)
    row = serve_json(cli, out, *common, "--input-tokens", "0", "--output-tokens", "128")
    assert row["engine"] == "llama.cpp-metal"
    assert row["decode_tokens_per_s"] == pytest.approx(tg["avg_ts"], rel=ROUND_TRIP)


def test_vllm_round_trip_at_the_measured_concurrency(cli, tmp_path: Path) -> None:
    out = tmp_path / "vllm.yaml"
    rc, report, err = cli("calibrate", str(FIXTURES / "vllm-rtx4090.json"), "-g", "rtx-4090", "-o", str(out), "-f", "json")
    assert rc == 0, err
    v = json.loads((FIXTURES / "vllm-rtx4090.json").read_text())
    row = serve_json(cli, out, "-m", "llama-3.1-8b", "-g", "rtx-4090", "-q", "bf16", "-e", "vllm", "-c", str(v["max_concurrency"]),
                     "--input-tokens", str(v["total_input_tokens"] / v["completed"]),
                     "--output-tokens", str(v["total_output_tokens"] / v["completed"]))
    assert row["output_tokens_per_s"] == pytest.approx(v["output_throughput"], rel=ROUND_TRIP)
    assert row["ttft_s"] == pytest.approx(v["mean_ttft_ms"] / 1000, rel=ROUND_TRIP)
    checked = [r for r in json.loads(report) if r["quantity"] == "tpot_s"]
    assert checked and checked[0]["efficiency"] == "checked" and checked[0]["measured"] == v["mean_tpot_ms"] / 1000


def test_other_shapes_move_as_the_engine_does_with_the_fitted_efficiency(tmp_path: Path) -> None:
    """A calibration is an efficiency, not a looked-up number: at other shapes and models the estimate equals
    the engine's with an engine profile carrying the fitted values, and memory-bound decode scales with it."""
    result = llmcost.calibrate(FIXTURES / "llama-bench-m2-ultra.jsonl", gpu="m2-ultra-76c-192gb", model="llama-2-7b")
    path = tmp_path / "cal.yaml"
    path.write_text(result.profile_text())
    cal_cat = catalog.load([path])
    (record,) = result.records
    engine = yaml.safe_load((Path(catalog.builtin_dir()) / "engines.yaml").read_text())["engines"]
    metal = next(e for e in engine if e["id"] == "llama.cpp-metal")
    twin = {**metal, "id": "metal-twin", "bandwidth_efficiency": {"default": record.bandwidth_efficiency},
            "prefill_efficiency": {"default": record.prefill_efficiency}}
    twin_path = tmp_path / "twin.yaml"
    twin_path.write_text(yaml.safe_dump({"engines": [twin]}))
    twin_cat = catalog.load([twin_path])
    for model, inp, out, conc in (("llama-2-7b", 0, 512, 1), ("llama-2-70b", 2000, 300, 4), ("llama-2-13b", 512, 0, 1)):
        a = runs.serve(cal_cat, model, ["m2-ultra-76c-192gb"], "q4_0", "llama.cpp-metal", concurrency=conc, input_tokens=inp,
                       output_tokens=out).rows()[0]
        b = runs.serve(twin_cat, model, ["m2-ultra-76c-192gb"], "q4_0", "metal-twin", concurrency=conc, input_tokens=inp,
                       output_tokens=out).rows()[0]
        for key in ("prefill_tokens_per_s", "decode_tokens_per_s", "output_tokens_per_s", "ttft_s", "tpot_s"):
            assert a[key] == pytest.approx(b[key], rel=1e-12), (model, key)
    # By hand (DESIGN.md sec. 3, one memory-bound stream): tokens/s = BW x eff / (weights + ctx_avg x KV per token).
    m = cal_cat.get("models", "llama-2-13b")
    embedding = m.vocab * m.d_model  # looked up, not read; the output head is Q6_K in every GGUF mix but Q8_0 (llama-quant.cpp)
    weights = (m.params_b * 1e9 - 2 * embedding) * 4.5 / 8 + embedding * 6.5625 / 8
    kv = m.layers * 2 * m.kv_heads * (m.d_model // m.heads) * 2
    row = runs.serve(cal_cat, "llama-2-13b", ["m2-ultra-76c-192gb"], "q4_0", "auto", concurrency=1, input_tokens=0,
                     output_tokens=256).rows()[0]
    assert row["decode_tokens_per_s"] == pytest.approx(800e9 * record.bandwidth_efficiency / (weights + 128 * kv), rel=1e-6)


def test_explain_says_calibrated_from_the_file(cli, tmp_path: Path) -> None:
    out = tmp_path / "cal.yaml"
    assert cli("calibrate", str(FIXTURES / "llama-bench-rtx4080.json"), "-g", "rtx-4080", "-o", str(out))[0] == 0
    rc, text, err = cli("serve", "-m", "qwen2.5-7b", "-g", "rtx-4080", "-q", "q4_k_m", "-e", "llama.cpp", "--profiles", str(out),
                        "--explain")
    assert rc == 0, err
    assert "bandwidth_efficiency (calibrated) = 0.7" in text
    assert "calibrated from llama-bench-rtx4080.json[1] (qwen2.5-7b tg128 decode_tokens_per_s)" in text
    assert f"[{out}:" in text


def test_compare_uses_and_notes_the_calibration(cli, tmp_path: Path) -> None:
    out = tmp_path / "cal.yaml"
    assert cli("calibrate", str(FIXTURES / "llama-bench-m2-ultra.jsonl"), "-g", "m2-ultra-76c-192gb", "-m", "llama-2-7b",
               "-o", str(out))[0] == 0
    args = ("compare", "-m", "llama-2-7b", "-g", "m2-ultra-76c-192gb", "-g", "rtx-4090", "--set", "serving.engine=auto",
            "--set", "serving.quantization=q4_0", "-f", "json")
    rc, plain, err = cli(*args)
    assert rc == 0, err
    rc, calibrated, err = cli(*args, "--profiles", str(out))
    assert rc == 0, err
    before = {r["option"]: r for r in json.loads(plain)}
    after = {r["option"]: r for r in json.loads(calibrated)}
    mac = after["own m2-ultra-76c-192gb"]
    assert "calibrated (m2-ultra-76c-192gb/llama.cpp-metal/q4_0, 2025-06-02)" in mac["notes"]
    assert mac["capex_usd"] == mac["replicas"] * 6999  # the whole machine, no host added
    assert mac["capacity_tokens_per_day"] < before["own m2-ultra-76c-192gb"]["capacity_tokens_per_day"]  # measured slower
    assert after["own rtx-4090"] == before["own rtx-4090"]


def test_api_rows_equal_the_command(cli, tmp_path: Path) -> None:
    rc, out, _ = cli("calibrate", str(FIXTURES / "vllm-rtx4090.json"), "-g", "rtx-4090", "-o", str(tmp_path / "c.yaml"), "-f", "json")
    assert rc == 0
    assert json.loads(out) == llmcost.calibrate(str(FIXTURES / "vllm-rtx4090.json"), gpu="rtx-4090").rows()


BAD = [
    ("bad-cpu-only.json", "rtx-4080", (), "bad-cpu-only.json[0]: a CPU-only run (backends 'CPU', n_gpu_layers 0"),
    ("bad-missing-avg-ts.json", "rtx-4080", (), "bad-missing-avg-ts.json[1]: missing 'avg_ts'"),
    ("bad-truncated.json", "rtx-4080", (), "bad-truncated.json: not JSON"),
    ("bad-nan.json", "rtx-4080", (), "bad-nan.json: not JSON (NaN is not a number JSON allows)"),
    ("bad-other.json", "rtx-4080", (), "bad-other.json: not a llama-bench -o json/jsonl or vLLM --save-result file"),
    ("bad-unknown-model.json", "rtx-4080", (), "bad-unknown-model.json[0]: model 'llama 1B Q4_K - Medium' (1.24B parameters) "
                                               "is not in the catalogue; pass --model ID"),
    ("bad-two-gpus.json", "rtx-4080", (), "bad-two-gpus.json[0]: ran on 2 devices"),
    ("bad-partial-offload.json", "rtx-4080", (), "bad-partial-offload.json[0]: 20 of 28 layers on the GPU (-ngl)"),
    ("bad-vllm-no-gpu.json", "rtx-4090", (), "bad-vllm-no-gpu.json: the file does not say which GPU ran it"),
    ("bad-vllm-paced.json", "rtx-4090", (), "bad-vllm-paced.json: request_rate is 4.0"),
    ("llama-bench-rtx4080.json", "rtx-4090", (), "llama-bench-rtx4080.json[0]: ran on 'NVIDIA GeForce RTX 4080', which is not rtx-4090"),
    ("llama-bench-rtx4080.json", "rtx-4080", ("-m", "llama-3.1-70b"),
     "llama-bench-rtx4080.json[0]: the file's model has 7.62B parameters; --model llama-3.1-70b has 70.55B"),
    ("llama-bench-m2-ultra.jsonl", "m2-ultra-76c-192gb", (), "llama-bench-m2-ultra.jsonl:1: 6.74B parameters fits llama-7b, alpaca-7b, "
                                                             "llama-2-7b; pass --model ID"),
    ("llama-bench-m2-ultra.jsonl", "m2-ultra-76c-192gb", ("-m", "llama-2-7b", "-e", "llama.cpp"),
     "engine 'llama.cpp' runs on nvidia GPUs, not on m2-ultra-76c-192gb (apple)"),
    ("vllm-rtx4090.json", "rx-7900-xtx", (), "vllm-rtx4090.json: ran on 'NVIDIA GeForce RTX 4090', which is not rx-7900-xtx"),
    ("missing.json", "rtx-4080", (), "missing.json: no such file"),
]


@pytest.mark.parametrize("name,gpu,extra,message", BAD, ids=[f"{b[0]}-{b[1]}-{len(b[2])}" for b in BAD])
def test_bad_or_mismatched_files_are_one_line_errors(cli, tmp_path: Path, name: str, gpu: str, extra: tuple[str, ...],
                                                     message: str) -> None:
    out = tmp_path / "cal.yaml"
    out.write_text("# mine\n")
    rc, stdout, err = cli("calibrate", str(FIXTURES / name), "-g", gpu, *extra, "-o", str(out))
    assert rc == 2
    assert stdout == ""
    assert err.startswith("llmcost: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert message in err
    assert out.read_text() == "# mine\n"  # a failed run leaves the user's file alone


def test_a_figure_beyond_the_roofline_is_refused(cli, tmp_path: Path) -> None:
    entries = bench("llama-bench-rtx4080.json")
    entries[1]["avg_ts"] = 2000.0  # 2000 x 4.6 GB per token would need 9 TB/s on a 717 GB/s card
    path = tmp_path / "fast.json"
    path.write_text(json.dumps(entries))
    rc, _, err = cli("calibrate", str(path), "-g", "rtx-4080", "-o", str(tmp_path / "c.yaml"))
    assert rc == 2
    assert "fast.json[1] (qwen2.5-7b tg128 decode_tokens_per_s): 2,000 measured is beyond what this GPU reaches at 100% " \
           "bandwidth_efficiency" in err


def test_output_must_be_a_new_yaml_file(cli, tmp_path: Path) -> None:
    src = FIXTURES / "llama-bench-rtx4080.json"
    assert "give a .yaml file" in cli("calibrate", str(src), "-g", "rtx-4080", "-o", str(tmp_path / "c.json"))[2]
    copy = tmp_path / "r.yaml"
    copy.write_text(src.read_text())
    rc, _, err = cli("calibrate", str(copy), "-g", "rtx-4080", "-o", str(copy))
    assert rc == 2 and "is also an input of this run" in err


def test_a_calibration_profile_is_checked_like_any_profile(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"calibrations": [{"id": "x", "gpu": "rtx-4090", "engine": "llama.cpp", "quantization": "q4_0",
                                                      "as_of": "2025-01-01", "sources": {"default": "test"}}]}))
    with pytest.raises(llmcost.errors.LlmcostError, match="a calibration needs at least one of bandwidth_efficiency"):
        catalog.load([path])
    path.write_text(yaml.safe_dump({"calibrations": [{"id": "x", "gpu": "rtx-4099", "engine": "llama.cpp", "quantization": "q4_0",
                                                      "as_of": "2025-01-01", "bandwidth_efficiency": 0.5}]}))
    with pytest.raises(llmcost.errors.LlmcostError, match=r"calibrations\[x\]\.gpu: unknown gpu 'rtx-4099'"):
        catalog.load([path])


def test_the_last_calibration_loaded_wins(tmp_path: Path) -> None:
    for i, eff in enumerate((0.3, 0.4)):
        (tmp_path / f"c{i}.yaml").write_text(yaml.safe_dump({"calibrations": [
            {"id": f"c{i}", "gpu": "rtx-4090", "engine": "llama.cpp", "quantization": "q4_0", "as_of": "2025-01-01",
             "bandwidth_efficiency": eff}]}))
    cat = catalog.load([tmp_path / "c0.yaml", tmp_path / "c1.yaml"])
    eff = inputs.engine_efficiencies(cat, cat.get("gpus", "rtx-4090"), cat.get("engines", "llama.cpp"), "q4_0")
    assert eff["bandwidth_efficiency"] == 0.4
    assert eff["prefill_efficiency"] == cat.get("engines", "llama.cpp").prefill_efficiency["default"]
