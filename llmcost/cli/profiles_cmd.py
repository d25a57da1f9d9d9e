"""`llmcost profiles list|show|validate|schema|import-prices`."""

from __future__ import annotations

import dataclasses
import json
import sys
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from llmcost import catalog, prices, render, scenarios, schema
from llmcost.cli.common import FormatOpt, OutputOpt, ProfilesOpt, check_format, emit, inputs, load_catalog
from llmcost.errors import ImplausibleValue, LlmcostError, ProfileError, unknown
from llmcost.yamlsrc import file_kind, read_yaml

app = typer.Typer(help="List, show and validate profiles; print their JSON Schemas; import API prices.", no_args_is_help=True)

_LIST_COLUMNS = {
    "gpus": ("id", "name", "class", "memory_gib", "memory_bandwidth_gb_per_s", "tflops_bf16", "tflops_fp16_acc16",
             "power_w", "price_usd", "used_price_usd"),
    "models": ("id", "name", "params_b", "layers", "d_model", "heads", "kv_heads", "context", "experts", "license", "open_weights"),
    "apis": ("id", "name", "input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok", "batch_discount",
             "serves_model", "as_of", "age_days"),
    "rentals": ("id", "gpu", "gpus_per_instance", "usd_per_gpu_hour", "kind", "as_of"),
    "hosts": ("id", "name", "form_factor", "gpu_form", "max_gpus", "psu_w", "idle_power_w", "busy_power_w", "price_usd",
              "price_as_of"),
    "quantizations": ("id", "name", "bits_per_weight", "tensor_rate"),
    "engines": ("id", "name", "accumulate", "max_concurrency", "quantizations"),
    "scenarios": ("id", "name", "description"),
    "calibrations": ("id", "gpu", "engine", "quantization", "bandwidth_efficiency", "compute_efficiency", "prefill_efficiency",
                     "as_of"),
}


def _cell(value: Any) -> Any:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else value


def _field(rec: Any, key: str) -> Any:
    name = "gpu_class" if key == "class" else key
    return _cell(getattr(rec, name, None))


@app.command("list")
def list_(kind: Annotated[str | None, typer.Argument(help="gpus, models, apis, rentals, quantizations, engines, scenarios, calibrations, assumptions")] = None,
          fmt: FormatOpt = None, output: OutputOpt = None, profiles: ProfilesOpt = None) -> None:
    """The catalogue: every entry of one kind (or a count of each kind)."""
    fmt = check_format(fmt, output)
    cat = load_catalog(profiles)
    if kind is None:
        rows = [{"kind": k, "entries": len(v)} for k, v in cat.entries.items()]
        rows.append({"kind": "assumptions", "entries": len(cat.assumptions)})
        emit(rows, fmt, output, inputs=inputs(profiles))
        return
    if kind == "assumptions":
        rows = [{"name": n, "value": a.value, "unit": a.unit or "", "source": a.source} for n, a in cat.assumptions.items()]
    elif kind in cat.entries:
        rows = [{c: _field(rec, c) for c in _LIST_COLUMNS[kind]} for rec in cat.entries[kind].values()]
        if kind == "apis":  # how old each price is, so stale ones stand out (llmcost profiles import-prices refreshes them)
            rows = [{**r, "age_days": prices.age_days(str(r["as_of"]), prices.today())} for r in rows]
    else:
        raise LlmcostError(unknown("profile kind", kind, schema.ALL_KINDS))
    keys = ("name", "value", "unit", "source") if kind == "assumptions" else _LIST_COLUMNS[kind] + (("age_days",) if kind == "apis" else ())
    emit(rows, fmt, output, title=kind, inputs=inputs(profiles), table=keys)  # the header even for a kind with no entry


