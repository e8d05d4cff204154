"""Known answers for the dance sub-scores' meanings (docs/scoring.md): rhythm is the dancer's own pulse,
sync is being on the music's beat. Synthetic accents and joint speeds, so each fault is exact."""

from types import SimpleNamespace

import numpy as np
import pytest

from edge.config import Settings
from edge.features.notes import Notes
from edge.features.rhythm import MotionSpeed
from edge.scoring.rubric import dance
from edge.scoring.rubric.window import Window

FPS, PERIOD, DURATION = 30.0, 0.6, 24.0
BEATS = np.arange(0.5, DURATION - 0.5, PERIOD)


def window(accents: np.ndarray, frozen: tuple[float, float] | None = None) -> Window:
    """A dance whose joint speed dips to a stop at each accent (and stays still while frozen)."""
    times = np.arange(0, DURATION, 1 / FPS)
    speed = 1.0 - 0.8 * np.exp(-0.5 * (np.subtract.outer(times, accents) / 0.06) ** 2).max(axis=1)
    if frozen:
        speed[(times >= frozen[0]) & (times < frozen[1])] = 0.01
    audio = SimpleNamespace(beats_s=BEATS, start_s=0.0, duration_s=DURATION)
    analysis = SimpleNamespace(audio=audio, motion=MotionSpeed(times, speed), motion_beats_s=np.sort(accents),
                               duration_s=DURATION, reference=None, pose=None)
    empty = Notes(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
    return Window(analysis, Settings(), 0.0, DURATION, empty)


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(11)


def test_a_steady_dancer_behind_the_beat_keeps_rhythm_and_loses_sync():
    on, late = window(BEATS.copy()), window(BEATS + 0.2)
    assert dance.rhythm(on).value == pytest.approx(100.0)
    assert dance.rhythm(late).value == pytest.approx(100.0)           # a steady pulse, just late
    assert dance.sync(on).value > 95 and dance.sync(late).value < 30
    assert dance.rhythm(late).measurements["pulse_ruler"] == "music beats"


def test_jittered_accents_lose_rhythm_in_proportion(rng):
    got = {sd: dance.rhythm(window(BEATS + rng.normal(0, sd, len(BEATS)))) for sd in (0.0, 0.03, 0.06, 0.10, 0.15)}
    for sd in (0.06, 0.10):   # the spread reads the jitter's standard deviation
        assert got[sd].measurements["accent_spread_ms"] == pytest.approx(1000 * sd, rel=0.25)
    scores = [g.value for g in got.values()]
    # Up to 50 ms is what MediaPipe's motion beats scatter by on a clean dance: full marks (docs/scoring.md).
    assert scores[0] == scores[1] == 100.0
    assert scores[1] > scores[2] > scores[3] > scores[4]
    assert scores[4] < 45          # steadiness gone; still moving (continuity keeps its 40 %)


def test_freezes_cost_rhythm_continuity_and_are_measured():
    accents = BEATS[(BEATS < 8) | (BEATS >= 14)]
    frozen = window(accents, frozen=(8.0, 14.0))
    assert frozen.analysis.motion_beats_s.size < BEATS.size
    got = dance.rhythm(frozen)
    assert got.measurements["frozen_fraction"] == pytest.approx(6.0 / DURATION, abs=0.02)
    assert got.value < dance.rhythm(window(BEATS.copy())).value - 8
    assert "stops for 25 %" in got.explanation


def test_without_music_the_pulse_is_measured_against_the_dancers_own_grid(rng):
    w = window(BEATS + rng.normal(0, 0.01, len(BEATS)))
    w.analysis.audio.beats_s = np.zeros(0)
    got = dance.rhythm(w)
    assert got.measurements["pulse_ruler"] == "own accents" and got.value > 90


def test_a_steady_dancer_half_a_beat_off_keeps_a_steady_pulse(rng):
    """Offsets near ±half a beat are one steady offset (taken about their circular mean), not a spread."""
    late = window(BEATS + 0.29 + rng.normal(0, 0.015, len(BEATS)))
    got = dance.rhythm(late)
    assert got.measurements["accent_spread_ms"] < 30 and got.value == pytest.approx(100.0)
    assert dance.sync(late).value < 30
