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
    """The profiles and assumptions every other function reads.

    The built-in profiles, then LLMCOST_PROFILES, then `paths` (later wins), with assumptions overridden by
    name. The built-ins are validated once per process; user files are read on every call.

    Parameters
    ----------
    paths : sequence of str or Path, optional
        User profile directories or YAML files, overlaid in order on the built-ins (an entry replaces the
        built-in with its id; an id defined in two user files is an error). Default: none. Mirrors
        `--profiles` (repeatable).
    assumptions : mapping of str to number or str, optional
        Assumption values by name (`"pue"` or `"assumptions.pue"`), each in that assumption's own unit
        (profiles/assumptions.yaml): a number, a text with a suffix such as "5k", or a range text
        "LOW..HIGH" / "LOW..MODE..HIGH" that Monte Carlo (`samples`) and `sensitivity` draw from.
        None: the profiles' values. Mirrors `--set assumptions.NAME=VALUE`.

    Returns
    -------
    Catalog
        Every profile entry by kind and id (`.entries["gpus"]`, `.get("models", id)`) and the assumptions
        (`.value(name)`, in each assumption's unit).

    Raises
    ------
    LlmcostError
        A profile file that cannot be read or is not valid (named with its file and line), an unknown or
        retired assumption name, or a value that is not a number within the assumption's bounds.

    Examples
    --------
    >>> import llmcost
    >>> llmcost.load_catalog(assumptions={"pue": 1.3}).value("pue")
    1.3
    >>> llmcost.load_catalog(assumptions={"puee": 1.3})
    Traceback (most recent call last):
    ...
    llmcost.errors.LlmcostError: --set assumptions.puee: unknown assumption 'puee'; did you mean 'pue'?
    """
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
    """A checked scenario: a built-in one by id or a scenario YAML file, with dotted-key overrides.

    Parameters
    ----------
    id_or_path : str, optional
        A built-in scenario id (`llmcost profiles list scenarios`) or the path of a scenario YAML file.
        None: team-assistant. Mirrors `--scenario/-s`.
    overrides : mapping of str to Any, optional
        Dotted scenario keys to values, each in the key's own unit and checked like the file itself:
        `{"workload.requests_per_day": 30000}` (requests per day), `{"options.gpus": ["rtx-4090"]}` (ids),
        `{"workload.input_tokens": "4k"}` (tokens; a text is read as on the command line, and "LOW..HIGH"
        makes it a range for Monte Carlo). None: no overrides. Mirrors `--set KEY=VALUE` (repeatable).
        Assumptions are not scenario keys: give them to `load_catalog(assumptions=...)`.
    catalog : Catalog, optional
        The profiles the scenario's ids refer to. None: `load_catalog()` (the built-ins and
        LLMCOST_PROFILES). Mirrors `--profiles`.

    Returns
    -------
    Scenario
        The scenario record: `.workload` (requests per day, tokens per request, ...), `.serving` (model,
        format, engine), `.options` (GPUs, APIs, rentals to compare), `.economics`, `.lifecycle`.

    Raises
    ------
    LlmcostError
        An unknown scenario id, a missing or invalid file (named with its line), an unknown key or a value
        outside its valid range (named, with the closest key for a typo), an id that is not in the
        catalog, or an `assumptions.` key.

    Examples
    --------
    >>> import llmcost
    >>> sc = llmcost.scenario("solo-coder", {"workload.requests_per_day": "2k"})
    >>> sc.workload.requests_per_day, sc.workload.input_tokens
    (2000.0, 4000.0)
    """
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
    """`llmcost compare`: every option of a scenario costed over its horizon against a reference API.

    One row per option (own N x GPU, rent offer, API) with capex, monthly cost, $ per 1M tokens, TCO,
    break-even volume and payback against the reference API, and each option's quality score. With
    `samples`, P10/P50/P90 columns over that many correlated draws of the ranged inputs.

    Parameters
    ----------
    scenario : Scenario or str, optional
        A scenario from `scenario()`, a built-in scenario id or a scenario YAML file. None: team-assistant.
        Mirrors `--scenario/-s` (and `--set`, through `scenario()`).
    vs : str, optional
        The reference API's id for break-even and payback, or "cheapest-at-quality" (the cheapest API
        option that clears the quality floor). None: the scenario's first API that is an alternative.
        Mirrors `--vs`.
    samples : int, optional
        Monte Carlo draws, a count (a text such as "10k" is read as on the command line). None: no Monte
        Carlo, one estimate per option. Mirrors `--samples`.
    seed : int, default 0
        Random seed of the draws (the same seed gives the same numbers); used only with `samples`.
        Mirrors `--seed`.
    catalog : Catalog, optional
        The profiles and assumptions. None: `load_catalog()`. Mirrors `--profiles` and
        `--set assumptions.NAME=VALUE`.
    min_quality : number or str, optional
        Benchmark points, 0-100 (percent correct on MMLU-Pro, or MMLU for older models): options scoring
        below it or without a score are left out. None: the scenario's `options.min_quality`. Mirrors
        `--min-quality`.
    max_memory_gib : number or str, optional
        GiB: a Monte Carlo run whose memory estimate is above this is refused before any work. None:
        `uncertainty.MAX_MEMORY_GIB` (4 GiB). Mirrors `--max-memory-gib`.

    Returns
    -------
    Comparison
        `.columns` maps each output key (option, kind, capex_usd, monthly_usd, usd_per_mtok, tco_usd,
        breakeven_tokens_per_day, payback_months, ...; with `samples` also the `_p10`, `_p50`, `_p90`
        columns and p_cheaper_than_api) to an array: inf where break-even or payback is never, NaN where
        a figure does not apply, and `fits` False where an option does not fit. `.rows()` is exactly the
        list of dicts of `llmcost compare --format json`. Also `.verdict` (text), `.reference` (the
        reference API's id) and `.cumulative` (each option that fits -> cumulative USD at the end of each
        month).

    Raises
    ------
    LlmcostError
        An invalid scenario or id (see `scenario`), an unknown `vs`, `min_quality` outside 0-100,
        `samples` that is not a whole number >= 1, `max_memory_gib` outside its bounds, or a Monte Carlo
        run whose memory estimate is above `max_memory_gib`.

    Examples
    --------
    >>> import llmcost
    >>> result = llmcost.compare("team-assistant", vs="anthropic/claude-haiku-4-5")
    >>> result.reference, result.rows()[0]["option"]
    ('anthropic/claude-haiku-4-5', 'own rtx-3090')
    >>> llmcost.compare("team-assistant", min_quality=120)
    Traceback (most recent call last):
    ...
    llmcost.errors.LlmcostError: --min-quality 120: expected a benchmark score from 0 to 100
    """
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
    """`llmcost breakeven`: every own and rent option against every API of the scenario.

    Parameters
    ----------
    scenario : Scenario or str, optional
        A scenario from `scenario()`, a built-in scenario id or a scenario YAML file. None: team-assistant.
        Mirrors `--scenario/-s`.
    samples : int, optional
        Monte Carlo draws, a count (a text such as "10k" is read as on the command line). None: no Monte
        Carlo. Mirrors `--samples`.
    seed : int, default 0
        Random seed of the draws; used only with `samples`. Mirrors `--seed`.
    catalog : Catalog, optional
        The profiles and assumptions. None: `load_catalog()`. Mirrors `--profiles`.
    min_quality : number or str, optional
        Benchmark points, 0-100: APIs and options scoring below it or without a score are left out. None:
        the scenario's `options.min_quality`. Mirrors `--min-quality`.
    max_memory_gib : number or str, optional
        GiB: a Monte Carlo run whose memory estimate is above this is refused before any work. None:
        `uncertainty.MAX_MEMORY_GIB` (4 GiB). Mirrors `--max-memory-gib`.

    Returns
    -------
    Table
        One row per (option, API): `.columns` maps option, kind, api, fits, breakeven_tokens_per_day
        (tokens per day), payback_months (months), monthly_usd and api_monthly_usd (USD per month) and
        notes to arrays (inf = never); with `samples` also their `_p10`, `_p50`, `_p90` columns and
        p_cheaper_than_api. `.rows()` is exactly the list of dicts of `llmcost breakeven --format json`.

    Raises
    ------
    LlmcostError
        As `compare`: an invalid scenario, `min_quality`, `samples` or `max_memory_gib`, or a Monte Carlo
        run whose memory estimate is above `max_memory_gib`.

    Examples
    --------
    >>> import llmcost
    >>> row = llmcost.breakeven("team-assistant").rows()[0]
    >>> row["option"], row["api"], row["payback_months"]
    ('own rtx-3090', 'openai/gpt-4o-mini', 'never')
    """
    limit = memory_limit_gib(max_memory_gib)
    cat = _catalog(catalog)
    sc = _scenario(scenario, cat, min_quality)
    if samples is not None:
        from llmcost import uncertainty

        return uncertainty.breakeven_uncertain(cat, sc, samples_count(samples), seed, max_memory_gib=limit)
    return compare_mod.breakeven(cat, sc)


