"""Drum-kit grooves of a studio's music (training/data/grooves.py): beats on the kick and snare, not on an
off-beat bass line, swung eighths or open hi-hats. Known answers from the pattern's written beats."""

from __future__ import annotations

import mir_eval
import numpy as np
import pytest

from edge.config import Settings
from edge.errors import PerfscoreError
from edge.features.audio import extract_audio_features
from edge.features.audio.tempo_level import band_fluxes, strength_at
from training.data.grooves import GROOVES, groove_hits, render_groove

SETTINGS = Settings()


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    out = tmp_path_factory.mktemp("grooves")
    # A house bass and open hi-hat on every off-beat; a shuffle's bass on the swung eighth (⅔ of a beat).
    return {"house": render_groove(out, "house", bpm=124, seed=3),
            "shuffle": render_groove(out, "shuffle", bpm=96, seed=4)}


def _f(truth, beats):
    return float(mir_eval.beat.f_measure(truth, np.asarray(beats), 0.07))


@pytest.mark.parametrize("name", ["house", "shuffle"])
def test_beats_fall_on_the_kick_not_on_the_offbeat_bass(renders, name):
    r = renders[name]
    f = extract_audio_features(r.audio, SETTINGS.audio)
    assert f.tempo_bpm == pytest.approx(r.bpm, rel=0.04)
    assert _f(r.beats_s, f.beats_s) >= 0.9       # an off-beat grid at the right tempo scores 0


def test_kick_flux_marks_the_beats_where_the_low_band_marks_the_offbeat_bass(renders):
    r = renders["house"]
    hop = SETTINGS.audio.hop_size
    fluxes = band_fluxes(r.audio, r.sample_rate, hop)
    beats = r.beats_s * r.sample_rate / hop
    offbeats = beats + 0.5 * 60.0 / r.bpm * r.sample_rate / hop
    # The bass line is on the off-beats and rings as loud down there as the kick: the low band cannot tell.
    assert strength_at(fluxes.low, offbeats).mean() > 0.8 * strength_at(fluxes.low, beats).mean()
    # Its percussive part is the kick's: clearly on the beats.
    assert strength_at(fluxes.kick, beats).mean() > 1.5 * strength_at(fluxes.kick, offbeats).mean()


def test_fluxes_and_kit_do_not_follow_the_recording_level(renders):
    """A microphone 26 dB quieter or 12 dB hotter hears the same accents (the log compression used to
    move with the level: quiet takes lost their kit, hot ones without drums gained one)."""
    r = renders["house"]
    hop = SETTINGS.audio.hop_size
    at = {gain: band_fluxes(gain * r.audio, r.sample_rate, hop) for gain in (1.0, 0.05, 4.0)}
    for gain in (0.05, 4.0):
        for band in ("low", "full", "kick"):
            np.testing.assert_allclose(getattr(at[gain], band), getattr(at[1.0], band), rtol=1e-3, atol=1e-3)
        assert at[gain].kit == pytest.approx(at[1.0].kit, abs=1e-3) and at[1.0].kit > 0.5


def test_groove_beats_follow_the_bars_and_the_meter():
    rng = np.random.default_rng(0)
    drums, bass, chords, beats = groove_hits(GROOVES["waltz"], 120, 4, 0.5, rng)
    assert len(beats) == 12 and np.allclose(np.diff(beats), 0.5)
    assert sorted({round(h.onset_s, 3) for h in bass}) == [0.5, 2.0, 3.5, 5.0]     # beat 1 of each bar
    # Repeated pitches never overlap: a late note-off would silence the next note.
    for pitch in {h.pitch for h in chords}:
        same = sorted((h for h in chords if h.pitch == pitch), key=lambda h: h.onset_s)
        assert all(a.offset_s <= b.onset_s for a, b in zip(same, same[1:]))


def test_unknown_groove_and_bad_tempo_are_refused(tmp_path):
    with pytest.raises(PerfscoreError, match="unknown groove 'polka'"):
        render_groove(tmp_path, "polka", bpm=120)
    with pytest.raises(PerfscoreError, match="outside 30-300"):
        render_groove(tmp_path, "rock", bpm=400)
