"""Plain test signals with exact truth: click tracks, sustained tones, tones at given onsets.

Everything is computed from the continuous-time formula at the sample instants, so an onset at
1.23456 s is at 1.23456 s (not rounded to a sample), and a tone is at its frequency to float precision.
"""

from __future__ import annotations

import numpy as np

from edge.errors import PerfscoreError
from edge.features.audio.pitch import midi_to_hz


def _check(duration_s: float, sample_rate: int) -> int:
    if duration_s <= 0:
        raise PerfscoreError(f"duration must be positive, got {duration_s} s")
    if not 1000 <= sample_rate <= 192000:
        raise PerfscoreError(f"sample rate {sample_rate} Hz is outside 1000-192000")
    return int(round(duration_s * sample_rate))


def noise_floor(n: int, level_db: float, seed: int = 0) -> np.ndarray:
    """White noise at `level_db` dBFS RMS (e.g. -50)."""
    rms = 10.0 ** (level_db / 20.0)
    return (np.random.default_rng(seed).standard_normal(n) * rms).astype(np.float32)


def _bursts(n: int, sr: int, onsets: np.ndarray, freqs: np.ndarray, amps: np.ndarray,
            decay_s: float, length_s: float) -> np.ndarray:
    """Sum of exponentially decaying sines that start at their onsets with zero phase."""
    t = np.arange(n) / sr
    out = np.zeros(n)
    for onset, freq, amp in zip(onsets, freqs, amps):
        i0, i1 = int(np.ceil(onset * sr)), int(np.ceil((onset + length_s) * sr))
        local = t[i0:i1] - onset
        out[i0:i1] += amp * np.sin(2 * np.pi * freq * local) * np.exp(-local / decay_s)
    return out


def click_track(bpm: float, duration_s: float, sample_rate: int = 44100, *, first_beat_s: float = 0.0,
                accent_every: int = 0, amplitude: float = 0.5, click_hz: float = 1000.0,
                noise_db: float | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A metronome: a 30 ms decaying 1 kHz click on every beat (1.5 kHz on accented beats when
    `accent_every` > 0), optionally over a faint white-noise floor. Returns (samples, beat_times_s)."""
    n = _check(duration_s, sample_rate)
    if not 20 <= bpm <= 400:
        raise PerfscoreError(f"tempo {bpm} BPM is outside 20-400")
    beats = np.arange(first_beat_s, duration_s, 60.0 / bpm)
    accent = (np.arange(beats.size) % accent_every == 0) if accent_every else np.zeros(beats.size, bool)
    audio = _bursts(n, sample_rate, beats, np.where(accent, 1.5 * click_hz, click_hz), np.full(beats.size, amplitude),
                    decay_s=0.006, length_s=0.03)
    if noise_db is not None:
        audio += noise_floor(n, noise_db, seed)
    return audio.astype(np.float32), beats


def tone(freq_hz: float, duration_s: float, sample_rate: int = 44100, *, amplitude: float = 0.5,
         harmonics: tuple[float, ...] = (1.0,), fade_s: float = 0.01) -> np.ndarray:
    """A steady tone; `harmonics` are the relative amplitudes of partials 1, 2, 3 ... (exact multiples)."""
    n = _check(duration_s, sample_rate)
    if not 0 < freq_hz * len(harmonics) < sample_rate / 2:
        raise PerfscoreError(f"{freq_hz} Hz with {len(harmonics)} partials does not fit below Nyquist ({sample_rate / 2} Hz)")
    t = np.arange(n) / sample_rate
    weights = np.asarray(harmonics, dtype=float) / np.sum(np.abs(harmonics))
    audio = sum(w * np.sin(2 * np.pi * freq_hz * (k + 1) * t) for k, w in enumerate(weights))
    ramp = np.clip(np.minimum(t, t[-1] - t) / fade_s, 0.0, 1.0) if fade_s > 0 else 1.0
    return (amplitude * audio * ramp).astype(np.float32)


def tone_at(pitch_midi: float, cents: float = 0.0, duration_s: float = 2.0, sample_rate: int = 44100,
            **kwargs) -> np.ndarray:
    """A tone at a MIDI pitch plus a cent offset, e.g. tone_at(69, +25) = A4 25 cents sharp."""
    return tone(float(midi_to_hz(pitch_midi + cents / 100.0)), duration_s, sample_rate, **kwargs)


def tones_at_onsets(onsets_s, pitches_midi, duration_s: float, sample_rate: int = 44100, *,
                    note_s: float = 0.25, amplitude: float = 0.4, decay_s: float = 0.12,
                    noise_db: float | None = None, seed: int = 0) -> np.ndarray:
    """Plucked-like tones (instant attack, exponential decay, three partials) starting exactly at
    `onsets_s` with the given (fractional) MIDI pitches."""
    n = _check(duration_s, sample_rate)
    onsets = np.asarray(onsets_s, dtype=float)
    pitches = np.broadcast_to(np.asarray(pitches_midi, dtype=float), onsets.shape)
    if onsets.size and (onsets.min() < 0 or onsets.max() >= duration_s):
        raise PerfscoreError(f"onsets must lie in [0, {duration_s}) s")
    freqs = midi_to_hz(pitches)
    audio = np.zeros(n)
    for k, weight in enumerate((0.6, 0.3, 0.1)):
        audio += _bursts(n, sample_rate, onsets, freqs * (k + 1), np.full(onsets.size, amplitude * weight), decay_s, note_s)
    if noise_db is not None:
        audio += noise_floor(n, noise_db, seed)
    return audio.astype(np.float32)
