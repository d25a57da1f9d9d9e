"""The --fail-if / --where grammar: a typo is an error (exit 2), never a gate that passes in silence."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from llmcost import gate
from llmcost.cli.common import gate_columns
from llmcost.errors import LlmcostError

ROWS = [
    {"option": "own rtx-4090", "kind": "own", "fits": True, "payback_months": 20.5, "tco_usd": 3000.0, "notes": ""},
    {"option": "own rtx-3090", "kind": "own", "fits": True, "payback_months": "never", "tco_usd": 2500.0, "notes": ""},
    {"option": "own h100", "kind": "own", "fits": False, "payback_months": "does not fit", "tco_usd": "does not fit", "notes": "x"},
    {"option": "api openai/gpt-4o-mini", "kind": "api", "fits": True, "payback_months": "n/a", "tco_usd": 1400.0, "notes": ""},
]
COLUMNS = gate_columns(ROWS)


def matches(condition: str) -> list[str]:
    check = gate.parse(condition, COLUMNS)
    return [r["option"] for r in ROWS if check(r)]


def test_columns_are_read_from_the_rows_and_declared_vocabularies() -> None:
    assert COLUMNS["payback_months"].kind == gate.NUMBER and "never" in COLUMNS["payback_months"].values
    assert COLUMNS["fits"] == gate.Column(gate.BOOL)
    assert COLUMNS["kind"] == gate.Column(gate.TEXT, ("own", "rent", "api"))  # "rent" though no row is rented
    assert COLUMNS["option"].values == tuple(r["option"] for r in ROWS)
    only_states = gate.columns_of([{"payback_months": "n/a"}], states=("never", "n/a"))
    assert only_states["payback_months"].kind == gate.NUMBER  # an all-API run still compares numbers


@pytest.mark.parametrize(("condition", "expected"), [
    ('kind == "own" and payback_months > 18', ["own rtx-4090", "own rtx-3090"]),  # "never" is above every number
    ("payback_months < 1e300", ["own rtx-4090"]),
    ("payback_months > -1e300", ["own rtx-4090", "own rtx-3090"]),
    ('payback_months == "never"', ["own rtx-3090"]),
    ('payback_months != "n/a" and kind == "own"', ["own rtx-4090", "own rtx-3090", "own h100"]),
    ('payback_months == "does not fit"', ["own h100"]),
    ("fits == false", ["own h100"]),
    ('fits == "true" and tco_usd <= 2.5k', ["own rtx-3090", "api openai/gpt-4o-mini"]),
    ("tco_usd > 0.001M", ["own rtx-4090", "own rtx-3090", "api openai/gpt-4o-mini"]),
    ('kind == "rent"', []),
    ("not not (tco_usd > 2800)", ["own rtx-4090"]),
    ('option == "api openai/gpt-4o-mini" or (kind == "own" and not fits == true)', ["own h100", "api openai/gpt-4o-mini"]),
    ("tco_usd > 1_000", ["own rtx-4090", "own rtx-3090", "api openai/gpt-4o-mini"]),
])
def test_conditions_select_the_rows_they_say(condition: str, expected: list[str]) -> None:
    assert matches(condition) == expected


@pytest.mark.parametrize(("condition", "message"), [
    ("payback_months > 18mo", "'18mo' is not a number; units are in the column's name (payback_months), write 18"),
    ("payback_months > 18m", "'18m' is not a number"),
    ("payback_months > 1O", "'1O' is not a number; write digits"),
    ('payback_months > "18"', '"18" is a quoted number; write 18 without quotes'),
    ("payback_months > '1e3'", "'1e3' is a quoted number"),
    ('kind == "onw"', "unknown value of kind 'onw'; did you mean 'own'? (kind holds own, rent, api)"),
    ("kind == own", "'own' is neither a number nor quoted text; write kind == \"own\""),
    ("payback_months == never", "write payback_months == \"never\""),
    ('payback_months == "nevr"', "unknown state of payback_months 'nevr'; did you mean 'never'?"),
    ("kind == 3", "kind holds own, rent, api, not numbers"),
    ('kind < "own"', "text compares only with == or !="),
    ("fits == 1", "fits holds true or false, not numbers"),
    ('fits == "yes"', "fits is true or false"),
    ("payback_months == true", "payback_months holds numbers"),
    ('option == "own rtx-409"', "did you mean 'own rtx-4090'"),
    ("paybak_months > 18", "unknown column 'paybak_months'; did you mean 'payback_months'?"),
    ("payback_months > tco_usd", "not with the column 'tco_usd'"),
    ("18 < payback_months", "expected a column name, got '18'"),
    ("payback_months > 1e400", "too large for a number"),
    ("payback_months > 18 payback_months", "unexpected 'payback_months'"),
    ("payback_months >", "ends too early"),
    ("payback_months > ()", "expected a number or a quoted text"),
    ("payback_months ~ 3", "cannot read"),
    ("__import__('os')", "unknown column '__import__'"),
])
def test_a_typo_is_an_error_naming_what_is_wrong(condition: str, message: str) -> None:
    with pytest.raises(LlmcostError) as e:
        gate.parse(condition, COLUMNS)
    text = str(e.value)
    assert text.startswith(f"--fail-if {condition!r}: ") and message in text and "\n" not in text


@pytest.mark.parametrize("make", [
    lambda n: "(" * n + "payback_months > 1" + ")" * n,
    lambda n: "not " * n + "payback_months > 1",
    lambda n: "(not " * n + "payback_months > 1" + ")" * n,
])
@pytest.mark.parametrize("n", [200, 1000, 100_000])
def test_deep_nesting_is_a_clean_error(make: Callable[[int], str], n: int) -> None:
    with pytest.raises(LlmcostError, match=f"nested more than {gate.MAX_DEPTH} levels"):
        gate.parse(make(n), COLUMNS)


def test_nesting_up_to_the_limit_works() -> None:
    depth = gate.MAX_DEPTH
    assert gate.parse("(" * depth + "tco_usd > 2800" + ")" * depth, COLUMNS)(ROWS[0])
    assert gate.parse("not " * depth + "tco_usd > 2800", COLUMNS)(ROWS[0]) is (depth % 2 == 0)


def test_a_long_flat_condition_is_fine() -> None:
    condition = " or ".join(f"tco_usd == {i}" for i in range(5000))
    assert gate.parse(condition, COLUMNS)({"tco_usd": 4999.0})


def test_numbers_of_any_size_compare_as_numbers() -> None:
    keys = ["x"]
    assert gate.parse("x > 1e18", keys)({"x": 2e18}) and not gate.parse("x > 1e19", keys)({"x": 2e18})
    assert gate.parse("x < 1e300", keys)({"x": 1e299}) and gate.parse("x > -1e300", keys)({"x": -1e299})
    assert gate.parse("x > 1", keys)({"x": 10**400 // 10**390})
    assert gate.parse("x == 99999999999999999999", keys)({"x": 1e20})
    assert gate.parse("x >= 1e-300", keys)({"x": 1e-300}) and gate.parse("x == 0.1", keys)({"x": 0.1})
    assert not gate.parse("x > 1", keys)({"x": math.nan})


def test_untyped_columns_still_refuse_the_typos_that_need_no_types() -> None:
    for condition in ("x > 18mo", 'x > "18"', "x == own", "x > 1O", 'x >= "a"'):
        with pytest.raises(LlmcostError):
            gate.parse(condition, ["x"])


def test_long_or_hostile_conditions_are_quoted_on_one_short_line() -> None:
    with pytest.raises(LlmcostError) as e:
        gate.parse("tco_usd > 1 and " * 200 + "tco_usd >", COLUMNS)
    assert len(str(e.value)) < 200
    with pytest.raises(LlmcostError) as e:
        gate.parse("tco_usd > 1\n\x1b[2J ~", COLUMNS)
    assert "\x1b" not in str(e.value) and "\n" not in str(e.value)


def test_compare_gate_typos_exit_2_and_a_tripped_gate_exits_1(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLMCOST_PROFILES", raising=False)
    for condition in ('kind == "own" and payback_months > 18mo', 'payback_months > "18"', "payback_months > 1O",
                      'kind == "onw"', "(" * 200 + "payback_months > 1" + ")" * 200, "not " * 1000 + "fits == true"):
        code, out, err = cli("compare", "-f", "csv", "--fail-if", condition)
        assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err, (condition, err)
    code, _, err = cli("compare", "-f", "csv", "--fail-if", 'kind == "own" and payback_months > 18')
    assert code == 1 and "matched" in err
    code, _, _ = cli("compare", "-f", "csv", "--fail-if", 'kind == "rent" and payback_months < -1e300')
    assert code == 0
    code, _, err = cli("breakeven", "-f", "csv", "--fail-if", 'api == "openai/gpt-4o-mni"')
    assert code == 2 and "did you mean 'openai/gpt-4o-mini'" in err


def test_sweep_gates_know_kind_before_any_row(cli, tmp_path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  workload.requests_per_day: [500, 3000]\n")
    for option in ("--where", "--fail-if"):
        for condition in ('kind == "onw"', "payback_months > 18mo", 'payback_months > "18"', "kind == own"):
            code, out, err = cli("sweep", str(grid), option, condition)
            assert code == 2 and out == "" and err.startswith(f"llmcost: error: {option}") and err.count("\n") == 1, err
