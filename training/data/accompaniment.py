"""A beat-aligned backing track for dance clips: General MIDI drums (channel 10) and a bass line.

Kick on the downbeat (and beat 3 of a 4-beat bar), snare on the other beats, closed hi-hat on every
beat and half-beat (every third of a beat in a compound metre such as 6/8, where a beat is a dotted
quarter), a crash on the first downbeat, and a finger-bass playing the root of a I-V-vi-IV progression
on every beat.
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


def accompaniment_parts(beat_times, *, beats_per_bar: int = 4, transpose: int = 0, first_position: int = 0,
                        compound: bool = False, bass: bool = True) -> list[Part]:
    """Drums (and a bass) on `beat_times`; the first beat is beat `first_position` of its bar (0 = downbeat,
    so a piece with a pickup starts its backing on the right beat)."""
    beats = np.asarray(beat_times, dtype=float)
    if beats.size < 2:
        raise PerfscoreError("an accompaniment needs at least two beats")
    if beats_per_bar < 1 or not 0 <= first_position < beats_per_bar:
        raise PerfscoreError(f"beat {first_position} of a {beats_per_bar}-beat bar does not exist")
    period = float(np.median(np.diff(beats)))
    subdivisions = 3 if compound else 2
    drums, line = [], []
    for k, t in enumerate(beats):
        position = (k + first_position) % beats_per_bar
        drums.append(Hit(t, t + 0.1, CLOSED_HAT, 70 if position else 85))
        for j in range(1, subdivisions):
            u = t + j * period / subdivisions
            drums.append(Hit(u, u + 0.1, CLOSED_HAT, 55))
        if position == 0 or (beats_per_bar == 4 and position == 2):
            drums.append(Hit(t, t + 0.2, KICK, 115 if position == 0 else 100))
        else:
            drums.append(Hit(t, t + 0.2, SNARE, 100))
        if k == 0:
            drums.append(Hit(t, t + 1.0, CRASH, 90))
        bar = (k + first_position) // beats_per_bar
        root = PROGRESSION_ROOTS[bar % len(PROGRESSION_ROOTS)] + transpose
        line.append(Hit(t, t + 0.85 * period, root, 100 if position == 0 else 88))
    drums = [h for h in drums if h.onset_s < beats[-1] + period]
    parts = [Part(tuple(drums), drums=True, name="drums")]
    return parts + [Part(tuple(line), program=33, name="bass")] if bass else parts


def render_accompaniment(beat_times, duration_s: float, *, sample_rate: int = 44100, scratch: str | Path,
                         beats_per_bar: int = 4, gain: float = 0.6) -> tuple[np.ndarray, Path]:
    """Mono audio of exactly `duration_s` seconds, and the MIDI it was rendered from (in `scratch`)."""
    midi_path = write_parts_midi(accompaniment_parts(beat_times, beats_per_bar=beats_per_bar),
                                 Path(scratch) / "accompaniment.mid")
    audio = render_midi(midi_path, sample_rate=sample_rate, gain=gain, duration_s=duration_s)
    return audio, midi_path
