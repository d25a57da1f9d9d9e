"""Generated invocations: values typical, at the edges of the bounds table, or hostile, for every option of every
command (the pools), and the edge values of every assumption, scenario key and option."""

from __future__ import annotations

import dataclasses
import json
import math
import random
from collections.abc import Callable
from typing import Any

from fuzzcli.contract import Case
from fuzzcli.workspace import Workspace
from llmcost import bounds, schema
from llmcost.schema import Bounds

# ------------------------------------------------------------------------------------------------ values

HOSTILE_TEXT = ["", " ", "x" * 5000, "\x1b[31mred\x1b[0m", "a\nb", "\u202eevil", "rtx-409", "RTX-4090", "../../etc/passwd", "%s%n",
                "{}", "null", "-1", "auto", "é" * 50, "\x00", "\t", "--help"]
NOT_NUMBERS = ["", " ", "abc", "nan", "NaN", "inf", "-inf", "Infinity", "1,000", "0x10", "\u0661\u0662", "1e", "--", "-", "5%", "\x1b5",
               "1e309", "9" * 400, "-" + "9" * 400, "1" + "0" * 400]
"""Texts that are no finite number as llmcost reads numbers (1e309 and the 400-digit ones overflow a float)."""


def valid_for(value: float, b: Bounds) -> bool:
    """Whether `value` is valid for `b`, decided from the table's fields (the oracle, not llmcost's check)."""
    if not math.isfinite(value) or value > b.le:
        return False
    if (b.gt is not None and not value > b.gt) or (b.ge is not None and not value >= b.ge):
        return False
    return not b.integer or value == int(value)


def number_text(rng: random.Random, b: Bounds, typical: tuple[float, float] | None = None, hostility: float = 1.0) -> tuple[str, bool]:
    """A number as text for a quantity with bounds `b`, and whether it is valid: typical, or (more often the higher
    `hostility`, 0 to 1) at an edge of its bounds or hostile."""
    r = rng.random() / max(hostility, 1e-9)
    if r > 0.55:
        low, high = typical or b.plausible or (b.lower or 0.0, min(b.le, 1e6))
        low, high = max(low, b.lower or low), min(high, b.le)
        value = math.exp(rng.uniform(math.log(max(low, 1e-9)), math.log(max(high, 1e-9)))) if low > 0 else rng.uniform(low, high)
    elif r > 0.2:
        lower = b.lower if b.lower is not None else -1.0
        value = rng.choice([lower, lower - 1e-9, lower + 1e-9, lower - 1, b.le, b.le * (1 + 1e-9), b.le + 1, 0.0, -1.0, 0.5, 1.0, 2.0,
                            1e300, -1e300, 1e18, 1e19, 2.0**63, 1e-300])
    else:
        return rng.choice(NOT_NUMBERS), False
    if b.integer and (r > 0.55 or rng.random() < 0.8):
        value = float(round(value)) if abs(value) < 1e300 else value
    return as_text(rng, value), valid_for(value, b)


def as_text(rng: random.Random, value: float) -> str:
    """A number written one of the ways llmcost reads numbers (the value stays exactly `value`)."""
    if value == int(value) and abs(value) < 1e15:
        n = int(value)
        choices = [str(n), f"{n:_}" if n >= 0 else str(n)]
        if n and n % 1000 == 0:
            choices.append(f"{n // 1000}k")
        if n and n % 1_000_000 == 0:
            choices.append(f"{n // 1_000_000}M")
        return rng.choice(choices)
    return repr(value)


# ------------------------------------------------------------------------------------------------ generating invocations

SCENARIO_COMMANDS = ("compare", "breakeven", "sensitivity", "sweep")
FORMATS = ["table", "csv", "json", "jsonl", "markdown"]
COMMON_GPUS = ["rtx-3090", "rtx-4090", "rtx-5090", "a100-80gb", "h100-sxm", "l40s", "rtx-a6000", "h200"]
"""GPUs that every engine runs on (a clean invocation mostly picks these; any id comes up too)."""


def _keys(command: str) -> list[str]:
    """The columns a command's rows hold (for --columns and gate conditions)."""
    from llmcost import comparison, diffs, uncertainty
    from llmcost.cli import estimates

    return {"compare": list(comparison.ROW_KEYS), "breakeven": list(comparison.BREAKEVEN_KEYS), "sweep": list(comparison.ROW_KEYS),
            "pretrain": list(estimates.PRETRAIN_TABLE), "finetune": list(estimates.FINETUNE_TABLE), "serve": list(estimates.SERVE_TABLE),
            "samples": list(uncertainty.MC_KEYS), "diff": list(diffs.DIFF_KEYS)}.get(command, ["option", "kind"])
