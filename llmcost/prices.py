"""API prices: importing them from genai-prices or LiteLLM data, and warning when the prices in use are old.

Two data sets keep LLM API prices current: pydantic's genai-prices (a Python package; its data is a list
of providers, each with models and prices in USD per 1M tokens) and LiteLLM's
`model_prices_and_context_window.json` (a mapping of model name -> prices in USD per token).
`import_genai_prices` and `import_litellm` turn either into llmcost `apis:` entries, and list every
entry they cannot map faithfully (time-of-day or per-request pricing, tiers llmcost cannot express, a
missing input or output price, a mode other than chat) instead of guessing. `profile_text` writes the
entries as a profile file. `stale_warning` is the one check every command that prices API tokens runs.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from llmcost.errors import LlmcostError

DEFAULT_MAX_PRICE_AGE_DAYS = 180
"""Prices older than this many days draw a warning (`--max-price-age-days`, 0 disables)."""

REFRESH_HINT = ("refresh with `llmcost profiles import-prices --from genai-prices -o DIR/prices.yaml` "
                "and `--profiles DIR`, or silence with --max-price-age-days 0")

MTOK = Decimal(1_000_000)

# -------------------------------------------------------------------------------------- serves_model

_FIREWORKS_SHORT = {
    "llama-v3p1-8b-instruct": "llama-3.1-8b",
    "llama-v3p1-70b-instruct": "llama-3.1-70b",
    "llama-v3p1-405b-instruct": "llama-3.1-405b",
    "llama-v3p2-3b-instruct": "llama-3.2-3b",
    "llama-v3p3-70b-instruct": "llama-3.3-70b",
    "llama-v2-7b-chat": "llama-2-7b",
    "llama-v2-13b-chat": "llama-2-13b",
    "llama-v2-70b-chat": "llama-2-70b",
    "mistral-7b-instruct-v0p2": "mistral-7b",
    "mixtral-8x7b-instruct": "mixtral-8x7b",
    "mistral-small-24b-instruct-2501": "mistral-small-24b",
    "gemma2-9b-it": "gemma-2-9b",
    "gemma-3-27b-it": "gemma-3-27b",
    "qwen2p5-72b-instruct": "qwen2.5-72b",
    "qwen3-8b": "qwen3-8b",
    "qwen3-32b": "qwen3-32b",
    "qwen3-30b-a3b": "qwen3-30b-a3b",
    "qwen3-235b-a22b": "qwen3-235b-a22b",
    "deepseek-v3": "deepseek-v3",
    "gpt-oss-20b": "gpt-oss-20b",
    "gpt-oss-120b": "gpt-oss-120b",
    "pythia-12b": "pythia-12b",
}

MODEL_ALIASES: dict[str, str] = {
    # Hugging Face style names, used by Together, DeepInfra, Novita, Nebius and other hosts
    "meta-llama/meta-llama-3.1-8b-instruct": "llama-3.1-8b",
    "meta-llama/meta-llama-3.1-8b-instruct-turbo": "llama-3.1-8b",
    "meta-llama/llama-3.1-8b-instruct": "llama-3.1-8b",
    "meta-llama/meta-llama-3.1-70b-instruct": "llama-3.1-70b",
    "meta-llama/meta-llama-3.1-70b-instruct-turbo": "llama-3.1-70b",
    "meta-llama/llama-3.1-70b-instruct": "llama-3.1-70b",
    "meta-llama/meta-llama-3.1-405b-instruct": "llama-3.1-405b",
    "meta-llama/meta-llama-3.1-405b-instruct-turbo": "llama-3.1-405b",
    "meta-llama/llama-3.1-405b-instruct": "llama-3.1-405b",
    "meta-llama/llama-3.2-3b-instruct": "llama-3.2-3b",
    "meta-llama/llama-3.2-3b-instruct-turbo": "llama-3.2-3b",
    "meta-llama/llama-3.3-70b-instruct": "llama-3.3-70b",
    "meta-llama/llama-3.3-70b-instruct-turbo": "llama-3.3-70b",
    "meta-llama/meta-llama-3.3-70b-instruct-turbo": "llama-3.3-70b",
    "meta-llama/llama-2-7b-chat-hf": "llama-2-7b",
    "meta-llama/llama-2-13b-chat-hf": "llama-2-13b",
    "meta-llama/llama-2-70b-chat-hf": "llama-2-70b",
    "mistralai/mistral-7b-instruct-v0.1": "mistral-7b",
    "mistralai/mistral-7b-instruct-v0.2": "mistral-7b",
    "mistralai/mixtral-8x7b-instruct-v0.1": "mixtral-8x7b",
    "mistralai/mistral-small-24b-instruct-2501": "mistral-small-24b",
    "qwen/qwen2.5-7b-instruct": "qwen2.5-7b",
    "qwen/qwen2.5-7b-instruct-turbo": "qwen2.5-7b",
    "qwen/qwen2.5-14b-instruct": "qwen2.5-14b",
    "qwen/qwen2.5-32b-instruct": "qwen2.5-32b",
    "qwen/qwen2.5-72b-instruct": "qwen2.5-72b",
    "qwen/qwen2.5-72b-instruct-turbo": "qwen2.5-72b",
    "qwen/qwen3-8b": "qwen3-8b",
    "qwen/qwen3-32b": "qwen3-32b",
    "qwen/qwen3-30b-a3b": "qwen3-30b-a3b",
    "qwen/qwen3-235b-a22b": "qwen3-235b-a22b",
    "google/gemma-2-9b-it": "gemma-2-9b",
    "google/gemma-2-27b-it": "gemma-2-27b",
    "google/gemma-3-27b-it": "gemma-3-27b",
    "deepseek-ai/deepseek-v3": "deepseek-v3",
    "openai/gpt-oss-20b": "gpt-oss-20b",
    "openai/gpt-oss-120b": "gpt-oss-120b",
    # Groq's own names
    "llama-3.1-8b-instant": "llama-3.1-8b",
    "llama-3.1-70b-versatile": "llama-3.1-70b",
    "llama-3.3-70b-versatile": "llama-3.3-70b",
    "llama-3.2-3b-preview": "llama-3.2-3b",
    "mixtral-8x7b-32768": "mixtral-8x7b",
    # Fireworks: short names (genai-prices) and full resource names (LiteLLM)
    **_FIREWORKS_SHORT,
    **{f"accounts/fireworks/models/{name}": target for name, target in _FIREWORKS_SHORT.items()},
}
"""Source model name (lowercase, provider prefix removed) -> llmcost model id, for `serves_model`.

