"""Rhythm and sync measurements with known answers."""

import numpy as np
import pytest

from edge.features.rhythm import (beat_alignment, fill_short_gaps, motion_beats, motion_speed, nearest_distance,
                                  onset_deviation)
from tests.motion import dancer_hitting


def test_formula_matches_ai_choreographer():
    # One motion beat on a music beat (score 1), one 50 ms away = one σ (score e^-0.5).
    score = beat_alignment(np.array([1.0, 2.05]), np.array([1.0, 2.0, 3.0]), sigma_s=0.05)
    assert score == pytest.approx((1 + np.exp(-0.5)) / 2)


def test_motion_beats_fall_on_the_beats_the_dancer_hits():
    beats = np.arange(0.5, 8.0, 0.5)
    found = motion_beats(motion_speed(dancer_hitting(beats)))
    inner = beats[1:-1]
    assert np.max(np.abs(nearest_distance(inner, found))) <= 1 / 30 + 1e-9  # within one frame


def test_on_beat_music_scores_higher_than_music_250ms_late():
    beats = np.arange(0.5, 10.0, 0.5)
    hits = motion_beats(motion_speed(dancer_hitting(beats)))
    on = beat_alignment(hits, beats)
    late = beat_alignment(hits, beats + 0.25)
    assert on > 0.8
    assert late < 0.1
    assert on > late + 0.5


def test_motion_before_the_music_starts_is_not_counted():
    beats = np.arange(0.5, 6.0, 0.5)
    hits = motion_beats(motion_speed(dancer_hitting(beats)))
    music = beats[beats >= 3.0] + 0.25  # audio only covers the second half, and is late there
    assert beat_alignment(hits, music, span=(3.0, 6.0)) < 0.1
    assert beat_alignment(hits, beats, span=(3.0, 6.0)) > 0.8


def test_no_beats_means_not_measurable():
    assert beat_alignment(np.array([]), np.array([1.0])) is None
    assert beat_alignment(np.array([1.0]), np.array([])) is None


def test_frame_rate_does_not_change_the_score():
    beats = np.arange(0.5, 8.0, 0.5)
    scores = [beat_alignment(motion_beats(motion_speed(dancer_hitting(beats, fps))), beats + 0.03)
              for fps in (24.0, 30.0, 60.0)]
    assert max(scores) - min(scores) < 0.15


def test_short_gaps_are_bridged_and_long_ones_kept():
    t = np.arange(10) / 10
    x = np.arange(10, dtype=float)[:, None]
    x[3:5] = np.nan  # 0.3 s gap between t=0.2 and t=0.5: bridged
    filled = fill_short_gaps(x, t, max_gap_s=0.3)
    np.testing.assert_allclose(filled[:, 0], np.arange(10))
    x[6:9] = np.nan  # 0.4 s gap: kept
    assert np.isnan(fill_short_gaps(x, t, max_gap_s=0.3)[6:9]).all()


def test_onset_deviation_reads_known_lateness_and_jitter():
    beats = np.arange(0, 20, 0.5)
    rng = np.random.default_rng(0)
    steady = beats[:-1] + 0.25          # eighth notes, exactly on the grid
    assert np.abs(onset_deviation(steady, beats, 4)[1]).max() < 1e-9
    jitter = steady + rng.normal(0, 0.02, len(steady))
    _, deviation = onset_deviation(jitter, beats, 4)
    assert np.std(deviation) * 1000 == pytest.approx(20, abs=5)
    late = beats[:-1] + 0.25 + 0.03     # off-beat notes dragged 30 ms late
    assert np.mean(onset_deviation(late, beats, 4)[1]) * 1000 == pytest.approx(30, abs=1)
