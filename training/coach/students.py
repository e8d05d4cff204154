"""Simulated students: 50 profiles in three cohorts, drawn reproducibly from a seed.

A profile is what stays fixed about a student: where each skill starts, how fast they learn,
how often a task goes wrong (slip), how fast unpractised skills fade, how engaged they start,
and which task types they like. Every session of that student starts from the profile.

Cohorts (the issue's description; numbers are this project's assumptions, see docs/coach.md):
- beginner: low start, higher error (slip 0.25), slower progress (learning rate 3)
- intermediate: mid start, slip 0.12, learning rate 5
- advanced: high technique and sight-reading, expression and interpretation lag behind
  ("needs expressive and interpretive refinement"), slip 0.05, learning rate 5

Training, validation and held-out profiles come from disjoint seed ranges (TRAIN_SEED_BASE,
VALIDATION_SEED_BASE, HELDOUT_SEED_BASE; run seeds below SEED_RANGE), so the evaluation never sees a
student the agent trained on, and anything chosen on validation students (a threshold, a
hyper-parameter, the shipped seed) is chosen without looking at the held-out ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COHORTS = ("beginner", "intermediate", "advanced")
# Mean starting skill (TP, ME, SR, IS) per cohort; each profile adds N(0, START_SPREAD) per skill.
START_MEAN = {
    "beginner": (25.0, 22.0, 18.0, 15.0),
    "intermediate": (50.0, 45.0, 45.0, 38.0),
    "advanced": (82.0, 62.0, 75.0, 55.0),
}
START_SPREAD = 6.0
LEARNING_RATE = {"beginner": 3.0, "intermediate": 5.0, "advanced": 5.0}  # skill points per task at full headroom
SLIP = {"beginner": 0.25, "intermediate": 0.12, "advanced": 0.05}        # chance a task teaches nothing
ENGAGEMENT_MEAN = {"beginner": 0.60, "intermediate": 0.65, "advanced": 0.70}
ENGAGEMENT_SPREAD = 0.10
FORGET_MEAN, FORGET_SPREAD = 0.6, 0.15  # points lost per task by a fully faded skill at 100
LEARNING_RATE_SPREAD = 0.15             # relative, per profile
PREFERENCE_CONCENTRATION = 2.0          # Dirichlet; 2 gives mild, varied likes and dislikes

N_PROFILES = 50
COHORT_SIZES = (17, 17, 16)
TRAIN_SEED_BASE = 1_000
VALIDATION_SEED_BASE = 500_000
HELDOUT_SEED_BASE = 900_000
SEED_RANGE = 100_000      # run seeds 0 … SEED_RANGE − 1 keep the three ranges apart


@dataclass(frozen=True)
class Profiles:
    """Arrays over N students (struct of arrays, so the simulator can vectorise)."""

    cohort: np.ndarray          # (N,) index into COHORTS
    start_skills: np.ndarray    # (N, 4) on 0–100
    learning_rate: np.ndarray   # (N,)
    slip: np.ndarray            # (N,)
    forget: np.ndarray          # (N,)
    engagement: np.ndarray      # (N,) starting engagement in [0, 1]
    preferences: np.ndarray     # (N, 4) over TE, EP, SRP, CIT; sums to 1

    def __len__(self) -> int:
        return len(self.cohort)

    def subset(self, index) -> "Profiles":
        return Profiles(*(getattr(self, f)[index] for f in self.__dataclass_fields__))


def draw_profiles(seed: int, n: int = N_PROFILES, cohort_sizes: tuple[int, ...] = COHORT_SIZES) -> Profiles:
    if sum(cohort_sizes) != n:
        raise ValueError(f"cohort sizes {cohort_sizes} do not add up to {n}")
    rng = np.random.default_rng(seed)
    cohort = np.repeat(np.arange(len(COHORTS)), cohort_sizes)
    names = [COHORTS[c] for c in cohort]
    start = np.array([START_MEAN[c] for c in names]) + rng.normal(0.0, START_SPREAD, size=(n, 4))
    rate = np.array([LEARNING_RATE[c] for c in names]) * np.clip(rng.normal(1.0, LEARNING_RATE_SPREAD, n), 0.5, 1.5)
    return Profiles(
        cohort=cohort,
        start_skills=np.clip(start, 0.0, 100.0),
        learning_rate=rate,
        slip=np.array([SLIP[c] for c in names]),
        forget=np.clip(rng.normal(FORGET_MEAN, FORGET_SPREAD, n), 0.2, 2.0),
        engagement=np.clip(np.array([ENGAGEMENT_MEAN[c] for c in names])
                           + rng.normal(0.0, ENGAGEMENT_SPREAD, n), 0.05, 1.0),
        preferences=rng.dirichlet(np.full(4, PREFERENCE_CONCENTRATION), size=n),
    )


def training_profiles(run_seed: int) -> Profiles:
    return draw_profiles(TRAIN_SEED_BASE + run_seed)


def validation_profiles(run_seed: int) -> Profiles:
    return draw_profiles(VALIDATION_SEED_BASE + run_seed)


def heldout_profiles(run_seed: int) -> Profiles:
    return draw_profiles(HELDOUT_SEED_BASE + run_seed)
