"""Comparison against references: a MIDI score (music) and a reference recording's poses (dance)."""

import mido
import numpy as np
import pytest

from edge.config.features import AudioConfig
from edge.features.audio import extract_audio_features
from edge.features.notes import read_midi
from edge.features.reference_dance import compare_to_reference
from edge.features.reference_music import compare_to_midi
from tests.motion import dancer_hitting
from training.data.signals import tones_at_onsets

CONFIG = AudioConfig()
rng = np.random.default_rng(11)
PITCHES = rng.integers(57, 81, 24)        # a 24-note melody, A3 … G#5
DURATIONS = rng.choice([0.25, 0.5], 24)    # eighths and quarters at 120 BPM
ONSETS = np.concatenate([[0.0], np.cumsum(DURATIONS)[:-1]])


def write_reference(path, pitches=PITCHES, onsets=ONSETS, durations=DURATIONS):
    """A MIDI file at 120 BPM holding the melody (what the performer should play)."""
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000))
    events = sorted([(on, "note_on", p) for on, p in zip(onsets, pitches)]
                    + [(on + d * 0.9, "note_off", p) for on, d, p in zip(onsets, durations, pitches)],
                    key=lambda e: (e[0], e[1] == "note_on"))
    now = 0
    for t, kind, pitch in events:
        tick = int(round(t * 960))
        track.append(mido.Message(kind, note=int(pitch), velocity=80 if kind == "note_on" else 0, time=tick - now))
        now = tick
    midi.save(path)
    return path


def perform(*, delay=0.0, cents=0.0, tempo=1.0, lead_in=0.5, wrong=(), missed=()):
    """Audio of the melody played with known faults: late by `delay`, detuned, slower, wrong or missing notes."""
    keep = [i for i in range(len(PITCHES)) if i not in missed]
    pitches = PITCHES.astype(float).copy()
    for i in wrong:
        pitches[i] += 3  # a minor third off
    onsets = lead_in + ONSETS[keep] * tempo + delay
    x = tones_at_onsets(onsets, pitches[keep] + cents / 100, lead_in + ONSETS[-1] * tempo + 1.5, note_s=0.24, decay_s=0.3)
    return extract_audio_features(x, CONFIG)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return read_midi(write_reference(tmp_path_factory.mktemp("ref") / "melody.mid"))


def test_midi_is_read_in_seconds(reference):
    np.testing.assert_allclose(reference.onsets, ONSETS, atol=1e-3)
    np.testing.assert_array_equal(reference.pitches, PITCHES)


def test_faithful_performance_matches_every_note(reference):
    result = compare_to_midi(reference, perform())
    s = result.summary()
    assert s["note_f1"] == pytest.approx(1.0)
    assert s["pitch_hit_rate"] == 1.0 and s["onset_hit_rate"] == 1.0
    assert abs(s["pitch_deviation_cents"]["mean"]) < 5
    assert s["onset_deviation_ms"]["mean_abs"] < 10
    assert s["time_offset_s"] == pytest.approx(0.5, abs=0.01)  # the lead-in before the first note


@pytest.mark.parametrize("cents", [-30, 20])
def test_detuning_reads_in_cents(reference, cents):
    s = compare_to_midi(reference, perform(cents=cents)).summary()
    assert s["pitch_deviation_cents"]["mean"] == pytest.approx(cents, abs=5)
    assert s["pitch_hit_rate"] == 1.0  # within mir_eval's 50 cents


def test_detuning_beyond_the_tolerance_misses_the_notes(reference):
    s = compare_to_midi(reference, perform(cents=70)).summary()
    assert s["pitch_hit_rate"] == 0.0
    assert s["note_f1"] < 0.2


def test_delay_reads_within_ten_ms_on_the_reference_clock(reference):
    s = compare_to_midi(reference, perform(delay=0.04, lead_in=0.0), clock="reference").summary()
    assert s["onset_deviation_ms"]["mean"] == pytest.approx(40, abs=10)
    assert s["onset_deviation_ms"]["std"] < 5


def test_fitted_clock_absorbs_a_slower_tempo(reference):
    s = compare_to_midi(reference, perform(tempo=1.25)).summary()
    assert s["tempo_ratio"] == pytest.approx(1.25, abs=0.01)
    assert s["onset_deviation_ms"]["mean_abs"] < 10
    assert s["note_f1"] == pytest.approx(1.0)


def test_wrong_and_missed_notes_lower_recall(reference):
    wrong = compare_to_midi(reference, perform(wrong=(3, 9, 15))).summary()
    assert wrong["note_recall"] == pytest.approx(21 / 24, abs=0.01)
    flagged = [n for n in wrong["per_note"] if abs(n["pitch_deviation_cents"] or 0) > 250]
    assert len(flagged) == 3
    missed = compare_to_midi(reference, perform(missed=(5, 12, 20))).summary()
    assert missed["note_recall"] == pytest.approx(21 / 24, abs=0.01)
    assert missed["onset_hit_rate"] == pytest.approx(21 / 24, abs=0.01)


def test_dance_against_itself_slower_has_small_error_and_reads_the_tempo():
    beats = np.arange(0.5, 8.0, 0.5)
    reference = dancer_hitting(beats, arms=("left",))
    slower = dancer_hitting(beats * 1.2, arms=("left",))
    result = compare_to_reference(reference, slower)
    assert result.mean_error_deg < 3
    assert not result.mirrored
    assert result.tempo_ratio == pytest.approx(1.2, abs=0.05)


def test_dance_mirrored_is_detected_and_scored_as_mirrored():
    beats = np.arange(0.5, 8.0, 0.5)
    result = compare_to_reference(dancer_hitting(beats, arms=("left",)), dancer_hitting(beats, arms=("right",)))
    assert result.mirrored
    assert result.mean_error_deg < 3


def test_dance_with_smaller_moves_has_larger_joint_error_where_it_differs():
    beats = np.arange(0.5, 8.0, 0.5)
    faithful = compare_to_reference(dancer_hitting(beats), dancer_hitting(beats))
    result = compare_to_reference(dancer_hitting(beats), dancer_hitting(beats, reach=0.4))
    assert faithful.mean_error_deg < 0.1
    # The arms swing 40 % as far: the shoulder angle is off by ~17° on average, the legs not at all.
    assert result.joint_error_deg["left_shoulder"] > 10 and result.joint_error_deg["right_shoulder"] > 10
    assert result.joint_error_deg["left_knee"] < 1 and result.joint_error_deg["left_hip"] < 1
