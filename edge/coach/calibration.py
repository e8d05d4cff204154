"""Rubric points → the coach's skill scale (the scale the simulated students, and so the policy, live on).

The rubric scores one *performance* on 0–100 and grades it (edge/config/scoring.py: A ≥ 85, B ≥ 70,
C ≥ 55, D ≥ 40, E below). The policy was trained on simulated students whose *skills* are on 0–100 too,
but a different 0–100: the cohorts start at a mean skill of 20 (beginner), 44.5 (intermediate) and
68.5 (advanced) (training/coach/students.py START_MEAN, mean of TP, ME, SR, IS). Feeding rubric
points straight in would tell the policy that a grade-C performer (55–70 points) is an advanced
student. So the box maps points to skill with a derived, monotone piecewise-linear curve:

    rubric points   0    40 (D)   55 (C)   70 (B)   85 (A)   100
    skill           0    20       32.25    44.5     68.5     100
                         beginner  halfway  intermediate advanced

The anchors pair the rubric's grade thresholds with the simulator's cohort means: a performance that
just passes (D) is what the typical beginner produces, a B what the typical intermediate student
produces, an A what the typical advanced student produces; C sits halfway between beginner and
intermediate; 0 and 100 stay put. It is derived, not fitted: there are no real performers with both
a rubric score and a known skill to fit to. tests/coach/test_coach_round2.py checks the anchors
against the simulator's START_MEAN and the default grade thresholds, so neither can drift alone.
"""

from __future__ import annotations

import bisect

CALIBRATION_VERSION = "rubric-to-skill/1"

# (rubric points, skill) anchors, strictly increasing in both.
RUBRIC_GRADES = {"D": 40.0, "C": 55.0, "B": 70.0, "A": 85.0}          # edge/config/scoring.py defaults
COHORT_MEAN_SKILL = {"beginner": 20.0, "intermediate": 44.5, "advanced": 68.5}
ANCHORS: tuple[tuple[float, float], ...] = (
    (0.0, 0.0),
    (RUBRIC_GRADES["D"], COHORT_MEAN_SKILL["beginner"]),
    (RUBRIC_GRADES["C"], (COHORT_MEAN_SKILL["beginner"] + COHORT_MEAN_SKILL["intermediate"]) / 2),
    (RUBRIC_GRADES["B"], COHORT_MEAN_SKILL["intermediate"]),
    (RUBRIC_GRADES["A"], COHORT_MEAN_SKILL["advanced"]),
    (100.0, 100.0),
)
_X = [a[0] for a in ANCHORS]
_Y = [a[1] for a in ANCHORS]


def _interp(value: float, xs: list[float], ys: list[float]) -> float:
    if not 0.0 <= value <= 100.0:
        raise ValueError(f"{value:g} is outside 0–100")
    i = min(max(bisect.bisect_right(xs, value) - 1, 0), len(xs) - 2)
    x0, x1, y0, y1 = xs[i], xs[i + 1], ys[i], ys[i + 1]
    return y0 + (y1 - y0) * (value - x0) / (x1 - x0)


def skill_from_points(points: float) -> float:
    """The skill level (simulator scale) that a rubric score of `points` stands for."""
    return _interp(float(points), _X, _Y)


def points_from_skill(skill: float) -> float:
    """The inverse: the rubric points a performer of this skill is expected to score."""
    return _interp(float(skill), _Y, _X)
