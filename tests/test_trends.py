"""Price trends in the lifecycle (issue #12): every trending figure recomputed by hand, month by month, from the
profile values and the formula in docs/trends-and-quality.md; the verdict, chart, Monte Carlo and bounds."""

from __future__ import annotations

import json
import math

import pytest
from conftest import run_main

import llmcost
from llmcost import catalog, comparison, scenarios, uncertainty
from llmcost.engine import lifecycle

DAYS_PER_MONTH = 730 / 24  # DESIGN.md: a month is 730 hours



run = run_main


def _row(cat: catalog.Catalog, sets: list[str], option: str, scenario: str = "team-assistant") -> dict:
    result = comparison.compare(cat, scenarios.resolve(cat, scenario, sets))
    return next(r for r in result.rows() if r["option"] == option)


# ---------------------------------------------------------------------------------------------- TCO by hand


def test_api_tco_is_the_sum_of_monthly_costs_falling_by_the_rate(cat) -> None:
    """economics.api_price_decline_per_year = 0.9: month m pays 0.1^(m/12) of today's price, 36 months summed."""
    sc = scenarios.resolve(cat, "team-assistant", ["economics.api_price_decline_per_year=0.9"])
    row = _row(cat, ["economics.api_price_decline_per_year=0.9"], "api openai/gpt-4o-mini")
    api, w = cat.get("apis", "openai/gpt-4o-mini"), sc.workload
    c = w.cached_input_share
    per_request = (w.input_tokens * ((1 - c) * api.input_usd_per_mtok + c * api.cached_input_usd_per_mtok)
                   + w.output_tokens * api.output_usd_per_mtok) / 1e6
    month0 = w.requests_per_day * DAYS_PER_MONTH * per_request
    expected = sum(month0 * (1 - 0.9) ** (m / 12) for m in range(36))
    assert row["tco_usd"] == pytest.approx(expected, rel=1e-12)
    assert row["monthly_usd"] == pytest.approx(month0, rel=1e-12)  # month one is today's price
    assert expected < month0 * 36 / 5  # the trend matters: a tenth of the price after a year


def test_rental_tco_is_the_sum_of_monthly_rates_falling_by_the_rate(cat) -> None:
    offer = cat.get("rentals", "runpod/rtx-3090-community")
    row = _row(cat, ["economics.rental_price_decline_per_year=0.9"], "rent runpod/rtx-3090-community")
    assert row["replicas"] == 1
    expected = sum(offer.gpus_per_instance * offer.usd_per_gpu_hour * 730 * 0.1 ** (m / 12) for m in range(36))
    assert row["tco_usd"] == pytest.approx(expected, rel=1e-12)


def test_gpu_trend_lowers_the_resale_value_of_the_card_sold_at_the_horizon(cat) -> None:
    """One RTX 3090 bought in month 0 and sold after 36 months (= its lifetime): it fetches resale_fraction of the
    market price then, 0.1^3 of today's for the GPU, while the host keeps its book value; running costs are equal."""
    sets = ["economics.api_price_decline_per_year=0", "economics.rental_price_decline_per_year=0"]
    flat = _row(cat, [*sets, "economics.gpu_price_decline_per_year=0"], "own rtx-3090")
    trend = _row(cat, [*sets, "economics.gpu_price_decline_per_year=0.9"], "own rtx-3090")
    gpu = cat.get("gpus", "rtx-3090")
    resale = cat.value("resale_fraction")  # consumer card, lifetime = horizon = 36 months (profiles/assumptions.yaml)
    assert trend["replicas"] == 1 and cat.value("lifetime_months") == cat.value("horizon_months") == 36
    assert trend["tco_usd"] - flat["tco_usd"] == pytest.approx(gpu.price_usd * resale * (1 - 0.1 ** 3), rel=1e-9)
    assert trend["capex_usd"] == flat["capex_usd"] == gpu.price_usd + cat.get("hosts", trend["host"]).price_usd


