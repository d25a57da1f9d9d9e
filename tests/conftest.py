"""Shared test set-up.

- Make the test helpers (reference.py, strategies.py) importable as top-level modules: pytest runs
  with --import-mode=importlib, which does not put the tests directory on sys.path.
- Fixtures: a CLI runner over the real entry point, and a small valid multi-kind profile set.
- Every test runs on a pinned "today" (llmcost.prices.today), so price ages and staleness warnings do not drift.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

VALID_PROFILES: dict[str, Any] = {
    "gpus": [{
        "id": "test-gpu", "name": "Test GPU", "vendor": "nvidia", "class": "consumer", "memory_gib": 24,
        "memory_bandwidth_gb_per_s": 1008, "tflops_bf16": 165.2, "tflops_fp16_acc16": 330.3, "power_w": 450,
        "idle_power_w": 20, "price_usd": 1599, "price_as_of": "2022-10-12", "interconnect": "pcie",
        "link_bandwidth_gb_per_s": 64, "sources": {"default": "test fixture"},
    }],
    "models": [{
        "id": "test-model", "name": "Test Model", "params_b": 6.7, "layers": 32, "d_model": 4096, "heads": 32,
        "kv_heads": 32, "ffn_dim": 11008, "vocab": 32000, "context": 2048, "ffn_gated": True, "license": "test",
        "open_weights": True, "release_date": "2023-02-24", "sources": {"default": "test fixture"},
    }],
    "apis": [{
        "id": "test/api", "name": "Test API", "provider": "test", "input_usd_per_mtok": 0.5,
        "output_usd_per_mtok": 1.5, "as_of": "2025-01-01", "serves_model": "test-model",
        "sources": {"default": "test fixture"},
    }],
    "rentals": [{
        "id": "test/rental", "name": "Test rental", "provider": "test", "gpu": "test-gpu", "gpus_per_instance": 1,
        "usd_per_gpu_hour": 0.5, "kind": "on-demand", "as_of": "2025-01-01", "sources": {"default": "test fixture"},
    }],
    "quantizations": [{
        "id": "test-q", "name": "Test quantization", "bits_per_weight": 4.5, "tensor_rate": "fp16",
        "sources": {"default": "test fixture"},
    }],
    "engines": [{
        "id": "test-engine", "name": "Test engine", "quantizations": ["test-q"], "accumulate": "fp16",
        "max_concurrency": 64, "bandwidth_efficiency": {"default": 0.7}, "compute_efficiency": {"default": 0.5},
        "prefill_efficiency": {"default": 0.5}, "sources": {"default": "test fixture"},
    }],
    "assumptions": {
        "electricity_usd_per_kwh": {"value": 0.2, "rationale": "test", "source": "test fixture"},
    },
}
"""One valid entry of every kind, referring only to each other (loads with or without the built-ins)."""


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The built-in catalogue's disk cache (llmcost.cache) goes to a fresh directory, not the user's ~/.cache."""
    import os

    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


@pytest.fixture(scope="session")
def valid_profiles() -> Callable[[], dict[str, Any]]:
    """A function returning a fresh deep copy of VALID_PROFILES (safe to mutate)."""
    return lambda: copy.deepcopy(VALID_PROFILES)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `llmcost ARGS...` in-process through the real entry point: (exit code, stdout, stderr)."""
    from llmcost.cli.app import main  # here, so a broken command module fails only the CLI tests

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        rc = main(list(argv))
        out, err = capsys.readouterr()
        return rc, out, err

    return run


@pytest.fixture(scope="session")
def cat() -> Any:
    """The built-in catalogue (immutable, so one load serves every test that only reads it)."""
    from llmcost import catalog

    return catalog.load()


def run_main(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str,
             columns: str | None = "160") -> tuple[int, str, str]:
    """`llmcost ARGS...` in-process without colour or LLMCOST_PROFILES, tables `columns` wide (None: the
    environment's): (exit code, stdout, stderr)."""
    from llmcost.cli.app import main

    monkeypatch.setenv("NO_COLOR", "1")
    if columns is not None:
        monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.delenv("LLMCOST_PROFILES", raising=False)
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


PINNED_TODAY = (2026, 11, 26)
"""The day the built-in prices were last checked against; price-age warnings and `age_days` count from it in tests,
so that CLI outputs do not change as the calendar moves on."""


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """In this process and in every `llmcost` subprocess a test starts (LLMCOST_TODAY is inherited)."""
    monkeypatch.setenv("LLMCOST_TODAY", "{:04d}-{:02d}-{:02d}".format(*PINNED_TODAY))
