"""compare and breakeven: golden outputs, the closed forms against the monthly curves, the gate grammar."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import run_main

from llmcost import catalog, comparison, gate, options, scenarios
from llmcost.engine import lifecycle
from llmcost.errors import LlmcostError

GOLDEN = Path(__file__).parent / "golden"
SCENARIOS = ("team-assistant", "batch-summarise")
FORMATS = ("table", "csv", "json", "markdown")



run = run_main


@pytest.mark.parametrize("command", ["compare", "breakeven"])
@pytest.mark.parametrize("scenario_id", SCENARIOS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_golden_output(command: str, scenario_id: str, fmt: str, capsys, monkeypatch) -> None:
    """Full outputs, colour off; regenerate with LLMCOST_REGENERATE_GOLDEN=1 after a deliberate change."""
    code, out, err = run(capsys, monkeypatch, command, "-s", scenario_id, "-f", fmt)
    assert code == 0, err
    path = GOLDEN / f"{command}-{scenario_id}.{ {'table': 'txt', 'markdown': 'md'}.get(fmt, fmt) }"
    if os.environ.get("LLMCOST_REGENERATE_GOLDEN"):
        path.write_text(out)
    assert out == path.read_text()


def test_csv_and_json_carry_the_same_rows(capsys, monkeypatch) -> None:
    import csv
    import io

    _, out_csv, _ = run(capsys, monkeypatch, "compare", "-f", "csv")
    _, out_json, _ = run(capsys, monkeypatch, "compare", "-f", "json")
    table = list(csv.DictReader(io.StringIO(out_csv)))
    rows = json.loads(out_json)
    assert [list(r) for r in table] == [list(r) for r in rows]
    assert list(rows[0]) == list(comparison.ROW_KEYS)
    for t, j in zip(table, rows, strict=False):
        for key, value in j.items():
            if isinstance(value, bool):
                assert t[key] == str(value).lower()
            elif isinstance(value, (int, float)):
                assert float(t[key]) == pytest.approx(value, rel=1e-12)
            else:
                assert t[key] == value


FLAT = ["economics.api_price_decline_per_year=0", "economics.rental_price_decline_per_year=0",
        "economics.gpu_price_decline_per_year=0"]
"""Flat prices: the closed forms below hold month by month only without price trends (tests/test_trends.py
checks the trending curves)."""


def _own_row(cat: catalog.Catalog, sets: list[str], label: str = "own rtx-3090") -> dict:
    sc = scenarios.resolve(cat, "team-assistant", sets)
    result = comparison.compare(cat, sc)
    return next(r for r in result.rows() if r["option"] == label), result


def test_at_breakeven_volume_own_and_api_monthly_costs_are_equal(cat) -> None:
    """Break-even (closed form) against the monthly model: at V* the owned option and the API cost the same."""
    row, _ = _own_row(cat, FLAT)
    v = row["breakeven_tokens_per_day"]
    assert isinstance(v, float)
    per_request = 1500 + 400
    at, result = _own_row(cat, [*FLAT, f"workload.requests_per_day={v / per_request!r}"])
    api = next(r for r in result.rows() if r["option"] == "api openai/gpt-4o-mini")
    assert at["monthly_usd"] == pytest.approx(api["monthly_usd"], rel=1e-9)
    below, result = _own_row(cat, [*FLAT, f"workload.requests_per_day={0.9 * v / per_request!r}"])
    api = next(r for r in result.rows() if r["option"] == "api openai/gpt-4o-mini")
    assert below["monthly_usd"] > api["monthly_usd"]


@pytest.mark.parametrize(("sets", "label"), [([*FLAT, "workload.requests_per_day=30000"], "own rtx-3090"),
                                             (["workload.requests_per_day=150000", "economics.api_price_decline_per_year=0.5"],
                                              "own rtx-4090")], ids=["flat", "trends"])
def test_payback_month_is_where_cumulative_curves_cross(cat, sets: list[str], label: str) -> None:
    """At the payback month the cumulative cash cost of owning equals the reference API's (with the default
    price trends too: the API's curve then falls month by month)."""
    row, result = _own_row(cat, sets, label)
    months = row["payback_months"]
    assert 0 < months < 36
    sc = scenarios.resolve(cat, "team-assistant", sets)
    x = _inputs_for(cat, sc, label)
    flows = lifecycle.monthly_costs(x, 36)
    own = np.concatenate([[0.0], np.cumsum(flows["capex_usd"][0] + flows["opex_usd"][0])])
    api = np.concatenate([[0.0], np.cumsum(flows["api_reference_usd"][0])])
    k = int(months)
    frac = months - k
    own_at = own[k] + flows["capex_usd"][0][k] * (frac > 0) + frac * flows["opex_usd"][0][k]
    api_at = api[k] + frac * flows["api_reference_usd"][0][k]
    assert own_at == pytest.approx(api_at, rel=1e-9)
    assert own[k] + flows["capex_usd"][0][k] > api[k]  # not yet paid back at the start of that month