def _own_x(**over: float) -> dict:
    """Lifecycle inputs of one owned option with no running costs, so TCO is purchases less resale."""
    x = dict(kind=lifecycle.OWN, requests_per_day=86400 * 0.9, tokens_per_request=1000, peak_to_average=1, monthly_growth=0.1,
             horizon_months=36, capacity_rps=1.0, gpus_per_replica=1, unit_capex_usd=3000, gpu_capex_usd=1600,
             resale_fraction=0.3, lifetime_months=36, idle_w=0, busy_extra_w=0, pue=1, electricity_usd_per_kwh=0,
             upkeep_usd_per_month=0, rent_usd_per_gpu_hour=0, gpus_per_instance=1, serverless=False, api_usd_per_request=0,
             ref_api_usd_per_request=0.01, one_time_usd=0, periodic_usd=0, period_months=0, discount_rate=0,
             ref_one_time_usd=0, ref_periodic_usd=0, start_months=0, min_workers=0, latency_s=0, latency_slope_s=0,
             capacity_latency_s=0, idle_timeout_s=0, cold_start_s=0,
             api_price_decline_per_year=0.9, rental_price_decline_per_year=0, gpu_price_decline_per_year=0.9)
    x.update(over)
    return {k: [v] for k, v in x.items()}


@pytest.mark.parametrize("decline", [0.0, 0.9, 0.2, -0.5])
def test_replicas_bought_later_pay_the_market_price_of_their_month_and_resell_at_the_horizons(decline: float) -> None:
    """Volume grows 10% a month, so replicas are bought in later months: each pays host + GPU x (1-d)^(m/12), and at
    the horizon each fetches (host + GPU x (1-d)^(36/12)) x its book share (linear to the resale fraction)."""
    x = _own_x(gpu_price_decline_per_year=decline)
    host, gpu, resale, life, horizon = 3000 - 1600, 1600, 0.3, 36, 36
    installed, paid, resold, bought = 0, 0.0, 0.0, []
    for m in range(horizon):
        need = max(1, math.ceil(86400 * 0.9 * 1.1 ** m / 86400 / 1.0 - 1e-9))
        new = max(0, need - installed)
        installed = max(installed, need)
        if new:
            bought.append(m)
        paid += new * (host + gpu * (1 - decline) ** (m / 12))
        share = max(resale, 1 - (1 - resale) * (horizon - m) / life)
        resold += new * (host + gpu * (1 - decline) ** (horizon / 12)) * share
    assert len(bought) > 3  # replicas really are bought later in the horizon
    out = lifecycle.evaluate(x)
    assert float(out["tco_usd"][0]) == pytest.approx(paid - resold, rel=1e-12)


def test_breakeven_volume_uses_the_horizon_mean_of_falling_prices() -> None:
    """V* = fixed per month / (days x (API $/token x mean price factor)), fixed = depreciation + ops + the GPUs'
    market loss resale x GPU x (1 - (1-g)^(L/12)) / L; the API's mean factor is the average of 0.1^(m/12) over 36 months."""
    x = _own_x(monthly_growth=0, upkeep_usd_per_month=50, capacity_rps=100.0, gpu_price_decline_per_year=0.2)
    mean_api = sum(0.1 ** (m / 12) for m in range(36)) / 36
    fixed = 3000 * 0.7 / 36 + 50 + 1600 * 0.3 * (1 - 0.8 ** 3) / 36
    expected = fixed / (DAYS_PER_MONTH * 0.01 / 1000 * mean_api)
    assert float(lifecycle.evaluate(x)["breakeven_tokens_per_day"][0]) == pytest.approx(expected, rel=1e-12)
    rent = _own_x(kind=lifecycle.RENT, monthly_growth=0, capacity_rps=100.0, rent_usd_per_gpu_hour=0.5,
                  rental_price_decline_per_year=0.3)
    mean_rent = sum(0.7 ** (m / 12) for m in range(36)) / 36
    expected = 0.5 * 730 * mean_rent / (DAYS_PER_MONTH * 0.01 / 1000 * mean_api)
    assert float(lifecycle.evaluate(rent)["breakeven_tokens_per_day"][0]) == pytest.approx(expected, rel=1e-12)


def test_an_option_overtaken_by_falling_api_prices_never_pays_back() -> None:
    """Rent at $100 a month against an API at $150 a month falling 90% a year: cheaper in month 1, but the API's
    running total falls below the rental's within the horizon and stays there, so payback is never (not 0)."""
    x = _own_x(kind=lifecycle.RENT, monthly_growth=0, capacity_rps=100.0, unit_capex_usd=0, gpu_capex_usd=0,
               rent_usd_per_gpu_hour=100 / 730, gpu_price_decline_per_year=0, requests_per_day=150 / DAYS_PER_MONTH / 0.01)
    rent = api = 0.0
    ahead = []
    for m in range(36):
        rent, api = rent + 100, api + 150 * 0.1 ** (m / 12)
        ahead.append(rent <= api)
    assert ahead[0] and not ahead[-1] and 150 * 0.1 ** (35 / 12) < 100  # cheaper at first, overtaken, still losing
    assert float(lifecycle.evaluate(x)["payback_months"][0]) == math.inf
    flat = lifecycle.evaluate(_own_x(kind=lifecycle.RENT, monthly_growth=0, capacity_rps=100.0, unit_capex_usd=0, gpu_capex_usd=0,
                                     rent_usd_per_gpu_hour=100 / 730, gpu_price_decline_per_year=0, api_price_decline_per_year=0,
                                     requests_per_day=150 / DAYS_PER_MONTH / 0.01))
    assert float(flat["payback_months"][0]) == 0.0  # flat prices: cheaper from month one, for good


