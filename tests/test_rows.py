"""Rows that say what they mean (issue #13 item 6): API rows name the API's model, finetune rows have a column
per kind of cost, epochs and trained tokens are both shown, --api/--hosts/--used do what their help says,
--explain shows every price used, and small prices keep their digits.

Expected values are read from the profile YAML files directly (not through llmcost's loader) and worked out
here from the formulas, so a test fails when llmcost says something else."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
import yaml

from llmcost import render

PROFILES = Path(__file__).resolve().parent.parent / "profiles"


def _entries(kind: str) -> dict[str, dict]:
    return {e["id"]: e for e in yaml.safe_load((PROFILES / f"{kind}.yaml").read_text())[kind]}


APIS = _entries("apis")
GPUS = _entries("gpus")
RENTALS = _entries("rentals")


def _json(cli, *argv: str) -> list[dict]:
    rc, out, err = cli(*argv, "-f", "json")
    assert rc == 0, err
    return json.loads(out)


def _options(rows: list[dict]) -> list[str]:
    return [r["option"] for r in rows]


# ------------------------------------------------------------------------------------------ API rows' model


def _expected_model(option: str, served: str) -> str:
    """An API row's model: what it hosts (serves_model) or the API itself; a GPU row's: the served model."""
    if not option.startswith("api "):
        return served
    api = APIS[option.removeprefix("api ")]
    return api.get("serves_model") or api["id"]


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown", "table"])
def test_api_rows_carry_the_apis_model_in_every_format(cli, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    rows = _json(cli, "compare", "--columns", "option,model")
    assert {"api openai/gpt-4o-mini", "api together/llama-3.1-8b"} <= set(_options(rows))
    rc, out, err = cli("compare", "--columns", "option,model", "-f", fmt)
    assert rc == 0, err
    if fmt == "json":
        shown = [(r["option"], r["model"]) for r in json.loads(out)]
    elif fmt == "csv":
        shown = [(r["option"], r["model"]) for r in csv.DictReader(io.StringIO(out))]
    else:
        cells = [re.split(r"\s*[|│]\s*", line.strip(" |│")) for line in out.splitlines() if line.count("|") + line.count("│") >= 3]
        shown = [(c[0], c[1]) for c in cells if c[0].startswith(("own ", "rent ", "api "))]
    assert shown == [(r["option"], _expected_model(r["option"], "llama-3.1-8b")) for r in rows]
    assert ("api openai/gpt-4o-mini", "openai/gpt-4o-mini") in shown  # was llama-3.1-8b


def test_api_model_follows_a_swept_served_model(cli, tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("grid:\n  serving.model: [llama-3.1-8b, llama-3.3-70b]\n  options.gpus: [2xrtx-4090]\n")
    rc, out, err = cli("sweep", str(grid), "-f", "json")
    assert rc == 0, err
    for r in json.loads(out):
        assert r["model"] == _expected_model(r["option"], r["serving.model"])


# ------------------------------------------------------------------------------------------ --api, --hosts, --used


def _hosts(model: str) -> list[str]:
    return [f"api {i}" for i, a in APIS.items() if a.get("serves_model") == model]


def test_api_replaces_the_scenarios_apis_and_the_hosts(cli) -> None:
    rows = _json(cli, "compare", "-a", "openai/gpt-4o-mini")
    assert [o for o in _options(rows) if o.startswith("api ")] == ["api openai/gpt-4o-mini"]  # hosts were added before


def test_hosts_adds_the_hosts_back_and_no_hosts_drops_them(cli) -> None:
    hosts = _hosts("llama-3.1-8b")
    assert len(hosts) >= 2
    with_hosts = _json(cli, "compare", "-a", "openai/gpt-4o-mini", "--hosts")
    assert [o for o in _options(with_hosts) if o.startswith("api ")] == ["api openai/gpt-4o-mini", *hosts]
    scenario_apis = yaml.safe_load((PROFILES / "scenarios.yaml").read_text())["scenarios"]
    team = next(s for s in scenario_apis if s["id"] == "team-assistant")["options"]["apis"]
    without = _json(cli, "compare", "--no-hosts")
    assert [o for o in _options(without) if o.startswith("api ")] == [f"api {a}" for a in team]


def test_hosts_and_used_are_in_the_help(cli) -> None:
    for command in ("compare", "breakeven", "sensitivity"):
        rc, out, _ = cli(command, "--help")
        assert rc == 0 and "--hosts / --no-hosts" in out and "--used" in out, command
        assert "unless --hosts" in " ".join(out.split())


def test_compare_used_prices_owned_gpus_at_used_prices(cli) -> None:
    """capex of one own RTX 3090 replica = GPU price + its desktop host (profiles/hosts.yaml)."""
    new = {r["option"]: r for r in _json(cli, "compare", "-g", "rtx-3090")}["own rtx-3090"]
    used = {r["option"]: r for r in _json(cli, "compare", "-g", "rtx-3090", "--used")}["own rtx-3090"]
    host = _entries("hosts")[new["host"]]["price_usd"]
    assert new["host"] == used["host"] == "desktop-1gpu"
    assert new["capex_usd"] == GPUS["rtx-3090"]["price_usd"] + host
    assert used["capex_usd"] == GPUS["rtx-3090"]["used_price_usd"] + host
    assert used["monthly_usd"] < new["monthly_usd"]


# ------------------------------------------------------------------------------------------ finetune rows

ASSUMED = yaml.safe_load((PROFILES / "assumptions.yaml").read_text())["assumptions"]


def test_finetune_rows_have_a_column_per_kind_of_cost(cli) -> None:
    rows = _json(cli, "finetune", "-m", "llama-3.1-8b", "-g", "rtx-4090", "-g", "2xrtx-3090", "--tokens", "50M",
                 "-a", "openai/gpt-4o-mini", "-a", "together/llama-3.1-8b", "-a", "anthropic/claude-haiku-4-5")
    by = {r["option"]: r for r in rows}
    assert list(by) == ["rtx-4090", "2xrtx-3090", "api openai/gpt-4o-mini", "api together/llama-3.1-8b",
                        "api anthropic/claude-haiku-4-5"]
    trained = 50e6 * ASSUMED["finetune_epochs"]["value"]
    for api_id in ("openai/gpt-4o-mini", "together/llama-3.1-8b"):
        r = by[f"api {api_id}"]
        assert (r["kind"], r["api"], r["gpu"], r["gpus"], r["rental"], r["method"]) == ("api", api_id, "n/a", "n/a", "n/a", "n/a")
        assert r["cost_api_usd"] == pytest.approx(APIS[api_id]["finetune_train_usd_per_mtok"] * trained / 1e6, rel=1e-12)
        assert r["cost_rented_usd"] == r["cost_owned_usd"] == "n/a"  # the API's price was in cost_rented_usd
        assert r["model"] == _expected_model(r["option"], "llama-3.1-8b")
    unsold = by["api anthropic/claude-haiku-4-5"]
    assert unsold["fits"] is False and unsold["cost_api_usd"] == "n/a" and "sells no fine-tuning" in unsold["reason"]
    for option in ("rtx-4090", "2xrtx-3090"):
        r = by[option]
        assert r["kind"] == "gpu" and r["api"] == "n/a" and r["cost_api_usd"] == "n/a"
        assert isinstance(r["cost_owned_usd"], float) and isinstance(r["cost_rented_usd"], float)
        assert r["rental"] in RENTALS and RENTALS[r["rental"]]["gpu"] == r["gpu"]
    assert by["2xrtx-3090"]["gpus"] == 2 and by["2xrtx-3090"]["gpu"] == "rtx-3090"


@pytest.mark.parametrize("width", [60, 80, 100, 120, 200])
def test_finetune_says_epochs_and_trained_tokens_at_any_width(cli, monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    """--tokens 50M with the default epochs trains on 150M tokens: the table says so, not a silent 150M."""
    epochs = ASSUMED["finetune_epochs"]["value"]
    assert epochs == 3
    monkeypatch.setenv("COLUMNS", str(width))
    rc, out, err = cli("finetune", "-m", "llama-3.1-8b", "-g", "rtx-4090", "--tokens", "50M", "-a", "openai/gpt-4o-mini")
    assert rc == 0, err
    assert "50M dataset tokens x 3 epochs = 150M trained tokens" in " ".join(out.split())
    row = _json(cli, "finetune", "-m", "llama-3.1-8b", "-g", "rtx-4090", "--tokens", "50M", "--epochs", "1")[0]
    assert (row["dataset_tokens"], row["epochs"], row["tokens"]) == (50_000_000, 1, 50_000_000)


# ------------------------------------------------------------------------------------------ digits and words


def test_cached_prices_keep_their_digits(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert APIS["openai/gpt-4o-mini"]["cached_input_usd_per_mtok"] == 0.075
    rc, out, err = cli("profiles", "list", "apis")
    assert rc == 0, err
    line = next(x for x in out.splitlines() if "openai/gpt-4o-mini " in x)
    assert "$0.075" in line and "$0.07 " not in line
    rc, out, _ = cli("profiles", "list", "apis", "-f", "markdown")
    assert "| $0.075 |" in next(x for x in out.splitlines() if "openai/gpt-4o-mini " in x)


def test_one_is_singular_everywhere(cli, tmp_path: Path) -> None:
    rc, _, err = cli("compare", "-g", "rtx-3090", "--fail-if", 'option == "own rtx-3090"', "-f", "csv")
    assert rc == 1 and "matched 1 row:" in err  # was "1 row(s)"
    grid = tmp_path / "grid.yaml"
    grid.write_text("grid:\n  options.gpus: [rtx-3090]\n  options.apis: [openai/gpt-4o-mini]\n")
    rc, _, err = cli("sweep", str(grid), "--set", "options.rentals=", "-o", str(tmp_path / "one.csv"),
                     "--where", 'option == "own rtx-3090"')
    assert rc == 0 and "wrote 1 row to" in err, err
    rc, out, err = cli("compare", "--samples", "1", "--set", "workload.requests_per_day=1000..2000")
    assert rc == 0 and "1 sample " in out + err and "1 samples" not in out + err
    rc, out, err = cli("profiles", "validate", str(tmp_path / "grid.yaml"))
    assert rc == 0 and "1 grid file valid in 1 path" in out, out + err


# ------------------------------------------------------------------------------------------ --explain shows every price

HOSTS = _entries("hosts")
_CAPEX_LINE = re.compile(r"^  (?P<option>own \S+): (?P<n>\d+) x (?P<gpu>\S+) at \$(?P<price>[\d,.]+) (?P<how>new|used) \((?P<field>\w+), "
                         r"as_of (?P<as_of>[\d-]+), .*\) \+ host \$(?P<host>[\d,.]+) \(hosts/(?P<box>[\w-]+)\) = \$(?P<unit>[\d,.]+) "
                         r"per replica; x (?P<replicas>\d+) replicas? = capex \$(?P<capex>[\d,.]+)    <- profiles/gpus.yaml:\d+$")


def _usd(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.mark.parametrize("used", [False, True])
def test_compare_explain_shows_each_gpu_price_host_and_the_capex_it_makes(cli, used: bool) -> None:
    argv = ["compare", "-g", "rtx-4090", "-g", "2xrtx-3090", *(["--used"] if used else [])]
    rows = {r["option"]: r for r in _json(cli, *argv)}
    rc, out, err = cli(*argv, "--explain")
    assert rc == 0, err
    found = {m["option"]: m for m in map(_CAPEX_LINE.match, out.splitlines()) if m}
    assert set(found) == {"own rtx-4090", "own 2xrtx-3090"}
    for option, m in found.items():
        gpu = GPUS[m["gpu"]]
        bought_used = used and "used_price_usd" in gpu
        price = gpu["used_price_usd"] if bought_used else gpu["price_usd"]
        as_of = gpu["used_price_as_of"] if bought_used else gpu["price_as_of"]
        assert (m["how"], m["field"], m["as_of"], _usd(m["price"])) == (
            "used" if bought_used else "new", "used_price_usd" if bought_used else "price_usd", str(as_of), price)
        n, replicas = int(m["n"]), int(m["replicas"])
        host = HOSTS[m["box"]]["price_usd"]  # a desk-side box: the whole host
        assert m["box"] == rows[option]["host"] and _usd(m["host"]) == host and _usd(m["unit"]) == n * price + host
        assert (n, replicas) == (rows[option]["gpus_per_replica"], rows[option]["replicas"])
        assert _usd(m["capex"]) == rows[option]["capex_usd"] == replicas * (n * price + host)  # the number in the table


def test_compare_explain_shows_each_rentals_rate_and_each_api_price(cli) -> None:
    rows = _json(cli, "compare", "-g", "rtx-4090")
    rc, out, err = cli("compare", "-g", "rtx-4090", "--explain", "-f", "csv")  # the explanation goes to stderr with CSV
    assert rc == 0
    for r in rows:
        name = r["option"].split(" ", 1)[1]
        if r["kind"] == "rent":
            line = next(x for x in err.splitlines() if x.startswith(f"  {r['option']}: "))
            assert line.startswith(f"  {r['option']}: {render.money(RENTALS[name]['usd_per_gpu_hour'])}/GPU-hour")
            assert f"as_of {RENTALS[name]['as_of']}" in line
        if r["kind"] == "api":
            line = next(x for x in err.splitlines() if x.startswith(f"  {name}: in "))
            assert f"in {APIS[name]['input_usd_per_mtok']:g}, out {APIS[name]['output_usd_per_mtok']:g}" in line


def test_compare_explain_with_samples_still_shows_the_capex(cli) -> None:
    rc, out, err = cli("compare", "-g", "rtx-3090", "--samples", "20", "--explain")
    assert rc == 0, err
    assert any(_CAPEX_LINE.match(x) for x in out.splitlines())


def test_finetune_and_serve_explain_show_the_prices_they_use(cli) -> None:
    rc, out, err = cli("finetune", "-m", "llama-3.1-8b", "-g", "rtx-3090", "--used", "--tokens", "50M", "-a", "openai/gpt-4o-mini",
                       "--explain")
    assert rc == 0, err
    text = " ".join(out.split())
    price = GPUS["rtx-3090"]["used_price_usd"]
    assert f"rtx-3090 price (USD) = {price:,} <- ${price:,} used (used_price_usd, as_of {GPUS['rtx-3090']['used_price_as_of']}" in text
    per_mtok = APIS["openai/gpt-4o-mini"]["finetune_train_usd_per_mtok"]
    assert f"cost_api_usd = {per_mtok * 150:,.6g} <- ${per_mtok:.2f} per 1M trained tokens" in text
    assert "tokens = 1.5e+08 <- dataset tokens x epochs" in text
    rc, out, err = cli("serve", "-m", "llama-3.1-8b", "-g", "2xrtx-4090", "--explain")
    assert rc == 0, err
    price = GPUS["rtx-4090"]["price_usd"]
    box = _json(cli, "serve", "-m", "llama-3.1-8b", "-g", "2xrtx-4090")[0]["host"]
    host = HOSTS[box]["price_usd"]
    assert f"replica capex (USD) = {2 * price + host:,} <- 2 x ${price:,} + host ${host:,} ({box}, profiles/hosts.yaml)" \
        in " ".join(out.split())
