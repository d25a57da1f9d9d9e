"""`llmcost profiles list|show|validate|schema` and the CLI basics, through the real entry point."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

import llmcost
from llmcost import catalog, schema

BAD_GPU = """\
gpus:
  - id: bad-gpu
    name: Bad GPU
    vendor: nvidia
    class: consumr
    memory_gib: 0
    memory_bandwidth_gb_per_s: '1,008'
    tflops_bf16: .nan
    tflops_fp16_acc16: 330.3
    power_w: 450
    idle_power_w: -1
    price_usd: 1599
    price_as_of: 2022-10-12
    interconnect: pcie
    link_bandwidth_gb_per_s: 64
    colour: red
"""


def one_line(err: str) -> str:
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err[:-1]


@pytest.fixture
def good_file(tmp_path: Path, valid_profiles) -> Path:
    path = tmp_path / "good.yaml"
    path.write_text(yaml.safe_dump(valid_profiles(), sort_keys=False))
    return path


def price_file(directory: Path, price: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    entry = {**catalog.load().get("gpus", "rtx-4090").__dict__, "price_usd": price}
    entry["class"] = entry.pop("gpu_class")
    entry = {k: v for k, v in entry.items() if v is not None}
    path = directory / "gpus.yaml"
    path.write_text(yaml.safe_dump({"gpus": [entry]}, sort_keys=False))
    return path


# ------------------------------------------------------------------------------------------ basics

def test_version(cli) -> None:
    assert cli("--version") == (0, f"llmcost {llmcost.__version__}\n", "")


def test_no_arguments_prints_help(cli) -> None:
    rc, out, err = cli()
    assert rc == 0 and "Usage: llmcost" in out and "profiles" in out and err == ""


def test_unknown_option_is_exit_2_with_one_line(cli) -> None:
    rc, out, err = cli("--bogus")
    assert (rc, out) == (2, "")
    assert one_line(err) == "llmcost: error: No such option: --bogus (see llmcost --help)"


def test_unknown_command_is_exit_2_with_one_line(cli) -> None:
    rc, out, err = cli("profiles", "lst")
    assert (rc, out) == (2, "")
    assert one_line(err).startswith("llmcost: error: No such command 'lst'")


def test_unknown_model_suggests_the_closest(cli) -> None:
    rc, out, err = cli("serve", "--model", "llama-7")
    assert (rc, out) == (2, "")
    assert one_line(err).startswith("llmcost: error: unknown model 'llama-7'; did you mean 'llama-7b'")


# ---------------------------------------------------------------------------------------- validate

def test_validate_lists_every_problem_one_per_line(tmp_path: Path, cli) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_GPU)
    rc, out, err = cli("profiles", "validate", str(path))
    assert (rc, out) == (2, "")
    assert err.splitlines() == [
        f"{path}:5: gpus[0].class: expected one of consumer, workstation, datacenter, got 'consumr'; did you mean 'consumer'?",
        f"{path}:6: gpus[0].memory_gib: expected a number > 0, got 0",
        f"{path}:7: gpus[0].memory_bandwidth_gb_per_s: expected a number > 0, got '1,008'",
        f"{path}:8: gpus[0].tflops_bf16: expected a number > 0, got nan (numbers must be finite)",
        f"{path}:11: gpus[0].idle_power_w: expected a number >= 0, got -1",
        f"{path}:16: gpus[0].colour: unknown key; valid keys: id, name, vendor, class, memory_gib, "
        "memory_bandwidth_gb_per_s, tflops_bf16, tflops_fp16_acc16, power_w, idle_power_w, price_usd, price_as_of, "
        "interconnect, link_bandwidth_gb_per_s, pcie_p2p, host_link_gb_per_s, tflops_fp8, tops_int8, used_price_usd, used_price_as_of, "
            "release_date, "
            "usable_memory_fraction, mfu_factor, integrated_host, "
        "sources, notes",
    ]


def test_validate_reports_problems_of_several_files(tmp_path: Path, good_file: Path, cli) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_GPU)
    broken = tmp_path / "broken.yaml"
    broken.write_text("gpus: [\n")
    rc, _, err = cli("profiles", "validate", str(good_file), str(bad), str(broken))
    assert rc == 2
    lines = err.splitlines()
    assert len(lines) == 7 and "Traceback" not in err
    assert lines[-1] == f"{broken}:2: column 1: YAML syntax error: did not find expected node content"


def test_validate_a_dangling_reference(tmp_path: Path, valid_profiles, cli) -> None:
    doc = valid_profiles()
    doc["rentals"][0]["gpu"] = "rtx-409"
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({"rentals": doc["rentals"]}, sort_keys=False))
    rc, out, err = cli("profiles", "validate", str(path))
    assert (rc, out) == (2, "")
    assert one_line(err) == (f"{path}:2: rentals[test/rental].gpu: unknown gpu 'rtx-409'; "
                             "did you mean 'rtx-4090', 'rtx-5090', 'rtx-4080'?")


def test_validate_a_good_file(good_file: Path, cli) -> None:
    line = next(i for i, text in enumerate(good_file.read_text().splitlines(), 1) if text.startswith("  electricity_usd_per_kwh:"))
    assert cli("profiles", "validate", str(good_file)) == (
        0, f"{good_file}:{line}: assumptions.electricity_usd_per_kwh overrides the built-in entry (profiles/assumptions.yaml:213)\n"
           "ok: 7 entries valid in 1 path, 1 override of a built-in\n", "")


def test_validate_warns_about_numbers_without_sources(tmp_path: Path, valid_profiles, cli) -> None:
    doc = valid_profiles()
    doc["gpus"][0]["sources"] = {"memory_gib": "spec sheet"}
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump({"gpus": doc["gpus"]}, sort_keys=False))
    rc, out, err = cli("profiles", "validate", str(path))
    assert (rc, out) == (0, "ok: 1 entry valid in 1 path, 1 entry without full sources\n")
    assert one_line(err) == (f"{path}:2: warning: gpus[test-gpu] has no source for memory_bandwidth_gb_per_s, tflops_bf16, "
                             "tflops_fp16_acc16, power_w, idle_power_w, price_usd, link_bandwidth_gb_per_s")


def test_validate_needs_a_path(cli) -> None:
    rc, out, err = cli("profiles", "validate")
    assert (rc, out) == (2, "")
    line = one_line(err)  # click spells the argument name differently across versions
    assert line.startswith("llmcost: error: Missing argument") and line.endswith("(see llmcost profiles validate --help)")


def test_validate_a_missing_path(tmp_path: Path, cli) -> None:
    rc, out, err = cli("profiles", "validate", str(tmp_path / "nope"))
    assert (rc, out) == (2, "")
    assert one_line(err) == (f"llmcost: error: profiles path '{tmp_path / 'nope'}' does not exist; "
                             "pass a directory of .yaml files or a file")


# -------------------------------------------------------------------------------------------- list

def test_list_counts_each_kind(cli) -> None:
    rc, out, err = cli("profiles", "list", "--format", "json")
    assert (rc, err) == (0, "")
    counts = {row["kind"]: row["entries"] for row in json.loads(out)}
    cat = catalog.load()
    assert counts == {**{k: len(v) for k, v in cat.entries.items()}, "assumptions": len(cat.assumptions)}


@pytest.mark.parametrize("kind", list(schema.ALL_KINDS))
def test_every_kind_lists_its_entries(cli, kind: str) -> None:
    """Each kind of profile lists one row per entry (a kind without list columns was a KeyError: `profiles list hosts`)."""
    rc, out, err = cli("profiles", "list", kind, "--format", "json")
    assert (rc, err) == (0, ""), err
    cat = catalog.load()
    expected = cat.assumptions if kind == "assumptions" else cat.entries[kind]
    assert len(json.loads(out)) == len(expected)


def test_list_as_a_table(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    rc, out, err = cli("profiles", "list")
    assert (rc, err) == (0, "")
    assert all(kind in out for kind in ("gpus", "models", "apis", "rentals", "quantizations", "engines", "assumptions"))
    assert "\x1b[" not in out


def test_list_models_as_json_lists_the_ids(cli) -> None:
    rc, out, err = cli("profiles", "list", "models", "--format", "json")
    assert (rc, err) == (0, "")
    rows = json.loads(out)
    assert [r["id"] for r in rows] == catalog.load().ids("models")
    assert {"gpt-3-175b", "llama-7b", "mixtral-8x7b"} <= {r["id"] for r in rows}


def test_list_gpus_as_csv(cli) -> None:
    rc, out, _ = cli("profiles", "list", "gpus", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rc == 0
    assert list(rows[0]) == ["id", "name", "class", "memory_gib", "memory_bandwidth_gb_per_s", "tflops_bf16",
                             "tflops_fp16_acc16", "power_w", "price_usd", "used_price_usd"]
    by_id = {r["id"]: r for r in rows}
    assert (by_id["rtx-4090"]["memory_gib"], by_id["rtx-4090"]["memory_bandwidth_gb_per_s"]) == ("24", "1008")


def test_list_assumptions(cli) -> None:
    rc, out, _ = cli("profiles", "list", "assumptions", "-f", "json")
    assert rc == 0 and {r["name"] for r in json.loads(out)} == set(catalog.ASSUMPTION_NAMES)


def test_list_an_unknown_kind(cli) -> None:
    rc, out, err = cli("profiles", "list", "model")
    assert (rc, out) == (2, "")
    assert one_line(err) == "llmcost: error: unknown profile kind 'model'; did you mean 'models'?"


def test_list_with_an_unknown_format(cli) -> None:
    rc, out, err = cli("profiles", "list", "gpus", "-f", "xml")
    assert (rc, out) == (2, "")
    assert one_line(err) == "llmcost: error: --format 'xml': use one of table, csv, json, jsonl, markdown"


def test_list_to_a_file(tmp_path: Path, cli) -> None:
    target = tmp_path / "models.csv"
    rc, out, _ = cli("profiles", "list", "models", "-f", "csv", "-o", str(target))
    assert (rc, out) == (0, "")
    assert target.read_text().startswith("id,name,params_b,")


def test_a_broken_user_profile_stops_any_command_with_one_line(tmp_path: Path, cli) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_GPU)
    rc, out, err = cli("profiles", "list", "--profiles", str(path))
    assert (rc, out) == (2, "")
    assert one_line(err) == (f"llmcost: error: {path}:5: gpus[0].class: expected one of consumer, workstation, datacenter, "
                             "got 'consumr'; did you mean 'consumer'? (and 5 more; run `llmcost profiles validate` to list them)")


# -------------------------------------------------------------------------------------------- show

def test_show_gives_each_number_with_its_source(cli) -> None:
    rc, out, err = cli("profiles", "show", "rtx-4090", "-f", "json")
    assert (rc, err) == (0, "")
    rows = {r["field"]: r for r in json.loads(out)}
    gpu = catalog.load().get("gpus", "rtx-4090")
    assert rows["memory_bandwidth_gb_per_s"]["value"] == gpu.memory_bandwidth_gb_per_s
    for key in ("memory_gib", "memory_bandwidth_gb_per_s", "price_usd"):
        assert rows[key]["source"] == gpu.sources.get(key, gpu.sources["default"])
    assert rows["id"] == {"field": "id", "value": "rtx-4090", "source": ""}
    assert all(r["source"] for r in rows.values() if isinstance(r["value"], float))


def test_show_as_a_table_names_the_file_and_line(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    rc, out, _ = cli("profiles", "show", "rtx-4090")
    loc = catalog.load().where[("gpus", "rtx-4090")]
    assert rc == 0
    assert f"gpus/rtx-4090 ({loc.path}:{loc.line})" in out and "source" in out and "techpowerup" in out.lower()


def test_show_prints_values_as_written_not_rounded(cli) -> None:
    rc, out, _ = cli("profiles", "show", "rtx-4090", "-f", "markdown")
    assert rc == 0
    assert "| tflops_bf16 | 165.2 |" in out and "| memory_bandwidth_gb_per_s | 1,008 |" in out
    rc, out, _ = cli("profiles", "show", "gpt-3-175b", "-f", "markdown")
    assert "| params_b | 174.6 |" in out


def test_show_nested_records_and_assumptions(cli) -> None:
    rc, out, _ = cli("profiles", "show", "gpt-3-175b", "-f", "json")
    assert rc == 0 and any(r["field"].startswith("reported.") for r in json.loads(out))
    rc, out, _ = cli("profiles", "show", "pue", "-f", "json")
    assert rc == 0 and [r["field"] for r in json.loads(out)] == ["value", "unit", "rationale", "source"]


def test_show_an_unknown_id(cli) -> None:
    rc, out, err = cli("profiles", "show", "rtx-409")
    assert (rc, out) == (2, "")
    assert one_line(err).startswith("llmcost: error: unknown profile id 'rtx-409'; did you mean 'rtx-4090'")


# ------------------------------------------------------------------------------------------ schema

@pytest.mark.parametrize("kind", ["gpus", "models", "apis", "rentals", "quantizations", "engines", "scenarios",
                                  "assumptions"])
def test_schema_prints_a_json_schema(kind: str, cli) -> None:
    rc, out, err = cli("profiles", "schema", kind)
    assert (rc, err) == (0, "")
    doc = json.loads(out)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["title"] == f"llmcost {kind} profile file" and kind in doc["properties"]
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(doc)


def test_gpu_schema_lists_required_keys_and_bounds(cli) -> None:
    _, out, _ = cli("profiles", "schema", "gpus")
    item = json.loads(out)["properties"]["gpus"]["items"]
    assert item["additionalProperties"] is False
    assert {"id", "memory_gib", "memory_bandwidth_gb_per_s", "price_as_of"} <= set(item["required"])
    assert item["properties"]["memory_gib"]["exclusiveMinimum"] == 0
    assert item["properties"]["class"]["enum"] == ["consumer", "workstation", "datacenter"]


def test_schema_of_an_unknown_kind(cli) -> None:
    rc, out, err = cli("profiles", "schema", "gpu")
    assert (rc, out) == (2, "")
    assert one_line(err) == "llmcost: error: unknown profile kind 'gpu'; did you mean 'gpus'?"


# ---------------------------------------------------------------------------------------- overrides

def shown_price(cli, *args: str) -> float:
    rc, out, err = cli("profiles", "show", "rtx-4090", "-f", "json", *args)
    assert (rc, err) == (0, ""), err
    return next(r["value"] for r in json.loads(out) if r["field"] == "price_usd")


def test_profiles_option_and_environment_override_builtins_by_id_but_not_each_other(
        tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    builtin_price = catalog.load().get("gpus", "rtx-4090").price_usd
    env_a, opt_c, opt_d = price_file(tmp_path / "a", 1111), price_file(tmp_path / "c", 3333), price_file(tmp_path / "d", 4444)
    monkeypatch.delenv("LLMCOST_PROFILES", raising=False)
    assert shown_price(cli) == builtin_price
    assert shown_price(cli, "--profiles", str(opt_c)) == 3333
    assert shown_price(cli, "--profiles", str(opt_c), "--profiles", str(opt_c.parent)) == 3333  # the same file, read once
    rc, out, err = cli("profiles", "show", "rtx-4090", "--profiles", str(opt_c), "--profiles", str(opt_d.parent))
    assert (rc, out) == (2, "")
    assert one_line(err) == (f"llmcost: error: {opt_d}:2: gpus[0].id: 'rtx-4090' is also defined at {opt_c}:2; define it once "
                             "(a user file may override a built-in entry, not another user file's)")
    monkeypatch.setenv("LLMCOST_PROFILES", str(env_a.parent))
    assert shown_price(cli) == 1111
    assert cli("profiles", "show", "rtx-4090", "--profiles", str(opt_c))[0] == 2


def test_show_names_the_user_file_of_an_override(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    path = price_file(tmp_path, 999)
    rc, out, _ = cli("profiles", "show", "rtx-4090", "--profiles", str(path))
    assert rc == 0 and f"gpus/rtx-4090 ({path}:2)" in out


def test_list_includes_entries_of_a_multi_kind_user_file(good_file: Path, cli) -> None:
    rc, out, _ = cli("profiles", "list", "rentals", "-f", "json", "--profiles", str(good_file))
    assert rc == 0 and "test/rental" in [r["id"] for r in json.loads(out)]
    rc, out, _ = cli("profiles", "list", "engines", "-f", "json", "--profiles", str(good_file))
    assert rc == 0 and "test-engine" in [r["id"] for r in json.loads(out)]
