"""The judging rubric of the synthetic corpus: fault parameters → sub-score labels, overall, grade.

Every fault has a *severity* u in [0, 1]: its size divided by the size at which a judge would take
off everything that fault can cost (`FULL`), capped at 1. Each sub-score starts at 100 and loses
100 × Σ weight × u over the faults that belong to it (`DANCE_RUBRIC`, `MUSIC_RUBRIC`; the weights of
one sub-score sum to 1, so it ends in 0–100). Every label is therefore non-increasing in every
fault's severity, and linear in it until the cap. `overall` and `grade` come from the project's own
`overall_score` and `grade_of` with the default weights and bands (edge/config/scoring.py), so a
label means what a rubric score means.

Two "faults" of music are not penalised, on purpose: a constant onset offset and a steady drift
are indistinguishable, without a click or accompaniment, from a slightly different start or tempo
— no listener can hear them — so they are generated as nuisance variation only.

`docs/scorers.md` prints the tables below and explains the choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from edge.config.scoring import GradesConfig, WeightsConfig
from edge.scoring.result import GRADES, SUBSCORES, grade_of, overall_score

RUBRIC_VERSION = "perfscore.rubric-labels/2"   # 2: docs/scoring.md's one meaning per sub-score
# The *without a reference* task (learned scorers, round 2) labels the same tables with the faults that
# need the score or choreography to be seen left out, and no interpretation sub-score: what the rubric
# can judge from the recording alone. Version 2's tables put every reference-only fault under
# interpretation, so these labels are version 2's other four sub-scores, unchanged.
VISIBLE_RUBRIC_VERSION = "perfscore.rubric-labels/2+visible-only"
REFERENCE_ONLY = frozenset({"mirror_fraction", "pose_deviation_deg", "wrong_note_rate", "missed_note_rate"})
TASKS = ("with_reference", "without_reference")

# Size of each fault at which it costs all it can (severity 1).
FULL = {
    # dance
    "timing_offset_s": 0.20,        # |offset| against the beat, s (beat periods here are 0.43–0.67 s)
    "timing_jitter_s": 0.10,        # std of per-beat timing error, s
    "amplitude_loss": 0.60,         # 1 − amplitude (0.4 = movement 40 % of the way to standing still)
    "freeze_fraction": 0.30,        # share of beats frozen
    "mirror_fraction": 0.40,        # share of beats danced mirror-image
    "jerkiness": 0.80,              # 0 smooth … 1 stop-motion
    "pose_deviation_deg": 25.0,     # std of the rotation added to every joint
    # music
    "onset_jitter_ms": 60.0,
    "tempo_instability": 0.08,      # std of the per-beat log-tempo walk
    "wrong_note_rate": 0.30,
    "missed_note_rate": 0.30,
    "detune_cents": 50.0,           # |whole performance sharp or flat|
    "pitch_jitter_cents": 35.0,
    "flat_dynamics": 1.0,           # 1 − (phrase dynamics depth / 30 velocity steps), 1 when flattened
    "no_rubato": 1.0,               # 1 − (phrase-end rubato / 0.3)
}

# sub-score -> {fault: weight}; weights of a sub-score sum to 1. The meanings are docs/scoring.md's, shared
# with the rubric (edge/scoring/rubric/): rhythm = the performer's own pulse; sync = movement on the music's
# beat; technique = clean execution, judged without knowing the piece; expression = dynamics and energy;
# interpretation = faithfulness to the score or choreography (its notes or moves, and its phrasing).
DANCE_RUBRIC: dict[str, dict[str, float]] = {
    "rhythm": {"timing_jitter_s": 0.60, "freeze_fraction": 0.40},
    "sync": {"timing_offset_s": 0.65, "timing_jitter_s": 0.35},
    "technique": {"jerkiness": 1.0},
    "expression": {"amplitude_loss": 0.55, "freeze_fraction": 0.45},
    "interpretation": {"mirror_fraction": 0.60, "pose_deviation_deg": 0.40},
}
MUSIC_RUBRIC: dict[str, dict[str, float]] = {
    "rhythm": {"onset_jitter_ms": 0.55, "tempo_instability": 0.45},
    "technique": {"detune_cents": 0.55, "pitch_jitter_cents": 0.45},
    "expression": {"flat_dynamics": 0.40, "no_rubato": 0.25, "tempo_instability": 0.35},
    "interpretation": {"wrong_note_rate": 0.45, "missed_note_rate": 0.30, "flat_dynamics": 0.15, "no_rubato": 0.10},
}
for _rubric in (DANCE_RUBRIC, MUSIC_RUBRIC):
    for _name, _weights in _rubric.items():
        assert abs(sum(_weights.values()) - 1.0) < 1e-9, _name


@dataclass(frozen=True)
class Labels:
    """Targets of one performance. Sub-scores are 0–100 or NaN where they do not apply."""
    subscores: dict[str, float]
    overall: float
    grade: str
    severities: dict[str, float]

    @property
    def grade_index(self) -> int:
        return GRADES.index(self.grade)

    def vector(self) -> np.ndarray:
        return np.array([self.subscores.get(n, np.nan) for n in SUBSCORES], np.float32)


def severity(fault: str, size: float) -> float:
    return float(min(max(size, 0.0) / FULL[fault], 1.0))


def dance_fault_sizes(faults: Mapping, n_beats: int) -> dict[str, float]:
    """DanceFaults (as a dict) → the sizes the rubric reads. Freezes and mirrors count beats of the clip."""
    n = max(int(n_beats), 1)
    return {
        "timing_offset_s": abs(float(faults.get("timing_offset_s", 0.0))),
        "timing_jitter_s": float(faults.get("timing_jitter_s", 0.0)),
        "amplitude_loss": max(0.0, 1.0 - float(faults.get("amplitude", 1.0))),
        "freeze_fraction": len(faults.get("freeze_beats", ())) / n,
        "mirror_fraction": len(faults.get("mirror_beats", ())) / n,
        "jerkiness": float(faults.get("jerkiness", 0.0)),
        "pose_deviation_deg": float(faults.get("pose_deviation_deg", 0.0)),
    }


def music_fault_sizes(faults: Mapping, expression: Mapping) -> dict[str, float]:
    """performance.Faults and Expression (as dicts) → the sizes the rubric reads."""
    dynamics = 0.0 if faults.get("flat_dynamics", False) else float(expression.get("dynamics", 0.0))
    return {
        "onset_jitter_ms": float(faults.get("onset_jitter_ms", 0.0)),
        "tempo_instability": float(faults.get("tempo_instability", 0.0)),
        "wrong_note_rate": float(faults.get("wrong_note_rate", 0.0)),
        "missed_note_rate": float(faults.get("missed_note_rate", 0.0)),
        "detune_cents": abs(float(faults.get("detune_cents", 0.0))),
        "pitch_jitter_cents": float(faults.get("pitch_jitter_cents", 0.0)),
        "flat_dynamics": max(0.0, 1.0 - dynamics / 30.0),
        "no_rubato": max(0.0, 1.0 - float(expression.get("rubato", 0.0)) / 0.3),
    }


def label(discipline: str, sizes: Mapping[str, float], weights: WeightsConfig = WeightsConfig(),
          grades: GradesConfig = GradesConfig(), *, visible_only: bool = False) -> Labels:
    """Sub-scores, overall and grade of a performance with the given fault sizes.

    `visible_only`: the without-a-reference labels (VISIBLE_RUBRIC_VERSION): interpretation is NaN and
    no reference-only fault (REFERENCE_ONLY) costs anything; overall over the four others, as the
    contract's `overall_score` renormalises when a sub-score does not apply."""
    rubric = DANCE_RUBRIC if discipline == "dance" else MUSIC_RUBRIC
    sev = {fault: severity(fault, sizes.get(fault, 0.0)) for fault in FULL if fault in sizes}
    if visible_only:
        sev = {fault: (0.0 if fault in REFERENCE_ONLY else u) for fault, u in sev.items()}
    subs: dict[str, float] = {}
    for name in SUBSCORES:
        if name not in rubric or (visible_only and name == "interpretation"):
            subs[name] = float("nan")
            continue
        penalty = sum(w * sev.get(fault, 0.0) for fault, w in rubric[name].items())
        subs[name] = float(np.clip(100.0 * (1.0 - penalty), 0.0, 100.0))
    overall = overall_score({k: (None if np.isnan(v) else v) for k, v in subs.items()}, weights)
    return Labels(subs, float(overall), grade_of(overall, grades), sev)


def label_from_marks(marks: Mapping[str, float | None], overall: float | None = None,
                     weights: WeightsConfig = WeightsConfig(), grades: GradesConfig = GradesConfig()) -> Labels:
    """Labels from judges' marks (missing sub-scores NaN); overall from the marks when not given."""
    subs = {n: (float("nan") if marks.get(n) is None else float(marks[n])) for n in SUBSCORES}
    if overall is None:
        overall = overall_score({k: (None if np.isnan(v) else v) for k, v in subs.items()}, weights)
    if overall is None:
        raise ValueError("no sub-score and no overall: nothing to learn from")
    return Labels(subs, float(overall), grade_of(float(overall), grades), {})
