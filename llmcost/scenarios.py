"""Scenarios: a built-in id or a YAML file, with `--set dotted.key=value` overrides, validated by the schema."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from llmcost.catalog import Catalog, Located, check_references, parse_gpu_option
from llmcost.errors import LlmcostError, ProfileError, unknown
from llmcost.numbers import parse_quantity
from llmcost.schema import Bounds, Problems, Scenario, Spec, Uncertain, build, parse_range, spec_bounds, spec_of, yaml_key
from llmcost.yamlsrc import file_kind, read_yaml

DEFAULT_SCENARIO = "team-assistant"


def to_plain(value: Any) -> Any:
    """A record as nested dicts and lists (the shape a YAML file would have)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {yaml_key(f): to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if getattr(value, f.name) is not None}
    if isinstance(value, (tuple, list)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value


def _read_file(path: Path) -> dict[str, Any]:
    doc = read_yaml(path)
    if isinstance(doc, dict) and "scenarios" in doc:
        items = doc["scenarios"]
        if not isinstance(items, list) or len(items) != 1:
            raise ProfileError([f"{path}:{getattr(doc, 'line', 1)}: scenarios: a scenario file holds exactly one scenario"])
        doc = items[0]
    if not isinstance(doc, dict):
        raise ProfileError([f"{path}:1: expected a scenario mapping (workload, serving, options, economics, lifecycle)"])
    plain = dict(doc)
    plain.setdefault("id", path.stem.lower().replace(" ", "-"))
    plain.setdefault("name", path.stem)
    plain.setdefault("description", f"scenario from {path.name}")
    out = type(doc)(plain)
    out.__dict__.update(getattr(doc, "__dict__", {}))
    return out


def spec_at(key: str, what: str = "--set") -> Spec:
    """The field spec of a dotted scenario key (`workload.requests_per_day`), or an error naming the closest keys."""
    path = key.split(".")
    cls: Any = Scenario
    spec: Spec | None = None
    for i, part in enumerate(path):
        if cls is None:  # a value has no keys below it
            raise LlmcostError(f"{what} {key}: {'.'.join(path[:i])} is a value, not a section; e.g. {'.'.join(path[:i])}=VALUE")
        fields = {yaml_key(f): f for f in dataclasses.fields(cls)}
        if part not in fields:
            where = ".".join(path[:i]) or "scenario"
            raise LlmcostError(f"{what} {key}: {unknown(f'key in {where}', part, fields)}")
        spec = spec_of(fields[part])
        cls = spec.record if spec.type == "record" else None
    if spec is None or spec.type == "record":
        raise LlmcostError(f"{what} {key}: name a value, e.g. workload.requests_per_day=5000")
    return spec


def coerce(text: str, spec: Spec, what: str) -> Any:
    """A --set value as the type its field wants."""
    if spec.type == "num" and ".." in text:
        return range_text(text, spec_bounds(spec), what)
    if spec.type in ("num", "int"):
        value = parse_quantity(text, what, minimum=None, integer=spec.type == "int")
        return int(value) if spec.type == "int" else value
    if spec.type == "bool":
        low = text.strip().lower()
        if low in ("true", "yes", "1", "on"):
            return True
        if low in ("false", "no", "0", "off"):
            return False
        raise LlmcostError(f"{what}: expected true or false, got {text!r}")
    if spec.type == "refs":
        return [t.strip() for t in text.split(",") if t.strip()]
    return text.strip()


def typed(value: Any, spec: Spec, what: str) -> Any:
    """A Python value given for a scenario key (number, text, list of ids, bool) as the type its field wants;
    text goes through `coerce`, so `"5k"` and `"1000..5000"` work as on the command line."""
    if isinstance(value, str):
        return coerce(value, spec, what)
    if spec.type in ("num", "int"):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise LlmcostError(f"{what}: expected a number, got {value!r}")
        if spec.type == "int":
            if not float(value).is_integer():
                raise LlmcostError(f"{what}: expected a whole number, got {value!r}")
            return int(value)
        return float(value)
    if spec.type == "bool":
        if not isinstance(value, bool):
            raise LlmcostError(f"{what}: expected true or false, got {value!r}")
        return value
    if spec.type == "refs" and isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value]
    raise LlmcostError(f"{what}: expected {'a list of ids' if spec.type == 'refs' else 'a text'}, got {value!r}")


def parse_sets(sets: Sequence[str], what: str = "--set") -> dict[str, str]:
    """`KEY=VALUE` texts (the command line's --set) as a mapping, later wins; assumptions.* keys kept as they are."""
    out: dict[str, str] = {}
    for item in sets:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise LlmcostError(f"{what} {item!r}: expected KEY=VALUE, e.g. workload.requests_per_day=5000")
        out[key] = value
    return out


def as_overrides(overrides: Mapping[str, Any] | Sequence[str] | None, what: str = "--set") -> dict[str, Any]:
    """Overrides given as a mapping, or as `KEY=VALUE` texts, as a mapping."""
    if overrides is None:
        return {}
    return dict(overrides) if isinstance(overrides, Mapping) else parse_sets(overrides, what)


