"""Loading profiles: built-ins, then user directories and files, merged by id, references checked."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from llmcost import bounds, cache
from llmcost.errors import LlmcostError, ProfileError, closest, key_text, unknown
from llmcost.schema import ALL_KINDS, ASSUMPTIONS, KINDS, Api, Assumption, Gpu, Problems, Quantization, build
from llmcost.yamlsrc import YMap, file_kind, read_yaml, read_yaml_text

ASSUMPTION_NAMES: tuple[str, ...] = tuple(ASSUMPTIONS)
"""Every default the engine reads (their bounds: llmcost.schema.quantities); the values, rationales and sources
live in profiles/assumptions.yaml."""

REPLACED_ASSUMPTIONS = {
    "host_usd": "the host catalogue (profiles/hosts.yaml) prices each box; set economics.host_usd to override it",
    "host_power_w": "the host catalogue (profiles/hosts.yaml) gives each box's power; set economics.host_power_w to override it",
    "consumer_gpus_per_host": "the host catalogue (profiles/hosts.yaml) gives each box's slots",
    "datacenter_host_usd_per_gpu": "the host catalogue (profiles/hosts.yaml) prices each server; rack servers are shared slot by slot",
    "datacenter_host_power_w_per_gpu": "the host catalogue (profiles/hosts.yaml) gives each server's power",
    "ops_usd_per_month": "use ops_hours_per_month and ops_usd_per_hour, or economics.ops_usd_per_month",
    "tp_efficiency_pcie": "tensor-parallel traffic is modelled per link: link_efficiency_pcie_p2p, link_efficiency_pcie_host "
                          "and the link_latency_us_* assumptions",
    "tp_efficiency_nvlink": "tensor-parallel traffic is modelled per link: link_efficiency_nvlink and link_latency_us_nvlink",
}
"""Assumptions that no longer exist, and what replaced them (named in the error when a profile or --set uses one)."""

BPW_RE = re.compile(r"^(\d{1,2}(?:\.\d{1,3})?)bpw$")

T = TypeVar("T")
DERIVED_LIMIT = 4096
"""Values a catalog keeps in `Catalog.derived` before it starts afresh (a loop over made-up ids such as `4.5bpw`
makes new records each time: the table must not grow with it)."""


def builtin_dir() -> Path:
    """The profiles shipped with the package (inside the wheel, or the checkout's profiles/)."""
    here = Path(__file__).resolve().parent
    packaged = here / "_profiles"
    return packaged if packaged.is_dir() else here.parent / "profiles"


BUILTIN_DATA_DIR = "data"
"""Folder of the built-in profiles that holds data files for one command each (price_aliases.yaml for
`profiles import-prices`), not profiles: the loader skips it."""


def builtin_data_file(name: str) -> Path:
    """A data file shipped beside the built-in profiles (profiles/data/NAME)."""
    return builtin_dir() / BUILTIN_DATA_DIR / name


@dataclass(frozen=True)
class Located:
    """Where an entry was defined: file and line, for messages about it."""

    path: str
    line: int


@dataclass
class Catalog:
    """Every profile entry by kind and id, plus assumptions, with where each came from."""

    entries: dict[str, dict[str, Any]] = field(default_factory=lambda: {k: {} for k in KINDS})
    assumptions: dict[str, Assumption] = field(default_factory=dict)
    where: dict[tuple[str, str], Located] = field(default_factory=dict)
    overridden: dict[tuple[str, str], Located] = field(default_factory=dict)
    """Built-in entries that a user file replaced, with where the built-in one was (listed by `profiles validate`)."""
    memo: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = field(default_factory=dict, init=False, compare=False, repr=False)
    """Values derived from these entries (`derived`), by function and arguments; a new Catalog (its constructor,
    `copy`, `dataclasses.replace`) starts with none."""

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "memo": {}}  # the disk cache holds profiles, not what one process derived from them

    def derived(self, make: Callable[..., T], *args: Any) -> T:
        """`make(self, *args)`, made once per catalog and arguments: for pure functions of the profiles that a
        per-configuration call would otherwise redo. A catalog is not changed once loaded (a changed one is a new
        Catalog: `copy`, `with_assumption`, `load` with user files), so what it derived stays true. Profile records
        (frozen) are matched by identity and kept alive with the value; numbers and text by value."""
        key = (make, *map(_derived_key, args))
        hit = self.memo.get(key)
        if hit is not None:
            return hit[1]  # type: ignore[no-any-return]
        value = make(self, *args)
        if len(self.memo) >= DERIVED_LIMIT:
            self.memo.clear()
        self.memo[key] = (args, value)
        return value

    def copy(self) -> Catalog:
        """A copy whose tables can take more entries without changing this one (the records are shared: frozen)."""
        return Catalog({k: dict(v) for k, v in self.entries.items()}, dict(self.assumptions), dict(self.where),
                       dict(self.overridden))

    def get(self, kind: str, id_: str) -> Any:
        """The entry `id_` of `kind`, or a LlmcostError naming the closest ids."""
        table = self.entries[kind]
        if id_ in table:
            return table[id_]
        if kind == "quantizations":
            bpw = BPW_RE.fullmatch(id_)
            if bpw:
                return Quantization(id=id_, name=f"{bpw.group(1)} bits per weight (EXL2-style)",
                                    bits_per_weight=float(bpw.group(1)), tensor_rate="fp16")
        raise LlmcostError(unknown(kind[:-1] if kind != "quantizations" else "quantization", id_, table))

    def value(self, name: str) -> float:
        """An assumption's value (bug if missing: the built-in file must define every name)."""
        return self.assumptions[name].value

    def ids(self, kind: str) -> list[str]:
        return list(self.entries[kind])


