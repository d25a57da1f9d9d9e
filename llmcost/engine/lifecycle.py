"""Lifecycle costs of a serving option month by month, TCO, break-even volume and payback.

Each row is one option (own hardware, a rental offer, or an API) for one workload. Inputs are a
mapping of 1-D arrays of equal length (keys in `monthly_costs`); months run on a second axis up to
the longest horizon, masked beyond each row's own. "Never" is returned as +inf; the caller prints it
as a word.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from llmcost.engine import money, serverless
from llmcost.engine.money import residual_share

F = NDArray[np.float64]
OWN, RENT, API = 0, 1, 2
DAYS_PER_MONTH = money.HOURS_PER_MONTH / 24.0


def _a(x: Mapping[str, ArrayLike], key: str) -> F:
    return np.asarray(x[key], dtype=float)


def replicas_needed(requests_per_day: ArrayLike, peak_to_average: ArrayLike, capacity_rps: ArrayLike) -> F:
    """Replicas that carry the peak request rate: ceil(requests/day / 86,400 x peak / capacity), at least 1.

    Parameters
    ----------
    requests_per_day : array_like
        Requests per day.
    peak_to_average : array_like
        Ratio of the peak to the average request rate (>= 1).
    capacity_rps : array_like
        Requests per second one replica serves (0: 1 replica is returned).

    Returns
    -------
    ndarray
        Replicas, a count, of the inputs' broadcast shape.

    Examples
    --------
    >>> replicas_needed([1000, 1e6], 3, 0.5).tolist()
    [1.0, 70.0]
    """
    peak_rps = np.asarray(requests_per_day, dtype=float) / 86400.0 * np.asarray(peak_to_average, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.ceil(peak_rps / np.asarray(capacity_rps, dtype=float) - 1e-9)
    return np.maximum(np.where(np.isfinite(need), need, 1.0), 1.0)


# ---------------------------------------------------------------------------------------------- price trends
# Issue #12. Optional inputs (absent = 0 = flat prices), each a fraction lost per year: API prices at constant
# quality (buyers move to newer, cheaper models of the same benchmark score; not a cut of one model id's price),
# a rental offer's $/GPU-hour, and the market price of a GPU model (replicas bought later, resale value by age).
TREND_KEYS = ("api_price_decline_per_year", "rental_price_decline_per_year", "gpu_price_decline_per_year")


def _trend(x: Mapping[str, ArrayLike], key: str) -> F:
    """A trend input per row (absent = 0, flat)."""
    return np.broadcast_to(np.asarray(x.get(key, 0.0), dtype=float), np.shape(x["kind"]))


def _factors(decline: F, months: F) -> F:
    """price_factor of a trend column (rows, 1) over months (1, months); computed once when every row shares it."""
    if decline.size and np.all(decline == decline.flat[0]):
        return price_factor(decline.flat[0], months)
    return price_factor(decline, months)


def _gpu_capex(x: Mapping[str, ArrayLike]) -> F:
    """The GPUs' part of each row's unit_capex_usd (absent = all of it)."""
    return np.broadcast_to(np.asarray(x.get("gpu_capex_usd", x["unit_capex_usd"]), dtype=float), np.shape(x["kind"]))


def price_factor(decline_per_year: ArrayLike, months: ArrayLike) -> F:
    """A price after `months` as a share of today's, when it falls by `decline_per_year` each year:
    (1 - d)^(months / 12), compounded monthly (a16z "LLMflation", 2024-11-12: 10x a year is d = 0.9).

    Parameters
    ----------
    decline_per_year : array_like
        Fraction of the price lost per year (0.9 = ten times cheaper a year; negative = rising).
    months : array_like
        Months from today.

    Returns
    -------
    ndarray
        Fraction of today's price, of the inputs' broadcast shape.

    Examples
    --------
    >>> [round(v, 4) for v in price_factor(0.9, [0, 6, 12, 24]).tolist()]
    [1.0, 0.3162, 0.1, 0.01]
    """
    return (1.0 - np.asarray(decline_per_year, dtype=float)) ** (np.asarray(months, dtype=float) / 12.0)


def mean_price_factor(decline_per_year: ArrayLike, months: ArrayLike) -> F:
    """Mean of `price_factor` over months 0 .. n-1 (n = ceil(months)): the geometric series
    (1 - r^n) / (n (1 - r)) with r = (1 - d)^(1/12); 1 when flat.

    Parameters
    ----------
    decline_per_year : array_like
        Fraction of the price lost per year.
    months : array_like
        Months averaged over (rounded up).

    Returns
    -------
    ndarray
        Fraction of today's price, of the inputs' broadcast shape.

    Examples
    --------
    >>> [round(v, 4) for v in mean_price_factor([0.0, 0.9], 36).tolist()]
    [1.0, 0.1589]
    """
    n = np.maximum(np.ceil(np.asarray(months, dtype=float)), 1.0)
    r = price_factor(decline_per_year, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (1.0 - r ** n) / (n * (1.0 - r))
    return np.where(np.isclose(r, 1.0, rtol=0.0, atol=1e-12), 1.0, mean)


def gpu_market_loss_per_month(x: Mapping[str, ArrayLike]) -> F:
    """Extra depreciation per replica and month when GPU prices fall: the GPUs' share of the capex x
    resale x (1 - price_factor(lifetime)) / lifetime (0 when flat), so the resale value at the end of the
    lifetime is resale_fraction of the market price then, not of the price paid.

    Parameters
    ----------
    x : mapping of str to array_like
        1-D arrays of equal length, one element per option, keyed as in `monthly_costs` (same units);
        read here: kind, lifetime_months, resale_fraction, unit_capex_usd, gpu_capex_usd and
        gpu_price_decline_per_year.

    Returns
    -------
    ndarray
        USD per replica and month, one per row.
    """
    life = _a(x, "lifetime_months")
    return _gpu_capex(x) * _a(x, "resale_fraction") * (1.0 - price_factor(_trend(x, "gpu_price_decline_per_year"), life)) / life


def monthly_costs(x: Mapping[str, ArrayLike], months: int) -> dict[str, F]:
    """Month-by-month cash flows, shape (rows, months).

    Owned replicas are bought at the start (or when the peak needs them) and kept; rented replicas
    follow the need each month; serverless offers bill their workers as the provider does
    (serverless.worker_hours_per_day); API cost follows volume. Volume grows by `monthly_growth` each
    month. With price trends (issue #12), month m pays price_factor(d, m) of today's API price (the
    reference API's too) and rental rate, and a replica bought in month m pays that factor of the GPUs'
    price (the host's part stays flat).

    Parameters
    ----------
    x : mapping of str to array_like
        The lifecycle engine's input row: 1-D arrays of equal length, one element per option (row).
        Workload:

        - kind: 0 own, 1 rent, 2 api (OWN, RENT, API).
        - requests_per_day: requests per day in month 0.
        - tokens_per_request: tokens per request, input + output (read by `lifecycle`).
        - peak_to_average: ratio of the peak to the average request rate (>= 1).
        - monthly_growth: fraction per month (0.05 = +5% a month).
        - horizon_months: months costed.

        Hardware, per replica:

        - capacity_rps: requests per second one replica serves.
        - gpus_per_replica: GPUs, a count.
        - unit_capex_usd: USD to buy one replica (GPUs and host).
        - resale_fraction: fraction 0-1 of the price the hardware resells for at the end of its lifetime.
        - lifetime_months: months the hardware is kept.
        - idle_w: W drawn idle, host included; busy_extra_w: W more when busy (board minus idle).
        - pue: ratio of facility to IT power (>= 1); electricity_usd_per_kwh: USD per kWh.
        - upkeep_usd_per_month: USD per replica and month (operations time, colocation, failed-card
          replacements).

        Rental:

        - rent_usd_per_gpu_hour: USD per GPU-hour; gpus_per_instance: GPUs per rented instance, a count.
        - serverless (bool): billed per second of worker time; min_workers: always-on workers, a count.
        - latency_s and latency_slope_s: seconds, one request's latency at batch 1 and its rise per extra
          request in the batch; capacity_latency_s: seconds, at the capacity batch; idle_timeout_s and
          cold_start_s: seconds (serverless billing, llmcost.engine.serverless).

        API and training:

        - api_usd_per_request: USD per request of an API option; ref_api_usd_per_request: USD per request
          of the reference API, for the same request.
        - one_time_usd: USD paid in month 0; periodic_usd: USD per periodic training run; period_months:
          months between runs (0 = none).
        - ref_one_time_usd, ref_periodic_usd: USD, the reference API's own training fees.
        - start_months: months until serving starts (when the option's training ends); until then its
          traffic goes to the reference API.
        - discount_rate: fraction per year (read by `lifecycle`).

        Optional:

        - api_price_decline_per_year, rental_price_decline_per_year, gpu_price_decline_per_year
          (TREND_KEYS): fractions per year (0.9 = ten times cheaper a year), absent = flat.
        - gpu_capex_usd: USD per replica, the GPUs' part of unit_capex_usd, the part that follows the GPU
          market; absent = all of it.
    months : int
        Months on the second axis, a count (at least the longest horizon; months beyond a row's own
        horizon are zero).

    Returns
    -------
    dict of str to ndarray
        Arrays of shape (rows, months):

        - volume_requests_per_day: requests per day.
        - replicas: replicas installed (own) or needed (rent), a count.
        - capex_usd: USD of purchases in the month; gpu_capex_usd: the GPUs' part of them.
        - opex_usd: USD of running cost in the month (the reference API's cost for the traffic until
          serving starts), upkeep, and one-time and periodic training included.
        - serving_usd: USD, the running cost had serving started at once (what a month of serving costs).
        - utilization: fraction 0-1 of the installed capacity used on average.
        - api_reference_usd: USD the reference API would cost for the same traffic, its training fees
          included.
    """
    kind = _a(x, "kind")
    n = kind.shape[0]
    m = np.arange(months, dtype=float)[None, :]
    growth = _a(x, "monthly_growth")[:, None]
    rpd = _a(x, "requests_per_day")[:, None]
    volume = rpd * (1.0 + growth) ** m if np.any(growth != 0) else np.broadcast_to(rpd, (n, months))
    cap = _a(x, "capacity_rps")[:, None]
    steady = np.zeros((n, months))  # serving cost as if serving from month 0
    fixed = np.zeros((n, months))   # owned upkeep: paid while the hardware trains too
    capex = np.zeros((n, months))
    gpu_capex = np.zeros((n, months))
    replicas = np.zeros((n, months))
    utilization = np.zeros((n, months))
    api_trend = _trend(x, "api_price_decline_per_year")[:, None]
    api_factor = _factors(api_trend, m) if np.any(api_trend != 0) else 1.0  # price trends (issue #12)
    reference = volume * DAYS_PER_MONTH * _a(x, "ref_api_usd_per_request")[:, None] * api_factor
    # Each kind is computed on its own rows only (a sweep mixes them evenly).
    hw = np.nonzero(kind != API)[0]
    if hw.size:
        v, c = volume[hw], cap[hw]
        need = replicas_needed(v, _a(x, "peak_to_average")[hw, None], c)
        installed = np.maximum.accumulate(need, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            util = np.clip(v / 86400.0 / (installed * c), 0.0, 1.0)
        util = np.where(np.isfinite(util), util, 0.0)
        utilization[hw] = util
        own = kind[hw] == OWN
        if own.any():
            rows, inst, u = hw[own], installed[own], util[own]
            kwh_price = _a(x, "pue")[rows, None] * _a(x, "electricity_usd_per_kwh")[rows, None] / 1000.0
            steady[rows] = inst * (_a(x, "idle_w")[rows, None] + _a(x, "busy_extra_w")[rows, None] * u) * money.HOURS_PER_MONTH * kwh_price
            fixed[rows] = inst * _a(x, "upkeep_usd_per_month")[rows, None]
            capex[rows] = np.diff(inst, axis=1, prepend=0.0) * _a(x, "unit_capex_usd")[rows, None]
            replicas[rows] = inst
            # Price trends (issue #12): replicas bought in month m pay the GPUs' market price of that month.
            gpu_paid = np.diff(inst, axis=1, prepend=0.0) * _gpu_capex(x)[rows, None]
            g = _trend(x, "gpu_price_decline_per_year")[rows, None]
            gpu_capex[rows] = gpu_paid * _factors(g, m) if np.any(g != 0) else gpu_paid
            capex[rows] -= gpu_paid - gpu_capex[rows]
        if (~own).any():
            rows, nd = hw[~own], need[~own]
            steady[rows] = rented_usd(x, rows, nd, volume[rows])
            r = _trend(x, "rental_price_decline_per_year")[rows, None]
            if np.any(r != 0):  # price trends (issue #12): the offer's rate in month m
                steady[rows] *= _factors(r, m)
            replicas[rows] = nd
        # Until the option's training ends its traffic goes to the reference API (partial months pro rata).
        serving = np.clip(m + 1.0 - _a(x, "start_months")[hw, None], 0.0, 1.0)
        bridge = reference[hw] * (1.0 - serving)
        opex_hw = steady[hw] * serving + fixed[hw] + bridge
    api_rows = np.nonzero(kind == API)[0]
    if api_rows.size:
        steady[api_rows] = (volume[api_rows] * DAYS_PER_MONTH * _a(x, "api_usd_per_request")[api_rows, None]
                            * np.broadcast_to(api_factor, (n, months))[api_rows])
    opex = steady + fixed
    if hw.size:
        opex[hw] = opex_hw
    serving_usd = steady + fixed

    opex[:, 0] += _a(x, "one_time_usd")
    reference = reference.copy()
    reference[:, 0] += _a(x, "ref_one_time_usd")
    period = _a(x, "period_months")[:, None]
    if np.any(period > 0):
        runs = np.where(period > 0, (np.mod(m, np.where(period > 0, period, 1.0)) < 1.0) & (m > 0), False)
        opex += np.where(runs, _a(x, "periodic_usd")[:, None], 0.0)
        reference += np.where(runs, _a(x, "ref_periodic_usd")[:, None], 0.0)
    horizon = _a(x, "horizon_months")[:, None]
    if np.any(horizon < months):
        live = m < horizon
        replicas, capex, gpu_capex, opex, utilization, reference = (
            a * live for a in (replicas, capex, gpu_capex, opex, utilization, reference))
    return {
        "volume_requests_per_day": volume,
        "replicas": replicas,
        "capex_usd": capex,
        "gpu_capex_usd": gpu_capex,
        "opex_usd": opex,
        "serving_usd": serving_usd,
        "utilization": utilization,
        "api_reference_usd": reference,
    }


def rented_usd(x: Mapping[str, ArrayLike], rows: NDArray[np.intp], need: F, volume: F) -> F:
    """Monthly bill of rented rows (rows x months): instances for the replicas needed, around the clock; serverless
    offers their billed worker-hours (always-on workers plus flex workers' billed share of the busy window).

    Parameters
    ----------
    x : mapping of str to array_like
        1-D arrays of equal length, one element per option, keyed as in `monthly_costs` (same units);
        read here: gpus_per_replica, gpus_per_instance, rent_usd_per_gpu_hour, serverless, and for
        serverless rows peak_to_average, min_workers and the latency and billing seconds.
    rows : ndarray of int
        Positions of the rented rows in `x`.
    need : ndarray
        Replicas needed, a count, shape (len(rows), months).
    volume : ndarray
        Requests per day, shape (len(rows), months).

    Returns
    -------
    ndarray
        USD per month, shape (len(rows), months).
    """
    gpus = _a(x, "gpus_per_replica")[rows, None]
    per_inst = _a(x, "gpus_per_instance")[rows, None]
    rate = _a(x, "rent_usd_per_gpu_hour")[rows, None]
    out = np.ceil(need * gpus / per_inst - 1e-9) * per_inst * rate * money.HOURS_PER_MONTH
    flex = np.nonzero(np.asarray(x["serverless"], dtype=bool)[rows])[0]
    if flex.size:
        r = rows[flex]
        col = {k: _a(x, k)[r, None] for k in ("peak_to_average", "min_workers", "latency_s", "latency_slope_s",
                                                "capacity_latency_s", "idle_timeout_s", "cold_start_s")}
        hours = serverless.worker_hours_per_day(volume[flex], col["peak_to_average"], need[flex], col["min_workers"],
                                                col["latency_s"], col["latency_slope_s"], col["capacity_latency_s"],
                                                col["idle_timeout_s"], col["cold_start_s"])
        out[flex] = hours * DAYS_PER_MONTH * gpus[flex] * rate[flex]
    return out


def payback_months(capex: F, opex: F, api: F, horizon: F) -> F:
    """Months until the cumulative cash cost of an option falls to the API's for good (inf = never).

    Purchases happen at the start of their month, running costs accrue evenly within it; the crossing
    is interpolated inside the month, and beyond the horizon the last month's rates are extended. With
    constant volume this is capex / (API monthly - own monthly opex), the closed form. When API prices
    fall faster than the option's costs, an option cheaper in its first months can be overtaken: the
    payback is then the last crossing after which it stays cheaper through the horizon, and never when
    the API is cheaper in total at the horizon and still gaining.

    Parameters
    ----------
    capex : ndarray
        USD of purchases each month, shape (rows, months).
    opex : ndarray
        USD of running cost each month, shape (rows, months).
    api : ndarray
        USD the reference API costs each month for the same traffic, shape (rows, months).
    horizon : ndarray
        Months, each row's horizon, shape (rows,).

    Returns
    -------
    ndarray
        Months, shape (rows,); inf = never.

    Examples
    --------
    $1,000 up front, then $50 a month against an API at $250 a month: 5 months, the closed form:

    >>> payback_months(np.array([[1000.0] + [0.0] * 11]), np.full((1, 12), 50.0), np.full((1, 12), 250.0),
    ...                np.array([12.0])).tolist()
    [5.0]
    """
    cum_capex = np.cumsum(capex, axis=1)
    cum_run = np.cumsum(opex - api, axis=1)
    start = cum_capex + cum_run - (opex - api)  # own minus API at the start of each month
    end = start + (opex - api)
    saving = api - opex
    months = np.arange(capex.shape[1], dtype=float)[None, :]
    live = months < horizon[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = months + np.where(saving > 0, start / saving, 0.0)
    crossed = live & (start >= 0) & (end <= 0)
    n = crossed.shape[1]
    final = n - 1 - np.argmax(crossed[:, ::-1], axis=1)  # the last crossing
    at = np.take_along_axis(inside, final[:, None], axis=1)[:, 0]
    last = np.maximum(horizon.astype(int) - 1, 0)
    end_last = np.take_along_axis(end, last[:, None], axis=1)[:, 0]
    saving_last = np.take_along_axis(saving, last[:, None], axis=1)[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        later = np.where(saving_last > 0, horizon + end_last / saving_last, np.inf)
    return np.where(crossed.any(axis=1) & (end_last <= 0), at, later)


def lifecycle(x: Mapping[str, ArrayLike], months: int | None = None) -> dict[str, F]:
    """TCO, month-0 cost, break-even volume and payback against the reference API, per row.

    Parameters
    ----------
    x : mapping of str to array_like
        1-D arrays of equal length, one element per option, keyed as in `monthly_costs` (same units), with
        ref_api_usd_per_request (USD, the reference API's price for the same request), tokens_per_request
        (tokens) and discount_rate (fraction per year) read here too.
    months : int, optional
        Months on the months axis, a count. None: the longest horizon, rounded up.

    Returns
    -------
    dict of str to ndarray
        One element per row:

        - capex_usd: USD of purchases in month 0.
        - monthly_usd: USD in month 0 (depreciation + running for own).
        - usd_per_mtok: USD per 1M tokens in month 0 (inf without traffic).
        - tco_usd: USD, purchases + running + one-time - residual value at the horizon, discounted when a
          rate is given; reference_tco_usd: USD, the reference API's, same horizon and discounting.
        - breakeven_tokens_per_day: tokens per day (inf = never; breakeven_tokens_per_day()).
        - payback_months: months (inf = never; payback_months()).
        - replicas: a count, in month 0.
        - peak_utilization: peak load / installed capacity, a ratio (NaN for APIs); utilization:
          fraction 0-1 of capacity used on average, month 0.
        - capacity_tokens_per_day: tokens per day one replica carries at the peak factor (inf for APIs).
    """
    horizon = _a(x, "horizon_months")
    months = int(np.max(np.ceil(horizon))) if months is None else months
    flows = monthly_costs(x, months)
    kind = _a(x, "kind")
    m = np.arange(months, dtype=float)[None, :]
    rate = _a(x, "discount_rate")
    disc = money.discount_factors(m, rate[:, None]) if np.any(rate != 0) else 1.0
    purchase_age = horizon[:, None] - m
    # Price trends (issue #12): the GPUs sold at the horizon fetch their share of that month's market price.
    g = _trend(x, "gpu_price_decline_per_year")[:, None]
    market = price_factor(g, np.maximum(purchase_age, 0.0)) if np.any(g != 0) else 1.0
    held = flows["capex_usd"] - flows["gpu_capex_usd"] * (1.0 - market)
    residual = held * residual_share(purchase_age, _a(x, "lifetime_months")[:, None], _a(x, "resale_fraction")[:, None])
    residual_total = residual.sum(axis=1) * (money.discount_factors(horizon, rate) if np.any(rate != 0) else 1.0)
    tco = ((flows["capex_usd"] + flows["opex_usd"]) * disc).sum(axis=1) - residual_total
    reference_tco = (flows["api_reference_usd"] * disc).sum(axis=1)

    tok = _a(x, "tokens_per_request")
    unit = _a(x, "unit_capex_usd")
    depreciation0 = flows["replicas"][:, 0] * (unit * (1.0 - _a(x, "resale_fraction")) / _a(x, "lifetime_months")
                                               + gpu_market_loss_per_month(x))
    monthly0 = flows["serving_usd"][:, 0] + np.where(kind == OWN, depreciation0, 0.0)
    tokens0 = _a(x, "requests_per_day") * DAYS_PER_MONTH * tok
    with np.errstate(divide="ignore", invalid="ignore"):
        per_mtok = np.where(tokens0 > 0, monthly0 / tokens0 * 1e6, np.inf)

    cap_tokens_day = _a(x, "capacity_rps") * 86400.0 / _a(x, "peak_to_average") * tok
    with np.errstate(divide="ignore", invalid="ignore"):
        peak_load = _a(x, "requests_per_day") / 86400.0 * _a(x, "peak_to_average") / (flows["replicas"][:, 0] * _a(x, "capacity_rps"))
    return {
        "replicas": flows["replicas"][:, 0],
        "peak_utilization": np.where((kind == API) | ~np.isfinite(peak_load), np.nan, peak_load),
        "capex_usd": flows["capex_usd"][:, 0],
        "monthly_usd": monthly0,
        "usd_per_mtok": per_mtok,
        "tco_usd": tco,
        "reference_tco_usd": reference_tco,
        "breakeven_tokens_per_day": breakeven_tokens_per_day(x),
        "payback_months": payback_months(flows["capex_usd"], flows["opex_usd"], flows["api_reference_usd"], horizon),
        "utilization": flows["utilization"][:, 0],
        "capacity_tokens_per_day": np.where(kind == API, np.inf, cap_tokens_day),
    }


def breakeven_tokens_per_day(x: Mapping[str, ArrayLike]) -> F:
    """Daily volume (input + output tokens) above which an option beats the reference API (inf = never).

    V* = fixed monthly cost per replica / (days per month x (API cost per token - marginal cost per token)),
    valid only within one replica's capacity (beyond it every replica must pay for itself again).
    Own: fixed = depreciation + idle power + upkeep; marginal = the extra energy of busy GPUs per token.
    Rent: fixed = the billed GPUs of one replica around the clock (a serverless offer's always-on workers).
    Periodic training runs count as fixed costs of each side (the option's, less the reference API's).
    Flex serverless offers (no always-on worker) have no fixed cost but a bill per request that falls as
    traffic rises (each worker start and idle tail is shared by more requests): their break-even is the
    lowest volume at which that bill per request reaches the API's price (serverless.breakeven_arrival_rps),
    within one worker's capacity; it leaves periodic training out.
    With price trends (issue #12) the volume is the one at which the costs summed over the horizon are
    equal: API and rental prices enter at their mean over the horizon's months (`mean_price_factor`), and
    the owned depreciation adds the GPUs' market loss (`gpu_market_loss_per_month`).

    Parameters
    ----------
    x : mapping of str to array_like
        1-D arrays of equal length, one element per option, keyed as in `monthly_costs` (same units).

    Returns
    -------
    ndarray
        Tokens per day (input + output), one per row; inf = never (and for APIs).
    """
    kind = _a(x, "kind")
    tok = _a(x, "tokens_per_request")
    cap = _a(x, "capacity_rps")
    peak = _a(x, "peak_to_average")
    kwh_price = _a(x, "pue") * _a(x, "electricity_usd_per_kwh") / 1000.0
    period = _a(x, "period_months")
    with np.errstate(divide="ignore", invalid="ignore"):
        training = np.where(period > 0, (_a(x, "periodic_usd") - _a(x, "ref_periodic_usd")) / period, 0.0)
        api_per_tok = _a(x, "ref_api_usd_per_request") / tok
        own_fixed = (_a(x, "unit_capex_usd") * (1.0 - _a(x, "resale_fraction")) / _a(x, "lifetime_months")
                     + _a(x, "idle_w") * money.HOURS_PER_MONTH * kwh_price + _a(x, "upkeep_usd_per_month"))
        own_marginal = _a(x, "busy_extra_w") * kwh_price / 3600.0 / (cap * tok)
        gpus = _a(x, "gpus_per_replica")
        per_inst = _a(x, "gpus_per_instance")
        rate = _a(x, "rent_usd_per_gpu_hour")
        serverless_row = np.asarray(x["serverless"], dtype=bool) & (kind == RENT)
        billed = np.where(serverless_row, _a(x, "min_workers") * gpus, np.ceil(gpus / per_inst - 1e-9) * per_inst)
        # Price trends (issue #12): horizon means of the API's and the offer's prices, the GPUs' market loss.
        horizon = _a(x, "horizon_months")
        api_mean = mean_price_factor(_trend(x, "api_price_decline_per_year"), horizon)
        rent_mean = mean_price_factor(_trend(x, "rental_price_decline_per_year"), horizon)
        api_per_tok = api_per_tok * api_mean
        rent_fixed = billed * rate * money.HOURS_PER_MONTH * rent_mean
        own_fixed = own_fixed + gpu_market_loss_per_month(x)
        fixed = np.where(kind == OWN, own_fixed, rent_fixed) + training
        margin = api_per_tok - np.where(kind == OWN, own_marginal, 0.0)
        v = np.where(margin > 0, fixed / (DAYS_PER_MONTH * margin), np.inf)
    cap_tokens_day = cap * 86400.0 / peak * tok
    v = np.where(v <= cap_tokens_day, v, np.inf)
    flex = np.nonzero(serverless_row & (_a(x, "min_workers") < 1))[0]
    if flex.size:
        col = {k: _a(x, k)[flex] for k in ("latency_s", "latency_slope_s", "capacity_latency_s", "idle_timeout_s", "cold_start_s",
                                            "ref_api_usd_per_request")}
        lam = serverless.breakeven_arrival_rps(gpus[flex] * rate[flex] * rent_mean[flex] / 3600.0,
                                               col["ref_api_usd_per_request"] * api_mean[flex], cap[flex],
                                               col["latency_s"], col["latency_slope_s"], col["capacity_latency_s"],
                                               col["idle_timeout_s"], col["cold_start_s"])
        with np.errstate(invalid="ignore"):
            v[flex] = lam / peak[flex] * 86400.0 * tok[flex]
    return np.where(kind == API, np.inf, np.where(np.isfinite(v), np.maximum(v, 0.0), np.inf))


ENGINE_CELLS = 65_536
"""Most row x month cells per call of `lifecycle` in `evaluate` (2,048 rows at a 32-month horizon): its arrays,
some 30 of rows x months, then stay in the CPU cache, which is faster than bigger calls, and memory stays
flat (a few MB) whatever the number of rows or the horizon."""


def evaluate(x: Mapping[str, ArrayLike], cells: int = ENGINE_CELLS) -> dict[str, F]:
    """`lifecycle` over any number of rows: rows grouped by whole-month horizon, so a row's numbers never
    depend on its neighbours (each group gets the months axis a one-row call would), in calls of at most
    `cells` row x month cells.

    Parameters
    ----------
    x : mapping of str to array_like
        1-D arrays of equal length, one element per option, keyed as in `monthly_costs` (same units).
    cells : int, default ENGINE_CELLS
        Most row x month cells per call of `lifecycle`, a count.

    Returns
    -------
    dict of str to ndarray
        What `lifecycle` returns, one element per row.

    Examples
    --------
    >>> x = {k: [v, v] for k, v in dict(kind=API, requests_per_day=100, tokens_per_request=1000, peak_to_average=1,
    ...      monthly_growth=0, horizon_months=12, capacity_rps=0, gpus_per_replica=1, unit_capex_usd=0, resale_fraction=0,
    ...      lifetime_months=36, idle_w=0, busy_extra_w=0, pue=1, electricity_usd_per_kwh=0, upkeep_usd_per_month=0,
    ...      rent_usd_per_gpu_hour=0, gpus_per_instance=1, serverless=False, min_workers=0, latency_s=0, latency_slope_s=0,
    ...      capacity_latency_s=0, idle_timeout_s=0, cold_start_s=0, api_usd_per_request=0.001, ref_api_usd_per_request=0.001,
    ...      one_time_usd=0, periodic_usd=0, period_months=0, ref_one_time_usd=0, ref_periodic_usd=0, start_months=0,
    ...      discount_rate=0).items()}
    >>> x["horizon_months"] = [12, 24]
    >>> [round(v, 2) for v in evaluate(x)["tco_usd"].tolist()]
    [36.5, 73.0]
    """
    horizon = np.asarray(x["horizon_months"], dtype=float)
    months = np.ceil(horizon)
    n = len(months)
    groups = np.unique(months)
    if len(groups) == 1 and n * groups[0] <= cells:
        return lifecycle(x)
    cols = {k: np.asarray(v) for k, v in x.items()}
    out: dict[str, F] = {}
    for m in groups:
        rows = np.flatnonzero(months == m) if len(groups) > 1 else np.arange(n)
        step = max(256, cells // max(1, int(m)))
        for i in range(0, len(rows), step):
            sel = rows[i:i + step]
            part = lifecycle({k: v[sel] for k, v in cols.items()}, int(m))
            for k, v in part.items():
                out.setdefault(k, np.empty(n, dtype=v.dtype))[sel] = v
    return out
