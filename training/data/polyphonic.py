"""Polyphonic performances of music21 corpus pieces (every part, chords kept) with the usual faults.

`load_polyphonic` reads all notes of a piece (a chorale's four voices, both hands of a piano piece)
into a `Melody` whose notes overlap; `performance.perform` then applies tempo, expression and faults to
every note (each chord note gets its own jitter, a wrong note is one of a chord, a missed note leaves
the rest of the chord sounding). `make_polyphonic_clip` renders it with FluidSynth and writes the
score as the reference MIDI, like `music.make_music_clip` does for single lines.

    python -m training.data.polyphonic OUT_DIR [--piece ID] [--instrument piano] [--max-beats 16]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from edge.errors import PerfscoreError

from .midi import program_number, write_performance_midi, write_score_midi
from .music import MusicClip
from .performance import MECHANICAL, Expression, Faults, perform
from .scores import Melody, ScoreNote, _parse


@dataclass(frozen=True)
class PolyPiece:
    corpus_path: str
    title: str
    tempo_bpm: float
    parts: tuple[int, ...] | None = None    # part indices to keep; None: all


# Public-domain compositions whose encodings ship with music21 (docs/data.md).
POLY_PIECES: dict[str, PolyPiece] = {
    "bach-bwv66.6": PolyPiece("bach/bwv66.6", "J. S. Bach, chorale BWV 66.6, four voices", 84),
    "bach-bwv269": PolyPiece("bach/bwv269", "J. S. Bach, chorale BWV 269, four voices", 90),
    "bach-bwv40.8": PolyPiece("bach/bwv40.8", "J. S. Bach, chorale BWV 40.8, four voices", 88),
    "joplin-maple-leaf": PolyPiece("joplin/maple_leaf_rag", "S. Joplin, Maple Leaf Rag, both hands", 92),
    "cpebach-h186": PolyPiece("cpebach/h186", "C. P. E. Bach, H. 186, both hands", 96),
    "mozart-k80-1": PolyPiece("mozart/k80/movement1", "W. A. Mozart, String Quartet K. 80, 1st mvt, all four", 60),
}


def load_polyphonic(piece_id: str, *, max_beats: float | None = None, phrase_bars: int = 2) -> Melody:
    """Every note of a piece in beats (quarter notes), sorted by onset then pitch.

    Phrase ends (for phrase dynamics and rubato) are the chords under a fermata when the piece has
    them, else every `phrase_bars` bars; one note per phrase end carries the mark, so that the notes
    of a chord stay in one phrase."""
    from music21 import expressions, meter

    piece = POLY_PIECES.get(piece_id)
    if piece is None:
        raise PerfscoreError(f"unknown polyphonic piece {piece_id!r}; known: {', '.join(sorted(POLY_PIECES))}")
    score = _parse(piece.corpus_path)
    parts = list(score.parts)
    if piece.parts is not None:
        parts = [parts[i] for i in piece.parts]
    raw = []
    beats_per_bar, first_downbeat = 4.0, 0.0
    for k, part in enumerate(parts):
        flat = part.stripTies().flatten()
        if k == 0:
            signatures = list(flat.getElementsByClass(meter.TimeSignature))
            beats_per_bar = float(signatures[0].barDuration.quarterLength) if signatures else 4.0
            measures = list(part.getElementsByClass("Measure"))
            if measures and measures[0].paddingLeft:
                first_downbeat = float(measures[0].barDuration.quarterLength - measures[0].paddingLeft)
        for element in flat.notes:
            length = float(element.duration.quarterLength)
            if length <= 0:          # grace notes have no notated time
                continue
            fermata = any(isinstance(e, expressions.Fermata) for e in element.expressions)
            for p in element.pitches:
                raw.append((float(element.offset), int(p.midi), length, fermata))
    if not raw:
        raise PerfscoreError(f"piece {piece_id!r}: no notes")
    # One note per (onset, pitch): two voices in unison are one key on a keyboard.
    unique: dict[tuple[float, int], tuple] = {}
    for onset, pitch, length, fermata in raw:
        key = (onset, pitch)
        if key not in unique or length > unique[key][2]:
            unique[key] = (onset, pitch, length, fermata or unique.get(key, (0, 0, 0, False))[3])
    rows = sorted(unique.values())
    if max_beats is not None:
        rows = [(on, p, min(length, max_beats - on), f) for on, p, length, f in rows if on < max_beats]
        if not rows:
            raise PerfscoreError(f"piece {piece_id!r}: no note starts before beat {max_beats}")
    onsets = np.array([r[0] for r in rows])
    fermata_onsets = {r[0] for r in rows if r[3]}
    span = beats_per_bar * phrase_bars
    notes = []
    for i, (onset, pitch, length, _) in enumerate(rows):
        last_of_chord = i + 1 == len(rows) or onsets[i + 1] > onset
        if fermata_onsets and len(fermata_onsets) >= 2:
            end = onset in fermata_onsets
        elif i + 1 < len(rows):
            end = (onsets[i + 1] - first_downbeat) // span > (onset - first_downbeat) // span
        else:
            end = True
        notes.append(ScoreNote(onset, length, pitch, bool(end and last_of_chord) or i + 1 == len(rows)))
    return Melody(piece_id, piece.title, tuple(notes), beats_per_bar, first_downbeat, piece.tempo_bpm)


def polyphony(melody: Melody) -> float:
    """Mean number of notes sounding at each onset: 1 for a single line."""
    on = np.array([n.onset_beats for n in melody.notes])
    off = on + np.array([n.duration_beats for n in melody.notes])
    return float(np.mean([np.sum((on <= t + 1e-6) & (off > t + 1e-6)) for t in np.unique(on)]))


def make_polyphonic_clip(out_dir: str | Path, *, piece_id: str = "bach-bwv66.6", instrument: str | int = "piano",
                         tempo_bpm: float | None = None, max_beats: float | None = None, faults: Faults = Faults(),
                         expression: Expression = MECHANICAL, seed: int = 0, sample_rate: int = 44100,
                         lead_in_s: float = 0.5, stem: str = "poly") -> MusicClip:
    """Perform every part of `piece_id` on one instrument; write `{stem}.wav`, `{stem}.mid` (what was
    played), `{stem}.ref.mid` (the score at its nominal tempo) and `{stem}.truth.json`."""
    from .synth import render_midi, write_wav

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    melody = load_polyphonic(piece_id, max_beats=max_beats)
    if tempo_bpm is not None:
        melody = replace(melody, tempo_bpm=float(tempo_bpm))
    performance = perform(melody, tempo_bpm=tempo_bpm, faults=faults, expression=expression, seed=seed,
                          lead_in_s=lead_in_s)
    program = program_number(instrument)
    midi_path = write_performance_midi(performance.notes, out_dir / f"{stem}.mid", program=program, name=melody.title)
    reference_path = write_score_midi(melody, out_dir / f"{stem}.ref.mid", tempo_bpm=performance.tempo_bpm,
                                      program=program)
    audio = render_midi(midi_path, sample_rate=sample_rate, duration_s=performance.duration_s + 1.0)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 0.99:      # a loud chord on a full-voiced patch can clip: scale the whole take down
        audio = (audio * (0.99 / peak)).astype(np.float32)
    wav_path = write_wav(out_dir / f"{stem}.wav", audio, sample_rate)
    truth = performance.truth() | {"instrument": instrument, "gm_program": program, "sample_rate": sample_rate,
                                   "polyphony": round(polyphony(melody), 3)}
    truth_path = out_dir / f"{stem}.truth.json"
    truth_path.write_text(json.dumps(truth, indent=1))
    return MusicClip(performance, audio, sample_rate, wav_path, midi_path, reference_path, truth_path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--piece", default="bach-bwv66.6", choices=sorted(POLY_PIECES))
    parser.add_argument("--instrument", default="piano")
    parser.add_argument("--max-beats", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    clip = make_polyphonic_clip(args.out_dir, piece_id=args.piece, instrument=args.instrument,
                                max_beats=args.max_beats, seed=args.seed)
    print(clip.wav_path, clip.reference_midi_path)


if __name__ == "__main__":
    main()
