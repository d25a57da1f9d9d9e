"""Tables for people that fit the terminal: one line per row, no number or word cut.

Columns come in priority order (the first ones matter most). Every cell keeps its full width except
in the first column and in prose columns (names, descriptions, notes), which may be shortened with an
ellipsis down to a minimum; columns that still do not fit are left out and named in one line under
the table. Headings wrap at spaces, `/` and `_`, never inside a piece, so a heading is never cut
either. rich draws the boxes; every width is decided here and rich gets no room to wrap.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from rich.cells import cell_len

MIN_WIDTH = 40
"""Narrowest layout: below it the first column alone would not be readable (a tiny COLUMNS is raised to this)."""
FALLBACK_WIDTH = 80
"""Width when COLUMNS is set but is not a positive number, or a terminal does not report its size."""
PIPE_WIDTH = 200
"""Width when stdout is not a terminal and COLUMNS is not set: generous, since files and pipes do not wrap."""
MIN_SHORTENED = 16
"""A shortened text column keeps at least this many characters (ids stay recognisable)."""

PROSE = ("name", "description", "notes", "source", "rationale", "reason", "unit", "license", "quantizations", "rental", "value")
"""Text columns that may be shortened with an ellipsis in a table (besides the first column)."""

BORDER = 3
"""Cells take their width plus one space of padding each side and one rule: `│ x ` (plus one closing rule)."""


def width_of(out: IO[str]) -> int:
    """Columns available: COLUMNS when set (80 when it is not a positive number), else the terminal's, else 200."""
    raw = os.environ.get("COLUMNS", "").strip()
    if raw:
        try:
            n = int(raw)
        except ValueError:
            n = 0
        return max(n, MIN_WIDTH) if n > 0 else FALLBACK_WIDTH
    if out.isatty():
        try:
            n = os.get_terminal_size(out.fileno()).columns
        except (OSError, ValueError):
            n = 0
        return max(n, MIN_WIDTH) if n > 0 else FALLBACK_WIDTH  # a pseudo-terminal may report 0 columns
    return PIPE_WIDTH


@dataclass
class Column:
    """One column of text cells: its key, heading, alignment and widths (in terminal cells)."""

    key: str
    heading: str
    cells: list[str]
    right: bool = False
    shrink: bool = False
    middle: bool = False
    width: int = 0

    @property
    def natural(self) -> int:
        return max([cell_len(c) for c in self.cells] + [cell_len(p) for p in heading_pieces(self.heading)] + [1])

    def minimum(self, width: int) -> int:
        """Narrowest this column may become: its natural width unless it may be shortened."""
        if not self.shrink:
            return self.natural
        floor = max(MIN_SHORTENED, width * 2 // 5 if self.middle else MIN_SHORTENED,
                    *(cell_len(p) for p in heading_pieces(self.heading)))
        return min(self.natural, floor)


@dataclass
class Layout:
    shown: list[Column]
    hidden: list[str]

    @property
    def width(self) -> int:
        return total_width(c.width for c in self.shown)


def total_width(widths: Iterable[int]) -> int:
    """Width of a table whose columns are `widths` wide, rules and padding included."""
    ws = list(widths)
    return sum(ws) + BORDER * len(ws) + 1


def fit(columns: Sequence[Column], width: int, wide: bool = False) -> Layout:
    """Choose columns in priority order while they fit at their minimum widths, then widen the shortened ones.

    The first column is always shown. With `wide`, every column is shown at its natural width."""
    if wide:
        for c in columns:
            c.width = c.natural
        return Layout(list(columns), [])
    first, rest = columns[0], columns[1:]
    first.width = first.minimum(width)
    shown, hidden = [first], []
    for c in rest:
        c.width = c.minimum(width)
        if total_width([*(s.width for s in shown), c.width]) <= width:
            shown.append(c)
        else:
            hidden.append(c.key)
    spare = width - total_width([c.width for c in shown])
    while spare > 0:  # shared out one cell at a time, so shortened columns end up alike
        short = [c for c in shown if c.width < c.natural]
        for c in short[:spare]:
            c.width += 1
        spare -= len(short[:spare])
        if not short:
            break
    ordered = [c for c in columns if c in shown]
    return Layout(ordered, hidden)


