"""Tables that fit: every command's table at 60 to 200 columns has one line per row and every number whole.

Each table is checked against the same command's JSON output: every cell of a body line must be the
value of that row as `render.human` writes it, or (first column and prose columns only) that text
shortened with an ellipsis. A number split over two lines or cut by the terminal cannot pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from llmcost import render, table
from llmcost.cli.compare_cmd import pivot

WIDTHS = (60, 80, 100, 120, 200)

COMMANDS: dict[str, tuple[str, ...]] = {
    "compare": ("compare",),
    "compare-batch": ("compare", "-s", "batch-summarise"),
    "compare-samples": ("compare", "--samples", "64"),
    "breakeven": ("breakeven",),
    "breakeven-samples": ("breakeven", "--samples", "64"),
    "serve": ("serve", "-m", "llama-3.1-8b"),
    "serve-3": ("serve", "-m", "llama-3.1-8b", "-g", "rtx-3090", "-g", "rtx-4090", "-g", "2xrtx-3090"),
    "serve-5": ("serve", "-m", "llama-3.1-70b", "-g", "rtx-3090", "-g", "2xrtx-4090", "-g", "4xrtx-3090", "-g", "a100-80gb",
                "-g", "h100-sxm"),
    "finetune": ("finetune", "-m", "llama-3.1-8b", "-g", "rtx-4090", "-g", "rtx-3090", "-g", "a100-80gb", "-a", "openai/gpt-4o-mini"),
    "finetune-1": ("finetune", "-m", "llama-3.1-8b"),
    "pretrain": ("pretrain", "-m", "llama-7b"),
    "pretrain-2": ("pretrain", "-m", "llama-7b", "-g", "a100-80gb", "-g", "h100-sxm"),
    "pretrain-4": ("pretrain", "-m", "llama-7b", "-g", "a100-80gb", "-g", "h100-sxm", "-g", "rtx-4090", "-g", "8xrtx-3090"),
    "sensitivity": ("sensitivity", "--set", "economics.api_price_decline_per_year=0", "--set", "workload.requests_per_day=30000"),
    "sensitivity-tco": ("sensitivity", "--metric", "tco_usd", "--set", "assumptions.mfu_single_gpu=0.5..0.8"),
    "profiles-list": ("profiles", "list"),
    "profiles-list-gpus": ("profiles", "list", "gpus"),
    "profiles-list-models": ("profiles", "list", "models"),
    "profiles-list-apis": ("profiles", "list", "apis"),
    "profiles-list-rentals": ("profiles", "list", "rentals"),
    "profiles-list-quantizations": ("profiles", "list", "quantizations"),
    "profiles-list-engines": ("profiles", "list", "engines"),
    "profiles-list-scenarios": ("profiles", "list", "scenarios"),
    "profiles-list-assumptions": ("profiles", "list", "assumptions"),
    "profiles-show": ("profiles", "show", "rtx-4090"),
}



def not_warnings(err: str) -> int:
    """Lines of stderr that are not `llmcost: warning:` lines (price-age warnings are beside the point here)."""
    return sum(1 for ln in err.splitlines() if not ln.startswith("llmcost: warning:"))

def split_table(text: str) -> tuple[list[str], list[list[str]], list[str]]:
    """(heading lines, body rows as lists of stripped cells, lines after the table)."""
    lines = text.splitlines()
    top = next(i for i, ln in enumerate(lines) if ln.startswith("┏"))
    rule = next(i for i, ln in enumerate(lines) if ln.startswith("┡"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("└"))
    body = [[c.strip() for c in ln.split("│")[1:-1]] for ln in lines[rule + 1:end]]
    return lines[top + 1:rule], body, lines[end + 1:]


def headings(heading_lines: list[str]) -> list[str]:
    """Each column's heading, its wrapped lines joined again."""
    cells = [[c.strip() for c in ln.split("┃")[1:-1]] for ln in heading_lines]
    return [" ".join(p for p in col if p).replace("/ ", "/").replace("_ ", "_") for col in zip(*cells, strict=True)]


def is_shortening(cell: str, text: str) -> bool:
    """`cell` is `text` with a middle or end part replaced by one ellipsis."""
    if cell == text:
        return True
    if cell.count("…") != 1:
        return False
    head, tail = cell.split("…")
    return len(cell) < len(text) and text.startswith(head) and text.endswith(tail)


