"""Numbers at the edges and command-line values: every answer is a finite number or a named state, in every
format; every bad value exits 2 with one line; a failing run never touches an existing --output file."""

from __future__ import annotations

import csv
import functools
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import run_main

STATES = {"never", "n/a", "does not fit", "misses target"}


run = functools.partial(run_main, columns=None)


def assert_clean(rows: list[dict]) -> None:
    for row in rows:
        for key, value in row.items():
            if isinstance(value, float):
                assert math.isfinite(value), (key, row)
            elif isinstance(value, str) and key not in ("option", "kind", "model", "gpu", "notes", "reason", "rental",
                                                          "quantization", "engine", "method", "bound", "api", "reported_gpu",
                                                          "quality_benchmark", "parallelism", "host"):
                assert value in STATES, (key, value)


EDGE_COMPARE = [
    ["--set", "workload.requests_per_day=0"],
    ["--set", "workload.requests_per_day=1e-6"],
    ["--set", "workload.requests_per_day=1e15"],
    ["--set", "workload.input_tokens=0", "--set", "workload.output_tokens=0"],
    ["--set", "workload.output_tokens=1e15"],
    ["--set", "economics.electricity_usd_per_kwh=0"],
    ["--set", "economics.horizon_months=1"],
    ["--set", "workload.monthly_growth=10"],
    ["--set", "workload.monthly_growth=-0.99"],
    ["-g", "100000xrtx-4090"],
    ["--model", "llama-3.1-405b", "-g", "rtx-3060-12gb"],
    ["--set", "assumptions.resale_fraction=1"],
    ["-s", "pretrain-from-scratch", "--set", "lifecycle.pretrain.tokens=1e15"],
    ["--set", "economics.api_price_decline_per_year=1", "--set", "economics.rental_price_decline_per_year=1",
     "--set", "economics.gpu_price_decline_per_year=1", "--set", "workload.monthly_growth=0.5"],
    ["--set", "economics.api_price_decline_per_year=-1", "--set", "economics.rental_price_decline_per_year=-1",
     "--set", "economics.gpu_price_decline_per_year=-1", "--set", "economics.horizon_months=1200"],
]


