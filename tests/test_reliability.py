"""Issue #14's examples, one regression test each (the fuzz campaign in tests/fuzzcli/ covers their classes).

Five classes: tracebacks, the broken contract (exit codes, stderr, options checked before work), silent wrong
results, user files harmed, limits discovered by running out. Each example names the issue's words. The
in-process cases go through the real entry point (`llmcost.cli.app.main`); stdout faults and signals run
`python -m llmcost` in a subprocess, as a shell would.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from llmcost import scenarios, sweeps
from llmcost.cli.app import main

ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
ENV.pop("LLMCOST_PROFILES", None)
FIXTURES = Path(__file__).parent / "fixtures"
FOUR_AXES = ("base: team-assistant\ngrid:\n" + "".join(
    f"  {k}: {{start: 1, stop: 1e6, num: 1e6}}\n" for k in ("workload.requests_per_day", "workload.input_tokens", "workload.output_tokens"))
    + "  economics.electricity_usd_per_kwh: {start: 0, stop: 1, num: 1e6}\n")


def run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """`llmcost ARGV` in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        from contextlib import redirect_stderr, redirect_stdout

        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(argv))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return code, out.getvalue(), err.getvalue()


def errors(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if not ln.startswith(("llmcost: warning:", "llmcost: note:"))]


def assert_one_line(code: int, err: str, *words: str) -> None:
    """Exit 2, one `llmcost: error:` line (warnings aside) that says `words`, no traceback, no NumPy warning."""
    lines = errors(err)
    assert code == 2 and len(lines) == 1 and lines[0].startswith("llmcost: error: "), (code, err)
    assert "Traceback" not in err and "Warning:" not in err, err
    for w in words:
        assert w in lines[0], (w, lines[0])


def llmcost(*argv: str, **kwargs) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "llmcost", *argv], env=ENV, timeout=300, **kwargs)


# ------------------------------------------------------------------------------------------- tracebacks

TRACEBACKS = [
    (("compare", "--set", "economics.horizon_months=0.5"), "horizon_months"),
    (("compare", "--gpu", "9" * 400 + "xrtx-4090"), "the count before 'x'"),
    (("finetune", "-m", "llama-7b", "--set", "assumptions.consumer_gpus_per_host=0"), "consumer_gpus_per_host"),
    (("compare", "--fail-if", "(" * 200 + "tco_usd > 1" + ")" * 200), "nested more than"),
    (("compare", "--fail-if", "not " * 1000 + "tco_usd > 1"), "nested more than"),
    (("compare", "--samples", "99999999999999999999"), "--samples"),
]


@pytest.mark.parametrize(("argv", "says"), TRACEBACKS, ids=lambda a: " ".join(a)[:60] if isinstance(a, tuple) else "")
def test_former_tracebacks_are_one_line(argv: tuple[str, ...], says: str) -> None:
    code, out, err = run(*argv)
    assert_one_line(code, err, says)
    assert out == ""


