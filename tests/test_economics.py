"""The money of issue #11, each figure recomputed by hand from its formula and the profile values.

Hosts that exist (one box for every command), what real TCO analyses include (operations, colocation,
failed cards, electricity by site, networking and spares of multi-box runs). Numbers come from the
built-in profiles as written (profiles/*.yaml), never from another llmcost figure of the same kind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from llmcost import catalog, comparison, hosting, scenarios

PROFILES = Path(__file__).resolve().parent.parent / "profiles"
MONTH_H = 730.0


def profile(kind: str) -> dict[str, dict[str, Any]]:
    """Entries of a built-in profile file as written, by id (assumptions: name -> value)."""
    doc = yaml.safe_load((PROFILES / f"{kind}.yaml").read_text())[kind]
    if kind == "assumptions":
        return {k: v["value"] for k, v in doc.items()}
    return {e["id"]: e for e in doc}


GPUS, HOSTS, RENTALS, A = profile("gpus"), profile("hosts"), profile("rentals"), profile("assumptions")


@pytest.fixture(scope="module")
def cat() -> catalog.Catalog:
    return catalog.load()


def rows(cli: Any, *argv: str) -> list[dict[str, Any]]:
    code, out, err = cli(*argv, "-f", "json")
    assert code == 0, err
    return json.loads(out)


def row(rows_: list[dict[str, Any]], option: str) -> dict[str, Any]:
    return next(r for r in rows_ if r["option"] == option)


# ---------------------------------------------------------------------------------------------- hosts


def fits_in(host: str, gpu: str, cards: int) -> bool:
    """The power-supply rule by hand: cards (a rack server full of them) + host busy <= headroom x supply."""
    h, g = HOSTS[host], GPUS[gpu]
    filled = h["max_gpus"] if h["form_factor"] == "rack" else cards
    return h["max_gpus"] >= cards and filled * g["power_w"] + h["busy_power_w"] <= A["psu_headroom_fraction"] * h["psu_w"]


@pytest.mark.parametrize(("gpu", "cards", "host"), [
    ("rtx-3090", 1, "desktop-1gpu"), ("rtx-4090", 1, "desktop-1gpu"),
    ("rtx-5090", 1, "desktop-2gpu"),       # 575 + 180 W > 0.8 x 850 W
    ("rtx-4090", 2, "desktop-2gpu"), ("rtx-5090", 2, "workstation-4gpu"),  # 2 x 575 + 200 W > 0.8 x 1,500 W
    ("rtx-4090", 4, "workstation-4gpu"), ("rtx-5090", 4, "rack-8gpu-pcie"),  # 4 x 575 + 300 W > 0.8 x 3,200 W
    ("rtx-4090", 8, "rack-8gpu-pcie"), ("l40s", 1, "rack-8gpu-pcie"), ("h100-sxm", 1, "hgx-8gpu"),
    ("h100-sxm", 8, "hgx-8gpu"), ("b200", 8, "hgx-b200-8gpu"),  # 8 x 1,000 + 3,300 W > 0.8 x 13,200 W
])
def test_the_smallest_host_that_carries_the_cards(cat, gpu: str, cards: int, host: str) -> None:
    box = hosting.box_for(cat, cat.get("gpus", gpu), cards)
    assert box.host is not None and box.host.id == host
    assert fits_in(host, gpu, cards)
    smaller = [h for h, e in HOSTS.items() if (e["max_gpus"], e["price_usd"]) < (HOSTS[host]["max_gpus"], HOSTS[host]["price_usd"])
               and e["gpu_form"] == HOSTS[host]["gpu_form"] and (GPUS[gpu]["class"] != "datacenter" or e["form_factor"] == "rack")]
    assert not any(fits_in(h, gpu, cards) for h in smaller)
    rack = HOSTS[host]["form_factor"] == "rack"
    assert box.share == (cards / HOSTS[host]["max_gpus"] if rack else 1.0)


def test_cards_no_host_carries_do_not_fit_and_say_why(cli, tmp_path: Path, valid_profiles) -> None:
    """A 3,000 W card fits no built-in host: the owned option does not fit and its note names the largest supply."""
    doc = valid_profiles()
    doc["gpus"][0].update(id="furnace", power_w=3000)
    doc["rentals"][0].update(gpu="furnace")
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({k: doc[k] for k in ("gpus", "rentals")}))
    out = rows(cli, "compare", "--profiles", str(tmp_path), "-g", "furnace", "--set", "options.rentals=auto")
    own = row(out, "own furnace")
    assert own["fits"] is False and own["capex_usd"] == "does not fit"
    rack = HOSTS["rack-8gpu-pcie"]
    assert "no host in the catalogue carries 1x furnace (3,000 W of cards)" in own["notes"]
    full = rack["max_gpus"] * 3000 + rack["busy_power_w"]  # a rack server is checked full of the card
    assert (f"rack-8gpu-pcie's {rack['psu_w']:,} W, carries {A['psu_headroom_fraction'] * rack['psu_w']:,.0f} W at "
            f"{A['psu_headroom_fraction']:g} and the box needs {full:,} W") in own["notes"]
    assert row(out, "rent test/rental")["fits"] is True  # renting needs no host


def test_eight_cards_no_longer_sit_in_a_desktop_and_cost_the_same_in_every_command(cli) -> None:
    """Issue #11: 8x RTX 4090 (3.6 kW of cards) got a $1,500 / 120 W desktop, and the same box cost $14,292 in
    compare but $15,792 in pretrain; the same RTX 3090 $2,999 in compare but $1,874 in finetune."""
    box8 = 8 * GPUS["rtx-4090"]["price_usd"] + HOSTS["rack-8gpu-pcie"]["price_usd"]
    compare = rows(cli, "compare", "-s", "pretrain-from-scratch", "--set", "lifecycle.pretrain.tokens=1e9")
    assert row(compare, "own 8xrtx-4090")["capex_usd"] == pytest.approx(box8)
    assert row(compare, "own 8xrtx-4090")["host"] == "rack-8gpu-pcie"
    pre = rows(cli, "pretrain", "-m", "llama-7b", "-g", "8xrtx-4090", "--tokens", "1e9")[0]
    assert pre["capex_usd"] == pytest.approx(box8) and pre["host"] == "rack-8gpu-pcie"
    one = GPUS["rtx-3090"]["price_usd"] + HOSTS["desktop-1gpu"]["price_usd"]
    assert row(rows(cli, "compare"), "own rtx-3090")["capex_usd"] == pytest.approx(one)
    assert rows(cli, "finetune", "-m", "llama-3.1-8b", "-g", "rtx-3090", "--method", "qlora")[0]["capex_usd"] == pytest.approx(one)


def test_integrated_machine_takes_no_host(cat, tmp_path: Path, valid_profiles) -> None:
    """A GPU profile with integrated_host (a whole machine, e.g. a Mac Studio) is priced and powered as it is."""
    doc = valid_profiles()
    doc["gpus"][0].update(id="whole-box", integrated_host=True, power_w=480, idle_power_w=10, price_usd=9999)
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({"gpus": doc["gpus"]}))
    c = catalog.load([tmp_path / "p.yaml"])
    x = hosting.replica_costs(c, hosting.economics(c, None), c.get("gpus", "whole-box"), 2.0, False)
    assert x["fits"] and x["host"] == "integrated"
    assert x["capex_usd"] == 2 * 9999 and x["idle_w"] == 2 * 10 and x["busy_extra_w"] == 2 * (480 - 10)
    assert x["ops_usd_per_month"] == pytest.approx(2 * A["ops_hours_per_month"] * A["ops_usd_per_hour"])  # two machines


# ---------------------------------------------------------------------------------------------- owned upkeep


def owned_fixed_monthly(gpu: str, host: str, cards: int, share: float, datacenter: bool) -> dict[str, float]:
    """Depreciation, idle power at u = 0, operations, colocation and failed cards of one replica, by hand."""
    g, h = GPUS[gpu], HOSTS[host]
    capex = cards * g["price_usd"] + share * h["price_usd"]
    resale = A["resale_fraction_datacenter"] if g["class"] == "datacenter" else A["resale_fraction"]
    price = A["electricity_usd_per_kwh_industrial" if datacenter else "electricity_usd_per_kwh_commercial"]
    pue = A["pue_datacenter" if datacenter else "pue"]
    idle_w = cards * g["idle_power_w"] + share * h["idle_power_w"]
    it_kw = (cards * g["power_w"] + share * h["busy_power_w"]) / 1000
    return {
        "depreciation": capex * (1 - resale) / A["lifetime_months"],
        "energy": idle_w * MONTH_H * pue / 1000 * price,
        "ops": A["ops_hours_per_month"] * A["ops_usd_per_hour"] * share,
        "colocation": it_kw * A["colocation_usd_per_kw_month"] if datacenter else 0.0,
        "failures": cards * g["price_usd"] * A["gpu_annual_failure_rate"] / 12,
    }


@pytest.mark.parametrize(("gpu", "host", "share", "datacenter"), [
    ("rtx-4090", "desktop-1gpu", 1.0, False), ("h100-sxm", "hgx-8gpu", 1 / 8, True), ("l40s", "rack-8gpu-pcie", 1 / 8, True)])
def test_owned_monthly_is_depreciation_power_operations_colocation_and_failures(cat, gpu: str, host: str, share: float,
                                                                                 datacenter: bool) -> None:
    """With no traffic (utilisation 0) the owned monthly cost is its fixed part, every component by hand. Issue #11:
    operations were free by default and datacenter cards paid no colocation."""
    sc = scenarios.resolve(cat, "team-assistant", {"workload.requests_per_day": 0, "options.gpus": [gpu],
                                                   "options.rentals": []})
    own = row(comparison.compare(cat, sc).rows(), f"own {gpu}")
    parts = owned_fixed_monthly(gpu, host, 1, share, datacenter)
    assert parts["ops"] > 0
    assert own["monthly_usd"] == pytest.approx(sum(parts.values()), rel=1e-9)


def test_residential_commercial_and_industrial_electricity_by_deployment(cat) -> None:
    """A desk-side box pays the tariff of where it runs; a rack server the industrial one whatever the deployment."""
    def monthly(deployment: str, gpu: str) -> float:
        sc = scenarios.resolve(cat, "team-assistant", {"workload.requests_per_day": 0, "options.gpus": [gpu],
                                                       "options.rentals": [], "economics.deployment": deployment})
        return float(row(comparison.compare(cat, sc).rows(), f"own {gpu}")["monthly_usd"])

    idle_kwh = (GPUS["rtx-4090"]["idle_power_w"] + HOSTS["desktop-1gpu"]["idle_power_w"]) * MONTH_H * A["pue"] / 1000
    home, office = monthly("home", "rtx-4090"), monthly("office", "rtx-4090")
    assert home - office == pytest.approx(idle_kwh * (A["electricity_usd_per_kwh"] - A["electricity_usd_per_kwh_commercial"]))
    assert monthly("home", "h100-sxm") == pytest.approx(monthly("office", "h100-sxm"))
    in_dc = monthly("datacenter", "rtx-4090")
    it_kw = (GPUS["rtx-4090"]["power_w"] + HOSTS["desktop-1gpu"]["busy_power_w"]) / 1000
    kwh_dc = (GPUS["rtx-4090"]["idle_power_w"] + HOSTS["desktop-1gpu"]["idle_power_w"]) * MONTH_H * A["pue_datacenter"] / 1000
    assert in_dc - office == pytest.approx(it_kw * A["colocation_usd_per_kw_month"] + kwh_dc * A["electricity_usd_per_kwh_industrial"]
                                          - idle_kwh * A["electricity_usd_per_kwh_commercial"])


def test_scenario_ops_and_host_overrides_still_work(cat) -> None:
    """economics.ops_usd_per_month replaces hours x rate per replica; economics.host_usd / host_power_w replace the
    host catalogue's price and power (idle and busy) of the box."""
    base = {"workload.requests_per_day": 0, "options.gpus": ["rtx-4090"], "options.rentals": []}
    sc = scenarios.resolve(cat, "team-assistant", {**base, "economics.ops_usd_per_month": 10, "economics.host_usd": 900,
                                                   "economics.host_power_w": 50})
    own = row(comparison.compare(cat, sc).rows(), "own rtx-4090")
    g = GPUS["rtx-4090"]
    capex = g["price_usd"] + 900
    assert own["capex_usd"] == pytest.approx(capex)
    expect = (capex * (1 - A["resale_fraction"]) / A["lifetime_months"]
              + (g["idle_power_w"] + 50) * MONTH_H * A["pue"] / 1000 * A["electricity_usd_per_kwh_commercial"]
              + 10 + g["price_usd"] * A["gpu_annual_failure_rate"] / 12)
    assert own["monthly_usd"] == pytest.approx(expect, rel=1e-9)


