"""Prices in use: how old they are, and the warning every pricing command gives when they are older than a limit.

API prices fall several times a year, GPUs' street and used prices follow the market, and rental offers
change with each GPU generation, so each command checks the dates of the prices it uses against
`--max-price-age-days` (one threshold for all): an API's `as_of`, a GPU's `price_as_of` (or
`used_price_as_of` when it is bought used and the profile has a used price), a rental offer's `as_of`. It
writes one warning line per kind with stale prices, naming the oldest few and their age. The functions
take the catalogue, the prices used and today's date and return lines, so any command (or the Python
API) can call them; `warn_if_stale` is the one that reads the clock and writes to stderr. Refreshing API
prices is `llmcost profiles import-prices` (llmcost.price_import), which this module does not load.
"""

from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmcost.catalog import Catalog, parse_gpu_option
from llmcost.errors import LlmcostError
from llmcost.render import count

if TYPE_CHECKING:
    from llmcost.schema import Scenario

DEFAULT_MAX_PRICE_AGE_DAYS = 180
"""Prices older than this many days draw a warning (`--max-price-age-days`, 0 disables)."""

REFRESH_HINT = ("refresh with `llmcost profiles import-prices --from genai-prices -o DIR/prices.yaml` "
                "and `--profiles DIR`, or silence with --max-price-age-days 0")
PROFILE_HINT = ("give a current price and its date in an entry with the same id under `--profiles DIR`, "
                "or silence with --max-price-age-days 0")
"""What to do about a stale GPU or rental price (no public data set to import them from)."""

KINDS = (("apis", "API", REFRESH_HINT), ("gpus", "GPU", PROFILE_HINT), ("rentals", "rental", PROFILE_HINT))
"""Catalogue kind, its name in warnings, and the hint, in the order the warning lines come."""


def age_days(as_of: str, today: datetime.date) -> int:
    """Whole days from `as_of` (YYYY-MM-DD) to `today`; negative for a date in the future.

    >>> age_days("2026-05-30", datetime.date(2026, 11, 26))
    180
    """
    return (today - datetime.date.fromisoformat(as_of)).days


@dataclass(frozen=True)
class PricesUsed:
    """The priced profile entries a run uses, by id: APIs, GPUs bought new, GPUs bought used, rental offers.

    `|` joins two (a sweep joins its combinations'), keeping the first order and dropping repeats.
    """

    apis: tuple[str, ...] = ()
    gpus: tuple[str, ...] = ()
    used_gpus: tuple[str, ...] = ()
    rentals: tuple[str, ...] = ()

    def __or__(self, other: PricesUsed) -> PricesUsed:
        return PricesUsed(*(tuple(dict.fromkeys(a + b)) for a, b in zip(
            (self.apis, self.gpus, self.used_gpus, self.rentals), (other.apis, other.gpus, other.used_gpus, other.rentals),
            strict=True)))


@dataclass(frozen=True)
class PriceDate:
    """The date of one price in use: which entry (`kind` as in KINDS, `id`), which field, the date."""

    kind: str
    id: str
    field: str
    as_of: str


def price_dates(cat: Catalog, used: PricesUsed) -> Iterator[PriceDate]:
    """The date of every price in `used` that the catalogue has (unknown ids are skipped: not priced).

    A GPU bought used is dated by `used_price_as_of` when the profile has a used price with a date, else
    by `price_as_of` (the price it is then costed at, or the entry's only date).
    """
    for api_id in dict.fromkeys(used.apis):
        api = cat.entries["apis"].get(api_id)
        if api is not None:
            yield PriceDate("apis", api_id, "as_of", api.as_of)
    gpus = cat.entries["gpus"]
    for gpu_id, bought_used in [*((g, False) for g in used.gpus), *((g, True) for g in used.used_gpus)]:
        gpu = gpus.get(gpu_id)
        if gpu is None:
            continue
        if bought_used and gpu.used_price_usd is not None and gpu.used_price_as_of is not None:
            yield PriceDate("gpus", gpu_id, "used_price_as_of", gpu.used_price_as_of)
        else:
            yield PriceDate("gpus", gpu_id, "price_as_of", gpu.price_as_of)
    for rental_id in dict.fromkeys(used.rentals):
        rental = cat.entries["rentals"].get(rental_id)
        if rental is not None:
            yield PriceDate("rentals", rental_id, "as_of", rental.as_of)


def stale_prices(cat: Catalog, used: PricesUsed, max_age_days: int, today: datetime.date) -> list[tuple[PriceDate, int]]:
    """(price date, age in days) of each price in `used` older than `max_age_days`, by kind, oldest first; none when 0."""
    if max_age_days <= 0:
        return []
    dates = dict.fromkeys(price_dates(cat, used))
    stale = [(d, age_days(d.as_of, today)) for d in dates if age_days(d.as_of, today) > max_age_days]
    order = [kind for kind, _, _ in KINDS]
    return sorted(stale, key=lambda item: (order.index(item[0].kind), -item[1], item[0].id))


