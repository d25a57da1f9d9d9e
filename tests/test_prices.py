"""Importing API prices (genai-prices, LiteLLM) into profiles, and the warning for old prices.

The importer runs on small fixture files in each format (tests/fixtures/prices/, written for these
tests in the layout of genai-prices' prices/data.json and LiteLLM's model_prices_and_context_window.json),
and its output is checked with the profile loader. One test imports the installed genai-prices data.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace as NS

import pytest
import yaml

from llmcost import catalog, comparison, prices, scenarios
from llmcost.errors import LlmcostError
from llmcost.price_import import entries, genai_prices, importer

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "prices"
GENAI = FIXTURES / "genai-prices.json"
LITELLM = FIXTURES / "litellm.json"
TODAY = datetime.date(2026, 11, 26)


@pytest.fixture
def run(cli, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("LLMCOST_PROFILES", raising=False)
    return cli


def _import(run, tmp_path: Path, *argv: str) -> tuple[int, str, str, Path]:
    target = tmp_path / "imported" / "prices.yaml"
    target.parent.mkdir(exist_ok=True)
    rc, out, err = run("profiles", "import-prices", *argv, "-o", str(target))
    return rc, out, err, target


def _apis(path: Path) -> dict:
    """The entries the profile loader reads from `path` (built-ins left out)."""
    cat = catalog.load([path])
    return {i: a for i, a in cat.entries["apis"].items() if cat.where[("apis", i)].path == str(path)}


# ------------------------------------------------------------------------------------------ genai-prices

def test_genai_prices_fixture_imports_prices_tiers_cache_batch_and_links(run, tmp_path: Path) -> None:
    rc, out, err, target = _import(run, tmp_path, "--from", "genai-prices", "--data", str(GENAI), "--as-of", "2026-11-01")
    assert rc == 0, err
    assert out == ""  # the file is the output; stdout stays empty
    apis = _apis(target)
    assert set(apis) == {"acme/acme-fast-8b", "acme/acme-long", "acme/acme-multi-tier", "acme/acme-changing",
                         "acme/acme-chat-v2", "together/meta-llama/meta-llama-3.1-8b-instruct-turbo",
                         "together/acme/unknown-open-model"}
    fast = apis["acme/acme-fast-8b"]
    assert (fast.input_usd_per_mtok, fast.output_usd_per_mtok, fast.cached_input_usd_per_mtok) == (0.1, 0.2, 0.05)
    assert fast.batch_discount == 0.5 and fast.context == 131072 and fast.as_of == "2026-11-01"
    assert fast.provider == "acme" and fast.name == "Acme Fast 8B" and fast.context_tiers == ()
    assert "genai-prices.json" in fast.sources["default"] and "providers[acme].models[acme-fast-8b]" in fast.sources["default"]
    assert "https://acme.example/pricing" in fast.sources["default"]

    long_ = apis["acme/acme-long"]
    assert (long_.input_usd_per_mtok, long_.output_usd_per_mtok, long_.cached_input_usd_per_mtok) == (1.25, 10, 0.125)
    assert [(t.above_tokens, t.input_usd_per_mtok, t.output_usd_per_mtok, t.cached_input_usd_per_mtok)
            for t in long_.context_tiers] == [(200000, 2.5, 15, 0.25)]
    assert long_.batch_discount is None  # no batch variant in the data

    multi = apis["acme/acme-multi-tier"]  # input tiers at 128k and 256k, output only at 256k: one llmcost tier each
    assert [(t.above_tokens, t.input_usd_per_mtok, t.output_usd_per_mtok, t.cached_input_usd_per_mtok)
            for t in multi.context_tiers] == [(128000, 2, 4, 0.1), (256000, 3, 8, 0.1)]

    changing = apis["acme/acme-changing"]  # the 2026-01-01 price is in force; the 2099 one is noted, not used
    assert (changing.input_usd_per_mtok, changing.output_usd_per_mtok) == (2, 5)
    assert "2099-01-01" in changing.notes

    assert apis["acme/acme-chat-v2"].notes.startswith("Deprecated")  # 'Acme:Chat@v2' in llmcost's id alphabet
    assert apis["together/meta-llama/meta-llama-3.1-8b-instruct-turbo"].serves_model == "llama-3.1-8b"
    assert apis["together/acme/unknown-open-model"].serves_model is None  # not in the alias table: no guess


def test_genai_prices_unmappable_entries_are_listed_not_guessed(run, tmp_path: Path) -> None:
    rc, _, err, target = _import(run, tmp_path, "--from", "genai-prices", "--data", str(GENAI), "--as-of", "2026-11-01")
    assert rc == 0
    lines = err.splitlines()
    assert "llmcost: skipped 1 (time-of-day pricing (peak and off-peak rates)): acme/acme-peak" in lines
    assert "llmcost: skipped 1 (per-request pricing (requests_kcount)): acme/acme-search" in lines
    assert "llmcost: skipped 1 (missing output token price): acme/acme-embed" in lines
    assert any(line.startswith("llmcost: skipped 1 (tiers not expressible") and line.endswith("acme/acme-zero-tier")
               for line in lines)
    sha = hashlib.sha256(GENAI.read_bytes()).hexdigest()[:12]
    assert lines[-1] == (f"llmcost: imported 7 API prices from genai-prices data genai-prices.json (sha256 "
                         f"{sha}) to {target}; skipped 4 that cannot be mapped faithfully (listed above)")
    assert not set(_apis(target)) & {"acme/acme-peak", "acme/acme-search", "acme/acme-embed", "acme/acme-zero-tier"}


def test_provider_filter_and_unknown_provider(run, tmp_path: Path) -> None:
    rc, _, err, target = _import(run, tmp_path, "--from", "genai-prices", "--data", str(GENAI), "--provider", "together",
                                 "--as-of", "2026-11-01")
    assert rc == 0, err
    assert set(_apis(target)) == {"together/meta-llama/meta-llama-3.1-8b-instruct-turbo", "together/acme/unknown-open-model"}
    assert "skipped" not in err
    assert "--provider together" in target.read_text().splitlines()[0]
    rc, out, err = run("profiles", "import-prices", "--from", "genai-prices", "--data", str(GENAI), "--provider", "togther")
    assert (rc, out) == (2, "")
    assert err == "llmcost: error: --provider: unknown genai-prices provider 'togther'; did you mean 'together'?\n"


def test_stdout_when_no_output_file_and_default_as_of_is_the_file_date(run, tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_bytes(GENAI.read_bytes())
    saved = datetime.datetime(2026, 9, 3, 12, tzinfo=datetime.UTC).timestamp()
    os.utime(data, (saved, saved))
    rc, out, err = run("profiles", "import-prices", "--from", "genai-prices", "--data", str(data), "--provider", "acme")
    assert rc == 0, err
    assert out.startswith("# API prices imported from genai-prices data data.json") and "\napis:\n" in out
    assert "as_of: '2026-09-03'" in out
    assert ("llmcost: note: as_of 2026-09-03 is the day the data was saved or installed (it records no check date); "
            "pass --as-of DATE for the day the prices were published") in err.splitlines()


def test_genai_prices_missing_is_one_line_and_exit_2(run, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "genai_prices", None)  # `import genai_prices` now raises ImportError
    rc, out, err = run("profiles", "import-prices", "--from", "genai-prices")
    assert (rc, out) == (2, "")
    assert err == ("llmcost: error: genai-prices is not installed; run `pip install 'llmcost[prices]'` or pass a data "
                   "file with --data FILE\n")


def test_fixture_is_in_genai_prices_format_and_both_readers_agree() -> None:
    """genai-prices' own loader reads the fixture; importing its records gives what importing the JSON gives."""
    types = pytest.importorskip("genai_prices.types")
    load = getattr(types, "_providers_from_raw", None)
    if load is None:
        pytest.skip("this genai-prices version has no _providers_from_raw")
    raw, _ = importer.read_json(GENAI, "genai-prices data")
    links = entries.load_model_links(catalog.load().entries["models"])
    from_json = genai_prices.import_genai_prices(raw, label="x", as_of="2026-11-01", today=TODAY, links=links)
    from_records = genai_prices.import_genai_prices(genai_prices.plain_providers(load(json.loads(GENAI.read_text()))),
                                                    label="x", as_of="2026-11-01", today=TODAY, links=links)
    assert from_records.entries == from_json.entries and from_records.skipped == from_json.skipped
    assert len(from_json.entries) == 7 and len(from_json.skipped) == 4


