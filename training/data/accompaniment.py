"""A beat-aligned backing track for dance clips: General MIDI drums (channel 10) and a bass line.

Kick on beats 1 and 3, snare on 2 and 4, closed hi-hat on every beat and half-beat, a crash on
the first downbeat, and a finger-bass playing the root of a I-V-vi-IV progression on every beat.
Every drum and bass attack is on the grid, so the music's beats are exactly `beat_times`
(FluidSynth's block timing aside, see synth.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.errors import PerfscoreError

from .midi import Part, write_parts_midi
from .synth import render_midi

KICK, SNARE, CLOSED_HAT, CRASH = 36, 38, 42, 49
# Roots of I-V-vi-IV in C, in the bass register (C2 G1 A1 F1 -> MIDI 36 31 33 29, raised an octave where thin).
PROGRESSION_ROOTS = (36, 43, 45, 41)


@dataclass(frozen=True)
class Hit:
    onset_s: float
    offset_s: float
    pitch: float
    velocity: int


def beat_grid(bpm: float, duration_s: float, first_beat_s: float = 0.5) -> np.ndarray:
    """Beat times from `first_beat_s` up to (not including) `duration_s`."""
    if not 30 <= bpm <= 300:
        raise PerfscoreError(f"tempo {bpm} BPM is outside 30-300")
    if not 0 <= first_beat_s < duration_s:
        raise PerfscoreError(f"first beat {first_beat_s} s is not inside the {duration_s} s clip")
    return np.arange(first_beat_s, duration_s - 1e-9, 60.0 / bpm)


def accompaniment_parts(beat_times, *, beats_per_bar: int = 4, transpose: int = 0) -> list[Part]:
    beats = np.asarray(beat_times, dtype=float)
    if beats.size < 2:
        raise PerfscoreError("an accompaniment needs at least two beats")
    period = float(np.median(np.diff(beats)))
    drums, bass = [], []
    for k, t in enumerate(beats):
        position = k % beats_per_bar
        drums.append(Hit(t, t + 0.1, CLOSED_HAT, 70 if position else 85))
        drums.append(Hit(t + period / 2, t + period / 2 + 0.1, CLOSED_HAT, 55))
        if position % 2 == 0:
            drums.append(Hit(t, t + 0.2, KICK, 115 if position == 0 else 100))
        else:
            drums.append(Hit(t, t + 0.2, SNARE, 100))
        if k == 0:
            drums.append(Hit(t, t + 1.0, CRASH, 90))
        root = PROGRESSION_ROOTS[(k // beats_per_bar) % len(PROGRESSION_ROOTS)] + transpose
        bass.append(Hit(t, t + 0.85 * period, root, 100 if position == 0 else 88))
    drums = [h for h in drums if h.onset_s < beats[-1] + period]
    return [Part(tuple(drums), drums=True, name="drums"), Part(tuple(bass), program=33, name="bass")]


def render_accompaniment(beat_times, duration_s: float, *, sample_rate: int = 44100, scratch: str | Path,
                         beats_per_bar: int = 4, gain: float = 0.6) -> tuple[np.ndarray, Path]:
    """Mono audio of exactly `duration_s` seconds, and the MIDI it was rendered from (in `scratch`)."""
    midi_path = write_parts_midi(accompaniment_parts(beat_times, beats_per_bar=beats_per_bar),
                                 Path(scratch) / "accompaniment.mid")
    audio = render_midi(midi_path, sample_rate=sample_rate, gain=gain, duration_s=duration_s)
    return audio, midi_path
