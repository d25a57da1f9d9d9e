"""Rendering: CSV injection, CSV and JSON agreeing, no NaN in JSON, atomic --output."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest

from llmcost import render
from llmcost.errors import LlmcostError

ROWS = [
    {"option": "2xrtx-3090", "kind": "own", "fits": True, "capex_usd": 3000, "monthly_usd": 41.25,
     "usd_per_mtok": 0.1234567, "payback_months": "never", "breakeven_tokens_per_day": -1.5e9, "note": None},
    {"option": "=HYPERLINK(\"http://x\")", "kind": "api", "fits": False, "capex_usd": 0, "monthly_usd": 1e17,
     "usd_per_mtok": -0.25, "payback_months": 3.5, "breakeven_tokens_per_day": 12, "note": "does not fit"},
]


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+2", "'=1+2"),
    ("+1", "'+1"),
    ("-1", "'-1"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1", "'\\t=1"),
    ("\r=1", "'\\r=1"),
    ("own \x1b[2J", "own \\x1b[2J"),
    ("a\nb", "a\\nb"),
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("rtx-4090", "rtx-4090"),
    ("never", "never"),
    ("does not fit", "does not fit"),
    (" =1", " =1"),
    ("", ""),
    (-5, "-5"),
    (-1.5, "-1.5"),
    (-0.0, "0"),
    (0.1, "0.1"),
    (3.0, "3"),
    (1e17, "1e+17"),
    (-2.5e-7, "-2.5e-07"),
    (True, "true"),
    (False, "false"),
    (None, ""),
])
def test_csv_cell_neutralises_formulas_and_keeps_numbers(value: object, cell: str) -> None:
    assert render.csv_cell(value) == cell


def test_csv_output_reads_back_with_numbers_as_numbers_and_formulas_as_text() -> None:
    text = render.to_text(ROWS, "csv")
    header, first, second = list(csv.reader(io.StringIO(text)))
    assert header == list(ROWS[0])
    assert first == ["2xrtx-3090", "own", "true", "3000", "41.25", "0.1234567", "never", "-1500000000", ""]
    assert second == ["'=HYPERLINK(\"http://x\")", "api", "false", "0", "1e+17", "-0.25", "3.5", "12", "does not fit"]
    assert float(second[5]) == -0.25  # a negative number is still a number


def test_csv_header_cells_are_neutralised_too() -> None:
    text = render.to_text([{"=evil": 1}], "csv")
    assert text == "'=evil\n1\n"


def test_csv_and_json_carry_the_same_keys_in_the_same_order() -> None:
    header = next(csv.reader(io.StringIO(render.to_text(ROWS, "csv"))))
    data = json.loads(render.to_text(ROWS, "json"))
    assert [list(row) for row in data] == [header, header]
    lines = render.to_text(ROWS, "jsonl").splitlines()
    assert [list(json.loads(line)) for line in lines] == [header, header]


def test_json_keeps_numbers_states_and_nulls() -> None:
    data = json.loads(render.to_text(ROWS, "json"), parse_constant=lambda c: pytest.fail(f"JSON has {c}"))
    assert data[0]["capex_usd"] == 3000 and data[0]["payback_months"] == "never" and data[0]["note"] is None
    assert data[1]["option"] == "=HYPERLINK(\"http://x\")"  # JSON is data, not a spreadsheet: left as is
    assert data[1]["breakeven_tokens_per_day"] == 12 and data[1]["fits"] is False


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_never_reach_the_output(fmt: str, bad: float) -> None:
    with pytest.raises(ValueError, match="non-finite number"):
        render.to_text([{"usd_per_mtok": 1.0}, {"usd_per_mtok": bad}], fmt)


def test_markdown_escapes_pipes_and_humanises_numbers() -> None:
    text = render.to_text([{"option": "a|b", "capex_usd": 3000, "utilization": 0.25}], "markdown")
    assert text == "| option | capex_usd | utilization |\n|---|---:|---:|\n| a\\|b | $3,000 | 25% |\n"


def test_table_without_colour_has_no_escape_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    text = render.to_text(ROWS, "table", title="t")
    assert "\x1b[" not in text and "2xrtx-3090" in text and "$3,000" in text


@pytest.mark.parametrize(("value", "key", "shown"), [
    (1234.5, "capex_usd", "$1,234"), (2.5e6, "tco_usd", "$2.50M"), (0.123, "usd_per_mtok", "$0.123"),
    (0.075, "cached_input_usd_per_mtok", "$0.075"), (0.4427365518, "usd_per_mtok", "$0.44"), (-1234.5, "delta_tco_usd", "-$1,234"),
    (0.5, "utilization", "50%"), (3.2e12, "tokens", "3.2T"), (1.5e20, "flops", "1.5e+20"), (None, "x", "-"),
    (True, "fits", "yes"), ("never", "payback_months", "never"), (7, "replicas", "7"), (0.0123, "x", "0.0123"),
])
def test_human_formatting(value: object, key: str, shown: str) -> None:
    assert render.human(value, key) == shown


# ----------------------------------------------------------------------------------------- --output

def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


def test_output_stream_writes_the_file_only_when_the_block_succeeds(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with render.output_stream(str(target)) as out:
        out.write("a,b\n")
        assert not target.exists()  # nothing visible until the block ends
    assert target.read_text() == "a,b\n"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("error", [RuntimeError("engine bug"), KeyboardInterrupt(), ValueError("non-finite")])
def test_failure_inside_the_block_leaves_an_existing_file_untouched(tmp_path: Path, error: BaseException) -> None:
    target = tmp_path / "out.csv"
    target.write_text("previous run\n")
    with pytest.raises(type(error)), render.output_stream(str(target)) as out:
        out.write("half a new file")
        raise error
    assert target.read_text() == "previous run\n"
    assert leftovers(tmp_path) == []


def test_failure_inside_the_block_creates_no_file(tmp_path: Path) -> None:
    target = tmp_path / "new.json"
    with pytest.raises(ValueError), render.output_stream(str(target)) as out:
        render.write_json([{"x": math.nan}], out)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", [None, "-"])
def test_no_path_or_dash_means_stdout(path: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    with render.output_stream(path) as out:
        out.write("to stdout\n")
    assert capsys.readouterr().out == "to stdout\n"


def test_output_to_a_directory_or_a_missing_directory_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(LlmcostError, match="is a directory; give a file name"), render.output_stream(str(tmp_path)):
        pass
    with pytest.raises(LlmcostError, match="does not exist"), render.output_stream(str(tmp_path / "no" / "x.csv")):
        pass


def test_output_file_name_without_a_directory_goes_to_the_current_one(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with render.output_stream("plain.md") as out:
        out.write("x\n")
    assert (tmp_path / "plain.md").read_text() == "x\n"


def test_csv_without_rows_still_has_its_header() -> None:
    buf = io.StringIO()
    render.render([], "csv", buf, keys=["option", "=tco_usd"])
    assert buf.getvalue() == "option,'=tco_usd\n"
    assert render.to_text([], "json") == "[]\n" and render.to_text([], "table") == "(no rows)\n"
