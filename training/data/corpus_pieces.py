"""More melodies from music21's corpus for the scorer corpus, so splits can be made by piece.

`scores.PIECES` catalogues six pieces; the scorers need more distinct pieces than that so that a
test split and five cross-validation folds each hold whole pieces. These are added to the same
catalogue (under ids that do not clash) when this module is imported, so `scores.load_melody`
reads them like the others. All are public-domain compositions whose encodings ship with
music21 10.5.1 (not the Essen collection; see docs/data.md for the corpus terms).

`excerpt` cuts a passage of a melody and shifts it to start at beat 0, so one piece gives
several different passages.
"""

from __future__ import annotations

from .scores import PIECES, Melody, Piece, ScoreNote, load_melody

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
for _id, _piece in EXTRA_PIECES.items():
    PIECES.setdefault(_id, _piece)

ALL_PIECES: tuple[str, ...] = tuple(sorted(PIECES))


def excerpt(melody: Melody, start_beat: float, n_beats: float) -> Melody:
    """The notes starting in [start_beat, start_beat + n_beats), moved so the passage starts at beat 0.
    The last note is cut at the passage end and marked as a phrase end."""
    notes = [n for n in melody.notes if start_beat <= n.onset_beats < start_beat + n_beats]
    if not notes:
        raise ValueError(f"{melody.piece_id}: no note starts in beats {start_beat}–{start_beat + n_beats}")
    shifted = [ScoreNote(n.onset_beats - start_beat, n.duration_beats, n.pitch, n.phrase_end) for n in notes]
    last = shifted[-1]
    shifted[-1] = ScoreNote(last.onset_beats, max(0.25, min(last.duration_beats, n_beats - last.onset_beats)),
                            last.pitch, True)
    first_downbeat = (melody.first_downbeat - start_beat) % melody.beats_per_bar
    return Melody(melody.piece_id, melody.title, tuple(shifted), melody.beats_per_bar, first_downbeat,
                  melody.tempo_bpm)


def melody(piece_id: str) -> Melody:
    return load_melody(piece_id)
