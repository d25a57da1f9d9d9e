"""A file the user names on the command line (a compare output for `diff`, price data, benchmark results, a model's
config.json): its bytes, read with at most `limit` of them in memory, or one line saying why it cannot be
(missing, a directory, unreadable, too large) and what the command expected."""

from __future__ import annotations

from pathlib import Path

from llmcost.errors import LlmcostError


def read_capped(path: str | Path, name: str, limit: int, hint: str) -> bytes:
    """The bytes of `path`; an LlmcostError naming it as `name` when it cannot be read or holds more than `limit`
    bytes (`hint`: what the command expected, ending the line)."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise LlmcostError(f"{name}: no such file; {hint}") from None
    except IsADirectoryError:
        raise LlmcostError(f"{name}: is a directory; {hint}") from None
    except OSError as e:
        raise LlmcostError(f"{name}: cannot read it ({e.strerror or e})") from None
    if len(data) > limit:
        raise LlmcostError(f"{name}: over {limit / 2**20:g} MiB; {hint}")
    return data
