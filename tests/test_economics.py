"""The money of issue #11, each figure recomputed by hand from its formula and the profile values.

Hosts that exist (one box for every command), what real TCO analyses include (operations, colocation,
failed cards, electricity by site, networking and spares of multi-box runs). Numbers come from the
built-in profiles as written (profiles/*.yaml), never from another llmcost figure of the same kind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
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

FLAT = {f"economics.{k}_price_decline_per_year": 0.0 for k in ("api", "rental", "gpu")}
"""Flat prices: the by-hand formulas here are month-1 money; the price trends are issue #12's (tests/test_trends.py)."""
FLAT_SET = [a for k, v in FLAT.items() for a in ("--set", f"{k}={v:g}")]



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
                                                   "options.rentals": [], **FLAT})
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
                concurrency, "--input-tokens", "1500", "--output-tokens", "400", "--max-tpot-ms", "50", "--cached-share", "0.3")[0]


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
    out = rows(cli, "compare", *FLAT_SET)
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
    out = rows(cli, "compare", "--set", "workload.requests_per_day=300000", *FLAT_SET)
    flex = row(out, "rent runpod/serverless-rtx-3090")
    bill = flex_bill_by_hand(cli, 300000, "runpod/serverless-rtx-3090")
    assert flex["monthly_usd"] == pytest.approx(bill["monthly_usd"], rel=1e-6)
    assert bill["hours_per_day"] == pytest.approx(flex["replicas"] * 24 / A["peak_to_average"], rel=1e-3)


def test_active_workers_bill_around_the_clock(cli) -> None:
    flex = row(rows(cli, "compare", *FLAT_SET), "rent runpod/active-rtx-3090")
    r = RENTALS["runpod/active-rtx-3090"]
    assert r["min_workers"] == 1 and r["kind"] == "serverless"
    assert flex["monthly_usd"] == pytest.approx(r["usd_per_gpu_hour"] * 730)
    assert flex["breakeven_tokens_per_day"] == pytest.approx(
        r["usd_per_gpu_hour"] * 730 / (730 / 24 * row(rows(cli, "compare", *FLAT_SET), "api openai/gpt-4o-mini")["monthly_usd"]
                                       / (3000 * 730 / 24 * 1900)))


def test_serverless_breakeven_is_where_its_bill_meets_the_api(cat) -> None:
    """The flex break-even volume is where the monthly bills cross: below it the API is cheaper, above it the worker."""
    sc = scenarios.resolve(cat, "team-assistant", {"options.rentals": ["runpod/serverless-rtx-3090"], "options.gpus": ["rtx-3090"],
                                                   **FLAT})
    flex = row(comparison.compare(cat, sc).rows(), "rent runpod/serverless-rtx-3090")
    v = flex["breakeven_tokens_per_day"]
    assert isinstance(v, float) and 3000 * 1900 < v < 1e9

    def bills(tokens_per_day: float) -> tuple[float, float]:
        s = scenarios.resolve(cat, "team-assistant", {"options.rentals": ["runpod/serverless-rtx-3090"], "options.gpus": ["rtx-3090"],
                                                      "workload.requests_per_day": tokens_per_day / 1900, **FLAT})
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


# ---------------------------------------------------------------------------------------------- training runs


def upkeep_per_month(gpu: str, host: str, cards: int, boxes: float, datacenter: bool) -> float:
    """Operations, colocation and failed cards of owned GPUs for a month, by hand."""
    g, h = GPUS[gpu], HOSTS[host]
    colo = (cards * g["power_w"] + boxes * h["busy_power_w"]) / 1000 * A["colocation_usd_per_kw_month"] if datacenter else 0.0
    return (A["ops_hours_per_month"] * A["ops_usd_per_hour"] * boxes + colo
            + cards * g["price_usd"] * A["gpu_annual_failure_rate"] / 12)


def note_number(notes: str, prefix: str) -> float:
    """The number in the note that starts with `prefix` (e.g. 'pre-training costs $')."""
    part = next(t for t in notes.split("; ") if t.startswith(prefix))
    return float(part[len(prefix):].split()[0].replace(",", ""))


