"""Every price a run uses, for `--explain`: each GPU's purchase price (new or used) with its date, the host
added to it, the capex it makes per replica and in total, each rental's $/GPU-hour, and the API prices
(llmcost.prices.price_lines), each with the profile file and line it was read from.

The numbers are the ones the pipeline uses (catalog.gpu_price_usd, the host box of llmcost.hosting with the
scenario's economics), multiplied out so a reader can check them against the capex column:
capex_usd = replicas x (GPUs per replica x GPU price + host)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from llmcost import hosting, prices
from llmcost.catalog import Catalog, gpu_price_usd
from llmcost.options import OWN, RENT, Option
from llmcost.render import count, money
from llmcost.schema import Gpu, Scenario


def _at(cat: Catalog, kind: str, entry_id: str) -> str:
    loc = cat.where.get((kind, entry_id))
    return f"    <- {loc.path}:{loc.line}" if loc else ""


def _dated(as_of: str | None, today: datetime.date) -> str:
    return f"as_of {as_of}, {count(prices.age_days(as_of, today), 'day')} old" if as_of else "no date"


def gpu_price(gpu: Gpu, used: bool, today: datetime.date) -> str:
    """'$1,599 new (price_usd, as_of 2022-10-12, 1506 days old)', or the used price when it is the one paid."""
    price = gpu_price_usd(gpu, used)
    if used and gpu.used_price_usd is not None:
        return f"{money(price)} used (used_price_usd, {_dated(gpu.used_price_as_of or gpu.price_as_of, today)})"
    note = "; no used price in the profile" if used else ""
    return f"{money(price)} new (price_usd, {_dated(gpu.price_as_of, today)}{note})"


def host_text(cat: Catalog, sc: Scenario, box: hosting.Box, host_usd: float) -> str:
    """The host added to one replica's GPUs and where its price comes from."""
    if box.integrated:
        return "no host (the price is the whole machine)"
    if box.host is None:
        return "no host carries them"
    share = f"{box.cards}/{box.host.max_gpus} of " if box.share != 1 else ""
    given = sc.economics is not None and sc.economics.host_usd is not None
    return f"host {money(host_usd)} ({share}{'scenario economics.host_usd, ' if given else ''}hosts/{box.host.id})"


def hardware_lines(cat: Catalog, sc: Scenario, opts: Sequence[Option], rows: Sequence[Mapping[str, Any]],
                   economics: Mapping[str, Any], today: datetime.date | None = None) -> str:
    """For compare --explain: per own option the GPU price, host and capex; per rental its $/GPU-hour.
    `rows` are the compare rows of `opts` (one each, in order); `economics` is comparison.economics(cat, sc)."""
    today = today or prices.today()
    lines = ["hardware prices used (capex = replicas x (GPUs per replica x GPU price + host)):"]
    for opt, row in zip(opts, rows, strict=True):
        if opt.gpu is None:
            continue
        gpus = row.get("gpus_per_replica")
        n = float(gpus) if isinstance(gpus, (int, float)) else float(opt.count or 1)
        if opt.kind == OWN:
            box = hosting.box_for(cat, opt.gpu, int(n))
            host = float(box.usd(economics["host_usd"]))
            unit = n * gpu_price_usd(opt.gpu, sc.options.used) + host
            replicas, capex = row.get("replicas"), row.get("capex_usd")
            total = (f"; x {count(replicas, 'replica')} = capex {money(capex)}"
                     if isinstance(replicas, (int, float)) and isinstance(capex, (int, float)) else f"; capex {capex}")
            lines.append(f"  {row['option']}: {n:g} x {opt.gpu.id} at {gpu_price(opt.gpu, sc.options.used, today)} + "
                         f"{host_text(cat, sc, box, host)} = {money(unit)} per replica{total}"
                         + _at(cat, "gpus", opt.gpu.id))
        elif opt.kind == RENT and opt.rental is not None:
            r = opt.rental
            lines.append(f"  {row['option']}: {money(r.usd_per_gpu_hour)}/GPU-hour x {count(n, 'GPU')} per replica, {r.kind}, "
                         f"instances of {count(r.gpus_per_instance, 'GPU')}, {_dated(r.as_of, today)}; no capex"
                         + _at(cat, "rentals", r.id))
    return "\n".join(lines) + "\n" if len(lines) > 1 else ""