@app.command("show")
def show(entry_id: Annotated[str, typer.Argument(help="An id of any kind (or an assumption name).")],
         fmt: FormatOpt = None, output: OutputOpt = None, profiles: ProfilesOpt = None) -> None:
    """Every field of one entry with the source of each number."""
    fmt = check_format(fmt, output)
    cat = load_catalog(profiles)
    rows: list[dict[str, Any]] = []
    if entry_id in cat.assumptions:
        a = cat.assumptions[entry_id]
        rows = [{"field": k, "value": getattr(a, k), "source": ""} for k in ("value", "unit", "rationale", "source")]
        emit(rows, fmt, output, title=f"assumptions.{entry_id}", inputs=inputs(profiles))
        return
    for kind, table in cat.entries.items():
        if entry_id in table:
            rec = table[entry_id]
            _flatten_record(rec, rows)
            if fmt in ("table", "markdown"):  # people check profile values here: print them as written, not rounded
                rows = [{**r, "value": _as_written(r["value"])} for r in rows]
            loc = cat.where[(kind, entry_id)]
            emit(rows, fmt, output, title=f"{kind}/{entry_id} ({loc.path}:{loc.line})", inputs=inputs(profiles))
            return
    every = [i for t in cat.entries.values() for i in t] + list(cat.assumptions)
    raise LlmcostError(unknown("profile id", entry_id, every))