def test_the_same_run_costs_the_same_in_pretrain_and_compare(cli) -> None:
    """Issue #11 item 2: `pretrain` charges the run depreciation + energy + upkeep; compare charges the option its
    energy (the serving fleet's depreciation and upkeep are in its monthly costs while it trains). Both from the same
    GPU-hours and the same box, by hand."""
    pre = rows(cli, "pretrain", "-m", "llama-7b", "-g", "8xh100-sxm", "--tokens", "1T")[0]
    months = pre["wall_hours"] / MONTH_H
    price = A["electricity_usd_per_kwh_industrial"]  # an 8-GPU SXM server runs in a datacenter
    energy = pre["energy_kwh"] * price
    assert pre["energy_kwh"] == pytest.approx(pre["gpu_hours"] * (GPUS["h100-sxm"]["power_w"] + HOSTS["hgx-8gpu"]["busy_power_w"] / 8)
                                              * A["pue_datacenter"] / 1000)
    capex = 8 * GPUS["h100-sxm"]["price_usd"] + HOSTS["hgx-8gpu"]["price_usd"]
    book = 1 - (1 - A["resale_fraction_datacenter"]) * months / A["lifetime_months"]
    upkeep = upkeep_per_month("h100-sxm", "hgx-8gpu", 8, 1.0, True)
    assert pre["cost_owned_usd"] == pytest.approx(capex * (1 - book) + energy + upkeep * months)
    own = row(rows(cli, "compare", "-s", "pretrain-from-scratch"), "own 8xh100-sxm")
    assert note_number(own["notes"], "pre-training costs $") == pytest.approx(energy, abs=0.5)


def test_electricity_price_reaches_the_training_run(cli) -> None:
    """Issue #11: raising economics.electricity_usd_per_kwh from 0.15 to 0.30 added $1,280 to the TCO of own 8x RTX 4090
    although the run uses ~110,000 kWh. Now the run's kWh, and the idle box's after serving starts, pay the new price."""
    def tco(price: float) -> float:
        out = rows(cli, "compare", "-s", "pretrain-from-scratch", "-g", "8xrtx-4090", "--set", "workload.requests_per_day=0",
                   "--set", f"economics.electricity_usd_per_kwh={price}")
        return float(row(out, "own 8xrtx-4090")["tco_usd"])

    pre = rows(cli, "pretrain", "-m", "llama-7b", "-g", "8xrtx-4090", "--tokens", "1T")[0]
    start = pre["wall_hours"] / MONTH_H
    idle_kwh_month = (8 * GPUS["rtx-4090"]["idle_power_w"] + HOSTS["rack-8gpu-pcie"]["idle_power_w"]) * MONTH_H * A["pue_datacenter"] / 1000
    assert tco(0.30) - tco(0.15) == pytest.approx(0.15 * (pre["energy_kwh"] + idle_kwh_month * (A["horizon_months"] - start)), rel=1e-6)


def test_serving_starts_when_training_ends(cat) -> None:
    """Issue #11: pretrain-from-scratch served from month 1 although pre-training on 8x RTX 4090 takes 1,086 of the 1,095
    horizon days. Until it ends the owned box pays its upkeep and the traffic goes to the reference API."""
    from llmcost import options
    from llmcost.engine import lifecycle

    sc = scenarios.resolve(cat, "pretrain-from-scratch", {"options.gpus": ["8xrtx-4090"], "options.rentals": [], **FLAT})
    opts = [o for o in options.build(cat, sc) if o.label() in ("own 8xrtx-4090", "api openai/gpt-4o-mini")]
    ev = comparison.evaluate(cat, sc, opts)
    start = float(ev.x["start_months"][0])
    assert 35 < start < 36
    flows = lifecycle.monthly_costs(ev.x, 36)
    api_month = 3000 * MONTH_H / 24 * (1500 * 0.15 + 400 * 0.60) / 1e6  # gpt-4o-mini, no cached share in this scenario
    upkeep = upkeep_per_month("rtx-4090", "rack-8gpu-pcie", 8, 1.0, True)
    for m in (1, 20, 34):
        assert flows["opex_usd"][0][m] == pytest.approx(upkeep + api_month)
    assert f"serving starts in month {start:.1f}" in row(comparison.compare(cat, sc).rows(), "own 8xrtx-4090")["notes"]