def test_replaced_assumptions_say_what_replaced_them(cli) -> None:
    code, _, err = cli("compare", "--set", "assumptions.host_usd=2000")
    assert code == 2 and "profiles/hosts.yaml" in err and "economics.host_usd" in err


def test_multi_box_training_buys_network_and_spares(cli) -> None:
    """16 H100s need two 8-GPU servers: the run buys the fabric (cluster_network_fraction of the cluster's hardware)
    and spares (spare_gpu_fraction of its GPUs); one box needs neither."""
    h100, hgx = GPUS["h100-sxm"]["price_usd"], HOSTS["hgx-8gpu"]["price_usd"]
    two = rows(cli, "pretrain", "-m", "llama-7b", "-g", "16xh100-sxm", "--tokens", "1e9")[0]
    hardware = 16 * h100 + 2 * hgx
    f = A["cluster_network_fraction"]
    assert two["host"] == "2x hgx-8gpu"
    assert two["capex_usd"] == pytest.approx(hardware / (1 - f) + 16 * h100 * A["spare_gpu_fraction"])
    one = rows(cli, "pretrain", "-m", "llama-7b", "-g", "8xh100-sxm", "--tokens", "1e9")[0]
    assert one["capex_usd"] == pytest.approx(8 * h100 + hgx)