def _as_written(value: Any) -> Any:
    """165.2 -> '165.2', 1008.0 -> '1,008', 3.14e23 -> '3.14e+23' (the table renderer would round to 165)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{value:,.0f}"
    return f"{value:.10g}"


def _flatten_record(rec: Any, rows: list[dict[str, Any]], prefix: str = "") -> None:
    srcs = getattr(rec, "sources", None) or {}
    for f in dataclasses.fields(rec):
        if f.name == "sources":
            continue
        key = schema.yaml_key(f)
        value = getattr(rec, f.name)
        if value is None or value == () or value == {}:
            continue
        if dataclasses.is_dataclass(value):
            _flatten_record(value, rows, f"{prefix}{key}.")
            continue
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            for i, item in enumerate(value):
                _flatten_record(item, rows, f"{prefix}{key}[{i}].")
            continue
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        source = srcs.get(key, srcs.get("default", "")) if numeric or isinstance(value, dict) else ""
        rows.append({"field": prefix + key, "value": json.dumps(value) if isinstance(value, dict) else _cell(value),
                     "source": source})


@app.command("validate")
def validate(paths: Annotated[list[Path], typer.Argument(help="Profile, scenario or sweep-grid files, or directories of profiles.")]) -> None:
    """Check files against the schema and the built-ins: exit 0 when valid, 2 listing every error.

    A file with workload, serving, options, economics or lifecycle (or `scenarios:` with one entry) is checked as
    a scenario (`compare -s FILE`), one with `grid:` as a sweep grid (`sweep FILE`), any other file and every file
    in a directory as profiles (`--profiles`). Values outside their plausible range (likely unit slips) and numbers
    without a source are warnings; entries that replace a built-in one are listed.
    """
    groups = _file_kinds(paths)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ImplausibleValue)
        try:
            cat = catalog.load(groups["profiles"])
            problems = _check_scenarios_and_grids(cat, groups)
        except ProfileError as e:
            problems = e.problems
    implausible = _write_warnings(caught)
    if problems:
        sys.stderr.write("".join(line + "\n" for line in problems))
        raise typer.Exit(2)
    unsourced = _write_unsourced(cat)
    for key, builtin_loc in cat.overridden.items():
        loc = cat.where[key]
        name = f"assumptions.{key[1]}" if key[0] == "assumptions" else f"{key[0]}[{key[1]}]"
        sys.stdout.write(f"{loc.path}:{loc.line}: {name} overrides the built-in entry ({builtin_loc.path}:{builtin_loc.line})\n")
    count = sum(1 for loc in cat.where.values() if not loc.path.startswith("profiles/"))
    valid = ([render.count(count, "entry", "entries")] if count or groups["profiles"] else []) + [
        render.count(len(groups[g]), f"{g} file") for g in ("scenario", "grid") if groups[g]]
    notes = [render.count(n, what, plural) for n, what, plural in ((len(cat.overridden), "override of a built-in", "overrides of built-ins"),
                                                             (implausible, "implausible value", ""),
                                                             (unsourced, "entry without full sources", "entries without full sources")) if n]
    sys.stdout.write(f"ok: {' and '.join(valid)} valid in {render.count(len(paths), 'path')}" + "".join(f", {n}" for n in notes) + "\n")


SCENARIO_SECTIONS = tuple(schema.yaml_key(f) for f in dataclasses.fields(schema.Scenario) if schema.spec_of(f).type == "record")
"""Top-level keys that make a file a scenario: workload, serving, options, economics, lifecycle."""


def _file_kinds(paths: list[Path]) -> dict[str, list[Path]]:
    """The paths by what they hold: profiles (directories, and files that are neither of the others), scenario, grid."""
    groups: dict[str, list[Path]] = {"profiles": [], "scenario": [], "grid": []}
    for path in paths:
        kind = "profiles"
        if file_kind(path) == "file":
            try:
                doc = read_yaml(path)
            except ProfileError:  # the profile loader reports it
                doc = None
            if isinstance(doc, dict) and "grid" in doc:
                kind = "grid"
            elif isinstance(doc, dict) and (set(doc) & set(SCENARIO_SECTIONS) or (
                    set(doc) == {"scenarios"} and isinstance(doc["scenarios"], list) and len(doc["scenarios"]) == 1)):
                kind = "scenario"
        groups[kind].append(path)
    return groups


def _check_scenarios_and_grids(cat: catalog.Catalog, groups: dict[str, list[Path]]) -> list[str]:
    """Every problem of the scenario and grid files, read the way `compare -s` and `sweep` read them."""
    problems: list[str] = []
    checks = [(path, scenarios.resolve) for path in groups["scenario"]] + [(path, _check_grid) for path in groups["grid"]]
    for path, check in checks:
        try:
            check(cat, str(path))
        except ProfileError as e:
            problems += e.problems
        except LlmcostError as e:
            problems.append(str(e) if str(e).startswith(str(path)) else f"{path}: {e}")
    return problems


def _check_grid(cat: catalog.Catalog, path: str) -> None:
    """A grid read as `sweep` reads it, then each value of each structural key (models, GPUs, ...) once against the
    base scenario, so that a bad id is found now rather than in the middle of a sweep."""
    from llmcost import sweeps  # the sweep machinery only when a grid is checked

    grid = sweeps.load_grid(cat, path)
    lines = getattr(read_yaml(Path(path)).get("grid"), "key_lines", {})
    for axis in grid.structural:
        for step in axis.values:
            sets = [f"{k}={sweeps.set_text(v)}" for k, v in zip(axis.keys, step, strict=True)]
            try:
                scenarios.resolve(cat, grid.base, sets)
            except LlmcostError as e:
                raise LlmcostError(f"{path}:{lines.get(axis.keys[0], 1)}: grid: {', '.join(sets)}: {e}") from None


def _write_unsourced(cat: catalog.Catalog) -> int:
    """Warn about user entries with numbers that no `sources` key covers; their count."""
    unsourced = 0
    for (kind, entry_id), loc in cat.where.items():
        if kind in ("assumptions", "scenarios") or loc.path.startswith("profiles/"):
            continue
        missing = schema.uncovered_numbers(cat.entries[kind][entry_id])
        if missing:
            unsourced += 1
            sys.stderr.write(f"{loc.path}:{loc.line}: warning: {kind}[{entry_id}] has no source for {', '.join(missing)}\n")
    return unsourced


def _write_warnings(caught: list[warnings.WarningMessage]) -> int:
    """Print the implausible values found (recorded while loading) as `llmcost: warning:` lines; their count."""
    found = [str(w.message) for w in caught if issubclass(w.category, ImplausibleValue)]
    sys.stderr.write("".join(f"llmcost: warning: {m}\n" for m in dict.fromkeys(found)))
    return len(dict.fromkeys(found))


@app.command("schema")
def schema_(kind: Annotated[str, typer.Argument(help="gpus, models, apis, rentals, quantizations, engines, scenarios, calibrations, assumptions")],
            output: OutputOpt = None) -> None:
    """Print the JSON Schema of a profile kind, for editors (yaml-language-server $schema comments)."""
    if kind not in schema.ALL_KINDS:
        raise LlmcostError(unknown("profile kind", kind, schema.ALL_KINDS))
    from llmcost.schema.json_schema import json_schema  # only this command needs it

    with render.output_stream(output) as out:
        json.dump(json_schema(kind), out, indent=2)
        out.write("\n")



@app.command("import-model")
def import_model(config: Annotated[Path, typer.Argument(help="A Hugging Face config.json, read from disk (download it first).",
                                                        metavar="CONFIG.json", show_default=False)],
                 model_id: Annotated[str | None, typer.Option("--id", help="Model id (default: from the config's name or folder).")] = None,
                 output: OutputOpt = None) -> None:
    """Write a model profile (dense, GQA, MoE, MLA, sliding window) from a config.json; its source is the file's name and hash."""
    from llmcost import hf_config

    if output not in (None, "-") and Path(output).resolve() == config.resolve():
        raise LlmcostError(f"--output {output!r} is the config being read; write the profile to another file")
    record = hf_config.load_model(config, model_id)  # validated before anything is written
    _, text = hf_config.profile_text(config, model_id)
    with render.output_stream(output) as out:
        out.write(text)
    sys.stderr.write(f"llmcost: model {record.id}: {record.params_b:g}B parameters, {record.layers} layers"
                     + (f", {record.experts} experts ({record.experts_per_token} per token)" if record.experts else "")
                     + (" to " + output if output and output != "-" else "") + "; use it with --profiles FILE or --model "
                     + f"{config}\n")


