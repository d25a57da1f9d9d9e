"""Uncertainty: range syntax and validation, the four distributions, Monte Carlo with common random numbers,
the vectorised sampled path against point compares, and the tornado."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

from llmcost import catalog, comparison, scenarios, uncertainty
from llmcost.catalog import Catalog
from llmcost.schema import Z90, Bounds, Problems, Uncertain, parse_range

N = 200_000



def fixed(cat: Catalog) -> Catalog:
    """The catalog with every assumption range taken away (nothing uncertain unless a test says so)."""
    plain = {n: dataclasses.replace(a, range=None, range_rationale=None) for n, a in cat.assumptions.items()}
    return Catalog(entries=cat.entries, assumptions=plain, where=cat.where)


def zero_width(cat: Catalog) -> Catalog:
    """Every assumption range collapsed onto its value."""
    out = {n: dataclasses.replace(a, range=Uncertain.of("triangular", {"low": a.value, "mode": a.value, "high": a.value}))
           if a.range is not None else a for n, a in cat.assumptions.items()}
    return Catalog(entries=cat.entries, assumptions=out, where=cat.where)


# ---------------------------------------------------------------------------------------------- distributions


def _ok(samples: np.ndarray, q: float, expected: float, rel: float = 0.01) -> None:
    assert float(np.quantile(samples, q)) == pytest.approx(expected, rel=rel), q


def test_triangular_samples_match_their_quantiles() -> None:
    low, mode, high = 0.1, 0.15, 0.35
    u = Uncertain.of("triangular", {"low": low, "mode": mode, "high": high})
    s = uncertainty.draw(u, N, 7, "x")
    assert s.min() >= low and s.max() <= high
    split = (mode - low) / (high - low)
    for q in (0.1, 0.5, 0.9):  # inverse CDF of the triangular distribution
        x = low + math.sqrt(q * (high - low) * (mode - low)) if q < split else high - math.sqrt((1 - q) * (high - low) * (high - mode))
        _ok(s, q, x)
    assert float(u) == mode and s.mean() == pytest.approx((low + mode + high) / 3, rel=0.005)


def test_uniform_samples_match_their_quantiles() -> None:
    u = Uncertain.of("uniform", {"low": 1000.0, "high": 5000.0})
    s = uncertainty.draw(u, N, 7, "x")
    for q in (0.1, 0.5, 0.9):
        _ok(s, q, 1000 + q * 4000)
    assert float(u) == 3000.0


def test_normal_samples_match_mean_and_sd() -> None:
    u = Uncertain.of("normal", {"mean": 50.0, "sd": 10.0}, lower=0.0)
    s = uncertainty.draw(u, N, 7, "x")
    assert s.mean() == pytest.approx(50, rel=0.005) and s.std() == pytest.approx(10, rel=0.01)
    _ok(s, 0.1, 50 - Z90 * 10)
    _ok(s, 0.9, 50 + Z90 * 10)
    assert (u.low, u.high) == pytest.approx((50 - Z90 * 10, 50 + Z90 * 10))


def test_normal_is_truncated_to_the_fields_range() -> None:
    u = Uncertain.of("normal", {"mean": 0.9, "sd": 0.2}, lower=0.0, upper=1.0)
    s = uncertainty.draw(u, N, 7, "x")
    assert s.min() >= 0.0 and s.max() <= 1.0
    assert (s > 0.95).mean() > 0.1  # truncated, not clipped onto the bound
    assert (s == 1.0).mean() < 0.001


def test_lognormal_samples_match_p10_and_p90() -> None:
    u = Uncertain.of("lognormal", {"p10": 2.0, "p90": 18.0}, lower=0.0, lower_open=True)
    s = uncertainty.draw(u, N, 7, "x")
    _ok(s, 0.1, 2.0)
    _ok(s, 0.9, 18.0)
    _ok(s, 0.5, 6.0)
    assert float(u) == pytest.approx(6.0) and s.min() > 0


def test_draws_are_reproducible_and_independent_of_other_inputs() -> None:
    a = Uncertain.of("uniform", {"low": 0.0, "high": 1.0})
    b = Uncertain.of("normal", {"mean": 5.0, "sd": 1.0})
    both = uncertainty.draws({"a": a, "b": b}, 1000, 3)
    alone = uncertainty.draws({"a": a}, 1000, 3)
    assert np.array_equal(both["a"], alone["a"])
    assert np.array_equal(uncertainty.draws({"a": a}, 1000, 3)["a"], alone["a"])
    assert not np.array_equal(uncertainty.draws({"a": a}, 1000, 4)["a"], alone["a"])
    # the first draws of a stream do not depend on how many are drawn
    assert np.array_equal(uncertainty.draws({"b": b}, 10, 3)["b"], both["b"][:10])


def test_percentiles_count_never_as_a_state() -> None:
    v = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, np.inf, np.inf]])
    ok = np.ones_like(v, dtype=bool)
    assert uncertainty.quantile_cells(v, ok, 0.5, True) == [5]
    assert uncertainty.quantile_cells(v, ok, 0.8, True) == [8]  # exactly 20% never: P80 is still a number
    assert uncertainty.quantile_cells(v, ok, 0.9, True) == ["never"]  # 20% never > 10%
    ok[0, :6] = False
    assert uncertainty.quantile_cells(v, ok, 0.5, True) == ["does not fit"]


# ---------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize("body, message", [
    ({"low": 5, "mode": 3, "high": 6}, "expected low <= mode <= high"),
    ({"low": 5, "high": 1}, "expected low <= high"),
    ({"mean": 5, "sd": 0}, "sd must be > 0"),
    ({"p10": 9, "p90": 3}, "expected 0 < p10 < p90"),
    ({"low": 1, "mean": 3}, "a range is {low, mode, high}"),
    ({"low": "a", "high": 3}, "expected a number"),
])
def test_parse_range_rejects_bad_ranges(body: dict, message: str) -> None:
    out = Problems("f.yaml")
    assert parse_range(body, Bounds("tokens", ge=0.0), (4, "scenario.workload.x"), out) is None
    assert out.lines and out.lines[0].startswith("f.yaml:4: scenario.workload.x") and message in out.lines[0], out.lines


BAD_SCENARIO = """\
workload:
  requests_per_day: 3000
  input_tokens: 1500
  output_tokens: 400
  cached_input_share: {low: 0.2, mode: 0.5, high: 1.5}