def range_text(text: str, bounds: Bounds, what: str) -> Uncertain:
    """`low..high` (uniform) or `low..mode..high` (triangular) from the command line, checked like a range in a file."""
    parts = text.split("..")
    if len(parts) not in (2, 3):
        raise LlmcostError(f"{what}: {text!r}: write a range as low..high or low..mode..high, e.g. 0.1..0.3")
    values = [parse_quantity(v, what, minimum=None) for v in parts]
    keys = ("low", "high") if len(values) == 2 else ("low", "mode", "high")
    problems = Problems(what)
    rng = parse_range(dict(zip(keys, values, strict=True)), bounds, (0, "range"), problems)
    if rng is None:
        raise LlmcostError(f"{what}={text}: " + problems.lines[0].split(": ", 2)[-1])
    return rng


def apply(plain: dict[str, Any], overrides: Mapping[str, Any], what: str = "--set") -> dict[str, Any]:
    """Apply dotted-key overrides to a plain scenario mapping."""
    for key, value in overrides.items():
        path = key.split(".")
        spec = spec_at(key, what)
        node = plain
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # a value where a section belongs: the file's own check names it
                break
            node = child
        else:
            node[path[-1]] = typed(value, spec, f"{what} {key}")
    return plain


def resolve(cat: Catalog, scenario: str | None, overrides: Mapping[str, Any] | Sequence[str] = (), what: str = "--set") -> Scenario:
    """The scenario named by id or file path, with overrides applied and references checked.

    `overrides` maps dotted keys to values (`{"workload.requests_per_day": 5000}`), or is a list of
    `KEY=VALUE` texts as given to --set; `assumptions.*` keys are left to the catalog."""
    given = as_overrides(overrides, what)
    sets = {k: v for k, v in given.items() if not k.startswith("assumptions.")}
    name = scenario or DEFAULT_SCENARIO
    path = Path(name)
    if name in cat.entries["scenarios"]:
        plain: dict[str, Any] = to_plain(cat.entries["scenarios"][name])
        label = f"scenario {name}"
    elif path.suffix in (".yaml", ".yml") or file_kind(path) != "none":
        if file_kind(path) != "file":
            raise LlmcostError(f"--scenario {name!r}: no such file")
        plain = _read_file(path)
        label = str(path)
    else:
        raise LlmcostError(unknown("scenario", name, cat.entries["scenarios"]) + " (or give a path to a .yaml file)")
    if sets:
        plain = apply(to_plain(plain), sets, what)
        _check_set_ids(cat, sets, what)
    problems = Problems(label)
    rec = build(Scenario, plain, problems, getattr(plain, "line", 1), "scenario")
    if rec is None:
        raise ProfileError(problems.lines)
    probe = Catalog(entries={**cat.entries, "scenarios": {rec.id: rec}}, assumptions=cat.assumptions,
                    where={**cat.where, ("scenarios", rec.id): cat.where.get(("scenarios", rec.id), Located(label, 1))})
    dangling = [p for p in check_references(probe) if "scenarios[" in p]
    if dangling:
        raise ProfileError(dangling)
    resolved: Scenario = rec
    return resolved


_SET_KINDS = {"serving.model": "models", "serving.engine": "engines", "serving.quantization": "quantizations",
              "options.gpus": "gpus", "options.apis": "apis", "options.rentals": "rentals"}


def _check_set_ids(cat: Catalog, sets: Mapping[str, Any], what: str) -> None:
    """Unknown ids given as overrides are named as such, with the closest valid ids."""
    for key, value in sets.items():
        kind = _SET_KINDS.get(key)
        if kind is None:
            continue
        words = [str(v).strip() for v in value] if isinstance(value, (list, tuple)) else [v.strip() for v in str(value).split(",")]
        for word in [w for w in words if w]:
            if kind == "gpus":
                word = parse_gpu_option(word)[1]
            if (kind == "engines" and word == "auto") or (kind == "rentals" and word == "auto"):
                continue
            try:
                cat.get(kind, word)
            except LlmcostError as e:
                shown = ",".join(value) if isinstance(value, (list, tuple)) else str(value).strip()
                raise LlmcostError(f"{what} {key}={shown}: {e}") from None


def with_values(sc: Scenario, values: Mapping[str, Any]) -> Scenario:
    """The scenario with numbers replaced by the values (arrays of draws or grid points) at dotted keys;
    keys of records the scenario leaves out (economics, lifecycle) create them."""
    out: Scenario = _substitute(sc, values, "")
    return out


def _substitute(rec: Any, values: Mapping[str, Any], prefix: str) -> Any:
    changes = {}
    for f in dataclasses.fields(rec):
        v = getattr(rec, f.name)
        key = prefix + yaml_key(f)
        if key in values:
            changes[f.name] = values[key]
        elif any(k.startswith(key + ".") for k in values):
            sub = v if v is not None else spec_of(f).record()
            new = _substitute(sub, values, key + ".")
            if new is not v:
                changes[f.name] = new
    return dataclasses.replace(rec, **changes) if changes else rec