def test_installed_genai_prices_data_imports_and_loads(run, tmp_path: Path) -> None:
    genai_prices = pytest.importorskip("genai_prices")
    rc, _, err, target = _import(run, tmp_path, "--from", "genai-prices", "--as-of", "2026-11-10")
    assert rc == 0, err
    apis = _apis(target)  # the profile loader accepts every entry
    assert len(apis) > 100
    assert all(a.as_of == "2026-11-10" for a in apis.values())
    assert all(f"genai-prices {genai_prices.__version__} (installed package)" in a.sources["default"] for a in apis.values())
    assert any(a.context_tiers for a in apis.values()) and any(a.cached_input_usd_per_mtok for a in apis.values())
    assert any(a.serves_model for a in apis.values())
    assert err.splitlines()[-1].startswith(f"llmcost: imported {len(apis)} API prices from genai-prices")


# ------------------------------------------------------------------------------------------ LiteLLM

def test_litellm_fixture_converts_per_token_prices_tiers_cache_and_batch(run, tmp_path: Path) -> None:
    rc, out, err, target = _import(run, tmp_path, "--from", "litellm", str(LITELLM), "--as-of", "2026-11-01")
    assert rc == 0, err
    apis = _apis(target)
    assert set(apis) == {"acme/fast-8b", "acme/long", "acme/responses-only",
                         "together/meta-llama/meta-llama-3.1-8b-instruct-turbo", "google/gemini-9-pro"}
    fast = apis["acme/fast-8b"]  # 1e-07 per token is 0.1 per 1M exactly, not 0.09999999999999999
    assert (fast.input_usd_per_mtok, fast.output_usd_per_mtok, fast.cached_input_usd_per_mtok) == (0.1, 0.2, 0.05)
    assert fast.batch_discount == 0.5 and fast.context == 131072
    assert "litellm.json" in fast.sources["default"] and "https://acme.example/pricing" in fast.sources["default"]
    long_ = apis["acme/long"]
    assert [(t.above_tokens, t.input_usd_per_mtok, t.output_usd_per_mtok, t.cached_input_usd_per_mtok)
            for t in long_.context_tiers] == [(200000, 2.5, 15, 0.25)]
    assert "deprecation date of 2026-01-31 (passed)" in long_.notes
    assert (apis["acme/responses-only"].input_usd_per_mtok, apis["acme/responses-only"].output_usd_per_mtok) == (15, 120)
    assert apis["together/meta-llama/meta-llama-3.1-8b-instruct-turbo"].serves_model == "llama-3.1-8b"
    assert apis["google/gemini-9-pro"].provider == "google"  # LiteLLM's 'gemini' provider is Google's API
    lines = err.splitlines()
    for name, reason in [("acme/embed", "mode 'embedding' is not chat"), ("acme/painter", "mode 'image_generation' is not chat"),
                         ("acme/legacy-completion", "mode 'completion' is not chat"),
                         ("acme/no-output", "missing output token price"),
                         ("acme/ranged", "tiers not expressible (tiered_pricing ranges)"),
                         ("acme/online", "per-request pricing (input_cost_per_request)")]:
        assert f"llmcost: skipped 1 ({reason}): {name}" in lines
    assert "sample_spec" not in err
    assert lines[-1].endswith("to " + str(target) + "; skipped 6 that cannot be mapped faithfully (listed above)")


