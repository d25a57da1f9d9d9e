"""Reading LiteLLM's model_prices_and_context_window.json: a mapping of model name -> prices in USD per token.

The file is checked against `SHAPE` (the fields llmcost reads, with the types LiteLLM's own schema test
gives them) before any entry is mapped. Prices per token become prices per 1M tokens, exactly (Decimal);
`*_above_Nk_tokens` prices become context tiers, `cache_read_input_token_cost` the cached-input price,
uniform `*_batches` prices the batch discount; modes other than LITELLM_MODES, per-request and per-second
pricing and `tiered_pricing` ranges are listed as unmappable.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from llmcost.price_import.entries import (
    Imported,
    ModelLinks,
    Price,
    Unmappable,
    api_entry,
    batch_discount,
    check_providers,
    collect,
    llmcost_id,
)
from llmcost.price_import.shape import Date, Fields, Number, Text, ValuesOf, check
from llmcost.schema import MAX_VALUE

LITELLM_MODES = ("chat", "responses")
"""LiteLLM modes priced per token for text generation (`responses`: chat models served only by OpenAI's
Responses API). Embedding, image, audio, rerank, moderation, completion and other modes are skipped."""

MTOK = Decimal(1_000_000)

_PROVIDERS = {"together_ai": "together", "fireworks_ai": "fireworks", "gemini": "google", "xai": "x-ai",
              "text-completion-openai": "openai"}
_ROLE = {"input_cost_per_token": "input", "output_cost_per_token": "output", "cache_read_input_token_cost": "cached"}
_TIER_KEY = re.compile(r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost)_above_(\d+)(k|m)_tokens$")
_TOKEN_PRICE = re.compile(r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost)(_above_\d+[km]_tokens)?(_batches)?$")
_PER_REQUEST = ("input_cost_per_request", "input_cost_per_query", "cost_per_request")
_PER_TIME = ("input_cost_per_second", "output_cost_per_second", "cost_per_second")

_COST = Number(0, MAX_VALUE)
SHAPE = ValuesOf(Fields({"litellm_provider": Text(200, min_len=1), "mode": Text(100), "max_input_tokens": Number(0, MAX_VALUE),
                         "deprecation_date": Date(), "source": Text(10_000), **{k: _COST for k in _PER_REQUEST + _PER_TIME}},
                        patterns=((_TOKEN_PRICE, _COST),)),
                 key=Text(300, min_len=1), skip=frozenset({"sample_spec"}),
                 what="a mapping of model name -> prices (model_prices_and_context_window.json)")
"""A LiteLLM prices file, as far as llmcost reads it (`sample_spec` documents the fields and is not read)."""


def provider_name(name: str) -> str:
    """LiteLLM's provider name in llmcost's words ('together_ai' -> 'together', 'vertex_ai-*' -> 'vertex-ai')."""
    return "vertex-ai" if name.startswith("vertex_ai") else _PROVIDERS.get(name, name.lower())


def _per_mtok(value: Any) -> Decimal:
    return Decimal(str(value)) * MTOK


def _prices(spec: Mapping[str, Any]) -> dict[str, Price | None]:
    if "tiered_pricing" in spec:
        raise Unmappable("tiers not expressible (tiered_pricing ranges)")
    for key in _PER_REQUEST:
        if spec.get(key):
            raise Unmappable(f"per-request pricing ({key})")
    tiers: dict[str, list[tuple[int, Decimal]]] = {"input": [], "output": [], "cached": []}
    for key, value in spec.items():
        m = _TIER_KEY.match(key)
        if m and value is not None:
            start = int(m.group(2)) * (1000 if m.group(3) == "k" else 1_000_000)
            tiers[_ROLE[m.group(1)]].append((start, _per_mtok(value)))
    out: dict[str, Price | None] = {}
    for key, role in _ROLE.items():
        value = spec.get(key)
        if value is None:
            if tiers[role]:
                raise Unmappable(f"tiers not expressible ({role} tiers without a base {key})")
            out[role] = None
            continue
        out[role] = Price(_per_mtok(value), tuple(sorted(tiers[role])))
    if out["input"] is None or out["output"] is None:
        per_time = [k for k in _PER_TIME if spec.get(k)]
        if per_time:
            raise Unmappable(f"per-second pricing ({per_time[0]})")
    return out


def _batch(spec: Mapping[str, Any], prices: Mapping[str, Price | None]) -> float | None:
    batch: dict[str, Price | None] = {}
    for key, role in (("input_cost_per_token", "input"), ("output_cost_per_token", "output")):
        base = spec.get(f"{key}_batches")
        standard = prices.get(role)
        if base is None or standard is None:
            return None
        tiers = []
        for start, _ in standard.tiers:
            unit = f"{start // 1000}k" if start % 1_000_000 else f"{start // 1_000_000}m"
            tier = spec.get(f"{key}_above_{unit}_tokens_batches")
            if tier is None:
                return None
            tiers.append((start, _per_mtok(tier)))
        batch[role] = Price(_per_mtok(base), tuple(tiers))
    return batch_discount({k: p for k, p in prices.items() if p is not None}, batch)


def _model_name(key: str, provider: str) -> str:
    head, sep, rest = key.partition("/")
    return rest if sep and (head == provider or provider_name(head) == provider_name(provider)) else key


def import_litellm(data: Mapping[str, Any], *, label: str, as_of: str, today: datetime.date,
                   links: ModelLinks, wanted: Collection[str] = ()) -> Imported:
    """llmcost `apis` entries from LiteLLM's model_prices_and_context_window.json (checked against SHAPE)."""
    check(data, SHAPE)
    specs = {k: v for k, v in data.items() if k != "sample_spec"}
    raw_providers = {str(v.get("litellm_provider") or "") for v in specs.values()}
    check_providers(wanted, sorted({provider_name(p) for p in raw_providers} | raw_providers), "LiteLLM")
    wanted_llmcost = {provider_name(p) for p in wanted}

    def build(provider: str, key: str, spec: Mapping[str, Any]) -> dict[str, Any]:
        mode = spec.get("mode")
        if mode not in LITELLM_MODES:
            raise Unmappable(f"mode {mode!r} is not chat" if mode else "no mode given (not known to be chat)")
        if not provider:
            raise Unmappable("no litellm_provider given")
        name = _model_name(key, spec["litellm_provider"])
        prices = _prices(spec)
        notes = []
        deprecated = spec.get("deprecation_date")
        if deprecated is not None:
            past = datetime.date.fromisoformat(deprecated) <= today
            notes.append(f"LiteLLM gives a deprecation date of {deprecated}{' (passed)' if past else ''}.")
        context = spec.get("max_input_tokens")
        where = f"{label}: [{key!r}]" + (f"; {spec['source']}" if spec.get("source") else "")
        return api_entry(id_=llmcost_id(provider, name), name=key, provider=provider, prices=prices, as_of=as_of,
                         source=where, context=int(context) if context is not None and context == int(context) else None,
                         batch=_batch(spec, prices), model=links.serves_model(name), notes=notes)

    items = ((provider_name(str(v.get("litellm_provider") or "")), k, v, k) for k, v in specs.items())
    entries, skipped = collect(items, build, wanted_llmcost)
    return Imported(entries, skipped, label, as_of)