serving: {model: llama-3.1-8b, quantization: awq-int4, engine: vllm}
options: {gpus: [rtx-3090], apis: [openai/gpt-4o-mini]}
"""


@pytest.mark.parametrize("replace, message", [
    ("{low: 0.2, mode: 0.5, high: 1.5}", "workload.cached_input_share.high: 1.5 is outside the valid range (>= 0 and <= 1)"),
    ("{low: 0.6, mode: 0.5, high: 0.7}", "workload.cached_input_share: expected low <= mode <= high"),
    ("{mean: 0.5, sd: -1}", "workload.cached_input_share: sd must be > 0"),
    ("{p10: 0.5, p90: 0.5}", "workload.cached_input_share: expected 0 < p10 < p90"),
])
def test_bad_ranges_in_a_scenario_file_exit_2(replace: str, message: str, tmp_path: Path, cli, monkeypatch) -> None:
    monkeypatch.delenv("LLMCOST_PROFILES", raising=False)
    f = tmp_path / "bad.yaml"
    f.write_text(BAD_SCENARIO.replace("{low: 0.2, mode: 0.5, high: 1.5}", replace))
    code, out, err = cli("compare", "-s", str(f), "--samples", "10")
    assert code == 2 and out == ""
    assert f"{f}:5: scenario." in err and message in err and "Traceback" not in err


def test_bad_assumption_ranges_in_a_profile_exit_2(tmp_path: Path, cli, monkeypatch) -> None:
    monkeypatch.delenv("LLMCOST_PROFILES", raising=False)
    (tmp_path / "a.yaml").write_text(
        "assumptions:\n"
        "  pue: {value: 1.2, rationale: r, source: s, range: {low: 0.9, mode: 1.2, high: 1.4}, range_rationale: why}\n"
        "  resale_fraction: {value: 0.3, rationale: r, source: s, range: {low: 0.1, mode: 0.2, high: 0.5}, range_rationale: why}\n"
        "  colocation_usd_per_kw_month: {value: 195, rationale: r, source: s, range: {low: 166, mode: 195, high: 217}}\n")
    code, _, err = cli("profiles", "validate", str(tmp_path))
    assert code == 2
    assert "a.yaml:2: assumptions.pue.range.low: 0.9 is outside the valid range (>= 1 and <= 100)" in err
    assert "a.yaml:3: assumptions.resale_fraction.range: the range's mode 0.2 must equal value 0.3" in err
    assert "a.yaml:4: assumptions.colocation_usd_per_kw_month.range_rationale: missing" in err


@pytest.mark.parametrize("item", ["economics.resale_fraction=0.5..0.2", "economics.resale_fraction=0.5..1.5",
                                  "workload.requests_per_day=1..2..3..4", "assumptions.pue=0.5..1.5"])
def test_bad_set_ranges_exit_2(item: str, cli, monkeypatch) -> None:
    monkeypatch.delenv("LLMCOST_PROFILES", raising=False)
    code, out, err = cli("compare", "--set", item, "--samples", "10")
    assert code == 2 and out == "" and err.startswith("llmcost: error: --set") and "Traceback" not in err


def test_set_range_is_uniform_and_point_commands_use_its_median(cat) -> None:
    sc = scenarios.resolve(cat, None, ["workload.requests_per_day=1000..5000", "economics.resale_fraction=0.1..0.2..0.5"])
    assert isinstance(sc.workload.requests_per_day, Uncertain) and float(sc.workload.requests_per_day) == 3000
    assert sc.workload.requests_per_day.dist == "uniform" and sc.economics.resale_fraction.dist == "triangular"
    assert float(sc.economics.resale_fraction) == 0.2
    ranged = uncertainty.uncertain_inputs(cat, sc)
    assert "workload.requests_per_day" in ranged and "assumptions.resale_fraction" not in ranged  # the scenario's wins


def test_builtin_assumption_ranges_are_centred_on_their_values(cat) -> None:
    ranged = [n for n, a in cat.assumptions.items() if a.range is not None]
    assert len(ranged) >= 5
    for n in ranged:
        a = cat.assumptions[n]
        assert float(a.range) == a.value and a.range_rationale and a.range.low <= a.value <= a.range.high


# ---------------------------------------------------------------------------------------------- Monte Carlo


@pytest.mark.parametrize("scenario_id", ["team-assistant", "finetune-startup", "batch-summarise", "rag-chatbot"])
def test_zero_width_ranges_give_the_point_estimate_exactly(scenario_id: str, cat) -> None:
    c = zero_width(cat)
    sc = scenarios.resolve(c, scenario_id, ["workload.requests_per_day=7000..7000", "workload.output_tokens=300..300..300"])
    point = comparison.compare(c, sc)
    mc = uncertainty.compare_uncertain(c, sc, 64, seed=5)
    assert len(uncertainty.uncertain_inputs(c, sc)) >= 5
    for p, r in zip(point.rows(), mc.rows(), strict=True):
        for m in uncertainty.METRICS:
            assert r[m] == p[m]
            for q in ("p10", "p50", "p90"):
                assert r[f"{m}_{q}"] == p[m], (r["option"], m, q)


def _values_at(ranged: dict, **at: float) -> dict:
    return {k: np.array([at.get(k.split(".")[-1], float(u))]) for k, u in ranged.items()}


@pytest.mark.parametrize("scenario_id", ["team-assistant", "finetune-startup", "solo-coder"])
def test_sampled_path_equals_point_compares_at_the_same_values(scenario_id: str, cat) -> None:
    """One sample with inputs away from their mode costs the same as a point compare with those values set."""
    at = {"electricity_usd_per_kwh": 0.31, "resale_fraction": 0.21, "peak_to_average": 3.7, "usable_memory_fraction": 0.86,
          "mfu_single_gpu": 0.5, "link_efficiency_pcie_host": 0.5, "requests_per_day": 4321.0, "input_tokens": 1800.0,
          "output_tokens": 350.0}
    sc = scenarios.resolve(cat, scenario_id, ["workload.requests_per_day=1000..9000", "workload.input_tokens=1000..2000",
                                            "workload.output_tokens=200..500"])
    ranged = uncertainty.uncertain_inputs(cat, sc)
    sim = uncertainty.simulate(cat, sc, _values_at(ranged, **at), 1)
    c2 = cat
    for k in ranged:
        name = k.split(".")[-1]
        if k.startswith("assumptions.") and name in at:
            c2 = catalog.with_assumption(c2, name, at[name])
    sc2 = scenarios.resolve(c2, scenario_id, [f"workload.{k}={at[k]:g}" for k in ("requests_per_day", "input_tokens", "output_tokens")])
    point = comparison.compare(c2, sc2)
    for i, row in enumerate(point.rows()):
        for m in ("monthly_usd", "tco_usd", "payback_months", "breakeven_tokens_per_day"):
            want, got = row[m], sim.results[m][i, 0]
            if isinstance(want, str):
                assert not sim.fits[i, 0] if want == "does not fit" else math.isinf(got) or want == "n/a", (row["option"], m)
            else:
                assert got == pytest.approx(want, rel=1e-9), (row["option"], m)


def test_duplicated_option_gets_identical_draws_and_results(cat) -> None:
    sc = scenarios.resolve(cat, None, ["options.gpus=rtx-3090,rtx-3090", "options.rentals=", "workload.requests_per_day=2000..20000"])
    mc = uncertainty.compare_uncertain(cat, sc, 500, seed=11)
    a, b = [r for r in mc.rows() if r["option"] == "own rtx-3090"]
    assert a == b
    assert a["tco_usd_p10"] != a["tco_usd_p90"]  # the inputs do vary
    sim = uncertainty.simulate(cat, sc, uncertainty.draws(uncertainty.uncertain_inputs(cat, sc), 500, 11), 500)
    for key in sim.results:
        assert np.array_equal(sim.results[key][0], sim.results[key][1], equal_nan=True)


def test_common_random_numbers_make_option_differences_exact(cat) -> None:
    """Two own options differ only in the GPU: with the same draws, the rtx-3090 is cheaper in every sample
    where it is cheaper at the mode of a one-sided input, and p_cheaper is a proper probability."""
    sc = scenarios.resolve(cat, None, ["economics.api_price_decline_per_year=0"])  # flat API prices: serverless always wins
    mc = uncertainty.compare_uncertain(cat, sc, 300, seed=2)
    for r in mc.rows():
        if r["kind"] == "api":
            assert r["p_cheaper_than_api"] == "n/a" and r["payback_months_p50"] == "n/a"
        else:
            assert 0 <= r["p_cheaper_than_api"] <= 1
    serverless = next(r for r in mc.rows() if "serverless" in r["option"])
    assert serverless["p_cheaper_than_api"] == 0  # billed as the provider bills, a quiet worker never beats gpt-4o-mini


def test_same_seed_same_output_and_csv_json_keys_agree(cli, monkeypatch) -> None:
    monkeypatch.delenv("LLMCOST_PROFILES", raising=False)
    _, a, _ = cli("compare", "--samples", "300", "--seed", "9", "-f", "json")
    _, b, _ = cli("compare", "--samples", "300", "--seed", "9", "-f", "json")
    _, c, _ = cli("compare", "--samples", "300", "--seed", "10", "-f", "json")
    _, d, _ = cli("compare", "--samples", "300", "--seed", "9", "-f", "csv")
    assert a == b and a != c
    rows = json.loads(a)
    assert list(rows[0]) == list(uncertainty.MC_KEYS)
    table = list(csv.DictReader(io.StringIO(d)))
    assert [list(r) for r in table] == [list(r) for r in rows]
    for key in ("tco_usd_p10", "tco_usd_p50", "tco_usd_p90", "payback_months_p90", "p_cheaper_than_api"):
        assert key in rows[0]


def test_breakeven_with_samples_and_gate(cli, monkeypatch) -> None:
    monkeypatch.delenv("LLMCOST_PROFILES", raising=False)
    code, out, err = cli("breakeven", "--samples", "200", "-f", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert {"breakeven_tokens_per_day_p10", "payback_months_p90", "p_cheaper_than_api", "api"} <= set(rows[0])
    assert len({r["api"] for r in rows}) > 1
    code, _, err = cli("compare", "--samples", "200", "--fail-if", 'kind == "own" and payback_months_p50 > 18')
    assert code == 1 and "matched" in err
    for fmt in ("table", "markdown", "csv"):
        assert cli("compare", "--samples", "50", "-f", fmt)[0] == 0
        assert cli("breakeven", "--samples", "50", "-f", fmt)[0] == 0


# ---------------------------------------------------------------------------------------------- tornado


def test_tornado_swing_ordering_on_a_constructed_case(cat) -> None:
    """Four scenario ranges with known effects on TCO; the tornado's ends equal point compares at each end,
    and rows come out by swing. The prompt-cache share moves the own option too: vLLM's prefix cache skips
    the cached prefill, which changes the replica's utilisation and so its energy."""
    c = fixed(cat)
    sets = ["economics.electricity_usd_per_kwh=0.1..0.15..0.2", "economics.resale_fraction=0.05..0.3..0.6",
            "economics.ops_usd_per_month=0..10..200", "workload.cached_input_share=0.2..0.3..0.4"]
    sc = scenarios.resolve(c, None, sets)
    t = uncertainty.tornado(c, sc, "own rtx-3090", "tco_usd")
    expected = {}
    for item in sets:
        key, _, text = item.partition("=")
        low, _, high = text.split("..")
        ends = []
        for v in (low, high):
            row = next(r for r in comparison.compare(c, scenarios.resolve(c, None, [*sets, f"{key}={v}"])).rows()
                       if r["option"] == "own rtx-3090")
            ends.append(row["tco_usd"])
        expected[key] = ends
    assert [r["input"] for r in t.rows()] == sorted(expected, key=lambda k: -abs(expected[k][1] - expected[k][0]))
    for r in t.rows():
        assert [r["tco_usd_at_low"], r["tco_usd_at_high"]] == pytest.approx(expected[r["input"]], rel=1e-12)
        assert r["tco_usd_swing"] == pytest.approx(abs(expected[r["input"]][1] - expected[r["input"]][0]), rel=1e-12)
    assert t.no_effect == []


