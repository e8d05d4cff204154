"""Band grooves with a known beat: drum-kit patterns of the styles a dance studio plays, with a bass line
and chords, rendered with FluidSynth.

The rhythm renders (rhythm_renders.py) put one drum pattern under classical scores: kick on 1 (and 3),
snare on the other beats, hi-hat eighths. A studio's music is pop, house, hip-hop, funk, swing, Latin:
kicks on every beat or between beats, snares on the backbeat or syncopated, hi-hats in sixteenths,
swung (triplet) off-beats, open hats on the "and", a jazz 5/4 and a 12/8 slow blues. Each `Groove` here is one bar of such a pattern;
its beat is the quarter note (the dotted quarter in 6/8), the beat a dancer counts and a producer's
BPM names. Styles whose counting is itself a convention in dispute (half-time trap, cut-time bossa)
are left out: their "right" level is not a fact a test can hold.

    render = render_groove(out_dir, "house", bpm=124, seed=3)
    render.audio, render.beats_s
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.errors import PerfscoreError

from .accompaniment import Hit
from .midi import Part, write_parts_midi
from .synth import render_midi, write_wav

KICK, RIM, SNARE, CLAP, CLOSED_HAT, PEDAL_HAT, OPEN_HAT, CRASH, RIDE = 36, 37, 38, 39, 42, 44, 46, 49, 51
T = 1 / 3   # a triplet eighth (swing and shuffle off-beats sit at 2/3 of a beat)


@dataclass(frozen=True)
class Groove:
    name: str
    beats_per_bar: int
    compound: bool                                  # 6/8: a beat is a dotted quarter of three eighths
    drums: tuple[tuple[float, int, int], ...]       # (position in beats from the downbeat, drum, velocity)
    bass: tuple[float, ...]                         # bass-note positions in beats (the chord's root)
    chords: tuple[float, ...]                       # chord-stab positions in beats
    chord_length: float                             # beats
    bpm_range: tuple[float, float]                  # tempi of the beat the style is played at
    chord_program: int = 4                          # General MIDI: electric piano


def _every(step: float, bar: int, drum: int, velocity: int, skip: tuple[float, ...] = ()) -> tuple:
    return tuple((round(k * step, 6), drum, velocity) for k in range(int(round(bar / step)))
                 if round(k * step, 6) not in skip)


GROOVES: dict[str, Groove] = {g.name: g for g in (
    Groove("rock", 4, False,
           ((0, KICK, 115), (2, KICK, 105), (2.5, KICK, 90), (1, SNARE, 110), (3, SNARE, 110))
           + _every(0.5, 4, CLOSED_HAT, 70),
           (0, 2, 2.5), (0, 1, 2, 3), 0.9, (90, 150), 29),
    Groove("house", 4, False,
           tuple((b, KICK, 115) for b in range(4)) + ((1, CLAP, 100), (3, CLAP, 100))
           + tuple((b + 0.5, OPEN_HAT, 80) for b in range(4)) + _every(0.25, 4, CLOSED_HAT, 45, skip=(0.5, 1.5, 2.5, 3.5)),
           (0.5, 1.5, 2.5, 3.5), (0.5, 1.5, 2.5, 3.5), 0.3, (118, 130)),
    Groove("hiphop", 4, False,
           ((0, KICK, 115), (0.75, KICK, 90), (2.25, KICK, 100), (2.5, KICK, 105), (1, SNARE, 115), (3, SNARE, 115))
           + _every(0.25, 4, CLOSED_HAT, 55),
           (0, 0.75, 2.25, 2.5), (0, 2.5), 1.2, (80, 100)),
    Groove("funk", 4, False,
           ((0, KICK, 115), (0.75, KICK, 95), (2.5, KICK, 105), (1, SNARE, 115), (3, SNARE, 115),
            (1.75, SNARE, 45), (3.25, SNARE, 45)) + _every(0.25, 4, CLOSED_HAT, 60),
           (0, 0.75, 1.5, 2.5, 3.5), (0.5, 1.25, 2.5, 3.25), 0.2, (92, 115)),
    Groove("disco", 4, False,
           tuple((b, KICK, 115) for b in range(4)) + ((1, SNARE, 105), (3, SNARE, 105))
           + tuple((b + 0.5, OPEN_HAT, 85) for b in range(4)) + tuple((b, CLOSED_HAT, 60) for b in range(4)),
           tuple(b + h for b in range(4) for h in (0, 0.5)), (0, 1, 2, 3), 0.4, (110, 130), 27),
    Groove("dembow", 4, False,
           tuple((b, KICK, 115) for b in range(4)) + tuple((b + p, SNARE, 100) for b in (0, 2) for p in (0.75, 1.5))
           + _every(0.5, 4, CLOSED_HAT, 55),
           (0, 1, 2, 3), (0.75, 1.5, 2.75, 3.5), 0.3, (88, 100)),
    Groove("swing", 4, False,
           tuple((b, RIDE, 85) for b in range(4)) + ((1 + 2 * T, RIDE, 70), (3 + 2 * T, RIDE, 70))
           + ((1, PEDAL_HAT, 80), (3, PEDAL_HAT, 80)) + tuple((b, KICK, 50) for b in range(4)),
           (0, 1, 2, 3), (0, 1 + 2 * T), 0.5, (110, 200), 0),
    Groove("shuffle", 4, False,
           ((0, KICK, 115), (2, KICK, 105), (1, SNARE, 110), (3, SNARE, 110))
           + tuple((b + p, CLOSED_HAT, 75 if p == 0 else 60) for b in range(4) for p in (0, 2 * T)),
           tuple(b + p for b in range(4) for p in (0, 2 * T)), (0, 2), 1.6, (70, 120), 0),
    Groove("waltz", 3, False,
           ((0, KICK, 110), (1, SNARE, 80), (2, SNARE, 80)) + _every(1, 3, CLOSED_HAT, 60),
           (0,), (1, 2), 0.7, (84, 150), 0),
    Groove("ballad-6/8", 2, True,
           ((0, KICK, 110), (1, SNARE, 105)) + _every(T, 2, CLOSED_HAT, 60),
           (0, 1 + 2 * T), tuple(k * T for k in range(6)), 0.3, (48, 72), 0),
    Groove("march", 2, False,
           ((0, KICK, 115), (1, KICK, 100), (0.5, SNARE, 90), (1.5, SNARE, 90), (1.75, SNARE, 70))
           + _every(0.5, 2, CLOSED_HAT, 55),
           (0, 1), (0.5, 1.5), 0.4, (100, 130), 61),
    Groove("five-four", 5, False,   # jazz in 5 (3 + 2): ride on the beats, swung, snare on 3 and 5
           tuple((b, RIDE, 85) for b in range(5)) + tuple((b + 2 * T, RIDE, 65) for b in range(5))
           + ((0, KICK, 100), (3, KICK, 90), (2, SNARE, 90), (4, SNARE, 90)),
           (0, 1, 2, 3, 4), (0, 1.5, 3), 0.6, (140, 180), 0),
    Groove("blues-12/8", 4, True,   # slow blues: four dotted-quarter beats of three eighths
           ((0, KICK, 110), (2, KICK, 100), (1, SNARE, 105), (3, SNARE, 105)) + _every(T, 4, RIDE, 65),
           (0, 1, 2, 3), tuple(b + p for b in range(4) for p in (0, T, 2 * T)), 0.3, (45, 68), 0),
)}

# Chords of I-vi-IV-V in C, one per bar (root in the bass register, three notes in the middle).
PROGRESSION = ((36, (60, 64, 67)), (33, (57, 60, 64)), (29, (57, 60, 65)), (31, (55, 59, 62)))


@dataclass(frozen=True)
class GrooveRender:
    groove: str
    bpm: float
    meter: str
    beats_s: np.ndarray       # every beat from the first downbeat to the last bar's last beat
    audio: np.ndarray
    sample_rate: int
    wav_path: Path


def groove_hits(groove: Groove, bpm: float, bars: int, lead_in_s: float, rng: np.random.Generator
                ) -> tuple[list[Hit], list[Hit], list[Hit], np.ndarray]:
    """(drums, bass, chords, beats) in seconds; velocities jittered a little so no two bars are identical."""
    beat_s = 60.0 / bpm
    drums, bass, chords = [], [], []
    for bar in range(bars):
        start = lead_in_s + bar * groove.beats_per_bar * beat_s
        root, triad = PROGRESSION[bar % len(PROGRESSION)]
        for position, drum, velocity in groove.drums:
            t = start + position * beat_s
            drums.append(Hit(t, t + 0.1, drum, int(np.clip(velocity + rng.integers(-6, 7), 1, 127))))
        for position, following in zip(groove.bass, groove.bass[1:] + (groove.bass[0] + groove.beats_per_bar,)):
            t = start + position * beat_s   # legato, as a bass player holds a note up to the next one
            bass.append(Hit(t, t + 0.9 * (following - position) * beat_s, root, int(90 + rng.integers(-6, 7))))
        for position in groove.chords:
            t = start + position * beat_s
            for pitch in triad:
                chords.append(Hit(t, t + groove.chord_length * beat_s, pitch, int(62 + rng.integers(-6, 7))))
    if bars:
        drums.append(Hit(lead_in_s, lead_in_s + 1.0, CRASH, 90))
    return drums, _released(bass), _released(chords), lead_in_s + np.arange(bars * groove.beats_per_bar) * beat_s


def _released(notes: list[Hit]) -> list[Hit]:
    """Each note ends before the next note of the same pitch starts: a MIDI note-off that came after the
    repeated note-on would cut the new note short (a swung bass note ringing into the beat silenced it)."""
    out = []
    by_pitch: dict[float, list[Hit]] = {}
    for note in notes:
        by_pitch.setdefault(note.pitch, []).append(note)
    for same in by_pitch.values():
        same.sort(key=lambda h: h.onset_s)
        for note, following in zip(same, same[1:] + [None]):
            end = note.offset_s if following is None else min(note.offset_s, following.onset_s - 0.01)
            out.append(Hit(note.onset_s, max(end, note.onset_s + 0.02), note.pitch, note.velocity))
    return sorted(out, key=lambda h: (h.onset_s, h.pitch))


def render_groove(out_dir: str | Path, name: str, *, bpm: float, bars: int = 8, seed: int = 0,
                  sample_rate: int = 44100, lead_in_s: float = 0.5) -> GrooveRender:
    """`bars` bars of a groove at `bpm` beats a minute (quarter notes; dotted quarters in 6/8)."""
    groove = GROOVES.get(name)
    if groove is None:
        raise PerfscoreError(f"unknown groove {name!r}; known: {', '.join(GROOVES)}")
    if not 30 <= bpm <= 300:
        raise PerfscoreError(f"tempo {bpm} BPM is outside 30-300")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    drums, bass, chords, beats = groove_hits(groove, bpm, bars, lead_in_s, rng)
    parts = [Part(tuple(drums), drums=True, name="drums"), Part(tuple(bass), program=33, name="bass"),
             Part(tuple(chords), program=groove.chord_program, name="chords")]
    stem = f"groove-{name.replace('/', '-')}-{bpm:g}-{seed}"
    midi = write_parts_midi(parts, out_dir / f"{stem}.mid")
    duration = lead_in_s + bars * groove.beats_per_bar * 60.0 / bpm + 1.0
    audio = render_midi(midi, sample_rate=sample_rate, duration_s=duration, gain=0.5)
    peak = float(np.max(np.abs(audio)))
    if peak > 0.95:
        audio = (audio * 0.95 / peak).astype(np.float32)
    wav = write_wav(out_dir / f"{stem}.wav", audio, sample_rate)
    meter = f"{3 * groove.beats_per_bar}/8" if groove.compound else f"{groove.beats_per_bar}/4"
    return GrooveRender(name, float(bpm), meter, beats, audio, sample_rate, wav)