def samples_count(samples: Number) -> int:
    """`--samples` as a whole number within its bounds (the memory limit is checked once the options are known).

    Parameters
    ----------
    samples : int or str
        Monte Carlo draws, a count, or a text with a suffix such as "10k". Mirrors `--samples`.

    Returns
    -------
    int
        The count, at least 1.

    Raises
    ------
    LlmcostError
        Not a whole number, or outside the bounds of `samples` (docs/reliability.md).

    Examples
    --------
    >>> samples_count("10k")
    10000
    """
    if isinstance(samples, bool) or not isinstance(samples, (numbers.Integral, str)):
        raise LlmcostError(f"--samples {samples!r}: expected a whole number of at least 1")
    return int(_option(samples, "samples", "--samples"))


def row_limit(value: Number | None) -> int:
    """`--max-rows` within its bounds.

    Parameters
    ----------
    value : int or str, optional
        Rows, a count or a text with a suffix such as "5M". None: the default limit, `sweeps.MAX_ROWS`.
        Mirrors `--max-rows`.

    Returns
    -------
    int
        The most rows a sweep may expand to.

    Raises
    ------
    LlmcostError
        Not a whole number, or outside the bounds of `sweep.max_rows` (docs/reliability.md).

    Examples
    --------
    >>> row_limit("5k"), row_limit(None)
    (5000, 100000000)
    """
    from llmcost.sweeps import MAX_ROWS

    return MAX_ROWS if value is None else int(_option(value, "sweep.max_rows", "--max-rows"))


