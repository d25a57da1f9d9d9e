"""sweep: grid expansion, chunking, agreement with compare, atomic output, formats, --where, --count."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from llmcost import catalog, comparison, render, scenarios, sweeps
from llmcost.engine import lifecycle
from llmcost.errors import LlmcostError
from llmcost.results import Table


def write(tmp_path: Path, text: str, name: str = "grid.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


SMALL = """
base: team-assistant
grid:
  workload.requests_per_day: [500, 3000, 20000, 200000]
  economics.electricity_usd_per_kwh: [0.1, 0.3]
  economics.horizon_months: [12, 36, 130]
  workload.peak_to_average: [2, 5]
  economics.ops_usd_per_month: [0, 50]
  workload.input_tokens: [1500, 6000]
  options.gpus: [rtx-3090, "2xrtx-4090,rtx-5090"]
"""


def all_rows(cat: catalog.Catalog, path: str, chunk_rows: int = sweeps.CHUNK_ROWS, sets: tuple[str, ...] = ()) -> list[dict]:
    return list(sweeps.rows(cat, [sweeps.load_grid(cat, path, sets)], sets, chunk_rows=chunk_rows))


# ------------------------------------------------------------------------------------------------ expansion


def test_product_of_lists_in_grid_order(cat, tmp_path) -> None:
    g = sweeps.load_grid(cat, write(tmp_path, SMALL))
    assert g.keys == ["workload.requests_per_day", "economics.electricity_usd_per_kwh", "economics.horizon_months",
                      "workload.peak_to_average", "economics.ops_usd_per_month", "workload.input_tokens", "options.gpus"]
    assert [a.numeric for a in g.axes] == [True, True, True, True, True, True, False]  # token counts run as arrays too
    assert g.numeric_shape == (4, 2, 3, 2, 2, 2)
    assert g.axes[-1].values == [(("rtx-3090",),), (("2xrtx-4090", "rtx-5090"),)]
    n_opts = [b.n_options for b in sweeps.blocks(cat, g)]
    assert sweeps.count(cat, [g]) == 4 * 2 * 3 * 2 * 2 * 2 * sum(n_opts)
    rows = all_rows(cat, str(tmp_path / "grid.yaml"))
    assert len(rows) == sweeps.count(cat, [g])
    # structural combinations outermost, then numeric ones (last key fastest), then options
    first = [r for r in rows[: n_opts[0] * 2]]
    assert {r["workload.input_tokens"] for r in first} == {1500, 6000}
    assert {r["economics.ops_usd_per_month"] for r in first} == {0}
    assert {r["workload.requests_per_day"] for r in first} == {500}
    combos = {(r["workload.requests_per_day"], r["economics.electricity_usd_per_kwh"], r["economics.horizon_months"],
               r["workload.peak_to_average"], r["economics.ops_usd_per_month"], r["workload.input_tokens"], r["options.gpus"])
              for r in rows}
    assert len(combos) == 4 * 2 * 3 * 2 * 2 * 2 * 2


def test_zip_linear_log_ranges_and_profile_ids(cat, tmp_path) -> None:
    path = write(tmp_path, """
grid:
  workload.requests_per_day: {start: 100, stop: 1e6, num: 5, log: true}
  economics.horizon_months: {start: 12, stop: 48, num: 4}
  workload.input_tokens: [1000, 4000, 8000]
  workload.output_tokens: [100, 200, 300]
  options.gpus: {profiles: gpus, match: "rtx-309*"}
zip:
  - [workload.input_tokens, workload.output_tokens]
