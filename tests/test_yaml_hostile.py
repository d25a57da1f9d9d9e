"""Hostile YAML: object tags, alias bombs, huge and deep files, binary and non-UTF-8 data.

Each one must end as a ProfileError naming the file and a line (never a crash, a hang or a traceback),
and through the CLI as exit code 2 with exactly one line on stderr.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llmcost import catalog
from llmcost.errors import ProfileError
from llmcost.yamlsrc import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, read_yaml, read_yaml_text

TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels; profile files are flat lists of entries"
BOMB = f"document expands to more than {MAX_NODES:,} values (alias bomb?); write it out plainly"
EMPTY = "(top level): file is empty; expected a mapping of kinds (gpus, models, apis, rentals, hosts, quantizations, engines, " \
        "scenarios, calibrations, assumptions)"


def billion_laughs(levels: int = 9) -> str:
    """The classic: each level is a list of nine aliases of the previous one (9**9 strings once expanded)."""
    text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    names = "abcdefghijklmnopqrstuvwxyz"
    for prev, name in zip(names[:levels - 1], names[1:levels], strict=True):
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
    return text


def block_nesting(depth: int) -> str:
    return "gpus:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(depth))


HOSTILE: dict[str, tuple[bytes, str]] = {
    # name: (file content, the one expected problem after "PATH:")
    "python-object-apply": (b"gpus: !!python/object/apply:os.system ['echo pwned']\n",
                            "1: gpus: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed; use a plain list"),
    "python-name": (b"gpus:\n  - id: !!python/name:os.system\n",
                    "2: gpus[0].id: tag 'tag:yaml.org,2002:python/name:os.system' is not allowed; use plain YAML values"),
    "python-object-new": (b"gpus: !!python/object/new:subprocess.Popen {args: [ls]}\n",
                          "1: gpus: tag 'tag:yaml.org,2002:python/object/new:subprocess.Popen' is not allowed; "
                          "use a plain mapping"),
    "top-level-tag": (b"!!python/object:os.system {}\n",
                      "1: (top level): tag 'tag:yaml.org,2002:python/object:os.system' is not allowed; use a plain mapping"),
    "binary-tag": (b"gpus: !!binary aGVsbG8=\n",
                   "1: gpus: tag 'tag:yaml.org,2002:binary' is not allowed; use plain YAML values"),
    "set-tag": (b"gpus: !!set {a, b}\n", "1: gpus: tag 'tag:yaml.org,2002:set' is not allowed; use a plain mapping"),
    "local-tag": (b"gpus: !include other.yaml\n", "1: gpus: tag '!include' is not allowed; use plain YAML values"),
    "billion-laughs": (billion_laughs().encode(), f"1: f[1][7][8][6][5][2]: {BOMB}"),
    "alias-bomb-in-kind": (b"x: &x [" + b"1," * 2000 + b"]\ngpus: [" + b"*x," * 200 + b"]\n",
                           f"1: gpus[98][1896]: {BOMB}"),
    "self-alias": (b"gpus: &a [*a]\n", f"1: gpus{'[0]' * MAX_DEPTH}: {TOO_DEEP}"),
    "deep-flow-list": (b"gpus: " + b"[" * 1000 + b"]" * 1000 + b"\n", f"1: {TOO_DEEP}"),
    "deep-flow-map": (b"gpus: " + b"{a: " * 1000 + b"1" + b"}" * 1000 + b"\n", f"1: {TOO_DEEP}"),
    "deep-block-map": (block_nesting(1000).encode(), f"{MAX_DEPTH + 1}: {TOO_DEEP}"),
    "deep-block-list": (b"gpus:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, 1000)), f"{MAX_DEPTH + 2}: {TOO_DEEP}"),
    "empty": (b"", f"1: {EMPTY}"),
    "only-comments": (b"# nothing here yet\n\n   \n", f"1: {EMPTY}"),
    "null-document": (b"~\n", f"1: {EMPTY}"),
    "binary": (bytes(range(256)) * 4, "1: not UTF-8 text (byte 128); save the file as UTF-8"),
    "nul-bytes": (b"gpus: []\n\x00\x00\x00\n", "1: contains NUL bytes; this is not a text file"),
    "latin-1": ("gpus:\n  - id: café\n".encode("latin-1"), "1: not UTF-8 text (byte 17); save the file as UTF-8"),
    "utf-16": ("gpus: []\n".encode("utf-16"), "1: not UTF-8 text (byte 0); save the file as UTF-8"),
    "control-character": (b"gpus:\n  - id: x\n    name: \x1b[2J\n",
                          "3: character U+001B is not allowed in YAML (control characters are not allowed); remove it"),
    "huge-integer": (b"gpus:\n  - memory_gib: " + b"9" * 5000 + b"\n",
                     "2: gpus[0].memory_gib: number '99999999999999999...' is too long; write it with an exponent (e.g. 1.5e12)"),
    "two-documents": (b"gpus: []\n---\nmodels: []\n", "3: more than one YAML document; keep one per file"),
    "merge-of-a-list": (b"gpus:\n  - <<: [1, 2]\n", "2: gpus[0]: '<<' merges only mappings"),
    "mapping-as-key": (b"? {a: 1}\n: x\n", "1: (top level): key {'a': 1} must be text"),
}


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_is_one_problem_with_file_and_line(tmp_path: Path, name: str) -> None:
    content, expected = HOSTILE[name]
    path = write(tmp_path, name, content)
    with pytest.raises(ProfileError) as caught:
        catalog.load([path])
    assert caught.value.problems == [f"{path}:{expected}"]


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_through_the_cli_is_exit_2_and_one_line(tmp_path: Path, cli, name: str) -> None:
    content, expected = HOSTILE[name]
    path = write(tmp_path, name, content)
    rc, out, err = cli("profiles", "validate", str(path))
    assert (rc, out, err) == (2, "", f"{path}:{expected}\n")


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_used_by_a_command_is_one_error_line(tmp_path: Path, cli, name: str) -> None:
    content, expected = HOSTILE[name]
    path = write(tmp_path, name, content)
    rc, out, err = cli("profiles", "list", "gpus", "--profiles", str(path))
    assert (rc, out, err) == (2, "", f"llmcost: error: {path}:{expected}\n")


def test_no_python_object_is_ever_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write(tmp_path, "attack", f"gpus: !!python/object/apply:os.system ['touch {marker}']\n".encode())
    with pytest.raises(ProfileError):
        catalog.load([path])
    assert not marker.exists()


def test_billion_laughs_is_rejected_quickly(tmp_path: Path) -> None:
    path = write(tmp_path, "laughs", billion_laughs().encode())
    started = time.perf_counter()
    with pytest.raises(ProfileError) as caught:
        read_yaml(path)
    assert time.perf_counter() - started < 2.0
    assert re.fullmatch(rf"{re.escape(str(path))}:1: \S+: {re.escape(BOMB)}", caught.value.problems[0])


def test_many_small_aliases_below_the_limit_are_fine() -> None:
    doc = read_yaml_text("base: &b {a: 1, b: 2}\nitems: [" + ", ".join(["*b"] * 1000) + "]\n", "f.yaml")
    assert len(doc["items"]) == 1000 and doc["items"][999] == {"a": 1, "b": 2}


def test_file_over_the_size_limit_is_rejected_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:
        f.write(b"gpus: []\n# ")
        f.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(ProfileError) as caught:
        catalog.load([path])
    assert caught.value.problems == [
        f"{path}:1: file is {MAX_FILE_BYTES + 1:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for profile files"]


def test_file_at_the_size_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "padded.yaml"
    text = "gpus: []\n"
    path.write_text(text + "#" * (MAX_FILE_BYTES - len(text) - 1) + "\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert read_yaml(path) == {"gpus": []}


def test_nesting_at_the_limit_is_accepted_and_one_more_level_is_not() -> None:
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    read_yaml_text(f"x: {at_limit}\n", "f.yaml")  # x (depth 0) + MAX_DEPTH lists
    with pytest.raises(ProfileError, match="nesting deeper than"):
        read_yaml_text(f"x: [{at_limit}]\n", "f.yaml")


@pytest.mark.parametrize("depth", [100_000, 900_000])
def test_very_deep_nesting_does_not_crash_the_interpreter(tmp_path: Path, depth: int) -> None:
    """libyaml's C composer overflows the C stack (SIGSEGV) around 30,000 levels; run in a child process
    so that a regression fails this test instead of killing the whole run."""
    path = write(tmp_path, "deep", b"gpus: " + b"[" * depth + b"]" * depth + b"\n")
    code = ("import sys, pathlib; from llmcost import catalog; from llmcost.errors import ProfileError\n"
            "try:\n    catalog.load([pathlib.Path(sys.argv[1])])\nexcept ProfileError as e:\n    print(e.problems[0])\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == f"{path}:1: {TOO_DEEP}\n"


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "bom", "\ufeffgpus: []\n".encode())
    assert read_yaml(path) == {"gpus": []}


def test_unreadable_path_is_a_profile_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        read_yaml(tmp_path / "missing.yaml")
    assert caught.value.problems == [f"{tmp_path / 'missing.yaml'}:1: cannot read file: No such file or directory"]


def test_line_numbers_survive_merges_and_anchors() -> None:
    doc = read_yaml_text("defaults: &d\n  vendor: nvidia\n  class: consumer\ngpus:\n  - <<: *d\n    id: x\n", "f.yaml")
    entry = doc["gpus"][0]
    assert entry == {"id": "x", "vendor": "nvidia", "class": "consumer"}
    assert entry.key_lines == {"id": 6, "vendor": 2, "class": 3}
    assert doc["gpus"].item_lines == [5]