COLUMNS_ENV = ["-5", "0", "1", "5", "20", "80", "200", "99999999999", "abc", "", " 80", "1e3", "\uff18\uff10"]


class Gen:
    """Builds one invocation of one command: `add` appends an option; values come from the pools below."""

    def __init__(self, rng: random.Random, ws: Workspace, command: str) -> None:
        self.rng, self.ws, self.command = rng, ws, command
        self.case = Case([*command.split()], command)
        self.small = True  # the run must stay small: no big Monte Carlo, no big sweep
        self.hostility = rng.choice([0.0, 0.0, 0.3, 0.3, 1.0])  # clean, a hostile value now and then, or chaos
        self.case.hostility = self.hostility

    def bad(self, p: float) -> bool:
        """Whether to put a hostile value here (probability `p` at full hostility)."""
        return self.rng.random() < p * self.hostility

    def pick(self, items: list[Any]) -> Any:
        return self.rng.choice(items)

    def ids(self, kind: str) -> str:
        known = self.ws.catalog_ids.get(kind)
        if kind == "gpus" and self.rng.random() < 0.7:
            known = COMMON_GPUS
        return self.pick(known) if known and not self.bad(0.2) else self.pick(HOSTILE_TEXT)

    def number(self, key: str, what: str, typical: tuple[float, float] | None = None) -> str:
        text, ok = number_text(self.rng, bounds.lookup(key), typical, self.hostility)
        if not ok:
            self.case.invalid.append(f"{what} {text[:30]!r}")
        return text


def _scenario_keys() -> dict[str, schema.Spec]:
    out: dict[str, schema.Spec] = {}

    def walk(cls: Any, prefix: str) -> None:
        for f in dataclasses.fields(cls):
            spec = schema.spec_of(f)
            key = prefix + schema.yaml_key(f)
            if spec.type == "record":
                walk(spec.record, key + ".")
            elif spec.type != "records":
                out[key] = spec

    walk(schema.Scenario, "")
    return out


SCENARIO_KEYS = _scenario_keys()
NUMERIC_KEYS = [k for k, s in SCENARIO_KEYS.items() if s.type in ("num", "int") and k in bounds.table()]
TYPICAL = {"workload.requests_per_day": (10, 1e6), "workload.input_tokens": (10, 8000), "workload.output_tokens": (10, 4000),
           "economics.horizon_months": (1, 60), "lifecycle.pretrain.tokens": (1e6, 1e12), "lifecycle.finetune.tokens": (1e4, 1e9)}
"""Typical ranges where the plausible range would make runs slow (a 360-month horizon, 1e15 training tokens)."""


def _set_value(g: Gen, key: str) -> str:
    spec = SCENARIO_KEYS.get(key)
    if key.startswith("assumptions.") and key in bounds.table():
        if g.bad(0.3):  # a range for Monte Carlo and sensitivity
            return g.pick(["1..2", "2..1", "0.1..0.2..0.3", "-1..5", "0..1e300", "..", "1..nan"])
        return g.number(key, f"--set {key}")
    if spec is not None and key in bounds.table():
        return g.number(key, f"--set {key}", TYPICAL.get(key))
    if key == "serving.model":
        return g.ids("models")
    if key == "serving.quantization":
        return g.ids("quantizations")
    if key in ("options.gpus",):
        return ",".join(_gpu_option(g) for _ in range(g.rng.randint(0, 2)))
    if key in ("options.apis",):
        return ",".join(g.ids("apis") for _ in range(g.rng.randint(0, 2)))
    if key == "options.rentals":
        return g.pick(["auto", "", g.ids("rentals")])
    if spec is not None and spec.type == "bool":
        return g.pick(["true", "false", "yes", "maybe", ""])
    return g.pick(["auto", "vllm", "llama.cpp", *HOSTILE_TEXT])


