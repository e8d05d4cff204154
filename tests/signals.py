"""Test signals with exact ground truth, written in a few lines so each test reads on its own."""

from __future__ import annotations

import numpy as np

SR = 44100


def click_track(bpm: float, seconds: float, *, offset_s: float = 0.0, sr: int = SR) -> tuple[np.ndarray, np.ndarray]:
    """A metronome: 1.5 kHz clicks decaying in 5 ms, on every beat. Returns (samples, click times)."""
    x = np.zeros(int(sr * seconds), np.float32)
    n = int(0.05 * sr)
    tt = np.arange(n) / sr
    click = (0.7 * np.sin(2 * np.pi * 1500 * tt) * np.exp(-tt / 0.005)).astype(np.float32)
    times = np.arange(offset_s, seconds - 0.06, 60.0 / bpm)
    for t in times:
        i = int(round(t * sr))
        x[i:i + n] += click[: len(x) - i]
    return x, times


def tone(freq_hz: float, seconds: float, *, sr: int = SR, harmonics: int = 4, amp: float = 0.3,
         attack_s: float = 0.005, decay_s: float | None = None, release_s: float = 0.02,
         seed: int = 0) -> np.ndarray:
    """A harmonic tone (1/k partials, random phases): short attack, optional exponential decay, and a
    release fade at the end (an instrument does not stop dead; a cut would be a click of its own)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    x = sum(np.sin(2 * np.pi * freq_hz * k * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, harmonics + 1))
    env = np.minimum(t / attack_s, 1.0) * np.clip((seconds - t) / release_s, 0.0, 1.0)
    if decay_s:
        env = env * np.exp(-t / decay_s)
    return (amp * x * env).astype(np.float32)


def note_sequence(onsets_s, freqs_hz, seconds: float, *, note_s: float = 0.3, sr: int = SR,
                  decay_s: float = 0.15) -> np.ndarray:
    """Plucked-like notes at given times and frequencies, mixed into one signal."""
    x = np.zeros(int(sr * seconds), np.float32)
    for k, (t, f) in enumerate(zip(onsets_s, freqs_hz)):
        note = tone(f, note_s, sr=sr, decay_s=decay_s, seed=k)
        i = int(round(t * sr))
        x[i:i + len(note)] += note[: len(x) - i]
    return x


def midi_to_hz(pitch: float) -> float:
    return 440.0 * 2 ** ((pitch - 69) / 12)