_BREAK_AFTER = re.compile(r"[^/_]+[/_]+|[^/_]+")
LONG_WORD = 8
"""A heading word longer than this may also wrap after '/' or '_' (ids and key names); shorter ones never do."""


def heading_pieces(heading: str) -> list[str]:
    """A heading split where it may wrap: at spaces, and in long words after '/' and '_' (kept on the line above).

    >>> heading_pieces("break-even tok/day"), heading_pieces("memory_bandwidth_gb_per_s")
    (['break-even', 'tok/day'], ['memory_', 'bandwidth_', 'gb_', 'per_', 's'])
    """
    pieces: list[str] = []
    for word in heading.split():
        pieces.extend(_BREAK_AFTER.findall(word) if len(word) > LONG_WORD else [word])
    return pieces or [""]


def wrap_heading(heading: str, width: int) -> str:
    """The heading's pieces joined into lines no wider than `width` (a piece is never split)."""
    lines: list[str] = []
    for piece in heading_pieces(heading):
        joiner = "" if lines and lines[-1].endswith(("/", "_")) else " "
        if lines and cell_len(lines[-1] + joiner + piece) <= width:
            lines[-1] += joiner + piece
        else:
            lines.append(piece)
    return "\n".join(lines)


def shorten(text: str, width: int, middle: bool = False) -> str:
    """`text` in at most `width` cells, an ellipsis marking what was left out (in the middle or at the end).

    >>> shorten("rent runpod/serverless-rtx-3090", 20, middle=True), shorten("A long description", 10)
    ('rent runp…s-rtx-3090', 'A long de…')
    """
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    if not middle:
        return _take(text, width - 1) + "…"
    head = _take(text, (width - 1) // 2)  # the end of an id tells options apart more often than its start
    tail = _take(text[::-1], width - 1 - cell_len(head))[::-1]
    return head + "…" + tail


def _take(text: str, width: int) -> str:
    """The longest prefix of `text` at most `width` cells wide."""
    out, used = [], 0
    for ch in text:
        w = cell_len(ch)
        if used + w > width:
            break
        out.append(ch)
        used += w
    return "".join(out)


def hidden_line(hidden: Sequence[str], width: int) -> str:
    """One line saying which columns were left out and how to show them: as many names as fit in `width`."""
    n = len(hidden)
    tail = " (--wide shows all, --columns a,b,c picks)"
    for k in range(n, -1, -1):
        names = [*hidden[:k], *(["…"] if k < n else [])]
        line = f"{n} more column{'s' if n > 1 else ''}" + (f": {', '.join(names)}" if k else "") + tail
        if cell_len(line) <= width or k == 0:
            return line
    raise AssertionError("unreachable")


def draw(layout: Layout, out: IO[str], title: str | None, width: int, color: bool) -> None:
    """Print the laid-out columns with rich: fixed widths, no wrapping (an over-long cell would get '…')."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    class PipeAwareConsole(Console):
        def on_broken_pipe(self) -> None:  # rich would exit 1; the entry point ends a closed pipe quietly with 0
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    console = PipeAwareConsole(file=out, width=max(width, layout.width), no_color=not color, force_terminal=color or None,
                      highlight=False, markup=False, emoji=False, soft_wrap=False)
    table = Table(title=Text(title) if title else None, header_style="bold" if color else "",
                  title_style="italic" if color else "")
    for c in layout.shown:
        table.add_column(Text(wrap_heading(c.heading, c.width)), justify="right" if c.right else "left", no_wrap=True,
                         overflow="ellipsis", width=c.width)
    rows = len(layout.shown[0].cells)
    for i in range(rows):
        table.add_row(*(Text(shorten(c.cells[i], c.width, c.middle)) for c in layout.shown))
    console.print(table)
