"""A performer's student model, computed from the stored assessments the way the simulator computes it.

The simulator (training/coach/simulator.py) measures all four skills at every assessment and builds
the policy's inputs from the last W rows of that assessment matrix: per-skill moving average, LP as
the slope of the rows' mean (ASM), the last tasks practised. The box's assessments measure only some
skills each time (sight-reading only on a first attempt, interpretation only against a reference), so
it first completes the matrix, then runs the very same functions (progress.py, observation.py):

- **imputation**: a skill an assessment does not measure takes its last measured value (carried
  forward), from the first assessment at which every skill has been measured once;
- **age**: how many assessments ago each skill was last measured (0: in the latest one);
- **fresh** (age < W): at least one real measurement in the window the policy averages over;
- **stale** (W ≤ age < STALE_LIMIT·W): the whole window is carried values. The policy is still
  consulted, but the state, the reason and the confidence say which skill is stale and how old;
- **expired** (age ≥ STALE_LIMIT·W) or never measured: no value is given to the policy; the
  recommendation is the task that measures it (recommend.py).

STALE_LIMIT·W = 6 assessments (W = 3): in the simulator a skill's true value moves by a median of
1.9 and a 90th percentile of 6.4 points over 6 tasks (random policy, 1,000 students, see docs/coach.md),
as much as one assessment's own noise (σ = 5); a value carried longer is worse than a new measurement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .observation import ACTIONS, RECENT, SKILLS, build_observation
from .progress import forecast, learning_pace, moving_average
from .store import StoredAssessment

FLAT_LP = 0.5     # |LP| below half an ASM point per assessment reads as "flat"
STALE_LIMIT = 2   # in windows: a skill unmeasured for STALE_LIMIT·W assessments is measured again first


@dataclass(frozen=True)
class StudentState:
    performer: str
    discipline: str | None
    assessments: int
    latest: dict[str, float | None]           # last measured value of each skill
    moving_average: dict[str, float | None]   # over the last W rows of the completed matrix
    forecast: dict[str, float | None]
    asm: float | None                         # from the moving averages
    lp: float | None                          # ASM points per assessment
    preferences: dict[str, float]
    recent_tasks: list[str]
    age: dict[str, int | None] = field(default_factory=dict)          # assessments since last measured
    window: int = 3
    recent_sources: list[str] = field(default_factory=list)            # practised / recommended, per task

    def to_dict(self) -> dict:
        return {"performer": self.performer, "discipline": self.discipline, "assessments": self.assessments,
                "latest": self.latest, "moving_average": self.moving_average, "asm": self.asm, "lp": self.lp,
                "forecast": self.forecast, "preferences": self.preferences, "recent_tasks": self.recent_tasks,
                "recent_sources": self.recent_sources, "age": self.age, "stale": self.stale,
                "expired": self.expired}

    @property
    def unmeasured(self) -> list[str]:
        """Never measured: the policy cannot be asked."""
        return [s for s in SKILLS if self.latest[s] is None]

    @property
    def expired(self) -> list[str]:
        """Measured, but too long ago to stand in for the skill now: measured again first."""
        return [s for s in SKILLS if self.age.get(s) is not None and self.age[s] >= STALE_LIMIT * self.window]

    @property
    def stale(self) -> list[str]:
        """The whole window is carried values, but not yet expired."""
        return [s for s in SKILLS if self.age.get(s) is not None and self.window <= self.age[s] < STALE_LIMIT * self.window]

    @property
    def needs_measuring(self) -> list[str]:
        return self.unmeasured + self.expired

    def observation(self) -> np.ndarray:
        if self.needs_measuring:
            raise ValueError(f"skills to measure first: {', '.join(self.needs_measuring)}")
        recent = [ACTIONS.index(a) for a in self.recent_tasks]
        recent = [-1] * (RECENT - len(recent)) + recent[-RECENT:]
        return build_observation(np.array([self.moving_average[s] for s in SKILLS]), self.lp,
                                 np.array([self.preferences[a] for a in ACTIONS]), np.array(recent))


def assessment_matrix(history: list[StoredAssessment]) -> np.ndarray:
    """Rows = assessments from the first at which every skill is known, columns = TP, ME, SR, IS;
    a skill not measured in a row carries its last measurement. Shape (n, 4), n may be 0."""
    carried: dict[str, float | None] = {s: None for s in SKILLS}
    rows = []
    for assessment in history:
        for s in SKILLS:
            if assessment.skills[s] is not None:
                carried[s] = assessment.skills[s]
        if all(v is not None for v in carried.values()):
            rows.append([carried[s] for s in SKILLS])
    return np.array(rows, dtype=np.float64).reshape(-1, len(SKILLS))


def student_state(performer: str, history: list[StoredAssessment], preferences: dict[str, float],
                  recent_tasks: list[str], window: int, recent_sources: list[str] | None = None) -> StudentState:
    latest: dict[str, float | None] = {s: None for s in SKILLS}
    age: dict[str, int | None] = {s: None for s in SKILLS}
    measured: dict[str, list[float]] = {s: [] for s in SKILLS}
    for i, assessment in enumerate(history):
        for s in SKILLS:
            value = assessment.skills[s]
            if value is not None:
                latest[s] = value
                age[s] = len(history) - 1 - i
                measured[s].append(value)
    matrix = assessment_matrix(history)
    if len(matrix):
        # exactly the simulator's computation (Classroom.observation) on the completed matrix
        tail = matrix[-window:].T                                   # (4, ≤W)
        average = dict(zip(SKILLS, moving_average(tail, window).tolist()))
        ahead = dict(zip(SKILLS, forecast(tail, window).tolist()))
        lp = float(learning_pace(tail.mean(axis=0), window))
        asm = sum(average.values()) / len(SKILLS)
    else:
        # not every skill measured yet: what there is, for showing; the policy is not asked
        average = {s: float(moving_average(v, window)) if v else None for s, v in measured.items()}
        ahead = {s: float(forecast(v, window)) if v else None for s, v in measured.items()}
        lp, asm = None, None
    return StudentState(
        performer=performer,
        discipline=history[-1].discipline if history else None,
        assessments=len(history),
        latest=latest,
        moving_average=average,
        forecast=ahead,
        asm=asm,
        lp=lp,
        preferences=preferences,
        recent_tasks=recent_tasks,
        age=age,
        window=window,
        recent_sources=list(recent_sources) if recent_sources is not None else ["recommended"] * len(recent_tasks),
    )