def test_litellm_needs_a_file_and_bad_input_is_one_line(run, tmp_path: Path) -> None:
    cases = [
        (["--from", "litellm"], "llmcost: error: --from litellm needs the JSON file: llmcost profiles import-prices "
                                "--from litellm model_prices_and_context_window.json"),
        (["--from", "litelm", str(LITELLM)], "llmcost: error: unknown --from source 'litelm'; did you mean 'litellm'?"),
        (["--from", "litellm", str(tmp_path / "nope.json")],
         f"llmcost: error: LiteLLM prices file {str(tmp_path / 'nope.json')!r}: no such file; {HINT}"),
        (["--from", "litellm", str(LITELLM), "--as-of", "2026-02-30"],
         "llmcost: error: --as-of '2026-02-30': expected a date YYYY-MM-DD, e.g. 2026-11-10"),
        (["--from", "genai-prices", "--data", str(LITELLM)],
         f"llmcost: error: genai-prices data file {str(LITELLM)!r}: providers: expected a list of providers (genai-prices "
         "prices/data.json), got a mapping"),
    ]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    cases.append((["--from", "litellm", str(bad)],
                  f"llmcost: error: LiteLLM prices file {str(bad)!r}: not JSON (Expecting property name enclosed in double "
                  "quotes at line 1)"))
    for argv, message in cases:
        rc, out, err = run("profiles", "import-prices", *argv)
        assert (rc, out, err) == (2, "", message + "\n"), argv


# ------------------------------------------------------------------------------------------ malformed input

MALFORMED = FIXTURES / "malformed"
GENAI_FILE, LITELLM_FILE = "genai-prices data file", "LiteLLM prices file"


@pytest.mark.parametrize(("name", "message"), [
    ("genai-model-without-id.json", "providers[0].models[1]: missing id (a string)"),
    ("genai-price-string.json", "providers[0].models[1].prices.input_mtok.tiers[0].price: expected a number, got '2.5'"),
    ("genai-impossible-date.json",
     "providers[0].models[1].prices[1].constraint.start_date: expected a date YYYY-MM-DD (a real day), got '2026-02-30'"),
    ("genai-5000-digits.json", "providers[0].models[1].prices.input_mtok: expected a number from 0 to 1e+18, got 9999999999... "
                               "(5,000 digits)"),
    ("genai-deep-nesting.json", "line 29: nested more than 100 levels deep; price data is a few levels deep"),
    ("genai-not-json.json", "not JSON (Expecting value at line 1)"),
    ("genai-list-for-mapping.json", "providers[0]: expected a mapping, got a list"),
    ("litellm-model-without-id.json", "[''] (the name): expected a string of 1 to 300 characters, got ''"),
    ("litellm-price-string.json", "['acme/long'].input_cost_per_token_above_200k_tokens: expected a number, got 'abc'"),
    ("litellm-impossible-date.json", "['acme/old'].deprecation_date: expected a date YYYY-MM-DD (a real day), got '2026-02-30'"),
    ("litellm-5000-digits.json", "['acme/huge'].max_input_tokens: expected a number from 0 to 1e+18, got 1000000000... "
                                 "(5,000 digits)"),
    ("litellm-deep-nesting.json", "line 19: nested more than 100 levels deep; price data is a few levels deep"),
    ("litellm-not-json.json", "not JSON (Expecting value at line 1)"),
    ("litellm-list-for-mapping.json", "top level: expected a mapping of model name -> prices "
                                      "(model_prices_and_context_window.json), got a list"),
])
def test_malformed_file_is_one_line_naming_the_first_bad_value_and_nothing_is_written(run, tmp_path: Path, name: str,
                                                                                     message: str) -> None:
    """Each fixture is a valid file of its format with one fault; the first model in each is fine."""
    path = MALFORMED / name
    litellm = name.startswith("litellm")
    target = tmp_path / "prices.yaml"
    target.write_text("precious\n")
    argv = ["--from", "litellm", str(path)] if litellm else ["--from", "genai-prices", "--data", str(path)]
    rc, out, err = run("profiles", "import-prices", *argv, "--as-of", "2026-11-01", "-o", str(target))
    assert (rc, out) == (2, "")
    assert err == f"llmcost: error: {LITELLM_FILE if litellm else GENAI_FILE} {str(path)!r}: {message}\n"
    assert target.read_text() == "precious\n" and [p.name for p in tmp_path.iterdir()] == ["prices.yaml"]