def _set(g: Gen) -> list[str]:
    out = []
    for _ in range(g.rng.choice([1, 1, 1, 2, 3])):
        if g.rng.random() < 0.5 or g.command not in SCENARIO_COMMANDS:
            key = "assumptions." + g.pick(g.ws.catalog_ids["assumptions"]) if not g.bad(0.1) else "assumptions.nope"
        else:
            key = g.pick([k for k in SCENARIO_KEYS if g.bad(0.3) or not k.startswith("lifecycle.")]) if not g.bad(0.1) else \
                g.pick(["workload.nope", "", "=", "workload"])
        if key == "economics.horizon_months" and g.command == "sweep":
            key = "workload.requests_per_day"  # a 1,200-month horizon over a grid is slow, not wrong
        value = _set_value(g, key)
        if g.command not in SCENARIO_COMMANDS and not key.startswith("assumptions."):
            g.case.invalid.append(f"--set {key} on {g.command}")
        if sum(1 for a in g.case.argv if a.startswith(key + "=")) or any(key == o.split("=")[0] for o in out):
            g.case.invalid = [i for i in g.case.invalid if key not in i]  # given twice: the last wins, no prediction
        out += ["--set", f"{key}={value}"]
    return out


def _gpu_option(g: Gen) -> str:
    gid = g.ids("gpus")
    r = g.rng.random()
    if r < 0.6:
        return gid
    n = g.pick(["1", "2", "4", "8", "3"] + (["0", "-1", "1e3", "9" * 400, "", "10000001", "99999999999999999999"] if g.bad(0.5) else []))
    if n in ("0", "10000001", "99999999999999999999") or len(n) > 30:
        g.case.invalid.append(f"--gpu {n[:20]}x{gid}")
    return f"{n}x{gid}"


def _output(g: Gen) -> list[str]:
    root = g.ws.root
    if g.rng.random() < 0.65:
        return []
    ext = g.pick([".csv", ".json", ".jsonl", ".md", ".txt", ".yaml", ""])
    good = [str(root / f"new{ext}"), str(root / "precious.csv"), str(root / "precious.json"), str(root / "link.csv"), "/dev/null", "-"]
    hostile = [str(root / "dangling.csv"), str(root / "adir"), str(root / "nowhere" / "x.csv"), str(root / ("x" * 300 + ".csv")),
               "/dev/full", str(root / "precious.csv" / "x.csv"), "/proc/version", str(g.ws.scenarios[0]),
               str(g.ws.profile_dirs["ok"] / "new.yaml"), ""]
    target = g.pick(hostile if g.bad(0.5) else good)
    if g.command == "calibrate" and g.rng.random() < 0.7:
        target = str(root / "calibration.yaml")
    g.case.output = target
    return ["-o", target]


def _format(g: Gen) -> list[str]:
    fmt = g.pick(["csv", "jsonl", "json"] if g.command == "sweep" else FORMATS) if not g.bad(0.2) else g.pick(["xml", "", "CSV", "table", *HOSTILE_TEXT])
    g.case.fmt = fmt
    return ["-f", fmt]


def _condition(g: Gen) -> str:
    """A --fail-if / --where condition: well formed (numbers of any size) or hostile."""
    numeric = {"tco_usd", "payback_months", "monthly_usd", "breakeven_tokens_per_day", "capex_usd", "utilization", "usd_per_mtok",
               "replicas", "gpu_hours", "cost_owned_usd", "tpot_s", "flops", "api_monthly_usd", "tco_usd_p50", "p_cheaper_than_api"}
    cols = [c for c in _keys("samples" if "--samples" in g.case.argv else g.command) if c in numeric | {"kind", "fits"}] or ["kind"]
    if g.bad(0.3):
        cols += ["nope", "option", "capex_usd"]
    nums = ["0", "1", "18", "1e19", "9" * 40, "-1e300", "1e300", "1_000", "0.5", "\"never\""] + (["nan", "inf", "\"own\"", "true"] if g.bad(0.5) else [])

    def atom() -> str:
        c = g.pick(cols)
        if c == "kind":
            return f'kind {g.pick(["==", "!="])} "{g.pick(["own", "rent", "api", "owned"])}"'
        if c == "fits":
            return g.pick(["fits", "not fits", "fits == true"])
        return f"{c} {g.pick(['==', '!=', '<', '<=', '>', '>='])} {g.pick(nums)}"

    if not g.bad(0.6):
        parts = [atom() for _ in range(g.rng.randint(1, 3))]
        return f" {g.pick(['and', 'or'])} ".join(parts)
    if g.rng.random() < 0.4:
        n = g.pick([10, 49, 50, 51, 200])
        return "(" * n + atom() + ")" * n if g.rng.random() < 0.5 else "not " * n + atom()
    return g.pick(["tco_usd >> 3", "(((", "", "tco_usd >", "__import__('os')", "tco_usd > 1 and", "1 < 2", "tco_usd > 1 ; rm",
                   "\x1b[2J", "tco_usd > 1" * 500])