def test_a_run_longer_than_the_horizon_says_so(cli) -> None:
    out = rows(cli, "compare", "-s", "pretrain-from-scratch", "-g", "8xrtx-4090", "--set", "lifecycle.pretrain.tokens=2e12")
    own = row(out, "own 8xrtx-4090")
    assert "past the 36-month horizon: this option never serves" in own["notes"]
    assert own["payback_months"] == "never"
    code, _, err = cli("compare", "-s", "pretrain-from-scratch", "-g", "8xrtx-4090", "--set", "lifecycle.pretrain.tokens=2e12")
    assert "never serves within the horizon" in _


@pytest.mark.parametrize("mode", ["rent", "buy"])
def test_gpus_beyond_the_serving_fleet_are_rented_or_bought(cli, mode: str) -> None:
    """Issue #11: pretrain.gpus 512 with one serving H100 charged one H100 and ~$4.4k of energy: 511 GPUs were free.
    rent: their GPU-hours at the card's cheapest on-demand rate; buy: their share of the run's depreciation (sold at
    book value after it) and upkeep; the serving GPU's share pays energy only."""
    out = rows(cli, "compare", "-s", "pretrain-from-scratch", "-g", "h100-sxm", "--set", "options.rentals=",
               "--set", "lifecycle.pretrain.gpus=512", "--set", f"lifecycle.extra_gpus={mode}")
    own = row(out, "own h100-sxm")
    pre = rows(cli, "pretrain", "-m", "llama-7b", "-g", "512xh100-sxm", "--tokens", "1T")[0]
    energy = pre["energy_kwh"] * A["electricity_usd_per_kwh_industrial"]
    if mode == "rent":
        offer = min((r for r in RENTALS.values() if r["gpu"] == "h100-sxm" and r["kind"] == "on-demand"),
                    key=lambda r: r["usd_per_gpu_hour"])
        expect = energy / 512 + 511 * pre["wall_hours"] * offer["usd_per_gpu_hour"]
        assert f"511 h100-sxm beyond the serving fleet rented for the run ({offer['id']}" in own["notes"]
    else:
        h100, hgx = GPUS["h100-sxm"]["price_usd"], HOSTS["hgx-8gpu"]["price_usd"]
        capex = (512 * h100 + 64 * hgx) / (1 - A["cluster_network_fraction"]) + 512 * h100 * A["spare_gpu_fraction"]
        months = pre["wall_hours"] / MONTH_H
        depreciation = capex * (1 - A["resale_fraction_datacenter"]) * months / A["lifetime_months"]
        upkeep = upkeep_per_month("h100-sxm", "hgx-8gpu", 512, 64.0, True) * months
        expect = energy + 511 / 512 * (depreciation + upkeep)
        assert "511 h100-sxm beyond the serving fleet bought for the run and sold after it" in own["notes"]
    assert note_number(own["notes"], "pre-training costs $") == pytest.approx(expect, abs=0.5)
    assert expect > 10 * 4400  # no longer one H100 and ~$4.4k of energy


# ---------------------------------------------------------------------------------------------- batch windows


def test_batch_work_peaks_in_its_window_and_peak_to_average_is_honoured(cli) -> None:
    """Issue #11: `compare -s batch-summarise --set workload.peak_to_average=3` was silently the same as 1. The overnight
    window (8 h) sets the peak to 24 / 8 = 3; an explicit peak_to_average wins; replicas = ceil(peak load / capacity)."""
    import math

    cap = rows(cli, "serve", "-m", "llama-3.1-8b", "-g", "rtx-4090", "-q", "fp8", "--engine", "vllm", "--input-tokens", "3000",
               "--output-tokens", "200")[0]["requests_per_s"]
    for sets, peak in ((["--set", "workload.peak_to_average=1"], 1.0), (["--set", "workload.peak_to_average=3"], 3.0),
                       ([], 24 / 8), (["--set", "workload.window_hours=12"], 2.0)):
        own = row(rows(cli, "compare", "-s", "batch-summarise", *sets), "own rtx-4090")
        load = 200000 / 86400 * peak / cap
        assert own["replicas"] == math.ceil(load - 1e-9), sets
        assert own["peak_utilization"] == pytest.approx(load / own["replicas"], rel=1e-9)