Only names that are the same weights as the llmcost profile (instruct and chat tunes of a base model
share its shape, so they cost the same to serve). A name missing here gets no link: no fuzzy matching.
"""


def serves_model(model_name: str, model_ids: Collection[str]) -> str | None:
    """The llmcost model an API model name hosts, when the alias table names one that has a profile."""
    target = MODEL_ALIASES.get(model_name.lower())
    return target if target in model_ids else None


# -------------------------------------------------------------------------------------- mapping

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


def llmcost_id(provider: str, model: str) -> str:
    """`provider/model` in llmcost's id alphabet: lowercase, and any other character than a-z 0-9 . _ / + - as '-'.

    >>> llmcost_id("together", "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo")
    'together/meta-llama/meta-llama-3.1-8b-instruct-turbo'
    >>> llmcost_id("bedrock", "anthropic.claude-3-haiku-20240307-v1:0")
    'bedrock/anthropic.claude-3-haiku-20240307-v1-0'
    """
    return re.sub(r"[^a-z0-9._/+-]", "-", f"{provider}/{model}".lower())


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
                tier[name] = _number(p.at(start))
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


def _number(d: Decimal) -> float | int:
    value = float(d)
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def _entry(*, id_: str, name: str, provider: str, prices: Mapping[str, Price | None], as_of: str,
           source: str, context: int | None = None, batch: float | None = None, model: str | None = None,
           notes: Sequence[str] = ()) -> dict[str, Any]:
    """One `apis:` entry as a YAML-ready mapping, keys in the order the built-in file uses."""
    inp, out, cached = prices.get("input"), prices.get("output"), prices.get("cached")
    if inp is None or out is None:
        missing = [k for k, p in (("input", inp), ("output", out)) if p is None]
        raise Unmappable(f"missing {' and '.join(missing)} token price{'s' if len(missing) > 1 else ''}")
    entry: dict[str, Any] = {"id": id_, "name": name, "provider": provider,
                             "input_usd_per_mtok": _number(inp.base), "output_usd_per_mtok": _number(out.base)}
    if cached is not None:
        entry["cached_input_usd_per_mtok"] = _number(cached.base)
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
    entry["sources"] = {"default": source}
    if notes:
        entry["notes"] = " ".join(notes)
    return entry


def _collect(items: Iterable[tuple[str, str, Any, str]], build: Any,
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


def _check_providers(wanted: Collection[str], known: Collection[str], source: str) -> None:
    from llmcost.errors import unknown

    for p in wanted:
        if p not in known:
            raise LlmcostError(f"--provider: {unknown(f'{source} provider', p, known)}")


def check_date(text: str, what: str) -> str:
    """`text` when it is a real date written YYYY-MM-DD, else LlmcostError naming `what`."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            datetime.date.fromisoformat(text)
            return text
    except ValueError:
        pass
    raise LlmcostError(f"{what} {text!r}: expected a date YYYY-MM-DD, e.g. 2026-11-10")


