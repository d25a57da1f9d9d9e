"""A small safe grammar for `--fail-if` and `--where` (never eval):

    expr       := and_expr ("or" and_expr)*
    and_expr   := term ("and" term)*
    term       := "not" term | "(" expr ")" | comparison
    comparison := COLUMN OP VALUE     OP: == != < <= > >=
    VALUE      := NUMBER (18, 1.5, 20k, 3M, 1e300) | "text" or 'text' | true | false

Nothing is guessed, so a typo cannot make a CI gate pass in silence: an unknown column, a bare word
(`kind == own`), a number with a unit (`18mo`, `18m`) or a letter O for a zero (`1O`), a quoted number
compared with a numeric column (`"18"`), a text that the column never holds (`kind == "onw"`), text
compared with < or >, and nesting deeper than MAX_DEPTH are all errors (LlmcostError, exit 2).

Numbers compare with numbers, of any size; the state "never" counts as larger than every number (so
`payback_months > 18` trips on "never"); other states ("n/a", "does not fit") make a numeric comparison
false and can be tested by name: `payback_months == "n/a"`.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llmcost.errors import LlmcostError, unknown

MAX_DEPTH = 50
"""Deepest nesting of parentheses and `not` accepted (deeper is refused before Python's recursion limit)."""

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt,
}
_TOKEN = re.compile(r"""\s*(?:(?P<op>==|!=|<=|>=|<|>)|(?P<paren>[()])|(?P<str>"[^"]*"|'[^']*')|(?P<word>[A-Za-z0-9_.+\-/]+))""")
_NUMBER = re.compile(r"[+-]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?P<suffix>[kKMBGTP]?)")
_SUFFIX = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12, "P": 1e15}
_LEADING_NUMBER = re.compile(r"[+-]?(?:\d[\d_]*\.?\d*|\.\d+)")
NUMBER, BOOL, TEXT, ANY = "number", "bool", "text", "any"

Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]


@dataclass(frozen=True)
class Column:
    """What a column holds: `number` (values: the states it may hold instead), `bool`, `text` (values: every
    text it may hold; empty: any), or `any` (not known: only the syntax and the value's form are checked)."""

    kind: str = ANY
    values: tuple[str, ...] = ()


def columns_of(rows: Sequence[Row], texts: Mapping[str, Collection[str]] | None = None,
               states: Iterable[str] = ()) -> dict[str, Column]:
    """Each column's Column, read from the rows: numeric when a cell is a number or every cell is a state,
    boolean when every cell is, else text holding the values `texts` declares for it or those the rows show."""
    out: dict[str, Column] = {}
    known_states = tuple(states)
    for key in rows[0] if rows else ():
        cells = [r.get(key) for r in rows]
        if any(_is_number(c) for c in cells) or (known_states and all(c in known_states for c in cells)):
            out[key] = Column(NUMBER, tuple(dict.fromkeys([*known_states, *(c for c in cells if isinstance(c, str))])))
        elif all(isinstance(c, bool) for c in cells):
            out[key] = Column(BOOL)
        else:
            declared = (texts or {}).get(key)
            seen = (str(c) for c in cells if c is not None)
            out[key] = Column(TEXT, tuple(dict.fromkeys(declared if declared else seen)))
    return out


def parse(text: str, columns: Sequence[str] | Mapping[str, Column], what: str = "--fail-if") -> Predicate:
    """Compile a condition over the columns into a predicate on a row; raises LlmcostError (exit 2) on any mistake.

    `columns` is a list of names (kinds unknown) or a mapping name -> Column (see `columns_of`).

    >>> p = parse('kind == "own" and payback_months > 18', {"kind": Column(TEXT, ("own", "rent", "api")),
    ...                                                       "payback_months": Column(NUMBER, ("never", "n/a"))})
    >>> p({"kind": "own", "payback_months": "never"}), p({"kind": "own", "payback_months": 12.5})
    (True, False)
    """
    cols = dict(columns) if isinstance(columns, Mapping) else {k: Column() for k in columns}
    parser = _Parser(_tokens(text, what), cols, what, text)
    pred = parser.expr()
    extra = parser.peek()
    if extra is not None:
        raise parser.fail(f"unexpected {extra[1]!r}; join comparisons with 'and' / 'or'")
    return pred


