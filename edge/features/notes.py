"""Notes: read from a MIDI reference, or transcribed from a monophonic performance's pitch track and onsets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MediaError
from .audio.pitch import midi_to_hz


@dataclass
class Notes:
    onsets: np.ndarray     # (N,) seconds
    offsets: np.ndarray    # (N,) seconds
    pitches: np.ndarray    # (N,) MIDI numbers, fractional for detuned notes (69 = A4 = 440 Hz)
    velocities: np.ndarray  # (N,) 0–127 (MIDI) or dBFS (transcribed)
    channels: np.ndarray | None = None   # (N,) MIDI channel, for notes read from a file

    def __len__(self) -> int:
        return len(self.onsets)

    def intervals(self) -> np.ndarray:
        return np.stack([self.onsets, np.maximum(self.offsets, self.onsets + 1e-3)], axis=1)

    def hz(self) -> np.ndarray:
        return midi_to_hz(self.pitches)


DRUM_CHANNEL = 9   # General MIDI channel 10: unpitched percussion, never part of a score to play


def read_midi(path: str | Path, part: str | None = None) -> Notes:
    """The notes of a MIDI file in seconds (tempo changes applied), sorted by onset then pitch. A
    channel's pitch bend at note-on is folded into the note's pitch, with the bend range the file sets
    (RPN 0; 2 semitones by default); a key struck again while sounding ends in the order it began.

    Drums (channel 10) are always left out. `part` chooses what to keep: None, every other note;
    "track:N" (N counted from 0 as stored in the file), "channel:N" (1–16, as musicians number them)
    or a track's name."""
    import mido

    try:
        midi = mido.MidiFile(str(path))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise MediaError(path, f"not a readable MIDI file ({exc})") from None
    names = [next((m.name for m in track if m.type == "track_name"), "") for track in midi.tracks]
    want_track, want_channel = _part_filter(path, part, names)
    t = 0.0
    bend, bend_range, rpn = np.zeros(16), np.full(16, 2.0), [(127, 127)] * 16
    sounding: dict[tuple[int, int], list[tuple[float, float, int]]] = {}
    rows = []
    for msg, track in _merged(midi):
        t += msg.time
        if msg.is_meta:
            continue
        ch = getattr(msg, "channel", 0)
        if msg.type == "pitchwheel":
            bend[ch] = msg.pitch / 8192.0 * bend_range[ch]
        elif msg.type == "control_change":
            if msg.control == 101:                                 # RPN select, MSB then LSB
                rpn[ch] = (msg.value, rpn[ch][1])
            elif msg.control == 100:
                rpn[ch] = (rpn[ch][0], msg.value)
            elif msg.control == 6 and rpn[ch] == (0, 0):           # data entry for RPN 0: bend range
                bend_range[ch] = float(msg.value)
        elif ch == DRUM_CHANNEL or (want_track is not None and track != want_track) \
                or (want_channel is not None and ch != want_channel):
            continue
        elif msg.type == "note_on" and msg.velocity > 0:
            sounding.setdefault((ch, msg.note), []).append((t, msg.note + bend[ch], msg.velocity))
        elif msg.type in ("note_off", "note_on"):
            started = sounding.get((ch, msg.note))
            if started:
                onset, pitch, velocity = started.pop(0)
                rows.append((onset, pitch, t, velocity, ch))
    if not rows:
        listed = ", ".join(f"track:{i} {n!r}" for i, n in enumerate(names))
        raise MediaError(path, "MIDI file has no notes" + ("" if part is None else f" in part {part!r} ({listed})")
                         + (" outside the drum channel" if part is None else ""))
    rows.sort()
    a = np.array(rows, float)
    return Notes(a[:, 0], a[:, 2], a[:, 1], a[:, 3], a[:, 4].astype(int))


def _part_filter(path, part: str | None, names: list[str]) -> tuple[int | None, int | None]:
    """(track index, channel index) to keep, from a `part` setting."""
    if part is None:
        return None, None
    kind, _, value = part.partition(":")
    if kind in ("track", "channel") and value.strip().isdigit():
        n = int(value)
        if kind == "track":
            if n >= len(names):
                raise MediaError(path, f"part {part!r}: the file has {len(names)} tracks (track:0 … track:{len(names) - 1})")
            return n, None
        if not 1 <= n <= 16:
            raise MediaError(path, f"part {part!r}: MIDI channels are 1–16")
        return None, n - 1
    if part in names:
        return names.index(part), None
    raise MediaError(path, f"part {part!r} not found; give track:N, channel:N or one of the track names {names}")


