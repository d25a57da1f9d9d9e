"""Serverless billing: per-second workers that start on demand, batch what arrives, and stop after an idle timeout.

Providers bill a worker "from when a worker starts until it fully stops, rounded up to the nearest second":
its start (container start and loading the model into GPU memory), its execution, and the idle timeout
after the last request (docs.runpod.io/serverless/pricing; Modal bills the same way, with a default
scaledown window of 60 s, modal.com/docs/guide/cold-start). Active (always-on) workers bill around the clock.

Model, for Poisson arrivals at rate lambda to one worker that batches them (continuous batching):

- A request finds on average lambda W others in service (an M/G/inf system, whose number in service is
  Poisson with mean lambda W; Poisson arrivals see time averages, Wolff 1982), so it runs in a batch of
  S = 1 + lambda W: a quiet service runs at batch 1, a busy one batches (Little's law, L = lambda W).
  With the serving engine's latency W(S) = W1 + slope (S - 1) between batch 1 and the capacity batch,
  the fixed point is W = W1 / (1 - lambda slope), never above the capacity batch's latency.
- The worker is empty with probability exp(-lambda W) and an empty spell lasts Exp(lambda); it stops
  once a spell exceeds the idle timeout T. Per cycle: off for 1 / lambda on average, then a cold start C,
  then on for (exp(lambda (W + T)) - 1) / lambda. Billed share of the time:
  f = (lambda C + e^a - 1) / (lambda C + e^a) with a = lambda (W + T); cold starts per second
  lambda / (lambda C + e^a). Requests that arrive during a cold start wait for it (approximation: the
  start adds C to the cycle and nothing else).

Arrays broadcast; rates may be 0 (nothing is billed).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]


def request_latency_s(arrival_rps: ArrayLike, latency_1_s: ArrayLike, latency_slope_s: ArrayLike,
                      capacity_latency_s: ArrayLike) -> F:
    """Latency of one request when requests arrive at `arrival_rps` to a worker that batches them: the fixed
    point of W = W(1 + lambda W) for W(S) = W1 + slope (S - 1), i.e. W1 / (1 - lambda slope), capped at the
    capacity batch's latency (also when lambda slope >= 1).

    Parameters
    ----------
    arrival_rps : array_like
        Requests per second arriving at one worker (lambda).
    latency_1_s : array_like
        Seconds, one request's latency at batch 1 (W1).
    latency_slope_s : array_like
        Seconds added to a request's latency per extra request in the batch.
    capacity_latency_s : array_like
        Seconds, one request's latency at the capacity batch (the cap).

    Returns
    -------
    ndarray
        Seconds, of the inputs' broadcast shape.

    Examples
    --------
    >>> [round(v, 3) for v in request_latency_s([0.0, 0.1, 0.5], 3.8, 0.05, 6.0).tolist()]
    [3.8, 3.819, 3.897]
    """
    lam = np.asarray(arrival_rps, dtype=float)
    slope = np.asarray(latency_slope_s, dtype=float)
    room = 1.0 - lam * slope
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(room > 0, np.asarray(latency_1_s, dtype=float) / room, np.inf)
    return np.minimum(w, np.asarray(capacity_latency_s, dtype=float))


def _exp_part(arrival_rps: ArrayLike, latency_s: ArrayLike, idle_timeout_s: ArrayLike) -> F:
    """e^a - 1 with a = lambda (W + T), saturating instead of overflowing."""
    a = np.asarray(arrival_rps, dtype=float) * (np.asarray(latency_s, dtype=float) + np.asarray(idle_timeout_s, dtype=float))
    return np.expm1(np.minimum(a, 700.0))


def billed_fraction(arrival_rps: ArrayLike, latency_s: ArrayLike, idle_timeout_s: ArrayLike, cold_start_s: ArrayLike) -> F:
    """Share of wall-clock time a flex worker is billed: (lambda C + e^a - 1) / (lambda C + e^a), a = lambda (W + T).

    Quiet: each request bills about its cold start, latency and idle timeout; busy: the worker never stops.

    Parameters
    ----------
    arrival_rps : array_like
        Requests per second arriving at one worker (lambda).
    latency_s : array_like
        Seconds, one request's latency at that rate (W: request_latency_s).
    idle_timeout_s : array_like
        Seconds a worker stays up after its last request (T).
    cold_start_s : array_like
        Seconds to start a worker: container start and loading the model (C).

    Returns
    -------
    ndarray
        Fraction 0-1 of wall-clock time billed, of the inputs' broadcast shape.

    Examples
    --------
    >>> [round(v, 4) for v in billed_fraction([0.0, 0.0347, 10.0], 3.8, 5.0, 40.0).tolist()]
    [0.0, 0.6357, 1.0]
    """
    lam_c = np.asarray(arrival_rps, dtype=float) * np.asarray(cold_start_s, dtype=float)
    on = lam_c + _exp_part(arrival_rps, latency_s, idle_timeout_s)
    return on / (on + 1.0)


def cold_starts_per_s(arrival_rps: ArrayLike, latency_s: ArrayLike, idle_timeout_s: ArrayLike, cold_start_s: ArrayLike) -> F:
    """Cold starts per second of one flex worker: lambda / (lambda C + e^a).

    Parameters
    ----------
    arrival_rps : array_like
        Requests per second arriving at one worker (lambda).
    latency_s : array_like
        Seconds, one request's latency at that rate (W: request_latency_s).
    idle_timeout_s : array_like
        Seconds a worker stays up after its last request (T).
    cold_start_s : array_like
        Seconds to start a worker: container start and loading the model (C).

    Returns
    -------
    ndarray
        Cold starts per second, of the inputs' broadcast shape.

    Examples
    --------
    >>> round(float(cold_starts_per_s(0.0347, 3.8, 5.0, 40.0)) * 86400)
    1092
    """
    lam = np.asarray(arrival_rps, dtype=float)
    return lam / (lam * np.asarray(cold_start_s, dtype=float) + _exp_part(lam, latency_s, idle_timeout_s) + 1.0)


def worker_hours_per_day(requests_per_day: ArrayLike, peak_to_average: ArrayLike, workers: ArrayLike, min_workers: ArrayLike,
                         latency_1_s: ArrayLike, latency_slope_s: ArrayLike, capacity_latency_s: ArrayLike,
                         idle_timeout_s: ArrayLike, cold_start_s: ArrayLike) -> F:
    """Billed worker-hours a day: `min_workers` always-on workers around the clock, and the flex workers beyond them
    billed `billed_fraction` of the busy window.

    The day's requests arrive within 24 / peak_to_average hours at peak_to_average x the daily average rate (the
    two-level reading of the peak factor: busy hours, then none), spread evenly over the `workers` the peak needs.

    Parameters
    ----------
    requests_per_day : array_like
        Requests per day, all workers together.
    peak_to_average : array_like
        Ratio of the peak to the average request rate (>= 1).
    workers : array_like
        Workers the peak needs, a count (at least 1 is used).
    min_workers : array_like
        Always-on (active) workers, a count.
    latency_1_s : array_like
        Seconds, one request's latency at batch 1.
    latency_slope_s : array_like
        Seconds added to a request's latency per extra request in the batch.
    capacity_latency_s : array_like
        Seconds, one request's latency at the capacity batch.
    idle_timeout_s : array_like
        Seconds a flex worker stays up after its last request.
    cold_start_s : array_like
        Seconds to start a flex worker.

    Returns
    -------
    ndarray
        Billed worker-hours per day, of the inputs' broadcast shape.

    Examples
    --------
    3,456 requests a day in 12 busy hours (peak factor 2) on one always-on and one flex worker, 0.04
    requests/s each (4 s per request, 60 s idle timeout, 40 s cold start): a = 0.04 x 64 = 2.56, so the
    flex worker is billed f = (1.6 + e^2.56 - 1) / (1.6 + e^2.56) = 0.93 of the 12 hours, 24 + 11.2 hours:

    >>> round(float(worker_hours_per_day(3456, 2, 2, 1, 4.0, 0.0, 4.0, 60.0, 40.0)), 1)
    35.2
    """
    peak = np.asarray(peak_to_average, dtype=float)
    n = np.maximum(np.asarray(workers, dtype=float), 1.0)
    lam = np.asarray(requests_per_day, dtype=float) / 86400.0 * peak / n
    w = request_latency_s(lam, latency_1_s, latency_slope_s, capacity_latency_s)
    f = billed_fraction(lam, w, idle_timeout_s, cold_start_s)
    m = np.asarray(min_workers, dtype=float)
    return m * 24.0 + np.maximum(n - m, 0.0) * f * 24.0 / peak


def breakeven_arrival_rps(usd_per_worker_s: ArrayLike, api_usd_per_request: ArrayLike, capacity_rps: ArrayLike,
                          latency_1_s: ArrayLike, latency_slope_s: ArrayLike, capacity_latency_s: ArrayLike,
                          idle_timeout_s: ArrayLike, cold_start_s: ArrayLike, steps: int = 48) -> F:
    """Lowest arrival rate (busy-window requests/s, within one worker's capacity) at which a flex worker's bill per
    request, usd_per_worker_s x f / lambda, falls to the API's price; 0 when it is cheaper even at no traffic
    (cold start + latency + idle timeout cost less than a request), inf when not even a full worker is.

    The bill per request falls as traffic rises (each request shares its worker's start and idle tail with more
    others); bisection on a log scale over (1e-12 x capacity, capacity], a fixed number of vectorised steps.

    Parameters
    ----------
    usd_per_worker_s : array_like
        USD per second a worker is billed.
    api_usd_per_request : array_like
        USD per request at the API.
    capacity_rps : array_like
        Requests per second one worker serves at most.
    latency_1_s : array_like
        Seconds, one request's latency at batch 1.
    latency_slope_s : array_like
        Seconds added to a request's latency per extra request in the batch.
    capacity_latency_s : array_like
        Seconds, one request's latency at the capacity batch.
    idle_timeout_s : array_like
        Seconds a worker stays up after its last request.
    cold_start_s : array_like
        Seconds to start a worker.
    steps : int, default 48
        Bisection steps, a count.

    Returns
    -------
    ndarray
        Requests per second in the busy window, of the inputs' broadcast shape: 0 when cheaper even at
        no traffic, inf when never cheaper.

    Examples
    --------
    A worker at $0.0005 a second (4 s per request, 60 s idle timeout, 40 s cold start, 1 request/s at
    most). Quiet, it bills 104 s ($0.052) per request, so against an API at $0.05 a request it breaks even
    just above no traffic; against $0.01 once a = lambda x 64 is about 3 (f = 0.957, 0.0005 x 0.957 /
    0.0479 = $0.00999); never against $0.0001, below even a full worker's $0.0005:

    >>> [f"{v:.3g}" for v in breakeven_arrival_rps(0.0005, [0.05, 0.01, 0.0001], 1.0, 4.0, 0.0, 4.0, 60.0, 40.0).tolist()]
    ['0.000475', '0.0479', 'inf']
    """
    price = np.asarray(usd_per_worker_s, dtype=float)
    api = np.asarray(api_usd_per_request, dtype=float)
    cap = np.asarray(capacity_rps, dtype=float)

    def cost(lam: F) -> F:
        w = request_latency_s(lam, latency_1_s, latency_slope_s, capacity_latency_s)
        return price * billed_fraction(lam, w, idle_timeout_s, cold_start_s) / lam

    quiet = price * (np.asarray(cold_start_s, dtype=float) + np.asarray(latency_1_s, dtype=float)
                     + np.asarray(idle_timeout_s, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        lo, hi = np.log(np.maximum(cap, 1e-300) * 1e-12), np.log(np.maximum(cap, 1e-300))
        full = cost(np.exp(hi))
        for _ in range(steps):
            mid = (lo + hi) / 2.0
            cheaper = cost(np.exp(mid)) <= api
            hi, lo = np.where(cheaper, mid, hi), np.where(cheaper, lo, mid)
    out = np.where(quiet <= api, 0.0, np.where((cap > 0) & (full <= api), np.exp(hi), np.inf))
    return np.asarray(out, dtype=float)