def _columns(g: Gen) -> str:
    known = _keys("samples" if "--samples" in g.case.argv else g.command)
    if not g.bad(0.5):
        return ",".join(g.rng.sample(known, g.rng.randint(1, min(4, len(known)))))
    return g.pick(["", ",,,", "option,option", "nope", "option,nope", "\x1b", "x" * 300])


HOSTILE_GRIDS = [
    "", "grid: []\n", "base: [1]\ngrid: {workload.requests_per_day: [1]}\n", "grid: {workload.requests_per_day: {start: 1}}\n",
    "grid: {workload.requests_per_day: {start: 1, stop: 2, num: 2, log: maybe}}\n",
    "grid: {workload.requests_per_day: {start: -1, stop: 2, num: 3, log: true}}\n",
    "grid: {assumptions.pue: [1, 2]}\n", "grid: {options.gpus: {profiles: nope}}\n", "grid: {options.gpus: {profiles: gpus, match: '['}}\n",
    "grid: {options.gpus: {profiles: gpus, match: 'zzz*'}}\n", "grid: {workload.requests_per_day: [[1, 2], {a: 1}]}\n",
    "grid: {workload.requests_per_day: []}\n", "grid: {workload.requests_per_day: [1, 2]}\nzip: [[workload.requests_per_day, workload.requests_per_day]]\n",
    "grid: {workload.requests_per_day: [1, 2], workload.input_tokens: [1]}\nzip: [[workload.requests_per_day, workload.input_tokens]]\n",
    "grid: {workload.nope: [1]}\n", "grid: {workload: [1]}\n", "grid: {'': [1]}\n", "grid: {workload.requests_per_day: [.nan, .inf]}\n",
    "grid: {workload.requests_per_day: [1e400]}\n", "grid: {workload.batch: [maybe]}\n", "grid: {serving.model: ['\\e[2J']}\n",
    "grid: {workload.requests_per_day: [" + ", ".join(["1"] * 5000) + "]}\n", "grid:\n" + "".join(f"  k{i}: [1]\n" for i in range(300)),
    "grid: {workload.requests_per_day: &a [1, 2]}\nzip: *a\n", "- just\n- a list\n", "grid: {workload.requests_per_day: !!python/object:os.system [1]}\n",
]
"""Grid files malformed in structure (each must be one exit-2 line, or a run that keeps the contract)."""


def _grid(g: Gen) -> str:
    """A grid file: mostly small (a few hundred rows), sometimes huge (refused or only counted) or hostile."""
    if g.bad(0.15):
        return g.pick(HOSTILE_GRIDS)
    huge = g.bad(0.3)
    lines = [f"base: {g.pick(['team-assistant', 'solo-coder', 'rag-chatbot', str(g.ws.scenarios[0])] + (['nope', ''] if g.bad(0.2) else []))}", "grid:"]
    keys = g.rng.sample([k for k in NUMERIC_KEYS if k != "economics.horizon_months" and (g.bad(0.3) or not k.startswith("lifecycle."))],
                        g.rng.randint(1, 3))
    for key in keys:
        b = bounds.lookup(key)
        if huge or g.rng.random() < 0.3:
            num = g.pick(["1e6", "1e7", "1e300", "-1", "0", "2.5", "abc", "1e5"]) if huge else g.pick(["2", "3", "5"])
            if num in ("1e300", "-1", "0", "2.5", "abc"):
                g.case.invalid.append(f"grid num {num}")
            start, ok1 = number_text(g.rng, b, TYPICAL.get(key), g.hostility)
            stop, ok2 = number_text(g.rng, b, TYPICAL.get(key), g.hostility)
            if not (ok1 and ok2):
                g.case.invalid.append(f"grid {key} range {start!r}..{stop!r}")
            lines.append(f"  {key}: {{start: {json.dumps(start)}, stop: {json.dumps(stop)}, num: {num}}}")
        else:
            values = []
            for _ in range(g.rng.randint(1, 3)):
                text, ok = number_text(g.rng, b, TYPICAL.get(key), g.hostility)
                values.append(json.dumps(text))
                if not ok:
                    g.case.invalid.append(f"grid {key}: {text[:30]!r}")
            lines.append(f"  {key}: [{', '.join(values)}]")
    if g.rng.random() < 0.4:
        lines.append("  " + g.pick(['options.gpus: {profiles: gpus, match: "rtx-40*"}', "serving.quantization: [awq-int4, q4_k_m]",
                                    "options.gpus: [rtx-3090, 2xrtx-4090]", "serving.model: [llama-3.1-8b, qwen2.5-7b]",
                                    "workload.batch: [true, false]", "options.hosts: [true, false]"] + (["options.gpus: [nope]"] if g.bad(0.3) else [])))
    if g.bad(0.1):
        lines.append(g.pick(["zip:\n  - [" + ", ".join(keys) + "]", "zip: [[nope]]", "extra: 1"]))
    if huge:
        g.small = False
    return "\n".join(lines) + "\n"


