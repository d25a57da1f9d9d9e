"""Where output goes: -o files (format, modes, symlinks, FIFOs, devices, inputs, signals) and stdout faults.

The stdout faults (a closed pipe, a full disk) and the signals run the real `llmcost` in a subprocess,
as a shell pipeline would; the rest goes through render.output_stream or the in-process entry point.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from llmcost import render
from llmcost.errors import LlmcostError

ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
ENV.pop("LLMCOST_PROFILES", None)



def not_warnings(err: str) -> int:
    """Lines of stderr that are not `llmcost: warning:` lines (price-age warnings are beside the point here)."""
    return sum(1 for ln in err.splitlines() if not ln.startswith("llmcost: warning:"))

def llmcost(*argv: str, **kwargs) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "llmcost", *argv], env=ENV, timeout=300, **kwargs)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def write(path: str | Path, text: str = "new\n", inputs: tuple[str | Path, ...] = ()) -> None:
    with render.output_stream(str(path), inputs) as out:
        out.write(text)


# ------------------------------------------------------------------------------------------- format


@pytest.mark.parametrize(("name", "check"), [
    ("out.csv", lambda t: t.startswith("option,kind,")),
    ("out.json", lambda t: isinstance(json.loads(t), list)),
    ("out.jsonl", lambda t: all(json.loads(line)["option"] for line in t.splitlines())),
    ("out.md", lambda t: t.startswith("**") and "| option | kind |" in t),
    ("OUT.CSV", lambda t: t.startswith("option,")),
    ("out.txt", lambda t: "┏" in t),
])
def test_the_format_follows_the_extension(name: str, check, cli, tmp_path: Path) -> None:
    code, out, err = cli("compare", "-o", str(tmp_path / name))
    assert code == 0 and out == "", err
    assert check((tmp_path / name).read_text())


def test_an_explicit_format_wins_over_the_extension(cli, tmp_path: Path) -> None:
    code, _, _ = cli("compare", "-f", "json", "-o", str(tmp_path / "out.csv"))
    assert code == 0 and json.loads((tmp_path / "out.csv").read_text())


@pytest.mark.parametrize("argv", [("compare",), ("breakeven",), ("serve", "-m", "llama-3.1-8b"), ("profiles", "list", "gpus")])
@pytest.mark.parametrize("name", ["out.csv", "out.json", "out.jsonl", "out.md"])
def test_a_table_into_a_data_file_is_refused_before_any_work(argv: tuple[str, ...], name: str, cli, tmp_path: Path) -> None:
    code, out, err = cli(*argv, "-f", "table", "-o", str(tmp_path / name))
    assert code == 2 and out == "" and not_warnings(err) == 1 and "--format is table" in err
    assert list(tmp_path.iterdir()) == []


def test_a_bad_format_is_refused_before_any_work(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("llmcost.comparison.compare", lambda *a, **k: pytest.fail("computed before checking --format"))
    code, _, err = cli("compare", "-f", "xml")
    assert code == 2 and "--format 'xml'" in err


def test_sweep_takes_its_format_from_the_extension_too(cli, tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  workload.requests_per_day: [500, 3000]\n")
    code, _, err = cli("sweep", str(grid), "-o", str(tmp_path / "rows.jsonl"))
    assert code == 0, err
    assert [json.loads(line)["workload.requests_per_day"] for line in (tmp_path / "rows.jsonl").read_text().splitlines()][:1] == [500]
    code, _, err = cli("sweep", str(grid), "-o", str(tmp_path / "rows.md"))
    assert code == 2 and "markdown is not one of the formats here (csv, jsonl, json)" in err


# ------------------------------------------------------------------------------------------- modes


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_honours_the_umask(mask: int, mode: int, tmp_path: Path) -> None:
    with umask(mask):
        write(tmp_path / "new.csv")
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == mode


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600, 0o444])
def test_an_existing_file_keeps_its_mode(mode: int, tmp_path: Path) -> None:
    target = tmp_path / "old.csv"
    target.write_text("old\n")
    target.chmod(mode)
    with umask(0o077):
        write(target)
    assert target.read_text() == "new\n" and stat.S_IMODE(target.stat().st_mode) == mode


# ------------------------------------------------------------------------------------------- symlinks, FIFOs, devices


def test_a_symlink_is_written_through_to_its_target_keeping_its_mode(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "results.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    chain = tmp_path / "chain.csv"
    chain.symlink_to(link)
    write(chain)
    assert chain.is_symlink() and link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new\n" and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == leftovers(tmp_path / "real") == []


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "later.csv")
    write(link)
    assert link.is_symlink() and (tmp_path / "later.csv").read_text() == "new\n"


def test_a_failed_run_through_a_symlink_leaves_the_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "results.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    with pytest.raises(RuntimeError), render.output_stream(str(link)) as out:
        out.write("half")
        raise RuntimeError("engine bug")
    assert link.is_symlink() and target.read_text() == "old\n" and leftovers(tmp_path) == []


def test_a_fifo_is_written_into_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    write(fifo, "through the pipe\n")
    reader.join(timeout=30)
    assert got == ["through the pipe\n"] and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_dev_full_is_one_line_and_stays_a_device() -> None:
    before = os.lstat("/dev/full")
    with pytest.raises(LlmcostError, match=r"^--output '/dev/full': cannot write there \(No space left on device\)$"):
        write("/dev/full", "x" * 100_000)
    after = os.lstat("/dev/full")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_dev_null_is_written_and_stays_a_device() -> None:
    write(os.devnull, "gone\n")
    assert stat.S_ISCHR(os.lstat(os.devnull).st_mode)


def test_a_symlink_to_a_device_writes_into_the_device(tmp_path: Path) -> None:
    link = tmp_path / "null.csv"
    link.symlink_to(os.devnull)
    write(link)
    assert link.is_symlink() and stat.S_ISCHR(os.lstat(os.devnull).st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_compare_into_dev_full_is_exit_2_with_one_line(cli) -> None:
    code, out, err = cli("compare", "-f", "csv", "-o", "/dev/full")
    errors = [ln for ln in err.splitlines() if not ln.startswith("llmcost: warning:")]
    assert code == 2 and errors == ["llmcost: error: --output '/dev/full': cannot write there (No space left on device)"]
    assert stat.S_ISCHR(os.lstat("/dev/full").st_mode)


# ------------------------------------------------------------------------------------------- names, inputs


def test_a_300_character_file_name_is_one_line(tmp_path: Path, cli) -> None:
    name = str(tmp_path / ("x" * 300 + ".csv"))
    with pytest.raises(LlmcostError, match="longer than the file system allows"):
        write(name)
    code, out, err = cli("compare", "-o", name)
    errors = [ln for ln in err.splitlines() if not ln.startswith("llmcost: warning:")]
    assert code == 2 and out == "" and len(errors) == 1 and len(errors[0]) < 200
    deep = str(tmp_path / "/".join(["d" * 200] * 30) / "x.csv")
    code, _, err = cli("compare", "-o", deep)
    assert code == 2 and not_warnings(err) == 1


def test_output_over_an_input_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "scenario.yaml"
    source.write_text("input\n")
    (tmp_path / "hard.yaml").hardlink_to(source)
    (tmp_path / "soft.yaml").symlink_to(source)
    profiles = tmp_path / "profiles"
    (profiles / "sub").mkdir(parents=True)
    for path in (source, tmp_path / "hard.yaml", tmp_path / "soft.yaml", tmp_path / "." / "scenario.yaml"):
        with pytest.raises(LlmcostError, match="is also an input of this run"):
            write(path, inputs=(str(source),))
    with pytest.raises(LlmcostError, match="is also an input of this run"):
        write(profiles / "sub" / "gpus.yaml", inputs=(profiles,))
    write(profiles / "notes.csv", inputs=(profiles,))  # not a profile file: allowed
    write(tmp_path / "team-assistant", inputs=("team-assistant",))  # a built-in id is not a file here
    assert source.read_text() == "input\n"


def test_commands_refuse_to_overwrite_their_inputs(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "scen.yaml"
    scenario.write_text("name: mine\nworkload: {requests_per_day: 100, input_tokens: 100, output_tokens: 50}\n"
                        "serving: {model: llama-3.1-8b, quantization: awq-int4, engine: vllm}\n"
                        "options: {gpus: [rtx-3090], apis: [openai/gpt-4o-mini]}\n")
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  workload.requests_per_day: [500, 3000]\n")
    prices = tmp_path / "p.json"
    prices.write_text((Path(__file__).parent / "fixtures" / "prices" / "litellm.json").read_text())
    profiles = tmp_path / "mine"
    profiles.mkdir()
    (profiles / "gpus.yaml").write_text("gpus: []\n")
    for argv, victim in [(("compare", "-s", "scen.yaml", "-f", "csv", "-o", "scen.yaml"), scenario),
                         (("breakeven", "-s", str(scenario), "-f", "csv", "-o", str(scenario)), scenario),
                         (("sensitivity", "-s", "scen.yaml", "-f", "csv", "-o", "./scen.yaml"), scenario),
                         (("sweep", "grid.yaml", "-o", "grid.yaml"), grid),
                         (("profiles", "import-prices", "--from", "litellm", "p.json", "-o", "p.json"), prices),
                         (("profiles", "list", "gpus", "--profiles", "mine", "-f", "csv", "-o", "mine/gpus.yaml"), profiles / "gpus.yaml"),
                         (("serve", "-m", "llama-3.1-8b", "--profiles", "mine", "-f", "csv", "-o", "mine/new.yaml"), None)]:
        before = victim.read_text() if victim else None
        code, out, err = cli(*argv)
        errors = [ln for ln in err.splitlines() if ln.startswith("llmcost: error")]
        assert code == 2 and len(errors) == 1 and "is also an input of this run" in errors[0], (argv, err)
        assert victim is None or victim.read_text() == before


# ------------------------------------------------------------------------------------------- signals


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_writing_removes_the_partial_file(signum: int, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("previous\n")
    with pytest.raises(render.Terminated) as e, render.output_stream(str(target)) as out:
        out.write("half a file")
        os.kill(os.getpid(), signum)
        time.sleep(5)
        pytest.fail("the signal did not stop the write")
    assert e.value.exit_code == 128 + signum
    assert target.read_text() == "previous\n" and leftovers(tmp_path) == []
    assert signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler, signal.SIG_IGN) or callable(signal.getsignal(signum))


def test_the_handlers_are_restored_after_the_write(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)
    write(tmp_path / "x.csv")
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP)) == before


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_mid_sweep_leaves_no_partial_file(signum: int, tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("base: team-assistant\ngrid:\n  workload.requests_per_day: {start: 100, stop: 1e6, num: 400000}\n"
                    "  economics.horizon_months: [12, 24, 36]\n")
    target = tmp_path / "rows.jsonl"
    target.write_text("previous\n")
    proc = subprocess.Popen([sys.executable, "-m", "llmcost", "sweep", str(grid), "-o", str(target)], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not any(p.stat().st_size > 100_000 for p in tmp_path.glob(".*.part")):
        assert proc.poll() is None and time.monotonic() < deadline, "the sweep ended before it was stopped"
        time.sleep(0.02)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum
    assert err.decode().endswith(f"llmcost: stopped by {signal.Signals(signum).name}; no partial output file was left\n")
    assert not_warnings(err.decode()) == 1 and out == b""
    assert target.read_text() == "previous\n" and sorted(p.name for p in tmp_path.iterdir()) == ["grid.yaml", "rows.jsonl"]
    assert target.read_text() == "previous\n" and leftovers(tmp_path) == []


# ------------------------------------------------------------------------------------------- stdout faults

SMALL_GRID = "base: team-assistant\ngrid:\n  workload.requests_per_day: [500, 3000]\n"
STDOUT_COMMANDS = [
    ("compare", "-f", "csv"), ("compare",), ("breakeven", "-f", "csv"), ("serve", "-m", "llama-3.1-8b", "-f", "json"),
    ("finetune", "-m", "llama-3.1-8b", "-f", "csv"), ("pretrain", "-m", "llama-7b", "-f", "markdown"),
    ("sensitivity", "--metric", "tco_usd", "-f", "csv"), ("profiles", "list", "gpus"), ("profiles", "show", "rtx-4090"), ("profiles", "schema", "gpus"),
    ("sweep", "GRID"), ("--help",), ("compare", "--help"), ("--version",),
]


def argv_with_grid(argv: tuple[str, ...], tmp_path: Path) -> list[str]:
    grid = tmp_path / "grid.yaml"
    grid.write_text(SMALL_GRID)
    return [str(grid) if a == "GRID" else a for a in argv]


@pytest.mark.slow
@pytest.mark.parametrize("argv", STDOUT_COMMANDS, ids=" ".join)
def test_a_closed_pipe_ends_quietly_with_0(argv: tuple[str, ...], tmp_path: Path) -> None:
    read, write_end = os.pipe()
    os.close(read)  # the reader is gone before the first byte, as with `| head -c0`
    try:
        p = llmcost(*argv_with_grid(argv, tmp_path), stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    lines = [ln for ln in p.stderr.decode().splitlines() if not ln.startswith(("At ", "payback_months of", "llmcost: note", "llmcost: warning"))]
    assert p.returncode == 0 and lines == [], p.stderr.decode()


@pytest.mark.slow
def test_head_c1_on_a_pipe_is_exit_0(tmp_path: Path) -> None:
    for _ in range(5):  # the reader leaves at a different moment each time
        p = subprocess.run(f"{sys.executable} -m llmcost compare -f csv | head -c1 >/dev/null; echo ${{PIPESTATUS[0]}}",
                           shell=True, executable="/bin/bash", env=ENV, capture_output=True, text=True, timeout=300)
        assert p.stdout == "0\n" and "Traceback" not in p.stderr and "Exception" not in p.stderr, p.stderr


@pytest.mark.slow
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("argv", STDOUT_COMMANDS, ids=" ".join)
def test_a_full_disk_on_stdout_is_one_line_and_2(argv: tuple[str, ...], tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        p = llmcost(*argv_with_grid(argv, tmp_path), stdout=full, stderr=subprocess.PIPE)
    lines = [ln for ln in p.stderr.decode().splitlines() if not ln.startswith(("At ", "payback_months of", "llmcost: note", "llmcost: warning"))]
    assert p.returncode == 2 and lines == ["llmcost: error: cannot write the output: No space left on device"], p.stderr.decode()


@pytest.mark.parametrize("argv", [
    ("compare", "--set", "workload.monthly_growth=1", "--set", "economics.horizon_months=1200", "-f", "csv"),
    ("serve", "-m", "llama-3.1-70b", "-g", "4xrtx-3090", "--set", "assumptions.link_efficiency_pcie_host=0", "-f", "csv"),
    ("finetune", "-m", "llama-3.1-70b", "-g", "4xrtx-3090", "--set", "assumptions.link_efficiency_pcie_host=0", "-f", "csv"),
])
@pytest.mark.slow
def test_numpy_warnings_never_reach_stderr(argv: tuple[str, ...]) -> None:
    p = llmcost(*argv, capture_output=True, text=True)
    assert "Warning" not in p.stderr and "Traceback" not in p.stderr and p.returncode in (0, 2), p.stderr
    assert p.returncode == 0 or not_warnings(p.stderr) == 1


def test_errors_quoting_user_text_never_carry_control_characters(cli) -> None:
    for argv in (("compare", "--model", "\x1b[31mx\ny"), ("compare", "--bogus\x1b]0;t\x07"), ("profiles", "show", "\x1b[2J")):
        code, out, err = cli(*argv)
        assert code == 2 and out == "" and not_warnings(err) == 1 and "\x1b" not in err and "\x07" not in err, err


def test_a_name_at_the_limit_still_gets_a_temporary_file(tmp_path: Path) -> None:
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    for name in ("é" * (limit // 2 - 3) + ".csv", "x" * (limit - 4) + ".csv"):
        write(tmp_path / name)
        assert (tmp_path / name).read_text() == "new\n" and leftovers(tmp_path) == []