def test_a_load_at_a_replica_boundary_is_noted_in_the_verdict(cli) -> None:
    """A batch job whose peak is a hair (1%) above 3 replicas' capacity needs 4 RTX 4090s: the verdict says so."""
    cap = rows(cli, "serve", "-m", "llama-3.1-8b", "-g", "rtx-4090", "-q", "fp8", "--engine", "vllm", "--input-tokens", "3000",
               "--output-tokens", "200")[0]["requests_per_s"]
    requests = 3.01 * cap * 86400 / (24 / 8)  # the 8-hour window makes the peak 3x the average
    code, out, err = cli("compare", "-s", "batch-summarise", "-g", "rtx-4090", "-f", "json", "--set",
                         f"workload.requests_per_day={requests!r}")
    own = row(json.loads(out), "own rtx-4090")
    load = own["replicas"] * own["peak_utilization"]
    assert load == pytest.approx(3.01, rel=1e-9) and A["replica_boundary_margin"] > 0.01
    assert f"own rtx-4090: peak load is {load:.4g}x one replica's capacity: 4 replicas, where {(load - 3) / load:.2%} less" in err


# ---------------------------------------------------------------------------------------------- like with like


def test_fine_tuned_model_is_compared_with_apis_that_fine_tune(cli, cat) -> None:
    """Issue #11 item 7: finetune-startup listed Groq at base-model prices although it cannot serve the fine-tuned model,
    and payback left out the reference API's training fee."""
    from llmcost import options
    from llmcost.engine import lifecycle

    out = rows(cli, "compare", "-s", "finetune-startup")
    groq = row(out, "api groq/llama-3.1-8b-instant")
    assert groq["fits"] is False and "not an alternative" in groq["notes"]
    assert cli("compare", "-s", "finetune-startup", "--vs", "groq/llama-3.1-8b-instant")[0] == 2
    sc = scenarios.resolve(cat, "finetune-startup", FLAT)
    opt = next(o for o in options.build(cat, sc) if o.label() == "own rtx-4090")
    flows = lifecycle.monthly_costs(comparison.evaluate(cat, sc, [opt], vs="openai/gpt-4.1-mini").x, 36)
    api = cat.get("apis", "openai/gpt-4.1-mini")
    fee = api.finetune_train_usd_per_mtok * 50e6 * 2 / 1e6  # 50M tokens x 2 epochs every 3 months
    per_request = (1000 * api.finetuned_input_usd_per_mtok + 300 * api.finetuned_output_usd_per_mtok) / 1e6
    volume = 10000 * 1.1 ** np.arange(36) * MONTH_H / 24 * per_request
    runs = (np.arange(36) % 3 == 0) & (np.arange(36) > 0)
    assert flows["api_reference_usd"][0] == pytest.approx(volume + fee * runs + fee * (np.arange(36) == 0))


# ---------------------------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize("scenario_id", ["team-assistant", "solo-coder", "rag-chatbot", "batch-summarise", "finetune-startup",
                                         "pretrain-from-scratch"])
