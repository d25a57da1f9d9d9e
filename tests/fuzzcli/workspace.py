"""The workspace of a campaign: generated inputs and output targets, and snapshots that tell what a run changed."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import random
import shutil
import stat
from pathlib import Path
from typing import Any

import yaml

from fuzzcli.contract import Case

HERE = Path(__file__).resolve().parent.parent
FIXTURES = HERE / "fixtures"


# ------------------------------------------------------------------------------------------------ the workspace


def digest(path: Path) -> tuple[Any, ...]:
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        return ("link", os.readlink(path))
    if stat.S_ISREG(st.st_mode):
        return ("file", stat.S_IMODE(st.st_mode), hashlib.sha1(path.read_bytes()).hexdigest())
    return ("node", stat.S_IFMT(st.st_mode))


class Workspace:
    """A directory of inputs and output targets, and a snapshot of it to tell what a run changed."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        root.mkdir(parents=True, exist_ok=True)
        self.catalog_ids = catalog_ids()
        self.scenarios = self._scenarios()
        self.profile_dirs = self._profile_dirs()
        self.price_files = self._price_files()
        self.result_files = self._result_files()
        self.compare_files = self._compare_files()
        self.model_configs = self._model_configs()
        self.case_inputs: list[Path] = []
        (root / "precious.csv").write_text("precious,data\n1,2\n")
        (root / "precious.json").write_text('[{"keep": 1}]\n')
        (root / "link.csv").symlink_to(root / "precious.csv")
        (root / "dangling.csv").symlink_to(root / "nowhere" / "gone.csv")
        (root / "adir").mkdir()
        self.fixed = self.snapshot()
        self.pristine = {p: Path(p).read_bytes() for p, d in self.fixed.items() if d[0] == "file"}

    # inputs ---------------------------------------------------------------------------------------------

    def _scenarios(self) -> list[Path]:
        base = {"name": "mine", "workload": {"requests_per_day": 2000, "input_tokens": 800, "output_tokens": 200},
                "serving": {"model": "llama-3.1-8b", "quantization": "awq-int4", "engine": "vllm"},
                "options": {"gpus": ["rtx-3090", "2xrtx-4090"], "apis": ["openai/gpt-4o-mini"]}}
        out = []
        for i, (section, key, value) in enumerate([(None, None, None), ("workload", "requests_per_day", -5),
                                                   ("workload", "output_tokens", 1e300), ("economics", "pue", 0.5),
                                                   ("workload", "monthly_growth", 10), ("serving", "model", "\x1b[2J"),
                                                   ("economics", "horizon_months", 0.5), ("workload", "requests_per_day", "9" * 400)]):
            doc = copy.deepcopy(base)
            if section is not None:
                doc.setdefault(section, {})[key] = value
            path = self.root / f"scenario{i}.yaml"
            path.write_text(yaml.safe_dump(doc, allow_unicode=False))
            out.append(path)
        for i in range(16):  # and some with a hostile value anywhere (half of them in place of a whole section)
            doc = copy.deepcopy(base)
            if i % 2:
                doc[self.rng.choice(list(doc))] = self.rng.choice(HOSTILE_JSON)
            else:
                mutate(doc, self.rng)
            path = self.root / f"scenario-mutated{i}.yaml"
            path.write_text(yaml.safe_dump(doc, allow_unicode=True))
            out.append(path)
        return out

    def _profile_dirs(self) -> dict[str, Path]:
        from conftest import VALID_PROFILES

        dirs = {}
        for name, change in [("ok", None), ("evil", ("apis", "name", "\x1b]0;owned\x07")), ("cheap-power", "electricity"),
                             ("negative-power", "negative"), ("huge", ("gpus", "price_usd", 1e300)), ("dup", "dup")]:
            d = self.root / f"profiles-{name}"
            d.mkdir()
            doc = copy.deepcopy(VALID_PROFILES)
            if isinstance(change, tuple):
                doc[change[0]][0][change[1]] = change[2]
            elif change == "electricity":
                doc["assumptions"]["electricity_usd_per_kwh"]["value"] = 0
            elif change == "negative":
                doc["assumptions"]["electricity_usd_per_kwh"]["value"] = -1
            (d / "all.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
            if change == "dup":
                (d / "again.yaml").write_text(yaml.safe_dump({"gpus": doc["gpus"]}))
            dirs[name] = d
        for i in range(6):  # and entries with a hostile value anywhere (with the built-ins beside them)
            d = self.root / f"profiles-mutated{i}"
            d.mkdir()
            doc = {kind: copy.deepcopy(VALID_PROFILES[kind]) for kind in self.rng.sample(sorted(VALID_PROFILES), 3)}
            mutate(doc, self.rng)
            (d / "all.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
            dirs[f"mutated{i}"] = d
        return dirs

    def _price_files(self) -> list[tuple[str, Path]]:
        out = [("genai-prices", FIXTURES / "prices" / "genai-prices.json"), ("litellm", FIXTURES / "prices" / "litellm.json")]
        out += [("litellm" if p.name.startswith("litellm") else "genai-prices", p) for p in sorted((FIXTURES / "prices" / "malformed").iterdir())]
        local = []
        for i in range(12):
            source, path = self.rng.choice(out[:2])
            doc = json.loads(path.read_text())
            mutate(doc, self.rng)
            target = self.root / f"prices{i}.json"
            target.write_text(json.dumps(doc, allow_nan=True))
            local.append((source, target))
        for source, path in out:
            target = self.root / f"copy-{path.name}"
            shutil.copy(path, target)
            local.append((source, target))
        return local

    def _result_files(self) -> list[tuple[str, Path]]:
        fixtures = sorted((FIXTURES / "calibrate").glob("*.json*"))
        gpu_of = {"llama-bench-rtx4080.json": "rtx-4080", "vllm-rtx4090.json": "rtx-4090", "llama-bench-m2-ultra.jsonl": "m2-ultra-76c-192gb"}
        out = []
        for path in fixtures:
            target = self.root / f"copy-{path.name}"
            shutil.copy(path, target)
            out.append((gpu_of.get(path.name, "rtx-4090"), target))
        for i in range(10):
            gpu, path = self.rng.choice([o for o in out if "bad" not in o[1].name and o[1].suffix == ".json"])
            doc = json.loads(path.read_text())
            mutate(doc, self.rng)
            target = self.root / f"results{i}.json"
            target.write_text(json.dumps(doc, allow_nan=True))
            out.append((gpu, target))
        return out

    def _compare_files(self) -> list[tuple[bool, Path]]:
        """(valid, path) of `compare -f json` outputs for `diff`: two that differ, and broken ones."""
        row = {"option": "own rtx-4090", "kind": "own", "tco_usd": 6162.0, "monthly_usd": 171.0, "payback_months": "never"}
        api = {"option": "api openai/gpt-4o-mini", "kind": "api", "tco_usd": 225.0, "monthly_usd": 39.35, "payback_months": "n/a"}
        docs = {"base": (True, [row, api]), "head": (True, [{**row, "tco_usd": 5000.0, "payback_months": 7.5}, api,
                                                         {**row, "option": "own rtx-5090"}]),
                "empty": (True, []), "dup": (False, [row, row]), "nokey": (False, [{"option": "x", "kind": "own"}]),
                "text": (False, {"option": "x"})}
        out = []
        for name, (valid, doc) in docs.items():
            target = self.root / f"compare-{name}.json"
            target.write_text(json.dumps(doc))
            out.append((valid, target))
        bad = self.root / "compare-nan.json"
        bad.write_text('[{"option": "x", "kind": "own", "tco_usd": NaN, "monthly_usd": 1, "payback_months": 1}]')
        return [*out, (False, bad)]

    def _model_configs(self) -> list[Path]:
        """Hugging Face config.json files for `profiles import-model`: the fixtures, and mutated copies."""
        fixtures = sorted((FIXTURES / "hf").glob("*/config.json"))
        out = []
        for i, path in enumerate(fixtures):
            target = self.root / f"hf{i}-config.json"
            shutil.copy(path, target)
            out.append(target)
            doc = json.loads(path.read_text())
            mutate(doc, self.rng)
            mutated = self.root / f"hf{i}-mutated.json"
            mutated.write_text(json.dumps(doc, allow_nan=True))
            out.append(mutated)
        return out

    def grid(self, text: str) -> Path:
        """A grid file for one invocation: an input like the others, removed once the invocation is checked."""
        path = self.root / f"grid{len(self.case_inputs)}.yaml"
        path.write_text(text)
        self.case_inputs.append(path)
        self.fixed[str(path)] = digest(path)
        return path

    # snapshots -------------------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, tuple[Any, ...]]:
        out = {}
        for dirpath, dirnames, filenames in os.walk(self.root):
            for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                path = Path(dirpath) / name
                out[str(path)] = digest(path)
        return out

    def harmed(self, case: Case, code: int | None) -> list[str]:
        """Files changed or left behind that must not be; then the workspace is put back as it was."""
        now = self.snapshot()
        allowed = self._allowed(case, code)
        bad = [f"{Path(p).name} changed" for p, d in self.fixed.items() if now.get(p) != d and p not in allowed]
        bad += [f"{Path(p).name} left behind" for p in now if p not in self.fixed and p not in allowed]
        self._restore(now)
        self.drop_case_inputs()
        return bad

    def drop_case_inputs(self) -> None:
        """Remove the files written for one invocation (its grids)."""
        for path in self.case_inputs:
            path.unlink(missing_ok=True)
            self.fixed.pop(str(path), None)
        self.case_inputs = []

    def _allowed(self, case: Case, code: int | None) -> set[str]:
        """The -o target (through a symlink: its target) may change after a run that wrote it (exit 0, or 1 for a gate)."""
        if case.output is None or code not in (0, 1):
            return set()
        path = os.path.normpath(case.output if os.path.isabs(case.output) else str(Path.cwd() / case.output))
        before = self.fixed.get(path)
        if before is not None and before[0] == "link":  # written through: the link itself must stay as it was
            return {os.path.normpath(os.path.join(os.path.dirname(path), before[1]))}
        return {path}

    def _restore(self, now: dict[str, tuple[Any, ...]]) -> None:
        for p in now:
            if p not in self.fixed:
                Path(p).unlink()
        for p, d in self.fixed.items():
            if now.get(p) != d and p in self.pristine:
                Path(p).unlink(missing_ok=True)
                Path(p).write_bytes(self.pristine[p])
                os.chmod(p, d[1])


def mutate(doc: Any, rng: random.Random, depth: int = 0) -> None:
    """Replace one value somewhere in a JSON document by a hostile one."""
    if isinstance(doc, dict) and doc:
        key = rng.choice(list(doc))
        if depth < 6 and isinstance(doc[key], (dict, list)) and rng.random() < 0.7:
            mutate(doc[key], rng, depth + 1)
        elif rng.random() < 0.15:
            del doc[key]
        else:
            doc[key] = rng.choice(HOSTILE_JSON)
    elif isinstance(doc, list) and doc:
        i = rng.randrange(len(doc))
        if depth < 6 and isinstance(doc[i], (dict, list)) and rng.random() < 0.7:
            mutate(doc[i], rng, depth + 1)
        else:
            doc[i] = rng.choice(HOSTILE_JSON)


HOSTILE_JSON: list[Any] = [0, -1, -1e300, 1e300, float("nan"), float("inf"), 10**400, "", "x" * 5000, "\x1b[2J", "\u202e", None, [],
                           {}, True, "2025-02-30", "1,000", [[[[[[[[1]]]]]]]], {"a": {"b": {"c": {}}}}, 0.5, "NaN"]


def catalog_ids() -> dict[str, list[str]]:
    from llmcost import api

    cat = api.load_catalog()
    ids = {kind: sorted(table) for kind, table in cat.entries.items() if table}
    ids["assumptions"] = sorted(cat.assumptions)
    return ids


