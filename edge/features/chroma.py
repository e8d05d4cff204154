"""Chroma and chroma-onset features of audio and of a MIDI score, on one 50 Hz grid, for alignment.

As in Müller's Sync Toolbox: chroma (energy per pitch class, log-compressed, unit length) carries
harmony and is robust to timbre; DLNCO-like onset features (decaying, locally normalised chroma
onsets) carry the note starts that make the alignment precise. The score side is built from the
piano roll the same way, so both are comparable frame by frame.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d
from scipy.signal import lfilter
from typing import TYPE_CHECKING

if TYPE_CHECKING:       # only a type here: edge.features.audio uses chroma, and notes imports audio
    from .notes import Notes

FRAME_RATE = 50.0            # features per second (20 ms)
SAMPLE_RATE = 22050
N_FFT = 4096                 # 186 ms: separates semitones down to about A2
HOP = 441                    # 20 ms at 22 050 Hz
LOWEST, HIGHEST = 24, 108    # MIDI C1 … C8
DECAY = 0.7                  # per frame: an onset fades over ~100 ms
NORM_FRAMES = 50             # local normalisation window for onsets (1 s)
SILENT = 1e-3                # chroma vectors weaker than this are "no harmony": uniform


def _pitch_matrix() -> np.ndarray:
    """(bins, pitches): which spectrogram bins feed which MIDI pitch."""
    freqs = np.arange(N_FFT // 2 + 1) * SAMPLE_RATE / N_FFT
    midi = np.full(len(freqs), -1)
    ok = freqs > 0
    midi[ok] = np.round(69 + 12 * np.log2(freqs[ok] / 440.0)).astype(int)
    pitches = np.arange(LOWEST, HIGHEST + 1)
    return (midi[:, None] == pitches[None, :]).astype(np.float32)


_PITCH = None


def audio_pitch_energy(samples: np.ndarray, hop: int = HOP) -> np.ndarray:
    """(frames, pitches) spectral energy per MIDI pitch of 22 050 Hz samples, one frame every `hop`
    samples, computed in blocks so that memory stays small for long recordings."""
    global _PITCH
    if _PITCH is None:
        _PITCH = _pitch_matrix()
    x = np.concatenate([np.zeros(N_FFT // 2, np.float32), np.asarray(samples, np.float32),
                        np.zeros(N_FFT // 2, np.float32)])
    n_frames = max(1, (len(x) - N_FFT) // hop + 1)
    window = np.hanning(N_FFT).astype(np.float32)
    out = np.empty((n_frames, _PITCH.shape[1]), np.float32)
    block = 64
    for start in range(0, n_frames, block):
        idx = np.arange(start, min(start + block, n_frames))
        frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[idx * hop] * window
        power = np.abs(np.fft.rfft(frames, axis=1)).astype(np.float32) ** 2
        out[idx] = power @ _PITCH
    return out


def score_pitch_energy(notes: Notes, start_s: float, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(frames, pitches) piano roll of the score (a note's energy decays as a struck string's would)
    and (frames, pitches) onset impulses, on the grid start_s + k / FRAME_RATE."""
    roll = np.zeros((n_frames, HIGHEST - LOWEST + 1), np.float32)
    onsets = np.zeros_like(roll)
    for on, off, pitch in zip(notes.onsets, notes.offsets, notes.pitches):
        p = int(round(pitch))
        if not LOWEST <= p <= HIGHEST:
            continue
        a = int(round((on - start_s) * FRAME_RATE))
        b = max(int(round((off - start_s) * FRAME_RATE)), a + 1)
        if a >= n_frames or b <= 0:
            continue
        a0, b0 = max(a, 0), min(b, n_frames)
        roll[a0:b0, p - LOWEST] += 1.0
        if a >= 0:
            onsets[a, p - LOWEST] += 1.0
    return roll, onsets


def chroma(pitch_energy: np.ndarray, compression: float = 100.0) -> np.ndarray:
    """(frames, 12) log-compressed chroma of unit length; near-silent frames become uniform."""
    c = np.zeros((len(pitch_energy), 12), np.float32)
    for k in range(pitch_energy.shape[1]):
        c[:, (LOWEST + k) % 12] += pitch_energy[:, k]
    c = np.log1p(compression * c / max(float(c.max()), 1e-12))
    norm = np.linalg.norm(c, axis=1, keepdims=True)
    weak = norm[:, 0] < SILENT * max(float(norm.max()), 1e-12) + 1e-9
    c = c / np.maximum(norm, 1e-12)
    c[weak] = 1.0 / np.sqrt(12)
    return c


def chroma_onsets(pitch_energy: np.ndarray, *, is_onset: bool = False, compression: float = 100.0) -> np.ndarray:
    """(frames, 12) DLNCO-like features: positive change of log pitch energy (or given onset impulses),
    folded to pitch classes, normalised by the local maximum (1 s) and given a decaying tail."""
    if is_onset:
        rise = pitch_energy
    else:
        e = np.log1p(compression * pitch_energy / max(float(pitch_energy.max()), 1e-12))
        rise = np.maximum(np.diff(e, axis=0, prepend=e[:1]), 0.0)
    c = np.zeros((len(rise), 12), np.float32)
    for k in range(rise.shape[1]):
        c[:, (LOWEST + k) % 12] += rise[:, k]
    strength = np.linalg.norm(c, axis=1)
    local = maximum_filter1d(strength, NORM_FRAMES, mode="nearest")
    # The floor keeps quiet passages' noise from being blown up to full-size onsets.
    c = c / np.maximum(local, 0.05 * float(strength.max()) + 1e-9)[:, None]
    c = lfilter([1.0], [1.0, -DECAY], c, axis=0).astype(np.float32)
    return c / np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1.0)


def features(chroma_: np.ndarray, onsets_: np.ndarray) -> np.ndarray:
    return np.concatenate([chroma_, onsets_], axis=1)


def distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cost between frames of two feature blocks: chroma cosine distance + onset Euclidean distance."""
    cos = 1.0 - a[:, :12] @ b[:, :12].T
    sq = (np.sum(a[:, 12:] ** 2, axis=1)[:, None] + np.sum(b[:, 12:] ** 2, axis=1)[None, :]
          - 2.0 * a[:, 12:] @ b[:, 12:].T)
    return cos + np.sqrt(np.maximum(sq, 0.0))


def chroma_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Coarse levels: averaged onsets mean little, so chroma alone (re-normalised after averaging)."""
    an = a[:, :12] / np.maximum(np.linalg.norm(a[:, :12], axis=1, keepdims=True), 1e-9)
    bn = b[:, :12] / np.maximum(np.linalg.norm(b[:, :12], axis=1, keepdims=True), 1e-9)
    return 1.0 - an @ bn.T