def test_columns_that_seem_to_disagree_are_explained(cli, scenario_id: str) -> None:
    """Issue #11 item 8: a payback past the hardware's life, or a break-even above today's volume with a finite payback,
    is explained in the row's notes (compare and every API of breakeven)."""
    tokens = {r["id"]: r for r in profile("scenarios").values()}[scenario_id]["workload"]
    today = tokens["requests_per_day"] * (tokens["input_tokens"] + tokens["output_tokens"])
    checked = 0
    for r in rows(cli, "breakeven", "-s", scenario_id, *FLAT_SET):
        if r["kind"] != "own" or not r["fits"] or not isinstance(r["payback_months"], float):
            continue
        if r["payback_months"] > A["lifetime_months"]:
            assert "worn out before it has paid for itself" in r["notes"], r
            checked += 1
        be = r["breakeven_tokens_per_day"]
        if (be == "never" or be > today) and not tokens.get("monthly_growth"):
            assert "costs more each month than" in r["notes"], r
    assert checked or scenario_id != "rag-chatbot"


def test_issue_breakeven_example_now_agrees_with_itself(cli) -> None:
    """Issue #11: `breakeven --set workload.requests_per_day=20000` showed own rtx-3090 vs groq at break-even 51M
    tokens/day with payback 76.6 months (past the 36-month life) and no word; with upkeep counted both say never."""
    r = next(x for x in rows(cli, "breakeven", "--set", "workload.requests_per_day=20000")
             if x["option"] == "own rtx-3090" and x["api"] == "groq/llama-3.1-8b-instant")
    assert r["breakeven_tokens_per_day"] == "never" and r["payback_months"] == "never"
    assert r["monthly_usd"] > r["api_monthly_usd"]


def test_every_tco_component_is_explained_with_its_range_and_overridable(cli) -> None:
    """Issue #11 item 6: each component is a sourced assumption with a range, shown in --explain and overridable."""
    code, out, _ = cli("compare", "--explain")
    assert code == 0
    doc = yaml.safe_load((PROFILES / "assumptions.yaml").read_text())["assumptions"]
    for name in ("ops_hours_per_month", "ops_usd_per_hour", "colocation_usd_per_kw_month", "gpu_annual_failure_rate",
                 "spare_gpu_fraction", "cluster_network_fraction", "electricity_usd_per_kwh", "electricity_usd_per_kwh_commercial",
                 "electricity_usd_per_kwh_industrial", "psu_headroom_fraction", "batch_window_hours", "serverless_load_gb_per_s"):
        line = next(x for x in out.splitlines() if x.startswith(f"  {name} = "))
        r = doc[name]["range"]
        assert f"= {doc[name]['value']:g} " in line and f"{r['low']:g}..{r['mode']:g}..{r['high']:g}" in line
        assert doc[name]["source"].split()[0] in line
    assert "own rtx-3090: host desktop-1gpu" in out
    base = row(rows(cli, "compare"), "own rtx-3090")["monthly_usd"]
    no_ops = row(rows(cli, "compare", "--set", "assumptions.ops_hours_per_month=0"), "own rtx-3090")["monthly_usd"]
    assert base - no_ops == pytest.approx(A["ops_hours_per_month"] * A["ops_usd_per_hour"])


def test_eight_modal_h100s_cost_at_least_their_busy_time(cli) -> None:
    """Issue #11: `compare -s pretrain-from-scratch` billed 8x modal/h100 at $22.66/month. A 60-second scaledown window
    after each request keeps the worker up through the working day: at least every request's latency at batch 1 on 8
    GPUs, plus the idle window after each burst."""
    one = rows(cli, "serve", "-m", "llama-7b", "-g", "8xh100-sxm", "-q", "awq-int4", "--engine", "vllm", "--concurrency", "1",
               "--input-tokens", "1500", "--output-tokens", "400")[0]
    modal = row(rows(cli, "compare", "-s", "pretrain-from-scratch"), "rent 8x modal/h100")
    rate = RENTALS["modal/h100"]["usd_per_gpu_hour"]
    busy = 3000 * MONTH_H / 24 / one["requests_per_s"] / 3600 * 8 * rate
    assert modal["monthly_usd"] > busy > 22.66
    window = 24 / A["peak_to_average"] * MONTH_H / 24 * 8 * rate  # the whole busy window, every working day
    assert modal["monthly_usd"] == pytest.approx(window, rel=0.02)  # lambda (W + 60 s) >> 1: the worker never stops
