"""A performer's student model, computed from the stored assessments.

Per skill, the measured values (carried forward when an assessment does not measure it, never
invented) give the moving average and the forecast over the last W measurements of that skill.
ASM is known from the first assessment after which all four skills have been measured once;
LP is the regression slope of ASM over the last W assessments (see progress.py). A skill that
has never been measured stays None, and the recommendation asks for it to be assessed first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .observation import ACTIONS, RECENT, SKILLS, build_observation
from .progress import forecast, learning_pace, moving_average
from .store import StoredAssessment

FLAT_LP = 0.5   # |LP| below half an ASM point per assessment reads as "flat"


@dataclass(frozen=True)
class StudentState:
    performer: str
    discipline: str | None
    assessments: int
    latest: dict[str, float | None]           # last measured value of each skill
    moving_average: dict[str, float | None]
    forecast: dict[str, float | None]
    asm: float | None                         # from the moving averages
    lp: float | None                          # ASM points per assessment
    preferences: dict[str, float]
    recent_tasks: list[str]

    def to_dict(self) -> dict:
        return {"performer": self.performer, "discipline": self.discipline, "assessments": self.assessments,
                "latest": self.latest, "moving_average": self.moving_average, "asm": self.asm, "lp": self.lp,
                "forecast": self.forecast, "preferences": self.preferences, "recent_tasks": self.recent_tasks}

    @property
    def unmeasured(self) -> list[str]:
        return [s for s in SKILLS if self.latest[s] is None]

    def observation(self) -> np.ndarray:
        if self.unmeasured:
            raise ValueError(f"skills never measured: {', '.join(self.unmeasured)}")
        recent = [ACTIONS.index(a) for a in self.recent_tasks]
        recent = [-1] * (RECENT - len(recent)) + recent[-RECENT:]
        return build_observation(np.array([self.moving_average[s] for s in SKILLS]), self.lp,
                                 np.array([self.preferences[a] for a in ACTIONS]), np.array(recent))


def student_state(performer: str, history: list[StoredAssessment], preferences: dict[str, float],
                  recent_tasks: list[str], window: int) -> StudentState:
    measured: dict[str, list[float]] = {s: [] for s in SKILLS}
    carried: dict[str, float | None] = {s: None for s in SKILLS}
    asm_series: list[float] = []
    for assessment in history:
        for s in SKILLS:
            value = assessment.skills[s]
            if value is not None:
                measured[s].append(value)
                carried[s] = value
        if all(v is not None for v in carried.values()):
            asm_series.append(sum(carried.values()) / len(SKILLS))
    average = {s: float(moving_average(v, window)) if v else None for s, v in measured.items()}
    ahead = {s: float(forecast(v, window)) if v else None for s, v in measured.items()}
    known = [average[s] for s in SKILLS]
    return StudentState(
        performer=performer,
        discipline=history[-1].discipline if history else None,
        assessments=len(history),
        latest=carried,
        moving_average=average,
        forecast=ahead,
        asm=sum(known) / len(known) if all(v is not None for v in known) else None,
        lp=float(learning_pace(asm_series, window)) if asm_series else None,
        preferences=preferences,
        recent_tasks=recent_tasks,
    )
