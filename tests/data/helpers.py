"""Small, independent ground-truth checks for generated media (not the box's feature code)."""

from __future__ import annotations

import numpy as np


def energy_onsets(x: np.ndarray, sr: int, *, hop_s: float = 0.0005, rise_db: float = 12.0,
                  min_gap_s: float = 0.06, floor_db: float = -50.0) -> np.ndarray:
    """Times where the short-term energy jumps: the first hop whose 1 ms energy exceeds the mean of
    the preceding 20 ms by `rise_db` (and the absolute floor). Good to ~1 ms on sharp attacks."""
    hop = max(1, int(round(hop_s * sr)))
    n = x.size // hop
    frames = x[: n * hop].reshape(n, hop).astype(np.float64)
    energy = (frames ** 2).mean(axis=1)
    window = max(1, int(round(0.001 / hop_s)))          # 1 ms
    short = np.convolve(energy, np.ones(window) / window, mode="full")[:n]   # causal: ends at this hop
    past = max(1, int(round(0.020 / hop_s)))
    csum = np.concatenate([[0.0], np.cumsum(energy)])
    idx = np.arange(n)
    start = np.maximum(0, idx - window - past)
    stop = np.maximum(start + 1, idx - window)
    before = (csum[stop] - csum[start]) / (stop - start)
    floor = 10 ** (floor_db / 10)
    rising = (short > before * 10 ** (rise_db / 10)) & (short > floor)
    onsets, last = [], -np.inf
    for i in np.flatnonzero(rising):
        t = (i - window + 1) * hop / sr              # start of the 1 ms window that rose
        if t - last >= min_gap_s:
            onsets.append(t)
            last = t
    return np.array(onsets)


def match(truth: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Signed distance from each true time to the nearest found time."""
    found = np.asarray(found)
    return np.array([found[np.argmin(np.abs(found - t))] - t for t in truth]) if found.size else np.full(len(truth), np.inf)


def f0_hz(x: np.ndarray, sr: int, lo: float, hi: float) -> float:
    """Strongest spectral peak between lo and hi Hz, refined by parabolic interpolation (zero-padded FFT)."""
    n = x.size
    spectrum = np.abs(np.fft.rfft((x - x.mean()) * np.hanning(n), 8 * n))
    freqs = np.fft.rfftfreq(8 * n, 1.0 / sr)
    band = np.flatnonzero((freqs > lo) & (freqs < hi))
    i = band[np.argmax(spectrum[band])]
    a, b, c = np.log(spectrum[i - 1:i + 2])
    return float((i + 0.5 * (a - c) / (a - 2 * b + c)) * sr / (8 * n))


def speed_minima(joints: np.ndarray, fps: float) -> np.ndarray:
    """Times of local minima of the mean joint speed (F, J, 3 positions -> speed between frames)."""
    speed = np.linalg.norm(np.diff(joints, axis=0), axis=-1).mean(axis=1) * fps
    times = (np.arange(speed.size) + 0.5) / fps
    i = np.arange(1, speed.size - 1)
    minima = i[(speed[i] <= speed[i - 1]) & (speed[i] <= speed[i + 1])]
    return times[minima]