# ---------------------------------------------------------------------------------------------- serverless


def serve_figures(cli: Any, concurrency: str) -> dict[str, Any]:
    """The serving engine's figures for the default scenario's model and card (what a worker does per request)."""
    return rows(cli, "serve", "-m", "llama-3.1-8b", "-g", "rtx-3090", "-q", "awq-int4", "--engine", "vllm", "--concurrency",
                concurrency, "--input-tokens", "1500", "--output-tokens", "400", "--max-tpot-ms", "50")[0]


def flex_bill_by_hand(cli: Any, requests_per_day: float, offer: str) -> dict[str, float]:
    """A flex worker's monthly bill from the provider's rules (docs.runpod.io/serverless/pricing): per request, the
    GPU is busy for its latency at the batch its arrival rate makes (1 + lambda W), then the idle timeout; each
    stop costs a cold start (worker start + weights / load rate). f = (lambda C + e^a - 1) / (lambda C + e^a)."""
    import math

    one, auto = serve_figures(cli, "1"), serve_figures(cli, "auto")
    w1 = 1 / one["requests_per_s"]
    wc = auto["concurrency"] / auto["requests_per_s"]
    slope = (wc - w1) / (auto["concurrency"] - 1)
    r = RENTALS[offer]
    peak = A["peak_to_average"]
    workers = max(1, math.ceil(requests_per_day / 86400 * peak / auto["requests_per_s"]))
    lam = requests_per_day / 86400 * peak / workers
    w = min(w1 / (1 - lam * slope), wc)
    cold = r["cold_start_s"] + auto["weights_gib"] * 2**30 / (A["serverless_load_gb_per_s"] * 1e9)
    a = lam * (w + r["idle_timeout_s"])
    f = (lam * cold + math.expm1(a)) / (lam * cold + math.expm1(a) + 1)
    hours_day = workers * f * 24 / peak
    return {"hours_per_day": hours_day, "monthly_usd": hours_day * 730 / 24 * r["usd_per_gpu_hour"], "latency_s": w1,
            "cold_start_s": cold}