def memory_limit_gib(value: Number | None) -> float:
    """`--max-memory-gib` within its bounds.

    Parameters
    ----------
    value : number or str, optional
        GiB of memory a Monte Carlo run may be estimated to take. None: the default limit,
        `uncertainty.MAX_MEMORY_GIB`. Mirrors `--max-memory-gib`.

    Returns
    -------
    float
        The limit in GiB.

    Raises
    ------
    LlmcostError
        Not a number, or outside the bounds of `max_memory_gib` (docs/reliability.md).

    Examples
    --------
    >>> memory_limit_gib(None), memory_limit_gib("0.5")
    (4.0, 0.5)
    """
    from llmcost.uncertainty import MAX_MEMORY_GIB

    return MAX_MEMORY_GIB if value is None else float(_option(value, "max_memory_gib", "--max-memory-gib"))


def _count(value: Number | None, key: str, what: str) -> int | None:
    number = _option(value, key, what)
    return None if number is None else int(number)


def serve(model: str, gpu: str | Sequence[str] | None = None, quant: str = "q4_k_m", engine: str = "auto",
          concurrency: int | str = "auto", input_tokens: Number | None = None, output_tokens: Number | None = None,
          max_tpot_ms: Number | None = None, cached_share: float = 0.0, used: bool = False,
          catalog: Catalog | None = None) -> runs.Estimate:
    """`llmcost serve`: memory, throughput, latency and cost of serving a model on each GPU option.

    Weights and KV memory, concurrency, prefill and decode tokens/s, TTFT, TPOT (the decode step), ITL and
    $ per 1M tokens of one replica (`NxID` = one replica on N GPUs, tensor or pipeline parallel, whichever
    serves more requests per second).

    Parameters
    ----------
    model : str
        A model id (`llmcost profiles list models`) or the path of a Hugging Face config.json. Mirrors
        `--model/-m`.
    gpu : str or sequence of str, optional
        GPU options, each a GPU id or `NxID` (N GPUs per replica, e.g. "2xrtx-3090"). None: "rtx-4090".
        Mirrors `--gpu/-g` (repeatable).
    quant : str, default "q4_k_m"
        Weight format id (bf16, fp16, fp8, int8, q8_0, q4_k_m, awq-int4, "4.0bpw", ...). Mirrors `--quant/-q`.
    engine : str, default "auto"
        Engine id (llama.cpp, vllm, exllamav2, tensorrt-llm, mlc-llm), or "auto": the first engine that
        runs the format on the GPU's maker. Mirrors `--engine/-e`.
    concurrency : int or str, default "auto"
        Sequences decoded together, a count (or a text such as "1k"), or "auto": the batch with the most
        requests/s whose decode step meets `max_tpot_ms`. A count that does not fit is reported as not
        fitting, never cut. Mirrors `--concurrency/-c`.
    input_tokens : number or str, optional
        Prompt tokens per request (a text such as "4k" is read as on the command line). None: the
        `serve_input_tokens` assumption. Mirrors `--input-tokens`.
    output_tokens : number or str, optional
        Generated tokens per request. None: the `serve_output_tokens` assumption. Mirrors `--output-tokens`.
    max_tpot_ms : number or str, optional
        Latency target, ms per decode step (tpot_s); "auto" concurrency keeps to it and `fits` reads
        "misses target" where it is missed. None: no target. Mirrors `--max-tpot-ms`.
    cached_share : float, default 0.0
        Fraction 0-1 of each prompt that is an already cached prefix: it skips prefill on engines with
        prefix caching. Mirrors `--cached-share`.
    used : bool, default False
        Price owned GPUs at used-market prices where known. Mirrors `--used`.
    catalog : Catalog, optional
        The profiles and assumptions. None: `load_catalog()`. Mirrors `--profiles` and `--set`.

    Returns
    -------
    Estimate
        One row per GPU option. `.columns` maps each output key to an array: gpu, gpus, fits,
        weights_gib (GiB), kv_mib_per_sequence (MiB), max_concurrency and concurrency (sequences),
        prefill_tokens_per_s, decode_tokens_per_s and output_tokens_per_s (tokens/s), requests_per_s,
        ttft_s, tpot_s and itl_s (seconds), usd_per_mtok and usd_per_mtok_rented (USD per 1M tokens), ...
        `.rows()` is exactly the list of dicts of `llmcost serve --format json` ("does not fit" in the
        rates of a row that does not fit). `.explanation.text()` is the `--explain` trace.

    Raises
    ------
    LlmcostError
        An unknown model, GPU, format or engine id, an engine that does not run the format on that GPU, an
        unreadable config.json, or a number outside its bounds (docs/reliability.md).

    Examples
    --------
    >>> import llmcost
    >>> row = llmcost.serve("llama-3.1-8b", gpu="rtx-4090", quant="q4_k_m", concurrency=4).rows()[0]
    >>> row["concurrency"], row["parallelism"], row["fits"]
    (4, 'single', True)
    >>> llmcost.serve("llama-3.1-8b", cached_share=1.5)
    Traceback (most recent call last):
    ...
    llmcost.errors.LlmcostError: --cached-share 1.5: expected a fraction from 0 to 1, e.g. 0.5
    """
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
    """`llmcost finetune`: memory, time, energy and cost of a full, LoRA or QLoRA fine-tune on each GPU option.

    Trainable parameters, memory per GPU, fit, hours, energy and owned and rented cost per GPU option, and
    the price of each API's fine-tuning. A GPU option that does not fit names the options that would make
    it fit (`reason`).

    Parameters
    ----------
    model : str
        A model id or the path of a Hugging Face config.json. Mirrors `--model/-m`.
    gpu : str or sequence of str, optional
        GPU options, each a GPU id or `NxID` (N GPUs in one box). None: "rtx-4090". Mirrors `--gpu/-g`.
    method : str, default "lora"
        "full", "lora" or "qlora" (LoRA on a 4-bit NF4 base). Mirrors `--method`.
    rank : int or str, optional
        LoRA rank, a count. None: the `lora_rank` assumption. Mirrors `--rank`.
    targets : str, default "all"
        LoRA targets: "qv" (W_q and W_v), "attention" (all four attention matrices) or "all" (attention
        and every MLP matrix). Mirrors `--targets`.
    batch : int or str, optional
        Micro-batch, sequences per GPU. None: the `finetune_batch` assumption. Mirrors `--batch`.
    seq_len : int or str, optional
        Tokens per sequence. None: the `finetune_seq_len` assumption. Mirrors `--seq-len`.
    checkpointing : bool, optional
        Activation checkpointing on (True) or off (False). None: on only when the run does not fit
        without it. Mirrors `--checkpointing/--no-checkpointing`.
    tokens : number or str, optional
        Dataset tokens (a text such as "20M"); the tokens trained on are this x `epochs`. None: the
        `finetune_dataset_tokens` assumption. Mirrors `--tokens`.
    epochs : number or str, optional
        Passes over the dataset (may be fractional). None: the `finetune_epochs` assumption. Mirrors
        `--epochs`.
    api : str or sequence of str, optional
        API ids whose fine-tuning price to add as rows. None: none. Mirrors `--api/-a` (repeatable).
    shard : bool, optional
        Shard weights, gradients and optimizer states across the GPUs (FSDP FULL_SHARD / ZeRO-3); False
        is data parallel. None: on with several GPUs. Mirrors `--shard/--no-shard`.
    offload : bool, default False
        Keep weights and optimizer states in CPU memory (FSDP CPU offload). Mirrors `--offload`.
    optimizer : str, default "adamw"
        "adamw", "adamw8bit" or "paged-adamw8bit" (states of full fine-tuning). Mirrors `--optimizer`.
    optimizer_in_backward : bool, default False
        Step the optimizer per layer in the backward pass (no full gradient buffer). Mirrors
        `--optimizer-in-backward`.
    loss : str, default "chunked"
        Cross-entropy over the vocabulary: "chunked" (torchtune), "full" (FP32 logits, Hugging Face) or
        "fused" (Liger, Unsloth). Mirrors `--loss`.
    mfu : number or str, optional
        Model FLOPs utilisation, fraction 0-1 of the dense BF16 peak. None: the `mfu_single_gpu`
        assumption up to one host's GPUs (the engine adds the collectives itself), `mfu_nvlink` or
        `mfu_pcie` beyond, times the GPU's mfu_factor. Mirrors `--mfu`.
    usd_per_gpu_hour : number or str, optional
        Rental price, USD per GPU-hour. None: the cheapest rental offer for the GPU. Mirrors
        `--usd-per-gpu-hour`.
    used : bool, default False
        Price owned GPUs at used-market prices where known. Mirrors `--used`.
    catalog : Catalog, optional
        The profiles and assumptions. None: `load_catalog()`. Mirrors `--profiles` and `--set`.

    Returns
    -------
    Estimate
        One row per GPU option (kind "gpu") and per API (kind "api"). `.columns` maps each output key to
        an array: option, kind, gpus, fits, trainable_params (a count), dataset_tokens and tokens
        (tokens), epochs, flops (FLOPs), memory_per_gpu_gib (GiB), tokens_per_s (tokens/s), gpu_hours and
        wall_hours (hours), energy_kwh (kWh), capex_usd, cost_owned_usd, cost_rented_usd and cost_api_usd
        (USD; NaN where a column does not apply to the row's kind), reason, ... `.rows()` is exactly the
        list of dicts of `llmcost finetune --format json`. `.explanation.text()` is the `--explain` trace.

    Raises
    ------
    LlmcostError
        An unknown model, GPU or API id, a `method`, `targets`, `optimizer` or `loss` not in its list, an
        unreadable config.json, or a number outside its bounds (docs/reliability.md).

    Examples
    --------
    >>> import llmcost
    >>> row = llmcost.finetune("llama-3.1-8b", gpu="rtx-4090", method="qlora", tokens="20M", epochs=2).rows()[0]
    >>> row["dataset_tokens"], row["epochs"], row["tokens"], row["fits"]
    (20000000, 2, 40000000, True)
    >>> llmcost.finetune("llama-3.1-8b", method="dora")
    Traceback (most recent call last):
    ...
    llmcost.errors.LlmcostError: --method 'dora': use full, lora, qlora
    """
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
    """`llmcost pretrain`: FLOPs, GPU-hours, wall days, energy, owned and rented cost and fit of pre-training.

    One row per GPU option, with the model's reported figures (GPU-hours, FLOPs, energy) beside the
    estimate; they never feed it.

    Parameters
    ----------
    model : str
        A model id or the path of a Hugging Face config.json. Mirrors `--model/-m`.
    gpu : str or sequence of str, optional
        GPU options, each a GPU id (takes `gpus` GPUs) or `NxID` (takes N). None: "a100-80gb". Mirrors
        `--gpu/-g` (repeatable).
    gpus : int or str, optional
        GPUs for a bare GPU id, a count (a text such as "2k"). None: the fewest that fit the weights,
        gradients and optimizer states. Mirrors `--gpus`.
    tokens : number or str, optional
        Training tokens (a text such as "1.4T"). None: the model's `pretrain_tokens_b`. Mirrors `--tokens`.
    seq_len : int or str, optional
        Tokens per sequence. None: the model's context, at most the `pretrain_seq_len_max` assumption.
        Mirrors `--seq-len`.
    mfu : number or str, optional
        Model FLOPs utilisation, fraction 0-1 of the dense BF16 peak. None: the `mfu_single_gpu`,
        `mfu_nvlink` or `mfu_pcie` assumption for the setting, times the GPU's mfu_factor. Mirrors `--mfu`.
    usd_per_gpu_hour : number or str, optional
        Rental price, USD per GPU-hour. None: the cheapest rental offer for the GPU. Mirrors
        `--usd-per-gpu-hour`.
    used : bool, default False
        Price owned GPUs at used-market prices where known. Mirrors `--used`.
    catalog : Catalog, optional
        The profiles and assumptions. None: `load_catalog()`. Mirrors `--profiles` and `--set`.

    Returns
    -------
    Estimate
        One row per GPU option. `.columns` maps each output key to an array: gpu, gpus, tokens (tokens),
        flops (FLOPs), mfu, fits, memory_per_gpu_gib (GiB), min_gpus (a count; inf = none fits), gpu_hours
        and wall_hours (hours), wall_days (days), energy_kwh (kWh), capex_usd, cost_owned_usd and
        cost_rented_usd (USD), the reported_* figures (NaN where the model reports none), ... `.rows()` is
        exactly the list of dicts of `llmcost pretrain --format json`. `.explanation.text()` is the
        `--explain` trace.

    Raises
    ------
    LlmcostError
        An unknown model or GPU id, no `tokens` for a model that reports none, an unreadable config.json,
        or a number outside its bounds (docs/reliability.md).

    Examples
    --------
    >>> import llmcost
    >>> row = llmcost.pretrain("llama-7b", gpu="a100-80gb", gpus=2048, tokens="1T").rows()[0]
    >>> row["gpus"], row["tokens"], row["reported_gpu_hours"]
    (2048, 1000000000000, 82432)
    >>> llmcost.pretrain("llama-7b", gpus=0)
    Traceback (most recent call last):
    ...
    llmcost.errors.LlmcostError: --gpus: expected an integer >= 1 and <= 1e+07, got 0
    """
    cat, model = hf_config.with_model(_catalog(catalog), model)
    return runs.pretrain(cat, model, _ids(gpu, ["a100-80gb"]), _count(gpus, "pretrain.gpus", "--gpus"),
                         _option(tokens, "pretrain.tokens", "--tokens"), _count(seq_len, "pretrain.seq_len", "--seq-len"),
                         _option(mfu, "pretrain.mfu", "--mfu"),
                         _option(usd_per_gpu_hour, "pretrain.usd_per_gpu_hour", "--usd-per-gpu-hour"), used)