def test_sweep_at_a_half_month_horizon_is_refused_like_compare(tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  economics.horizon_months: [0.5, 12]\n")
    code, out, err = run("sweep", str(grid))
    assert_one_line(code, err, "horizon_months")


def test_a_300_character_output_name_is_one_line(tmp_path: Path) -> None:
    code, _, err = run("compare", "-o", str(tmp_path / ("x" * 300 + ".csv")))
    assert_one_line(code, err, "longer than the file system allows")


def test_a_range_of_1e300_steps_is_one_line_before_anything_is_built(tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  workload.requests_per_day: {start: 1, stop: 1e6, num: 1e300}\n")
    for argv in (("sweep", str(grid)), ("sweep", str(grid), "--count"), ("profiles", "validate", str(grid))):
        code, _, err = run(*argv)
        assert code == 2 and "num: expected an integer >= 1 and <= 1e+07, got 1e+300" in err and "Traceback" not in err, err


def test_four_axes_of_a_million_steps_are_counted_and_refused(tmp_path: Path) -> None:
    grid, one = tmp_path / "grid.yaml", tmp_path / "one.yaml"
    grid.write_text(FOUR_AXES)
    one.write_text("base: team-assistant\ngrid:\n  workload.requests_per_day: [1]\n")
    options = int(run("sweep", str(one), "--count")[1])
    code, out, err = run("sweep", str(grid), "--count")
    assert code == 0 and options > 1 and int(out) == 10**24 * options, err
    code, out, err = run("sweep", str(grid), "-f", "csv")
    assert_one_line(code, err, f"{10**24 * options:,} rows", "--max-rows")
    assert out == ""


@pytest.mark.parametrize("path", sorted((FIXTURES / "prices" / "malformed").iterdir()), ids=lambda p: p.name)
def test_malformed_price_files_are_one_line(path: Path, tmp_path: Path) -> None:
    source = "litellm" if path.name.startswith("litellm") else "genai-prices"
    argv = ["profiles", "import-prices", "--from", source, str(path) if source == "litellm" else "--data", *(
        [] if source == "litellm" else [str(path)]), "-o", str(tmp_path / "out.yaml")]
    code, _, err = run(*argv)
    assert_one_line(code, err)
    assert not (tmp_path / "out.yaml").exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("argv", [("compare", "-f", "csv"), ("profiles", "list", "gpus")], ids=" ".join)
def test_a_full_disk_on_stdout_is_one_line(argv: tuple[str, ...]) -> None:
    with open("/dev/full", "w") as full:
        p = llmcost(*argv, stdout=full, stderr=subprocess.PIPE)
    assert p.returncode == 2 and errors(p.stderr.decode()) == ["llmcost: error: cannot write the output: No space left on device"]


# ------------------------------------------------------------------------------------------- broken contract


@pytest.mark.parametrize("command", ["compare -f csv", "serve -m llama-3.1-8b -f csv", "profiles list gpus"])
def test_a_reader_that_leaves_early_is_exit_0(command: str) -> None:
    p = subprocess.run(f"{sys.executable} -m llmcost {command} | head -c1 >/dev/null; echo ${{PIPESTATUS[0]}}", shell=True,
                       executable="/bin/bash", env=ENV, capture_output=True, text=True, timeout=300)
    assert p.stdout == "0\n" and "Traceback" not in p.stderr and "Error" not in p.stderr, p.stderr


@pytest.mark.parametrize("argv", [
    ("compare", "--set", "workload.monthly_growth=1", "--set", "economics.horizon_months=1200", "-f", "csv"),
    ("serve", "-m", "llama-3.1-70b", "-g", "4xrtx-3090", "--set", "assumptions.tp_efficiency_pcie=0", "-f", "csv"),
], ids=lambda a: " ".join(a[:4]))
def test_no_numpy_warning_reaches_stderr(argv: tuple[str, ...]) -> None:
    code, out, err = run(*argv)
    assert "Warning:" not in err and "Traceback" not in err and code in (0, 2), err
    assert code == 0 or len(errors(err)) == 1


@pytest.mark.parametrize("argv", [
    ("compare", "--samples", "10000000", "-f", "xml"),
    ("breakeven", "--samples", "10000000", "-f", "xml"),
    ("sweep", "GRID", "--samples", "10000000", "-f", "xml"),
], ids=lambda a: a[0])
def test_a_bad_format_is_refused_before_a_monte_carlo(argv: tuple[str, ...], tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  workload.requests_per_day: [100, 1000]\n")
    code, _, err = run(*(str(grid) if a == "GRID" else a for a in argv))
    assert_one_line(code, err, "'xml'")  # not the memory limit of --samples 10,000,000, which comes later


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "markdown", "table"])
def test_breakeven_without_own_or_rent_options_still_prints_its_header(fmt: str) -> None:
    code, out, err = run("breakeven", "--set", "options.gpus=", "--set", "options.rentals=", "-f", fmt)
    assert code == 0, err
    expected = {"csv": "option,kind,api,fits,breakeven_tokens_per_day,payback_months,monthly_usd,api_monthly_usd,notes\n",
                "json": "[]\n", "jsonl": "", "markdown": None, "table": "(no rows)\n"}[fmt]
    assert out == expected or (expected is None and out.strip() != ""), out


# ------------------------------------------------------------------------------------------- silent wrong results

WRONG = [
    (("compare", "--set", "assumptions.electricity_usd_per_kwh=-1"), "expected a number >= 0"),
    (("compare", "--set", "assumptions.resale_fraction=1.5"), "expected a number >= 0 and <= 1"),
    (("pretrain", "-m", "llama-7b", "-g", "8xh100-sxm", "--set", "assumptions.mfu_nvlink=-1"), "expected a number > 0 and <= 1"),
    (("pretrain", "-m", "llama-7b", "--seq-len", "-5"), "--seq-len: expected an integer >= 1, got -5"),
    (("pretrain", "-m", "llama-7b", "--seq-len", "0"), "--seq-len: expected an integer >= 1, got 0"),
    (("finetune", "-m", "llama-7b", "--rank", "1e20"), "--rank: expected an integer >= 1 and <= 1e+06, got 1e+20"),
    (("finetune", "-m", "llama-7b", "--rank", "100000000000000000000"), "--rank: expected an integer >= 1 and <= 1e+06"),
    (("finetune", "-m", "llama-7b", "--epochs", "0"), "--epochs"),
    (("finetune", "-m", "llama-7b", "--batch", "99999999999999999999"), "--batch"),
    (("serve", "-m", "llama-7b", "--concurrency", "1e300"), "--concurrency"),
    (("serve", "-m", "llama-7b", "--max-tpot-ms", "nan"), "--max-tpot-ms"),
    (("pretrain", "-m", "llama-7b", "--gpus", "1e17"), "--gpus"),
    (("pretrain", "-m", "llama-7b", "--mfu", "inf"), "--mfu"),
]


@pytest.mark.parametrize(("argv", "says"), WRONG, ids=lambda a: " ".join(a)[:60] if isinstance(a, tuple) else "")
def test_values_outside_their_bounds_are_refused(argv: tuple[str, ...], says: str) -> None:
    code, out, err = run(*argv)
    assert_one_line(code, err, says)


def test_assumptions_in_profile_files_are_range_checked(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("assumptions:\n  electricity_usd_per_kwh: {value: -1, rationale: x, source: y}\n")
    code, _, err = run("compare", "--profiles", str(tmp_path))
    assert_one_line(code, err, "electricity_usd_per_kwh")


def test_an_overflowing_sweep_is_exit_2_not_a_huge_number(tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  workload.monthly_growth: [10]\n  economics.horizon_months: [1200]\n")
    code, out, err = run("sweep", str(grid), "-f", "jsonl")
    assert_one_line(code, err, "overflowed")
    assert "e+30" not in out


def test_gate_numbers_above_1e18_compare_as_numbers() -> None:
    code, _, err = run("compare", "--fail-if", "tco_usd < 1e19", "-f", "json")
    assert code == 1 and "matched" in err
    code, _, _ = run("compare", "--fail-if", "tco_usd > " + "9" * 40, "-f", "json")
    assert code == 0


@pytest.mark.parametrize("columns", ["-5", "0", "abc", ""])
def test_a_hostile_columns_value_still_prints_the_table(columns: str) -> None:
    code, out, err = run("compare", env={"COLUMNS": columns})
    assert code == 0 and "own rtx-3090" in out, err


def test_control_characters_in_profile_text_never_reach_the_terminal(tmp_path: Path) -> None:
    (tmp_path / "evil.yaml").write_text('apis:\n  - id: evil/model\n    name: "\\e[2J\\e]0;owned\\a"\n    provider: evil\n'
                                        "    input_usd_per_mtok: 1\n    output_usd_per_mtok: 2\n    as_of: 2026-11-01\n")
    code, out, err = run("profiles", "list", "apis", "--profiles", str(tmp_path), "-f", "csv")
    assert_one_line(code, err, "control character")
    assert "\x1b" not in out + err


# ------------------------------------------------------------------------------------------- user files harmed


def test_output_through_a_symlink_keeps_the_symlink(tmp_path: Path) -> None:
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    code, _, err = run("compare", "-o", str(link))
    assert code == 0, err
    assert link.is_symlink() and target.read_text().startswith("option,") and stat.S_IMODE(target.stat().st_mode) == 0o640


def test_output_into_a_fifo_keeps_the_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    code, _, err = run("compare", "-f", "csv", "-o", str(fifo))
    got = reader.communicate(timeout=60)[0].decode()
    assert code == 0 and got.startswith("option,kind,") and stat.S_ISFIFO(fifo.lstat().st_mode), err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_output_to_dev_full_keeps_the_device() -> None:
    code, _, err = run("compare", "-f", "csv", "-o", "/dev/full")
    assert_one_line(code, err, "/dev/full")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_output_over_an_input_is_refused(tmp_path: Path) -> None:
    scenario = tmp_path / "scen.yaml"
    scenario.write_text("name: mine\nworkload: {requests_per_day: 100, input_tokens: 100, output_tokens: 50}\n"
                        "serving: {model: llama-3.1-8b, quantization: awq-int4, engine: vllm}\n"
                        "options: {gpus: [rtx-3090], apis: [openai/gpt-4o-mini]}\n")
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  workload.requests_per_day: [500, 3000]\n")
    prices = tmp_path / "p.json"
    prices.write_text((FIXTURES / "prices" / "litellm.json").read_text())
    for argv, victim in [(("sweep", str(grid), "-o", str(grid)), grid), (("compare", "-s", str(scenario), "-o", str(scenario)), scenario),
                         (("profiles", "import-prices", "--from", "litellm", str(prices), "-o", str(prices)), prices)]:
        before = victim.read_bytes()
        code, _, err = run(*argv)
        assert_one_line(code, err, "is also an input of this run")
        assert victim.read_bytes() == before



# ------------------------------------------------------------------------------------------- limits up front


def test_count_is_arithmetic_for_two_million_step_token_axes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  workload.input_tokens: {start: 1, stop: 1e6, num: 1e6}\n"
                    "  workload.output_tokens: {start: 1, stop: 1e6, num: 1e6}\n  serving.quantization: [awq-int4, fp16]\n"
                    "  options.gpus: [rtx-3090, 'rtx-4090,rtx-5090']\n")
    resolved = []
    real = scenarios.resolve
    monkeypatch.setattr(scenarios, "resolve", lambda *a, **k: resolved.append(1) or real(*a, **k))
    code, out, err = run("sweep", str(grid), "--count")
    one = int(run("compare", "-f", "json", "--set", "options.gpus=rtx-3090")[1].count('"option"'))
    two = int(run("compare", "-f", "json", "--set", "options.gpus=rtx-4090,rtx-5090")[1].count('"option"'))
    assert code == 0 and int(out) == 10**12 * 2 * (one + two), err
    assert len(resolved) < 20  # each structural value once, each options.gpus value once: never per combination


def test_count_agrees_with_the_rows_written(tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  workload.requests_per_day: [100, 1000, 1e4]\n  serving.quantization: [awq-int4, fp16]\n"
                    "  options.gpus: [rtx-3090, 'rtx-4090,rtx-5090']\n  serving.model: [llama-3.1-8b, qwen2.5-7b]\n"
                    "zip:\n  - [serving.model, options.gpus]\n")
    code, out, err = run("sweep", str(grid), "--count")
    assert code == 0, err
    code, rows, err = run("sweep", str(grid), "-f", "csv")
    assert code == 0 and int(out) == len(list(csv.DictReader(io.StringIO(rows)))), err


def test_a_sweep_above_the_row_limit_is_refused_with_the_number_and_how_to_raise_it(tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  workload.requests_per_day: {start: 1, stop: 1e6, num: 1000}\n")
    total = int(run("sweep", str(grid), "--count")[1])
    code, out, err = run("sweep", str(grid), "--max-rows", str(total - 1))
    assert_one_line(code, err, f"{total:,} rows", f"--max-rows {total}")
    assert out == ""
    code, out, _ = run("sweep", str(grid), "--max-rows", str(total), "-f", "jsonl")
    assert code == 0 and len(out.splitlines()) == total
    assert sweeps.MAX_ROWS == 100_000_000  # the limit docs/reliability.md states


@pytest.mark.parametrize("command", ["compare", "breakeven"])
def test_a_monte_carlo_above_the_memory_limit_is_refused_with_its_estimate(command: str) -> None:
    code, _, err = run(command, "--samples", "10000000")
    assert_one_line(code, err, "--samples 10,000,000", "GiB of memory", "--max-memory-gib")
    most = int(errors(err)[0].split("use --samples ")[1].split(" ")[0].replace(",", ""))
    code, _, err = run(command, "--samples", str(most + 1), "--max-memory-gib", "4")
    assert_one_line(code, err, "--samples")
    code, _, err = run(command, "--samples", "200", "--max-memory-gib", "0.01", "-f", "json")
    assert code == 0, err


def test_the_same_id_twice_in_one_profiles_directory_is_an_error_naming_both(tmp_path: Path) -> None:
    entry = ("gpus:\n  - id: twin\n    name: Twin\n    vendor: nvidia\n    class: consumer\n    memory_gib: 24\n"
             "    memory_bandwidth_gb_per_s: 1000\n    tflops_bf16: 100\n    tflops_fp16_acc16: 200\n    power_w: 400\n"
             "    idle_power_w: 20\n    price_usd: 1000\n    price_as_of: 2025-01-01\n    interconnect: pcie\n"
             "    link_bandwidth_gb_per_s: 64\n    sources: {default: test}\n")
    (tmp_path / "a.yaml").write_text(entry)
    (tmp_path / "b.yaml").write_text(entry)
    code, out, err = run("profiles", "validate", str(tmp_path))
    assert code == 2 and "a.yaml" in err and "b.yaml" in err, err
    code, _, err = run("compare", "--profiles", str(tmp_path))
    assert_one_line(code, err, "a.yaml", "b.yaml")


def test_every_json_number_of_the_examples_above_is_finite_and_not_negative() -> None:
    """The fixed examples with valid values still print sane numbers (the fuzz campaign checks every output)."""
    code, out, _ = run("compare", "--set", "assumptions.resale_fraction=1", "--set", "assumptions.electricity_usd_per_kwh=0",
                       "-f", "json")
    rows = json.loads(out)
    assert code == 0 and all(r["tco_usd"] >= 0 for r in rows if isinstance(r["tco_usd"], (int, float)))


# ------------------------------------------------------------------------------------------- found by the campaign (tests/fuzzcli/)


@pytest.mark.parametrize("argv", [
    ("compare", "-s", "x" * 5000), ("compare", "--profiles", "x" * 5000), ("sweep", "x" * 5000), ("profiles", "validate", "x" * 5000),
    ("profiles", "import-prices", "--from", "litellm", "x" * 5000),
], ids=lambda a: a[0] + " " + a[1])
def test_a_path_longer_than_the_system_allows_is_one_line(argv: tuple[str, ...]) -> None:
    code, _, err = run(*argv)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def test_a_name_too_long_in_llmcost_profiles_is_one_line() -> None:
    code, _, err = run("compare", env={"LLMCOST_PROFILES": "x" * 5000})
    assert_one_line(code, err, "profiles path")


def test_digits_of_other_scripts_are_no_number() -> None:
    code, _, err = run("pretrain", "-m", "llama-7b", "--gpus", "\u0661\u0662")
    assert_one_line(code, err, "--gpus", "is not a number")


@pytest.mark.parametrize("argv", [
    ("sensitivity", "-g", "2xa100-80gb", "--set", "assumptions.serve_output_tokens=81911868", "--metric", "payback_months",
     "-f", "csv"),
    ("profiles", "list", "calibrations", "-f", "csv"),
    ("sweep", "GRID", "--samples", "2", "--where", "payback_months == 0.5", "-f", "csv"),
    ("sweep", "GRID", "--where", "payback_months == 0.5", "-f", "csv"),
], ids=lambda a: " ".join(a[:3]))
def test_a_csv_without_rows_still_has_its_header(argv: tuple[str, ...], tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  workload.requests_per_day: [100, 1000]\n")
    code, out, err = run(*(str(grid) if a == "GRID" else a for a in argv))
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and len(rows) == 1 and len(rows[0]) > 2, (out, err)


@pytest.mark.slow
def test_the_monte_carlo_memory_estimate_is_an_upper_bound() -> None:
    """BYTES_PER_SAMPLE_ROW bounds the memory NumPy takes (tracemalloc) for every built-in scenario."""
    import tracemalloc

    from llmcost import api, options
    from llmcost.uncertainty.montecarlo import BYTES_PER_SAMPLE_ROW

    cat = api.load_catalog()
    samples = 4000
    for sid in cat.entries["scenarios"]:
        sc = api.scenario(sid, catalog=cat)
        rows = samples * (len(options.build(cat, sc)) + 1)
        tracemalloc.start()
        try:
            api.compare(sc, samples=samples, catalog=cat)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < rows * BYTES_PER_SAMPLE_ROW, (sid, peak / rows)


def test_docs_state_the_bounds_of_every_option_and_the_limits() -> None:
    from llmcost import uncertainty
    from llmcost.schema.quantities import OPTIONS

    text = (Path(__file__).parent.parent / "docs" / "reliability.md").read_text()
    for key, b in OPTIONS.items():
        assert f"| `{key}` | {'integer' if b.integer else 'number'} {b.in_words(show_cap=True)} | {b.unit} |" in text, key
    assert f"{sweeps.MAX_ROWS:,} (`sweeps.MAX_ROWS`)" in text and f"{uncertainty.MAX_MEMORY_GIB:g} GiB (`uncertainty.MAX_MEMORY_GIB`)" in text


def test_a_key_below_a_value_says_so() -> None:
    code, _, err = run("compare", "--set", "workload.requests_per_day.x=1")
    assert_one_line(code, err, "workload.requests_per_day is a value, not a section")


def test_an_error_line_quoting_a_huge_value_stays_short_and_keeps_its_end() -> None:
    code, _, err = run("compare", "--set", "workload.requests_per_day=" + "9" * 100_000)
    assert_one_line(code, err, "is too large (at most 1e+18)")
    assert len(err) < 1100



def test_the_python_api_refuses_a_sweep_above_its_row_limit_too(tmp_path: Path) -> None:
    import llmcost
    from llmcost.errors import LlmcostError

    grid = tmp_path / "grid.yaml"
    grid.write_text(FOUR_AXES)
    with pytest.raises(LlmcostError, match="--max-rows"):
        next(iter(llmcost.sweep(grid)))
    small = tmp_path / "small.yaml"
    small.write_text("base: team-assistant\ngrid:\n  workload.requests_per_day: [100, 1000]\n")
    rows = sum(len(t) for t in llmcost.sweep(small))
    with pytest.raises(LlmcostError, match=f"--max-rows {rows}"):
        next(iter(llmcost.sweep(small, max_rows=rows - 1)))


@pytest.mark.parametrize("argv", [("-g", "rtx-4090"), ("--set", "options.apis=openai/gpt-4o-mini"), ("-m", "llama-7b")], ids=" ".join)
def test_an_override_into_a_section_that_is_a_value_names_the_files_mistake(argv: tuple[str, ...], tmp_path: Path) -> None:
    scenario = tmp_path / "scen.yaml"
    scenario.write_text("name: x\nworkload: {requests_per_day: 100, input_tokens: 100, output_tokens: 50}\n"
                        "serving: 5\noptions: '2025-02-30'\n")
    code, _, err = run("compare", "-s", str(scenario), *argv)
    assert_one_line(code, err, "scen.yaml:1: scenario.", "expected a mapping")


def test_a_one_column_sweep_keeps_its_empty_cells_as_rows(tmp_path: Path) -> None:
    """An empty cell alone on its line is a blank line, which CSV readers skip: it is quoted, as csv.writer does."""
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  workload.requests_per_day: [100, 1000]\n")
    total = int(run("sweep", str(grid), "--count")[1])
    code, out, err = run("sweep", str(grid), "--columns", "notes", "-f", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows[0] == ["notes"] and len(rows) == total + 1 and [""] in rows[1:], err
