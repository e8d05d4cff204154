"""The judging rubric: monotone in every fault, documented bands, judges' marks."""

import math

import numpy as np
import pytest

from edge.scoring.result import GRADES, SUBSCORES
from training.data.labels import DANCE_RUBRIC, FULL, MUSIC_RUBRIC, dance_fault_sizes, label, label_from_marks, music_fault_sizes

DANCE_FAULTS = sorted({f for w in DANCE_RUBRIC.values() for f in w})
MUSIC_FAULTS = sorted({f for w in MUSIC_RUBRIC.values() for f in w})


@pytest.mark.parametrize("discipline,faults", [("dance", DANCE_FAULTS), ("music", MUSIC_FAULTS)])
def test_every_label_is_non_increasing_in_every_fault_and_some_strictly(discipline, faults):
    rng = np.random.default_rng(0)
    for fault in faults:
        for _ in range(20):
            base = {f: float(rng.uniform(0, FULL[f])) for f in faults}
            worse = dict(base, **{fault: base[fault] + 0.3 * FULL[fault]})
            a, b = label(discipline, base), label(discipline, worse)
            for name in SUBSCORES:
                if not math.isnan(a.subscores[name]):
                    assert b.subscores[name] <= a.subscores[name] + 1e-9, (fault, name)
            assert b.overall <= a.overall + 1e-9
            assert GRADES.index(b.grade) >= GRADES.index(a.grade)
        zero = {f: 0.0 for f in faults}
        assert label(discipline, dict(zero, **{fault: FULL[fault]})).overall < label(discipline, zero).overall


def test_clean_performances_get_full_marks_and_the_worst_an_e():
    clean = label("dance", dance_fault_sizes({}, 16))
    assert clean.subscores == {n: 100.0 for n in SUBSCORES} and clean.grade == "A"
    worst = label("dance", {f: FULL[f] for f in DANCE_FAULTS})
    assert worst.overall == 0.0 and worst.grade == "E"
    music = label("music", music_fault_sizes({}, {"dynamics": 30, "rubato": 0.3}))
    assert math.isnan(music.subscores["sync"]) and music.overall == 100.0


def test_nuisance_music_faults_cost_nothing():
    expressive = {"dynamics": 30, "rubato": 0.3}
    plain = label("music", music_fault_sizes({}, expressive))
    shifted = label("music", music_fault_sizes({"onset_offset_ms": 80, "drift_ms_per_s": 20}, expressive))
    assert shifted.overall == plain.overall


def test_fault_sizes_read_the_generators_parameters():
    sizes = dance_fault_sizes({"timing_offset_s": -0.1, "amplitude": 0.7, "freeze_beats": (3, 4),
                               "mirror_beats": [5]}, n_beats=20)
    assert sizes["timing_offset_s"] == 0.1 and sizes["amplitude_loss"] == pytest.approx(0.3)
    assert sizes["freeze_fraction"] == 0.1 and sizes["mirror_fraction"] == 0.05
    m = music_fault_sizes({"flat_dynamics": True, "detune_cents": -20}, {"dynamics": 30, "rubato": 0.15})
    assert m["flat_dynamics"] == 1.0 and m["detune_cents"] == 20 and m["no_rubato"] == pytest.approx(0.5)


def test_marks_become_labels_with_the_contracts_overall_and_bands():
    lab = label_from_marks({"rhythm": 80, "technique": 60, "expression": 70, "interpretation": None, "sync": None})
    # weights 0.25, 0.25, 0.15 renormalised over the marks given
    assert lab.overall == pytest.approx((0.25 * 80 + 0.25 * 60 + 0.15 * 70) / 0.65)
    assert lab.overall == pytest.approx(70.0) and lab.grade == "B" and math.isnan(lab.subscores["sync"])
    assert label_from_marks({"rhythm": 90}, overall=86.0).grade == "A"