@pytest.mark.parametrize("argv", EDGE_COMPARE, ids=[" ".join(a) for a in EDGE_COMPARE])
def test_compare_at_the_edges_is_finite_or_a_state_in_every_format(argv: list[str], capsys, monkeypatch) -> None:
    code, out, err = run(capsys, monkeypatch, "compare", *argv, "-f", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert_clean(rows)
    code, out_csv, _ = run(capsys, monkeypatch, "compare", *argv, "-f", "csv")
    assert code == 0
    assert "nan" not in out_csv.lower().replace("n/a", "") and "inf" not in out_csv.lower()
    assert len(list(csv.DictReader(io.StringIO(out_csv)))) == len(rows)
    code, out_md, _ = run(capsys, monkeypatch, "compare", *argv, "-f", "markdown")
    assert code == 0 and "nan" not in out_md.lower().replace("n/a", "")


def test_zero_price_api_is_cheapest_and_owning_never_breaks_even(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "free.yaml").write_text(
        "apis:\n  - id: free/model\n    name: Free\n    provider: free\n    input_usd_per_mtok: 0\n"
        "    output_usd_per_mtok: 0\n    as_of: 2026-11-01\n")
    code, out, err = run(capsys, monkeypatch, "compare", "--profiles", str(tmp_path), "--vs", "free/model", "-a", "free/model",
                         "-f", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert_clean(rows)
    own = [r for r in rows if r["kind"] == "own"]
    assert own and all(r["breakeven_tokens_per_day"] == "never" and r["payback_months"] == "never" for r in own)


EDGE_ESTIMATES = [
    ["pretrain", "-m", "llama-7b", "--tokens", "1e15"],
    ["pretrain", "-m", "llama-7b", "-g", "rtx-4090", "--gpus", "100000"],
    ["pretrain", "-m", "llama-3.1-405b", "-g", "rtx-3060-12gb", "--gpus", "1"],
    ["finetune", "-m", "llama-3.1-405b", "-g", "rtx-4090", "--method", "full"],
    ["finetune", "-m", "llama-7b", "-g", "rtx-4090", "--tokens", "1e15", "-a", "openai/gpt-4o-mini", "-a", "anthropic/claude-haiku-4-5"],
    ["serve", "-m", "llama-3.1-405b", "-g", "rtx-3060-12gb"],
    ["serve", "-m", "llama-7b", "--input-tokens", "1e15"],
    ["serve", "-m", "llama-7b", "--input-tokens", "0", "--output-tokens", "0"],
    ["serve", "-m", "mixtral-8x7b", "-g", "8xh100-sxm", "--quant", "fp8", "--max-tpot-ms", "0.001"],
]


@pytest.mark.parametrize("argv", EDGE_ESTIMATES, ids=[" ".join(a) for a in EDGE_ESTIMATES])
def test_estimates_at_the_edges(argv: list[str], capsys, monkeypatch) -> None:
    code, out, err = run(capsys, monkeypatch, *argv, "-f", "json")
    assert code == 0, err
    assert_clean(json.loads(out))


def test_model_larger_than_any_gpu_says_so(capsys, monkeypatch) -> None:
    code, out, _ = run(capsys, monkeypatch, "serve", "-m", "llama-3.1-405b", "-g", "rtx-3060-12gb", "-f", "json")
    row = json.loads(out)[0]
    assert row["fits"] is False and row["usd_per_mtok"] == "does not fit"
    assert "21xrtx-3060-12gb" in row["reason"]


BAD = [
    ["compare", "-g", "0xrtx-4090"],
    ["compare", "-g", "2x"],
    ["compare", "-g", "x"],
    ["compare", "--set", "workload.requests_per_day"],
    ["compare", "--set", "=5"],
    ["compare", "--set", "workload.requests_per_day=-5"],
    ["compare", "--set", "workload.requests_per_day=1e400"],
    ["compare", "--set", "economics.horizon_months=100000"],
    ["compare", "--set", "workload.batch=maybe"],
    ["compare", "--set", "assumptions.nope=1"],
    ["compare", "--fail-if", "payback_months >> 3"],
    ["compare", "-f", "xml"],
    ["compare", "--api", "openai/gpt-9"],
    ["pretrain", "-m", "llama-7b", "--gpus", "0"],
    ["pretrain", "-m", "llama-7b", "--gpus", "-3"],
    ["pretrain", "-m", "llama-7b", "--tokens", "lots"],
    ["pretrain", "-m", "llama-7b", "--mfu", "1.5"],
    ["finetune", "-m", "llama-7b", "--method", "dora"],
    ["finetune", "-m", "llama-7b", "--rank", "0"],
    ["finetune", "-m", "llama-7b", "--targets", "everything"],
    ["serve", "-m", "llama-7b", "--concurrency", "-1"],
    ["serve", "-m", "llama-7b", "--concurrency", "lots"],
    ["serve", "-m", "llama-7b", "--quant", "q3"],
    ["serve", "-m", "llama-7b", "--quant", "q4_k_m", "--engine", "vllm"],
    ["serve", "-m", "llama-7b", "--input-tokens", "-1"],
    ["profiles", "show", "rtx-409"],
    ["profiles", "list", "gpu"],
]


@pytest.mark.parametrize("argv", BAD, ids=[" ".join(a) for a in BAD])
def test_bad_command_line_values_exit_2_with_one_line(argv: list[str], capsys, monkeypatch) -> None:
    code, out, err = run(capsys, monkeypatch, *argv)
    assert code == 2, (out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("llmcost: error: ") and "Traceback" not in err


def test_failing_run_leaves_existing_output_untouched(tmp_path: Path, capsys, monkeypatch) -> None:
    target = tmp_path / "result.csv"
    target.write_text("precious\n")
    code, _, _ = run(capsys, monkeypatch, "compare", "-f", "csv", "-o", str(target), "--set", "workload.requests_per_day=lots")
    assert code == 2
    assert target.read_text() == "precious\n"
    code, _, _ = run(capsys, monkeypatch, "serve", "-m", "llama-7", "-o", str(target))
    assert code == 2 and target.read_text() == "precious\n"
    assert [p.name for p in tmp_path.iterdir()] == ["result.csv"]
    code, _, _ = run(capsys, monkeypatch, "compare", "-f", "csv", "-o", str(target))
    assert code == 0 and target.read_text().startswith("option,kind,")


def test_formula_names_from_user_profiles_are_neutralised_in_csv(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "evil.yaml").write_text(
        "apis:\n  - id: evil/model\n    name: '=HYPERLINK(\"http://x\",\"click\")'\n    provider: '+evil'\n"
        "    input_usd_per_mtok: 1\n    output_usd_per_mtok: 2\n    as_of: 2026-11-01\n")
    code, out, err = run(capsys, monkeypatch, "profiles", "list", "apis", "-f", "csv", "--profiles", str(tmp_path))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    evil = next(r for r in rows if r["id"] == "evil/model")
    assert evil["name"] == "'" + '=HYPERLINK("http://x","click")'
    assert all(not v.startswith(("=", "+", "@")) for r in rows for v in r.values())
    code, out, _ = run(capsys, monkeypatch, "compare", "-a", "evil/model", "-f", "csv", "--profiles", str(tmp_path),
                       "--set", "economics.ops_usd_per_month=0")
    assert code == 0
    for r in csv.DictReader(io.StringIO(out)):
        for v in r.values():
            assert not v.startswith(("=", "+", "@", "\t", "\r")) or v.lstrip("+-").replace(".", "").replace("e", "").isdigit()


def test_random_sweep_outputs_hold_no_nan_or_inf(tmp_path: Path, capsys, monkeypatch) -> None:
    """A random grid over the numeric inputs, every output scanned."""
    rng = np.random.default_rng(7)
    volumes = ", ".join(f"{v:.6g}" for v in 10 ** rng.uniform(-3, 12, 6))
    grid = tmp_path / "grid.yaml"
    grid.write_text(
        "base: team-assistant\n"
        f"grid:\n  workload.requests_per_day: [0, {volumes}]\n"
        "  workload.monthly_growth: [-0.5, 0, 2]\n  economics.electricity_usd_per_kwh: [0, 0.3, 5]\n"
        "  workload.output_tokens: [0, 400, 100000]\n")
    code, out, err = run(capsys, monkeypatch, "sweep", str(grid), "-f", "jsonl")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) > 1000
    assert_clean([{k: v for k, v in r.items() if not k.startswith(("workload.", "economics."))} for r in rows])