def test_serverless_bills_latency_idle_timeout_and_cold_starts(cli) -> None:
    """Issue #11: runpod/serverless-rtx-3090 cost $16.06/month with break-even 0 and payback 0 in the default compare,
    as if every request ran at full batch. Billed as RunPod bills it, it costs more than gpt-4o-mini ($39) and never
    wins at this volume."""
    out = rows(cli, "compare")
    flex = row(out, "rent runpod/serverless-rtx-3090")
    bill = flex_bill_by_hand(cli, 3000, "runpod/serverless-rtx-3090")
    assert flex["monthly_usd"] == pytest.approx(bill["monthly_usd"], rel=1e-6)
    busy_only = 3000 * 730 / 24 * bill["latency_s"] / 3600 * RENTALS["runpod/serverless-rtx-3090"]["usd_per_gpu_hour"]
    assert flex["monthly_usd"] > busy_only > row(out, "api openai/gpt-4o-mini")["monthly_usd"]
    assert flex["payback_months"] == "never"
    assert flex["breakeven_tokens_per_day"] > 3000 * (1500 + 400)
    assert f"billed {bill['hours_per_day']:,.1f} worker-hours a day" in flex["notes"]


def test_busy_serverless_is_billed_close_to_around_the_clock(cli) -> None:
    """At 300,000 requests a day the workers never idle long enough to stop: about workers x the busy window."""
    out = rows(cli, "compare", "--set", "workload.requests_per_day=300000")
    flex = row(out, "rent runpod/serverless-rtx-3090")
    bill = flex_bill_by_hand(cli, 300000, "runpod/serverless-rtx-3090")
    assert flex["monthly_usd"] == pytest.approx(bill["monthly_usd"], rel=1e-6)
    assert bill["hours_per_day"] == pytest.approx(flex["replicas"] * 24 / A["peak_to_average"], rel=1e-3)


