"""Quality beside cost (issue #12): sourced scores or n/a with a reason for every built-in model and API, the
quality columns, --min-quality / options.min_quality, --vs cheapest-at-quality and the verdict's quality gap."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import run_main

import llmcost
from llmcost import catalog, comparison, quality, scenarios
from llmcost.schema import BENCHMARKS

PROFILES = Path(__file__).resolve().parent.parent / "profiles"



run = run_main


def _yaml_score(kind: str, entry_id: str, benchmark: str) -> float | None:
    """A score read straight from the profile file (not through llmcost)."""
    entries = yaml.safe_load((PROFILES / f"{kind}.yaml").read_text())[kind]
    entry = next(e for e in entries if e["id"] == entry_id)
    rec = next((q for q in entry.get("quality", []) if q["benchmark"] == benchmark), {})
    return rec.get("score")


# ---------------------------------------------------------------------------------------------- the data


@pytest.mark.parametrize("kind", ["models", "apis"])
def test_every_builtin_model_and_api_has_a_sourced_score_or_na_with_a_reason(cat, kind: str) -> None:
    """For each benchmark: a number with its source and date, or n/a with the profile's reason (never a default)."""
    problems = []
    for entry in cat.entries[kind].values():
        for bench in BENCHMARKS:
            s = quality.score(cat, entry, bench)
            if s.value is not None:
                ok = s.record is not None and bool(s.record.source) and bool(s.record.as_of) and 0 <= s.value <= 100
            else:
                ok = s.record is not None and bool(s.record.reason) and len(s.record.reason) > 20
            if not ok:
                problems.append((entry.id, bench))
    assert problems == []


def test_hosted_open_models_carry_their_models_scores(cat) -> None:
    hosts = [a for a in cat.entries["apis"].values() if a.serves_model]
    assert len(hosts) >= 10
    for api in hosts:
        for bench in BENCHMARKS:
            assert quality.score(cat, api, bench).value == quality.score(cat, cat.get("models", api.serves_model), bench).value


def test_headline_coverage_matches_the_research(cat) -> None:
    """docs/trends-and-quality.md: 22 of 46 models and 23 of 31 APIs have an MMLU-Pro score; 10 have neither benchmark."""
    def have(kind: str, bench: str) -> int:
        return sum(quality.score(cat, e, bench).value is not None for e in cat.entries[kind].values())

    assert (have("models", "MMLU-Pro"), have("apis", "MMLU-Pro")) == (22, 23)
    neither = [e.id for k in ("models", "apis") for e in cat.entries[k].values()
               if all(quality.score(cat, e, b).value is None for b in BENCHMARKS)]
    assert len(neither) == 10 and "anthropic/claude-haiku-4-5" in neither


# ---------------------------------------------------------------------------------------------- compare rows


def test_compare_rows_carry_the_served_models_and_the_apis_scores(cat) -> None:
    rows = comparison.compare(cat, scenarios.resolve(cat, "team-assistant")).rows()
    served = _yaml_score("models", "llama-3.1-8b", "MMLU-Pro")
    assert served == 48.3
    for r in rows:
        assert r["quality_benchmark"] == "MMLU-Pro"
        if r["kind"] in ("own", "rent"):
            assert r["quality_score"] == served
    by = {r["option"]: r for r in rows}
    assert by["api openai/gpt-4o-mini"]["quality_score"] == _yaml_score("apis", "openai/gpt-4o-mini", "MMLU-Pro")
    flash_lite = by["api google/gemini-2.5-flash-lite"]
    assert flash_lite["quality_score"] == "n/a" and "quality n/a: No published MMLU-Pro" in flash_lite["notes"]


def test_a_model_without_the_headline_score_is_compared_on_the_older_benchmark(cat) -> None:
    rows = comparison.compare(cat, scenarios.resolve(cat, "pretrain-from-scratch")).rows()
    assert {r["quality_benchmark"] for r in rows} == {"MMLU"}
    own = next(r for r in rows if r["kind"] == "own")
    assert own["quality_score"] == _yaml_score("models", "llama-7b", "MMLU") == 35.1


def test_verdict_says_when_the_cheaper_option_scores_materially_below_the_reference(cat) -> None:
    gap = cat.value("quality_material_gap_points")
    result = comparison.compare(cat, scenarios.resolve(cat, "team-assistant"))
    low, ref = 48.3, _yaml_score("apis", "openai/gpt-4o-mini", "MMLU-Pro")
    assert ref - low > gap
    assert f"score 48.3 on MMLU-Pro against {ref:g} for openai/gpt-4o-mini: {ref - low:.1f} points lower" in result.verdict
    level = comparison.compare(cat, scenarios.resolve(cat, "team-assistant"), vs="together/llama-3.1-8b")
    assert "points lower" not in level.verdict  # the same model hosted: no gap


# ---------------------------------------------------------------------------------------------- the floor