def sweep(grid: str | Path | Sequence[str | Path], overrides: Mapping[str, Any] | None = None, vs: str | None = None,
          where: str | None = None, catalog: Catalog | None = None, chunk_rows: int | None = None,
          max_rows: Number | None = None) -> Iterator[Table]:
    """`llmcost sweep`: every combination of the grid file(s), costed like `compare`, in chunks.

    A generator: nothing is read or checked until the first table is asked for. Memory stays flat
    whatever the grid, and a grid of more rows than `max_rows` is refused before the first row.

    Parameters
    ----------
    grid : str or Path, or a sequence of them
        Grid YAML file(s): `base:` a scenario, `grid:` dotted scenario keys to lists or ranges of values,
        `zip:` keys that vary together. Mirrors the command's GRID.yaml arguments.
    overrides : mapping of str to Any, optional
        Dotted scenario keys to values applied to each grid's base scenario, each in the key's own unit
        (as in `scenario`). None: none. Mirrors `--set KEY=VALUE`; assumptions belong to the catalog
        (`load_catalog(assumptions=...)`).
    vs : str, optional
        The reference API's id for break-even and payback. None: each scenario's first API. Mirrors `--vs`.
    where : str, optional
        Keep only the rows that match a condition over the output keys, e.g.
        'kind == "own" and payback_months < 12' (a small grammar, never `eval`). None: every row. Mirrors
        `--where`.
    catalog : Catalog, optional
        The profiles and assumptions. None: `load_catalog()`. Mirrors `--profiles` and
        `--set assumptions.NAME=VALUE`.
    chunk_rows : int, optional
        Most rows per table (and per engine call), a count. None: `sweeps.CHUNK_ROWS` (50,000). Mirrors
        the hidden `--chunk-rows`.
    max_rows : int or str, optional
        Most rows the grids may expand to, a count (a text such as "5M"). None: `sweeps.MAX_ROWS`
        (100,000,000). Mirrors `--max-rows`.

    Returns
    -------
    iterator of Table
        Tables of at most `chunk_rows` rows (fewer at the end of each combination of profile ids, and
        where `where` drops rows). Each table's `.columns` maps
        every grid key, then compare's output keys (option, kind, tco_usd, payback_months, ...), to an
        array (inf = never, NaN = n/a); `.rows()` is exactly the rows the command writes with
        `--format jsonl`.

    Raises
    ------
    LlmcostError
        When the first table is asked for: a missing or invalid grid file (named with its line), an
        invalid override or `where`, or more rows than `max_rows`.

    Examples
    --------
    >>> import llmcost, pathlib, tempfile
    >>> grid = pathlib.Path(tempfile.mkdtemp()) / "grid.yaml"
    >>> _ = grid.write_text("grid:\\n  workload.requests_per_day: [1000, 100000]\\n  options.gpus: [rtx-3090, rtx-4090]\\n")
    >>> own = [r for table in llmcost.sweep(grid, where='kind == "own"') for r in table.rows()]
    >>> [(r["workload.requests_per_day"], r["option"]) for r in own]
    [(1000, 'own rtx-3090'), (100000, 'own rtx-3090'), (1000, 'own rtx-4090'), (100000, 'own rtx-4090')]
    >>> next(llmcost.sweep(grid, max_rows=2))
    Traceback (most recent call last):
    ...
    llmcost.errors.LlmcostError: the grid expands to 46 rows, more than the limit of 2 (--max-rows); narrow the grid or raise the limit with --max-rows 46
    """
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
    """`llmcost sensitivity`: which ranged inputs move a metric of one option most (a tornado).

    Each ranged input (in the scenario, a profile or the assumptions) at its low and high end with the
    others at their mode, sorted by how far it moves the metric, largest swing first.

    Parameters
    ----------
    scenario : Scenario or str, optional
        A scenario from `scenario()`, a built-in scenario id or a scenario YAML file. None: team-assistant.
        Mirrors `--scenario/-s`.
    option : str, optional
        An own or rent option's label, e.g. "own rtx-4090" or "rent runpod/rtx-4090-community". None: the
        cheapest own option. Mirrors `--option`.
    metric : str, optional
        "payback_months" (months), "tco_usd" (USD) or "breakeven_tokens_per_day" (tokens per day). None:
        payback_months, or tco_usd when no input moves a payback that is never (`.instead_of` then names
        payback_months). Mirrors `--metric`.
    vs : str, optional
        The reference API's id. None: the scenario's first API. Mirrors `--vs`.
    catalog : Catalog, optional
        The profiles and assumptions (ranges given as "LOW..HIGH" in `load_catalog(assumptions=...)`).
        None: `load_catalog()`. Mirrors `--profiles` and `--set`.

    Returns
    -------
    Tornado
        One row per input that moves the metric. `.columns` maps input, distribution, low, mode, high (in
        the input's unit), METRIC_at_low, METRIC_at_high and METRIC_swing (in the metric's unit) to
        arrays; `.rows()` is exactly the list of dicts of `llmcost sensitivity --format json`. Also
        `.option`, `.reference`, `.metric`, `.base` (the metric with every input at its mode), `.no_effect`
        (inputs that move nothing) and `.instead_of`.

    Raises
    ------
    LlmcostError
        An invalid scenario, an unknown option label, metric or API id.

    Examples
    --------
    >>> import llmcost
    >>> t = llmcost.sensitivity("solo-coder", metric="tco_usd")
    >>> t.option, t.metric, t.rows()[0]["input"]
    ('own rtx-3090', 'tco_usd', 'assumptions.ops_hours_per_month')
    """
    from llmcost import uncertainty

    cat = _catalog(catalog)
    return uncertainty.tornado(cat, _scenario(scenario, cat), option, metric, vs)


