"""What the policy network sees, normalised to [0, 1]. Shared by the simulator and the box.

Layout (13 floats), fixed: a trained policy is only valid for this exact layout, so the
version below goes into the model's manifest entry and the box refuses a mismatch.

    0-3   TP, ME, SR, IS   moving average of the last W assessments of each skill, / 100
    4     LP               learning pace (ASM points per assessment), min-max from LP_RANGE
    5-8   P                preference profile over the four task types (sums to 1)
    9-12  recent tasks     share of each task type among the last RECENT tasks

The recent-task shares are the one addition to the method's S = [TP, ME, SR, IS, LP, P]:
engagement falls with monotony, and a policy that cannot see what it just asked for
cannot avoid repeating itself.
"""

from __future__ import annotations

import numpy as np

from .vocabulary import ACTION_NAMES, ACTION_SKILL, ACTIONS, SKILL_NAMES, SKILLS  # noqa: F401  (re-exported)

OBSERVATION_VERSION = "coach-observation/1"

SKILL_MAX = 100.0
# Learning pace beyond ±5 ASM points per assessment is clipped: the simulator's fastest
# learners gain about 3 points per task, so ±5 keeps real differences and bounds noise.
LP_RANGE = (-5.0, 5.0)
RECENT = 3
OBS_DIM = 4 + 1 + 4 + 4


def normalise_lp(lp: np.ndarray | float) -> np.ndarray:
    lo, hi = LP_RANGE
    return np.clip((np.asarray(lp, dtype=np.float64) - lo) / (hi - lo), 0.0, 1.0)


def recent_shares(recent_actions: np.ndarray) -> np.ndarray:
    """Share of each task type among the last RECENT tasks; -1 marks "no task yet".

    `recent_actions` has shape (..., RECENT) of action indices, oldest first.
    """
    recent_actions = np.asarray(recent_actions)
    counts = np.stack([(recent_actions == a).sum(axis=-1) for a in range(len(ACTIONS))], axis=-1)
    return counts / float(RECENT)


def build_observation(skill_average: np.ndarray, lp: np.ndarray | float, preferences: np.ndarray,
                      recent_actions: np.ndarray) -> np.ndarray:
    """Batch-friendly: leading dimensions are kept, the last one becomes OBS_DIM (float32)."""
    skills = np.clip(np.asarray(skill_average, dtype=np.float64) / SKILL_MAX, 0.0, 1.0)
    lp_n = normalise_lp(lp)[..., None]
    prefs = np.clip(np.asarray(preferences, dtype=np.float64), 0.0, 1.0)
    shares = recent_shares(recent_actions)
    return np.concatenate([skills, lp_n, prefs, shares], axis=-1).astype(np.float32)
