"""Row notes: a text and where it applies (every row, or a bool mask over an option's rows), joined per row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from llmcost import results

Note = tuple[str, Any]
"""A note and where it applies: True (every row) or a bool array over the option's rows."""


def value_notes(template: str, values: Any, where: Any = True) -> list[Note]:
    """A note that carries a number, once per distinct number shown, each on its rows."""
    v = np.atleast_1d(np.asarray(values, dtype=float))
    mask = np.broadcast_to(np.asarray(where, dtype=bool), v.shape)
    texts = np.array([template.format(x) for x in v.tolist()], dtype=object)
    if v.size == 1:
        return [(str(texts[0]), bool(mask[0]))] if mask[0] else []
    return [(t, (texts == t) & mask) for t in dict.fromkeys(texts[mask].tolist())]


def text_notes(texts: Any, where: Any = True) -> list[Note]:
    """One note per distinct non-empty text of an object array (per row), each on its rows."""
    t = np.atleast_1d(np.asarray(texts, dtype=object))
    mask = np.broadcast_to(np.asarray(where, dtype=bool), t.shape)
    return [(str(x), (t == x) & mask) for x in dict.fromkeys(t[mask].tolist()) if x]


def join_notes(notes: Sequence[Note], n: int) -> np.ndarray:
    """Per row, the texts of the notes that apply there, joined with '; ' (computed once per pattern)."""
    if not notes:
        return results.text_column([""] * n)
    masks = np.stack([np.broadcast_to(np.asarray(m, dtype=bool), (n,)) for _, m in notes])
    texts = [t for t, _ in notes]
    patterns, inverse = np.unique(masks.T, axis=0, return_inverse=True)
    joined = np.array(["; ".join(t for t, on in zip(texts, p, strict=True) if on) for p in patterns], dtype=object)
    return joined[inverse.reshape(-1)]
