"""Errors a user can cause. Each one becomes one line on stderr and exit code 2 (or 1 for a gate)."""

from __future__ import annotations

import contextlib
import difflib
import sys
import warnings
from collections.abc import Iterable, Iterator
from typing import Any


class LlmcostError(Exception):
    """A mistake in the user's input: printed as one line, exit code 2, never a traceback."""

    exit_code = 2


class ProfileError(LlmcostError):
    """One or more problems in profile or scenario files; each problem is `path:line: key.path: message`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = [_one_line(p) for p in problems]
        problems = self.problems
        more = f" (and {len(problems) - 1} more; run `llmcost profiles validate` to list them)" if len(problems) > 1 else ""
        super().__init__(problems[0] + more)


def _one_line(problem: str) -> str:
    """A problem as one printable line: keys and values quoted from a file may hold newlines or escapes."""
    if problem.isprintable():
        return problem
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in problem)


class GateFailed(LlmcostError):
    """A `--fail-if` condition matched: exit code 1."""

    exit_code = 1


def key_text(key: object) -> str:
    """A mapping key as shown in a key path: as written, or quoted when blank, padded or not printable."""
    text = str(key)
    return text if text and text.isprintable() and text.strip() == text else repr(text)


def closest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The valid names closest to `word`, best first: names it begins (shortest first), then similar ones.

    >>> closest("a100", ["a10", "a10g", "a100-40gb", "a100-80gb", "h100-sxm"])
    ['a100-40gb', 'a100-80gb', 'a10']
    """
    pool = sorted(set(choices))
    found = sorted((c for c in pool if c.startswith(word) and c != word), key=lambda c: (len(c), c))[:n]
    for c in difflib.get_close_matches(word, pool, n=n, cutoff=0.6) + [c for c in pool if word in c]:
        if len(found) >= n:
            break
        if c not in found:
            found.append(c)
    return found


def unknown(what: str, word: str, choices: Iterable[str]) -> str:
    """Message for an unknown name, suggesting the closest valid ones."""
    pool = list(choices)
    near = closest(word, pool)
    hint = f"did you mean {', '.join(repr(c) for c in near)}?" if near else f"valid: {', '.join(sorted(pool)[:12])}"
    return f"unknown {what} {word!r}; {hint}"


class ImplausibleValue(UserWarning):
    """A valid number outside its plausible range: most likely a unit slip (0.3 for a power in kW).
    The CLI prints each as one `llmcost: warning:` line on stderr; library callers see a Python warning."""


@contextlib.contextmanager
def warnings_to_stderr() -> Iterator[None]:
    """Within: each distinct ImplausibleValue warning is printed once as `llmcost: warning: MESSAGE` on stderr
    (a scenario resolved once per sweep combination warns once, not once per combination)."""
    shown: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("always", ImplausibleValue)
        original = warnings.showwarning

        def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
            if not issubclass(category, ImplausibleValue):
                original(message, category, *args, **kwargs)
            elif str(message) not in shown:
                shown.add(str(message))
                sys.stderr.write(f"llmcost: warning: {_one_line(str(message))}\n")

        warnings.showwarning = show
        yield