@pytest.mark.parametrize(("litellm", "text", "message"), [
    (True, '{"acme/m": {"litellm_provider": "a", "input_cost_per_token": NaN}}',
     "['acme/m'].input_cost_per_token: expected a number from 0 to 1e+18, got NaN"),
    (True, '{"acme/m": {"litellm_provider": "a", "output_cost_per_token": -1e-06}}',
     "['acme/m'].output_cost_per_token: expected a number from 0 to 1e+18, got -0.000001"),
    (True, '{"acme/m": {"litellm_provider": "a", "input_cost_per_token": true}}', "['acme/m'].input_cost_per_token: expected a number, got true"),
    (True, '{"acme/m": "chat"}', "['acme/m']: expected a mapping, got 'chat'"),
    (True, '{"acme/m": {"litellm_provider": "a\\u001b[2J"}}',
     "['acme/m'].litellm_provider: control characters are not allowed in text, got 'a\\x1b[2J'"),
    (True, '{"acme/m": {"litellm_provider": ["a"]}}', "['acme/m'].litellm_provider: expected a string, got a list"),
    (True, "", "not JSON (Expecting value at line 1)"),
    (True, "[" * 100_000, "line 1: nested more than 100 levels deep; price data is a few levels deep"),
    (False, '{"id": "acme"}', "providers: expected a list of providers (genai-prices prices/data.json), got a mapping"),
    (False, '[{"id": "acme", "models": {"id": "m"}}]', "providers[0].models: expected a list, got a mapping"),
    (False, '[{"id": "acme", "models": [{"id": "m", "prices": {"input_mtok": "abc"}}]}]',
     "providers[0].models[0].prices.input_mtok: expected a number or a mapping with base and tiers, got 'abc'"),
    (False, '[{"id": "acme", "models": [{"id": "m", "prices": {"input_mtok": {"base": 1, "tiers": [{"start": 1.5, "price": 2}]}}}]}]',
     "providers[0].models[0].prices.input_mtok.tiers[0].start: expected a whole number, got 1.5"),
    (False, '[{"id": "acme", "models": [{"id": "m", "context_window": -5}]}]',
     "providers[0].models[0].context_window: expected a whole number from 0 to 1e+18, got -5"),
    (False, '[{"id": "acme", "models": [{"id": "m", "prices": [{"constraint": {"start_date": "2026-1-1"}, "prices": {}}]}]}]',
     "providers[0].models[0].prices[0].constraint.start_date: expected a date YYYY-MM-DD (a real day), got '2026-1-1'"),
    (False, '[{"id": "acme", "models": [{"id": "m", "prices": [{"constraint": {}, "prices": {}}]}]}]',
     "providers[0].models[0].prices[0].constraint: missing start_date or start_time"),
    (False, '[{"id": "acme", "models": [{"id": "m", "deprecated": "yes"}]}]',
     "providers[0].models[0].deprecated: expected true or false, got 'yes'"),
    (False, '[{"id": "' + "x" * 300 + '"}]', f"providers[0].id: expected a string of 1 to 200 characters, got {'x' * 40!r}... "
                                             "(300 characters)"),
])
def test_more_malformed_input(run, tmp_path: Path, litellm: bool, text: str, message: str) -> None:
    path = tmp_path / "data.json"
    path.write_text(text)
    argv = ["--from", "litellm", str(path)] if litellm else ["--from", "genai-prices", "--data", str(path)]
    rc, out, err = run("profiles", "import-prices", *argv)
    assert (rc, out, err) == (2, "", f"llmcost: error: {LITELLM_FILE if litellm else GENAI_FILE} {str(path)!r}: {message}\n")


def test_mutated_files_import_or_fail_with_one_error(tmp_path: Path) -> None:
    """300 seeded mutations of the two fixtures (values swapped for hostile ones, keys dropped): each imports
    into entries the profile writer can dump, with finite prices >= 0, or fails with one LlmcostError."""
    import copy
    import math
    import random

    rng = random.Random(20261126)
    weird: list[object] = ["abc", "", "2026-02-30", "\x1b[2J", "a\tb", [], {}, [[[]]], True, None, -1, 0, 1.5, 10**30, 1e308,
                           {"base": "x"}, {"base": 1, "tiers": [{"start": -1, "price": 1}]}, {"start_date": "2099-13-01"}, {"start_time": 5}]
    models = catalog.load().entries["models"]

    def paths(node: object, at: tuple = ()) -> list[tuple]:
        kids = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        return [at] + [p for k, v in kids for p in paths(v, (*at, k))]

    for i in range(300):
        source, base = rng.choice([("genai-prices", GENAI), ("litellm", LITELLM)])
        data = copy.deepcopy(json.loads(base.read_text()))
        for _ in range(rng.randint(1, 3)):
            where = rng.choice(paths(data)[1:])
            parent = data
            for key in where[:-1]:
                parent = parent[key]
            if isinstance(parent, dict) and rng.random() < 0.15:
                del parent[where[-1]]
            else:
                parent[where[-1]] = copy.deepcopy(rng.choice(weird))
        path = tmp_path / f"{i}.json"
        path.write_text(json.dumps(data))
        try:
            imported, _ = importer.import_source(source, path, as_of="2026-11-01", today=TODAY, model_ids=models)
        except LlmcostError as e:
            assert "\n" not in str(e)
            continue
        yaml.safe_dump(imported.entries)  # plain numbers and strings only (no Decimal)
        for entry in imported.entries:
            for tier in [entry, *entry.get("context_tiers", ())]:
                money = [v for k, v in tier.items() if k.endswith("_usd_per_mtok")]
                assert all(isinstance(v, (int, float)) and math.isfinite(v) and v >= 0 for v in money), entry


HINT = "give the price data JSON (LiteLLM's model_prices_and_context_window.json or genai-prices' data.json)"


def test_unreadable_and_oversized_files_are_one_line(run, tmp_path: Path, monkeypatch) -> None:
    binary = tmp_path / "data.json"
    binary.write_bytes(b'{"m": "\xff"}')
    rc, out, err = run("profiles", "import-prices", "--from", "litellm", str(binary))
    assert (rc, out, err) == (2, "", f"llmcost: error: {LITELLM_FILE} {str(binary)!r}: not UTF-8 text (byte 7); is it the JSON file?\n")
    rc, out, err = run("profiles", "import-prices", "--from", "litellm", str(tmp_path))
    assert (rc, out, err) == (2, "", f"llmcost: error: {LITELLM_FILE} {str(tmp_path)!r}: is a directory; {HINT}\n")
    monkeypatch.setattr(importer, "MAX_JSON_BYTES", 2**20)
    big = tmp_path / "big.json"
    big.write_text("{" + " " * 2**20 + "}")
    rc, out, err = run("profiles", "import-prices", "--from", "litellm", str(big))
    assert (rc, out, err) == (2, "", f"llmcost: error: {LITELLM_FILE} {str(big)!r}: over 1 MiB; {HINT}\n")


