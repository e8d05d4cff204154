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


def read_midi(path: str | Path) -> Notes:
    """All notes of a MIDI file in seconds (tempo changes applied), sorted by onset then pitch. A
    channel's pitch bend at note-on is folded into the note's pitch, with the bend range the file sets
    (RPN 0; 2 semitones by default); a key struck again while sounding ends in the order it began."""
    import mido

    try:
        midi = mido.MidiFile(str(path))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise MediaError(path, f"not a readable MIDI file ({exc})") from None
    t = 0.0
    bend, bend_range, rpn = np.zeros(16), np.full(16, 2.0), [(127, 127)] * 16
    sounding: dict[tuple[int, int], list[tuple[float, float, int]]] = {}
    rows = []
    for msg in midi:  # iterating a MidiFile yields delta times in seconds, tempo map applied
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
        elif msg.type == "note_on" and msg.velocity > 0:
            sounding.setdefault((ch, msg.note), []).append((t, msg.note + bend[ch], msg.velocity))
        elif msg.type in ("note_off", "note_on"):
            started = sounding.get((ch, msg.note))
            if started:
                onset, pitch, velocity = started.pop(0)
                rows.append((onset, pitch, t, velocity, ch))
    if not rows:
        raise MediaError(path, "MIDI file has no notes")
    rows.sort()
    a = np.array(rows, float)
    return Notes(a[:, 0], a[:, 2], a[:, 1], a[:, 3], a[:, 4].astype(int))


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
