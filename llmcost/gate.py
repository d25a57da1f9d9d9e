"""A small safe grammar for `--fail-if` and `--where` (never eval):

    expr       := and_expr ("or" and_expr)*
    and_expr   := term ("and" term)*
    term       := "not" term | "(" expr ")" | comparison
    comparison := KEY OP VALUE        OP: == != < <= > >=     VALUE: number (1.5, 20k, 1e6), "text" or 'text', or a word

Numbers compare with numbers; the state "never" counts as larger than every number (so
`payback_months > 18` trips on "never"); "n/a" and "does not fit" make a numeric comparison false.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from llmcost.errors import LlmcostError, unknown
from llmcost.numbers import parse_quantity

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt,
}
_TOKEN = re.compile(r"""\s*(?:(?P<op>==|!=|<=|>=|<|>)|(?P<paren>[()])|(?P<str>"[^"]*"|'[^']*')|(?P<word>[A-Za-z0-9_.+\-/]+))""")

Row = dict[str, Any]
Predicate = Callable[[Row], bool]


def tokens(text: str, what: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise LlmcostError(f"{what} {text!r}: cannot read {text[pos:pos + 10]!r}; write e.g. 'payback_months > 18 and kind == \"own\"'")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


@dataclass
class _Parser:
    tokens: list[tuple[str, str]]
    keys: Sequence[str]
    what: str
    text: str
    i: int = 0

    def fail(self, message: str) -> LlmcostError:
        return LlmcostError(f"{self.what} {self.text!r}: {message}")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise self.fail("ends too early; expected KEY OP VALUE")
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
        if tok == ("word", "not"):
            self.take()
            inner = self.term()
            return lambda r: not inner(r)
        if tok == ("paren", "("):
            self.take()
            inner = self.expr()
            if self.take() != ("paren", ")"):
                raise self.fail("missing ')'")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        kind, key = self.take()
        if kind != "word" or key in ("and", "or", "not"):
            raise self.fail(f"expected a column name, got {key!r}")
        if key not in self.keys:
            raise self.fail(unknown("column", key, self.keys))
        kind, op = self.take()
        if kind != "op":
            raise self.fail(f"expected one of {' '.join(_OPS)} after {key!r}, got {op!r}")
        kind, raw = self.take()
        if kind == "str":
            value: Any = raw[1:-1]
        elif kind == "word":
            try:
                value = parse_quantity(raw, self.what, minimum=None)
            except LlmcostError:
                value = raw
        else:
            raise self.fail(f"expected a number or a quoted text after {op!r}, got {raw!r}")
        return _compare(key, _OPS[op], op, value)


def _compare(key: str, fn: Callable[[Any, Any], bool], op: str, value: Any) -> Predicate:
    def check(row: Row) -> bool:
        cell = row.get(key)
        if isinstance(value, float):
            if isinstance(cell, bool) or cell is None:
                return False
            if cell == "never":
                cell = math.inf
            if not isinstance(cell, (int, float)):
                return False
            return bool(fn(float(cell), value))
        if isinstance(cell, bool):
            cell = "true" if cell else "false"
        return bool(fn(str(cell), str(value))) if op in ("==", "!=") else False

    return check


def parse(text: str, keys: Sequence[str], what: str = "--fail-if") -> Predicate:
    """Compile a condition over row keys into a predicate; raises LlmcostError (exit 2) on bad input."""
    parser = _Parser(tokens(text, what), keys, what, text)
    pred = parser.expr()
    if parser.peek() is not None:
        raise parser.fail(f"unexpected {parser.peek()[1]!r}; join comparisons with 'and' / 'or'")  # type: ignore[index]
    return pred