def test_shape_checker_on_its_own() -> None:
    """The checker is generic: paths, null for optional keys, unknown keys not read, patterns, first fault wins."""
    import re
    from decimal import Decimal

    from llmcost.price_import import shape as S

    item = S.Fields({"id": S.Text(10, min_len=1), "n": S.Number(0, 10, whole=True)}, required=("id",),
                    patterns=((re.compile(r"^p_\d+$"), S.Number(0, 1)),))
    s = S.ListOf(item)
    S.check([{"id": "a", "n": None, "other": {"deep": [1, "x"]}, "p_1": Decimal("0.5")}], s, "rows")  # fits
    for data, message in [
        ([{"id": "a"}, {"n": 1}], "rows[1]: missing id (a string)"),
        ([{"id": "a", "n": 11, "p_2": 5}], "rows[0].n: expected a whole number from 0 to 10, got 11"),
        ([{"id": "a", "p_2": 5}], "rows[0].p_2: expected a number from 0 to 1, got 5"),
        ([{"id": "a", "n": Decimal("sNaN")}], "rows[0].n: expected a whole number from 0 to 10, got sNaN"),
        ({"id": "a"}, "rows: expected a list, got a mapping"),
    ]:
        with pytest.raises(S.ShapeError) as e:
            S.check(data, s, "rows")
        assert str(e.value) == message
    names = S.ValuesOf(S.Number(0, 1), skip=frozenset({"doc"}))
    S.check({"doc": "anything", "a/b": 1}, names)
    with pytest.raises(S.ShapeError, match=r"^\['a/b'\]: expected a number, got 'x'$"):
        S.check({"a/b": "x"}, names)
    with pytest.raises(S.ShapeError, match=r"^top level: expected a mapping, got a list$"):
        S.check([], names)


# ------------------------------------------------------------------------------------------ output file