def test_payback_is_read_off_the_falling_api_curve() -> None:
    """Own: $3,000 in month 0, then $10 a month; API: $500 a month falling 50% a year. The first month in which the
    running totals cross, interpolated inside the month."""
    x = _own_x(monthly_growth=0, capacity_rps=100.0, upkeep_usd_per_month=10, api_price_decline_per_year=0.5,
               gpu_price_decline_per_year=0, requests_per_day=500 / DAYS_PER_MONTH / 0.01)
    own, api, expected = 3000.0, 0.0, math.inf
    for k in range(36):
        a = 500 * 0.5 ** (k / 12)
        if a > 10 and 0 <= (f := (own - api) / (a - 10)) <= 1:
            expected = k + f
            break
        own, api = own + 10, api + a
    assert 6 < expected < 36
    assert float(lifecycle.evaluate(x)["payback_months"][0]) == pytest.approx(expected, rel=1e-9)


def test_trends_are_array_safe_one_row_per_value() -> None:
    """Sweeps and Monte Carlo pass arrays: each row equals its own one-row call."""
    declines = [0.0, 0.5, 0.9, -0.2]
    rows = {k: v * len(declines) for k, v in _own_x().items()}
    rows["api_price_decline_per_year"] = rows["gpu_price_decline_per_year"] = declines
    many = lifecycle.evaluate(rows)
    for i, d in enumerate(declines):
        one = lifecycle.evaluate(_own_x(api_price_decline_per_year=d, gpu_price_decline_per_year=d))
        for key in ("tco_usd", "payback_months", "breakeven_tokens_per_day"):
            assert float(many[key][i]) == pytest.approx(float(one[key][0]), rel=1e-12)


# ---------------------------------------------------------------------------------------------- verdict, chart, explain


def test_verdict_says_what_the_api_trend_moves(cat) -> None:
    sets = ["workload.requests_per_day=150000"]
    trend = comparison.compare(cat, scenarios.resolve(cat, "team-assistant", [*sets, "economics.api_price_decline_per_year=0.5"]))
    flat = comparison.compare(cat, scenarios.resolve(cat, "team-assistant", [*sets, "economics.api_price_decline_per_year=0"]))
    own = min((r for r in trend.rows() if r["kind"] == "own"), key=lambda r: r["tco_usd"])
    held = next(r for r in flat.rows() if r["option"] == own["option"])
    assert isinstance(held["payback_months"], float) and isinstance(own["payback_months"], float)
    assert f"{own['option']}'s payback would be {held['payback_months']:,.1f} months instead of {own['payback_months']:,.1f}" \
        in trend.verdict
    assert "at constant quality across models" in trend.verdict and "not a price cut of one model id" in trend.verdict
    assert "held flat (economics.api_price_decline_per_year = 0)" in flat.verdict


def test_chart_curves_with_and_without_trends(cat, capsys, monkeypatch) -> None:
    result = comparison.compare(cat, scenarios.resolve(cat, "team-assistant"))
    row = next(r for r in result.rows() if r["option"] == "api openai/gpt-4o-mini")
    assert result.cumulative_flat["api openai/gpt-4o-mini"][-1] == pytest.approx(row["monthly_usd"] * 36, rel=1e-12)
    assert result.cumulative["api openai/gpt-4o-mini"][-1] == pytest.approx(row["tco_usd"], rel=1e-12)
    code, out, _ = run(capsys, monkeypatch, "compare", "--chart")
    assert code == 0
    assert "with the price trends (A, B, ...) and with flat prices (a, b, ...)" in out and "A/a = own rtx-3090" in out


