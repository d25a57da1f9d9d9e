"""The mapping every price source shares: source prices -> llmcost `apis:` entries, or a reason not to guess.

A reader (`genai_prices`, `litellm`) turns each source model into `Price`s per role (input, output, cached)
and calls `api_entry`; anything llmcost cannot represent faithfully raises `Unmappable` with the reason,
and `collect` lists those instead of writing them. `ModelLinks` sets `serves_model` from the alias table in
profiles/data/price_aliases.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from llmcost.catalog import builtin_data_file
from llmcost.errors import LlmcostError, unknown
from llmcost.price_import.shape import Fields, ListOf, Text, ValuesOf, check
from llmcost.yamlsrc import read_yaml

ALIASES_FILE = "price_aliases.yaml"

_ALIASES_SHAPE = Fields({"strip_prefixes": ListOf(Text(min_len=1)), "aliases": ValuesOf(Text(min_len=1))},
                        required=("strip_prefixes", "aliases"))


@dataclass(frozen=True)
class Price:
    """One price in USD per 1M tokens: a base and `(above_tokens, price)` tiers for the whole request."""

    base: Decimal
    tiers: tuple[tuple[int, Decimal], ...] = ()

    def at(self, prompt_tokens: int) -> Decimal:
        """The price for a request whose prompt is just over `prompt_tokens`."""
        price = self.base
        for start, tier_price in self.tiers:
            if prompt_tokens >= start:
                price = tier_price
        return price


class Unmappable(Exception):
    """An entry llmcost cannot represent without guessing; the message says why."""


@dataclass
class Imported:
    """What an import produced: `apis` entries ready for YAML, the entries left out and why, and the data's name."""

    entries: list[dict[str, Any]]
    skipped: list[tuple[str, str]]  # (source name, reason)
    source: str
    as_of: str
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ModelLinks:
    """Source model name -> llmcost model id, for `serves_model`: an alias table limited to the models that exist.

    Only names listed in the table link (no fuzzy matching); `strip_prefixes` come off a name before lookup.

    >>> links = ModelLinks({"meta-llama/llama-3.1-8b-instruct": "llama-3.1-8b"}, ("accounts/x/",), {"llama-3.1-8b"})
    >>> links.serves_model("Meta-Llama/Llama-3.1-8B-Instruct"), links.serves_model("accounts/x/meta-llama/llama-3.1-8b-instruct")
    ('llama-3.1-8b', 'llama-3.1-8b')
    >>> links.serves_model("llama-3.1-8b-ish") is None
    True
    """

    aliases: Mapping[str, str]
    strip_prefixes: tuple[str, ...]
    model_ids: Collection[str]

    def serves_model(self, model_name: str) -> str | None:
        """The llmcost model `model_name` hosts, when the table names one that has a profile."""
        name = model_name.lower()
        for prefix in self.strip_prefixes:
            name = name.removeprefix(prefix)
        target = self.aliases.get(name)
        return target if target in self.model_ids else None


def load_model_links(model_ids: Collection[str]) -> ModelLinks:
    """The alias table shipped in profiles/data/price_aliases.yaml, for the models in `model_ids`."""
    path = builtin_data_file(ALIASES_FILE)
    doc = read_yaml(path, f"profiles/data/{ALIASES_FILE}", trusted=True)
    check(doc, _ALIASES_SHAPE)
    return ModelLinks({str(k): str(v) for k, v in doc["aliases"].items()}, tuple(doc["strip_prefixes"]), model_ids)


def llmcost_id(provider: str, model: str) -> str:
    """`provider/model` in llmcost's id alphabet: lowercase, and any other character than a-z 0-9 . _ / + - as '-'.

    >>> llmcost_id("together", "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo")
    'together/meta-llama/meta-llama-3.1-8b-instruct-turbo'
    >>> llmcost_id("bedrock", "anthropic.claude-3-haiku-20240307-v1:0")
    'bedrock/anthropic.claude-3-haiku-20240307-v1-0'
    """
    return re.sub(r"[^a-z0-9._/+-]", "-", f"{provider}/{model}".lower())


