"""Baselines under the same conditions as the DQN: same simulator, observation, actions,
reward and episode budget.

- random: a uniformly random task.
- weakest skill: practise the skill whose (moving-average) assessment is lowest.
- rule-based expert: technical drills until technical proficiency reaches EXPERT_THRESHOLD,
  then whichever of expressive practice / creative interpretation trains the weaker skill.
- tabular Q-learning on a discretised observation (below), ε-greedy on the DQN's schedule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.coach.observation import ACTIONS

from .simulator import CIT, EP, IS, ME, TE, TP   # action and skill indices

# Mid-scale, fixed before any run: "proficient" means at least half of the 0–100 scale.
EXPERT_THRESHOLD = 50.0


class RandomPolicy:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return self.rng.integers(0, len(ACTIONS), size=len(obs))


def weakest_skill(obs: np.ndarray) -> np.ndarray:
    return np.argmin(obs[:, :4], axis=1)


def rule_expert(obs: np.ndarray, threshold: float = EXPERT_THRESHOLD) -> np.ndarray:
    skills = obs[:, :4] * 100.0
    refine = np.where(skills[:, IS] < skills[:, ME], CIT, EP)
    return np.where(skills[:, TP] < threshold, TE, refine)


# ---- tabular Q-learning -------------------------------------------------------------------
# State = weakest skill (4) × ASM band (<40, 40–70, ≥70: 3) × preferred task (4)
#         × most frequent recent task (none + 4: 5)  → 240 states.
# The bands are the discretisation's one knob (tuning.py may choose finer ones).
ASM_BANDS = (40.0, 70.0)


def n_states(bands: tuple[float, ...] = ASM_BANDS) -> int:
    return 4 * (len(bands) + 1) * 4 * 5


N_STATES = n_states()


def discretise(obs: np.ndarray, bands: tuple[float, ...] = ASM_BANDS) -> np.ndarray:
    obs = np.atleast_2d(obs)
    skills = obs[:, :4] * 100.0
    weakest = np.argmin(skills, axis=1)
    band = np.digitize(skills.mean(axis=1), bands)
    preferred = np.argmax(obs[:, 5:9], axis=1)
    shares = obs[:, 9:13]
    recent = np.where(shares.max(axis=1) > 0, np.argmax(shares, axis=1) + 1, 0)
    return ((weakest * (len(bands) + 1) + band) * 4 + preferred) * 5 + recent


@dataclass
class QLearningArgs:
    total_timesteps: int = 50_000
    learning_rate: float = 0.1
    gamma: float = 0.95
    start_e: float = 1.0
    end_e: float = 0.05
    exploration_steps: int = 20_000   # same ε schedule as the DQN
    asm_bands: tuple[float, ...] = ASM_BANDS


class TabularQ:
    def __init__(self, bands: tuple[float, ...] = ASM_BANDS, n_actions: int = len(ACTIONS)):
        self.bands = tuple(bands)
        self.q = np.zeros((n_states(self.bands), n_actions))

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return np.argmax(self.q[discretise(obs, self.bands)], axis=1)

    def update(self, obs, action: int, reward: float, next_obs, terminated: bool, lr: float, gamma: float) -> None:
        s, s_next = discretise(obs, self.bands)[0], discretise(next_obs, self.bands)[0]
        target = reward + (0.0 if terminated else gamma * self.q[s_next].max())
        self.q[s, action] += lr * (target - self.q[s, action])


def train_q_learning(env, args: QLearningArgs, seed: int, on_step=None) -> TabularQ:
    """One-step Q-learning; `on_step(global_step, policy)` is called after every step."""
    rng = np.random.default_rng(seed)
    agent = TabularQ(args.asm_bands)
    obs, _ = env.reset(seed=seed)
    for step in range(args.total_timesteps):
        epsilon = max(args.end_e, args.start_e + (args.end_e - args.start_e) * step / args.exploration_steps)
        action = int(rng.integers(len(ACTIONS))) if rng.random() < epsilon else int(agent(obs)[0])
        next_obs, reward, terminated, truncated, _ = env.step(action)
        agent.update(obs, action, reward, next_obs, terminated, args.learning_rate, args.gamma)
        obs = next_obs
        if terminated or truncated:
            obs, _ = env.reset()
        if on_step is not None:
            on_step(step + 1, agent)
    return agent
