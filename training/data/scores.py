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

# More pieces for the scorer corpus (training/data/corpus_pieces.py): public-domain compositions whose
# encodings ship with music21 10.5.1 (not the Essen collection; see docs/data.md for the corpus terms).
_CHORALE = "J. S. Bach, chorale {}, soprano"
EXTRA_PIECES: dict[str, Piece] = {
    "bach-bwv1.6": Piece("bach/bwv1.6", "Soprano", _CHORALE.format("BWV 1.6"), 84, 73),
    "bach-bwv10.7": Piece("bach/bwv10.7", "Soprano", _CHORALE.format("BWV 10.7"), 84, 68),
    "bach-bwv26.6": Piece("bach/bwv26.6", "Soprano", _CHORALE.format("BWV 26.6"), 88, 71),
    "bach-bwv40.8": Piece("bach/bwv40.8", "Soprano", _CHORALE.format("BWV 40.8"), 88, 40),
    "bach-bwv57.8": Piece("bach/bwv57.8", "Soprano", _CHORALE.format("BWV 57.8"), 96, 73),
    "bach-bwv70.7": Piece("bach/bwv70.7", "Soprano", _CHORALE.format("BWV 70.7"), 96, 56),
    "bach-bwv84.5": Piece("bach/bwv84.5", "Soprano", _CHORALE.format("BWV 84.5"), 80, 40),
    "bach-bwv145.5": Piece("bach/bwv145.5", "Soprano", _CHORALE.format("BWV 145.5"), 92, 68),
    "bach-bwv254": Piece("bach/bwv254", "Soprano", _CHORALE.format("BWV 254"), 84, 71),
    "bach-bwv377": Piece("bach/bwv377", "Soprano", _CHORALE.format("BWV 377"), 80, 0),
    "bach-bwv403": Piece("bach/bwv403", "Soprano", _CHORALE.format("BWV 403"), 92, 73),
    "bach-bwv438": Piece("bach/bwv438", "Soprano", _CHORALE.format("BWV 438"), 84, 40),
    "mozart-k155-1": Piece("mozart/k155/movement1", "Violin I",
                           "W. A. Mozart, String Quartet K. 155, 1st mvt, violin I", 116, 40),
    "mozart-k156-2": Piece("mozart/k156/movement2", "Violin I",
                           "W. A. Mozart, String Quartet K. 156, 2nd mvt (Adagio), violin I", 56, 40),
    "mozart-k458-1": Piece("mozart/k458/movement1", "1st Violin",
                           "W. A. Mozart, String Quartet K. 458 'Hunt', 1st mvt, violin I", 132, 40),
    "haydn-op1no1-1": Piece("haydn/opus1no1/movement1", "Violin I",
                            "J. Haydn, String Quartet Op. 1 No. 1, 1st mvt, violin I", 132, 40),
    "beethoven-op18no1-2": Piece("beethoven/opus18no1/movement2", "Violin I",
                                 "L. van Beethoven, String Quartet Op. 18 No. 1, 2nd mvt, violin I", 60, 40),
    "beethoven-op59no1-2": Piece("beethoven/opus59no1/movement2", "1st Violin",
                                 "L. van Beethoven, String Quartet Op. 59 No. 1, 2nd mvt, violin I", 112, 40),
    "schumann-op41no1-2": Piece("schumann_robert/opus41no1/movement2", "1st Violin",
                                "R. Schumann, String Quartet Op. 41 No. 1, 2nd mvt, violin I", 132, 40),
    "corelli-op3no1-1": Piece("corelli/opus3no1/1grave", 0,
                              "A. Corelli, Trio Sonata Op. 3 No. 1, Grave, violin I", 60, 40),
    "folk-fishers-hornpipe": Piece("ryansMammoth/FishersHornpipe", 0,
                                   "Fisher's Hornpipe (Ryan's Mammoth Collection, 1883)", 100, 73),
    "folk-garryowen": Piece("ryansMammoth/GarryowenJig", 0,
                            "Garryowen, jig (Ryan's Mammoth Collection, 1883)", 160, 73),
    "folk-devils-dream": Piece("ryansMammoth/DevilsDreamReel", 0,
                               "Devil's Dream, reel (Ryan's Mammoth Collection, 1883)", 108, 40),
    "verdi-la-donna": Piece("verdi/laDonnaEMobile", 0,
                            "G. Verdi, 'La donna è mobile' (Rigoletto), piano right hand", 80, 0),
    "cpebach-h186": Piece("cpebach/h186", 0, "C. P. E. Bach, H. 186, right hand", 96, 6),
    "joplin-maple-leaf": Piece("joplin/maple_leaf_rag", 0, "S. Joplin, Maple Leaf Rag, right hand", 92, 0),
    "schubert-lindenbaum": Piece("schubert/lindenbaum", "Voice",
                                "F. Schubert, 'Der Lindenbaum' (Winterreise), voice", 88, 68),
}
PIECES.update(EXTRA_PIECES)


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
    """Mark the last note of each phrase: at fermatas if the score has them (chorales: one per phrase),
    else before a rest of half a beat or more and at every `phrase_bars` bars (the note sounding when
    the group ends). A single fermata is a final hold, not phrasing (C. P. E. Bach's H. 186)."""
    has_fermatas = sum(1 for item in raw if item[3]) >= 2
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