def _add(g: Gen, name: str) -> list[str]:
    """Arguments for one option or argument of g.command (empty: left out this time)."""
    if name not in POOLS:
        raise KeyError(f"no value pool for {g.command} {name}: add one to POOLS in tests/fuzzcli/generate.py")
    return POOLS[name](g)


def _flag(opt: str) -> Callable[[Gen], list[str]]:
    return lambda g: [opt] if g.rng.random() < 0.3 else []


def _maybe(p: float, make: Callable[[Gen], list[str]]) -> Callable[[Gen], list[str]]:
    return lambda g: make(g) if g.rng.random() < p else []


def _model(g: Gen) -> list[str]:
    return ["-m", g.ids("models")]


def _gpu(g: Gen) -> list[str]:
    if g.command == "calibrate":  # mostly the GPU the results were measured on
        return ["-g", getattr(g, "gpu_hint", "rtx-4090") if g.rng.random() < 0.7 else g.ids("gpus")]
    return [a for _ in range(g.rng.randint(1, 2)) for a in ("-g", _gpu_option(g))]


def _samples(g: Gen) -> list[str]:
    big = g.bad(0.4)
    text = g.pick(["1e7", "99999999999999999999", "1e300", "0", "-1", "abc", "", "2.5", "1e12", "10000000000000"]) if big else \
        g.pick(["1", "2", "16", "64"] if g.command == "sweep" else ["1", "2", "16", "64", "200"])
    if big and text in ("99999999999999999999", "1e300", "0", "-1", "abc", "", "2.5", "10000000000000"):
        g.case.invalid.append(f"--samples {text}")
    if big:
        g.small = False
    return ["--samples", text]


def _max_memory(g: Gen) -> list[str]:
    texts = ["0.001", "0.1", "4"] + (["0", "-1", "nan", "1e300", "abc"] if g.bad(0.5) else []) + ([] if not g.small else ["64", "1e6"])
    text = g.pick(texts)
    if text in ("0", "-1", "nan", "1e300", "abc"):
        g.case.invalid.append(f"--max-memory-gib {text}")
    return ["--max-memory-gib", text]


def _max_rows(g: Gen) -> list[str]:
    text = g.pick(["1", "100", "5000"] + (["0", "-1", "1e300", "abc", "2.5"] if g.bad(0.5) else []) + (["1e18", "1e9"] if g.small else []))
    if text in ("0", "-1", "1e300", "abc", "2.5"):
        g.case.invalid.append(f"--max-rows {text}")
    return ["--max-rows", text]


def _grids(g: Gen) -> list[str]:
    return [str(g.ws.grid(_grid(g))) for _ in range(g.rng.choice([1, 1, 1, 2]))]


def _results(g: Gen) -> list[str]:
    picks = g.rng.sample(g.ws.result_files, g.rng.choice([1, 1, 2]))
    g.gpu_hint = picks[0][0]  # type: ignore[attr-defined]
    return [str(p) for _, p in picks]


def _price_source(g: Gen) -> list[str]:
    source, path = g.pick(g.ws.price_files)
    g.price = (source, path)  # type: ignore[attr-defined]
    return ["--from", source if not g.bad(0.1) else g.pick(HOSTILE_TEXT)]


def _price_file(g: Gen) -> list[str]:
    source, path = getattr(g, "price", ("litellm", g.ws.price_files[1][1]))
    return [str(path)] if source == "litellm" else []


def _price_data(g: Gen) -> list[str]:
    source, path = getattr(g, "price", ("genai-prices", g.ws.price_files[0][1]))
    return ["--data", str(path)] if source == "genai-prices" else []


def _profiles(g: Gen) -> list[str]:
    if g.rng.random() < 0.8:
        return []
    name = g.pick(list(g.ws.profile_dirs) + ["missing", "file"]) if g.bad(0.6) else g.pick(["ok", "cheap-power", "file"])
    if name in ("negative-power", "huge"):
        g.case.invalid.append(f"--profiles {name}")
    path = g.ws.profile_dirs.get(name, g.ws.root / "missing") if name != "file" else g.ws.profile_dirs["ok"] / "all.yaml"
    return ["--profiles", str(path)]


