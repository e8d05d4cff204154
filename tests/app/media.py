"""Generated recordings for the daemon's tests: music rendered from a score (fluidsynth), laid out with
silences where a test needs someone to start and stop performing. Audio only: cheap to replay fast."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from training.data.music import make_music_clip
from training.data.synth import write_wav

RATE = 22050


def music(folder: Path, *, piece_id: str, instrument: str, tempo_bpm: float, max_beats: float) -> np.ndarray:
    clip = make_music_clip(folder, piece_id=piece_id, instrument=instrument, tempo_bpm=tempo_bpm,
                           max_beats=max_beats, sample_rate=RATE, lead_in_s=0.0, stem=f"{piece_id}-{instrument}")
    audio = np.asarray(clip.audio, np.float32)
    # Trim the render's silent tail so a "music" segment is sound from end to end.
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    return audio[: loud[-1] + 1] if len(loud) else audio


def silence(seconds: float, seed: int = 0) -> np.ndarray:
    """A quiet room, not digital zero: noise at about -66 dBFS RMS."""
    return (np.random.default_rng(seed).standard_normal(int(seconds * RATE)) * 5e-4).astype(np.float32)


def fit(audio: np.ndarray, seconds: float) -> np.ndarray:
    """`audio` cut or looped to exactly `seconds`."""
    n = int(seconds * RATE)
    reps = int(np.ceil(n / len(audio)))
    return np.tile(audio, reps)[:n]


def layout(path: Path, parts: list[np.ndarray]) -> Path:
    audio = np.concatenate(parts)
    peak = float(np.max(np.abs(audio)))
    return write_wav(path, audio * (0.9 / peak) if peak > 0.9 else audio, RATE)
