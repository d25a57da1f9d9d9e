"""Profile, scenario and grid files as users write them: numbers with suffixes, `profiles validate` on scenario
and grid files, ids defined twice, control characters in text (issues #13 item 4, #14 item 5)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from llmcost import catalog, scenarios
from llmcost.errors import ProfileError

PROFILES_PAGE = Path(__file__).resolve().parent.parent / "docs" / "profiles.md"


def readme_scenario() -> str:
    """The scenario file example of docs/profiles.md (the YAML block with `workload:`; it was the README's)."""
    blocks = re.findall(r"```yaml\n(.*?)```", PROFILES_PAGE.read_text(), re.S)
    block = next(b for b in blocks if "\nname:" in b and "workload:" in b)
    return block.split("\n", 1)[1]  # without its `# support-bot.yaml` line


# ------------------------------------------------------------------------------- numbers with suffixes

def test_the_readme_scenario_with_tokens_20m_runs(tmp_path: Path, cli) -> None:
    assert "tokens: 20M" in readme_scenario()
    path = tmp_path / "support.yaml"
    path.write_text(readme_scenario())
    assert scenarios.resolve(catalog.load(), str(path)).lifecycle.finetune.tokens == 20e6
    rc, out, err = cli("compare", "-s", str(path), "-f", "csv")
    assert rc == 0 and out.startswith("option,"), err


def test_yaml_numbers_take_the_command_line_suffixes(tmp_path: Path, valid_profiles) -> None:
    doc = valid_profiles()
    doc["models"][0].update(params_b="6.7", context="2k", vocab="32k", pretrain_tokens_b="1.4k")
    doc["gpus"][0].update(price_usd="1.599k", memory_bandwidth_gb_per_s="1_008")
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False).replace("'", ""))
    assert "context: 2k" in path.read_text()
    cat = catalog.load([path], builtin=False)
    model, gpu = cat.get("models", "test-model"), cat.get("gpus", "test-gpu")
    assert (model.params_b, model.context, model.vocab, model.pretrain_tokens_b) == (6.7, 2000, 32_000, 1400.0)
    assert isinstance(model.context, int) and (gpu.price_usd, gpu.memory_bandwidth_gb_per_s) == (1599.0, 1008.0)


def test_a_suffix_on_an_integer_field_must_give_a_whole_number(tmp_path: Path, valid_profiles) -> None:
    doc = valid_profiles()
    doc["models"][0]["layers"] = "1.5"
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"models": doc["models"]}, sort_keys=False))
    with pytest.raises(ProfileError) as e:
        catalog.load([path], builtin=False)
    assert e.value.problems == [f"{path}:5: models[0].layers: expected an integer >= 1, got 1.5"]


@pytest.mark.parametrize("text", ["'1,008'", "1008 GB/s", "20 M", "1.4TB", "1e3.5"])
def test_text_that_is_not_a_number_is_still_an_error(tmp_path: Path, valid_profiles, text: str) -> None:
    doc = valid_profiles()
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump({"gpus": doc["gpus"]}, sort_keys=False).replace(
        "memory_bandwidth_gb_per_s: 1008", f"memory_bandwidth_gb_per_s: {text}"))
    with pytest.raises(ProfileError) as e:
        catalog.load([path], builtin=False)
    shown = repr(yaml.safe_load(f"x: {text}")["x"])
    assert e.value.problems == [f"{path}:7: gpus[0].memory_bandwidth_gb_per_s: expected a number > 0, got {shown}"]


def test_ranges_take_suffixes_too(tmp_path: Path, cli) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(readme_scenario().replace("tokens: 20M", "tokens: {low: 10M, mode: 20M, high: 40M}"))
    rc, out, err = cli("compare", "-s", str(path), "-f", "csv", "--samples", "20")
    assert rc == 0, err


# ------------------------------------------------------------------------------- profiles validate: scenario and grid files

def test_validate_recognises_the_readme_scenario_file(tmp_path: Path, cli) -> None:
    path = tmp_path / "support.yaml"
    path.write_text(readme_scenario())
    assert cli("profiles", "validate", str(path)) == (0, "ok: 1 scenario file valid in 1 path\n", "")


