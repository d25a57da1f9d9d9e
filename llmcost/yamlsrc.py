"""Safe YAML reading that keeps line numbers and rejects what a data file should never contain.

The file is composed (never constructed) with the safe C parser when available, then walked here:
only plain scalars, mappings and sequences are accepted; duplicate keys, custom tags (such as
``!!python/object``), alias bombs, very deep nesting and oversized files are rejected with the file
and line in the message.
"""

from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from llmcost.errors import ProfileError, key_text

MAX_FILE_BYTES = 2_000_000
"""Largest profile or scenario file accepted (2 MB): the built-in profiles are under 200 kB together."""
MAX_NODES = 200_000
"""Most values a document may expand to, aliases included: stops 'billion laughs' documents."""
MAX_DEPTH = 40
"""Deepest nesting accepted; profile files need fewer than 6 levels."""

_T = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_T + t for t in ("str", "int", "float", "bool", "null", "timestamp")}


_TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels; profile files are flat lists of entries"
_TOO_MANY = f"document expands to more than {MAX_NODES:,} values (alias bomb?); write it out plainly"


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _fast_base() -> Any:
    """libyaml's parser feeding PyYAML's Python composer (or the pure-Python loader without libyaml).

    libyaml's own composer recurses in C and crashes the interpreter (SIGSEGV) on a document nested
    some 30,000 levels deep, which fits easily in MAX_FILE_BYTES; composing in Python costs a few ms.
    """
    if not hasattr(yaml, "CSafeLoader"):  # pragma: no cover - PyYAML built without libyaml
        return yaml.SafeLoader

    class CParserPythonComposer(yaml.composer.Composer, yaml.CSafeLoader):
        def __init__(self, stream: str) -> None:
            yaml.CSafeLoader.__init__(self, stream)
            yaml.composer.Composer.__init__(self)

    return CParserPythonComposer


class _Loader(_fast_base()):  # type: ignore[misc]
    """Composes nodes and stops, with the line, at the first one nested deeper than MAX_DEPTH."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH + 1:
                event: Any = self.peek_event()
                raise _TooDeep(event.start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_TRUSTED_LOADER: Any = getattr(yaml, "CSafeLoader", _Loader)
"""libyaml's own composer, for the built-in profiles only (see read_yaml)."""


class YMap(dict[str, Any]):
    """A mapping from a YAML file that remembers the line (1-based) of each key and of itself."""

    line: int = 0
    key_lines: dict[str, int]


class YList(list[Any]):
    """A sequence from a YAML file that remembers the line of each item and of itself."""

    line: int = 0
    item_lines: list[int]


_YAML12_FLOAT = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)[eE][-+]?\d+$")
"""YAML 1.2 floats that PyYAML (YAML 1.1) reads as text, such as 1.0e12 (no sign in the exponent)."""


def _scalar(node: yaml.ScalarNode, ctor: yaml.constructor.SafeConstructor) -> Any:
    if node.tag == _T + "str" and not node.style and _YAML12_FLOAT.match(node.value):
        return float(node.value)
    if node.tag == _T + "timestamp":
        return str(node.value)  # dates stay text; the schema checks their form
    if node.tag == _T + "float":
        text = node.value.lower().lstrip("+-")
        if text in (".nan", ".inf"):
            return math.nan if text == ".nan" else (-math.inf if node.value.startswith("-") else math.inf)
    return ctor.construct_object(node)