""")
    g = sweeps.load_grid(cat, path)
    assert g.base is None
    by_key = {a.keys: a for a in g.axes}
    assert [v[0] for v in by_key[("workload.requests_per_day",)].values] == pytest.approx([100, 1e3, 1e4, 1e5, 1e6])
    assert [v[0] for v in by_key[("economics.horizon_months",)].values] == [12, 24, 36, 48]
    assert by_key[("workload.input_tokens", "workload.output_tokens")].values == [(1000, 100), (4000, 200), (8000, 300)]
    assert by_key[("options.gpus",)].values == [((gid,),) for gid in cat.ids("gpus") if gid.startswith("rtx-309")]
    rows = all_rows(cat, path)
    assert {(r["workload.input_tokens"], r["workload.output_tokens"]) for r in rows} == {(1000, 100), (4000, 200), (8000, 300)}
    assert all(r["model"] == "llama-3.1-8b" for r in rows if r["kind"] != "api")  # default scenario (API rows: the API's model)


@pytest.mark.parametrize("text, message", [
    ("grid: {workload.requests_per_dya: [1]}", "did you mean 'requests_per_day'"),
    ("grid: {workload.requests_per_day: []}", "empty list"),
    ("grid: {workload.requests_per_day: [-5]}", "requests_per_day"),
    ("grid: {workload.requests_per_day: {start: 0, stop: 10, num: 3, log: true}}", "above 0"),
    ("grid: {workload.requests_per_day: {start: 1, stop: 10}}", "{start, stop, num}"),
    ("grid: {serving.model: [no-such-model]}", "no-such-model"),
    ("grid: {options.gpus: {profiles: gpu}}", "did you mean 'gpus'"),
    ("grid: {workload.input_tokens: [1, 2], workload.output_tokens: [1]}\nzip: [[workload.input_tokens, workload.output_tokens]]",
     "as many values"),
    ("grid: {assumptions.pue: [1.2]}", "assumptions cannot vary"),
    ("gird: {}", "unknown grid file key"),
])
def test_bad_grid_files_exit_2_with_one_line(cli, tmp_path, text, message) -> None:
    code, out, err = cli("sweep", write(tmp_path, text))
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


# ------------------------------------------------------------------------------------------- same numbers


@pytest.mark.slow
def test_sweep_rows_equal_compare_rows(cat, tmp_path) -> None:
    """Every sweep row is the compare row for the same --set values, numbers bit for bit."""
    rows = all_rows(cat, write(tmp_path, SMALL), sets=("workload.cached_input_share=0.5",))
    grid_keys = sweeps.load_grid(cat, str(tmp_path / "grid.yaml")).keys
    checked = 0
    for i in range(0, len(rows), 7):  # a spread of combinations (all of them takes a few seconds)
        r = rows[i]
        sets = ["workload.cached_input_share=0.5", *(f"{k}={sweeps.set_text(r[k]) if not isinstance(r[k], str) else r[k]}"
                                                     for k in grid_keys)]
        ref = {c["option"]: c for c in comparison.compare(cat, scenarios.resolve(cat, "team-assistant", sets)).rows()}
        assert {k: r[k] for k in comparison.ROW_KEYS} == ref[r["option"]], r["option"]
        checked += 1
    assert checked > 50


@pytest.mark.slow
def test_batch_and_finetune_scenarios_agree_with_compare(cat, tmp_path) -> None:
    for base in ("batch-summarise", "finetune-startup"):
        path = write(tmp_path, f"base: {base}\ngrid:\n  workload.peak_to_average: [1, 4]\n  economics.pue: [1.0, 1.4]\n"
                               "  economics.resale_fraction: [0.1]\n  economics.discount_rate: [0, 0.08]\n")
        for r in all_rows(cat, path):
            sets = [f"{k}={sweeps.set_text(float(r[k]))}" for k in ("workload.peak_to_average", "economics.pue",
                                                                     "economics.resale_fraction", "economics.discount_rate")]
            ref = {c["option"]: c for c in comparison.compare(cat, scenarios.resolve(cat, base, sets)).rows()}
            assert {k: r[k] for k in comparison.ROW_KEYS} == ref[r["option"]]


def test_model_that_does_not_fit_gives_states(cat, tmp_path) -> None:
    path = write(tmp_path, "grid:\n  serving.model: [llama-3.1-8b, llama-3.3-70b]\n  options.gpus: [1xrtx-3090]\n"
                           "  workload.requests_per_day: [100, 1e6]\n")
    rows = all_rows(cat, path)
    unfit = [r for r in rows if not r["fits"]]
    assert unfit and all(r["payback_months"] == "does not fit" and r["tco_usd"] == "does not fit" for r in unfit)
    assert all(r["payback_months"] == "n/a" for r in rows if r["kind"] == "api")


# ------------------------------------------------------------------------------------------------- chunking


@pytest.mark.parametrize("chunk_rows", [1, 7, 1000])
def test_chunk_boundaries_do_not_change_rows(cat, tmp_path, chunk_rows) -> None:
    path = write(tmp_path, SMALL)
    whole = all_rows(cat, path, chunk_rows=10**9)
    assert len(whole) % chunk_rows != 0 or chunk_rows == 1
    assert all_rows(cat, path, chunk_rows=chunk_rows) == whole


def test_engine_call_size_does_not_change_numbers(cat, tmp_path) -> None:
    g = sweeps.load_grid(cat, write(tmp_path, SMALL))
    block = next(sweeps.blocks(cat, g))
    base = {k: np.tile(v, 300) for k, v in comparison.evaluate(cat, block.scenario, block.opts).x.items()}
    base["horizon_months"] = np.resize([12.0, 36.0, 130.0, 7.5], len(base["kind"]))
    base["requests_per_day"] = np.geomspace(10, 1e7, len(base["kind"]))
    small, large = lifecycle.evaluate(base, cells=1), lifecycle.evaluate(base, cells=10**12)
    assert small.keys() == large.keys()
    for k in small:
        np.testing.assert_array_equal(small[k], large[k])


def test_chunked_text_output_is_identical(cli, tmp_path) -> None:
    path = write(tmp_path, SMALL)
    _, whole, _ = cli("sweep", path, "--chunk-rows", "1000000")
    _, chunked, _ = cli("sweep", path, "--chunk-rows", "13")
    assert whole == chunked and whole.count("\n") > 1000


# --------------------------------------------------------------------------------------------------- output


def test_csv_jsonl_and_json_carry_identical_data(cli, tmp_path) -> None:
    path = write(tmp_path, SMALL + "  serving.model: [llama-3.1-8b, llama-3.3-70b]\n")
    _, out_csv, _ = cli("sweep", path)
    _, out_jsonl, _ = cli("sweep", path, "-f", "jsonl")
    _, out_json, _ = cli("sweep", path, "-f", "json", "--chunk-rows", "100")
    table = list(csv.DictReader(io.StringIO(out_csv)))
    lines = [json.loads(line) for line in out_jsonl.splitlines()]
    assert json.loads(out_json) == lines
    assert len(table) == len(lines) > 0
    assert list(table[0]) == list(lines[0])
    for t, j in zip(table, lines, strict=True):
        assert t == {k: render.csv_cell(v) for k, v in j.items()}
    # the same text a plain json.dumps / csv.writer would give
    assert out_jsonl.splitlines()[0] == json.dumps(lines[0], allow_nan=False)
    buf = io.StringIO()
    render.write_csv(lines, buf)
    assert out_csv == buf.getvalue()


def test_columns_pick_and_order(cli, tmp_path) -> None:
    path = write(tmp_path, SMALL)
    code, out, _ = cli("sweep", path, "--columns", "payback_months,option", "-c", "workload.requests_per_day")
    assert code == 0
    assert out.splitlines()[0] == "payback_months,option,workload.requests_per_day"
    code, _, err = cli("sweep", path, "--columns", "paybak_months")
    assert code == 2 and "payback_months" in err


def test_several_grid_files_add_a_grid_column(cli, tmp_path) -> None:
    a = write(tmp_path, "grid: {workload.requests_per_day: [100, 200]}", "a.yaml")
    b = write(tmp_path, "base: solo-coder\ngrid: {economics.pue: [1.1]}", "b.yaml")
    code, out, _ = cli("sweep", a, b, "-f", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {r["grid"] for r in rows} == {a, b}
    assert {r["workload.requests_per_day"] for r in rows if r["grid"] == b} == {None}
    code, out, _ = cli("sweep", "--count", a, b)
    assert int(out) == len(rows)


def test_count_matches_rows_written(cli, tmp_path) -> None:
    path = write(tmp_path, SMALL)
    code, out, err = cli("sweep", "--count", path)
    assert code == 0 and err == ""
    _, rows, _ = cli("sweep", path)
    assert int(out) == rows.count("\n") - 1


def test_big_csv_gets_a_spreadsheet_note(cli, tmp_path, monkeypatch) -> None:
    path = write(tmp_path, "grid: {workload.requests_per_day: {start: 1, stop: 100, num: 10}}")
    monkeypatch.setattr(sweeps, "EXCEL_ROWS", 20)
    code, _, err = cli("sweep", path, "-o", str(tmp_path / "out.csv"))
    assert code == 0 and "more than a spreadsheet opens" in err
    code, _, err = cli("sweep", path, "-f", "jsonl", "-o", str(tmp_path / "out.jsonl"))
    assert "spreadsheet" not in err


def test_interrupted_sweep_leaves_existing_file_untouched(cli, tmp_path, monkeypatch) -> None:
    path = write(tmp_path, SMALL)
    target = tmp_path / "out" / "sweep.csv"
    target.parent.mkdir()
    target.write_text("previous results\n")
    real = lifecycle.evaluate
    calls = {"n": 0}

    def flaky(x):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(x)

    monkeypatch.setattr(lifecycle, "evaluate", flaky)
    code, out, err = cli("sweep", path, "-o", str(target), "--chunk-rows", "50")
    assert code == 130
    assert target.read_text() == "previous results\n"
    assert [p.name for p in target.parent.iterdir()] == ["sweep.csv"]

    calls["n"] = -10**9
    code, _, _ = cli("sweep", path, "-o", str(target))
    assert code == 0 and target.read_text().startswith("workload.requests_per_day,")


# ---------------------------------------------------------------------------------------- --where, --fail-if


def test_where_filters_rows(cli, tmp_path) -> None:
    path = write(tmp_path, SMALL)
    _, out, _ = cli("sweep", path, "-f", "jsonl")
    every = [json.loads(line) for line in out.splitlines()]
    code, out, _ = cli("sweep", path, "-f", "jsonl", "--where", 'kind == "own" and payback_months < 12')
    kept = [json.loads(line) for line in out.splitlines()]
    expected = [r for r in every
                if r["kind"] == "own" and isinstance(r["payback_months"], (int, float)) and r["payback_months"] < 12]
    assert code == 0 and kept == expected and 0 < len(kept) < len(every)
    code, out, _ = cli("sweep", path, "-f", "jsonl", "--where",
                       "(payback_months > 1000 or not fits == true) and workload.requests_per_day <= 3k")
    kept = [json.loads(line) for line in out.splitlines()]
    assert kept and all(r["workload.requests_per_day"] <= 3000 for r in kept)
    assert all(r["payback_months"] == "never" or r["payback_months"] > 1000 for r in kept)


@pytest.mark.parametrize("condition", [
    "payback_months", "payback_months <", "paybak_months < 3", "payback_months < capex_usd", "12 > payback_months",
    "payback_months ~ 3", "__import__('os')", "kind == 'own' and", "payback_months < 3)", "payback_months < 3 payback",
])
def test_where_rejects_anything_but_comparisons_of_known_keys(cli, tmp_path, condition) -> None:
    code, out, err = cli("sweep", write(tmp_path, SMALL), "--where", condition)
    assert code == 2 and out == "" and err.startswith("llmcost: error: --where") and err.count("\n") == 1


def test_fail_if_exits_1_naming_rows_after_writing(cli, tmp_path) -> None:
    path = write(tmp_path, SMALL)
    target = tmp_path / "out.csv"
    code, _, err = cli("sweep", path, "-o", str(target), "--set", "economics.api_price_decline_per_year=0",  # flat API prices
                       "--fail-if", 'kind == "own" and payback_months < 6')
    assert code == 1 and "matched" in err and "own " in err and "workload.requests_per_day=" in err
    assert target.exists()
    code, _, _ = cli("sweep", path, "--fail-if", "payback_months < 0")
    assert code == 0
    code, _, err = cli("sweep", path, "--fail-if", "payback_months <")
    assert code == 2


def test_set_applies_to_the_base(cat, tmp_path) -> None:
    path = write(tmp_path, "grid: {workload.requests_per_day: [1000]}")
    a = all_rows(cat, path)
    b = all_rows(cat, path, sets=("options.apis=openai/gpt-4o-mini",))
    assert len(b) < len(a)
    with pytest.raises(LlmcostError):
        all_rows(cat, path, sets=("workload.nope=1",))


def test_number_texts_match_csv_cell() -> None:
    v = np.array([0.0, -0.0, 3.0, -2.5, 1e20, 2.0**53, 9.5e15, 123456789.0, 0.1 + 0.2, 1e-7])
    table = Table({"x": v})
    assert sweeps.texts(table, "x", "csv") == [render.csv_cell(comparison.num(x)) for x in v]
    assert sweeps.texts(table, "x", "json") == [json.dumps(comparison.num(x)) for x in v]


def _main(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, str, str]:
    from llmcost.cli.app import main

    monkeypatch.setenv("NO_COLOR", "1")
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_sweep_samples_rows_equal_compare_samples(tmp_path: Path, capsys, monkeypatch) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  workload.requests_per_day: [3000, 30000]\n  options.gpus: [rtx-3090]\n")
    code, out, err = _main(capsys, monkeypatch, "sweep", str(grid), "--samples", "64", "--seed", "3", "-f", "jsonl")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    again = _main(capsys, monkeypatch, "sweep", str(grid), "--samples", "64", "--seed", "3", "-f", "jsonl")[1]
    assert again == out  # same seed, same output
    code, out, _ = _main(capsys, monkeypatch, "compare", "--set", "workload.requests_per_day=30000", "--set", "options.gpus=rtx-3090",
                         "--samples", "64", "--seed", "3", "-f", "json")
    expected = json.loads(out)
    got = [{k: v for k, v in r.items() if k not in ("workload.requests_per_day", "options.gpus")}
           for r in rows if r["workload.requests_per_day"] == 30000]
    assert got == expected
    assert "tco_usd_p90" in rows[0] and "p_cheaper_than_api" in rows[0]


def test_sweep_samples_filters_and_gates(tmp_path: Path, capsys, monkeypatch) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  workload.requests_per_day: [3000, 300000]\n")
    code, out, err = _main(capsys, monkeypatch, "sweep", str(grid), "--samples", "32", "--where", 'kind == "own"',
                           "--fail-if", "p_cheaper_than_api < 0.5", "-f", "csv")
    assert code == 1 and "own rtx-3090 at workload.requests_per_day=3000" in err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and all(r["kind"] == "own" for r in rows)


def test_progress_bar_only_for_long_sweeps_in_a_terminal(monkeypatch) -> None:
    from llmcost.cli import sweep_cmd

    with sweep_cmd._progress(10) as advance:
        assert advance is None
    monkeypatch.setattr("sys.stderr.isatty", lambda: False)
    with sweep_cmd._progress(10**7) as advance:
        assert advance is None
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    with sweep_cmd._progress(10**7) as advance:
        assert callable(advance)
        advance(1000)
