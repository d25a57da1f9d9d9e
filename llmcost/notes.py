"""Row notes: a text and where it applies (every row, or a bool mask over an option's rows), joined per row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from llmcost import results

Note = tuple[Any, Any]
"""A note and where it applies: (text, True or a bool array over the option's rows), or (an object array of one
text per row, bool array) for a note whose number differs from row to row."""

DISTINCT_NOTES = 8
"""More distinct texts than this and a note is kept as one text per row (joining is then linear in the rows)."""


def value_notes(template: str, values: Any, where: Any = True) -> list[Note]:
    """A note that carries a number, once per distinct number shown, each on its rows."""
    v = np.atleast_1d(np.asarray(values, dtype=float))
    mask = np.broadcast_to(np.asarray(where, dtype=bool), v.shape)
    uniq = np.unique(v[mask])
    if v.size == 1:
        return [(template.format(float(v[0])), bool(mask[0]))] if mask[0] else []
    if uniq.size > DISTINCT_NOTES:
        texts = np.full(v.shape, "", dtype=object)
        for j in np.flatnonzero(mask).tolist():
            texts[j] = template.format(v[j])
        return [(texts, mask)]
    texts = np.array([template.format(x) for x in v.tolist()], dtype=object)
    return [(t, (texts == t) & mask) for t in dict.fromkeys(texts[mask].tolist())]


def text_notes(texts: Any, where: Any = True) -> list[Note]:
    """One note per distinct non-empty text of an object array (per row), each on its rows."""
    t = np.atleast_1d(np.asarray(texts, dtype=object))
    mask = np.broadcast_to(np.asarray(where, dtype=bool), t.shape)
    return [(str(x), (t == x) & mask) for x in dict.fromkeys(t[mask].tolist()) if x]


def join_notes(notes: Sequence[Note], n: int) -> np.ndarray:
    """Per row, the texts of the notes that apply there, joined with '; ' (computed once per pattern; notes with one
    text per row are joined row by row where they apply)."""
    if not notes:
        return results.text_column([""] * n)
    masks = np.stack([np.broadcast_to(np.asarray(m, dtype=bool), (n,)) for _, m in notes])
    per_row = [isinstance(t, np.ndarray) for t, _ in notes]
    fixed = [i for i, p in enumerate(per_row) if not p]
    patterns, inverse = np.unique(masks.T, axis=0, return_inverse=True)
    joined = np.array(["; ".join(notes[i][0] for i in range(len(notes)) if p[i] and not per_row[i]) for p in patterns], dtype=object)
    out = joined[inverse.reshape(-1)]
    if len(fixed) == len(notes):
        return out
    for row in np.flatnonzero(masks[[i for i, p in enumerate(per_row) if p]].any(axis=0)).tolist():
        parts = [t[row] if isinstance(t, np.ndarray) else t for (t, _), on in zip(notes, masks[:, row], strict=True) if on]
        out[row] = "; ".join(p for p in parts if p)
    return out
