"""More melodies from music21's corpus for the scorer corpus, so splits can be made by piece.

The scorers need more distinct pieces than the six the samples and tests use, so that a test split
and five cross-validation folds each hold whole pieces: `scores.EXTRA_PIECES` catalogues them, and
`ALL_PIECES` lists every piece the corpus draws from.

`excerpt` cuts a passage of a melody and shifts it to start at beat 0, so one piece gives
several different passages.
"""

from __future__ import annotations

from .scores import PIECES, Melody, ScoreNote

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