def test_validate_reports_a_scenario_error_with_file_and_line(tmp_path: Path, cli) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(readme_scenario().replace("requests_per_day: 8000", "requests_per_day: -5").replace("pue", "pue"))
    rc, out, err = cli("profiles", "validate", str(path))
    assert (rc, out) == (2, "")
    assert err == f"{path}:4: scenario.workload.requests_per_day: expected a number >= 0, got -5\n"


def test_validate_a_one_entry_scenarios_file_without_an_id(tmp_path: Path, cli) -> None:
    body = "".join("    " + line + "\n" for line in readme_scenario().splitlines())
    path = tmp_path / "one.yaml"
    path.write_text("scenarios:\n  -\n" + body)
    assert cli("profiles", "validate", str(path)) == (0, "ok: 1 scenario file valid in 1 path\n", "")


def test_a_scenario_may_use_a_gpu_from_a_profile_file_validated_with_it(tmp_path: Path, valid_profiles, cli) -> None:
    doc = valid_profiles()
    del doc["assumptions"]
    profiles = tmp_path / "mine.yaml"
    profiles.write_text(yaml.safe_dump(doc, sort_keys=False))
    scen = tmp_path / "s.yaml"
    scen.write_text(readme_scenario().replace("gpus: [rtx-4090, 2xrtx-3090]", "gpus: [2xtest-gpu]"))
    assert cli("profiles", "validate", str(profiles), str(scen)) == (
        0, "ok: 6 entries and 1 scenario file valid in 2 paths\n", "")
    rc, out, err = cli("profiles", "validate", str(scen))
    assert (rc, out) == (2, "") and "unknown gpu 'test-gpu'" in err


GRID = """\
base: team-assistant
grid:
  workload.requests_per_day: [1k, 10k, 100k]
  serving.model: [llama-3.1-8b, qwen2.5-7b]
"""


def test_validate_recognises_a_sweep_grid(tmp_path: Path, cli) -> None:
    path = tmp_path / "grid.yaml"
    path.write_text(GRID)
    assert cli("profiles", "validate", str(path)) == (0, "ok: 1 grid file valid in 1 path\n", "")


@pytest.mark.parametrize(("change", "message"), [
    (("workload.requests_per_day", "workload.request_per_day"), "3: workload.request_per_day: unknown key in workload"),
    (("[1k, 10k, 100k]", "[1k, -10k]"), "grid.workload.requests_per_day = -10000: "),
    (("qwen2.5-7b", "qwen-9"), "4: grid: serving.model=qwen-9: --set serving.model=qwen-9: unknown model 'qwen-9'"),
])
def test_validate_reports_grid_errors_with_the_file(tmp_path: Path, cli, change: tuple[str, str], message: str) -> None:
    path = tmp_path / "grid.yaml"
    path.write_text(GRID.replace(*change))
    rc, out, err = cli("profiles", "validate", str(path))
    assert (rc, out) == (2, "") and err.count("\n") == 1 and err.startswith(str(path)) and message in err, err


def test_implausible_values_in_scenarios_and_grids_warn(tmp_path: Path, cli) -> None:
    scen = tmp_path / "s.yaml"
    scen.write_text(readme_scenario().replace("electricity_usd_per_kwh: 0.30", "electricity_usd_per_kwh: 30"))
    rc, out, err = cli("profiles", "validate", str(scen))
    assert (rc, out) == (0, "ok: 1 scenario file valid in 1 path, 1 implausible value\n")
    line = next(i for i, t in enumerate(scen.read_text().splitlines(), 1) if "electricity_usd_per_kwh" in t)
    assert err == (f"llmcost: warning: {scen}:{line}: scenario.economics.electricity_usd_per_kwh = 30: implausible; "
                   "expected USD per kWh between 0.01 and 1; did you write cents per kWh?\n")
    grid = tmp_path / "g.yaml"
    grid.write_text(GRID.replace("[1k, 10k, 100k]", "[1k, 10k]\n  serving.max_tpot_ms: [0.05, 50]"))
    rc, out, err = cli("profiles", "validate", str(grid))
    assert rc == 0 and "serving.max_tpot_ms = 0.05: implausible; expected milliseconds per output token" in err