def calibrate(results: str | Path | Sequence[str | Path], gpu: str, model: str | None = None, engine: str | None = None,
              quant: str | None = None, catalog: Catalog | None = None) -> Any:
    """`llmcost calibrate`: engine efficiencies for one GPU fitted to your own benchmark runs.

    One calibration per engine and weight format found in the result files; `serve`, `compare` and sweeps
    use it instead of the engine's defaults once its profile is loaded.

    Parameters
    ----------
    results : str or Path, or a sequence of them
        llama-bench output (`-o json` or `-o jsonl`) or vLLM `benchmark_serving.py --save-result` JSON
        files. Mirrors the command's RESULTS arguments.
    gpu : str
        The GPU id the runs were made on (each file must name it). Mirrors `--gpu/-g`.
    model : str, optional
        The model id the runs used. None: matched by parameter count (llama-bench) or vLLM's model_id.
        Mirrors `--model/-m`.
    engine : str, optional
        The engine id. None: from the llama-bench backend, or vllm. Mirrors `--engine/-e`.
    quant : str, optional
        The weight format id. None: from llama-bench's model_type, or vLLM's `--metadata quantization=...`.
        Mirrors `--quant/-q`.
    catalog : Catalog, optional
        The profiles and assumptions. None: `load_catalog()`. Mirrors `--profiles`.

    Returns
    -------
    Calibrated
        `.records`: the calibrations (bandwidth_efficiency, compute_efficiency, prefill_efficiency:
        fractions 0-1 of the hardware roof). `.table.columns` maps calibration, source, model, quantity,
        measured and fitted (in the quantity's unit: tokens/s or seconds), fitted_error and default_error
        (relative), efficiency and value to arrays; `.rows()` is exactly the list of dicts of
        `llmcost calibrate --format json`. `.profile_text()` is the profile YAML to pass with `--profiles`;
        `.notes` the lines skipped.

    Raises
    ------
    LlmcostError
        No file given, a missing or unreadable file, a run on another GPU or on several devices, a model
        that is not in the catalogue (or matches several), or a weight format or engine it cannot tell.

    Examples
    --------
    >>> import llmcost
    >>> llmcost.calibrate([], gpu="rtx-4090")
    Traceback (most recent call last):
    ...
    llmcost.errors.LlmcostError: give at least one result file (llama-bench -o json/jsonl, or vLLM --save-result JSON)
    """
    from llmcost import calibration, prices

    paths = [str(results)] if isinstance(results, (str, Path)) else [str(r) for r in results]
    return calibration.calibrate(_catalog(catalog), paths, gpu, model, engine, quant, today=prices.today())