def stale_lines(cat: Catalog, used: PricesUsed, max_age_days: int, today: datetime.date, shown: int = 3) -> list[str]:
    """One warning line per kind (API, GPU, rental) naming its prices older than `max_age_days`: the oldest few
    with their date and age, and how many more. No lines when none is stale or `max_age_days` is 0.

    >>> from types import SimpleNamespace as NS
    >>> cat = NS(entries={"apis": {"a/x": NS(as_of="2025-01-01")}, "gpus": {}, "rentals": {"r/y": NS(as_of="2025-01-01")}})
    >>> for line in stale_lines(cat, PricesUsed(apis=("a/x",), rentals=("r/y",)), 180, datetime.date(2026, 11, 26)):
    ...     print(line.split(";")[0])
    llmcost: warning: 1 API price is older than 180 days: a/x (as_of 2025-01-01, 694 days)
    llmcost: warning: 1 rental price is older than 180 days: r/y (as_of 2025-01-01, 694 days)
    """
    stale = stale_prices(cat, used, max_age_days, today)
    lines = []
    for kind, noun, hint in KINDS:
        items = [(d, days) for d, days in stale if d.kind == kind]
        if not items:
            continue
        names = ", ".join(f"{d.id} ({d.field} {d.as_of}, {count(days, 'day')})" for d, days in items[:shown])
        more = f" and {len(items) - shown} more" if len(items) > shown else ""
        are = f"{count(len(items), noun + ' price')} {'is' if len(items) == 1 else 'are'}"
        lines.append(f"llmcost: warning: {are} older than {count(max_age_days, 'day')}: {names}{more}; {hint}")
    return lines


TODAY_VARIABLE = "LLMCOST_TODAY"
"""Environment variable that pins the day price ages count from (YYYY-MM-DD), for runs that must print the
same warnings whatever the calendar says (CI, tests, reproducible reports)."""


def today() -> datetime.date:
    """The day price ages count from: LLMCOST_TODAY when set (YYYY-MM-DD), else today's date."""
    pinned = os.environ.get(TODAY_VARIABLE, "").strip()
    if pinned:
        try:
            return datetime.date.fromisoformat(pinned)
        except ValueError:
            raise LlmcostError(f"{TODAY_VARIABLE}={pinned!r}: expected a date as YYYY-MM-DD") from None
    return datetime.date.today()


def warn_if_stale(cat: Catalog, used: PricesUsed, max_age_days: int) -> None:
    """Write `stale_lines` for today to stderr (the call every pricing command makes)."""
    for line in stale_lines(cat, used, max_age_days, today()):
        sys.stderr.write(line + "\n")


def scenario_prices(cat: Catalog, sc: Scenario, vs: str | None = None, extra_apis: Sequence[str] = ()) -> PricesUsed:
    """The prices a compare or breakeven of `sc` uses, as options.build picks its options: the GPUs of the
    own options (bought used when options.used), the rental offers (named, or with `auto` every offer of
    those GPUs), and `scenario_api_ids`."""
    gpus = tuple(dict.fromkeys(parse_gpu_option(spec)[1] for spec in sc.options.gpus))
    rentals: list[str] = []
    for rid in sc.options.rentals:
        rentals += [r.id for r in cat.entries["rentals"].values() if r.gpu in gpus] if rid == "auto" else [rid]
    return PricesUsed(apis=tuple(scenario_api_ids(cat, sc, vs, extra_apis)), gpus=() if sc.options.used else gpus,
                      used_gpus=gpus if sc.options.used else (), rentals=tuple(dict.fromkeys(rentals)))


def rows_prices(rows: Iterable[Mapping[str, Any]], used: bool) -> PricesUsed:
    """The prices behind `serve`, `finetune` and `pretrain` rows that fit: each row's GPU (bought used when
    `used`) and the rental offer it was priced with (`rental`, when it is an offer id), and the APIs of
    finetune's API rows (`kind` api, the id in `api`). Ids that are not in the catalogue are skipped
    later (`--usd-per-gpu-hour`, n/a)."""
    fitting = [r for r in rows if r.get("fits") is True]
    apis = tuple(r["api"] for r in fitting if r.get("kind") == "api")
    hw = [r for r in fitting if r.get("kind") != "api"]
    gpus = tuple(dict.fromkeys(r["gpu"] for r in hw))
    return PricesUsed(apis=apis, gpus=() if used else gpus, used_gpus=gpus if used else (),
                      rentals=tuple(dict.fromkeys(str(r.get("rental")) for r in hw)))


def scenario_api_ids(cat: Catalog, sc: Scenario, vs: str | None = None, extra: Sequence[str] = ()) -> list[str]:
    """The APIs a compare of `sc` prices, as options.build picks them: extra, the scenario's, the hosts of the
    served model (when options.hosts), and the `vs` reference."""
    ids = list(dict.fromkeys([*extra, *sc.options.apis]))
    if sc.options.hosts:
        ids += [a.id for a in cat.entries["apis"].values() if a.serves_model == sc.serving.model and a.id not in ids]
    if vs and vs not in ids:
        ids.append(vs)
    return ids


def price_lines(cat: Catalog, api_ids: Iterable[str], today_: datetime.date | None = None) -> str:
    """For --explain: each API's prices, their date and age, and the file and line they were read from."""
    today_ = today_ or today()
    lines = ["API prices used (USD per 1M tokens; refresh with `llmcost profiles import-prices`):"]
    for api_id in dict.fromkeys(api_ids):
        api = cat.entries["apis"].get(api_id)
        if api is None:
            continue
        loc = cat.where.get(("apis", api_id))
        cached = f", cached {api.cached_input_usd_per_mtok:g}" if api.cached_input_usd_per_mtok is not None else ""
        tiers = f", {count(len(api.context_tiers), 'context tier')}" if api.context_tiers else ""
        lines.append(f"  {api_id}: in {api.input_usd_per_mtok:g}, out {api.output_usd_per_mtok:g}{cached}{tiers}; "
                     f"as_of {api.as_of} ({count(age_days(api.as_of, today_), 'day')})"
                     + (f"    <- {loc.path}:{loc.line}" if loc else ""))
    return "\n".join(lines) + "\n"
