"""Fuzzing the profile loader and the CLI with malformed profile files.

Each example starts from one valid entry of every kind (conftest.VALID_PROFILES) and applies up to
four structural mutations (a value replaced by a wrong type, an extreme or non-finite number, unicode
or a very long string, a deep structure; a key removed or added; an entry or a kind replaced; an id
duplicated; a reference bent), then the YAML text is dumped and optionally damaged as text (random
characters inserted, a slice cut, a line repeated, deep brackets, a truncation) and as bytes (random
bytes, Latin-1). What must hold: `catalog.load` succeeds or raises ProfileError whose every problem is
one printable line `FILE:LINE: ...` with LINE inside the file; the CLI exits 0 or 2 with no traceback.

Inputs generated per run: 1,200 against the loader alone, 60 against the loader with the built-ins,
100 through the CLI (1,360 in all; `test_fuzz_summary` prints the tally, with -s). About 40 s on 2 cores.

What this fuzzing found (each fixed): a YAML syntax error at the end of a file whose last line has no
newline was reported one line past the end of the file (libyaml's end-of-stream mark); a key made only
of blanks (from a quoted NEL) was shown as an empty key path. Found while writing the probes whose values
seed it (and caught by it if they came back): an integer too large for a float crashed `check_number`
with OverflowError; a key holding a newline or an escape sequence split a problem over two lines (or sent
escape codes to the terminal); an id or date ending in a newline passed its pattern; a file nested
~30,000 levels deep crashed the interpreter in libyaml's C composer (tests/test_yaml_hostile.py).
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import VALID_PROFILES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmcost import catalog
from llmcost.errors import ProfileError

UTF8 = st.characters(codec="utf-8")
"""Text a UTF-8 file can hold (no lone surrogates)."""

N_LOAD, N_LOAD_BUILTIN, N_CLI = 1200, 60, 100
TALLY: Counter[str] = Counter()

FUZZ = settings(deadline=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])

DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
KINDS = [k for k in VALID_PROFILES if k != "assumptions"]

# ------------------------------------------------------------------------------------------ values

extreme_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10 ** 30), max_value=10 ** 30),
    st.sampled_from([0, -0.0, -1, 1e-320, 1e308, -1e308, 2 ** 63, 10 ** 400, -(10 ** 400), 5e-324, 0.5, 1.5]),
)
strings = st.one_of(
    st.text(alphabet=UTF8, max_size=30),
    st.text(alphabet=st.characters(min_codepoint=0x80, codec="utf-8"), max_size=10),
    st.sampled_from(["1,008", "24 GB", "$1,599", ".nan", "yes", "no", "~", "null", "2024-02-30", "2024-1-1",
                     "rtx-409", "RTX-4090", "=1+2", "-", "*bpw", "4.0bpw", "id\n", "\x1b[2J", "\u202e", "\ufeff", ""]),
    st.sampled_from(["x" * 10_001, "\u00e9" * 20_000]),
)
scalars = st.one_of(extreme_numbers, strings, st.booleans(), st.none())
nested = st.recursive(scalars,
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet=UTF8, max_size=8), inner, max_size=3),
                      max_leaves=8)
deep = st.integers(min_value=30, max_value=60).map(lambda n: _nest(n))
values = st.one_of(scalars, scalars, nested, deep)
keys = st.one_of(st.text(alphabet=UTF8, max_size=20), st.sampled_from(["id", "colour", "tflops_fp9", "sources", "<<", "class", " id", "Id"]),
                 st.integers())


def _nest(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


# --------------------------------------------------------------------------------------- mutations

@st.composite
def mutated_doc(draw: st.DrawFn) -> dict[Any, Any]:
    doc: dict[Any, Any] = copy.deepcopy(VALID_PROFILES)
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        op = draw(st.sampled_from(["set", "set", "set", "set_valid", "set_valid", "delete", "add_key", "dup_entry",
                                   "entry", "body", "kind", "ref", "assumption", "drop_kind"]))
        kinds = [k for k in KINDS if isinstance(doc.get(k), list) and doc[k] and isinstance(doc[k][0], dict)]
        if not kinds:
            break
        kind = draw(st.sampled_from(kinds))
        entry = doc[kind][0]
        if op == "set" and entry:
            entry[draw(st.sampled_from(list(entry)))] = draw(values)
        elif op == "set_valid":  # keeps some examples loadable, with numbers hypothesis picks
            numeric = [k for k, v in entry.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
            if numeric:
                entry[draw(st.sampled_from(numeric))] = draw(st.floats(min_value=0.001, max_value=1.0) | st.integers(1, 10**6))
        elif op == "delete" and entry:
            del entry[draw(st.sampled_from(list(entry)))]
        elif op == "add_key":
            entry[draw(keys)] = draw(values)
        elif op == "dup_entry":
            doc[kind].append(dict(entry))
        elif op == "entry":
            doc[kind].append(draw(values))
        elif op == "body":
            doc[kind] = draw(values)
        elif op == "kind":
            doc[draw(keys)] = draw(values)
        elif op == "ref":
            target = {"apis": "serves_model", "rentals": "gpu", "engines": "quantizations", "models": "base_model"}
            if kind in target:
                entry[target[kind]] = draw(st.sampled_from(["test-gpu", "test-model", "test-q", "rtx-4090",
                                                            "llama-7b", "q4_k_m", "4.5bpw", "nope", "test-mode"]))
        elif op == "assumption":
            name = draw(st.sampled_from(["pue", "electricity_usd_per_kwh", "electricity_usd_per_kwhh", "mfu"]))
            doc["assumptions"] = doc.get("assumptions") if isinstance(doc.get("assumptions"), dict) else {}
            doc["assumptions"][name] = draw(st.one_of(values, st.fixed_dictionaries(
                {"value": extreme_numbers, "rationale": strings, "source": strings})))
        elif op == "drop_kind":
            del doc[kind]
    return doc


def dump(doc: Any) -> str:
    try:
        return yaml.dump(doc, Dumper=DUMPER, allow_unicode=True, sort_keys=False, width=200)
    except (yaml.YAMLError, RecursionError, ValueError) as e:  # only what PyYAML cannot write; rare
        pytest.fail(f"could not dump a generated document: {e}")


@st.composite
def damaged_text(draw: st.DrawFn, text: str) -> str:
    how = draw(st.sampled_from(["none", "none", "none", "insert", "cut", "repeat-line", "brackets", "truncate", "indent"]))
    if how == "none" or not text:
        return text
    at = draw(st.integers(min_value=0, max_value=len(text)))
    if how == "insert":
        return text[:at] + draw(st.text(alphabet=UTF8, min_size=1, max_size=8)) + text[at:]
    if how == "cut":
        return text[:at] + text[at + draw(st.integers(min_value=1, max_value=40)):]
    if how == "truncate":
        return text[:at]
    lines = text.splitlines(keepends=True)
    i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
    if how == "repeat-line":  # most often a duplicate key
        return "".join(lines[:i + 1] + lines[i:])
    if how == "indent":
        return "".join(lines[:i] + [" " * draw(st.integers(1, 5)) + lines[i]] + lines[i + 1:])
    n = draw(st.integers(min_value=35, max_value=2000))
    return "".join(lines[:i]) + "x: " + "[" * n + "]" * draw(st.sampled_from([n, n - 1])) + "\n" + "".join(lines[i:])


@st.composite
def profile_files(draw: st.DrawFn) -> bytes:
    text = draw(damaged_text(dump(draw(mutated_doc()))))
    data = text.encode("utf-8", errors="surrogatepass")
    how = draw(st.sampled_from(["utf-8"] * 8 + ["bytes", "latin-1"]))
    if how == "bytes":
        at = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
    elif how == "latin-1":
        data = text.encode("latin-1", errors="replace")
    TALLY[how] += 1
    return data


# ------------------------------------------------------------------------------------------ checks

def check_problems(problems: list[str], path: Path, data: bytes) -> None:
    lines_in_file = max(1, data.count(b"\n") + 1)
    head = re.compile(rf"{re.escape(str(path))}:(\d+): \S")
    assert problems
    for problem in problems:
        found = head.match(problem)
        assert found, problem
        assert 1 <= int(found.group(1)) <= lines_in_file, problem
        assert problem.isprintable(), problem  # one line, no escape codes


def load_and_check(path: Path, data: bytes, builtin: bool) -> str:
    path.write_bytes(data)
    try:
        catalog.load([path], builtin=builtin)
    except ProfileError as e:
        check_problems(e.problems, path, data)
        return "rejected"
    return "loaded"


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.slow
@settings(FUZZ, max_examples=N_LOAD)
@given(data=profile_files())
def test_loader_accepts_or_rejects_with_file_and_line(fuzz_dir: Path, data: bytes) -> None:
    TALLY["load:" + load_and_check(fuzz_dir / "fuzz.yaml", data, builtin=False)] += 1


@pytest.mark.slow
@settings(FUZZ, max_examples=N_LOAD_BUILTIN)
@given(data=profile_files())
def test_loader_with_builtins_accepts_or_rejects_with_file_and_line(fuzz_dir: Path, data: bytes) -> None:
    TALLY["load+builtin:" + load_and_check(fuzz_dir / "fuzz-builtin.yaml", data, builtin=True)] += 1


@settings(FUZZ, max_examples=N_CLI, suppress_health_check=[*FUZZ.suppress_health_check, HealthCheck.function_scoped_fixture])
@given(data=profile_files(), command=st.sampled_from([
    ("profiles", "validate", "{path}"),
    ("profiles", "list", "--profiles", "{path}"),
    ("profiles", "list", "gpus", "-f", "csv", "--profiles", "{path}"),
    ("profiles", "show", "test-gpu", "-f", "json", "--profiles", "{path}"),
]))
@pytest.mark.slow
def test_cli_exits_0_or_2_without_traceback(fuzz_dir: Path, capsys: pytest.CaptureFixture[str], data: bytes,
                                            command: tuple[str, ...]) -> None:
    from llmcost.cli.app import main

    path = fuzz_dir / "cli.yaml"
    path.write_bytes(data)
    capsys.readouterr()
    rc = main([arg.format(path=path) for arg in command])
    _, err = capsys.readouterr()
    assert rc in (0, 2), err
    assert "Traceback" not in err
    if rc == 2:
        lines = err.splitlines()
        assert lines and all(line.isprintable() for line in lines)
        if command[1] != "validate":  # one error line, after any warnings about implausible values
            errors = [line for line in lines if not line.startswith("llmcost: warning: ")]
            assert len(errors) == 1 and errors[0].startswith("llmcost: error: ")
    TALLY[f"cli:rc={rc}"] += 1


def test_the_unmutated_profiles_load(fuzz_dir: Path) -> None:
    assert load_and_check(fuzz_dir / "plain.yaml", dump(VALID_PROFILES).encode(), builtin=True) == "loaded"


def test_extreme_but_valid_numbers_load(fuzz_dir: Path) -> None:
    doc = copy.deepcopy(VALID_PROFILES)
    doc["gpus"][0].update(memory_gib=5e-324, price_usd=1e18, tflops_bf16=2 ** 59, idle_power_w=-0.0)
    assert load_and_check(fuzz_dir / "extreme.yaml", dump(doc).encode(), builtin=False) == "loaded"


def test_numbers_above_the_cap_are_rejected_with_the_bound(tmp_path: Path) -> None:
    """Profile numbers are capped at 1e18 (schema.MAX_VALUE) so no estimate can overflow to infinity."""
    doc = copy.deepcopy(VALID_PROFILES)
    doc["gpus"][0]["price_usd"] = 1e308
    path = tmp_path / "huge.yaml"
    path.write_bytes(dump(doc).encode())
    with pytest.raises(ProfileError, match=r"price_usd: expected a number > 0 and <= 1e\+18, got 1e\+308"):
        catalog.load([path])


@pytest.mark.slow
def test_fuzz_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints how many inputs the fuzz tests above generated (run with -s to see it)."""
    total = sum(n for k, n in TALLY.items() if ":" in k)
    if total == 0:
        pytest.skip("run together with the fuzz tests to get a tally")
    with capsys.disabled():
        print(f"\nfuzz: {total} inputs: " + ", ".join(f"{k} {n}" for k, n in sorted(TALLY.items())))
    assert sum(n for k, n in TALLY.items() if k.startswith("load:")) >= N_LOAD * 0.9


def test_extreme_but_accepted_profile_values_do_not_crash_an_estimate(tmp_path: Path, cli) -> None:
    doc = copy.deepcopy(VALID_PROFILES)
    doc["models"][0]["params_b"] = 1e308
    path = tmp_path / "extreme.yaml"
    path.write_text(dump(doc))
    rc, _, err = cli("pretrain", "-m", "test-model", "-g", "test-gpu", "--tokens", "1B", "-f", "json", "--profiles", str(path))
    assert rc == 2 and "Traceback" not in err