def test_constant_volume_payback_equals_closed_form(cat) -> None:
    sets = [*FLAT, "workload.requests_per_day=30000"]
    row, _ = _own_row(cat, sets)
    sc = scenarios.resolve(cat, "team-assistant", sets)
    x = _inputs_for(cat, sc, "own rtx-3090")
    flows = lifecycle.monthly_costs(x, 36)
    capex = flows["capex_usd"][0].sum()
    saving = flows["api_reference_usd"][0][0] - flows["opex_usd"][0][0]
    assert row["payback_months"] == pytest.approx(capex / saving, rel=1e-9)


def _inputs_for(cat: catalog.Catalog, sc, label: str) -> dict:
    """The lifecycle engine's inputs for one option, as the compare pipeline builds them."""
    opt = next(o for o in options.build(cat, sc) if o.label() == label)
    return comparison.evaluate(cat, sc, [opt], vs=sc.options.apis[0]).x


def test_more_volume_never_lowers_api_cost_and_growth_adds_replicas(cat) -> None:
    base, _ = _own_row(cat, ["workload.requests_per_day=200000"])
    grown = comparison.compare(cat, scenarios.resolve(cat, "team-assistant", ["workload.requests_per_day=200000",
                                                                           "workload.monthly_growth=0.1"]))
    row = next(r for r in grown.rows() if r["option"] == "own rtx-3090")
    assert row["tco_usd"] > base["tco_usd"]


def test_model_that_does_not_fit_is_a_state_not_a_cost(capsys, monkeypatch) -> None:
    code, out, _ = run(capsys, monkeypatch, "compare", "--model", "llama-3.1-405b", "--gpu", "1xrtx-4090", "-f", "json")
    assert code == 0
    rows = json.loads(out)
    own = next(r for r in rows if r["kind"] == "own")
    assert own["fits"] is False and own["tco_usd"] == "does not fit" and own["payback_months"] == "does not fit"


def test_fail_if_gate_exits_1_and_names_rows(capsys, monkeypatch) -> None:
    code, _, err = run(capsys, monkeypatch, "compare", "-f", "csv", "--set", "economics.api_price_decline_per_year=0",
                       "--fail-if", 'kind == "own" and payback_months > 18')
    assert code == 1
    assert "own rtx-3090" in err
    code, _, _ = run(capsys, monkeypatch, "compare", "-f", "csv", "--fail-if", 'kind == "own" and monthly_usd > 100000')
    assert code == 0


@pytest.mark.parametrize("bad", ["payback_months >", "bogus_key > 1", "payback_months ~ 3", "__import__('os')",
                                 "payback_months > 1 and", "(payback_months > 1", "kind == own or", "kind == own"])
def test_gate_rejects_anything_but_comparisons(bad: str, capsys, monkeypatch) -> None:
    code, out, err = run(capsys, monkeypatch, "compare", "-f", "csv", "--fail-if", bad)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_gate_semantics() -> None:
    keys = ["kind", "payback_months", "fits"]
    p = gate.parse('kind == "own" and (payback_months > 18 or payback_months == "never")', keys)
    assert p({"kind": "own", "payback_months": "never"})
    assert p({"kind": "own", "payback_months": 20})
    assert not p({"kind": "own", "payback_months": 3})
    assert not p({"kind": "api", "payback_months": "n/a"})
    assert not gate.parse("payback_months > 1", keys)({"payback_months": "n/a"})
    assert gate.parse("fits == false", keys)({"fits": False})
    with pytest.raises(LlmcostError, match="did you mean 'payback_months'"):
        gate.parse("payback_month > 1", keys)


def test_unknown_ids_and_bad_sets_exit_2(capsys, monkeypatch) -> None:
    for argv in (["compare", "--model", "llama-7"], ["compare", "-g", "2xrtx-409"], ["compare", "--set", "workload.requests_per_dya=5"],
                 ["compare", "--set", "workload.requests_per_day=lots"], ["compare", "-s", "nope"], ["compare", "--vs", "openai/gpt-9"]):
        code, out, err = run(capsys, monkeypatch, *argv)
        assert code == 2, argv
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_every_builtin_scenario_runs_without_nan(cat) -> None:
    for sid in cat.entries["scenarios"]:
        result = comparison.compare(cat, scenarios.resolve(cat, sid))
        for r in result.rows():
            for v in r.values():
                assert not (isinstance(v, float) and not np.isfinite(v)), (sid, r)
        assert result.verdict


def test_terminal_charts_show_both_curves(capsys, monkeypatch) -> None:
    code, out, _ = run(capsys, monkeypatch, "compare", "--chart")
    assert code == 0
    assert "cumulative cost, USD" in out and "crossings are break-even points" in out
    code, out, err = run(capsys, monkeypatch, "compare", "--chart", "-f", "csv")
    assert code == 0 and "cumulative cost" in err and "cumulative cost" not in out


def test_plot_writes_an_image_or_says_what_to_install(tmp_path: Path, capsys, monkeypatch) -> None:
    target = tmp_path / "charts.png"
    code, out, err = run(capsys, monkeypatch, "compare", "--plot", str(target))
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert code == 2 and out == "" and "pip install 'llmcost[plot]'" in err
        return
    assert code == 0 and target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = run(capsys, monkeypatch, "compare", "--plot", str(tmp_path / "charts.gif"))
    assert code == 2 and ".png or .svg" in err
