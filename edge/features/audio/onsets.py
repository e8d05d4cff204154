"""Onsets with aubio: the onset detection function (the "envelope") and the picked onset times.

aubio's own silence gate tests only the hop in which a peak is confirmed, which comes a hop or two
after the attack; on a short click followed by digital silence it throws every onset away. So its
gate is turned off and ours is applied instead: an onset counts when the loudness just after it
rises above the silence threshold.
"""

from __future__ import annotations

import aubio
import numpy as np


def detect_onsets(x: np.ndarray, sample_rate: int, hop: int, *, method: str = "energy", threshold: float = 0.3,
                  window: int | None = None, loudness_db: np.ndarray | None = None,
                  silence_dbfs: float = -60.0, min_interval_s: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Return (envelope per hop, onset times in seconds from the start of x)."""
    detector = aubio.onset(method, window or 4 * hop, hop, sample_rate)
    detector.set_threshold(threshold)
    detector.set_silence(float("-inf"))
    detector.set_minioi_s(min_interval_s)
    n_hops = len(x) // hop
    envelope = np.zeros(n_hops, np.float32)
    onsets = []
    for i in range(n_hops):
        if detector(x[i * hop:(i + 1) * hop])[0]:
            onsets.append(detector.get_last_s())
        envelope[i] = detector.get_descriptor()
    onsets = np.array(onsets, float)
    if loudness_db is not None and len(onsets):
        # Keep an onset only if the following ~35 ms (3 hops) are louder than silence.
        frames = (onsets * sample_rate / hop).astype(int)
        after = np.array([loudness_db[f:f + 3].max(initial=-np.inf) for f in frames])
        onsets = onsets[after > silence_dbfs]
    return envelope, onsets
