"""Progress from a series of assessments: moving average, learning pace, forecast.

All three look at the last W assessments (W = `coach.window`, default 3):
- moving average: the mean of the last W values; with assessment noise σ it leaves σ/√W.
- learning pace LP: ΔASM/Δt as the least-squares slope of ASM over the last W assessments,
  Δt counted in assessments (one practice task between two assessments, as in the simulator).
  With two points it is exactly the last difference; with more it averages out noise.
- forecast: the same regression line evaluated one assessment ahead, clipped to 0–100.

Functions work on the last axis, so the simulator can run them on a whole batch of students.
"""

from __future__ import annotations

import numpy as np


def _tail(series: np.ndarray, window: int) -> np.ndarray:
    if window < 1:
        raise ValueError(f"window must be ≥ 1, got {window}")
    return np.asarray(series, dtype=np.float64)[..., -window:]


def moving_average(series: np.ndarray, window: int) -> np.ndarray:
    return _tail(series, window).mean(axis=-1)


def _fit(series: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Slope and intercept of y = a + b·x on x = 0..n-1 over the tail; slope 0 for one point."""
    tail = _tail(series, window)
    n = tail.shape[-1]
    if n == 0:
        raise ValueError("no assessments to fit")
    x = np.arange(n, dtype=np.float64)
    x_centered = x - x.mean()
    denom = float((x_centered ** 2).sum())
    y_mean = tail.mean(axis=-1)
    slope = (tail * x_centered).sum(axis=-1) / denom if denom > 0 else np.zeros_like(y_mean)
    intercept = y_mean - slope * x.mean()
    return slope, intercept, n


def learning_pace(asm_series: np.ndarray, window: int) -> np.ndarray:
    """ASM points gained per assessment over the last `window` assessments (0 with one)."""
    slope, _, _ = _fit(asm_series, window)
    return slope


def forecast(series: np.ndarray, window: int) -> np.ndarray:
    """The next assessment predicted by the regression line over the last `window` values."""
    slope, intercept, n = _fit(series, window)
    return np.clip(intercept + slope * n, 0.0, 100.0)
