"""Prices in use: how old they are, and the warning every pricing command gives when they are older than a limit.

API prices date quickly (providers cut them several times a year), so each command that prices API tokens
checks the `as_of` of the entries it uses against `--max-price-age-days` and writes one warning line to
stderr. Refreshing them is `llmcost profiles import-prices` (llmcost.price_import), which this module does
not load.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

DEFAULT_MAX_PRICE_AGE_DAYS = 180
"""Prices older than this many days draw a warning (`--max-price-age-days`, 0 disables)."""

REFRESH_HINT = ("refresh with `llmcost profiles import-prices --from genai-prices -o DIR/prices.yaml` "
                "and `--profiles DIR`, or silence with --max-price-age-days 0")


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
    """The APIs a compare of `sc` prices, as options.build picks them: extra, the scenario's, the hosts of the
    served model (when options.hosts), and the `vs` reference."""
    ids = list(dict.fromkeys([*extra, *sc.options.apis]))
    if sc.options.hosts:
        ids += [a.id for a in cat.entries["apis"].values() if a.serves_model == sc.serving.model and a.id not in ids]
    if vs and vs not in ids:
        ids.append(vs)
    return ids


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