def _merged(midi):
    """Messages of all tracks in time order with delta times in seconds, each with its track index
    (mido's own merge loses which track a message came from)."""
    import mido

    events = []
    for k, track in enumerate(midi.tracks):
        tick = 0
        for order, msg in enumerate(track):
            tick += msg.time
            events.append((tick, k, order, msg))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    tempo, last_tick = 500000, 0
    for tick, k, _, msg in events:
        seconds = mido.tick2second(tick - last_tick, midi.ticks_per_beat, tempo) if tick > last_tick else 0.0
        last_tick = tick
        yield msg.copy(time=seconds), k
        if msg.type == "set_tempo":
            tempo = msg.tempo     # applies from this tick on


def melody(notes: Notes) -> Notes:
    """The top voice: where notes overlap by more than 50 ms, keep the highest (a melody reference may carry chords)."""
    keep = np.ones(len(notes), bool)
    for i in range(len(notes)):
        overlapping = (notes.onsets < notes.offsets[i] - 0.05) & (notes.offsets > notes.onsets[i] + 0.05)
        overlapping[i] = False
        if np.any(notes.pitches[overlapping] > notes.pitches[i]) and np.any(
                np.abs(notes.onsets[overlapping] - notes.onsets[i]) < 0.05):
            keep[i] = False
    return Notes(notes.onsets[keep], notes.offsets[keep], notes.pitches[keep], notes.velocities[keep])


def transcribe(onsets: np.ndarray, f0_midi: np.ndarray, f0_times: np.ndarray, rms_dbfs: np.ndarray,
               min_note_s: float = 0.04) -> Notes:
    """Monophonic notes: a note starts at each onset (or where a held pitch moves by more than half a
    semitone, for slurred notes), its pitch is the median of the confident f0 in its middle, it ends
    at the last voiced frame before the next note."""
    voiced = np.isfinite(f0_midi)
    boundaries = list(onsets)
    # Slurs: a change of rounded pitch that holds for 4 frames (~46 ms) without an onset.
    rounded = np.where(voiced, np.round(f0_midi), np.nan)
    for k in range(1, len(rounded) - 3):
        if voiced[k - 1] and voiced[k:k + 4].all() and np.all(rounded[k:k + 4] == rounded[k]) \
                and rounded[k] != rounded[k - 1]:
            t = f0_times[k]
            if not boundaries or np.min(np.abs(np.asarray(boundaries) - t)) > 0.08:
                boundaries.append(t)
    boundaries = np.sort(np.asarray(boundaries, float))
    rows = []
    for b, start in enumerate(boundaries):
        stop = boundaries[b + 1] if b + 1 < len(boundaries) else f0_times[-1] if len(f0_times) else start
        frames = np.flatnonzero((f0_times >= start) & (f0_times < stop) & voiced)
        if len(frames) == 0 or f0_times[frames[-1]] - start < min_note_s:
            continue
        # The middle of the note: attacks and releases bend pitch.
        core = frames[len(frames) // 5: max(len(frames) // 5 + 1, len(frames) * 4 // 5)]
        rows.append((start, f0_times[frames[-1]], float(np.median(f0_midi[core])),
                     float(np.max(rms_dbfs[frames])) if len(rms_dbfs) > frames[-1] else 0.0))
    if not rows:
        return Notes(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
    a = np.array(rows, float)
    return Notes(a[:, 0], a[:, 1], a[:, 2], a[:, 3])


@dataclass(frozen=True)
class MidiMeter:
    """The first tempo and time signature of a MIDI file, and the beat a musician counts in it."""
    quarter_bpm: float          # MIDI tempo, in quarter notes per minute (120 if the file sets none)
    numerator: int              # time signature (4/4 if the file sets none)
    denominator: int

    @property
    def beat_quarters(self) -> float:
        """Quarter notes per counted beat: the dotted quarter in 6/8, 9/8, 12/8; else the signature's unit."""
        if self.denominator == 8 and self.numerator in (6, 9, 12):
            return 1.5
        return 4.0 / self.denominator

    @property
    def beat_bpm(self) -> float:
        return self.quarter_bpm / self.beat_quarters


def read_midi_meter(path: str | Path) -> MidiMeter:
    """First tempo and time signature of a MIDI file (the written beat a performance of it is counted in)."""
    import mido

    try:
        midi = mido.MidiFile(str(path))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise MediaError(path, f"not a readable MIDI file ({exc})") from None
    tempo, signature = None, None
    for track in midi.tracks:
        for msg in track:
            if msg.type == "set_tempo" and tempo is None:
                tempo = mido.tempo2bpm(msg.tempo)
            elif msg.type == "time_signature" and signature is None:
                signature = (msg.numerator, msg.denominator)
    numerator, denominator = signature or (4, 4)
    return MidiMeter(float(tempo or 120.0), int(numerator), int(denominator))