def _derived_key(arg: Any) -> Any:
    """An argument of Catalog.derived as part of a key: values (None, numbers, text, tuples of them) as they are,
    anything else (a record, an array) by identity, in a 1-tuple that no value equals."""
    plain = (str, int, float, type(None))
    if isinstance(arg, plain) or (isinstance(arg, tuple) and all(isinstance(a, plain) for a in arg)):
        return arg
    return (id(arg),)


def _profile_files(root: Path) -> list[Path]:
    kind = file_kind(root)
    if kind == "file":
        return [root]
    if kind != "dir":
        raise LlmcostError(f"profiles path {str(root)!r} does not exist; pass a directory of .yaml files or a file")
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


Owners = dict[tuple[str, str], Located]
"""Where each (kind, id) was defined by the files of one origin (built-in, or user): an id defined twice is an error."""


def _load_doc(doc: Any, cat: Catalog, problems: Problems, owners: Owners) -> None:
    if doc is None:  # empty, or only comments: most likely a file saved half-written
        problems.add(1, "(top level)", f"file is empty; expected a mapping of kinds ({', '.join(ALL_KINDS)})")
        return
    if not isinstance(doc, YMap):
        problems.add(getattr(doc, "line", 1), "(top level)", f"expected a mapping of kinds ({', '.join(ALL_KINDS)})")
        return
    for kind, body in doc.items():
        line = doc.key_lines[kind]
        if kind not in ALL_KINDS:
            near = closest(str(kind), ALL_KINDS)
            hint = f"did you mean {near[0]!r}?" if near else f"valid kinds: {', '.join(ALL_KINDS)}"
            problems.add(line, key_text(kind), f"unknown profile kind; {hint}")
        elif kind == "assumptions":
            _load_assumptions(body, line, cat, problems, owners)
        else:
            _load_entries(kind, body, line, cat, problems, owners)


def _claim(key: tuple[str, str], here: Located, keypath: str, cat: Catalog, problems: Problems, owners: Owners) -> bool:
    """Record that `here` defines `key`; False, with a problem naming both places, when a file of the same origin
    already did. A user entry that replaces a built-in one is noted in `cat.overridden`."""
    first = owners.get(key)
    if first is not None:
        problems.add(here.line, keypath, f"{key[1]!r} is also defined at {first.path}:{first.line}; define it once "
                                         "(a user file may override a built-in entry, not another user file's)")
        return False
    owners[key] = here
    if key in cat.where:
        cat.overridden[key] = cat.where[key]
    cat.where[key] = here
    return True


def _load_assumptions(body: Any, line: int, cat: Catalog, problems: Problems, owners: Owners) -> None:
    if not isinstance(body, dict):
        problems.add(line, "assumptions", "expected a mapping of name -> {value, rationale, source}")
        return
    for name, item in body.items():
        item_line = body.key_lines.get(name, line) if isinstance(body, YMap) else line
        if name not in ASSUMPTION_NAMES:
            near = closest(str(name), ASSUMPTION_NAMES)
            hint = (f"it was replaced: {REPLACED_ASSUMPTIONS[name]}" if name in REPLACED_ASSUMPTIONS
                    else f"did you mean {near[0]!r}?" if near else "see `llmcost profiles list assumptions`")
            problems.add(item_line, f"assumptions.{key_text(name)}", f"unknown assumption; {hint}")
            continue
        rec = build(Assumption, item, problems, item_line, f"assumptions.{name}", numbers=ASSUMPTIONS[name])
        if rec is not None and _claim(("assumptions", name), Located(problems.path, item_line), f"assumptions.{name}",
                                      cat, problems, owners):
            cat.assumptions[name] = rec


