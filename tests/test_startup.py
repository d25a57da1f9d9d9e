"""Start-up: the built-in catalogue is validated once per process and cached on disk, keyed by content; a bad or
unwritable cache falls back to reading the files; modules a command does not need are not imported (issue #15 item 4).
Speed itself is measured in benchmarks/bench_startup.py, never here."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmcost import cache, catalog


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache directory and no memoised built-ins; the memo is cleared again afterwards."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    catalog.builtin_catalog.cache_clear()
    yield tmp_path / "xdg" / "llmcost"
    catalog.builtin_catalog.cache_clear()


def cache_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("builtin-*.pickle"))


def test_builtins_are_validated_once_per_process_and_each_load_gets_its_own_tables() -> None:
    first, second = catalog.load(), catalog.load()
    assert first.entries["gpus"]["rtx-4090"] is second.entries["gpus"]["rtx-4090"]  # the same records: loaded once
    assert first.entries["gpus"] is not second.entries["gpus"] and first.where is not second.where


def test_user_files_are_overlaid_without_changing_the_builtins(tmp_path: Path, valid_profiles) -> None:
    import yaml

    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(valid_profiles(), sort_keys=False))
    assert "test-gpu" in catalog.load([path]).entries["gpus"]
    assert "test-gpu" not in catalog.load().entries["gpus"] and "test-gpu" not in catalog.builtin_catalog().entries["gpus"]


def test_the_validated_builtins_are_written_to_the_cache_and_read_from_it(fresh_cache: Path) -> None:
    full = catalog.load()
    (path,) = cache_files(fresh_cache)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    cached = pickle.loads(path.read_bytes())
    assert cached.entries.keys() == full.entries.keys() and cached.entries["models"] == full.entries["models"]
    del cached.entries["gpus"]["rtx-4090"]  # a marker: only a catalogue read from this file lacks it
    path.write_bytes(pickle.dumps(cached))
    catalog.builtin_catalog.cache_clear()
    assert "rtx-4090" not in catalog.load().entries["gpus"]


@pytest.mark.parametrize("content", [b"", b"not a pickle", pickle.dumps({"a": "dict, not a catalogue"}), b"\x80\x05garbage"])
def test_a_corrupt_cache_falls_back_to_the_files_and_is_replaced(fresh_cache: Path, content: bytes) -> None:
    catalog.load()
    (path,) = cache_files(fresh_cache)
    path.write_bytes(content)
    catalog.builtin_catalog.cache_clear()
    assert "rtx-4090" in catalog.load().entries["gpus"]
    assert isinstance(pickle.loads(path.read_bytes()), catalog.Catalog)


def test_an_unwritable_cache_location_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache directory cannot be created under a file")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    catalog.builtin_catalog.cache_clear()
    try:
        assert "rtx-4090" in catalog.load().entries["gpus"]
    finally:
        catalog.builtin_catalog.cache_clear()


def test_the_key_changes_with_any_file_name_or_content() -> None:
    files = [("profiles/gpus.yaml", b"gpus: []\n"), ("profiles/models.yaml", b"models: []\n")]
    keys = {cache.key(files), cache.key([files[0], ("profiles/models.yaml", b"models: [] \n")]),
            cache.key([("profiles/gpu.yaml", files[0][1]), files[1]]), cache.key(files[:1])}
    assert len(keys) == 4 and None not in keys
    assert cache.key(files) == cache.key(list(files))


def test_stale_cache_files_of_other_versions_are_removed(fresh_cache: Path) -> None:
    fresh_cache.mkdir(parents=True)
    old, recent = fresh_cache / "builtin-0000.pickle", fresh_cache / "builtin-1111.pickle"
    old.write_bytes(b"x")
    recent.write_bytes(b"y")
    os.utime(old, (0, 0))
    catalog.load()
    assert not old.exists() and recent.exists() and len(cache_files(fresh_cache)) == 2


def test_a_command_imports_only_what_it_needs() -> None:
    code = ("import sys, llmcost.cli.app\n"
            "print(sorted(m for m in ('importlib.metadata', 'llmcost.schema.json_schema') if m in sys.modules))\n"
            "import llmcost\nprint(llmcost.__version__ != '')\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout == "[]\nTrue\n"