def test_tornado_never_end_sorts_first_and_cli(cli, monkeypatch) -> None:
    monkeypatch.delenv("LLMCOST_PROFILES", raising=False)
    code, out, err = cli("sensitivity", "-f", "json", "--set", "economics.api_price_decline_per_year=0",  # flat API prices
                         "--set", "workload.requests_per_day=30000")
    assert code == 0, err
    rows = json.loads(out)
    assert rows[0]["input"] == "assumptions.ops_hours_per_month" and rows[0]["payback_months_swing"] == "unbounded"
    code, out, _ = cli("sensitivity", "--metric", "tco_usd", "--chart", "--option", "rtx-4090")
    assert code == 0 and "own rtx-4090" in out and "|" in out
    assert cli("sensitivity", "--metric", "bogus")[0] == 2
    assert cli("sensitivity", "--option", "nope")[0] == 2


def test_default_sensitivity_shows_tco_when_no_input_moves_a_payback_that_is_never(cli, cat) -> None:
    """team-assistant's cheapest own option never pays back at any end of any range: a tornado of payback would be
    empty, so the default shows what moves its TCO and says why; --metric payback_months still lists nothing."""
    sc = scenarios.resolve(cat, "team-assistant")
    asked = uncertainty.tornado(cat, sc, metric="payback_months")
    assert asked.base == "never" and len(asked.table) == 0 and asked.instead_of == ""
    default = uncertainty.tornado(cat, sc)
    assert (default.metric, default.instead_of) == ("tco_usd", "payback_months") and len(default.table) > 0
    assert default.rows() == uncertainty.tornado(cat, sc, metric="tco_usd").rows()
    code, out, err = cli("sensitivity", "-f", "json")
    assert code == 0 and json.loads(out) == default.rows()
    assert err.splitlines()[-1].startswith("payback_months of own rtx-3090 vs openai/gpt-4o-mini is never with every input "
                                           "at its mode and at either end of each range, so this shows what moves tco_usd")