def test_active_workers_bill_around_the_clock(cli) -> None:
    flex = row(rows(cli, "compare"), "rent runpod/active-rtx-3090")
    r = RENTALS["runpod/active-rtx-3090"]
    assert r["min_workers"] == 1 and r["kind"] == "serverless"
    assert flex["monthly_usd"] == pytest.approx(r["usd_per_gpu_hour"] * 730)
    assert flex["breakeven_tokens_per_day"] == pytest.approx(
        r["usd_per_gpu_hour"] * 730 / (730 / 24 * row(rows(cli, "compare"), "api openai/gpt-4o-mini")["monthly_usd"]
                                       / (3000 * 730 / 24 * 1900)))


def test_serverless_breakeven_is_where_its_bill_meets_the_api(cat) -> None:
    """The flex break-even volume is where the monthly bills cross: below it the API is cheaper, above it the worker."""
    sc = scenarios.resolve(cat, "team-assistant", {"options.rentals": ["runpod/serverless-rtx-3090"], "options.gpus": ["rtx-3090"]})
    flex = row(comparison.compare(cat, sc).rows(), "rent runpod/serverless-rtx-3090")
    v = flex["breakeven_tokens_per_day"]
    assert isinstance(v, float) and 3000 * 1900 < v < 1e9

    def bills(tokens_per_day: float) -> tuple[float, float]:
        s = scenarios.resolve(cat, "team-assistant", {"options.rentals": ["runpod/serverless-rtx-3090"], "options.gpus": ["rtx-3090"],
                                                      "workload.requests_per_day": tokens_per_day / 1900})
        r = comparison.compare(cat, s).rows()
        return row(r, "rent runpod/serverless-rtx-3090")["monthly_usd"], row(r, "api openai/gpt-4o-mini")["monthly_usd"]

    at, api = bills(v)
    assert at == pytest.approx(api, rel=1e-6)
    below, above = bills(0.8 * v), bills(1.2 * v)
    assert below[0] > below[1] and above[0] < above[1]


def test_serverless_bill_per_request_falls_with_traffic() -> None:
    """What the break-even search relies on: a busier worker shares its starts and idle tails over more requests."""
    import numpy as np

    from llmcost.engine import serverless

    lam = np.geomspace(1e-6, 5.0, 400)
    w = serverless.request_latency_s(lam, 3.8, 0.05, 6.0)
    per_request = serverless.billed_fraction(lam, w, 5.0, 40.0) / lam
    assert np.all(np.diff(per_request) < 0)
    assert per_request[0] == pytest.approx(40.0 + 3.8 + 5.0, rel=1e-4)  # a lone request pays start, latency and tail
