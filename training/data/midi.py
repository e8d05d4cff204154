"""MIDI files for performances (notes in seconds, microtonal pitch) and for scores (notes in beats).

Performance files use a fixed tempo meta (60 BPM) and 2000 ticks per beat, so one tick is 0.5 ms
and a time in seconds is written to within 0.25 ms. A pitch between semitones is written as the
nearest note plus a pitch bend on that note's own channel (bend range set by RPN 0), so other
notes are not bent with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Protocol

import mido

from edge.errors import PerfscoreError

from .scores import Melody

PERF_TICKS_PER_BEAT = 2000
PERF_TEMPO_US = 1_000_000             # 60 BPM: ticks / 2000 = seconds
DRUM_CHANNEL = 9                      # General MIDI channel 10
MELODIC_CHANNELS = [c for c in range(16) if c != DRUM_CHANNEL]

# General MIDI programs, 0-based (program 1 "Acoustic Grand Piano" is 0 here).
GM_PROGRAMS = {
    "piano": 0, "electric_piano": 4, "harpsichord": 6, "vibraphone": 11, "organ": 19,
    "nylon_guitar": 24, "steel_guitar": 25, "acoustic_bass": 32, "electric_bass": 33,
    "violin": 40, "viola": 41, "cello": 42, "contrabass": 43, "strings": 48, "choir_aahs": 52,
    "voice_oohs": 53, "trumpet": 56, "trombone": 57, "french_horn": 60, "alto_sax": 65,
    "tenor_sax": 66, "oboe": 68, "bassoon": 70, "clarinet": 71, "piccolo": 72, "flute": 73,
    "recorder": 74, "pan_flute": 75,
}


class NoteLike(Protocol):
    onset_s: float
    offset_s: float
    pitch: float
    velocity: int


def program_number(instrument: str | int) -> int:
    if isinstance(instrument, int):
        if not 0 <= instrument <= 127:
            raise PerfscoreError(f"General MIDI program must be 0-127, got {instrument}")
        return instrument
    try:
        return GM_PROGRAMS[instrument]
    except KeyError:
        raise PerfscoreError(f"unknown instrument {instrument!r}; known: {', '.join(sorted(GM_PROGRAMS))} "
                             "(or pass a General MIDI program number 0-127)") from None


def _ticks(seconds: float) -> int:
    return int(round(seconds * PERF_TICKS_PER_BEAT * 1e6 / PERF_TEMPO_US))


def _channel_setup(channel: int, program: int, bend_range: int) -> list[mido.Message]:
    return [
        mido.Message("program_change", channel=channel, program=program),
        mido.Message("control_change", channel=channel, control=7, value=100),
        # RPN 0 (pitch bend sensitivity) = bend_range semitones, then RPN null so later CC6s do nothing.
        mido.Message("control_change", channel=channel, control=101, value=0),
        mido.Message("control_change", channel=channel, control=100, value=0),
        mido.Message("control_change", channel=channel, control=6, value=bend_range),
        mido.Message("control_change", channel=channel, control=38, value=0),
        mido.Message("control_change", channel=channel, control=101, value=127),
        mido.Message("control_change", channel=channel, control=100, value=127),
    ]


def _assign_channels(notes: list[NoteLike], rotate: bool) -> list[int]:
    """One channel for plain melodies; otherwise the channel free for longest, so that a pitch bend
    (or an overlapping note of the same pitch) never touches another sounding note."""
    if not rotate:
        return [MELODIC_CHANNELS[0]] * len(notes)
    free_at = {c: float("-inf") for c in MELODIC_CHANNELS}
    channels = []
    for note in notes:
        channel = min(MELODIC_CHANNELS, key=lambda c: (free_at[c], c))
        if free_at[channel] > note.onset_s:
            raise PerfscoreError(f"more than {len(MELODIC_CHANNELS)} notes sound at {note.onset_s:.3f} s; "
                                 "cannot give each its own channel")
        free_at[channel] = note.offset_s + 0.5      # leave the release tail unbent
        channels.append(channel)
    return channels


def write_performance_midi(notes: Iterable[NoteLike], path: str | Path, *, program: str | int = "piano",
                           bend_range: int = 2, tail_s: float = 1.0, name: str = "performance") -> Path:
    """Notes in seconds -> a MIDI file; fractional pitches become per-note pitch bends."""
    path = Path(path)
    ordered = sorted(notes, key=lambda n: (n.onset_s, n.pitch))
    if not ordered:
        raise PerfscoreError(f"{path}: no notes to write")
    program = program_number(program)
    bent = any(abs(n.pitch - round(n.pitch)) > 1e-6 for n in ordered)
    overlap = any(b.onset_s < a.offset_s for a, b in zip(ordered, ordered[1:]))
    channels = _assign_channels(ordered, rotate=bent or overlap)

    events: list[tuple[int, int, mido.Message]] = []   # (tick, order, message); offs before bends before ons
    for note, channel in zip(ordered, channels):
        if not 0 <= note.onset_s < note.offset_s:
            raise PerfscoreError(f"{path}: note at {note.onset_s} s ends at {note.offset_s} s")
        key = int(round(note.pitch))
        cents = (note.pitch - key) * 100.0
        if abs(cents) > 100 * bend_range:
            raise PerfscoreError(f"{path}: {cents:.0f} cents is beyond the bend range of {bend_range} semitones")
        if not 0 <= key <= 127:
            raise PerfscoreError(f"{path}: pitch {note.pitch} is outside MIDI 0-127")
        velocity = max(1, min(127, int(note.velocity)))
        on, off = _ticks(note.onset_s), max(_ticks(note.offset_s), _ticks(note.onset_s) + 1)
        if bent:
            bend = max(-8192, min(8191, int(round(cents / (100.0 * bend_range) * 8192))))
            events.append((on, 1, mido.Message("pitchwheel", channel=channel, pitch=bend)))
        events.append((on, 2, mido.Message("note_on", channel=channel, note=key, velocity=velocity)))
        events.append((off, 0, mido.Message("note_off", channel=channel, note=key, velocity=0)))
    events.sort(key=lambda e: (e[0], e[1]))

    midi = mido.MidiFile(ticks_per_beat=PERF_TICKS_PER_BEAT)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("track_name", name=name))
    track.append(mido.MetaMessage("set_tempo", tempo=PERF_TEMPO_US))
    for channel in sorted(set(channels)):
        track.extend(_channel_setup(channel, program, bend_range))
    now = 0
    for tick, _, message in events:
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=_ticks(tail_s)))
    midi.save(path)
    return path


def write_score_midi(melody: Melody, path: str | Path, *, tempo_bpm: float | None = None,
                     program: str | int = "piano", velocity: int = 80, ticks_per_beat: int = 480) -> Path:
    """The reference: the score itself, in beats (tick 0 = score beat 0), at a steady nominal tempo."""
    path = Path(path)
    tempo = float(tempo_bpm or melody.tempo_bpm)
    midi = mido.MidiFile(ticks_per_beat=ticks_per_beat)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("track_name", name=melody.title))
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo)))
    numerator = int(round(melody.beats_per_bar * 2)) if melody.beats_per_bar % 1 else int(melody.beats_per_bar)
    track.append(mido.MetaMessage("time_signature", numerator=numerator,
                                  denominator=8 if melody.beats_per_bar % 1 else 4))
    track.append(mido.Message("program_change", channel=0, program=program_number(program)))
    events = []
    for note in melody.notes:
        on = int(round(note.onset_beats * ticks_per_beat))
        off = int(round((note.onset_beats + note.duration_beats) * ticks_per_beat))
        events.append((on, 1, mido.Message("note_on", channel=0, note=note.pitch, velocity=velocity)))
        events.append((off, 0, mido.Message("note_off", channel=0, note=note.pitch, velocity=0)))
    events.sort(key=lambda e: (e[0], e[1]))
    now = 0
    for tick, _, message in events:
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    midi.save(path)
    return path


@dataclass(frozen=True)
class MidiNote:
    onset_s: float
    offset_s: float
    pitch: float            # key + the channel's pitch bend at note-on, in semitones
    velocity: int
    channel: int


def read_midi_notes(path: str | Path) -> list[MidiNote]:
    """Every note of a MIDI file as the box reads it (edge.features.notes.read_midi), one object each:
    the files written here are checked with the parser that will read them."""
    from edge.features.notes import read_midi

    n = read_midi(path)
    return [MidiNote(float(n.onsets[i]), float(n.offsets[i]), float(n.pitches[i]), int(n.velocities[i]),
                     int(n.channels[i])) for i in range(len(n))]


@dataclass(frozen=True)
class Part:
    """Notes for one instrument of a multi-part file; drums go to General MIDI channel 10."""
    notes: tuple
    program: int = 0
    drums: bool = False
    name: str = ""


def write_parts_midi(parts: list[Part], path: str | Path, *, tail_s: float = 1.0) -> Path:
    """Several instruments in one file (one track and channel each), integer pitches, times in seconds."""
    path = Path(path)
    melodic = iter(MELODIC_CHANNELS)
    midi = mido.MidiFile(ticks_per_beat=PERF_TICKS_PER_BEAT)
    end = 0
    for part in parts:
        channel = DRUM_CHANNEL if part.drums else next(melodic)
        track = mido.MidiTrack()
        midi.tracks.append(track)
        track.append(mido.MetaMessage("track_name", name=part.name or ("drums" if part.drums else f"part {channel}")))
        track.append(mido.MetaMessage("set_tempo", tempo=PERF_TEMPO_US))
        if not part.drums:
            track.append(mido.Message("program_change", channel=channel, program=program_number(part.program)))
        track.append(mido.Message("control_change", channel=channel, control=7, value=100))
        events = []
        for note in part.notes:
            on, off = _ticks(note.onset_s), max(_ticks(note.offset_s), _ticks(note.onset_s) + 1)
            key = int(round(note.pitch))
            events.append((on, 1, mido.Message("note_on", channel=channel, note=key, velocity=int(note.velocity))))
            events.append((off, 0, mido.Message("note_off", channel=channel, note=key, velocity=0)))
        events.sort(key=lambda e: (e[0], e[1]))
        now = 0
        for tick, _, message in events:
            track.append(message.copy(time=tick - now))
            now = tick
        end = max(end, now)
        track.append(mido.MetaMessage("end_of_track", time=0))
    # Let the last notes ring: a silent marker track that ends tail_s after the last event.
    marker = mido.MidiTrack()
    marker.append(mido.MetaMessage("end_of_track", time=end + _ticks(tail_s)))
    midi.tracks.append(marker)
    midi.save(path)
    return path
