"""One resampler for the analyses that need their own rate (22 050 Hz for chroma and basic-pitch)."""

from __future__ import annotations

from math import gcd

import numpy as np
from scipy.signal import resample_poly


def resample(samples: np.ndarray, sample_rate: int, target_rate: int) -> np.ndarray:
    """Mono float32 samples at `target_rate` (polyphase, with scipy's anti-aliasing filter)."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != 1:
        raise ValueError(f"expected mono samples, got shape {samples.shape}")
    if int(sample_rate) == int(target_rate):
        return samples
    g = gcd(int(sample_rate), int(target_rate))
    return resample_poly(samples, int(target_rate) // g, int(sample_rate) // g).astype(np.float32)