# ------------------------------------------------------------------------------- ids defined twice, overrides

def test_validate_names_both_files_of_an_id_defined_twice(tmp_path: Path, valid_profiles, cli) -> None:
    doc = valid_profiles()
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump({"gpus": doc["gpus"]}, sort_keys=False))
    rc, out, err = cli("profiles", "validate", str(tmp_path))
    assert (rc, out) == (2, "")
    assert err == (f"{tmp_path / 'b.yaml'}:2: gpus[0].id: 'test-gpu' is also defined at {tmp_path / 'a.yaml'}:2; define it once "
                   "(a user file may override a built-in entry, not another user file's)\n")


def test_validate_lists_the_overrides_of_builtins(tmp_path: Path, valid_profiles, cli) -> None:
    doc = valid_profiles()
    doc["gpus"][0]["id"] = "rtx-4090"
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump({"gpus": doc["gpus"]}, sort_keys=False))
    builtin = catalog.builtin_catalog().where[("gpus", "rtx-4090")]
    assert cli("profiles", "validate", str(path)) == (
        0, f"{path}:2: gpus[rtx-4090] overrides the built-in entry ({builtin.path}:{builtin.line})\n"
           "ok: 1 entry valid in 1 path, 1 override of a built-in\n", "")


# ------------------------------------------------------------------------------- control characters in text

@pytest.mark.parametrize(("field", "text", "shown"), [
    ("name", '"Evil \\e[31mred\\e[0m GPU"', "'\\x1b' (U+001B)"),
    ("name", '"CSI \\x9b2J"', "'\\x9b' (U+009B)"),
    ("name", '"two\\nlines"', "'\\n' (U+000A)"),
    ("name", '"bidi \\u202e override"', "'\\u202e' (U+202E)"),
    ("notes", '"bell \\a"', "'\\x07' (U+0007)"),
])
def test_control_characters_in_text_are_errors_with_file_and_line(tmp_path: Path, valid_profiles, cli,
                                                                  field: str, text: str, shown: str) -> None:
    doc = valid_profiles()
    doc["gpus"][0][field] = "PLACEHOLDER"
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump({"gpus": doc["gpus"]}, sort_keys=False).replace("PLACEHOLDER", text))
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if t.strip().startswith(f"{field}:"))
    rc, out, err = cli("profiles", "validate", str(path))
    assert (rc, out) == (2, "")
    assert err.startswith(f"{path}:{line}: gpus[0].{field}: control character {shown} in text") and err.count("\n") == 1
    assert "\x1b" not in err and "\x9b" not in err
    rc, out, err = cli("profiles", "list", "gpus", "--profiles", str(path))
    assert rc == 2 and out == "" and "\x1b" not in err


def test_newlines_are_fine_in_notes_and_rationales(tmp_path: Path, valid_profiles) -> None:
    doc = valid_profiles()
    doc["gpus"][0]["notes"] = "first line\nsecond line\n"
    doc["assumptions"]["electricity_usd_per_kwh"]["rationale"] = "why:\n- one\n- two\n"
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert catalog.load([path]).get("gpus", "test-gpu").notes == "first line\nsecond line\n"


def test_control_characters_in_source_keys_and_values(tmp_path: Path, valid_profiles) -> None:
    doc = valid_profiles()
    doc["gpus"][0]["sources"] = {"power_w": "PLACEHOLDER"}
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump({"gpus": doc["gpus"]}, sort_keys=False).replace("PLACEHOLDER", '"see \\e]8;;http://x\\e\\\\"'))
    with pytest.raises(ProfileError) as e:
        catalog.load([path])
    assert e.value.problems[0].endswith("gpus[0].sources.power_w: control character '\\x1b' (U+001B) in text; remove it")
