"""`llmcost diff BASE.json HEAD.json` (issue #13 item 8): per option, old and new TCO, monthly cost and payback
and their deltas, in every format, with --fail-if on the delta keys, the Python API, and the GitHub Actions
example's steps run locally.

Expected deltas are computed here from the two compare files (new - old), not by llmcost."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_tables import WIDTHS, check_table

import llmcost

ROOT = Path(__file__).resolve().parent.parent
KEYS = ("tco_usd", "monthly_usd", "payback_months")


def _compare(cli, path: Path, *argv: str) -> list[dict]:
    rc, _, err = cli("compare", *argv, "-f", "json", "-o", str(path))
    assert rc == 0, err
    return json.loads(path.read_text())


@pytest.fixture
def pair(cli, tmp_path: Path) -> tuple[Path, Path, list[dict], list[dict]]:
    """Two compare outputs: the default scenario, and one with 20,000 requests/day and different GPUs."""
    base, head = tmp_path / "base.json", tmp_path / "head.json"
    old = _compare(cli, base)
    new = _compare(cli, head, "--set", "workload.requests_per_day=20000", "-g", "rtx-4090", "-g", "2xrtx-3090")
    return base, head, old, new


def _rows(cli, *argv: str) -> list[dict]:
    rc, out, err = cli("diff", *argv, "-f", "json")
    assert rc == 0, err
    return json.loads(out)


def test_deltas_are_new_minus_old_and_options_in_one_file_only_are_states(cli, pair) -> None:
    base, head, old, new = pair
    rows = _rows(cli, str(base), str(head))
    before, after = {r["option"]: r for r in old}, {r["option"]: r for r in new}
    assert [r["option"] for r in rows] == [*before, *(o for o in after if o not in before)]
    for r in rows:
        a, b = before.get(r["option"]), after.get(r["option"])
        for key in KEYS:
            x, y = (a[key] if a else "absent"), (b[key] if b else "absent")
            assert (r[f"old_{key}"], r[f"new_{key}"]) == (x, y)
            if isinstance(x, (int, float)) and isinstance(y, (int, float)):
                assert r[f"delta_{key}"] == pytest.approx(y - x, abs=1e-9)
            else:
                assert isinstance(r[f"delta_{key}"], str)  # never a made-up number
        assert r["change"] == ("added" if a is None else "removed" if b is None
                               else "unchanged" if all(a[k] == b[k] for k in KEYS) else "changed")
    changes = {r["change"] for r in rows}
    assert {"added", "removed", "changed"} <= changes
    assert all(r["old_tco_usd"] == "absent" and r["delta_tco_usd"] == "n/a" for r in rows if r["change"] == "added")


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps(rows))
    return path


def _row(option: str, tco: object, monthly: object, payback: object) -> dict:
    return {"option": option, "kind": "own", "tco_usd": tco, "monthly_usd": monthly, "payback_months": payback}


STATE_BASE = [_row("a", 100, 10, 12), _row("b", 100, 10, "never"), _row("c", 100, 10, "never"), _row("d", "does not fit",
              "does not fit", "does not fit"), _row("e", 100, 10, 6)]
STATE_HEAD = [_row("a", 90, 9, "never"), _row("b", 100, 10, 20), _row("c", 100, 10, "never"), _row("d", 50, 5, 4),
              _row("e", 100, 10, 6)]


def test_never_and_does_not_fit_on_either_side_are_states_not_numbers(cli, tmp_path: Path) -> None:
    rows = {r["option"]: r for r in _rows(cli, str(_write(tmp_path / "b.json", STATE_BASE)),
                                              str(_write(tmp_path / "h.json", STATE_HEAD)))}
    assert [rows[o]["delta_payback_months"] for o in "abcde"] == ["never", "was never", "still never", "n/a", 0]
    assert (rows["a"]["delta_tco_usd"], rows["a"]["delta_monthly_usd"]) == (-10, -1)
    assert rows["d"]["delta_tco_usd"] == "n/a" and rows["d"]["old_tco_usd"] == "does not fit"
    assert [rows[o]["change"] for o in "abcde"] == ["changed", "changed", "unchanged", "changed", "unchanged"]


def test_fail_if_on_the_delta_keys(cli, tmp_path: Path) -> None:
    base, head = _write(tmp_path / "b.json", STATE_BASE), _write(tmp_path / "h.json", STATE_HEAD)
    rc, _, err = cli("diff", str(base), str(head), "-f", "csv", "--fail-if", "delta_payback_months > 3")
    assert rc == 1 and "matched 1 row: a" in err  # 12 -> never: "never" ranks above every number
    rc, _, err = cli("diff", str(base), str(head), "-f", "csv", "--fail-if", "delta_tco_usd > 0 or change == \"added\"")
    assert rc == 0, err
    rc, _, err = cli("diff", str(base), str(head), "-f", "csv", "--fail-if", "delta_tco_usd < -5")
    assert rc == 1 and "matched 2 rows: a, d" not in err and "matched 1 row: a" in err  # d has no number: n/a
    for typo, says in (("delta_tco > 0", "unknown column 'delta_tco'"), ('change == "addded"', "'added'"),
                       ("delta_monthly_usd > 100usd", "not a number"), ('delta_tco_usd > "5"', "quoted number")):
        rc, out, err = cli("diff", str(base), str(head), "--fail-if", typo)
        assert rc == 2 and out == "" and says in err and "Traceback" not in err, (typo, err)


@pytest.mark.parametrize("fmt", ["csv", "markdown", "jsonl"])
def test_every_format_carries_the_same_rows(cli, pair, fmt: str) -> None:
    base, head, _, _ = pair
    rows = _rows(cli, str(base), str(head))
    rc, out, err = cli("diff", str(base), str(head), "-f", fmt)
    assert rc == 0, err
    if fmt == "csv":
        got = list(csv.DictReader(io.StringIO(out)))
        assert [list(r) for r in got] == [list(r) for r in rows]
        for g, r in zip(got, rows, strict=True):
            for k, v in r.items():
                assert g[k] == (repr(v) if isinstance(v, float) else str(v))
        assert "summary" not in out and "changed," in err  # the summary goes to stderr
    elif fmt == "jsonl":
        assert [json.loads(line) for line in out.splitlines()] == rows
    else:  # Markdown for a PR comment: a title, the table with the key names, the summary under it
        lines = out.splitlines()
        assert lines[0] == f"**llmcost diff: {base} -> {head}**"
        assert lines[2] == "| " + " | ".join(rows[0]) + " |" and len([x for x in lines if x.startswith("| ")]) == len(rows) + 1
        changed = next(r for r in rows if r["change"] == "changed" and isinstance(r["delta_tco_usd"], (int, float)))
        sign = "+" if changed["delta_tco_usd"] > 0 else "-"
        assert any(x.startswith(f"| {changed['option']} |") and f"| {sign}$" in x for x in lines)
        assert lines[-1].endswith("unchanged.")


def test_the_table_fits_every_width(cli, pair, monkeypatch: pytest.MonkeyPatch) -> None:
    base, head, _, _ = pair
    rows = _rows(cli, str(base), str(head))
    monkeypatch.setenv("NO_COLOR", "1")
    for width in WIDTHS:
        monkeypatch.setenv("COLUMNS", str(width))
        rc, out, err = cli("diff", str(base), str(head))
        assert rc == 0, err
        check_table(out, rows, width)


def test_jsonl_inputs_and_identical_files(cli, tmp_path: Path) -> None:
    rc, _, err = cli("compare", "-o", str(tmp_path / "a.jsonl"))
    assert rc == 0, err
    rows = _rows(cli, str(tmp_path / "a.jsonl"), str(tmp_path / "a.jsonl"))
    assert rows and all(r["change"] == "unchanged" for r in rows)
    assert all(r["delta_tco_usd"] == 0 for r in rows)


@pytest.mark.parametrize(("content", "says"), [
    ("not json", "not JSON"), ("[1, 2]", "expected a JSON array of row objects"), ('{"option": "a"}', "JSON array"),
    ('[{"option": "a", "tco_usd": NaN, "monthly_usd": 1, "payback_months": 1}]', "NaN is not a JSON number"),
    ('[{"kind": "own"}]', "row 1 has no option name"),
    ('[{"option": "a", "tco_usd": 1, "monthly_usd": 1}]', "row 1 (a) has no payback_months"),
    ('[{"option": "a", "tco_usd": "cheap", "monthly_usd": 1, "payback_months": 1}]', "tco_usd is 'cheap'"),
    ('[{"option": "a", "tco_usd": true, "monthly_usd": 1, "payback_months": 1}]', "tco_usd is True"),
    ("[" * 100000 + "]" * 100000, "not JSON"),
])
def test_a_file_that_is_not_a_compare_output_is_one_line_and_exit_2(cli, tmp_path: Path, content: str, says: str) -> None:
    bad, good = tmp_path / "bad.json", _write(tmp_path / "good.json", STATE_BASE)
    bad.write_text(content)
    rc, out, err = cli("diff", str(good), str(bad))
    assert rc == 2 and out == "" and len(err.splitlines()) == 1 and says in err and str(bad) in err, err


def test_breakeven_output_and_missing_files_and_overwriting_an_input(cli, tmp_path: Path) -> None:
    rc, _, _ = cli("breakeven", "-o", str(tmp_path / "be.json"))
    assert rc == 0
    good = _write(tmp_path / "good.json", STATE_BASE)
    rc, _, err = cli("diff", str(good), str(tmp_path / "be.json"))
    assert rc == 2 and "row 1 (own rtx-3090) has no tco_usd; give two outputs of `llmcost compare -f json`" in err
    _write(tmp_path / "twice.json", [*STATE_BASE, STATE_BASE[0]])
    rc, _, err = cli("diff", str(good), str(tmp_path / "twice.json"))
    assert rc == 2 and "option 'a' appears twice" in err and "not breakeven or sweep" in err
    rc, _, err = cli("diff", str(good), str(tmp_path / "nope.json"))
    assert rc == 2 and "nope.json: no such file" in err
    rc, _, err = cli("diff", str(good), str(good), "-o", str(good))
    assert rc == 2 and "also an input" in err and json.loads(good.read_text()) == STATE_BASE


def test_python_api_rows_equal_the_command(cli, pair) -> None:
    """llmcost.diff(base, head).rows() is the command's JSON, from file names or from compare rows."""
    base, head, old, new = pair
    cli_rows = _rows(cli, str(base), str(head))
    result = llmcost.diff(base, head)
    assert json.loads(json.dumps(result.rows())) == cli_rows
    assert list(result.columns) == list(cli_rows[0])
    sc = llmcost.scenario("team-assistant", {"workload.requests_per_day": 20000, "options.gpus": ["rtx-4090", "2xrtx-3090"]})
    from_rows = llmcost.diff(llmcost.compare("team-assistant").rows(), llmcost.compare(sc).rows())
    assert json.loads(json.dumps(from_rows.rows())) == cli_rows


