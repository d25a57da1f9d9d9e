"""One bounds table for every number: valid ranges are errors (exit 2, one line), plausible ranges are warnings
that name the file, line, field, value and the unit expected (issues #13 item 5, #14 item 1)."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from llmcost import bounds, catalog, schema
from llmcost.errors import ImplausibleValue, LlmcostError
from llmcost.schema import quantities


def _gpu_file(tmp_path: Path, valid_profiles, **changes: Any) -> Path:
    doc = valid_profiles()
    doc["gpus"][0].update(changes)
    path = tmp_path / "gpus.yaml"
    path.write_text(yaml.safe_dump({"gpus": doc["gpus"]}, sort_keys=False))
    return path


def _line_of(path: Path, key: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if line.strip().startswith(f"{key}:"))


def _warnings(err: str) -> list[str]:
    """The warning lines, less the price-age ones (tested in test_prices)."""
    return [line for line in err.splitlines() if line.startswith("llmcost: warning: ") and " older than " not in line]


# ------------------------------------------------------------------------------- unit slips in profile files

@pytest.mark.parametrize(("key", "value", "expected"), [
    ("power_w", 0.3, "implausible; expected watts (W) between 30 and 2000; did you write kW?"),
    ("memory_bandwidth_gb_per_s", 0.896, "implausible; expected decimal GB/s between 50 and 30000; did you write TB/s?"),
    ("memory_gib", 16384, "implausible; expected GiB of memory per GPU between 1 and 1024; did you write MiB?"),
])
def test_unit_slips_in_a_gpu_are_warnings_with_file_line_field_value_and_unit(
        tmp_path: Path, valid_profiles, cli, key: str, value: float, expected: str) -> None:
    path = _gpu_file(tmp_path, valid_profiles, **{key: value, "idle_power_w": 0})
    rc, out, err = cli("profiles", "validate", str(path))
    assert rc == 0 and out == "ok: 1 entry valid in 1 path, 1 implausible value\n"
    assert _warnings(err) == [f"llmcost: warning: {path}:{_line_of(path, key)}: gpus[0].{key} = {value:g}: {expected}"]


def test_idle_power_above_board_power_is_an_error(tmp_path: Path, valid_profiles, cli) -> None:
    path = _gpu_file(tmp_path, valid_profiles, power_w=450, idle_power_w=500)
    rc, out, err = cli("profiles", "validate", str(path))
    assert (rc, out) == (2, "")
    assert err == (f"{path}:{_line_of(path, 'idle_power_w')}: gpus[0].idle_power_w: idle power 500 W is above the board power 450 W; both are watts (W)\n")


def test_the_same_slip_warns_in_every_command_that_loads_the_file(tmp_path: Path, valid_profiles, cli) -> None:
    path = _gpu_file(tmp_path, valid_profiles, power_w=0.45, idle_power_w=0.02)
    rc, out, err = cli("profiles", "list", "gpus", "-f", "csv", "--profiles", str(path))
    assert rc == 0 and "test-gpu" in out
    assert [w.split(": ", 3)[-1] for w in _warnings(err)] == [
        "gpus[0].power_w = 0.45: implausible; expected watts (W) between 30 and 2000; did you write kW?",
        "gpus[0].idle_power_w = 0.02: implausible; expected watts (W) between 1 and 500; did you write kW?"]


# ------------------------------------------------------------------------------- assumptions: files and --set

def _assumption_file(tmp_path: Path, name: str, value: float) -> Path:
    path = tmp_path / "a.yaml"
    path.write_text(f"assumptions:\n  {name}:\n    value: {value}\n    rationale: r\n    source: s\n")
    return path


@pytest.mark.parametrize(("name", "value", "message"), [
    ("electricity_usd_per_kwh", -1, "expected a number >= 0, got -1"),
    ("resale_fraction", 1.5, "expected a number >= 0 and <= 1, got 1.5"),
    ("mfu_nvlink", -1, "expected a number > 0 and <= 1, got -1"),
    ("link_efficiency_pcie_host", 0, "expected a number > 0 and <= 1, got 0"),
    ("gpus_per_host", 0, "expected an integer >= 1 and <= 1024, got 0"),
])
def test_invalid_assumptions_are_errors_in_files_and_on_the_command_line(
        tmp_path: Path, cli, name: str, value: float, message: str) -> None:
    path = _assumption_file(tmp_path, name, value)
    rc, out, err = cli("profiles", "validate", str(path))
    assert (rc, out, err) == (2, "", f"{path}:3: assumptions.{name}.value: {message}\n")
    for command in ("compare", "finetune", "serve"):
        args = ["-m", "llama-3.1-8b"] if command != "compare" else []
        rc, out, err = cli(command, *args, "--set", f"assumptions.{name}={value}")
        assert (rc, out) == (2, "")
        assert err == f"llmcost: error: --set assumptions.{name}: {message.replace(f'got {value}', f'got {float(value)!r}')}\n"


def test_electricity_at_30_dollars_per_kwh_warns_in_a_file_and_on_the_command_line(tmp_path: Path, cli) -> None:
    expected = "electricity_usd_per_kwh = 30: implausible; expected USD per kWh between 0.01 and 1; did you write cents per kWh?"
    path = _assumption_file(tmp_path, "electricity_usd_per_kwh", 30)
    rc, out, err = cli("profiles", "validate", str(path))
    assert rc == 0 and _warnings(err) == [f"llmcost: warning: {path}:3: assumptions.{expected.replace(' =', '.value =', 1)}"]
    for key in ("assumptions", "economics"):
        rc, out, err = cli("compare", "-f", "csv", "--set", f"{key}.electricity_usd_per_kwh=30")
        assert rc == 0 and out.startswith("option,")
        assert len(_warnings(err)) == 1 and _warnings(err)[0].endswith(expected), err


def test_negative_electricity_in_a_scenario_is_an_error(cli) -> None:
    rc, out, err = cli("compare", "--set", "economics.electricity_usd_per_kwh=-1")
    assert (rc, out) == (2, "")
    assert err.count("\n") == 1 and "economics.electricity_usd_per_kwh: expected a number >= 0, got -1.0" in err


def test_a_gpu_count_beyond_any_cluster_is_an_error_not_an_overflow(cli) -> None:
    rc, out, err = cli("serve", "-m", "llama-3.1-8b", "-g", "9" * 400 + "xrtx-4090")
    assert (rc, out) == (2, "")
    assert err.startswith("llmcost: error: GPU option '999") and "the count before 'x': expected an integer >= 1" in err
    assert "a number with 400 digits (too large)" in err and err.count("\n") == 1


# ------------------------------------------------------------------------------- the table itself

def _numeric_fields(cls: Any, prefix: str) -> list[tuple[str, schema.Spec]]:
    out = []
    for f in dataclasses.fields(cls):
        spec = schema.spec_of(f)
        if spec.type in ("record", "records"):
            out += _numeric_fields(spec.record, f"{prefix}{schema.yaml_key(f)}.")
        elif spec.type in ("num", "int", "num_map"):
            out.append((prefix + schema.yaml_key(f), spec))
    return out


@pytest.mark.parametrize("kind", schema.KINDS)
def test_every_numeric_field_has_a_unit_a_valid_and_a_plausible_range(kind: str) -> None:
    for key, spec in _numeric_fields(schema.KINDS[kind], f"{kind}."):
        b = spec.bounds
        assert b is not None and b.unit and b.plausible is not None, key
        assert bounds.lookup(key) is b


def test_every_assumption_scenario_key_and_option_has_bounds() -> None:
    assert set(catalog.ASSUMPTION_NAMES) == set(quantities.ASSUMPTIONS)
    for name in catalog.ASSUMPTION_NAMES:
        assert bounds.lookup(f"assumptions.{name}").plausible is not None
    scenario_keys = [k for k, _ in _numeric_fields(schema.Scenario, "")]
    assert {k.split(".")[0] for k in scenario_keys} == {"workload", "serving", "options", "economics", "lifecycle"}
    for key in scenario_keys:
        assert bounds.lookup(key).plausible is not None, key
    for key in quantities.OPTIONS:
        assert bounds.lookup(key).plausible is not None, key


def test_a_scenario_key_and_its_assumption_share_one_quantity() -> None:
    """One source of truth: economics.X and assumptions.X are the same entry of the table."""
    shared = [f.name for f in dataclasses.fields(schema.Economics) if f.name in quantities.ASSUMPTIONS]
    assert len(shared) >= 10
    for name in shared:
        assert bounds.lookup(f"economics.{name}") is bounds.lookup(f"assumptions.{name}")
    assert bounds.lookup("workload.peak_to_average") is bounds.lookup("assumptions.peak_to_average")
    assert bounds.lookup("lifecycle.finetune.rank") is bounds.lookup("assumptions.lora_rank") is bounds.lookup("finetune.rank")


def test_every_plausible_range_lies_inside_the_valid_range() -> None:
    for key, b in bounds.table().items():
        assert b.plausible is not None and b.plausible[0] <= b.plausible[1], key
        for end in b.plausible:
            assert end == 0 or b.valid(end), (key, end)


def test_the_builtin_profiles_and_scenarios_are_all_plausible() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ImplausibleValue)
        cat = catalog.load()
    for name, a in cat.assumptions.items():
        assert bounds.lookup(f"assumptions.{name}").plausible_at(a.value), name


# ------------------------------------------------------------------------------- bounds.check for the CLI

def test_check_returns_a_valid_value_raises_one_line_and_warns_with_the_unit() -> None:
    assert bounds.check("finetune.rank", 16, what="--rank") == 16
    with pytest.raises(LlmcostError, match=r"^--rank: expected an integer >= 1 and <= 1e\+06, got 1e\+20$"):
        bounds.check("finetune.rank", 1e20, what="--rank")
    with pytest.raises(LlmcostError, match=r"^serve.max_tpot_ms: expected a number > 0, got -5$"):
        bounds.check("serve.max_tpot_ms", -5)
    with pytest.warns(ImplausibleValue, match=r"^--max-tpot-ms = 0.05: implausible; expected milliseconds per output token "
                                              r"between 1 and 60000; did you write seconds\?$"):
        bounds.check("serve.max_tpot_ms", 0.05, what="--max-tpot-ms")


def test_zero_is_plausible_wherever_it_is_valid() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ImplausibleValue)
        for key in ("economics.ops_usd_per_month", "assumptions.discount_rate", "apis.input_usd_per_mtok", "gpus.idle_power_w"):
            bounds.check(key, 0)


def test_an_unknown_key_is_a_bug_not_a_user_error() -> None:
    with pytest.raises(KeyError):
        bounds.lookup("gpus.colour")