class _Walker:
    """Turns composed nodes into YMap/YList/scalars; `keypath` names each node in messages (gpus[3].name)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.nodes = 0
        self.ctor = yaml.constructor.SafeConstructor()

    def fail(self, node: yaml.Node, keypath: str, message: str) -> ProfileError:
        return ProfileError([f"{self.path}:{node.start_mark.line + 1}: {keypath or '(top level)'}: {message}"])

    def walk(self, node: yaml.Node, depth: int, keypath: str = "") -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, keypath, _TOO_MANY)
        if depth > MAX_DEPTH:
            raise self.fail(node, keypath, _TOO_DEEP)
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise self.fail(node, keypath, f"tag {node.tag!r} is not allowed; use plain YAML values")
            try:
                return _scalar(node, self.ctor)
            except (ValueError, OverflowError):  # e.g. an integer of more than 4,300 digits
                shown = node.value if len(node.value) <= 20 else node.value[:17] + "..."
                raise self.fail(node, keypath, f"number {shown!r} is too long; write it with an exponent (e.g. 1.5e12)") from None
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _T + "seq":
                raise self.fail(node, keypath, f"tag {node.tag!r} is not allowed; use a plain list")
            out = YList(self.walk(item, depth + 1, f"{keypath}[{i}]") for i, item in enumerate(node.value))
            out.line = node.start_mark.line + 1
            out.item_lines = [item.start_mark.line + 1 for item in node.value]
            return out
        if isinstance(node, yaml.MappingNode):
            if node.tag != _T + "map":
                raise self.fail(node, keypath, f"tag {node.tag!r} is not allowed; use a plain mapping")
            return self.mapping(node, depth, keypath)
        raise self.fail(node, keypath, "unsupported YAML node")  # pragma: no cover - the composer makes only these three

    def mapping(self, node: yaml.MappingNode, depth: int, keypath: str) -> YMap:
        out = YMap()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        merged: list[YMap] = []
        for key_node, value_node in node.value:
            if key_node.tag == _T + "merge":
                value = self.walk(value_node, depth + 1, keypath)
                merged.extend(value if isinstance(value, list) else [value])
                continue
            key = self.walk(key_node, depth + 1, keypath)
            if not isinstance(key, str):
                raise self.fail(key_node, keypath, f"key {key!r} must be text")
            inner = f"{keypath}.{key_text(key)}" if keypath else key_text(key)
            if key in out:
                raise self.fail(key_node, inner, f"duplicate key (first on line {out.key_lines[key]}); keep one")
            out[key] = self.walk(value_node, depth + 1, inner)
            out.key_lines[key] = key_node.start_mark.line + 1
        for extra in merged:
            if not isinstance(extra, YMap):
                raise self.fail(node, keypath, "'<<' merges only mappings")
            for key, value in extra.items():
                if key not in out:
                    out[key] = value
                    out.key_lines[key] = extra.key_lines[key]
        return out


def file_kind(path: str | Path) -> str:
    """What a path a user typed names: "file", "dir", "other" (a FIFO, a device) or "none". A name longer than the
    system allows, one with a NUL byte, or a directory that cannot be searched is "none", never an exception
    (Python 3.11's Path.is_file raises on some of them).

    >>> file_kind("/"), file_kind("x" * 5000), file_kind("a" + chr(0) + "b")
    ('dir', 'none', 'none')
    """
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return "none"
    return "file" if stat.S_ISREG(mode) else "dir" if stat.S_ISDIR(mode) else "other"


def read_yaml(path: Path, label: str | None = None, trusted: bool = False) -> Any:
    """Parse one YAML file into plain values with line numbers (YMap/YList), or raise ProfileError.

    `label` is how the file is named in messages (defaults to the path as given). `trusted` files
    (the profiles shipped with llmcost, tested in tests/test_profiles.py) are composed by libyaml in C,
    several times faster; every other file goes through the depth-guarded composer.
    An empty file gives None.
    """
    name = label or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ProfileError([f"{name}:1: file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for profile files"])
        raw = path.read_bytes()
    except OSError as e:
        raise ProfileError([f"{name}:1: cannot read file: {e.strerror or e}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProfileError([f"{name}:1: not UTF-8 text (byte {e.start}); save the file as UTF-8"]) from None
    return read_yaml_text(text, name, trusted)


def _where(text: str, mark: yaml.Mark | None) -> str:
    """'LINE: column COL: ' of a parser mark; libyaml puts end-of-stream marks one line past an unterminated last line."""
    if mark is None:
        return "1: "
    lines = text.split("\n")
    if mark.line >= len(lines):
        return f"{len(lines)}: column {len(lines[-1]) + 1}: "
    return f"{mark.line + 1}: column {mark.column + 1}: "


def read_yaml_text(text: str, name: str, trusted: bool = False) -> Any:
    """Parse YAML text (see read_yaml); `name` labels messages."""
    if "\x00" in text:
        raise ProfileError([f"{name}:1: contains NUL bytes; this is not a text file"])
    try:
        nodes = list(yaml.compose_all(text, Loader=_TRUSTED_LOADER if trusted else _Loader))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        if "nesting depth" in str(e.problem):  # libyaml >= 0.2.6 (PyYAML 6.0.4 wheels) stops deep documents itself
            raise ProfileError([f"{name}:{_where(text, mark).split(':')[0]}: {_TOO_DEEP}"]) from None
        raise ProfileError([f"{name}:{_where(text, mark)}YAML syntax error: {e.problem or e.context}"]) from None
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, max(e.position, 0)) + 1
        code = ord(e.character) if isinstance(e.character, str) else int(e.character)
        raise ProfileError([f"{name}:{line}: character U+{code:04X} is not allowed in YAML ({e.reason}); remove it"]) from None
    except _TooDeep as e:
        raise ProfileError([f"{name}:{e.line}: {_TOO_DEEP}"]) from None
    except (yaml.YAMLError, RecursionError, ValueError) as e:
        raise ProfileError([f"{name}:1: YAML error: {str(e).splitlines()[0] if str(e) else type(e).__name__}"]) from None
    if len(nodes) > 1:
        raise ProfileError([f"{name}:{nodes[1].start_mark.line + 1}: more than one YAML document; keep one per file"])
    if not nodes or nodes[0] is None:
        return None
    try:
        return _Walker(name).walk(nodes[0], 0)
    except RecursionError:
        raise ProfileError([f"{name}:1: nesting too deep"]) from None
    except (yaml.YAMLError, ValueError, OverflowError) as e:
        raise ProfileError([f"{name}:1: bad value: {str(e).splitlines()[0]}"]) from None