# ------------------------------------------------------------------------------------------ the GitHub Actions example

WORKFLOW = ROOT / "examples" / "github-actions" / "llmcost-diff.yml"
LOCAL_STEPS = ("Compare on the base branch and on the pull request", "Diff", "Fail when the gate matched")


def _steps() -> dict[str, dict]:
    doc = yaml.safe_load(WORKFLOW.read_text())
    (job,) = doc["jobs"].values()
    return {s["name"]: s for s in job["steps"]}


def test_the_workflow_runs_compare_diff_and_comments_on_pull_requests() -> None:
    doc = yaml.safe_load(WORKFLOW.read_text())
    assert "pull_request" in doc[True]  # YAML 1.1 reads the key `on` as True
    steps = _steps()
    assert set(LOCAL_STEPS) <= set(steps)
    assert "gh pr comment" in steps["Comment on the pull request"]["run"]
    assert steps["Comment on the pull request"]["if"] == "always()"
    assert "--fail-if" in steps["Diff"]["run"] and "-f markdown" in steps["Diff"]["run"]


def _run_steps(tmp_path: Path, workdir: Path, env: dict[str, str]) -> dict[str, subprocess.CompletedProcess[str]]:
    """The workflow's own `run:` scripts, in order, under bash -e as GitHub runs them (`shell: bash`)."""
    steps = _steps()
    bin_dir = str(Path(sys.executable).parent)
    outputs = tmp_path / "github_output"
    done: dict[str, subprocess.CompletedProcess[str]] = {}
    for name in LOCAL_STEPS:
        step = steps[name]
        step_env = {**os.environ, **{k: str(v) for k, v in (step.get("env") or {}).items() if "${{" not in str(v)}, **env,
                    "PATH": bin_dir + os.pathsep + os.environ["PATH"], "GITHUB_OUTPUT": str(outputs), "NO_COLOR": "1"}
        if name == "Fail when the gate matched":
            step_env["GATE_EXIT"] = next(line.split("=", 1)[1] for line in outputs.read_text().splitlines()
                                         if line.startswith("exit_code="))
        done[name] = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workdir, env=step_env, capture_output=True, text=True,
                                    timeout=120)
    return done