def check_table(out: str, rows: list[dict[str, Any]], width: int) -> list[str]:
    """Assert that `out` shows `rows` one line each (or as a field list) within `width`; return the lines after it.

    The cells of each body line must be that row's values as render.human writes them, in the order of
    the headings; only text may be shortened, with one ellipsis."""
    assert all(table.cell_len(ln) <= width for ln in out.splitlines() if ln[:1] in "┏┃┡│└"), out
    heads, body, after = split_table(out)
    names = headings(heads)
    if names[0] == "field" and "field" not in rows[0]:  # one row as `field | value`, or two or three as `field | row1 | row2`
        assert len(names) == len(rows) + 1, out
        fields = [cells[0] for cells in body]
        assert len(set(fields)) == len(fields) and set(fields) <= set(rows[0]), out
        for cells in body:
            key = cells[0]
            for cell, row in zip(cells[1:], rows, strict=True):
                assert is_shortening(cell, render.human(row[key], key)), (key, cell, out)
        return after
    assert len(body) == len(rows), f"{len(body)} lines for {len(rows)} rows:\n{out}"
    by_heading = {render.printable(render.heading(k)): k for k in rows[0]}
    keys = [by_heading[n] for n in names]
    for cells, row in zip(body, rows, strict=True):
        for key, cell in zip(keys, cells, strict=True):
            value = row[key]
            expected = render.human(value, key)
            text = isinstance(value, str) and (key == keys[0] or key in table.PROSE)
            assert cell == expected or (text and is_shortening(cell, expected)), (key, cell, expected, out)
    return after


@pytest.fixture
def run(cli: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str, str]]:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("LLMCOST_PROFILES", raising=False)

    def go(*argv: str, columns: int | str | None = None) -> tuple[int, str, str]:
        if columns is None:
            monkeypatch.delenv("COLUMNS", raising=False)
        else:
            monkeypatch.setenv("COLUMNS", str(columns))
        return cli(*argv)

    return go