def test_output_is_validated_before_it_replaces_an_existing_file(run, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "prices.yaml"
    target.write_text("precious\n")
    real = importer.profile_text
    monkeypatch.setattr(importer, "profile_text", lambda imported, command: real(imported, command).replace(
        "input_usd_per_mtok: 0.1\n", "input_usd_per_mtok: '0,1'\n", 1))
    rc, out, err = run("profiles", "import-prices", "--from", "litellm", str(LITELLM), "--as-of", "2026-11-01",
                       "-o", str(target))
    assert rc == 2 and out == ""
    assert err.splitlines()[-1].startswith(f"llmcost: error: the imported file does not load, nothing written: {target}:8: ")
    assert "expected a number >= 0, got '0,1'" in err
    assert target.read_text() == "precious\n"
    assert [p.name for p in tmp_path.iterdir()] == ["prices.yaml"]  # no temporary file left behind


def test_output_over_the_input_file_is_refused(run, tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "litellm.json"
    data.write_bytes(LITELLM.read_bytes())
    monkeypatch.chdir(tmp_path)
    for argv in (["--from", "litellm", str(data)], ["--from", "genai-prices", "--data", "litellm.json"]):
        rc, out, err = run("profiles", "import-prices", *argv, "-o", "./litellm.json")
        assert rc == 2 and out == "" and "llmcost: error: --output './litellm.json' is also an input of this run" in err
    assert data.read_bytes() == LITELLM.read_bytes()


def test_file_too_large_for_a_profile_is_refused(monkeypatch) -> None:
    monkeypatch.setattr("llmcost.yamlsrc.MAX_FILE_BYTES", 100)
    with pytest.raises(LlmcostError, match="over the 100-byte limit of a profile file; pick providers with --provider"):
        importer.validate_text("apis: []\n" + "#" * 200, "prices.yaml")


def test_imported_prices_are_used_by_compare_and_shown_in_explain(run, tmp_path: Path) -> None:
    rc, _, err, target = _import(run, tmp_path, "--from", "genai-prices", "--data", str(GENAI), "--as-of", "2026-11-01")
    assert rc == 0, err
    rc, out, err = run("compare", "--profiles", str(target.parent), "--api", "acme/acme-fast-8b", "-f", "json")
    assert rc == 0, err
    row = next(r for r in json.loads(out) if r["option"] == "api acme/acme-fast-8b")
    # team-assistant: 1,500 input tokens (30% cached) and 400 output tokens per request
    per_request = (1500 * (0.7 * 0.1 + 0.3 * 0.05) + 400 * 0.2) / 1e6
    assert row["usd_per_mtok"] == pytest.approx(per_request / 1900 * 1e6, rel=1e-9)
    # the imported price is fresh (the built-in GPUs' launch prices are not)
    assert not any(ln.startswith("llmcost: warning:") and "API price" in ln for ln in err.splitlines())
    rc, out, err = run("compare", "--profiles", str(target.parent), "--api", "acme/acme-fast-8b", "--explain")
    assert rc == 0, err
    line = next(x for x in out.splitlines() if x.strip().startswith("acme/acme-fast-8b:"))
    assert "in 0.1, out 0.2, cached 0.05; as_of 2026-11-01 (25 days)" in line and f"<- {target}:" in line


def test_imported_host_of_a_served_model_joins_its_comparison(run, tmp_path: Path) -> None:
    rc, _, err, target = _import(run, tmp_path, "--from", "litellm", str(LITELLM), "--as-of", "2026-11-01")
    assert rc == 0, err
    rc, out, err = run("compare", "--profiles", str(target.parent), "-f", "json")  # team-assistant serves llama-3.1-8b
    assert rc == 0, err
    assert "api together/meta-llama/meta-llama-3.1-8b-instruct-turbo" in [r["option"] for r in json.loads(out)]


# ------------------------------------------------------------------------------------------ staleness

def _cat(apis: dict[str, str] | None = None, gpus: dict[str, NS] | None = None, rentals: dict[str, str] | None = None) -> NS:
    return NS(entries={"apis": {i: NS(as_of=d) for i, d in (apis or {}).items()}, "gpus": gpus or {},
                       "rentals": {i: NS(as_of=d) for i, d in (rentals or {}).items()}})


def _gpu(price_as_of: str, used_price_usd: float | None = None, used_price_as_of: str | None = None) -> NS:
    return NS(price_as_of=price_as_of, used_price_usd=used_price_usd, used_price_as_of=used_price_as_of)


def test_stale_lines_name_the_oldest_first_and_count_the_rest() -> None:
    cat = _cat(apis={"a/old": "2025-01-01", "b/older": "2024-01-01", "c/new": "2026-11-01", "d/x": "2026-01-01",
                     "e/y": "2025-06-01"})
    used = prices.PricesUsed(apis=("c/new", "a/old", "b/older", "d/x", "e/y", "a/old"))
    assert prices.stale_lines(cat, used, 180, TODAY) == [
        "llmcost: warning: 4 API prices are older than 180 days: b/older (as_of 2024-01-01, 1060 days), "
        "a/old (as_of 2025-01-01, 694 days), e/y (as_of 2025-06-01, 543 days) and 1 more; " + prices.REFRESH_HINT]


def test_an_old_gpu_or_rental_price_warns_exactly_like_an_old_api_price() -> None:
    """Same threshold, same words, one line per kind in the order API, GPU, rental; only the hint differs."""
    cat = _cat(apis={"x/api": "2025-01-01"}, gpus={"x-gpu": _gpu("2025-01-01")}, rentals={"x/rental": "2025-01-01"})
    used = prices.PricesUsed(apis=("x/api",), gpus=("x-gpu",), rentals=("x/rental",))
    template = "llmcost: warning: 1 {} price is older than 180 days: {} ({} 2025-01-01, 694 days); {}"
    assert prices.stale_lines(cat, used, 180, TODAY) == [
        template.format("API", "x/api", "as_of", prices.REFRESH_HINT),
        template.format("GPU", "x-gpu", "price_as_of", prices.PROFILE_HINT),
        template.format("rental", "x/rental", "as_of", prices.PROFILE_HINT)]
    assert prices.stale_lines(cat, used, 693, TODAY) == [line.replace("180 days", "693 days") for line in
                                                         prices.stale_lines(cat, used, 180, TODAY)]
    assert prices.stale_lines(cat, used, 694, TODAY) == []  # exactly 694 days old is not older than 694
    assert prices.stale_lines(cat, used, 0, TODAY) == []  # 0: never


def test_a_gpu_bought_used_is_dated_by_its_used_price() -> None:
    cat = _cat(gpus={"old-new-price": _gpu("2020-09-24", 700, "2026-11-01"), "both-old": _gpu("2020-09-24", 700, "2025-01-01"),
                     "no-used-price": _gpu("2025-01-01"), "undated-used": _gpu("2025-01-01", 700)})
    line = prices.stale_lines(cat, prices.PricesUsed(used_gpus=tuple(cat.entries["gpus"])), 180, TODAY)
    assert line == ["llmcost: warning: 3 GPU prices are older than 180 days: both-old (used_price_as_of 2025-01-01, 694 days), "
                    "no-used-price (price_as_of 2025-01-01, 694 days), undated-used (price_as_of 2025-01-01, 694 days); "
                    + prices.PROFILE_HINT]
    bought_new = prices.stale_lines(cat, prices.PricesUsed(gpus=("old-new-price",)), 180, TODAY)
    assert bought_new[0].startswith("llmcost: warning: 1 GPU price is older than 180 days: old-new-price (price_as_of 2020-09-24, 2254 days)")


def test_stale_lines_threshold_and_unknown_ids() -> None:
    cat = _cat(apis={"a/x": "2026-05-30"}, gpus={"g": _gpu("2026-05-30")}, rentals={"r/x": "2026-05-30"})  # 180 days before TODAY
    every = prices.PricesUsed(apis=("a/x",), gpus=("g",), rentals=("r/x",))
    assert prices.stale_lines(cat, every, 180, TODAY) == []
    assert len(prices.stale_lines(cat, every, 179, TODAY)) == 3
    assert prices.stale_lines(cat, every, 179, TODAY - datetime.timedelta(days=1)) == []  # today is injectable
    assert prices.stale_lines(cat, prices.PricesUsed(apis=("nope/api",), gpus=("nope",), rentals=("--usd-per-gpu-hour", "n/a")), 1,
                              TODAY) == []
    assert prices.stale_lines(cat, prices.PricesUsed(), 1, TODAY) == []


def test_prices_used_join_keeps_order_and_drops_repeats() -> None:
    a = prices.PricesUsed(apis=("x", "y"), gpus=("g",), rentals=("r",))
    b = prices.PricesUsed(apis=("y", "z"), gpus=("g",), used_gpus=("g",))
    assert a | b == prices.PricesUsed(apis=("x", "y", "z"), gpus=("g",), used_gpus=("g",), rentals=("r",))


def _old_profiles(tmp_path: Path, valid_profiles, used_price_as_of: str | None = None) -> Path:
    """An API, a GPU and its rental offer, each priced on 2025-01-01 (694 days before TODAY)."""
    data = valid_profiles()
    gpu = {**data["gpus"][0], "id": "old-gpu", "price_as_of": "2025-01-01"}
    if used_price_as_of:
        gpu.update(used_price_usd=900, used_price_as_of=used_price_as_of)
    rental = {**data["rentals"][0], "id": "old/rental", "gpu": "old-gpu"}
    api = {**data["apis"][0], "id": "old/api", "finetune_train_usd_per_mtok": 3}
    api.pop("serves_model")
    d = tmp_path / "old"
    d.mkdir(parents=True)
    (d / "old.yaml").write_text(yaml.safe_dump({"gpus": [gpu], "rentals": [rental], "apis": [api]}, sort_keys=False))
    return d


API_LINE = f"llmcost: warning: 1 API price is older than 180 days: old/api (as_of 2025-01-01, 694 days); {prices.REFRESH_HINT}"
GPU_LINE = f"llmcost: warning: 1 GPU price is older than 180 days: old-gpu (price_as_of 2025-01-01, 694 days); {prices.PROFILE_HINT}"
RENTAL_LINE = (f"llmcost: warning: 1 rental price is older than 180 days: old/rental (as_of 2025-01-01, 694 days); "
               f"{prices.PROFILE_HINT}")
SCENARIO = ["--gpu", "old-gpu", "--api", "old/api", "--set", "options.hosts=false"]


@pytest.mark.parametrize(("argv", "expected"), [
    (["compare", *SCENARIO], [API_LINE, GPU_LINE, RENTAL_LINE]),
    (["compare", *SCENARIO, "--vs", "old/api", "--set", "options.rentals="], [API_LINE, GPU_LINE]),
    (["breakeven", *SCENARIO], [API_LINE, GPU_LINE, RENTAL_LINE]),
    (["sensitivity", *SCENARIO], [API_LINE, GPU_LINE, RENTAL_LINE]),
    (["serve", "-m", "llama-3.1-8b", "--gpu", "old-gpu"], [GPU_LINE, RENTAL_LINE]),
    (["finetune", "-m", "llama-3.1-8b", "--gpu", "old-gpu", "-a", "old/api"], [API_LINE, GPU_LINE, RENTAL_LINE]),
    (["finetune", "-m", "llama-3.1-8b", "--gpu", "old-gpu", "--usd-per-gpu-hour", "0.5"], [GPU_LINE]),
    (["pretrain", "-m", "llama-7b", "--gpu", "8xold-gpu", "--tokens", "1B"], [GPU_LINE, RENTAL_LINE]),
])
def test_every_pricing_command_warns_about_each_old_price_once(run, tmp_path: Path, valid_profiles, argv: list[str],
                                                               expected: list[str]) -> None:
    d = _old_profiles(tmp_path, valid_profiles)
    rc, out, err = run(*argv, "--profiles", str(d), "-f", "csv")
    assert rc == 0, err
    assert [line for line in err.splitlines() if line.startswith("llmcost: warning:")] == expected
    assert "warning" not in out
    for limit in ("0", "1000"):  # 0: never; 1000 days: none of them is that old
        rc, _, err = run(*argv, "--profiles", str(d), "-f", "csv", "--max-price-age-days", limit)
        assert rc == 0 and "warning" not in err


def test_a_gpu_bought_used_warns_by_its_used_price_date(run, tmp_path: Path, valid_profiles) -> None:
    fresh = _old_profiles(tmp_path / "fresh", valid_profiles, used_price_as_of="2026-11-01")
    argv = ["compare", *SCENARIO, "--set", "options.rentals=", "-f", "csv"]
    rc, _, err = run(*argv, "--profiles", str(fresh), "--set", "options.used=true")
    assert rc == 0 and [x for x in err.splitlines() if "warning" in x] == [API_LINE]
    old = _old_profiles(tmp_path / "old", valid_profiles, used_price_as_of="2025-03-01")
    rc, _, err = run("serve", "-m", "llama-3.1-8b", "--gpu", "old-gpu", "--used", "--profiles", str(old), "-f", "csv")
    assert rc == 0 and [x for x in err.splitlines() if "GPU price" in x] == [GPU_LINE.replace(
        "(price_as_of 2025-01-01, 694 days)", "(used_price_as_of 2025-03-01, 635 days)")]


def test_sweep_warns_about_the_prices_of_every_combination(run, tmp_path: Path, valid_profiles) -> None:
    d = _old_profiles(tmp_path, valid_profiles)
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  options.apis: [openai/gpt-4o-mini, old/api]\n"
                    "  options.gpus: [old-gpu, rtx-5090]\n  workload.requests_per_day: [1000, 2000]\n")
    rc, out, err = run("sweep", str(grid), "--profiles", str(d), "--set", "options.hosts=false")
    assert rc == 0, err
    assert out.startswith("options.apis,options.gpus,")
    rtx_5090 = catalog.load().entries["gpus"]["rtx-5090"]
    age = (TODAY - datetime.date.fromisoformat(rtx_5090.price_as_of)).days
    gpu_line = GPU_LINE if age <= 180 else GPU_LINE.replace("1 GPU price is", "2 GPU prices are").replace(
        "694 days)", f"694 days), rtx-5090 (price_as_of {rtx_5090.price_as_of}, {age} days)")
    warnings = [x for x in err.splitlines() if "warning" in x]
    assert warnings[:2] == [API_LINE, gpu_line]
    assert warnings[2].startswith("llmcost: warning: ") and "old/rental (as_of 2025-01-01, 694 days)" in warnings[2]
    rc, _, err = run("sweep", str(grid), "--profiles", str(d), "--set", "options.hosts=false", "--max-price-age-days", "0")
    assert rc == 0 and "warning" not in err


def test_builtin_prices_that_are_old_are_named_and_list_shows_age_days(run) -> None:
    """The default compare names every GPU and rental price it uses that is over 180 days old, and no API price
    (apis.yaml was refreshed). Today that is the GPUs' launch prices of 2020-2025, until the catalogue is refreshed."""
    cat = catalog.load()
    sc = scenarios.resolve(cat, "team-assistant")
    rc, _, err = run("compare", "-f", "csv")
    assert rc == 0
    warnings = [x for x in err.splitlines() if "warning" in x]
    assert not any("API price" in x for x in warnings)
    gpus = {g: cat.entries["gpus"][g].price_as_of for g in sc.options.gpus}
    old = {g for g, d in gpus.items() if (TODAY - datetime.date.fromisoformat(d)).days > 180}
    gpu_lines = [x for x in warnings if "GPU price" in x]
    assert len(gpu_lines) == (1 if old else 0)
    assert all(f"{g} (price_as_of {gpus[g]}," in gpu_lines[0] for g in old)
    rc, out, err = run("profiles", "list", "apis", "-f", "json")
    assert rc == 0, err
    rows = json.loads(out)
    assert all(r["age_days"] == (TODAY - datetime.date.fromisoformat(r["as_of"])).days for r in rows)
    assert next(r for r in rows if r["id"] == "openai/gpt-4o")["age_days"] == 43  # as_of 2026-10-14


def test_builtin_price_dates_are_past_and_recent() -> None:
    """apis.yaml was refreshed from genai-prices 0.2.3 and LiteLLM 1.110.2 data on 2026-11-26."""
    cat = catalog.load()
    dates = {a.id: datetime.date.fromisoformat(a.as_of) for a in cat.entries["apis"].values()}
    assert all(d <= TODAY for d in dates.values())
    old = {i for i, d in dates.items() if (TODAY - d).days > prices.DEFAULT_MAX_PRICE_AGE_DAYS}
    assert old == {"deepseek/deepseek-chat"}  # dated when DeepSeek published the price (see its notes)


# ------------------------------------------------------------------------------------------ helpers

def test_every_alias_points_at_a_builtin_model() -> None:
    models = catalog.load().entries["models"]
    links = entries.load_model_links(models)
    assert {t for t in links.aliases.values() if t not in models} == set()
    assert all(k == k.lower() for k in links.aliases) and all(p == p.lower() for p in links.strip_prefixes)
    assert links.serves_model("Meta-Llama/Meta-Llama-3.1-8B-Instruct-Turbo") == "llama-3.1-8b"
    assert links.serves_model("accounts/fireworks/models/llama-v3p1-8b-instruct") == "llama-3.1-8b"  # LiteLLM's Fireworks names
    assert entries.load_model_links({"other"}).serves_model("meta-llama/meta-llama-3.1-8b-instruct-turbo") is None  # target must exist
    assert links.serves_model("llama-3.1-8b-ish") is None  # no fuzzy matching


def test_alias_file_is_shipped_data_not_a_profile() -> None:
    """profiles/data/ ships with the package (pyproject force-includes profiles/) and the profile loader skips it."""
    path = catalog.builtin_data_file(entries.ALIASES_FILE)
    assert path.is_file() and path.read_text().startswith("# Model aliases for `llmcost profiles import-prices`")
    cat = catalog.load()
    assert not any(loc.path.startswith("profiles/data/") for loc in cat.where.values())


@pytest.mark.parametrize("scenario_id", ["team-assistant", "rag-chatbot", "batch-summarise", "finetune-startup"])
def test_scenario_api_ids_are_the_apis_compare_prices(scenario_id: str) -> None:
    cat = catalog.load()
    sc = scenarios.resolve(cat, scenario_id)
    rows = comparison.compare(cat, sc).rows()
    assert prices.scenario_api_ids(cat, sc) == [r["option"].removeprefix("api ") for r in rows if r["kind"] == "api"]


@pytest.mark.parametrize("scenario_id", ["team-assistant", "solo-coder", "rag-chatbot", "batch-summarise", "pretrain-from-scratch"])
def test_scenario_prices_are_the_prices_compare_uses(scenario_id: str) -> None:
    """The own rows' GPUs (bought used in solo-coder), the rent rows' offers and the API rows of compare."""
    cat = catalog.load()
    sc = scenarios.resolve(cat, scenario_id)
    rows = comparison.compare(cat, sc).rows()
    used = prices.scenario_prices(cat, sc)
    own = [catalog.parse_gpu_option(r["option"].removeprefix("own "))[1] for r in rows if r["kind"] == "own"]
    rented = [r["option"].split()[-1] for r in rows if r["kind"] == "rent"]
    assert (used.used_gpus if sc.options.used else used.gpus) == tuple(own) and (used.gpus if sc.options.used else used.used_gpus) == ()
    assert sorted(used.rentals) == sorted(rented)
    assert list(used.apis) == [r["option"].removeprefix("api ") for r in rows if r["kind"] == "api"]


def test_context_tiers_and_batch_discount_rules() -> None:
    from decimal import Decimal as D

    P = entries.Price
    tiers = entries.context_tiers({"input": P(D(1), ((1000, D(2)),)), "output": P(D(3)), "cached": None})
    assert tiers == [{"above_tokens": 1000, "input_usd_per_mtok": 2, "output_usd_per_mtok": 3}]
    with pytest.raises(entries.Unmappable, match="tiers not expressible"):
        entries.context_tiers({"input": P(D(1), ((0, D(2)),)), "output": P(D(3))})
    assert entries.batch_discount({"input": P(D(2)), "output": P(D(8))}, {"input": P(D(1)), "output": P(D(4))}) == 0.5
    assert entries.batch_discount({"input": P(D(2)), "output": P(D(8))}, {"input": P(D(1)), "output": P(D(6))}) is None
    assert entries.batch_discount({"input": P(D(2)), "output": P(D(8))}, {"input": P(D(1)), "output": None}) is None