def _load_entries(kind: str, body: Any, line: int, cat: Catalog, problems: Problems, owners: Owners) -> None:
    if not isinstance(body, list):
        problems.add(line, kind, "expected a list of entries, each with an `id`")
        return
    seen: dict[str, int] = {}
    for i, item in enumerate(body):
        item_line = body.item_lines[i] if hasattr(body, "item_lines") else line
        rec = build(KINDS[kind], item, problems, item_line, f"{kind}[{i}]")
        if rec is None:
            continue
        if rec.id in seen:
            problems.add(item_line, f"{kind}[{i}].id", f"duplicate id {rec.id!r} (first on line {seen[rec.id]})")
            continue
        seen[rec.id] = item_line
        if _claim((kind, rec.id), Located(problems.path, item_line), f"{kind}[{i}].id", cat, problems, owners):
            cat.entries[kind][rec.id] = rec


def parse_gpu_option(text: str) -> tuple[int, str]:
    """'2xrtx-3090' -> (2, 'rtx-3090'); 'rtx-4090' -> (1, 'rtx-4090')."""
    m = re.match(r"^(\d+)x(.+)$", text.strip())
    if m:
        count = int(m.group(1))
        if count < 1:
            raise LlmcostError(f"GPU option {text!r}: the count before 'x' must be at least 1 (e.g. '2xrtx-3090')")
        bounds.check("gpu_count", count, what=f"GPU option {_short(text)}: the count before 'x'")
        return count, m.group(2)
    return 1, text.strip()


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def check_references(cat: Catalog) -> list[str]:
    """Dangling references between entries, as `path:line: key.path: message` lines."""
    out: list[str] = []

    def need(kind: str, owner: tuple[str, str], keypath: str, target: str | None) -> None:
        if target is None:
            return
        if kind == "quantizations" and BPW_RE.fullmatch(target):
            return
        if target not in cat.entries[kind]:
            loc = cat.where[owner]
            out.append(f"{loc.path}:{loc.line}: {owner[0]}[{owner[1]}].{keypath}: {unknown(kind[:-1], target, cat.entries[kind])}")

    for api in cat.entries["apis"].values():
        need("models", ("apis", api.id), "serves_model", api.serves_model)
    for rental in cat.entries["rentals"].values():
        need("gpus", ("rentals", rental.id), "gpu", rental.gpu)
    for model in cat.entries["models"].values():
        need("models", ("models", model.id), "base_model", model.base_model)
        if model.reported is not None:
            need("gpus", ("models", model.id), "reported.gpu", model.reported.gpu)
        if (model.experts is None) != (model.experts_per_token is None) or (model.experts is None) != (model.expert_params_b is None):
            loc = cat.where[("models", model.id)]
            out.append(f"{loc.path}:{loc.line}: models[{model.id}]: MoE needs experts, experts_per_token and expert_params_b together")
    for engine in cat.entries["engines"].values():
        for q in engine.quantizations:
            if q != "*bpw":
                need("quantizations", ("engines", engine.id), "quantizations", q)
    for cal in cat.entries["calibrations"].values():
        owner = ("calibrations", cal.id)
        need("gpus", owner, "gpu", cal.gpu)
        need("engines", owner, "engine", cal.engine)
        need("quantizations", owner, "quantization", cal.quantization)
        for run in cal.runs:
            need("models", owner, "runs.model", run.model)
    for sc in cat.entries["scenarios"].values():
        owner = ("scenarios", sc.id)
        need("models", owner, "serving.model", sc.serving.model)
        if sc.serving.engine != "auto":
            need("engines", owner, "serving.engine", sc.serving.engine)
        need("quantizations", owner, "serving.quantization", sc.serving.quantization)
        for g in sc.options.gpus:
            try:
                need("gpus", owner, "options.gpus", parse_gpu_option(g)[1])
            except LlmcostError as e:
                loc = cat.where[owner]
                out.append(f"{loc.path}:{loc.line}: scenarios[{sc.id}].options.gpus: {e}")
        for r in sc.options.rentals:
            if r != "auto":
                need("rentals", owner, "options.rentals", r)
        for a in sc.options.apis:
            need("apis", owner, "options.apis", a)
    return out