def test_explain_shows_each_trend_with_its_source(capsys, monkeypatch) -> None:
    code, out, _ = run(capsys, monkeypatch, "compare", "--explain", "--set", "economics.rental_price_decline_per_year=0.2")
    assert code == 0
    assert "api_price_decline_per_year = 0.9    <- assumption [a16z" in out
    assert "rental_price_decline_per_year = 0.2    <- scenario" in out
    assert "gpu_price_decline_per_year_datacenter = 0.05" in out
    assert "decline at constant quality across models" in out


# ---------------------------------------------------------------------------------------------- uncertainty and bounds


def test_trends_are_ranged_inputs_for_samples_and_sensitivity(cat) -> None:
    ranged = uncertainty.uncertain_inputs(cat, scenarios.resolve(cat, "team-assistant"))
    for name in ("api_price_decline_per_year", "rental_price_decline_per_year", "gpu_price_decline_per_year"):
        assert f"assumptions.{name}" in ranged
    api = cat.assumptions["api_price_decline_per_year"].range
    assert (api.low, api.high) == (0.889, 0.9989)  # Epoch AI's published spread, 9x to 900x a year
    set_ = uncertainty.uncertain_inputs(cat, scenarios.resolve(cat, "rag-chatbot", ["economics.gpu_price_decline_per_year=0.1"]))
    assert "assumptions.gpu_price_decline_per_year" not in set_ and "assumptions.gpu_price_decline_per_year_datacenter" not in set_


def test_samples_draw_the_api_trend(cat) -> None:
    result = llmcost.compare("team-assistant", samples=200, catalog=cat)
    row = next(r for r in result.rows() if r["option"] == "api openai/gpt-4o-mini")
    assert row["tco_usd_p10"] < row["tco_usd_p50"] < row["tco_usd_p90"]  # only the trend moves an API's TCO here
    assert "api_price_decline_per_year" in result.verdict


@pytest.mark.parametrize("bad", ["economics.api_price_decline_per_year=1.5", "economics.gpu_price_decline_per_year=-2",
                                 "economics.rental_price_decline_per_year=lots"])
def test_a_decline_outside_its_bounds_exits_2_with_one_line(bad: str, capsys, monkeypatch) -> None:
    code, out, err = run(capsys, monkeypatch, "compare", "--set", bad)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_json_rows_equal_the_api_with_trends(capsys, monkeypatch) -> None:
    code, out, _ = run(capsys, monkeypatch, "compare", "-f", "json", "--set", "economics.api_price_decline_per_year=0.5")
    assert code == 0
    assert json.loads(out) == llmcost.compare(llmcost.scenario(overrides={"economics.api_price_decline_per_year": 0.5})).rows()


def test_an_assumed_decline_outside_its_bounds_exits_2_from_the_command_line_or_a_file(tmp_path, capsys, monkeypatch) -> None:
    code, out, err = run(capsys, monkeypatch, "compare", "--set", "assumptions.api_price_decline_per_year=5")
    assert code == 2 and out == "" and "expected a number >= -1 and <= 1" in err
    path = tmp_path / "assumptions.yaml"
    path.write_text("assumptions:\n  rental_price_decline_per_year:\n    value: 2\n    rationale: r\n    source: s\n")
    code, out, err = run(capsys, monkeypatch, "compare", "--profiles", str(tmp_path))
    assert code == 2 and f"{path}:3: assumptions.rental_price_decline_per_year.value: expected a number >= -1 and <= 1" in err


def test_a_breakeven_below_today_without_a_payback_says_why(cat) -> None:
    """finetune-startup with falling API prices: owning beats the reference above a volume below today's, costs less
    over the horizon only once the late replicas are resold, and never pays back in cash: the verdict says all three."""
    sc = scenarios.resolve(cat, "finetune-startup", {"options.gpus": ["rtx-4090"], "options.hosts": False})
    result = comparison.compare(cat, sc)
    rows = {r["option"]: r for r in result.rows()}
    own, ref = rows["own rtx-4090"], rows[f"api {result.reference}"]
    today = sc.workload.requests_per_day * (sc.workload.input_tokens + sc.workload.output_tokens)
    assert isinstance(own["breakeven_tokens_per_day"], float) and own["breakeven_tokens_per_day"] < today
    assert own["payback_months"] == "never" and own["tco_usd"] < ref["tco_usd"]
    assert (f"own rtx-4090 beats {result.reference} above {own['breakeven_tokens_per_day']:,.0f} tokens/day, yet at this volume "
            f"it never pays back in cash: cheaper than {result.reference} over the horizon only through the hardware's resale "
            "value at its end") in result.verdict
