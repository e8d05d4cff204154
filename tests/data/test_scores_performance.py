"""Melodies from the music21 corpus and seeded performances: the truth says exactly what was done."""

from __future__ import annotations

import numpy as np
import pytest

from edge.errors import PerfscoreError
from training.data.performance import CLEAN_EXPRESSIVE, MECHANICAL, Expression, Faults, perform, reference
from training.data.scores import PIECES, load_melody


@pytest.fixture(scope="module")
def chorale():
    return load_melody("bach-bwv66.6")


@pytest.fixture(scope="module")
def quartet():
    return load_melody("mozart-k80-1", max_beats=120)


@pytest.mark.parametrize("piece_id", sorted(PIECES))
def test_every_catalogued_piece_is_a_playable_monophonic_line(piece_id):
    melody = load_melody(piece_id, max_beats=48)
    onsets = np.array([n.onset_beats for n in melody.notes])
    assert len(melody.notes) >= 12
    assert np.all(np.diff(onsets) > 0), "one note at a time"
    assert all(36 <= n.pitch <= 96 and n.duration_beats > 0 for n in melody.notes)
    assert melody.notes[-1].phrase_end and sum(n.phrase_end for n in melody.notes) >= 2


def test_chorale_phrases_end_at_its_fermatas_and_its_pickup_is_known(chorale):
    # BWV 66.6: a two-eighth pickup, six fermatas (one per phrase), 4/4.
    assert chorale.first_downbeat == 1.0 and chorale.beats_per_bar == 4.0
    assert sum(n.phrase_end for n in chorale.notes) == 6
    assert [n.pitch for n in chorale.notes[:4]] == [73, 71, 69, 71]      # C#5 B4 A4 B4


def test_unknown_piece_is_named_with_the_known_ones():
    with pytest.raises(PerfscoreError, match=r"unknown piece id 'bach-bwv0'.*bach-bwv66\.6"):
        load_melody("bach-bwv0")


def test_reference_puts_every_note_on_the_nominal_grid(chorale):
    perf = reference(chorale, tempo_bpm=90, lead_in_s=0.5)
    for note in perf.notes:
        score = chorale.notes[note.score_index]
        assert note.onset_s == pytest.approx(0.5 + score.onset_beats * 60 / 90, abs=1e-6)
        assert note.pitch == score.pitch and not note.wrong
    assert np.allclose(np.diff(perf.beat_times_s), 60 / 90)


def test_constant_offset_and_drift_are_exact(chorale):
    ref = reference(chorale, tempo_bpm=90)
    late = perform(chorale, tempo_bpm=90, faults=Faults(onset_offset_ms=80))
    drift = perform(chorale, tempo_bpm=90, faults=Faults(drift_ms_per_s=20))
    for r, a, b in zip(ref.notes, late.notes, drift.notes):
        assert a.onset_s - r.onset_s == pytest.approx(0.080, abs=2e-6)
        nominal = r.onset_s - ref.lead_in_s
        assert b.onset_s - r.onset_s == pytest.approx(0.020 * nominal, abs=2e-6)


def test_jitter_has_the_requested_spread_and_is_seeded(quartet):
    ref = reference(quartet)
    a = perform(quartet, faults=Faults(onset_jitter_ms=20), seed=7)
    errors = np.array([x.onset_s - r.onset_s for x, r in zip(a.notes, ref.notes)]) * 1000
    assert len(errors) > 150
    assert 16 < errors.std() < 24 and abs(errors.mean()) < 4 and np.abs(errors).max() <= 60 + 1e-6
    again = perform(quartet, faults=Faults(onset_jitter_ms=20), seed=7)
    other = perform(quartet, faults=Faults(onset_jitter_ms=20), seed=8)
    assert again.notes == a.notes and other.notes != a.notes


def test_wrong_and_missed_notes_are_exactly_counted_and_flagged(quartet):
    n = len(quartet.notes)
    perf = perform(quartet, faults=Faults(wrong_note_rate=0.1, missed_note_rate=0.05), seed=3)
    assert len(perf.missed) == round(0.05 * n) and len(perf.notes) == n - len(perf.missed)
    wrong = [x for x in perf.notes if x.wrong]
    assert len(wrong) == round(0.1 * n)
    assert not {x.score_index for x in perf.notes} & set(perf.missed)
    for note in perf.notes:
        error = abs(note.pitch - quartet.notes[note.score_index].pitch)
        assert (1 <= error <= 2) if note.wrong else error == 0


def test_detuning_and_intonation_jitter_in_cents(quartet):
    flat = perform(quartet, faults=Faults(detune_cents=-30))
    assert all(x.pitch - quartet.notes[x.score_index].pitch == pytest.approx(-0.30, abs=1e-4) for x in flat.notes)
    wobbly = perform(quartet, faults=Faults(pitch_jitter_cents=10), seed=1)
    cents = np.array([x.pitch - quartet.notes[x.score_index].pitch for x in wobbly.notes]) * 100
    assert 8 < cents.std() < 12 and abs(cents.mean()) < 2


def test_flat_dynamics_versus_phrase_shaping(chorale):
    shaped = perform(chorale, expression=CLEAN_EXPRESSIVE)
    flat = perform(chorale, expression=CLEAN_EXPRESSIVE, faults=Faults(flat_dynamics=True))
    assert {x.velocity for x in flat.notes} == {CLEAN_EXPRESSIVE.velocity}
    velocities = np.array([x.velocity for x in shaped.notes])
    assert velocities.max() - velocities.min() >= 20
    # An arch per phrase: the phrase's first note is softer than its loudest.
    first_phrase = [x.velocity for x in shaped.notes if x.score_index <= 2]
    assert first_phrase[0] < max(first_phrase)


def test_rubato_slows_phrase_ends_and_instability_wobbles_the_beat(chorale):
    steady = reference(chorale, tempo_bpm=84)
    rubato = perform(chorale, tempo_bpm=84, expression=Expression(rubato=0.4))
    beat = 60 / 84
    stretch = np.diff(rubato.beat_times_s) / beat
    # Beat length grows as 1 + 0.4 r^2 over the last two beats: the last beat is 1 + 0.4 * 7/12 long.
    assert stretch.max() == pytest.approx(1 + 0.4 * 7 / 12, abs=0.01)
    assert stretch.min() == pytest.approx(1.0, abs=1e-3)
    # The last beat of every phrase (ending where its fermata note ends) is stretched.
    ends = [n.onset_beats + n.duration_beats for n in chorale.notes if n.phrase_end]
    assert all(stretch[int(round(e)) - 1] > 1.2 for e in ends if round(e) <= stretch.size)
    unstable = perform(chorale, tempo_bpm=84, faults=Faults(tempo_instability=0.05), seed=2)
    ratio = np.diff(unstable.beat_times_s) / np.diff(steady.beat_times_s)
    assert 0.02 < np.std(np.log(ratio)) < 0.12


def test_bad_inputs_are_named():
    melody = load_melody("bach-bwv269", max_beats=16)
    with pytest.raises(PerfscoreError, match="missed_note_rate must be between 0 and 1"):
        perform(melody, faults=Faults(missed_note_rate=1.5))
    with pytest.raises(PerfscoreError, match="tempo 5.0 BPM"):
        perform(melody, tempo_bpm=5)
    with pytest.raises(PerfscoreError, match="every note"):
        perform(melody, faults=Faults(missed_note_rate=1.0))
    assert perform(melody, expression=MECHANICAL).notes == reference(melody).notes
