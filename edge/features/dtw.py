"""Dynamic time warping on a precomputed cost matrix, vectorised along anti-diagonals.

Cell (i, j) depends only on cells of the two previous anti-diagonals, so each anti-diagonal is one
numpy step: 60 s against 60 s of 30 fps pose (1800 × 1800) aligns in a few hundred ms on one core
without a compiled extension.
"""

from __future__ import annotations

import numpy as np


def dtw(cost: np.ndarray, band: int | None = None) -> tuple[np.ndarray, float]:
    """Align rows (reference) with columns (performance).

    Returns the warping path as an (L, 2) array of (i, j) pairs from (0, 0) to (n-1, m-1) and the
    mean cost along it. Steps: diagonal, down, right. `band` limits |i·m/n − j| (Sakoe–Chiba, in
    columns) to save time on long inputs.
    """
    n, m = cost.shape
    if n == 0 or m == 0:
        raise ValueError("cannot align an empty sequence")
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    width = None if band is None else max(band, abs(n - m))
    for k in range(0, n + m - 1):
        i = np.arange(max(0, k - m + 1), min(n, k + 1))
        j = k - i
        step = cost[i, j]
        if width is not None:
            step = np.where(np.abs(i * (m / n) - j) <= width, step, np.inf)
        best = np.minimum(np.minimum(acc[i, j], acc[i, j + 1]), acc[i + 1, j])
        acc[i + 1, j + 1] = step + best
    if not np.isfinite(acc[n, m]):
        raise ValueError("no warping path inside the band")
    # Walk back from the end, always to the cheapest predecessor.
    path = [(n - 1, m - 1)]
    i, j = n, m
    while (i, j) != (1, 1):
        steps = ((i - 1, j - 1), (i - 1, j), (i, j - 1))
        i, j = min(steps, key=lambda s: acc[s])
        path.append((i - 1, j - 1))
    path = np.array(path[::-1])
    return path, float(acc[n, m] / len(path))
