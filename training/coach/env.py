"""The simulator as a gymnasium.Env, so any RL library can train on it.

One env episode is one student's session of SESSION_TASKS tasks. Students come in passes:
every pass visits each profile once, in a fresh random order, so a training "episode" of the
method (a session of 10 tasks for every one of the 50 students) is 50 env episodes, 500 steps.

The session ends by time, not by any state of the student, so the last step is `truncated`
(learners bootstrap from it): a performer keeps practising after the session, and the
observation carries no clock that a value function could use to see the end coming.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from edge.coach.observation import ACTIONS, OBS_DIM

from .simulator import Classroom, Dynamics
from .students import Profiles

SESSION_TASKS = 10


class CoachEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self, profiles: Profiles, window: int = 3, session_tasks: int = SESSION_TASKS,
                 dynamics: Dynamics = Dynamics()):
        self.profiles = profiles
        self.window = window
        self.session_tasks = session_tasks
        self.dynamics = dynamics
        self.observation_space = gym.spaces.Box(0.0, 1.0, shape=(OBS_DIM,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(len(ACTIONS))
        self._queue: list[int] = []
        self.classroom: Classroom | None = None

    @property
    def steps_per_pass(self) -> int:
        return len(self.profiles) * self.session_tasks

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        if seed is not None:
            self._queue = []
        if not self._queue:
            self._queue = list(self.np_random.permutation(len(self.profiles)))
        self.student = int(self._queue.pop(0))
        self.classroom = Classroom(self.profiles.subset([self.student]), self.np_random, self.window, self.dynamics)
        self.task = 0
        obs = self.classroom.reset()[0]
        return obs, {"student": self.student, "engagement": float(self.classroom.engagement[0])}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if self.classroom is None:
            raise RuntimeError("call reset() before step()")
        obs, reward, info = self.classroom.step(np.array([int(action)]))
        self.task += 1
        info = {key: value[0] for key, value in info.items()}
        info["student"] = self.student
        truncated = self.task >= self.session_tasks
        return obs[0], float(reward[0]), False, truncated, info


class EpisodeRewards(gym.Wrapper):
    """Records the reward of every training episode of the method (`steps_per_episode` env steps, one pass
    over the students) while a learner trains: the series the paper's RVI (Eq. 37) is computed on.
    It only watches: observations, rewards and random streams pass through unchanged."""

    def __init__(self, env: CoachEnv, steps_per_episode: int):
        super().__init__(env)
        self.steps_per_episode = steps_per_episode
        self.episode_rewards: list[float] = []
        self._sum, self._steps = 0.0, 0

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._sum += float(reward)
        self._steps += 1
        if self._steps == self.steps_per_episode:
            self.episode_rewards.append(self._sum)
            self._sum, self._steps = 0.0, 0
        return obs, reward, terminated, truncated, info
