"""The fuzz campaign (tests/fuzzcli/): a fast tier on every test run, the long tier with `pytest -m fuzz_long`
(or `python benchmarks/fuzz_campaign.py`), and tests that the campaign's own checks catch what they must.

Fast tier: 250 generated invocations over every command and option, 40 edge values of the bounds table through
the commands that read them, and one subprocess case of each I/O fault and signal; seeded, so a failure
reproduces (the message shows the command line). About 10 s on 2 cores.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import fuzzcli
import pytest
from fuzzcli import Case, Outcome, violations

FAST_SEED, FAST_RUNS, FAST_EDGES = 14, 250, 40
LONG_SEED, LONG_RUNS, LONG_FAULTS = 2026, 5000, 70


def test_fast_tier_keeps_the_contract(tmp_path: Path) -> None:
    tally = fuzzcli.campaign(FAST_RUNS, FAST_SEED, tmp_path / "ws", n_edges=FAST_EDGES)
    print(tally.report())
    assert tally.found == [], tally.report()
    assert tally.invocations == FAST_RUNS + FAST_EDGES
    commands = {c for c, _ in tally.runs}
    assert commands >= set(fuzzcli.COMMANDS), "every command is run"
    succeeded = sum(n for (_, code), n in tally.runs.items() if code == 0)
    assert succeeded > 0.3 * tally.invocations, "most generated runs fail: the campaign checks too few outputs"
    assert all(tally.outputs[f] > 0 for f in ("csv", "json", "jsonl", "markdown", "table")), tally.outputs


@pytest.mark.slow
def test_fast_tier_faults_keep_the_contract(tmp_path: Path) -> None:
    faults = fuzzcli.fault_cases(random.Random(FAST_SEED), 7)  # one of each kind
    assert len({f.name.split(" to stdout")[0].split(" with -o")[0].split(" mid-sweep")[-1] for f in faults}) >= 7
    with ThreadPoolExecutor(max_workers=3) as pool:
        found = list(pool.map(lambda i: fuzzcli.run_fault(faults[i], tmp_path / f"fault{i}"), range(len(faults))))
    assert [(f.name, p) for f, p in zip(faults, found, strict=True) if p] == []


@pytest.mark.fuzz_long
def test_long_tier_keeps_the_contract(tmp_path: Path) -> None:
    """At least 5,000 generated invocations, every edge value, and the subprocess faults (several minutes)."""
    tally = fuzzcli.campaign(LONG_RUNS, LONG_SEED, tmp_path / "ws", n_edges=None)
    counts, faults = fuzzcli.fault_campaign(LONG_FAULTS, LONG_SEED, tmp_path / "faults")
    print(tally.report(), f"\nfaults: {dict(counts)}")
    assert tally.found == [] and faults == [], (tally.report(), faults)
    assert tally.invocations >= 5000


# ------------------------------------------------------------------------------------------- every command and option


def test_every_option_of_every_command_has_a_value_pool() -> None:
    missing = [(cmd, fuzzcli.param_key(p)) for cmd, params in fuzzcli.COMMANDS.items() for p in params
               if fuzzcli.param_key(p) not in fuzzcli.POOLS]
    assert missing == [], "add a pool for each to POOLS in tests/fuzzcli/generate.py"


def test_generated_invocations_use_every_option(tmp_path: Path) -> None:
    rng = random.Random(3)
    ws = fuzzcli.Workspace(tmp_path / "ws", rng)
    seen: set[str] = set()
    for _ in range(3000):
        case = fuzzcli.generate(rng, ws)
        seen.update(a for a in case.argv if a.startswith("--"))
        seen.update({"-o": "--output", "-f": "--format", "-g": "--gpu", "-m": "--model", "-s": "--scenario", "-a": "--api", "-q": "--quant",
                     "-e": "--engine", "-c": "--concurrency"}.get(a, "") for a in case.argv)
        ws.drop_case_inputs()
    options = {fuzzcli.param_key(p) for params in fuzzcli.COMMANDS.values() for p in params if p.param_type_name == "option"}
    hidden = {"--no-checkpointing"}
    assert options - seen - hidden == set()


# ------------------------------------------------------------------------------------------- the checks catch what they must

CASE = Case(["compare", "-f", "csv"], "compare")


@pytest.mark.parametrize(("outcome", "data", "finds"), [
    (Outcome(3, "", ""), [], "exit code 3"),
    (Outcome(None, "", "", raised="ValueError: x"), [], "raised out of main"),
    (Outcome(2, "", "Traceback (most recent call last):\nllmcost: error: x\n"), [], "traceback"),
    (Outcome(0, "", "/x/engine.py:12: RuntimeWarning: overflow encountered in multiply\n"), [], "warning"),
    (Outcome(2, "", "llmcost: error: one\nllmcost: error: two\n"), [], "2 'llmcost: error:' lines"),
    (Outcome(2, "", "llmcost: warning: only a warning\n"), [], "0 'llmcost: error:' lines"),
    (Outcome(1, "", "no gate line\n"), [], "tripped-gate line"),
    (Outcome(0, "", "llmcost: error: but exit 0\n"), [], "exit 0 with"),
    (Outcome(0, "", "\x1b[2J\n"), [], "control character"),
    (Outcome(0, "x", ""), [("csv", "option,tco_usd\nown,-5\n")], "negative tco_usd"),
    (Outcome(0, "x", ""), [("csv", "option,tco_usd\nown,inf\n")], "tco_usd = inf"),
    (Outcome(0, "x", ""), [("csv", "")], "empty CSV"),
    (Outcome(0, "x", ""), [("json", '[{"gpu_hours": NaN}]')], "NaN in JSON"),
    (Outcome(0, "x", ""), [("json", '[{"energy_kwh": -1e-9}]')], "negative energy_kwh"),
    (Outcome(0, "x", ""), [("jsonl", '{"wall_hours": 1e999}\n')], "wall_hours = inf"),
    (Outcome(0, "x", ""), [("table", "│ own │ nan │")], "'nan' in the text"),
    (Outcome(0, "x", ""), [("markdown", "| own | \x1b[31m |")], "a control character"),
])
def test_the_checks_find_each_breach(outcome: Outcome, data: list[tuple[str, str]], finds: str) -> None:
    found = violations(CASE, outcome, [], data)
    assert any(finds in f for f in found), found


def test_the_checks_pass_a_clean_run_and_signed_columns() -> None:
    ok = Outcome(0, "", "llmcost: warning: prices are old\nAt 3,000 requests/day ...\n")
    assert violations(CASE, ok, [], [("csv", "option,tco_usd,workload.monthly_growth\nown,12.5,-0.5\napi,never,0\n")]) == []
    assert violations(Case(["calibrate"], "calibrate"), ok, [], [("csv", "fitted_error\n-0.01\n")]) == []


def test_a_value_outside_its_bounds_must_exit_2() -> None:
    case = Case(["pretrain", "-m", "llama-7b", "--seq-len", "-5"], "pretrain", invalid=["--seq-len '-5'"])
    assert any("outside its bounds" in v for v in violations(case, Outcome(0, "", ""), [], []))
    assert violations(case, Outcome(2, "", "llmcost: error: --seq-len: ...\n"), [], []) == []


def test_a_harmed_file_is_found_and_put_back(tmp_path: Path) -> None:
    ws = fuzzcli.Workspace(tmp_path / "ws", random.Random(1))
    scenario = ws.scenarios[0]
    before = scenario.read_bytes()
    scenario.write_text("overwritten\n")
    (ws.root / ".precious.csv.123.0.part").write_text("partial")
    (ws.root / "precious.csv").write_text("changed by a failed run\n")
    harmed = ws.harmed(Case(["compare", "-o", str(ws.root / "precious.csv")], "compare", output=str(ws.root / "precious.csv")), 2)
    assert any("scenario0.yaml changed" in h for h in harmed) and any("left behind" in h for h in harmed)
    assert any("precious.csv changed" in h for h in harmed)
    assert scenario.read_bytes() == before and ws.harmed(Case(["compare"], "compare"), 0) == []


def test_a_successful_run_may_replace_its_output_but_nothing_else(tmp_path: Path) -> None:
    ws = fuzzcli.Workspace(tmp_path / "ws", random.Random(1))
    (ws.root / "precious.csv").write_text("new output\n")
    case = Case(["compare", "-o", str(ws.root / "link.csv")], "compare", output=str(ws.root / "link.csv"))
    assert ws.harmed(case, 0) == []  # written through the symlink to precious.csv
    (ws.root / "link.csv").unlink()
    (ws.root / "link.csv").write_text("a regular file now\n")
    assert any("link.csv changed" in h for h in ws.harmed(case, 0))


def test_valid_for_reads_the_table() -> None:
    from llmcost import bounds

    seq = bounds.lookup("pretrain.seq_len")
    assert fuzzcli.valid_for(8192, seq) and not fuzzcli.valid_for(0, seq) and not fuzzcli.valid_for(-5, seq)
    assert not fuzzcli.valid_for(2.5, seq) and not fuzzcli.valid_for(float("nan"), seq)
    mfu = bounds.lookup("pretrain.mfu")
    assert fuzzcli.valid_for(1.0, mfu) and not fuzzcli.valid_for(0.0, mfu) and not fuzzcli.valid_for(1.0000001, mfu)
