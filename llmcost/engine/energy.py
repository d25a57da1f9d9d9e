"""Energy: power draw at a utilisation, kWh over hours, with PUE."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]


def average_power_w(idle_w: ArrayLike, board_w: ArrayLike, utilization: ArrayLike) -> F:
    """Average draw of a GPU busy `utilization` of the time: idle + (board - idle) x utilisation.

    Parameters
    ----------
    idle_w : array_like
        Watts drawn when idle.
    board_w : array_like
        Watts drawn when busy (the board power).
    utilization : array_like
        Fraction 0-1 of the time busy (clipped to 0-1).

    Returns
    -------
    ndarray
        Watts, of the inputs' broadcast shape.

    Examples
    --------
    >>> float(average_power_w(20, 350, 0.5))
    185.0
    """
    idle = np.asarray(idle_w, dtype=float)
    return idle + (np.asarray(board_w, dtype=float) - idle) * np.clip(np.asarray(utilization, dtype=float), 0.0, 1.0)


def energy_kwh(power_w: ArrayLike, hours: ArrayLike, pue: ArrayLike) -> F:
    """kWh drawn at `power_w` for `hours`, times the facility's PUE (LLaMA paper sec. 6 method).

    Parameters
    ----------
    power_w : array_like
        Watts drawn by the IT equipment.
    hours : array_like
        Hours drawn.
    pue : array_like
        Power usage effectiveness, the ratio of facility to IT power (>= 1).

    Returns
    -------
    ndarray
        kWh, of the inputs' broadcast shape.

    Examples
    --------
    LLaMA 7B: 82,432 A100-hours at 400 W and PUE 1.1 give the paper's 36 MWh:

    >>> round(float(energy_kwh(400, 82432, 1.1)) / 1000, 1)
    36.3
    """
    return np.asarray(power_w, dtype=float) * np.asarray(hours, dtype=float) * np.asarray(pue, dtype=float) / 1000.0
