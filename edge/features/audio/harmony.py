"""Where the harmony and the bass line change: the cue a musician uses to put the beat on the beat.

Chords and bass notes change on beats and rarely between them, while melodies, hi-hats and right-hand
figuration fill the subdivisions with onsets. So among the phases of a beat grid (on the written
beats, or a half or a third of a beat off), the right one is where the pitch-class content before a
beat differs most from the content after it. Measured as the cosine distance between the mean chroma
of the half-beat before and the half-beat after each beat, on all pitches and on the bass register
(below G3, where the bass line and the chord roots sound).

The chroma is the reference alignment's (chroma.audio_pitch_energy: a 4096-point STFT at 22 050 Hz, energy
per MIDI pitch C1–C8), at 25 frames a second rather than 50 (the windows here are ≥ 140 ms), computed
in blocks: ~0.5 s of CPU per audio minute and a few MB. Cumulative sums make the mean over any window
one subtraction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import chroma as _chroma
from .resample import resample

BASS_BELOW_MIDI = 55        # G3, 196 Hz: bass notes and chord roots (their 2nd harmonics too)
FRAME_RATE = 25.0
HOP = int(_chroma.SAMPLE_RATE / FRAME_RATE)   # 882 samples at 22 050 Hz


@dataclass
class HarmonyCurves:
    """Cumulative log-compressed chroma of all pitches and of the bass register, one row per frame (+1)."""
    harmony_cum: np.ndarray    # (frames + 1, 12)
    bass_cum: np.ndarray       # (frames + 1, 12)
    frame_rate: float = FRAME_RATE


def harmony_curves(x: np.ndarray, sample_rate: int) -> HarmonyCurves:
    """Pitch-class content over time of mono samples at any rate."""
    x = resample(x, sample_rate, _chroma.SAMPLE_RATE)
    energy = _chroma.audio_pitch_energy(x, hop=HOP)
    compressed = np.log1p(100.0 * energy / max(float(energy.max()), 1e-12))

    def cumulative(block: np.ndarray, lowest: int) -> np.ndarray:
        folded = np.zeros((len(block), 12), np.float64)
        for k in range(block.shape[1]):
            folded[:, (lowest + k) % 12] += block[:, k]
        return np.vstack([np.zeros((1, 12)), np.cumsum(folded, axis=0)])

    bass = compressed[:, :max(1, BASS_BELOW_MIDI - _chroma.LOWEST)]
    return HarmonyCurves(cumulative(compressed, _chroma.LOWEST), cumulative(bass, _chroma.LOWEST))


def change_at(cum: np.ndarray, times_s: np.ndarray, window_s: float, frame_rate: float = FRAME_RATE
              ) -> np.ndarray:
    """Cosine distance (0 = same, 1 = disjoint) between the mean chroma of [t − w, t] and of [t, t + w]."""
    n = len(cum) - 1
    t = np.clip(np.round(np.asarray(times_s, float) * frame_rate).astype(int), 0, n)
    k = max(1, int(round(window_s * frame_rate)))
    before = cum[t] - cum[np.clip(t - k, 0, n)]
    after = cum[np.clip(t + k, 0, n)] - cum[t]
    nb, na = np.linalg.norm(before, axis=1), np.linalg.norm(after, axis=1)
    sounding = (nb > 1e-9) & (na > 1e-9)
    out = np.zeros(len(t))
    out[sounding] = 1.0 - np.sum(before[sounding] * after[sounding], axis=1) / (nb[sounding] * na[sounding])
    return out


def harmonic_change(curves: HarmonyCurves, beats_s: np.ndarray, period_s: float) -> tuple[float, float]:
    """(all pitches, bass register): mean change across the beats, half a period either side."""
    if len(beats_s) == 0:
        return 0.0, 0.0
    return (float(change_at(curves.harmony_cum, beats_s, period_s / 2, curves.frame_rate).mean()),
            float(change_at(curves.bass_cum, beats_s, period_s / 2, curves.frame_rate).mean()))
