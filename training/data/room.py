"""A recording made in a room, from a clean render: reverberation and background noise.

A studio box hears the music through a microphone metres away from the speaker, in a room that rings.
The room's impulse response follows Polack's stochastic model (a direct path, then Gaussian noise whose
energy decays by 60 dB over RT60), scaled to a given direct-to-reverberant ratio; noise is added at a
given signal-to-noise ratio, white plus a rumble below ~20 Hz (ventilation, traffic, feet on the floor).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve

from edge.errors import PerfscoreError


def room_impulse(sample_rate: int, rt60_s: float, drr_db: float, seed: int = 0) -> np.ndarray:
    """Direct path (1.0 at sample 0) and an exponentially decaying diffuse tail with the given energy ratio."""
    if not 0.05 <= rt60_s <= 5.0:
        raise PerfscoreError(f"RT60 {rt60_s} s is outside 0.05-5 s")
    n = int(rt60_s * sample_rate)
    t = np.arange(1, n) / sample_rate
    tail = np.random.default_rng(seed).standard_normal(n - 1) * np.exp(-3.0 * np.log(10.0) * t / rt60_s)
    tail *= np.sqrt(10.0 ** (-drr_db / 10.0) / np.sum(tail ** 2))     # tail energy = direct energy / DRR
    return np.concatenate([[1.0], tail])


def room_recording(x: np.ndarray, sample_rate: int, *, rt60_s: float = 0.6, drr_db: float = -3.0,
                   snr_db: float = 20.0, seed: int = 0) -> np.ndarray:
    """`x` as a microphone in the room would hear it, peak-normalised to 0.8 before the noise."""
    if len(x) == 0:
        raise PerfscoreError("an empty signal has no room recording")
    y = fftconvolve(np.asarray(x, np.float64), room_impulse(sample_rate, rt60_s, drr_db, seed))[:len(x)]
    y *= 0.8 / (np.max(np.abs(y)) + 1e-12)
    rng = np.random.default_rng(seed + 1)
    rumble = np.cumsum(rng.standard_normal(len(y)))
    rumble -= np.convolve(rumble, np.ones(2048) / 2048, mode="same")        # no drift: only the low rumble stays
    noise = rumble / (np.std(rumble) + 1e-12) + rng.standard_normal(len(y))
    noise *= np.sqrt(np.mean(y ** 2) / 10.0 ** (snr_db / 10.0) / np.mean(noise ** 2))
    return (y + noise).astype(np.float32)
