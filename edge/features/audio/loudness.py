"""Loudness: RMS level per analysis frame in dBFS (0 dBFS = a full-scale square wave)."""

from __future__ import annotations

import numpy as np

FLOOR_DBFS = -120.0  # digital silence reads as this instead of -inf, so statistics stay finite


def frame_signal(x: np.ndarray, window: int, hop: int) -> np.ndarray:
    """(n_frames, window) view of x, frame i starting at i*hop; the tail is zero-padded."""
    n_frames = max(1, int(np.ceil(len(x) / hop)))
    padded = np.zeros((n_frames - 1) * hop + window, dtype=np.float32)
    padded[: len(x)] = x
    return np.lib.stride_tricks.sliding_window_view(padded, window)[::hop][:n_frames]


def rms_dbfs(x: np.ndarray, hop: int, window: int | None = None) -> np.ndarray:
    """RMS level of each frame (window defaults to 2 hops), in dBFS, floored at FLOOR_DBFS."""
    frames = frame_signal(x, window or 2 * hop, hop)
    rms = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
    with np.errstate(divide="ignore"):
        return np.maximum(20.0 * np.log10(rms), FLOOR_DBFS)