def json_rows(run: Callable[..., tuple[int, str, str]], argv: tuple[str, ...]) -> list[dict[str, Any]]:
    code, out, err = run(*argv, "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    return data if isinstance(data, list) else [data]


def table_rows(name: str, rows: list[dict[str, Any]], run: Callable[..., tuple[int, str, str]]) -> list[dict[str, Any]]:
    """The rows a command's table shows, with the keys of its JSON: breakeven pivots them per API, and
    `profiles show` prints values as written in the profile, as its Markdown does."""
    if name == "breakeven":
        return pivot(rows)
    if name == "profiles-show":
        _, out, _ = run(*COMMANDS[name], "-f", "markdown")
        lines = [[c.strip() for c in ln.strip("|").split(" | ")] for ln in out.splitlines() if ln.startswith("| ")]
        return [dict(zip(lines[0], cells, strict=True)) for cells in lines[1:]]
    return rows


@pytest.mark.parametrize("name", COMMANDS)
def test_every_table_fits_every_width_one_line_per_row(name: str, run) -> None:
    argv = COMMANDS[name]
    rows = table_rows(name, json_rows(run, argv), run)
    for width in WIDTHS:
        code, out, err = run(*argv, columns=width)
        assert code == 0, err
        after = check_table(out, rows, width)
        assert len([ln for ln in after if " more column" in ln]) <= 1
        assert all(table.cell_len(ln) <= width for ln in after), after  # the verdict under it is wrapped between words


def test_compare_at_80_columns_keeps_the_most_important_columns_and_names_the_others(run) -> None:
    code, out, _ = run("compare", columns=80)
    heads, body, after = split_table(out)
    assert headings(heads) == ["option", "monthly", "TCO", "payback months", "break-even tok/day"]
    assert after[0].startswith("8 more columns: capex_usd") and after[0].endswith("(--wide shows all, --columns a,b,c picks)")
    assert len(after[0]) <= 80
    rows = json_rows(run, ("compare",))
    assert [cells[0] for cells in body] == [r["option"] for r in rows]  # whole names: the option says its kind too


def test_option_names_are_never_shortened_outside_the_table(run, tmp_path) -> None:
    rows = json_rows(run, ("compare",))
    longest = max((r["option"] for r in rows), key=len)
    for fmt in ("csv", "markdown"):
        _, out, _ = run("compare", "-f", fmt, columns=60)
        assert longest in out and "…" not in out


def test_wide_shows_every_key_at_full_width(run) -> None:
    rows = json_rows(run, ("compare",))
    code, out, _ = run("compare", "--wide", columns=60)
    heads, body, after = split_table(out)
    assert len(headings(heads)) == len(rows[0]) and not any(" more column" in ln for ln in after)
    assert [cells[0] for cells in body] == [r["option"] for r in rows]


def test_columns_chooses_keys_and_order_in_every_format(run) -> None:
    rows = json_rows(run, ("compare",))
    chosen = ["tco_usd", "option", "ttft_s"]
    _, out, _ = run("compare", "--columns", "tco_usd,option", "--columns", "ttft_s", "-f", "json")
    assert json.loads(out) == [{k: r[k] for k in chosen} for r in rows]
    _, out, _ = run("compare", "--columns", "tco_usd,option,ttft_s", "-f", "csv")
    assert out.splitlines()[0] == "tco_usd,option,ttft_s" and len(out.splitlines()) == len(rows) + 1
    _, out, _ = run("compare", "--columns", "tco_usd,option,ttft_s", "-f", "markdown")
    assert out.splitlines()[2].startswith("| tco_usd | option | ttft_s |")
    _, out, _ = run("compare", "--columns", "tco_usd,option,ttft_s", columns=80)
    heads, body, _ = split_table(out)
    assert headings(heads) == ["TCO", "option", "TTFT s"] and len(body) == len(rows)


@pytest.mark.parametrize(("argv", "typo", "closest"), [
    (("compare",), "tco_usdd", "tco_usd"), (("breakeven",), "paybak_months", "payback_months"),
    (("serve", "-m", "llama-3.1-8b"), "ttft", "ttft_s"), (("finetune", "-m", "llama-3.1-8b"), "wall_hour", "wall_hours"),
    (("pretrain", "-m", "llama-7b"), "gpu_hour", "gpu_hours"), (("compare", "--samples", "16"), "tco_usd_p5", "tco_usd_p50")])
def test_an_unknown_column_is_exit_2_naming_the_closest(argv: tuple[str, ...], typo: str, closest: str, run) -> None:
    code, out, err = run(*argv, "--columns", f"fits,{typo}", "-f", "csv")
    assert code == 2 and out == ""
    assert not_warnings(err) == 1 and f"unknown column {typo!r}; did you mean {closest!r}" in err


def test_breakeven_columns_show_the_long_rows(run) -> None:
    rows = json_rows(run, ("breakeven",))
    _, out, _ = run("breakeven", "--columns", "option,api,payback_months", columns=80)
    heads, body, _ = split_table(out)
    assert headings(heads) == ["option", "api", "payback months"] and len(body) == len(rows)


@pytest.mark.parametrize("value", ["-5", "0", "abc", "12abc", " ", "1e9"])
def test_a_bad_columns_variable_still_prints_the_table(value: str, run) -> None:
    code, out, err = run("compare", columns=value)
    assert code == 0 and not_warnings(err) <= 1
    rows = json_rows(run, ("compare",))
    heads, body, _ = split_table(out)
    assert len(body) == len(rows)
    expected = table.FALLBACK_WIDTH if value.strip() in ("-5", "0", "abc", "12abc") else None
    if expected:
        assert max(len(ln) for ln in out.splitlines() if ln.startswith("│")) <= expected


def test_a_tiny_width_is_raised_to_the_minimum(run) -> None:
    code, out, _ = run("compare", columns=5)
    assert code == 0
    assert max(len(ln) for ln in out.splitlines() if ln.startswith("│")) <= table.MIN_WIDTH


def test_not_a_terminal_and_no_columns_uses_a_generous_width(run) -> None:
    code, out, _ = run("compare", columns=None)
    heads, _, after = split_table(out)
    assert code == 0 and len(headings(heads)) == 13 and not any(" more column" in ln for ln in after)


def test_width_of_a_terminal_is_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

        def fileno(self) -> int:
            return 1

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr("os.get_terminal_size", lambda fd: __import__("os").terminal_size((97, 30)))
    assert table.width_of(Tty()) == 97  # type: ignore[arg-type]


def test_one_row_is_a_field_value_list(run) -> None:
    rows = json_rows(run, ("serve", "-m", "llama-3.1-8b"))
    _, out, _ = run("serve", "-m", "llama-3.1-8b", columns=60)
    heads, body, _ = split_table(out)
    assert headings(heads) == ["field", "value"] and len(body) == len(rows[0])
    assert body[0] == ["gpu", "rtx-4090"]


def test_control_characters_never_reach_the_terminal() -> None:
    rows = [{"option": "own \x1b]0;pwned\x07\x1b[2J", "kind": "own", "monthly_usd": 1.0, "notes": "a\rb\u202ec"}]
    for fmt in ("table", "markdown", "csv"):
        text = render.to_text(rows, fmt, title="t\x1b[31m")
        assert "\x1b" not in text and "\x07" not in text and "\r" not in text and "\u202e" not in text, fmt
        assert "\\x1b]0;pwned\\x07\\x1b[2J" in text and "\\u202e" in text, fmt
    assert json.loads(render.to_text(rows, "json"))[0]["option"] == rows[0]["option"]  # JSON escapes them itself


def test_markup_in_names_is_printed_as_written() -> None:
    text = render.to_text([{"option": "[bold]x[/] :smile:", "kind": "own"}, {"option": "[/]", "kind": "api"}], "table")
    assert "[bold]x[/] :smile:" in text and "│ [/]" in text


def test_heading_pieces_and_wrapping() -> None:
    assert table.wrap_heading("break-even tok/day", 10) == "break-even\ntok/day"
    assert table.wrap_heading("openai/gpt-4o-mini", 12) == "openai/\ngpt-4o-mini"
    assert table.wrap_heading("$/Mtok", 5) == "$/Mtok"  # a short word never breaks, the column widens instead


def test_shortening_keeps_both_ends_in_the_first_column() -> None:
    assert table.shorten("rent runpod/serverless-rtx-3090", 16, middle=True) == "rent ru…rtx-3090"
    assert table.shorten("rent runpod/serverless-rtx-3090", 15, middle=True) == "rent ru…tx-3090"
    assert table.shorten("abc", 3) == "abc" and table.shorten("abcd", 3) == "ab…"
    assert table.cell_len(table.shorten("日本語のモデル名です", 9)) <= 9
