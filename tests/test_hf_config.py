"""Any model: `llmcost profiles import-model config.json` and `--model path/config.json`, on config files written
in the published Hugging Face formats (tests/fixtures/hf/). Each derived shape is checked against the
figure its vendor publishes (model cards, reports), not against llmcost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmcost import catalog, hf_config, runs

HF = Path(__file__).parent / "fixtures" / "hf"

# model folder: (published total parameters in billions, published active, source)
PUBLISHED = {
    "llama-3.1-8b": (8.03, 8.03, "Llama 3.1 model card (8B)"),
    "mixtral-8x7b": (46.7, 12.9, "mistral.ai/news/mixtral-of-experts: 46.7B total, 12.9B per token"),
    "qwen3-30b-a3b": (30.5, 3.3, "Qwen3-30B-A3B model card: 30.5B total, 3.3B activated"),
    "deepseek-v3": (671, 37, "DeepSeek-V3 report abstract: 671B total, 37B activated"),
    # The card counts 3.61B active without the input embedding (201088 x 2880 = 0.58B), which the
    # derivation counts like every other weight: 4.19B.
    "gpt-oss-20b": (20.91, 3.61 + 0.579, "gpt-oss model card Table 1: 20.91B total, 3.61B active (no input embedding)"),
    "gemma-3-27b-it": (27.01, 27.01, "Gemma 3 report: 27B; text decoder without the 0.4B SigLIP encoder"),
}


def config(name: str) -> Path:
    return HF / name / "config.json"


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_derived_parameters_match_the_published_counts(name: str) -> None:
    total, active, source = PUBLISHED[name]
    model = hf_config.load_model(config(name))
    assert model.id == name  # from the folder the download sits in
    assert model.params_b == pytest.approx(total, rel=0.005), source
    experts = model.experts or 0
    derived_active = model.params_b - (experts - (model.experts_per_token or 0)) * (model.expert_params_b or 0)
    assert derived_active == pytest.approx(active, rel=0.02), source
    assert model.sources["default"].startswith("config.json (sha256 ")


def test_architectures_are_read_as_published() -> None:
    """MLA (DeepSeek-V3 config: kv_lora_rank 512, qk_rope_head_dim 64, v_head_dim 128), sliding windows (gpt-oss
    layer_types: 12 of 24 sliding at 128; Gemma 3: 5 local layers of 1024 per global, 52 of 62), grouped-query
    heads and the text part of a multimodal config."""
    ds = hf_config.load_model(config("deepseek-v3"))
    assert (ds.kv_lora_rank, ds.qk_rope_head_dim, ds.v_head_dim, ds.experts, ds.experts_per_token) == (512, 64, 128, 256, 8)
    oss = hf_config.load_model(config("gpt-oss-20b"))
    assert (oss.sliding_window, oss.sliding_layers, oss.head_dim, oss.kv_heads) == (128, 12, 64, 8)
    gemma = hf_config.load_model(config("gemma-3-27b-it"))
    assert (gemma.sliding_window, gemma.sliding_layers, gemma.tied_embeddings, gemma.layers) == (1024, 52, True, 62)
    assert hf_config.load_model(config("qwen3-30b-a3b")).sliding_window is None  # use_sliding_window: false


def test_serving_a_config_file_matches_the_built_in_profile() -> None:
    """`serve --model path/config.json` runs on the derived shape: Llama 3.1 8B from its config serves like the
    built-in profile of the same shape (params 8.030 vs the profile's 8.03)."""
    cat = catalog.load()
    built_in = runs.serve(cat, "llama-3.1-8b", ["rtx-4090"], "q4_k_m", "llama.cpp", concurrency=1).rows()[0]
    from llmcost import api

    from_file = api.serve(str(config("llama-3.1-8b")), gpu="rtx-4090", quant="q4_k_m", engine="llama.cpp", concurrency=1,
                          catalog=cat).rows()[0]
    assert from_file["model"] == "llama-3.1-8b"
    for key in ("weights_gib", "decode_tokens_per_s", "prefill_tokens_per_s", "kv_mib_per_sequence"):
        assert from_file[key] == pytest.approx(built_in[key], rel=1e-3), key


def test_every_command_takes_a_config_file(cli) -> None:
    path = str(config("mixtral-8x7b"))
    for argv in (["serve", "-m", path, "-g", "2xrtx-4090"], ["finetune", "-m", path, "-g", "rtx-4090", "--method", "qlora"],
                 ["pretrain", "-m", path, "-g", "h100-sxm", "--gpus", "64", "--tokens", "1T"], ["compare", "-m", path],
                 ["breakeven", "-m", path]):
        rc, out, err = cli(*argv, "-f", "json")
        assert rc == 0, (argv, err)
        rows = json.loads(out)
        assert rows and (argv[0] == "breakeven" or any(r.get("model") == "mixtral-8x7b" for r in rows)), argv


def test_import_model_writes_a_profile_that_loads(cli, tmp_path: Path) -> None:
    out = tmp_path / "models.yaml"
    rc, _, err = cli("profiles", "import-model", str(config("deepseek-v3")), "--id", "my-deepseek", "-o", str(out))
    assert rc == 0, err
    cat = catalog.load([out])
    model = cat.get("models", "my-deepseek")
    assert model.params_b == pytest.approx(671, rel=0.005)
    rc, out_json, err = cli("serve", "--profiles", str(out), "-m", "my-deepseek", "-g", "8xh200", "-q", "fp8", "-f", "json")
    assert rc == 0, err
    # MLA caches 61 layers x 576 elements x 2 bytes = 70,272 bytes per token (DeepSeek-V2 report sec. 2.1).
    row = json.loads(out_json)[0]
    assert row["kv_mib_per_sequence"] == pytest.approx(70272 * 1250 / 2**20, rel=1e-9)


@pytest.mark.parametrize(("text", "message"), [
    (None, "no such file"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"num_hidden_layers": 2}', "missing hidden_size"),
    ('{"hidden_size": "4096", "num_hidden_layers": 2}', "hidden_size = '4096': expected a whole number"),
])
def test_a_bad_config_is_one_clear_line(cli, tmp_path: Path, text: str | None, message: str) -> None:
    path = tmp_path / "config.json"
    if text is not None:
        path.write_text(text)
    rc, out, err = cli("serve", "-m", str(path))
    assert rc == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