def _tokens(text: str, what: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise LlmcostError(f"{what} {_quote(text)}: cannot read {text[pos:pos + 10]!r}; "
                               "write e.g. 'payback_months > 18 and kind == \"own\"'")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _quote(text: str) -> str:
    """The condition as quoted in a one-line message (long ones shortened)."""
    quoted = repr(text)
    return quoted if len(quoted) <= 100 else quoted[:60] + "…" + quoted[-30:]


@dataclass
class _Parser:
    tokens: list[tuple[str, str]]
    columns: dict[str, Column]
    what: str
    text: str
    i: int = 0
    depth: int = 0

    def fail(self, message: str) -> LlmcostError:
        return LlmcostError(f"{self.what} {_quote(self.text)}: {message}")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise self.fail("ends too early; expected COLUMN OP VALUE")
        self.i += 1
        return tok

    def expr(self) -> Predicate:
        return self.joined("or", self.and_expr, any)

    def and_expr(self) -> Predicate:
        return self.joined("and", self.term, all)

    def joined(self, word: str, operand: Callable[[], Predicate], combine: Callable[[Iterator[bool]], bool]) -> Predicate:
        """operand (WORD operand)*: the predicates combined with any (or) or all (and), short-circuiting."""
        parts = [operand()]
        while self.peek() == ("word", word):
            self.take()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else (lambda r: combine(p(r) for p in parts))

    def term(self) -> Predicate:
        tok = self.peek()
        if tok not in (("word", "not"), ("paren", "(")):
            return self.comparison()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} levels deep (parentheses and 'not'); write it flatter")
        self.take()
        if tok == ("word", "not"):
            inner = self.term()
            pred: Predicate = lambda r: not inner(r)
        else:
            pred = self.expr()
            if self.take() != ("paren", ")"):
                raise self.fail("missing ')'")
        self.depth -= 1
        return pred

    def comparison(self) -> Predicate:
        kind, key = self.take()
        if kind != "word" or key in ("and", "or", "not") or _NUMBER.fullmatch(key):
            raise self.fail(f"expected a column name, got {key!r}; write COLUMN OP VALUE, e.g. payback_months > 18")
        if key not in self.columns:
            raise self.fail(unknown("column", key, self.columns))
        kind, op = self.take()
        if kind != "op":
            raise self.fail(f"expected one of {' '.join(_OPS)} after {key!r}, got {op!r}")
        kind, raw = self.take()
        if kind == "paren":
            raise self.fail(f"expected a number or a quoted text after {op!r}, got {raw!r}")
        value = self.value(key, op, kind, raw)
        return _compare(key, _OPS[op], value)

    def value(self, key: str, op: str, kind: str, raw: str) -> Any:
        """The constant on the right of `key op`, checked against what the column holds."""
        col = self.columns[key]
        if kind == "word" and raw in ("true", "false"):
            return self.boolean(key, op, col, raw == "true")
        if kind == "word":
            number = self.number(key, raw)
            if col.kind in (TEXT, BOOL):
                raise self.fail(f"{key} holds {_holds(col)}, not numbers; write e.g. {key} == {_example(col)}")
            return number
        text = raw[1:-1]
        if _NUMBER.fullmatch(text.strip()) and col.kind in (NUMBER, ANY):
            raise self.fail(f"{raw} is a quoted number; write {text.strip()} without quotes to compare numbers")
        if op not in ("==", "!="):
            raise self.fail(f"text compares only with == or !=, not {op!r} ({key} {op} {raw})")
        if col.kind == BOOL and text not in ("true", "false"):
            raise self.fail(f"{key} is true or false; write {key} == true or {key} == false")
        if col.kind in (NUMBER, TEXT) and col.values and text not in col.values:
            noun = f"state of {key}" if col.kind == NUMBER else f"value of {key}"
            raise self.fail(f"{unknown(noun, text, col.values)} ({key} holds {_holds(col)})")
        return text

    def boolean(self, key: str, op: str, col: Column, value: bool) -> bool:
        if op not in ("==", "!="):
            raise self.fail(f"true and false compare only with == or !=, not {op!r}")
        if col.kind not in (BOOL, ANY):
            raise self.fail(f"{key} holds {_holds(col)}, not true or false")
        return value

    def number(self, key: str, raw: str) -> float:
        """A number as written (any size, optional k/M/B/G/T/P suffix); any other bare word is an error."""
        m = _NUMBER.fullmatch(raw)
        if m:
            value = float(raw[: len(raw) - len(m.group("suffix"))].replace("_", "")) * _SUFFIX[m.group("suffix")]
            if not math.isfinite(value):
                raise self.fail(f"{raw!r} is too large for a number (at most about 1.8e308)")
            return value
        if raw in self.columns:
            raise self.fail(f"compare {key!r} with a number or a quoted text, not with the column {raw!r}")
        lead = _LEADING_NUMBER.match(raw)
        if lead:
            rest = raw[lead.end():]
            hint = (f"units are in the column's name ({key}), write {lead.group()}" if rest.isalpha() and rest.strip("OoIl")
                    else "write digits, e.g. 18, 1.5, 20k, 3M or 1e6 (a letter O or l for a digit?)")
            raise self.fail(f"{raw!r} is not a number; {hint}")
        raise self.fail(f"{raw!r} is neither a number nor quoted text; write {key} == \"{raw}\" to compare text")


def _holds(col: Column) -> str:
    if col.kind == BOOL:
        return "true or false"
    if col.kind == NUMBER:
        return "numbers" + (f" or the states {', '.join(col.values)}" if col.values else "")
    return ", ".join(col.values[:8]) + (", ..." if len(col.values) > 8 else "") if col.values else "text"


def _example(col: Column) -> str:
    return "true" if col.kind == BOOL else f'"{col.values[0]}"' if col.values else '"..."'


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _compare(key: str, fn: Callable[[Any, Any], bool], value: Any) -> Predicate:
    if isinstance(value, float):
        def numeric(row: Row) -> bool:
            cell = row.get(key)
            if cell == "never":
                cell = math.inf
            return isinstance(cell, (int, float)) and not isinstance(cell, bool) and bool(fn(float(cell), value))

        return numeric

    wanted = ("true" if value else "false") if isinstance(value, bool) else value

    def textual(row: Row) -> bool:
        cell = row.get(key)
        shown = ("true" if cell else "false") if isinstance(cell, bool) else "" if cell is None else str(cell)
        return bool(fn(shown, wanted))

    return textual
