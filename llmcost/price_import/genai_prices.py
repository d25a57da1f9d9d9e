"""Reading pydantic's genai-prices data: a list of providers, each with models and prices in USD per 1M tokens.

The data comes from the installed `genai-prices` package or its prices/data.json file; both are checked
against `SHAPE` (the fields llmcost reads, as genai-prices' data.schema.json describes them) before any
entry is mapped. The price set in force today is used; time-of-day and per-request prices are listed as
unmappable, and cache writes, tool calls, search and non-text modalities are left out, as in the built-in
profiles.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from llmcost.errors import LlmcostError
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
from llmcost.price_import.shape import Date, Fields, Flag, ListOf, Number, OneOf, Text, check
from llmcost.schema import MAX_VALUE

_PRICE = Number(0, MAX_VALUE)
_TIER = Fields({"start": Number(0, MAX_VALUE, whole=True), "price": _PRICE}, required=("start", "price"))
_ONE_PRICE = OneOf((_PRICE, Fields({"base": _PRICE, "tiers": ListOf(_TIER)}, required=("base",), what="a mapping with base and tiers")))
_PRICES = Fields({"input_mtok": _ONE_PRICE, "output_mtok": _ONE_PRICE, "cache_read_mtok": _ONE_PRICE, "requests_kcount": _PRICE},
                 what="a mapping of prices")
_CONSTRAINT = Fields({"start_date": Date(), "start_time": Text(64), "end_time": Text(64)}, one_of=("start_date", "start_time"))
_CONDITIONAL = Fields({"constraint": _CONSTRAINT, "prices": _PRICES}, required=("prices",))
_MODEL = Fields({"id": Text(200, min_len=1), "name": Text(200), "context_window": Number(0, MAX_VALUE, whole=True),
                 "deprecated": Flag(), "prices": OneOf((_PRICES, ListOf(_CONDITIONAL, what="a list of conditional prices"))),
                 "price_variants": ListOf(Fields({"when": Fields({}), "constraint": _CONSTRAINT, "prices": _PRICES}))},
                required=("id",))
SHAPE = ListOf(Fields({"id": Text(200, min_len=1), "name": Text(200), "pricing_urls": ListOf(Text(2083)), "models": ListOf(_MODEL)},
                      required=("id",)), what="a list of providers (genai-prices prices/data.json)")
"""A genai-prices data.json, as far as llmcost reads it: paths in messages start at `providers`."""


def installed() -> tuple[list[dict[str, Any]], str, datetime.date]:
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
    saved = datetime.datetime.fromtimestamp(Path(data.__file__).stat().st_mtime, datetime.UTC).date()
    return plain_providers(data.providers), f"genai-prices {version} (installed package)", saved


def plain_providers(providers: Iterable[Any]) -> list[dict[str, Any]]:
    """genai-prices `Provider` records as the data.json form `import_genai_prices` reads (the fields it uses)."""
    return [{"id": p.id, "name": p.name, "pricing_urls": p.pricing_urls or [], "models": _plain(p.models)}
            for p in providers]


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


def _price(raw: Any) -> Price | None:
    if raw is None:
        return None
    if isinstance(raw, Mapping):
        tiers = tuple(sorted((int(t["start"]), Decimal(str(t["price"]))) for t in raw.get("tiers") or ()))
        return Price(Decimal(str(raw["base"])), tiers)
    return Price(Decimal(str(raw)))


def _prices(prices: Mapping[str, Any]) -> dict[str, Price | None]:
    if prices.get("requests_kcount"):
        raise Unmappable("per-request pricing (requests_kcount)")
    return {"input": _price(prices.get("input_mtok")), "output": _price(prices.get("output_mtok")),
            "cached": _price(prices.get("cache_read_mtok"))}


def _has_time_of_day(constraint: Any) -> bool:
    return isinstance(constraint, Mapping) and "start_time" in constraint


def _active(constraint: Mapping[str, Any] | None, today: datetime.date) -> bool:
    if constraint is None:
        return True
    start = constraint.get("start_date")
    return start is not None and datetime.date.fromisoformat(start) <= today


def _current_prices(model: Mapping[str, Any], today: datetime.date) -> tuple[Mapping[str, Any], list[str]]:
    """The price set in force today (later conditional prices win, as in genai-prices) and notes on changes."""
    prices = model.get("prices") or {}
    conditions = [c.get("constraint") for c in prices] if isinstance(prices, list) else []
    if any(_has_time_of_day(c) for c in [*conditions, *(v.get("constraint") for v in model.get("price_variants") or ())]):
        raise Unmappable("time-of-day pricing (peak and off-peak rates)")
    if isinstance(prices, Mapping):
        return prices, []
    chosen = next((c for c in reversed(prices) if _active(c.get("constraint"), today)), prices[0] if prices else None)
    if chosen is None:
        return {}, []
    notes = [f"genai-prices lists a price change from {c['constraint']['start_date']}; this entry has the price of "
             f"{today.isoformat()}." for c in prices if not _active(c.get("constraint"), today)]
    return chosen["prices"], notes


def _batch(model: Mapping[str, Any], standard: Mapping[str, Price | None], today: datetime.date) -> float | None:
    for variant in model.get("price_variants") or ():
        if variant.get("when") == {"processing": "batch"} and _active(variant.get("constraint"), today):
            prices = variant.get("prices") or {}
            batch = {k: _price(prices.get(f"{k}_mtok")) for k in ("input", "output")}
            return batch_discount({k: p for k, p in standard.items() if p is not None}, batch)
    return None


def import_genai_prices(providers: Sequence[Mapping[str, Any]], *, label: str, as_of: str, today: datetime.date,
                        links: ModelLinks, wanted: Collection[str] = ()) -> Imported:
    """llmcost `apis` entries from genai-prices providers (data.json form, checked against SHAPE), prices in force on `today`."""
    check(providers, SHAPE, "providers")
    check_providers(wanted, [p["id"] for p in providers], "genai-prices")
    urls = {p["id"]: (p.get("pricing_urls") or [""])[0] for p in providers}

    def build(provider: str, name: str, model: Mapping[str, Any]) -> dict[str, Any]:
        current, notes = _current_prices(model, today)
        prices = _prices(current)
        if model.get("deprecated"):
            notes.append("Deprecated by the provider (genai-prices).")
        where = f"{label}: providers[{provider}].models[{name}]" + (f"; {urls[provider]}" if urls[provider] else "")
        context = model.get("context_window")
        return api_entry(id_=llmcost_id(provider, name), name=model.get("name") or name, provider=provider,
                         prices=prices, as_of=as_of, source=where, context=int(context) if context is not None else None,
                         batch=_batch(model, prices, today), model=links.serves_model(name), notes=notes)

    items = ((p["id"], m["id"], m, f"{p['id']}/{m['id']}") for p in providers for m in p.get("models") or ())
    entries, skipped = collect(items, build, set(wanted))
    return Imported(entries, skipped, label, as_of)
