"""MFCCs with aubio's phase vocoder and mel filterbank (timbre features for the learned scorers)."""

from __future__ import annotations

import aubio
import numpy as np


def compute_mfcc(x: np.ndarray, sample_rate: int, hop: int, *, window: int | None = None,
                 n_filters: int = 40, n_coeffs: int = 13) -> np.ndarray:
    """(n_hops, n_coeffs) MFCCs, one row per hop."""
    window = window or 4 * hop
    pvoc = aubio.pvoc(window, hop)
    mfcc = aubio.mfcc(window, n_filters, n_coeffs, sample_rate)
    n = len(x) // hop
    out = np.zeros((n, n_coeffs), np.float32)
    for i in range(n):
        out[i] = mfcc(pvoc(x[i * hop:(i + 1) * hop]))
    return out
