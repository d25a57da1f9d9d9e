"""Money: depreciation, owned and rented running costs, API prices, NPV."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]
HOURS_PER_MONTH = 730.0
"""A month is 730 hours (8,760 / 12): the design's fixed unit, not an assumption."""


def depreciation_usd(capex_usd: ArrayLike, resale_fraction: ArrayLike, hours_used: ArrayLike, lifetime_months: ArrayLike) -> F:
    """Straight-line depreciation of `capex_usd` over the lifetime, for `hours_used` of it.

    (capex - residual) x hours / (lifetime x 730).

    Parameters
    ----------
    capex_usd : array_like
        USD, the purchase price.
    resale_fraction : array_like
        Fraction 0-1 of the price the hardware resells for at the end of its lifetime.
    hours_used : array_like
        Hours of the lifetime to charge.
    lifetime_months : array_like
        Months the hardware is kept (730 hours each).

    Returns
    -------
    ndarray
        USD, of the inputs' broadcast shape.

    Examples
    --------
    A $1,600 card kept 36 months, resold at 30%, costs $31.11 a month:

    >>> round(float(depreciation_usd(1600, 0.3, 730, 36)), 2)
    31.11
    """
    capex = np.asarray(capex_usd, dtype=float)
    life_h = np.asarray(lifetime_months, dtype=float) * HOURS_PER_MONTH
    return capex * (1.0 - np.asarray(resale_fraction, dtype=float)) * np.asarray(hours_used, dtype=float) / life_h


def residual_share(age_months: ArrayLike, lifetime_months: ArrayLike, resale_fraction: ArrayLike) -> F:
    """Book value as a share of the price after `age_months`.

    Linear from 1 down to the resale share at the end of the lifetime, then flat (straight-line
    depreciation to the residual value).

    Parameters
    ----------
    age_months : array_like
        Months since purchase.
    lifetime_months : array_like
        Months the hardware is kept.
    resale_fraction : array_like
        Fraction 0-1 of the price the hardware resells for at the end of its lifetime.

    Returns
    -------
    ndarray
        Fraction 0-1 of the purchase price, of the inputs' broadcast shape.

    Examples
    --------
    >>> [round(v, 6) for v in residual_share([0, 18, 36, 60], 36, 0.3).tolist()]
    [1.0, 0.65, 0.3, 0.3]
    """
    resale = np.asarray(resale_fraction, dtype=float)
    age = np.asarray(age_months, dtype=float) / np.asarray(lifetime_months, dtype=float)
    return np.maximum(resale, 1.0 - (1.0 - resale) * age)


def api_usd_per_request(input_tokens: ArrayLike, output_tokens: ArrayLike, cached_share: ArrayLike,
                        input_usd_per_mtok: ArrayLike, cached_usd_per_mtok: ArrayLike,
                        output_usd_per_mtok: ArrayLike, discount: ArrayLike) -> F:
    """API price of one request: (input x (uncached x in + cached x cache) + output x out) / 1e6, less the discount.

    Parameters
    ----------
    input_tokens : array_like
        Prompt tokens per request.
    output_tokens : array_like
        Generated tokens per request.
    cached_share : array_like
        Fraction 0-1 of the prompt billed at the cached-input price.
    input_usd_per_mtok : array_like
        USD per 1M uncached input tokens.
    cached_usd_per_mtok : array_like
        USD per 1M cached input tokens.
    output_usd_per_mtok : array_like
        USD per 1M output tokens.
    discount : array_like
        Fraction 0-1 off the price (batch APIs).

    Returns
    -------
    ndarray
        USD per request, of the inputs' broadcast shape.

    Examples
    --------
    >>> float(api_usd_per_request(1000, 500, 0.0, 2.5, 1.25, 10.0, 0.0))
    0.0075
    """
    inp = np.asarray(input_tokens, dtype=float)
    share = np.asarray(cached_share, dtype=float)
    cost = inp * ((1 - share) * np.asarray(input_usd_per_mtok, dtype=float) + share * np.asarray(cached_usd_per_mtok, dtype=float))
    cost = cost + np.asarray(output_tokens, dtype=float) * np.asarray(output_usd_per_mtok, dtype=float)
    return cost / 1e6 * (1.0 - np.asarray(discount, dtype=float))


def discount_factors(months: ArrayLike, yearly_rate: ArrayLike) -> F:
    """Present value of $1 paid at the end of month m: (1 + r)^(-m / 12).

    Parameters
    ----------
    months : array_like
        Months from now.
    yearly_rate : array_like
        Discount rate, a fraction per year (0.08 = 8%).

    Returns
    -------
    ndarray
        USD today per USD paid then, of the inputs' broadcast shape.

    Examples
    --------
    >>> [round(x, 4) for x in discount_factors([0, 12], 0.1).tolist()]
    [1.0, 0.9091]
    """
    return (1.0 + np.asarray(yearly_rate, dtype=float)) ** (-np.asarray(months, dtype=float) / 12.0)