def diff(base: str | Path | Sequence[Mapping[str, Any]], head: str | Path | Sequence[Mapping[str, Any]]) -> diffs.Diff:
    """`llmcost diff`: per option, the old and new TCO, monthly cost and payback of two compare results.

    Parameters
    ----------
    base : str or Path, or a sequence of mappings
        The result before the change: a `llmcost compare --format json` file, or its rows
        (`llmcost.compare(...).rows()`). Mirrors the command's BASE.json argument.
    head : str or Path, or a sequence of mappings
        The result after the change, in the same forms. Mirrors the command's HEAD.json argument.

    Returns
    -------
    Diff
        One row per option of either side. `.columns` maps option, kind, change ("changed", "unchanged",
        "added", "removed") and old_, new_ and delta_ of tco_usd (USD), monthly_usd (USD per month) and
        payback_months (months) to arrays of cells as they read: numbers, or words for states ("never",
        "absent", "was never", "still never", ...). `.rows()` is exactly the list of dicts of
        `llmcost diff --format json`; `.summary` says how many options changed.

    Raises
    ------
    LlmcostError
        A missing, unreadable, oversized or non-JSON file, or rows that are not compare output (a row
        without an option, an option twice, a missing key, or a cell neither a number nor a state).

    Examples
    --------
    >>> import llmcost
    >>> before = llmcost.compare("team-assistant").rows()
    >>> after = llmcost.compare(llmcost.scenario("team-assistant", {"workload.requests_per_day": 6000})).rows()
    >>> d = llmcost.diff(before, after)
    >>> d.summary
    '11 options changed, 0 added, 0 removed, 9 unchanged.'
    >>> d.rows()[0]["option"], d.rows()[0]["change"], d.rows()[0]["delta_tco_usd"] > 0
    ('own rtx-3090', 'changed', True)
    """
    from llmcost import diffs

    def rows(given: str | Path | Sequence[Mapping[str, Any]], name: str) -> tuple[list[dict[str, Any]], str]:
        if isinstance(given, (str, Path)):
            return diffs.read_rows(given), str(given)
        return diffs.check_rows([dict(r) for r in given], name), name

    (old, base_name), (new, head_name) = rows(base, "base"), rows(head, "head")
    return diffs.diff(old, new, base_name, head_name)


__all__ = ["breakeven", "calibrate", "compare", "diff", "finetune", "load_catalog", "pretrain", "scenario", "sensitivity",
           "serve", "sweep"]
