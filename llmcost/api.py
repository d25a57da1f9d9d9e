"""The Python API: what every command does, as functions. The command line parses its options, calls one
of these and renders the result.

Keyword arguments are named like the command's long options (`--max-tpot-ms` -> `max_tpot_ms`). Each
result has `.columns` (NumPy arrays: NaN for "n/a", inf for "never", the `fits` column for "does not
fit") and `.rows()`, exactly the dicts of the command's `--format json` output.

>>> import llmcost
>>> sc = llmcost.scenario("team-assistant", {"workload.requests_per_day": 30000})
>>> result = llmcost.compare(sc)
>>> result.rows()[0]["option"], result.rows()[0]["kind"]
('own rtx-3090', 'own')
>>> bool(result.columns["tco_usd"][0] > 0)
True
>>> llmcost.serve("llama-3.1-8b", gpu="rtx-4090", quant="q4_k_m", concurrency=1).rows()[0]["fits"]
True
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcost import bounds, hf_config, inputs, runs
from llmcost import catalog as catalog_mod
from llmcost import comparison as compare_mod
from llmcost import scenarios as scenario_mod
from llmcost.catalog import Catalog
from llmcost.errors import LlmcostError, unknown
from llmcost.numbers import MAX_VALUE, parse_quantity, quantity_value
from llmcost.results import Table
from llmcost.schema import Scenario

if TYPE_CHECKING:
    from llmcost import diffs

Number = float | int | str
"""A number, or a text with a suffix as on the command line ("20M", "1.4T")."""


def load_catalog(paths: Sequence[str | Path] = (), assumptions: Mapping[str, Any] | None = None) -> Catalog:
    """The built-in profiles, then LLMCOST_PROFILES, then `paths` (directories or files; later wins), with
    assumptions overridden by name: a number (or "5k"), or a range text "LOW..HIGH" / "LOW..MODE..HIGH"
    for Monte Carlo and sensitivity."""
    cat = catalog_mod.load(catalog_mod.user_profile_paths([str(p) for p in paths]))
    ranges: dict[str, str] = {}
    for key, value in (assumptions or {}).items():
        name = key.removeprefix("assumptions.")
        if name not in cat.assumptions:
            replaced = catalog_mod.REPLACED_ASSUMPTIONS.get(name)
            raise LlmcostError(f"--set assumptions.{name}: " + (f"no longer an assumption: {replaced}" if replaced
                                                                 else unknown("assumption", name, cat.assumptions)))
        if isinstance(value, str) and ".." in value:
            ranges[name] = value
            continue
        cat = catalog_mod.with_assumption(cat, name, _number(value, f"--set assumptions.{name}", minimum=None))
    if ranges:
        from llmcost.uncertainty import with_assumption_ranges

        cat = with_assumption_ranges(cat, ranges)
    return cat


def _number(value: Number, what: str, minimum: float | None = 0.0, integer: bool = False) -> float:
    if type(value) in (int, float):  # the common case, without the text round trip: parse_quantity's checks
        v = float(value)
        if abs(v) <= MAX_VALUE and (minimum is None or v >= minimum) and (not integer or v.is_integer()):
            return v
    if isinstance(value, str):
        return parse_quantity(value, what, minimum=minimum, integer=integer)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise LlmcostError(f"{what}: expected a number, got {value!r}")
    return parse_quantity(repr(float(value)), what, minimum=minimum, integer=integer)


def _option(value: Number | None, key: str, what: str) -> Any:
    """A command-line option's number (a number, or a text such as "20M" or "1.4T") checked against its bounds in
    the one table (`llmcost.schema.quantities.OPTIONS`, key `COMMAND.OPTION`): one line naming the option when it
    is not valid, an implausible-value warning when it is valid but most likely a unit slip; None stays None.

    >>> _option("4k", "finetune.seq_len", "--seq-len")
    4000
    >>> _option(-5, "pretrain.seq_len", "--seq-len")
    Traceback (most recent call last):
    ...
    llmcost.errors.LlmcostError: --seq-len: expected an integer >= 1, got -5
    """
    if value is None:
        return None
    if isinstance(value, str):
        number = quantity_value(value)
        if number is None:
            raise LlmcostError(f"{what}: {value[:40]!r} is not a number; write e.g. 8192, 4k, 20M, 1.4T or 2e12")
        if not math.isfinite(number):
            raise LlmcostError(f"{what}: {value[:40]!r}{'...' if len(value) > 40 else ''} is too large "
                               f"({bounds.lookup(key).in_words(show_cap=True)})")
        value = int(number) if number.is_integer() and abs(number) < 1e16 else number  # "-5" reads back as -5, not -5.0
    return bounds.check(key, value, what=what)


def _catalog(catalog: Catalog | None) -> Catalog:
    """The catalog given, else the one `load_catalog()` gives. Without user profiles that is the built-ins
    themselves, shared rather than copied: these functions never change a catalog, and a shared one keeps what
    it derived from its profiles (Catalog.derived) from one call to the next."""
    if catalog is not None:
        return catalog
    return load_catalog() if catalog_mod.user_profile_paths() else catalog_mod.builtin_catalog()


def _ids(value: str | Sequence[str] | None, default: Sequence[str]) -> list[str]:
    if value is None:
        return list(default)
    return [value] if isinstance(value, str) else list(value)


def scenario(id_or_path: str | None = None, overrides: Mapping[str, Any] | None = None,
             catalog: Catalog | None = None) -> Scenario:
    """A built-in scenario by id (default: team-assistant) or a scenario YAML file, with dotted-key overrides
    (`{"workload.requests_per_day": 30000, "options.gpus": ["rtx-4090"]}`) checked like the file itself."""
    given = dict(overrides or {})
    bad = [k for k in given if k.startswith("assumptions.")]
    if bad:
        raise LlmcostError(f"{bad[0]}: assumptions are part of the catalog: load_catalog(assumptions={{...}})")
    return scenario_mod.resolve(_catalog(catalog), id_or_path, given, what="overrides:")


def _scenario(sc: Scenario | str | None, catalog: Catalog, min_quality: Number | None = None) -> Scenario:
    """The scenario (by id, path or record), with `min_quality` (--min-quality) as its options.min_quality."""
    out = sc if isinstance(sc, Scenario) else scenario_mod.resolve(catalog, sc)
    if min_quality is None:
        return out
    floor = _number(min_quality, "--min-quality")
    if floor > 100:
        raise LlmcostError(f"--min-quality {floor:g}: expected a benchmark score from 0 to 100")
    return dataclasses.replace(out, options=dataclasses.replace(out.options, min_quality=floor))


def compare(scenario: Scenario | str | None = None, vs: str | None = None, samples: int | None = None, seed: int = 0,
            catalog: Catalog | None = None, min_quality: Number | None = None,
            max_memory_gib: Number | None = None) -> compare_mod.Comparison:
    """`llmcost compare`: one row per option (own N x GPU, rent offer, API) with capex, monthly cost, $ per 1M
    tokens, TCO, break-even volume and payback against `vs` (default: the scenario's first API;
    "cheapest-at-quality": the cheapest API option that clears the quality floor), and each option's quality
    score; `min_quality` leaves out options below it; with `samples`, P10/P50/P90 columns over that many
    correlated draws of the ranged inputs (refused before any work when it would take more memory than
    `max_memory_gib`, default `uncertainty.MAX_MEMORY_GIB`)."""
    limit = memory_limit_gib(max_memory_gib)
    cat = _catalog(catalog)
    sc = _scenario(scenario, cat, min_quality)
    if samples is not None:
        from llmcost import uncertainty

        return uncertainty.compare_uncertain(cat, sc, samples_count(samples), seed, vs, max_memory_gib=limit)
    return compare_mod.compare(cat, sc, vs)


def breakeven(scenario: Scenario | str | None = None, samples: int | None = None, seed: int = 0,
              catalog: Catalog | None = None, min_quality: Number | None = None,
              max_memory_gib: Number | None = None) -> Table:
    """`llmcost breakeven`: every own and rent option against every API of the scenario (that clears
    `min_quality`, if given; `samples` and `max_memory_gib` as in `compare`)."""
    limit = memory_limit_gib(max_memory_gib)
    cat = _catalog(catalog)
    sc = _scenario(scenario, cat, min_quality)
    if samples is not None:
        from llmcost import uncertainty

        return uncertainty.breakeven_uncertain(cat, sc, samples_count(samples), seed, max_memory_gib=limit)
    return compare_mod.breakeven(cat, sc)


def samples_count(samples: Number) -> int:
    """--samples as a whole number within its bounds (the memory limit is checked once the options are known)."""
    if isinstance(samples, bool) or not isinstance(samples, (numbers.Integral, str)):
        raise LlmcostError(f"--samples {samples!r}: expected a whole number of at least 1")
    return int(_option(samples, "samples", "--samples"))


def row_limit(value: Number | None) -> int:
    """--max-rows within its bounds; the default limit of a sweep when None."""
    from llmcost.sweeps import MAX_ROWS

    return MAX_ROWS if value is None else int(_option(value, "sweep.max_rows", "--max-rows"))


def memory_limit_gib(value: Number | None) -> float:
    """--max-memory-gib within its bounds; the default limit of a Monte Carlo run when None."""
    from llmcost.uncertainty import MAX_MEMORY_GIB

    return MAX_MEMORY_GIB if value is None else float(_option(value, "max_memory_gib", "--max-memory-gib"))


def _count(value: Number | None, key: str, what: str) -> int | None:
    number = _option(value, key, what)
    return None if number is None else int(number)


def serve(model: str, gpu: str | Sequence[str] | None = None, quant: str = "q4_k_m", engine: str = "auto",
          concurrency: int | str = "auto", input_tokens: Number | None = None, output_tokens: Number | None = None,
          max_tpot_ms: Number | None = None, cached_share: float = 0.0, used: bool = False,
          catalog: Catalog | None = None) -> runs.Estimate:
    """`llmcost serve` (`model` an id or a Hugging Face config.json path): weights and KV memory, concurrency,
    prefill and decode tokens/s, TTFT, TPOT (decode step), ITL and $ per 1M tokens of `model` on each GPU option
    (`NxID` = one replica on N GPUs, tensor or pipeline parallel); `concurrency` a count or "auto" (a count that
    does not fit is refused, never cut); `cached_share` of each prompt skips prefill on engines with prefix caching."""
    conc = 0 if concurrency == "auto" else _count(concurrency, "serve.concurrency", "--concurrency (a count or auto)")
    cat, model = hf_config.with_model(_catalog(catalog), model)
    return runs.serve(cat, model, _ids(gpu, ["rtx-4090"]), quant, engine, concurrency=conc or 0,
                      input_tokens=_option(input_tokens, "serve.input_tokens", "--input-tokens"),
                      output_tokens=_option(output_tokens, "serve.output_tokens", "--output-tokens"),
                      max_tpot_ms=_option(max_tpot_ms, "serve.max_tpot_ms", "--max-tpot-ms"),
                      cached_share=_share(cached_share, "--cached-share"), used=used)


def _share(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise LlmcostError(f"{what} {value!r}: expected a fraction from 0 to 1, e.g. 0.5")
    return float(value)


def finetune(model: str, gpu: str | Sequence[str] | None = None, method: str = "lora", rank: Number | None = None,
             targets: str = "all", batch: Number | None = None, seq_len: Number | None = None, checkpointing: bool | None = None,
             tokens: Number | None = None, epochs: Number | None = None, api: str | Sequence[str] | None = None,
             shard: bool | None = None, offload: bool = False, optimizer: str = "adamw", optimizer_in_backward: bool = False,
             loss: str = "chunked", mfu: Number | None = None, usd_per_gpu_hour: Number | None = None, used: bool = False,
             catalog: Catalog | None = None) -> runs.Estimate:
    """`llmcost finetune`: trainable parameters, memory per GPU, fit, hours, energy and owned, rented and API
    cost of a full, LoRA or QLoRA fine-tune; `shard` (FSDP/ZeRO-3, default on with several GPUs), `offload`
    (CPU offload), `optimizer` (adamw, adamw8bit, paged-adamw8bit), `optimizer_in_backward` and `loss` (full,
    chunked or fused cross-entropy over the vocabulary) say how."""
    recipe = inputs.Recipe(shard=shard, offload=offload, optimizer=optimizer, optimizer_in_backward=optimizer_in_backward,
                           checkpointing=checkpointing, loss=loss)
    cat, model = hf_config.with_model(_catalog(catalog), model)
    return runs.finetune(cat, model, _ids(gpu, ["rtx-4090"]), method, rank=_count(rank, "finetune.rank", "--rank"),
                         targets=targets, batch=_count(batch, "finetune.batch", "--batch"),
                         seq_len=_count(seq_len, "finetune.seq_len", "--seq-len"), checkpointing=checkpointing,
                         tokens=_option(tokens, "finetune.tokens", "--tokens"), epochs=_option(epochs, "finetune.epochs", "--epochs"),
                         mfu=_option(mfu, "finetune.mfu", "--mfu"),
                         usd_per_gpu_hour=_option(usd_per_gpu_hour, "finetune.usd_per_gpu_hour", "--usd-per-gpu-hour"),
                         apis=_ids(api, []), used=used, recipe=recipe)


def pretrain(model: str, gpu: str | Sequence[str] | None = None, gpus: Number | None = None, tokens: Number | None = None,
             seq_len: Number | None = None, mfu: Number | None = None, usd_per_gpu_hour: Number | None = None, used: bool = False,
             catalog: Catalog | None = None) -> runs.Estimate:
    """`llmcost pretrain`: FLOPs, GPU-hours, wall days, energy, owned and rented cost, fit, and the model's
    reported figures beside them. A bare GPU id takes `gpus` GPUs, or the fewest that fit."""
    cat, model = hf_config.with_model(_catalog(catalog), model)
    return runs.pretrain(cat, model, _ids(gpu, ["a100-80gb"]), _count(gpus, "pretrain.gpus", "--gpus"),
                         _option(tokens, "pretrain.tokens", "--tokens"), _count(seq_len, "pretrain.seq_len", "--seq-len"),
                         _option(mfu, "pretrain.mfu", "--mfu"),
                         _option(usd_per_gpu_hour, "pretrain.usd_per_gpu_hour", "--usd-per-gpu-hour"), used)


def sweep(grid: str | Path | Sequence[str | Path], overrides: Mapping[str, Any] | None = None, vs: str | None = None,
          where: str | None = None, catalog: Catalog | None = None, chunk_rows: int | None = None,
          max_rows: Number | None = None) -> Iterator[Table]:
    """`llmcost sweep`: every combination of the grid file(s), as tables of at most `chunk_rows` rows (memory
    stays flat whatever the grid); `where` keeps only the rows that match a condition. A grid of more rows than
    `max_rows` (default `sweeps.MAX_ROWS`) is refused before the first row."""
    from llmcost import sweeps as sweep_mod

    limit = row_limit(max_rows)
    cat = _catalog(catalog)
    paths = [str(grid)] if isinstance(grid, (str, Path)) else [str(g) for g in grid]
    grids = [sweep_mod.load_grid(cat, p, overrides) for p in paths]
    keep = sweep_mod.check_condition(where, sweep_mod.columns_of(grids), "--where") if where else None
    sweep_mod.check_rows(sweep_mod.count(cat, grids, overrides, vs), limit)
    for table in sweep_mod.tables(cat, grids, overrides, vs, chunk_rows or sweep_mod.CHUNK_ROWS):
        yield table.take(sweep_mod.matches(table, keep)) if keep is not None else table


def sensitivity(scenario: Scenario | str | None = None, option: str | None = None, metric: str | None = None,
                vs: str | None = None, catalog: Catalog | None = None) -> Any:
    """`llmcost sensitivity`: each ranged input at its low and high end, the others at their mode, sorted by
    how far it moves `metric` of `option` (default: the cheapest own option) against `vs`; `metric` None is
    payback_months, or tco_usd when no input moves a payback that is never (`.instead_of` then says so)."""
    from llmcost import uncertainty

    cat = _catalog(catalog)
    return uncertainty.tornado(cat, _scenario(scenario, cat), option, metric, vs)


def calibrate(results: str | Path | Sequence[str | Path], gpu: str, model: str | None = None, engine: str | None = None,
              quant: str | None = None, catalog: Catalog | None = None) -> Any:
    """`llmcost calibrate`: engine efficiencies for `gpu` fitted to llama-bench (-o json/jsonl) or vLLM
    (--save-result) result files; `.records` are the calibrations, `.profile_text()` the profile to pass with
    --profiles, `.rows()` the measured and fitted figures."""
    from llmcost import calibration, prices

    paths = [str(results)] if isinstance(results, (str, Path)) else [str(r) for r in results]
    return calibration.calibrate(_catalog(catalog), paths, gpu, model, engine, quant, today=prices.today())


def diff(base: str | Path | Sequence[Mapping[str, Any]], head: str | Path | Sequence[Mapping[str, Any]]) -> diffs.Diff:
    """`llmcost diff`: per option, the old and new TCO, monthly cost and payback and their deltas between two
    compare results: `compare -f json` files, or rows (`llmcost.compare(...).rows()`)."""
    from llmcost import diffs

    def rows(given: str | Path | Sequence[Mapping[str, Any]], name: str) -> tuple[list[dict[str, Any]], str]:
        if isinstance(given, (str, Path)):
            return diffs.read_rows(given), str(given)
        return diffs.check_rows([dict(r) for r in given], name), name

    (old, base_name), (new, head_name) = rows(base, "base"), rows(head, "head")
    return diffs.diff(old, new, base_name, head_name)


__all__ = ["breakeven", "calibrate", "compare", "diff", "finetune", "load_catalog", "pretrain", "scenario", "sensitivity",
           "serve", "sweep"]