def test_min_quality_drops_options_below_the_floor_and_those_without_a_score(capsys, monkeypatch, cat) -> None:
    code, out, err = run(capsys, monkeypatch, "compare", "--min-quality", "50", "-f", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows and all(isinstance(r["quality_score"], float) and r["quality_score"] >= 50 for r in rows)
    every = comparison.compare(cat, scenarios.resolve(cat, "team-assistant")).rows()
    expected = [r["option"] for r in every if isinstance(r["quality_score"], float) and r["quality_score"] >= 50]
    assert [r["option"] for r in rows] == expected == ["api openai/gpt-4o-mini"]
    low = sum(1 for r in every if r["quality_score"] == 48.3)
    none = sum(1 for r in every if not isinstance(r["quality_score"], float))
    assert low + none + 1 == len(every) and low > 10 and none == 2
    assert f"Left out below the MMLU-Pro floor of 50: {low} scoring 48.3 and {none} without a score" in err


def test_min_quality_is_the_scenario_key_options_min_quality(capsys, monkeypatch) -> None:
    _, by_option, _ = run(capsys, monkeypatch, "compare", "--min-quality", "45", "-f", "json")
    _, by_key, _ = run(capsys, monkeypatch, "compare", "--set", "options.min_quality=45", "-f", "json")
    assert by_option == by_key
    rows = json.loads(by_key)
    assert any(r["kind"] == "own" for r in rows) and not any(r["quality_score"] == "n/a" for r in rows)
    assert json.loads(by_key) == llmcost.compare("team-assistant", min_quality=45).rows()


def test_breakeven_honours_the_floor(capsys, monkeypatch) -> None:
    code, out, _ = run(capsys, monkeypatch, "breakeven", "--min-quality", "45", "-f", "json")
    assert code == 0
    assert {r["api"] for r in json.loads(out)} == {"openai/gpt-4o-mini", "together/llama-3.1-8b", "fireworks/llama-3.1-8b",
                                                  "groq/llama-3.1-8b-instant"}


@pytest.mark.parametrize("argv", [["--min-quality", "99"], ["--min-quality", "101"], ["--set", "options.min_quality=-1"],
                                  ["--vs", "cheapest-at-quality", "--min-quality", "64"]])
def test_a_floor_nothing_clears_exits_2_with_one_line(argv: list[str], capsys, monkeypatch) -> None:
    code, out, err = run(capsys, monkeypatch, "compare", *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


# ---------------------------------------------------------------------------------------------- cheapest-at-quality


def _price_per_request(cat: catalog.Catalog, api_id: str, sc) -> float:
    api, w = cat.get("apis", api_id), sc.workload
    c = w.cached_input_share
    cached = api.cached_input_usd_per_mtok if api.cached_input_usd_per_mtok is not None else api.input_usd_per_mtok
    return (w.input_tokens * ((1 - c) * api.input_usd_per_mtok + c * cached) + w.output_tokens * api.output_usd_per_mtok) / 1e6


def _api_score(cat: catalog.Catalog, api_id: str) -> float | None:
    hosted = cat.get("apis", api_id).serves_model
    return _yaml_score("models", hosted, "MMLU-Pro") if hosted else _yaml_score("apis", api_id, "MMLU-Pro")


@pytest.mark.parametrize("floor", [None, 60.0])
def test_vs_cheapest_at_quality_is_the_cheapest_api_that_clears_the_floor(cat, floor: float | None) -> None:
    """Without --min-quality the floor is the served model's own score (an API at least as good as self-hosting)."""
    sc = scenarios.resolve(cat, "team-assistant", [] if floor is None else [f"options.min_quality={floor}"])
    bar = _yaml_score("models", "llama-3.1-8b", "MMLU-Pro") if floor is None else floor
    ids = [*sc.options.apis, *(a.id for a in cat.entries["apis"].values() if a.serves_model == "llama-3.1-8b")]
    clearing = [i for i in ids if (score := _api_score(cat, i)) is not None and score >= bar]
    expected = min(clearing, key=lambda i: _price_per_request(cat, i, sc))
    result = comparison.compare(cat, sc, vs=quality.CHEAPEST_AT_QUALITY)
    assert result.reference == expected == ("groq/llama-3.1-8b-instant" if floor is None else "openai/gpt-4o-mini")
    if floor is None:  # with the floor at 60 the 8B model's own and rent options are left out
        own = next(r for r in result.rows() if r["option"] == "own rtx-4090")
        direct = next(r for r in comparison.compare(cat, sc, vs=expected).rows() if r["option"] == "own rtx-4090")
        assert own["breakeven_tokens_per_day"] == direct["breakeven_tokens_per_day"]


def test_cheapest_at_quality_in_samples_and_sensitivity_is_resolved_once(cat) -> None:
    """Monte Carlo and the tornado measure against the API chosen at the point values, whatever the draws."""
    point = comparison.compare(cat, scenarios.resolve(cat, "team-assistant"), vs=quality.CHEAPEST_AT_QUALITY)
    sampled = llmcost.compare("team-assistant", vs=quality.CHEAPEST_AT_QUALITY, samples=50, catalog=cat)
    assert sampled.reference == point.reference == "groq/llama-3.1-8b-instant"
    assert llmcost.sensitivity("team-assistant", vs=quality.CHEAPEST_AT_QUALITY, catalog=cat).reference == point.reference


# ---------------------------------------------------------------------------------------------- profile validation


@pytest.mark.parametrize(("record", "message"), [
    ({"benchmark": "MMLU-Pro"}, "quality[0].reason: missing: say why there is no score"),
    ({"benchmark": "MMLU-Pro", "score": 50.0, "as_of": "2025-01-01"}, "quality[0].source: missing: a score needs its source"),
    ({"benchmark": "MMLU Pro", "reason": "x"}, "did you mean 'MMLU-Pro'?"),
    ({"benchmark": "MMLU", "score": 101, "as_of": "2025-01-01", "source": "x"}, "quality[0].score: expected a number"),
])
def test_a_bad_quality_record_is_one_line_with_file_and_line(tmp_path: Path, record: dict, message: str, capsys, monkeypatch) -> None:
    from conftest import VALID_PROFILES

    model = {**VALID_PROFILES["models"][0], "quality": [record]}
    path = tmp_path / "models.yaml"
    path.write_text(yaml.safe_dump({"models": [model]}))
    code, out, err = run(capsys, monkeypatch, "profiles", "validate", str(path))
    assert code == 2
    assert message in err and f"{path}:" in err
