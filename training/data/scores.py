"""Real melodies from music21's bundled corpus, as notes in beats.

A "beat" here is always a quarter note (music21's quarterLength), whatever the time signature,
so a tempo in BPM means quarter notes per minute. Phrase ends come from the score's fermatas
when it has them (Bach chorales), else from rests, else from a bar grouping: they drive the
phrase-level dynamics and rubato of a performance.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from edge.errors import PerfscoreError


@dataclass(frozen=True)
class Piece:
    corpus_path: str
    part: str | int          # part name as in the score, or its index
    title: str
    tempo_bpm: float         # a sensible quarter-note tempo for this piece
    default_program: int     # General MIDI program that suits the line (0-based)


# Public-domain compositions; encodings ship with music21 (see docs/data.md for their terms).
PIECES: dict[str, Piece] = {
    "bach-bwv66.6": Piece("bach/bwv66.6", "Soprano",
                          "J. S. Bach, chorale BWV 66.6, soprano", 84, 73),
    "bach-bwv269": Piece("bach/bwv269", "Soprano",
                         "J. S. Bach, chorale BWV 269 'Aus meines Herzens Grunde', soprano", 90, 40),
    "mozart-k80-1": Piece("mozart/k80/movement1", "Violin I",
                          "W. A. Mozart, String Quartet K. 80, 1st mvt (Adagio), violin I", 60, 40),
    "haydn-op74no1-3": Piece("haydn/opus74no1/movement3", "Violin 1",
                             "J. Haydn, String Quartet Op. 74 No. 1, 3rd mvt (Menuetto), violin 1", 120, 40),
    "handel-lascia": Piece("handel/rinaldo/Lascia_chio_pianga", 0,
                           "G. F. Handel, 'Lascia ch'io pianga' (Rinaldo), top line", 66, 71),
    "folk-lanigans-ball": Piece("ryansMammoth/LanigansBallJig", 0,
                                "Lanigan's Ball, jig (Ryan's Mammoth Collection, 1883)", 168, 73),
}


@dataclass(frozen=True)
class ScoreNote:
    onset_beats: float
    duration_beats: float
    pitch: int               # MIDI note number
    phrase_end: bool = False


@dataclass(frozen=True)
class Melody:
    piece_id: str
    title: str
    notes: tuple[ScoreNote, ...]
    beats_per_bar: float     # quarter notes per bar (3.0 for 6/8)
    first_downbeat: float    # beat of the first full bar's downbeat (> 0 after a pickup)
    tempo_bpm: float         # the piece's suggested tempo

    @property
    def duration_beats(self) -> float:
        last = self.notes[-1]
        return last.onset_beats + last.duration_beats


def _unknown_piece(piece_id: str) -> PerfscoreError:
    known = ", ".join(sorted(PIECES))
    return PerfscoreError(f"unknown piece id {piece_id!r}; known pieces: {known}")


@lru_cache(maxsize=16)
def _parse(corpus_path: str):
    from music21 import converter, corpus

    found = corpus.getWork(corpus_path)
    if isinstance(found, list):      # some works exist in several encodings; prefer MusicXML/ABC
        found = next((f for f in found if str(f).endswith((".mxl", ".xml", ".musicxml", ".abc"))), found[0])
    # Straight from the file: converter.parse would consult (and create) a pickle cache in /tmp/music21.
    parser = converter.Converter()
    parser.parseFileNoPickle(found, forceSource=True)
    return parser.stream


def _select_part(score, piece_id: str, piece: Piece):
    parts = list(score.parts)
    if isinstance(piece.part, int):
        return parts[piece.part]
    for part in parts:
        if part.partName == piece.part:
            return part
    raise PerfscoreError(f"piece {piece_id!r}: no part named {piece.part!r} in {piece.corpus_path} "
                         f"(parts: {[p.partName for p in parts]})")


def load_melody(piece_id: str, *, max_beats: float | None = None, phrase_bars: int = 4) -> Melody:
    """The monophonic line of a catalogued piece (top note of any chord), optionally cut after `max_beats`."""
    from music21 import expressions, meter

    piece = PIECES.get(piece_id)
    if piece is None:
        raise _unknown_piece(piece_id)
    part = _select_part(_parse(piece.corpus_path), piece_id, piece).stripTies()
    flat = part.flatten()
    signatures = list(flat.getElementsByClass(meter.TimeSignature))
    beats_per_bar = float(signatures[0].barDuration.quarterLength) if signatures else 4.0
    measures = list(part.getElementsByClass("Measure"))
    first_downbeat = 0.0
    if measures and measures[0].paddingLeft:
        first_downbeat = float(measures[0].barDuration.quarterLength - measures[0].paddingLeft)

    raw = []
    for element in flat.notes:
        length = float(element.duration.quarterLength)
        if length <= 0:                       # grace notes have no notated time
            continue
        pitch = max(p.midi for p in element.pitches) if element.isChord else element.pitch.midi
        fermata = any(isinstance(e, expressions.Fermata) for e in element.expressions)
        raw.append((float(element.offset), length, int(pitch), fermata))
    raw = _skyline(raw)

    notes = _with_phrase_ends(raw, beats_per_bar, first_downbeat, phrase_bars)
    if max_beats is not None:
        notes = [n for n in notes if n.onset_beats < max_beats]
        if not notes:
            raise PerfscoreError(f"piece {piece_id!r}: no note starts before beat {max_beats}")
        last = notes[-1]
        notes[-1] = ScoreNote(last.onset_beats, min(last.duration_beats, max_beats - last.onset_beats),
                              last.pitch, True)
    return Melody(piece_id, piece.title, tuple(notes), beats_per_bar, first_downbeat, piece.tempo_bpm)


def _skyline(raw: list[tuple]) -> list[tuple]:
    """One note at a time: the highest of notes starting together, each cut at the next onset
    (a part written in two voices, or a chord, becomes its top line)."""
    by_onset: dict[float, tuple] = {}
    for item in raw:
        if item[0] not in by_onset or item[2] > by_onset[item[0]][2] or (item[2] == by_onset[item[0]][2] and item[3]):
            by_onset[item[0]] = item
    ordered = [by_onset[k] for k in sorted(by_onset)]
    return [(onset, min(length, ordered[i + 1][0] - onset) if i + 1 < len(ordered) else length, pitch, fermata)
            for i, (onset, length, pitch, fermata) in enumerate(ordered)]


def _with_phrase_ends(raw, beats_per_bar: float, first_downbeat: float, phrase_bars: int) -> list[ScoreNote]:
    """Mark the last note of each phrase: at fermatas if the score has any, else before a rest of
    half a beat or more and at every `phrase_bars` bars (the note sounding when the group ends)."""
    has_fermatas = any(item[3] for item in raw)
    span = beats_per_bar * phrase_bars
    notes: list[ScoreNote] = []
    for i, (onset, length, pitch, fermata) in enumerate(raw):
        if has_fermatas:
            end = fermata
        elif i + 1 < len(raw):
            nxt = raw[i + 1][0]
            before_rest = nxt - (onset + length) >= 0.5
            # Phrase groups start at the first downbeat; a note ends one if the next onset crosses a boundary.
            crosses = (nxt - first_downbeat) // span > (onset - first_downbeat) // span
            end = before_rest or crosses
        else:
            end = True
        notes.append(ScoreNote(onset, length, pitch, end))
    return notes