def _scenario(g: Gen) -> list[str]:
    r = g.rng.random()
    if r < 0.5:
        return []
    if r < 0.75:
        return ["-s", g.ids("scenarios")]
    i = g.rng.randrange(len(g.ws.scenarios)) if g.bad(0.6) else 0
    if i in (1, 2, 3, 6, 7):
        g.case.invalid.append(f"scenario file {i}")
    return ["-s", str(g.ws.scenarios[i])]


def _paths(g: Gen) -> list[str]:
    pool = [str(p) for p in g.ws.profile_dirs.values()] + [str(p) for p in g.ws.scenarios] + [str(p) for _, p in g.ws.price_files[:3]]
    pool += [str(g.ws.root / "missing.yaml"), "GRID"]
    picked = g.rng.sample(pool, g.rng.randint(1, 3)) if g.bad(1.0) else g.rng.choice([["GRID"], [pool[0]], [str(g.ws.scenarios[0])]])
    for name in ("profiles-negative-power", "profiles-huge", "profiles-evil", "profiles-dup"):
        if str(g.ws.profile_dirs[name.removeprefix("profiles-")]) in picked:
            g.case.invalid.append(f"validate {name}")
    return [str(g.ws.grid(_grid(g))) if p == "GRID" else p for p in picked]  # the grid's values count only when it is checked


def _bounded(g: Gen, option: str, typical: list[str], bad: list[str]) -> list[str]:
    """An option typer bounds itself (min/max): a typical value, or one outside that must exit 2."""
    text = g.pick(bad) if g.bad(0.3) else g.pick(typical)
    if text in bad:
        g.case.invalid.append(f"{option} {text}")
    return [option, text]


def _compare_file(g: Gen) -> list[str]:
    valid, path = g.pick(g.ws.compare_files) if g.bad(0.4) else g.pick([f for f in g.ws.compare_files if f[0]])
    if not valid:
        g.case.invalid.append(f"diff {path.name}")
    return [str(path)]


