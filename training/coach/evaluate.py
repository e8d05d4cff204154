"""Greedy runs of a policy on a cohort of students, all in one batch.

A policy here is any callable mapping observations (N, OBS_DIM) to actions (N,). Every method
is evaluated through this one function, on the same students and the same noise seed, so the
comparison differs only in the decisions made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .env import SESSION_TASKS
from .simulator import Classroom, Dynamics
from .students import Profiles

Policy = Callable[[np.ndarray], np.ndarray]


@dataclass
class SessionLog:
    """Per student (rows) and task (columns) of one evaluation pass."""

    rewards: np.ndarray       # (N, T)
    penalties: np.ndarray     # (N, T)
    engagement: np.ndarray    # (N, T) engagement after each task
    actions: np.ndarray       # (N, T)
    skills: np.ndarray        # (N, T + 1, 4) true skills, start included

    @property
    def session_rewards(self) -> np.ndarray:
        return self.rewards.sum(axis=1)

    @property
    def total_reward(self) -> float:
        return float(self.rewards.sum())


def run_sessions(policy: Policy, profiles: Profiles, noise_seed: int, window: int = 3,
                 tasks: int = SESSION_TASKS, dynamics: Dynamics = Dynamics()) -> SessionLog:
    room = Classroom(profiles, np.random.default_rng(noise_seed), window, dynamics)
    obs = room.reset()
    n = len(profiles)
    rewards, penalties, engagement = (np.zeros((n, tasks)) for _ in range(3))
    actions = np.zeros((n, tasks), dtype=np.int64)
    skills = np.zeros((n, tasks + 1, 4))
    skills[:, 0] = room.skills
    for t in range(tasks):
        actions[:, t] = np.asarray(policy(obs), dtype=np.int64).reshape(n)
        obs, reward, info = room.step(actions[:, t])
        rewards[:, t], penalties[:, t] = reward, info["penalty"]
        engagement[:, t] = info["engagement"]
        skills[:, t + 1] = info["skills"]
    return SessionLog(rewards, penalties, engagement, actions, skills)