def file_date(path: Path) -> str:
    """The day a file was last written (UTC): the default `as_of` when the data records no check date."""
    return datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC).date().isoformat()


def _read_json(path: Path, what: str) -> Any:
    try:
        with path.open("rb") as f:
            return json.loads(f.read(), parse_float=Decimal)
    except FileNotFoundError:
        raise LlmcostError(f"{what} file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise LlmcostError(f"{what} file {str(path)!r} cannot be read ({e})") from None
    except json.JSONDecodeError as e:
        raise LlmcostError(f"{what} file {str(path)!r}: not JSON ({e.msg} at line {e.lineno})") from None


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


# -------------------------------------------------------------------------------------- genai-prices

def genai_prices_installed() -> tuple[list[dict[str, Any]], str, str]:
    """The installed genai-prices data as plain providers (the data.json form), a label, and the data's date.

    The package records no check date, so the date is the day its data module was installed.
    """
    try:
        import genai_prices
        from genai_prices import data
    except ImportError:
        raise LlmcostError("genai-prices is not installed; run `pip install 'llmcost[prices]'` "
                           "or pass a data file with --data FILE") from None
    version = getattr(genai_prices, "__version__", "unknown version")
    return plain_providers(data.providers), f"genai-prices {version} (installed package)", file_date(Path(data.__file__))


def plain_providers(providers: Iterable[Any]) -> list[dict[str, Any]]:
    """genai-prices `Provider` records as the data.json form `import_genai_prices` reads (the fields it uses)."""
    return [{"id": p.id, "name": p.name, "pricing_urls": p.pricing_urls or [], "models": _plain(p.models)}
            for p in providers]


def genai_prices_file(path: Path) -> tuple[list[dict[str, Any]], str, str]:
    """A genai-prices data file (prices/data.json: a list of providers), a label with its hash, and its date."""
    raw = _read_json(path, "genai-prices data")
    if not isinstance(raw, list) or not all(isinstance(p, dict) and "id" in p for p in raw):
        raise LlmcostError(f"genai-prices data file {str(path)!r}: expected a list of providers, each with an id and models")
    return raw, f"genai-prices data {path.name} (sha256 {_sha(path)})", file_date(path)


def _plain(value: Any) -> Any:
    """genai-prices' Python records (dataclasses, ModelPrice, Decimal, dates) as the plain data.json form."""
    if isinstance(value, (str, int, float, bool, Decimal)) or value is None:
        return value
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        items = {f.name.rstrip("_"): getattr(value, f.name) for f in dataclasses.fields(value)}
    else:  # ModelPrice keeps its prices as plain attributes
        items = dict(vars(value))
    return {k: _plain(v) for k, v in items.items() if v is not None and not k.startswith("_")}


def _genai_price(raw: Any, key: str) -> Price | None:
    if raw is None:
        return None
    if isinstance(raw, dict):
        tiers = []
        for t in raw.get("tiers", ()):
            if isinstance(t["start"], bool) or not isinstance(t["start"], int):
                raise Unmappable(f"tiers not expressible ({key} tier start {t['start']!r} is not a whole number of tokens)")
            tiers.append((t["start"], Decimal(str(t["price"]))))
        return Price(Decimal(str(raw["base"])), tuple(sorted(tiers)))
    return Price(Decimal(str(raw)))


def _genai_prices(prices: Mapping[str, Any]) -> dict[str, Price | None]:
    if prices.get("requests_kcount"):
        raise Unmappable("per-request pricing (requests_kcount)")
    return {"input": _genai_price(prices.get("input_mtok"), "input_mtok"),
            "output": _genai_price(prices.get("output_mtok"), "output_mtok"),
            "cached": _genai_price(prices.get("cache_read_mtok"), "cache_read_mtok")}


def _has_time_of_day(constraint: Any) -> bool:
    return isinstance(constraint, dict) and "start_time" in constraint


def _active(constraint: Any, today: datetime.date) -> bool:
    if constraint is None:
        return True
    start = constraint.get("start_date") if isinstance(constraint, dict) else None
    return start is not None and datetime.date.fromisoformat(str(start)) <= today


def _current_prices(model: Mapping[str, Any], today: datetime.date) -> tuple[Mapping[str, Any], list[str]]:
    """The price set in force today (later conditional prices win, as in genai-prices) and notes on changes."""
    prices = model.get("prices") or {}
    conditions = [c.get("constraint") for c in prices] if isinstance(prices, list) else []
    if any(_has_time_of_day(c) for c in [*conditions, *(v.get("constraint") for v in model.get("price_variants") or ())]):
        raise Unmappable("time-of-day pricing (peak and off-peak rates)")
    if isinstance(prices, dict):
        return prices, []
    chosen = next((c for c in reversed(prices) if _active(c.get("constraint"), today)), prices[0] if prices else None)
    if chosen is None:
        return {}, []
    notes = [f"genai-prices lists a price change from {c['constraint']['start_date']}; this entry has the price of "
             f"{today.isoformat()}." for c in prices if not _active(c.get("constraint"), today)]
    return chosen.get("prices") or {}, notes


def _genai_batch(model: Mapping[str, Any], standard: Mapping[str, Price | None], today: datetime.date) -> float | None:
    for variant in model.get("price_variants") or ():
        if variant.get("when") == {"processing": "batch"} and _active(variant.get("constraint"), today):
            batch = {k: _genai_price(variant.get("prices", {}).get(f"{k}_mtok"), k) for k in ("input", "output")}
            return batch_discount({k: p for k, p in standard.items() if p is not None}, batch)
    return None


def import_genai_prices(providers: Sequence[Mapping[str, Any]], *, label: str, as_of: str, today: datetime.date,
                        model_ids: Collection[str], wanted: Collection[str] = ()) -> Imported:
    """llmcost `apis` entries from genai-prices providers (data.json form), prices in force on `today`.

    Cache writes, tool calls, search and non-text modalities are left out, as in the built-in profiles.
    """
    _check_providers(wanted, [str(p["id"]) for p in providers], "genai-prices")
    urls = {str(p["id"]): (p.get("pricing_urls") or [""])[0] for p in providers}

    def build(provider: str, name: str, model: Mapping[str, Any]) -> dict[str, Any]:
        current, notes = _current_prices(model, today)
        prices = _genai_prices(current)
        if model.get("deprecated"):
            notes.append("Deprecated by the provider (genai-prices).")
        where = f"{label}: providers[{provider}].models[{name}]" + (f"; {urls[provider]}" if urls[provider] else "")
        return _entry(id_=llmcost_id(provider, name), name=str(model.get("name") or name), provider=provider,
                      prices=prices, as_of=as_of, source=where, context=model.get("context_window"),
                      batch=_genai_batch(model, prices, today), model=serves_model(name, model_ids), notes=notes)

    items = ((str(p["id"]), str(m["id"]), m, f"{p['id']}/{m['id']}") for p in providers for m in p.get("models") or ())
    entries, skipped = _collect(items, build, set(wanted))
    return Imported(entries, skipped, label, as_of)


# -------------------------------------------------------------------------------------- LiteLLM

LITELLM_MODES = ("chat", "responses")
"""LiteLLM modes priced per token for text generation (`responses`: chat models served only by OpenAI's
Responses API). Embedding, image, audio, rerank, moderation, completion and other modes are skipped."""

_LITELLM_PROVIDERS = {"together_ai": "together", "fireworks_ai": "fireworks", "gemini": "google", "xai": "x-ai",
                      "text-completion-openai": "openai"}
_TIER_KEY = re.compile(r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost)_above_(\d+)(k|m)_tokens$")
_PER_REQUEST = ("input_cost_per_request", "input_cost_per_query", "cost_per_request")
_PER_TIME = ("input_cost_per_second", "output_cost_per_second", "cost_per_second")
_ROLE = {"input_cost_per_token": "input", "output_cost_per_token": "output", "cache_read_input_token_cost": "cached"}


def litellm_provider(name: str) -> str:
    """LiteLLM's provider name in llmcost's words ('together_ai' -> 'together', 'vertex_ai-*' -> 'vertex-ai')."""
    return "vertex-ai" if name.startswith("vertex_ai") else _LITELLM_PROVIDERS.get(name, name.lower())


def litellm_file(path: Path) -> tuple[dict[str, Any], str, str]:
    """A LiteLLM model_prices_and_context_window.json, a label with its hash, and its date (the day it was saved)."""
    raw = _read_json(path, "LiteLLM prices")
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise LlmcostError(f"LiteLLM prices file {str(path)!r}: expected a mapping of model name -> prices, "
                           "like model_prices_and_context_window.json")
    return raw, f"LiteLLM {path.name} (sha256 {_sha(path)})", file_date(path)


def _per_mtok(value: Any, key: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Unmappable(f"{key} is not a number ({value!r})") from None
    if not d.is_finite() or d < 0:
        raise Unmappable(f"{key} is not a price ({value!r})")
    return d * MTOK


def _litellm_prices(spec: Mapping[str, Any]) -> dict[str, Price | None]:
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
            tiers[_ROLE[m.group(1)]].append((start, _per_mtok(value, key)))
    out: dict[str, Price | None] = {}
    for key, role in _ROLE.items():
        value = spec.get(key)
        if value is None:
            if tiers[role]:
                raise Unmappable(f"tiers not expressible ({role} tiers without a base {key})")
            out[role] = None
            continue
        out[role] = Price(_per_mtok(value, key), tuple(sorted(tiers[role])))
    if out["input"] is None or out["output"] is None:
        per_time = [k for k in _PER_TIME if spec.get(k)]
        if per_time:
            raise Unmappable(f"per-second pricing ({per_time[0]})")
    return out


def _litellm_batch(spec: Mapping[str, Any], prices: Mapping[str, Price | None]) -> float | None:
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
            tiers.append((start, _per_mtok(tier, key)))
        batch[role] = Price(_per_mtok(base, key), tuple(tiers))
    return batch_discount({k: p for k, p in prices.items() if p is not None}, batch)


def _litellm_model_name(key: str, provider: str) -> str:
    head, sep, rest = key.partition("/")
    return rest if sep and (head == provider or litellm_provider(head) == litellm_provider(provider)) else key


def import_litellm(data: Mapping[str, Any], *, label: str, as_of: str, today: datetime.date,
                   model_ids: Collection[str], wanted: Collection[str] = ()) -> Imported:
    """llmcost `apis` entries from LiteLLM's model_prices_and_context_window.json (prices per token -> per 1M).

    `*_above_Nk_tokens` prices become context tiers, `cache_read_input_token_cost` the cached-input
    price, uniform `*_batches` prices the batch discount; modes other than LITELLM_MODES are listed.
    """
    specs = {k: v for k, v in data.items() if k != "sample_spec" and isinstance(v, dict)}
    providers = {litellm_provider(str(v.get("litellm_provider", ""))) for v in specs.values()}
    _check_providers(wanted, sorted(providers | {str(v.get("litellm_provider", "")) for v in specs.values()}), "LiteLLM")
    wanted_llmcost = {litellm_provider(p) for p in wanted}

    def build(provider: str, key: str, spec: Mapping[str, Any]) -> dict[str, Any]:
        mode = spec.get("mode")
        if mode not in LITELLM_MODES:
            raise Unmappable(f"mode {mode!r} is not chat" if mode else "no mode given (not known to be chat)")
        raw_provider = str(spec.get("litellm_provider", ""))
        name = _litellm_model_name(key, raw_provider)
        prices = _litellm_prices(spec)
        notes = []
        deprecated = spec.get("deprecation_date")
        if isinstance(deprecated, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", deprecated):
            past = datetime.date.fromisoformat(deprecated) <= today
            notes.append(f"LiteLLM gives a deprecation date of {deprecated}{' (passed)' if past else ''}.")
        context = spec.get("max_input_tokens")
        where = f"{label}: [{key!r}]" + (f"; {spec['source']}" if isinstance(spec.get("source"), str) else "")
        return _entry(id_=llmcost_id(provider, name), name=key, provider=provider, prices=prices, as_of=as_of,
                      source=where, context=context if isinstance(context, int) else None,
                      batch=_litellm_batch(spec, prices), model=serves_model(name, model_ids), notes=notes)

    items = ((litellm_provider(str(v.get("litellm_provider", ""))), k, v, k) for k, v in specs.items())
    entries, skipped = _collect(items, build, wanted_llmcost)
    return Imported(entries, skipped, label, as_of)


# -------------------------------------------------------------------------------------- sources

SOURCES = ("genai-prices", "litellm")


def import_source(source: str, path: Path | None, *, as_of: str | None, today: datetime.date, model_ids: Collection[str],
                  wanted: Collection[str] = ()) -> tuple[Imported, str]:
    """Read `source` (genai-prices: the installed package, or the data file `path`; litellm: the file `path`) and
    import it; also return the data's own date (the file's), which `as_of` replaces when given."""
    if source not in SOURCES:
        from llmcost.errors import unknown

        raise LlmcostError(unknown("--from source", source, SOURCES))
    if source == "litellm":
        if path is None:
            raise LlmcostError("--from litellm needs the JSON file: llmcost profiles import-prices --from litellm "
                               "model_prices_and_context_window.json")
        data, label, saved = litellm_file(path)
        return import_litellm(data, label=label, as_of=as_of or saved, today=today, model_ids=model_ids, wanted=wanted), saved
    providers, label, saved = genai_prices_file(path) if path else genai_prices_installed()
    return import_genai_prices(providers, label=label, as_of=as_of or saved, today=today, model_ids=model_ids,
                               wanted=wanted), saved


# -------------------------------------------------------------------------------------- output

def profile_text(imported: Imported, command: str) -> str:
    """The entries as an llmcost profile file, with a header that says where they came from and how to refresh."""
    header = [
        f"# API prices imported from {imported.source} by `{command}`.",
        f"# Every entry has as_of {imported.as_of}. Prices are USD per 1M tokens; cache writes, tool calls, search and",
        "# non-text modalities are left out. Re-run the command to refresh; edits here are overwritten.",
        "",
    ]
    body = yaml.safe_dump({"apis": imported.entries}, sort_keys=False, allow_unicode=True, width=120,
                          default_flow_style=False)
    return "\n".join(header) + body


def skipped_lines(skipped: Sequence[tuple[str, str]], limit: int = 12) -> list[str]:
    """One stderr line per reason: how many entries, and their names (all of them up to `limit`)."""
    by_reason: dict[str, list[str]] = {}
    for name, reason in skipped:
        by_reason.setdefault(reason, []).append(name)
    lines = []
    for reason, names in sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        shown = ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")
        lines.append(f"llmcost: skipped {len(names)} ({reason}): {shown}")
    return lines


def validate_text(text: str, file_name: str, user_paths: Sequence[Path] = ()) -> None:
    """Load `text` as the profile file `file_name` (after `user_paths`) with the profile loader; LlmcostError if it fails."""
    import tempfile

    from llmcost import catalog
    from llmcost.errors import ProfileError
    from llmcost.yamlsrc import MAX_FILE_BYTES

    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise LlmcostError(f"the imported file would be {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit of a "
                           "profile file; pick providers with --provider")
    with tempfile.TemporaryDirectory(prefix="llmcost-import-") as tmp:
        path = Path(tmp) / (Path(file_name).name or "prices.yaml")
        path.write_text(text, encoding="utf-8")
        try:
            catalog.load([*user_paths, path], skip=[Path(file_name)])  # the file it replaces is not a second definition
        except ProfileError as e:  # name the file the user asked for, not the temporary copy
            raise LlmcostError(f"the imported file does not load, nothing written: {str(e).replace(str(path), file_name)}") from None


# -------------------------------------------------------------------------------------- staleness

def age_days(as_of: str, today: datetime.date) -> int:
    """Whole days from `as_of` (YYYY-MM-DD) to `today`; negative for a date in the future.

    >>> age_days("2026-05-30", datetime.date(2026, 11, 26))
    180
    """
    return (today - datetime.date.fromisoformat(as_of)).days


def stale_prices(cat: Any, api_ids: Iterable[str], max_age_days: int, today: datetime.date) -> list[tuple[str, int]]:
    """(api id, age in days) of each API whose prices are older than `max_age_days`, oldest first; none when 0."""
    if max_age_days <= 0:
        return []
    out = []
    for api_id in dict.fromkeys(api_ids):
        api = cat.entries["apis"].get(api_id)
        if api is not None and age_days(api.as_of, today) > max_age_days:
            out.append((api_id, age_days(api.as_of, today)))
    return sorted(out, key=lambda item: (-item[1], item[0]))


def stale_warning(cat: Any, api_ids: Iterable[str], max_age_days: int, today: datetime.date, shown: int = 3) -> str | None:
    """One warning line naming the APIs whose prices are older than `max_age_days` (first few + count), or None.

    >>> from types import SimpleNamespace as NS
    >>> cat = NS(entries={"apis": {"a/x": NS(as_of="2025-01-01"), "b/y": NS(as_of="2026-11-01")}})
    >>> stale_warning(cat, ["a/x", "b/y"], 180, datetime.date(2026, 11, 26)).split(";")[0]
    'llmcost: warning: 1 API price is older than 180 days: a/x (as_of 2025-01-01, 694 days)'
    """
    stale = stale_prices(cat, api_ids, max_age_days, today)
    if not stale:
        return None
    names = ", ".join(f"{i} (as_of {cat.entries['apis'][i].as_of}, {d} days)" for i, d in stale[:shown])
    more = f" and {len(stale) - shown} more" if len(stale) > shown else ""
    noun = "API price is" if len(stale) == 1 else "API prices are"
    return f"llmcost: warning: {len(stale)} {noun} older than {max_age_days} days: {names}{more}; {REFRESH_HINT}"


def today() -> datetime.date:
    """Today's date (tests replace this function to pin the day)."""
    return datetime.date.today()


def warn_if_stale(cat: Any, api_ids: Iterable[str], max_age_days: int) -> None:
    """Write `stale_warning` for today to stderr when there is one (the call every pricing command makes)."""
    import sys

    line = stale_warning(cat, api_ids, max_age_days, today())
    if line:
        sys.stderr.write(line + "\n")


def scenario_api_ids(cat: Any, sc: Any, vs: str | None = None, extra: Sequence[str] = ()) -> list[str]:
    """The APIs a compare of `sc` prices, as compare.options picks them: extra, the scenario's, the hosts of the
    served model (when options.hosts), and the `vs` reference."""
    ids = list(dict.fromkeys([*extra, *sc.options.apis]))
    if sc.options.hosts:
        ids += [a.id for a in cat.entries["apis"].values() if a.serves_model == sc.serving.model and a.id not in ids]
    if vs and vs not in ids:
        ids.append(vs)
    return ids


def sweep_api_ids(cat: Any, grids: Sequence[Any], sets: Sequence[str] = (), vs: str | None = None) -> list[str]:
    """The APIs a sweep prices: `scenario_api_ids` of every structural combination of every grid (as sweep.blocks
    resolves them; numeric axes change no API)."""
    import itertools

    from llmcost import scenario, sweep

    ids: list[str] = []
    for grid in grids:
        axes = grid.structural
        for steps in itertools.product(*(a.values for a in axes)):
            extra = [f"{k}={sweep.set_text(v)}" for a, step in zip(axes, steps, strict=True)
                     for k, v in zip(a.keys, step, strict=True)]
            ids += scenario_api_ids(cat, scenario.resolve(cat, grid.base, [*sets, *extra]), vs)
    return list(dict.fromkeys(ids))


def price_lines(cat: Any, api_ids: Iterable[str], today_: datetime.date | None = None) -> str:
    """For --explain: each API's prices, their date and age, and the file and line they were read from."""
    today_ = today_ or today()
    lines = ["API prices used (USD per 1M tokens; refresh with `llmcost profiles import-prices`):"]
    for api_id in dict.fromkeys(api_ids):
        api = cat.entries["apis"].get(api_id)
        if api is None:
            continue
        loc = cat.where.get(("apis", api_id))
        cached = f", cached {api.cached_input_usd_per_mtok:g}" if api.cached_input_usd_per_mtok is not None else ""
        tiers = f", {len(api.context_tiers)} context tier(s)" if api.context_tiers else ""
        lines.append(f"  {api_id}: in {api.input_usd_per_mtok:g}, out {api.output_usd_per_mtok:g}{cached}{tiers}; "
                     f"as_of {api.as_of} ({age_days(api.as_of, today_)} days)"
                     + (f"    <- {loc.path}:{loc.line}" if loc else ""))
    return "\n".join(lines) + "\n"
