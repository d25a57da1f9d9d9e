"""Profile, scenario and grid files as users write them: numbers with suffixes, `profiles validate` on scenario
and grid files, ids defined twice, control characters in text (issues #13 item 4, #14 item 5)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from llmcost import catalog, scenario
from llmcost.errors import ProfileError

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_scenario() -> str:
    """The README's scenario file example (the YAML block with `workload:`)."""
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(), re.S)
    return next(b for b in blocks if b.startswith("name:") and "workload:" in b)


# ------------------------------------------------------------------------------- numbers with suffixes

def test_the_readme_scenario_with_tokens_20m_runs(tmp_path: Path, cli) -> None:
    assert "tokens: 20M" in readme_scenario()
    path = tmp_path / "support.yaml"
    path.write_text(readme_scenario())
    assert scenario.resolve(catalog.load(), str(path)).lifecycle.finetune.tokens == 20e6
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