def _checkout(root: Path, requests_per_day: int, gpus: str) -> Path:
    root.mkdir()
    (root / "scenario.yaml").write_text(f"""name: Support bot
workload: {{requests_per_day: {requests_per_day}, input_tokens: 1500, output_tokens: 400}}
serving: {{model: llama-3.1-8b, quantization: awq-int4, engine: vllm}}
options: {{gpus: [{gpus}], apis: [openai/gpt-4o-mini]}}
""")
    return root


@pytest.mark.slow
@pytest.mark.parametrize(("head_volume", "head_gpus", "trips"), [(3000, "rtx-4090", False), (60000, "rtx-4090, 2xrtx-3090", True)])
def test_the_workflow_steps_run_here_on_two_scenario_variants(tmp_path: Path, head_volume: int, head_gpus: str, trips: bool) -> None:
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    _checkout(temp / "base", 3000, "rtx-4090")  # what `git worktree add` checks out in CI
    head = _checkout(tmp_path / "pr", head_volume, head_gpus)
    gate = yaml.safe_load(WORKFLOW.read_text())["env"]["GATE"]
    assert gate == "delta_monthly_usd > 100 or delta_payback_months > 3"
    env = {"RUNNER_TEMP": str(temp), "SCENARIO": "scenario.yaml", "GATE": gate}
    done = _run_steps(tmp_path, head, env)
    compare, diff, fail = (done[n] for n in LOCAL_STEPS)
    assert compare.returncode == 0, compare.stderr
    assert diff.returncode == 0, diff.stderr  # the step records the gate's exit code and goes on to the comment
    comment = (temp / "llmcost-diff.md").read_text()
    assert comment.startswith("**llmcost diff:") and "| own rtx-4090 | own |" in comment
    old = {r["option"]: r for r in json.loads((temp / "base.json").read_text())}
    new = {r["option"]: r for r in json.loads((temp / "head.json").read_text())}
    monthly = new["api openai/gpt-4o-mini"]["monthly_usd"] - old["api openai/gpt-4o-mini"]["monthly_usd"]
    assert (monthly > 100) == trips
    assert fail.returncode == (1 if trips else 0), fail.stdout + fail.stderr
    if trips:
        assert "| own 2xrtx-3090 | own | added |" in comment
