"""The Python API is what the commands run: each public function's `.rows()` equals the command's
`--format json` output, and results stay numeric (states as NaN, inf and masks) until they are rendered."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import llmcost


def _json(cli, *argv: str) -> list[dict]:
    code, out, err = cli(*argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def _same(api_rows: list[dict], cli_rows: list[dict]) -> None:
    assert json.loads(json.dumps(api_rows)) == cli_rows


def test_compare_rows_equal_the_command(cli) -> None:
    sc = llmcost.scenario("team-assistant", {"workload.requests_per_day": 30000})
    _same(llmcost.compare(sc).rows(), _json(cli, "compare", "--set", "workload.requests_per_day=30000"))


def test_compare_with_samples_and_vs_equal_the_command(cli) -> None:
    sc = llmcost.scenario("solo-coder", {"workload.requests_per_day": "400..4000"})
    api_rows = llmcost.compare(sc, vs="anthropic/claude-haiku-4-5", samples=64, seed=5).rows()
    _same(api_rows, _json(cli, "compare", "-s", "solo-coder", "--set", "workload.requests_per_day=400..4000",
                          "--vs", "anthropic/claude-haiku-4-5", "--samples", "64", "--seed", "5"))


def test_breakeven_rows_equal_the_command(cli) -> None:
    _same(llmcost.breakeven("batch-summarise").rows(), _json(cli, "breakeven", "-s", "batch-summarise"))


def test_serve_finetune_pretrain_rows_equal_the_commands(cli) -> None:
    _same(llmcost.serve("llama-3.1-8b", gpu=["rtx-3090", "2xrtx-4090"], quant="awq-int4", engine="vllm", concurrency=8,
                        input_tokens="2k", output_tokens=300).rows(),
          _json(cli, "serve", "-m", "llama-3.1-8b", "-g", "rtx-3090", "-g", "2xrtx-4090", "-q", "awq-int4", "-e", "vllm",
                "-c", "8", "--input-tokens", "2k", "--output-tokens", "300"))
    _same(llmcost.finetune("llama-3.1-8b", gpu="rtx-4090", method="qlora", tokens="20M", api="openai/gpt-4o-mini").rows(),
          _json(cli, "finetune", "-m", "llama-3.1-8b", "-g", "rtx-4090", "--method", "qlora", "--tokens", "20M",
                "--api", "openai/gpt-4o-mini"))
    _same(llmcost.pretrain("llama-7b", gpu="a100-80gb", gpus=2048, tokens="1T").rows(),
          _json(cli, "pretrain", "-m", "llama-7b", "-g", "a100-80gb", "--gpus", "2048", "--tokens", "1T"))


def test_sensitivity_rows_equal_the_command(cli) -> None:
    sc = llmcost.scenario(None, {"economics.electricity_usd_per_kwh": "0.1..0.3", "workload.requests_per_day": "1000..9000"})
    _same(llmcost.sensitivity(sc, metric="tco_usd").rows(),
          _json(cli, "sensitivity", "--set", "economics.electricity_usd_per_kwh=0.1..0.3",
                "--set", "workload.requests_per_day=1000..9000", "--metric", "tco_usd"))


def test_sweep_rows_equal_the_command(cli, tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("grid:\n  workload.requests_per_day: [1000, 100000]\n  options.gpus: [rtx-3090, rtx-4090]\n"
                    "  workload.output_tokens: [100, 800]\n")
    api_rows = [r for t in llmcost.sweep(grid, chunk_rows=7) for r in t.rows()]
    _same(api_rows, _json(cli, "sweep", str(grid)))


def test_load_catalog_with_assumptions_equals_set(cli) -> None:
    cat = llmcost.load_catalog(assumptions={"electricity_usd_per_kwh": 0.3})
    _same(llmcost.compare(catalog=cat).rows(), _json(cli, "compare", "--set", "assumptions.electricity_usd_per_kwh=0.3"))


def test_results_are_numeric_with_states_as_masks_until_rendered() -> None:
    result = llmcost.compare("team-assistant")
    cols = result.columns
    kind = cols["kind"]
    assert cols["payback_months"].dtype == float and cols["fits"].dtype == bool
    rows = result.rows()
    for i, row in enumerate(rows):
        pb = cols["payback_months"][i]
        if kind[i] == "api":
            assert math.isnan(pb) and row["payback_months"] == "n/a"
        elif math.isinf(pb):
            assert row["payback_months"] == "never"
        else:
            assert row["payback_months"] == pytest.approx(pb)
    unfit = llmcost.serve("llama-3.1-70b", gpu="rtx-3060-12gb", quant="fp16")
    assert not unfit.columns["fits"][0] and unfit.rows()[0]["tpot_s"] == "does not fit"
    assert np.isnan(llmcost.compare("team-assistant").columns["replicas"][-1])


def test_overrides_are_typed_and_checked() -> None:
    from llmcost.errors import LlmcostError

    sc = llmcost.scenario("team-assistant", {"options.gpus": ["2xrtx-4090"], "workload.input_tokens": "2k"})
    assert sc.options.gpus == ("2xrtx-4090",) and sc.workload.input_tokens == 2000
    with pytest.raises(LlmcostError, match="requests_per_dya"):
        llmcost.scenario("team-assistant", {"workload.requests_per_dya": 1})
    with pytest.raises(LlmcostError, match="expected a number"):
        llmcost.scenario("team-assistant", {"workload.requests_per_day": [1]})
    with pytest.raises(LlmcostError, match="load_catalog"):
        llmcost.scenario("team-assistant", {"assumptions.pue": 1.2})


def test_calibrate_rows_equal_the_command(cli, tmp_path: Path) -> None:
    src = Path(__file__).resolve().parent / "fixtures" / "calibrate" / "llama-bench-rtx4080.json"
    api_rows = llmcost.calibrate([str(src)], gpu="rtx-4080").rows()
    _same(api_rows, _json(cli, "calibrate", str(src), "-g", "rtx-4080", "-o", str(tmp_path / "cal.yaml")))