POOLS: dict[str, Callable[[Gen], list[str]]] = {
    "--hosts": _maybe(0.3, lambda g: [g.pick(["--hosts", "--no-hosts"])]),
    "--min-quality": _maybe(0.2, lambda g: _bounded(g, "--min-quality", ["0", "45", "60", "100"], ["-1", "101", "nan", "abc", ""])),
    "--cached-share": _maybe(0.3, lambda g: _bounded(g, "--cached-share", ["0", "0.3", "1"], ["-0.1", "1.5", "nan", "x"])),
    "--loss": _maybe(0.3, lambda g: _bounded(g, "--loss", ["chunked", "full", "fused"], ["fast", ""])),
    "--optimizer": _maybe(0.3, lambda g: _bounded(g, "--optimizer", ["adamw", "adamw8bit", "paged-adamw8bit"], ["sgd", ""])),
    "--offload": _flag("--offload"), "--optimizer-in-backward": _flag("--optimizer-in-backward"),
    "--shard": _maybe(0.3, lambda g: [g.pick(["--shard", "--no-shard"])]),
    "base": _compare_file, "head": _compare_file,
    "config": lambda g: [str(g.pick(g.ws.model_configs)) if not g.bad(0.1) else str(g.ws.root / "missing-config.json")],
    "--id": _maybe(0.5, lambda g: ["--id", g.pick(["my-model", "llama-3.1-8b"] if not g.bad(0.3) else HOSTILE_TEXT)]),
    "--scenario": _scenario, "--model": _maybe(0.8, _model), "--gpu": _maybe(0.7, _gpu), "--api": _maybe(0.3, lambda g: ["-a", g.ids("apis")]),
    "--vs": _maybe(0.2, lambda g: ["--vs", g.ids("apis")]), "--set": _maybe(0.6, _set), "--format": _maybe(0.8, _format),
    "--output": _output, "--chart": _flag("--chart"), "--plot": _maybe(0.05, lambda g: ["--plot", str(g.ws.root / g.pick(["c.png", "c.svg", "c.pdf"]))]),
    "--explain": _flag("--explain"), "--fail-if": _maybe(0.25, lambda g: ["--fail-if", _condition(g)]), "--profiles": _profiles,
    "--max-price-age-days": _maybe(0.2, lambda g: ["--max-price-age-days", g.pick(["-1", "99999999999999999999", "abc"] if g.bad(0.5) else ["0", "30"])]),
    "--samples": _maybe(0.2, _samples), "--seed": _maybe(0.2, lambda g: ["--seed", g.pick(["-1", "99999999999999999999", "x"] if g.bad(0.5) else ["0", "7"])]),
    "--columns": _maybe(0.15, lambda g: ["--columns", _columns(g)]), "--wide": _flag("--wide"), "--max-memory-gib": _maybe(0.1, _max_memory),
    "--gpus": _maybe(0.3, lambda g: ["--gpus", g.number("pretrain.gpus", "--gpus", (1, 4096))]),
    "--tokens": _maybe(0.4, lambda g: ["--tokens", g.number(f"{g.command}.tokens", "--tokens")]),
    "--seq-len": _maybe(0.3, lambda g: ["--seq-len", g.number(f"{g.command}.seq_len", "--seq-len", (16, 32768))]),
    "--mfu": _maybe(0.3, lambda g: ["--mfu", g.number(f"{g.command}.mfu", "--mfu")]),
    "--usd-per-gpu-hour": _maybe(0.3, lambda g: ["--usd-per-gpu-hour", g.number(f"{g.command}.usd_per_gpu_hour", "--usd-per-gpu-hour")]),
    "--used": _flag("--used"), "--method": _maybe(0.7, lambda g: ["--method", g.pick(["dora", ""] if g.bad(0.3) else ["lora", "qlora", "full"])]),
    "--rank": _maybe(0.3, lambda g: ["--rank", g.number("finetune.rank", "--rank", (1, 1024))]),
    "--targets": _maybe(0.3, lambda g: ["--targets", g.pick(["everything", ""] if g.bad(0.3) else ["qv", "attention", "all"])]),
    "--batch": _maybe(0.3, lambda g: ["--batch", g.number("finetune.batch", "--batch", (1, 64))]),
    "--checkpointing": _maybe(0.3, lambda g: [g.pick(["--checkpointing", "--no-checkpointing"])]),
    "--epochs": _maybe(0.3, lambda g: ["--epochs", g.number("finetune.epochs", "--epochs", (0.1, 10))]),
    "--quant": _maybe(0.6, lambda g: ["-q", g.ids("quantizations") if not g.bad(0.3) else g.pick(["4.0bpw", "0bpw", "99bpw", "-1bpw"])]),
    "--engine": _maybe(0.4, lambda g: ["-e", g.pick(["auto", *g.ws.catalog_ids["engines"]]) if not g.bad(0.2) else g.pick(HOSTILE_TEXT)]),
    "--concurrency": _maybe(0.4, lambda g: ["-c", "auto" if g.rng.random() < 0.2 else g.number("serve.concurrency", "--concurrency", (1, 256))]),
    "--input-tokens": _maybe(0.4, lambda g: ["--input-tokens", g.number("serve.input_tokens", "--input-tokens", (1, 32000))]),
    "--output-tokens": _maybe(0.4, lambda g: ["--output-tokens", g.number("serve.output_tokens", "--output-tokens", (1, 8000))]),
    "--max-tpot-ms": _maybe(0.3, lambda g: ["--max-tpot-ms", g.number("serve.max_tpot_ms", "--max-tpot-ms")]),
    "grids": _grids, "--where": _maybe(0.2, lambda g: ["--where", _condition(g)]), "--count": _flag("--count"),
    "--chunk-rows": _maybe(0.1, lambda g: ["--chunk-rows", g.pick(["0", "-5", "99999999999999999999"] if g.bad(0.5) else ["1", "7", "100000"])]),
    "--max-rows": lambda g: _max_rows(g) if g.rng.random() < 0.3 or not g.small else ["--max-rows", "20000"],
    "--option": _maybe(0.3, lambda g: ["--option", g.pick(["own rtx-3090", "own rtx-4090", "rent vast/rtx-4090", "nope", ""])] if g.bad(1) else []),
    "--metric": _maybe(0.5, lambda g: ["--metric", g.pick(["flops", ""] if g.bad(0.3) else ["payback_months", "tco_usd", "breakeven_tokens_per_day"])]),
    "results": _results, "kind": lambda g: [g.pick([*schema.ALL_KINDS, "gpu", "", "\x1b"] if g.bad(0.5) else list(schema.ALL_KINDS))],
    "entry_id": lambda g: [g.pick(g.ws.catalog_ids[g.pick(list(g.ws.catalog_ids))]) if not g.bad(0.3) else g.pick(HOSTILE_TEXT)],
    "paths": _paths, "--from": _price_source, "file": _price_file, "--data": _price_data,
    "--provider": _maybe(0.3, lambda g: ["--provider", g.pick(["openai", "together", "groq", "nope", ""])]),
    "--as-of": _maybe(0.4, lambda g: ["--as-of", g.pick(["2025-06-01", "2025-02-30", "9999-99-99", "", "yesterday", "2100-01-01", "1900-01-01"])]),
}