@app.command("import-prices")
def import_prices(
        source: Annotated[str, typer.Option("--from", metavar="SOURCE", help="genai-prices (the installed package, or --data FILE) or "
                                                           "litellm (a model_prices_and_context_window.json FILE).")],
        file: Annotated[Path | None, typer.Argument(help="LiteLLM model_prices_and_context_window.json (with --from litellm).",
                                                    metavar="FILE.json", show_default=False)] = None,
        data: Annotated[Path | None, typer.Option("--data", metavar="FILE", help="Data file to read instead: genai-prices "
                                                  "prices/data.json, or the LiteLLM JSON.")] = None,
        provider: Annotated[list[str] | None, typer.Option("--provider", metavar="P", help="Only this provider (repeatable), "
                                                           "e.g. openai, together, groq.")] = None,
        as_of: Annotated[str | None, typer.Option("--as-of", metavar="DATE", help="Date the prices were published or checked, YYYY-MM-DD "
                                                                  "(default: the day the data file was saved or installed).")] = None,
        output: OutputOpt = None, profiles: ProfilesOpt = None) -> None:
    """Write a profile file of `apis:` entries from genai-prices or LiteLLM price data; list the entries it cannot map."""
    from llmcost.price_import import importer

    if file is not None and data is not None:
        raise LlmcostError("give the data file once: as FILE or as --data FILE")
    path = file or data
    render.check_output(output, inputs(path, profiles))  # before the data file is read
    if as_of is not None:
        importer.check_date(as_of, "--as-of")
    cat = load_catalog(profiles)
    imported, saved = importer.import_source(source, path, as_of=as_of, today=prices.today(), model_ids=cat.entries["models"],
                                             wanted=provider or ())
    label = imported.source
    for line in importer.skipped_lines(imported.skipped):
        sys.stderr.write(line + "\n")
    if not imported.entries:
        raise LlmcostError(f"no price in {label} could be imported" + (" for --provider " + ", ".join(provider) if provider else ""))
    command = "llmcost profiles import-prices --from " + source + (
        "" if path is None else f" {path.name}" if source == "litellm" else f" --data {path.name}") + "".join(
        f" --provider {p}" for p in provider or ())
    text = importer.profile_text(imported, command)
    with render.output_stream(output, inputs(path, profiles)) as out:  # loaded with the profile loader before anything is written or renamed
        importer.validate_text(text, output or "prices.yaml", catalog.user_profile_paths(profiles or ()))
        out.write(text)
    if as_of is None:
        sys.stderr.write(f"llmcost: note: as_of {saved} is the day the data was saved or installed (it records no check "
                         "date); pass --as-of DATE for the day the prices were published\n")
    skipped = f"; skipped {len(imported.skipped):,} that cannot be mapped faithfully (listed above)" if imported.skipped else ""
    sys.stderr.write(f"llmcost: imported {render.count(len(imported.entries), 'API price')} from {label}"
                     + (f" to {output}" if output and output != "-" else "") + skipped + "\n")
