"""How a measurement becomes points: a straight line between the value that earns 100 and the value
that earns 0, clipped at both ends. Every rubric threshold is one such pair, listed in docs/scoring.md."""

from __future__ import annotations

import numpy as np


def points(value: float | None, full: float, zero: float) -> float | None:
    """100 at `full`, 0 at `zero`, linear in between (works in either direction); None stays None."""
    if value is None or not np.isfinite(value):
        return None
    return float(np.clip(100.0 * (value - zero) / (full - zero), 0.0, 100.0))


def blend(parts: list[tuple[float | None, float]]) -> float | None:
    """Weighted mean of the parts that could be measured; None if none could."""
    present = [(v, w) for v, w in parts if v is not None]
    if not present:
        return None
    return sum(v * w for v, w in present) / sum(w for _, w in present)


def smooth_and_rest(values: np.ndarray, width: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Split a per-note series into its phrase-scale shape (centred moving average over `width` notes)
    and the note-to-note remainder. Deliberate shaping lives in the first, random jitter in the second."""
    values = np.asarray(values, float)
    if len(values) < 3:
        return values, np.zeros_like(values)
    pad = width // 2
    padded = np.pad(values, pad, mode="edge")
    smooth = np.convolve(padded, np.ones(width) / width, mode="valid")
    return smooth, values - smooth


def early_or_late(ms: float) -> str:
    """A timing offset in words: '40 ms late', '25 ms early'."""
    return f"{abs(ms):.0f} ms {'late' if ms >= 0 else 'early'}"