def _check_assumptions_complete(cat: Catalog, label: str) -> list[str]:
    missing = [n for n in ASSUMPTION_NAMES if n not in cat.assumptions]
    return [f"{label}:1: assumptions: missing {', '.join(missing)}"] if missing else []


def user_profile_paths(cli_dirs: Sequence[str] = ()) -> list[Path]:
    """LLMCOST_PROFILES (os.pathsep list) first, then --profiles in the order given."""
    env = os.environ.get("LLMCOST_PROFILES", "")
    return [Path(p) for p in env.split(os.pathsep) if p] + [Path(p) for p in cli_dirs]


def load(user_paths: Sequence[Path] = (), *, builtin: bool = True, skip: Sequence[Path] = ()) -> Catalog:
    """The built-in profiles (validated once per process: `builtin_catalog`), then each user path on top.

    A user entry replaces the built-in entry with the same id (noted in `overridden`); an id defined in two user
    files is an error naming both. A file reached twice (the same directory in LLMCOST_PROFILES and --profiles) is
    read once; files in `skip` are not read. Raises ProfileError listing every problem (files, lines, key paths).
    """
    cat = builtin_catalog().copy() if builtin else Catalog()
    problems_all: list[str] = []
    owners: Owners = {}
    done = {p.resolve() for p in skip}
    for root in user_paths:
        for path in _profile_files(root):
            if path.resolve() in done:
                continue
            done.add(path.resolve())
            problems = Problems(str(path))
            try:
                _load_doc(read_yaml(path, str(path)), cat, problems, owners)
            except ProfileError as e:
                problems.lines.extend(e.problems)
            problems_all.extend(problems.lines)
    if owners and not problems_all:
        problems_all.extend(check_references(cat))
    if problems_all:
        raise ProfileError(sorted(problems_all, key=_problem_order))
    return cat


@functools.cache
def builtin_catalog() -> Catalog:
    """The profiles shipped with llmcost, validated: once per process, and from the disk cache (`cache`) when the
    files and the code that reads them are unchanged. Callers copy it before adding entries (`load` does)."""
    files = [(f"profiles/{p.relative_to(builtin_dir())}", p.read_bytes()) for p in _profile_files(builtin_dir())
             if p.relative_to(builtin_dir()).parts[0] != BUILTIN_DATA_DIR]
    key = cache.key(files)
    cat = cache.read(key)
    if not isinstance(cat, Catalog):
        cat = _validate_builtin(files)
        cache.write(key, cat)
    return cat


def _validate_builtin(files: Sequence[tuple[str, bytes]]) -> Catalog:
    cat = Catalog()
    problems_all: list[str] = []
    owners: Owners = {}
    for label, raw in files:
        problems = Problems(label)
        try:  # trusted: composed by libyaml in C (tests/test_profiles.py checks these files)
            _load_doc(read_yaml_text(raw.decode("utf-8"), label, trusted=True), cat, problems, owners)
        except ProfileError as e:
            problems.lines.extend(e.problems)
        problems_all.extend(problems.lines)
    if not problems_all:
        problems_all.extend(_check_assumptions_complete(cat, "profiles/assumptions.yaml"))
    if not problems_all:
        problems_all.extend(check_references(cat))
    if problems_all:
        raise ProfileError(sorted(problems_all, key=_problem_order))
    return cat


def _problem_order(line: str) -> tuple[str, int]:
    path, _, rest = line.partition(":")
    number = rest.partition(":")[0]
    return path, int(number) if number.isdigit() else 0


def with_assumption(cat: Catalog, name: str, value: float) -> Catalog:
    """A copy of `cat` with one assumption's value replaced (used by --set assumptions.NAME=V), checked against
    the assumption's bounds: LlmcostError outside the valid range, an ImplausibleValue warning outside the plausible one."""
    bounds.check(f"assumptions.{name}", value, what=f"--set assumptions.{name}")
    new = Catalog(entries=cat.entries, assumptions=dict(cat.assumptions), where=cat.where, overridden=cat.overridden)
    new.assumptions[name] = replace(cat.assumptions[name], value=value, source="set on the command line")
    return new


def gpu_price_usd(gpu: Gpu, used: bool) -> float:
    """Purchase price per GPU: used-market price when asked for and known, else new."""
    return gpu.used_price_usd if used and gpu.used_price_usd is not None else gpu.price_usd


def api_model(api: Api) -> str:
    """The model an API row is about: the open model it hosts (`serves_model`), else the API's own model, named
    by the API's id (`openai/gpt-4o-mini`): never the model the scenario serves on GPUs."""
    return api.serves_model or api.id
