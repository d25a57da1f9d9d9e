"""Safe YAML reading that keeps line numbers and rejects what a data file should never contain.

The file is composed (never constructed) with the safe C parser when available, then walked here:
only plain scalars, mappings and sequences are accepted; duplicate keys, custom tags (such as
``!!python/object``), alias bombs, very deep nesting and oversized files are rejected with the file
and line in the message.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from llmcost.errors import ProfileError

MAX_FILE_BYTES = 2_000_000
"""Largest profile or scenario file accepted (2 MB): the built-in profiles are under 200 kB together."""
MAX_NODES = 200_000
"""Most values a document may expand to, aliases included: stops 'billion laughs' documents."""
MAX_DEPTH = 40
"""Deepest nesting accepted; profile files need fewer than 6 levels."""

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_T = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_T + t for t in ("str", "int", "float", "bool", "null", "timestamp")}


class YMap(dict[str, Any]):
    """A mapping from a YAML file that remembers the line (1-based) of each key and of itself."""

    line: int = 0
    key_lines: dict[str, int]


class YList(list[Any]):
    """A sequence from a YAML file that remembers the line of each item and of itself."""

    line: int = 0
    item_lines: list[int]


def _scalar(node: yaml.ScalarNode, ctor: yaml.constructor.SafeConstructor) -> Any:
    if node.tag == _T + "timestamp":
        return str(node.value)  # dates stay text; the schema checks their form
    if node.tag == _T + "float":
        text = node.value.lower().lstrip("+-")
        if text in (".nan", ".inf"):
            return math.nan if text == ".nan" else (-math.inf if node.value.startswith("-") else math.inf)
    return ctor.construct_object(node)


class _Walker:
    def __init__(self, path: str) -> None:
        self.path = path
        self.nodes = 0
        self.ctor = yaml.constructor.SafeConstructor()

    def fail(self, node: yaml.Node, message: str) -> ProfileError:
        return ProfileError([f"{self.path}:{node.start_mark.line + 1}: {message}"])

    def walk(self, node: yaml.Node, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, f"document expands to more than {MAX_NODES} values (alias bomb?); write it out plainly")
        if depth > MAX_DEPTH:
            raise self.fail(node, f"nesting deeper than {MAX_DEPTH} levels; profile files are flat lists of entries")
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise self.fail(node, f"tag {node.tag!r} is not allowed; use plain YAML values")
            return _scalar(node, self.ctor)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _T + "seq":
                raise self.fail(node, f"tag {node.tag!r} is not allowed; use a plain list")
            out = YList(self.walk(item, depth + 1) for item in node.value)
            out.line = node.start_mark.line + 1
            out.item_lines = [item.start_mark.line + 1 for item in node.value]
            return out
        if isinstance(node, yaml.MappingNode):
            if node.tag != _T + "map":
                raise self.fail(node, f"tag {node.tag!r} is not allowed; use a plain mapping")
            return self.mapping(node, depth)
        raise self.fail(node, "unsupported YAML node")  # pragma: no cover - the composer makes only these three

    def mapping(self, node: yaml.MappingNode, depth: int) -> YMap:
        out = YMap()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        merged: list[YMap] = []
        for key_node, value_node in node.value:
            if key_node.tag == _T + "merge":
                value = self.walk(value_node, depth + 1)
                merged.extend(value if isinstance(value, list) else [value])
                continue
            key = self.walk(key_node, depth + 1)
            if not isinstance(key, str):
                raise self.fail(key_node, f"key {key!r} must be text")
            if key in out:
                raise self.fail(key_node, f"duplicate key {key!r} (first on line {out.key_lines[key]})")
            out[key] = self.walk(value_node, depth + 1)
            out.key_lines[key] = key_node.start_mark.line + 1
        for extra in merged:
            if not isinstance(extra, YMap):
                raise self.fail(node, "'<<' merges only mappings")
            for key, value in extra.items():
                if key not in out:
                    out[key] = value
                    out.key_lines[key] = extra.key_lines[key]
        return out


def read_yaml(path: Path, label: str | None = None) -> Any:
    """Parse one YAML file into plain values with line numbers (YMap/YList), or raise ProfileError.

    `label` is how the file is named in messages (defaults to the path as given).
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
    return read_yaml_text(text, name)


def read_yaml_text(text: str, name: str) -> Any:
    """Parse YAML text (see read_yaml); `name` labels messages."""
    if "\x00" in text:
        raise ProfileError([f"{name}:1: contains NUL bytes; this is not a text file"])
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{mark.line + 1}: column {mark.column + 1}: " if mark else "1: "
        raise ProfileError([f"{name}:{where}YAML syntax error: {e.problem or e.context}"]) from None
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
