"""A disk cache of the validated built-in catalogue, so that a command does not re-read and re-check ~3,500
lines of YAML on every start.

The key hashes the built-in files' content and the source of the code that turns them into records (the
YAML reader, the schema, the loader): a new llmcost version, an edited profile or an edited record type
gets a new key. The cache lives in $XDG_CACHE_HOME/llmcost (default ~/.cache/llmcost); anything wrong with
it (missing, corrupt, unreadable, unwritable, another version's) silently means "load the files".
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent
CODE = ("catalog.py", "numbers.py", "yamlsrc.py", "errors.py", "schema")
"""The modules whose code decides what a built-in file becomes (relative to the package)."""
STALE_S = 30 * 86400
"""Cache files of other versions not written for this long are removed."""


def directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "llmcost"


def key(files: Sequence[tuple[str, bytes]]) -> str | None:
    """A hex digest of the files (name, content) and of the reading code; None when that code cannot be read."""
    digest = hashlib.sha256(f"python {sys.version_info[0]}.{sys.version_info[1]} pickle {pickle.HIGHEST_PROTOCOL}".encode())
    try:
        code = [p for name in CODE for p in (sorted((PACKAGE / name).glob("*.py")) if name == "schema" else [PACKAGE / name])]
        for path in code:
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    except OSError:
        return None
    for name, content in files:
        digest.update(name.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()[:32]


def _path(cache_key: str) -> Path:
    return directory() / f"builtin-{cache_key}.pickle"


def read(cache_key: str | None) -> Any:
    """The object cached under `cache_key`, or None."""
    if cache_key is None:
        return None
    try:
        with open(_path(cache_key), "rb") as f:
            return pickle.load(f)
    except Exception:  # missing, truncated, written by an incompatible version: load the files instead
        return None


def write(cache_key: str | None, obj: Any) -> None:
    """Cache `obj` under `cache_key` (atomically, readable by the user only) and drop stale entries; never raises."""
    if cache_key is None:
        return
    import tempfile  # only when writing, which is rare

    try:
        folder = directory()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".builtin-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, _path(cache_key))
        except BaseException:
            os.unlink(tmp)
            raise
        for old in folder.glob("builtin-*.pickle"):  # other versions' entries, unused for a month
            if time.time() - old.stat().st_mtime > STALE_S:
                old.unlink(missing_ok=True)
    except Exception:  # a read-only home, a full disk: run without a cache
        return
