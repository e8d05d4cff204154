"""How simulated students respond to practice. One step = one practice task + one assessment.

Vectorised over a batch of students (the gymnasium env runs a batch of one; evaluation runs a
whole held-out cohort at once). The dynamics were fixed before any agent was tuned (see git
history); docs/coach.md gives the reasoning and sources. Per task, for the practised skill k:

    gain_k   = rate · headroom_k · prerequisite(a) · (0.5 + engagement) · outcome · success
    headroom = 1 − s/100                      diminishing returns near mastery (power law of
                                              practice, Newell & Rosenbloom 1981)
    prerequisite(a)                           expressive/interpretive work needs technique first;
                                              too hard a task teaches little (Vygotsky's ZPD)
    outcome  ~ N(1, 0.10)                     σ = 10 % on the performance outcome of the task
    success  ~ Bernoulli(1 − slip)            beginners' "higher error"
    transfer: the related skill gains TRANSFER × its own would-be gain
              (TE↔SR share reading-at-the-instrument, EP↔IS share musical intent)
    forgetting of every skill not practised: forget · s/100 · (1 − exp(−τ/3)), τ = tasks since
              it was last practised (Ebbinghaus-style decay that grows with neglect)
    engagement += 0.15·(fit − ½) + 0.2·(preference − ¼) − 0.15·monotony − 0.05·[slip]
              fit = prerequisite · min(1, headroom / 0.3): rises with a fitting challenge,
              falls when a task is too hard or nearly mastered (flow, Csikszentmihalyi 1990);
              monotony = share of this task among the last 3 tasks.

The assessment the agent sees is the true skill + N(0, 5) points (σ = 5 % of the 0–100 scale).
The reward uses the true skills: paying the agent for assessment noise would teach it nothing.

    R = ΔASM + λ·ΔLP − p,   LP = ΔASM per task,   p = Σ_i w_i·|Δs_i| over skills that declined
    λ = 0.5, w_i = 0.25 for every skill: a point lost costs twice a point gained in ASM
    (ASM already counts it with 1/4), the usual ≈2× loss aversion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.coach.observation import RECENT, build_observation
from edge.coach.progress import learning_pace, moving_average

from .students import Profiles

TE, EP, SRP, CIT = range(4)
TP, ME, SR, IS = range(4)

# Related skill that a task also trains, and how much (fraction of that skill's own gain).
TRANSFER_TARGET = np.array([SR, IS, TP, ME])
TRANSFER_FRACTION = np.array([0.25, 0.30, 0.25, 0.30])


@dataclass(frozen=True)
class Dynamics:
    observation_noise: float = 5.0        # σ of an assessment, skill points (5 % of 0–100)
    outcome_noise: float = 0.10           # σ of a task's outcome, relative
    forgetting_time: float = 3.0          # tasks of neglect until 63 % of full decay
    fit_headroom: float = 0.30            # headroom at which a task is fully worth doing
    engagement_fit: float = 0.15
    engagement_preference: float = 0.20
    engagement_monotony: float = 0.15
    engagement_slip: float = 0.05
    lp_weight: float = 0.5                # λ
    decline_weights: tuple[float, float, float, float] = (0.25, 0.25, 0.25, 0.25)   # w_i


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def prerequisite(actions: np.ndarray, skills: np.ndarray) -> np.ndarray:
    """How much of a task a student can take in, from their technique (and expression for CIT).

    TE needs nothing; SRP needs a little technique (half at TP 20); EP needs more (half at TP 35);
    CIT needs both technique and expression (half at min(TP, ME) 45).
    """
    tp, me = skills[:, TP], skills[:, ME]
    table = np.stack([
        np.ones_like(tp),
        _sigmoid((tp - 35.0) / 8.0),
        _sigmoid((tp - 20.0) / 8.0),
        _sigmoid((np.minimum(tp, me) - 45.0) / 8.0),
    ], axis=1)
    return table[np.arange(len(actions)), actions]


def reward_terms(before: np.ndarray, after: np.ndarray, last_lp: np.ndarray, dyn: Dynamics):
    """(reward, ΔASM, LP, penalty) from true skills before and after one task."""
    delta = after - before
    delta_asm = delta.mean(axis=1)
    lp = delta_asm                                  # Δt = one task
    penalty = (np.maximum(-delta, 0.0) * np.asarray(dyn.decline_weights)).sum(axis=1)
    reward = delta_asm + dyn.lp_weight * (lp - last_lp) - penalty
    return reward, delta_asm, lp, penalty


class Classroom:
    """A batch of students in one session. `reset()` then `step(actions)` once per task."""

    def __init__(self, profiles: Profiles, rng: np.random.Generator, window: int = 3,
                 dynamics: Dynamics = Dynamics()):
        self.profiles = profiles
        self.rng = rng
        self.window = window
        self.dyn = dynamics
        self.n = len(profiles)

    def reset(self) -> np.ndarray:
        p = self.profiles
        self.skills = p.start_skills.astype(np.float64).copy()
        self.engagement = p.engagement.astype(np.float64).copy()
        self.since_practised = np.zeros((self.n, 4))
        self.recent = np.full((self.n, RECENT), -1, dtype=np.int64)
        self.last_lp = np.zeros(self.n)
        self.assessments: list[np.ndarray] = [self._assess()]   # a placement assessment
        return self.observation()

    def _assess(self) -> np.ndarray:
        noisy = self.skills + self.rng.normal(0.0, self.dyn.observation_noise, size=self.skills.shape)
        return np.clip(noisy, 0.0, 100.0)

    def observation(self) -> np.ndarray:
        history = np.stack(self.assessments[-self.window:], axis=-1)      # (N, 4, ≤W)
        skill_average = moving_average(history, self.window)
        lp = learning_pace(history.mean(axis=1), self.window)
        return build_observation(skill_average, lp, self.profiles.preferences, self.recent)

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
        a = np.asarray(actions, dtype=np.int64).reshape(self.n)
        rows = np.arange(self.n)
        dyn, p = self.dyn, self.profiles
        before = self.skills

        prereq = prerequisite(a, before)
        headroom = 1.0 - before / 100.0                                   # (N, 4)
        outcome = np.maximum(self.rng.normal(1.0, dyn.outcome_noise, self.n), 0.0)
        success = self.rng.random(self.n) >= p.slip
        drive = p.learning_rate * prereq * (0.5 + self.engagement) * outcome * success

        delta = np.zeros((self.n, 4))
        delta[rows, a] += drive * headroom[rows, a]
        related = TRANSFER_TARGET[a]
        delta[rows, related] += TRANSFER_FRACTION[a] * drive * headroom[rows, related]

        self.since_practised += 1.0
        self.since_practised[rows, a] = 0.0
        fade = 1.0 - np.exp(-self.since_practised / dyn.forgetting_time)  # 0 for the practised skill
        delta -= p.forget[:, None] * (before / 100.0) * fade

        monotony = (self.recent == a[:, None]).sum(axis=1) / RECENT
        fit = prereq * np.minimum(1.0, headroom[rows, a] / dyn.fit_headroom)
        preference = p.preferences[rows, a]
        self.engagement = np.clip(
            self.engagement
            + dyn.engagement_fit * (fit - 0.5)
            + dyn.engagement_preference * (preference - 0.25)
            - dyn.engagement_monotony * monotony
            - dyn.engagement_slip * ~success,
            0.0, 1.0)

        self.skills = np.clip(before + delta, 0.0, 100.0)
        reward, delta_asm, lp, penalty = reward_terms(before, self.skills, self.last_lp, dyn)
        self.last_lp = lp
        self.recent = np.concatenate([self.recent[:, 1:], a[:, None]], axis=1)
        assessment = self._assess()
        self.assessments.append(assessment)
        del self.assessments[:-self.window]
        info = {
            "skills": self.skills.copy(), "assessment": assessment, "engagement": self.engagement.copy(),
            "delta_asm": delta_asm, "penalty": penalty, "outcome": outcome, "success": success,
            "prerequisite": prereq, "fit": fit,
        }
        return self.observation(), reward, info
