"""The fresh pieces of the front-end bench: music no constant was chosen on, so they must stay apart
from the pieces that were looked at, and the bench must play each of them with and without a kit."""

import sys
from pathlib import Path

from training.data.rhythm_renders import FRESH_SCORES, SCORES

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import frontend_accuracy  # noqa: E402


def test_fresh_pieces_share_no_score_with_the_tuned_ones():
    tuned = {piece.corpus_path for piece in SCORES.values()}
    fresh = [piece.corpus_path for piece in FRESH_SCORES.values()]
    assert not tuned & set(fresh)
    assert len(set(fresh)) == len(fresh) == len(FRESH_SCORES)
    assert not set(SCORES) & set(FRESH_SCORES)


def test_the_bench_plays_every_fresh_piece_with_and_without_a_kit_inside_its_range():
    cases = frontend_accuracy.fresh_cases()
    assert len(cases) == 2 * len(FRESH_SCORES)
    for piece_id, piece in FRESH_SCORES.items():
        mine = [c for c in cases if c[0] == piece_id]
        assert sorted(drums for _, _, _, drums in mine) == [False, True]
        lo, hi = piece.bpm_range
        assert all(lo <= bpm <= hi for _, bpm, _, _ in mine), mine
        assert all(instrument in frontend_accuracy.INSTRUMENTS for _, _, instrument, _ in mine)
    # Different instruments for the two renders of a piece: the kit is not the only thing that changes.
    assert all(len({c[2] for c in cases if c[0] == p}) == 2 for p in FRESH_SCORES)


def test_a_fresh_piece_loads_in_its_written_meter():
    from training.data.rhythm_renders import load_score

    score = load_score("beethoven-op59no2-4", max_bars=2)       # alla breve: the half note is the beat
    assert (score.numerator, score.denominator, score.beat_q, score.beats_per_bar) == (2, 2, 2.0, 2)
    assert score.onsets_q.min() >= 0 and score.onsets_q.max() < 2 * 4.0