def yaml_number(d: Decimal) -> float | int:
    """A price as YAML writes it: an int when whole, else the nearest float (0.1, not 0.09999999999999999)."""
    value = float(d)
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def context_tiers(prices: Mapping[str, Price | None]) -> list[dict[str, Any]]:
    """`context_tiers` entries for input/output/cached prices with tiers; flat prices repeat in every tier.

    Every source tier applies its price to the whole request once the prompt is longer than its start,
    as llmcost's tiers do, so the union of the starts gives one llmcost tier each.
    """
    starts = sorted({s for p in prices.values() if p is not None for s, _ in p.tiers})
    out = []
    for start in starts:
        if start < 1:
            raise Unmappable(f"tiers not expressible (a tier above {start} tokens; llmcost needs above_tokens >= 1)")
        tier: dict[str, Any] = {"above_tokens": start}
        for key, name in (("input", "input_usd_per_mtok"), ("output", "output_usd_per_mtok"),
                          ("cached", "cached_input_usd_per_mtok")):
            p = prices.get(key)
            if p is not None:
                tier[name] = yaml_number(p.at(start))
        out.append(tier)
    return out


def batch_discount(standard: Mapping[str, Price], batch: Mapping[str, Price | None]) -> float | None:
    """The fraction off when batch input and output prices (and their tiers) are one uniform discount, else None."""
    ratios = set()
    for key in ("input", "output"):
        s, b = standard.get(key), batch.get(key)
        if s is None or b is None or len(s.tiers) != len(b.tiers):
            return None
        pairs = [(s.base, b.base)] + [(sp, bp) for (ss, sp), (bs, bp) in zip(s.tiers, b.tiers, strict=True) if ss == bs]
        if len(pairs) != len(s.tiers) + 1 or any(sp <= 0 for sp, _ in pairs):
            return None
        ratios |= {(bp / sp).quantize(Decimal("0.0001")) for sp, bp in pairs}
    if len(ratios) != 1:
        return None
    off = 1 - ratios.pop()
    return float(off) if 0 < off < 1 else None


def api_entry(*, id_: str, name: str, provider: str, prices: Mapping[str, Price | None], as_of: str,
              source: str, context: int | None = None, batch: float | None = None, model: str | None = None,
              notes: Sequence[str] = ()) -> dict[str, Any]:
    """One `apis:` entry as a YAML-ready mapping, keys in the order the built-in file uses; runs of whitespace
    (tabs, line breaks) in the name and source are written as one space."""
    inp, out, cached = prices.get("input"), prices.get("output"), prices.get("cached")
    if inp is None or out is None:
        missing = [k for k, p in (("input", inp), ("output", out)) if p is None]
        raise Unmappable(f"missing {' and '.join(missing)} token price{'s' if len(missing) > 1 else ''}")
    entry: dict[str, Any] = {"id": id_, "name": " ".join(name.split()), "provider": provider,
                             "input_usd_per_mtok": yaml_number(inp.base), "output_usd_per_mtok": yaml_number(out.base)}
    if cached is not None:
        entry["cached_input_usd_per_mtok"] = yaml_number(cached.base)
    if batch is not None:
        entry["batch_discount"] = batch
    if context is not None and context >= 1:
        entry["context"] = context
    tiers = context_tiers(prices)
    if tiers:
        entry["context_tiers"] = tiers
    if model is not None:
        entry["serves_model"] = model
    entry["as_of"] = as_of
    entry["sources"] = {"default": " ".join(source.split())}
    if notes:
        entry["notes"] = " ".join(notes)
    return entry


def collect(items: Iterable[tuple[str, str, Any, str]], build: Callable[[str, str, Any], dict[str, Any]],
            wanted: Collection[str]) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Run `build(provider, name, raw)` over every (provider, name, raw, shown name) of the wanted providers:
    the entries, and (shown name, reason) for each one left out."""
    entries: list[dict[str, Any]] = []
    skipped: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for provider, name, raw, shown in items:
        if wanted and provider not in wanted:
            continue
        try:
            entry = build(provider, name, raw)
        except Unmappable as e:
            skipped.append((shown, str(e)))
            continue
        if entry["id"] in seen:
            skipped.append((shown, f"same llmcost id {entry['id']!r} as {seen[entry['id']]}"))
            continue
        seen[entry["id"]] = shown
        entries.append(entry)
    return entries, skipped


def check_providers(wanted: Collection[str], known: Collection[str], source: str) -> None:
    """LlmcostError for the first `--provider` the source does not have, with the closest names."""
    for p in wanted:
        if p not in known:
            raise LlmcostError(f"--provider: {unknown(f'{source} provider', p, known)}")