def _command_params() -> dict[str, list[Any]]:
    """Every leaf command of the app and its parameters (options and arguments), from the app itself."""
    import typer

    from llmcost.cli.app import build_app

    out: dict[str, list[Any]] = {}

    def walk(cmd: Any, path: list[str]) -> None:
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])
        else:
            out[" ".join(path)] = list(cmd.params)

    walk(typer.main.get_command(build_app()), [])
    return out


COMMANDS = _command_params()


def param_key(param: Any) -> str:
    """The pool key of a parameter: its long option, or an argument's name."""
    if param.param_type_name == "argument":
        return str(param.name)
    return next(o for o in param.opts if o.startswith("--"))


def generate(rng: random.Random, ws: Workspace) -> Case:
    """One invocation: a command (weighted towards the pipeline's), its options from the pools, shuffled."""
    r = rng.random()
    if r < 0.02:
        return Case(rng.choice([[], ["--version"], ["--help"], ["nope"], ["--bogus"], ["compare", "--bogus"], ["profiles"]]), "root")
    command = rng.choices(list(COMMANDS), weights=[_WEIGHTS.get(c, 1) for c in COMMANDS])[0]
    g = Gen(rng, ws, command)
    if command == "calibrate" and g.hostility == 0:  # a run that fits: a good file, its GPU, the defaults it implies
        gpu, path = rng.choice([(gpu, p) for gpu, p in ws.result_files if p.name.startswith("copy-") and "bad" not in p.name])
        g.case.argv += [str(path), "-g", gpu, *_output(g), *_maybe(0.5, _format)(g)]
        if g.case.output is None:
            g.case.output = str(ws.root / "calibration.yaml")
            g.case.argv += ["-o", g.case.output]
        return g.case
    parts: list[list[str]] = []
    args: list[str] = []
    for param in COMMANDS[command]:
        key = param_key(param)
        got = _add(g, key)
        while param.required and not got and not g.bad(0.2):
            got = _add(g, key)
        if param.param_type_name == "argument":
            args += got
        elif got:
            parts.append(got)
    rng.shuffle(parts)
    g.case.argv += args + [a for p in parts for a in p]
    if "--help" in g.case.argv:
        g.case.invalid = []  # a value that reads --help prints the help
    _environment(g)
    if command == "sweep" and not g.small and "--count" not in g.case.argv and "--max-rows" not in g.case.argv:
        g.case.argv += ["--max-rows", "20000"]
    return g.case


def _environment(g: Gen) -> None:
    """Hostile terminal widths, a pinned day, user profile paths and cache directories, now and then."""
    env, root = g.case.env, g.ws.root
    if g.rng.random() < 0.25:
        env["COLUMNS"] = g.pick(COLUMNS_ENV)
    if g.bad(0.1):
        env["LLMCOST_TODAY"] = g.pick(["abc", "2026-02-30", "0001-01-01", "9999-12-31", "", "2026-11-26\n"])
        if env["LLMCOST_TODAY"] in ("abc", "2026-02-30") and g.command in ("compare", "breakeven", "serve", "finetune", "pretrain"):
            g.case.invalid.append(f"LLMCOST_TODAY={env['LLMCOST_TODAY']}")
    if g.bad(0.1):
        env["LLMCOST_PROFILES"] = g.pick([str(g.ws.profile_dirs["ok"]), "", ":", "x" * 5000, str(root / "missing"),
                                          f"{g.ws.profile_dirs['ok']}:{g.ws.profile_dirs['cheap-power']}"])
    if g.bad(0.1):
        env["XDG_CACHE_HOME"] = g.pick(["/dev/null", "/proc", "y" * 5000, str(root / "precious.csv")])


_WEIGHTS = {"compare": 6, "breakeven": 3, "sweep": 4, "serve": 3, "finetune": 3, "pretrain": 3, "sensitivity": 2, "calibrate": 1,
            "profiles list": 1, "profiles show": 1, "profiles validate": 1, "profiles schema": 0.5, "profiles import-prices": 1}


