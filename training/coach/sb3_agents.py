"""PPO and the DQN cross-check, both from Stable-Baselines3, on the same env and budget.

PPO keeps SB3's defaults (they are the library's tuned general-purpose setting) except
γ = 0.95, the same discount as every other learner here, and a 64-64 network like the DQN's.
The SB3 DQN gets exactly the hyper-parameters of training/coach/dqn.py; the one difference
left is SB3's Huber TD loss against our MSE, which is the point of the cross-check.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from stable_baselines3 import DQN, PPO
from stable_baselines3.common.callbacks import BaseCallback

from .dqn import Args as DQNArgs


class _EveryStep(BaseCallback):
    """Calls `on_step` after every env step and stops learning at exactly `budget` steps.

    SB3's PPO only checks its budget between rollouts of n_steps (2048), so 50,000 steps would
    become 51,200; stopping at the budget keeps every method at the same number of env steps
    (PPO's last, partial rollout is then not trained on).
    """

    def __init__(self, on_step: Callable[[int, object], None] | None, budget: int):
        super().__init__()
        self._on_step_fn = on_step
        self._budget = budget

    def _on_step(self) -> bool:
        if self._on_step_fn is not None:
            self._on_step_fn(self.num_timesteps, self.model)
        return self.num_timesteps < self._budget


def sb3_policy(model) -> Callable[[np.ndarray], np.ndarray]:
    def act(obs: np.ndarray) -> np.ndarray:
        actions, _ = model.predict(obs, deterministic=True)
        return actions
    return act


# What tuning.py may set; anything else stays at SB3's default. `hidden` is the width of both 2-layer nets.
PPO_TUNABLE = ("learning_rate", "n_steps", "batch_size", "ent_coef", "clip_range", "n_epochs", "hidden")


def train_ppo(env, total_timesteps: int, seed: int, gamma: float = 0.95, on_step=None, **settings) -> PPO:
    unknown = set(settings) - set(PPO_TUNABLE)
    if unknown:
        raise ValueError(f"train_ppo: unknown setting(s) {sorted(unknown)}; known: {PPO_TUNABLE}")
    hidden = int(settings.pop("hidden", 64))
    model = PPO("MlpPolicy", env, gamma=gamma, seed=seed, device="cpu", verbose=0,
                policy_kwargs={"net_arch": [hidden, hidden]}, **settings)
    model.learn(total_timesteps=total_timesteps, callback=_EveryStep(on_step, total_timesteps))
    return model


def train_sb3_dqn(env, args: DQNArgs, on_step=None) -> DQN:
    import torch

    model = DQN(
        "MlpPolicy", env, seed=args.seed, device="cpu", verbose=0,
        learning_rate=args.learning_rate, buffer_size=args.buffer_size, learning_starts=args.learning_starts,
        batch_size=args.batch_size, tau=args.tau, gamma=args.gamma, train_freq=args.train_frequency,
        gradient_steps=1, target_update_interval=args.target_network_frequency,
        exploration_fraction=args.exploration_steps / args.total_timesteps,
        exploration_initial_eps=args.start_e, exploration_final_eps=args.end_e,
        max_grad_norm=args.max_grad_norm,
        policy_kwargs={"net_arch": [args.hidden, args.hidden], "activation_fn": torch.nn.ReLU,
                       "optimizer_kwargs": {"betas": (args.adam_beta1, args.adam_beta2)}},
    )
    model.learn(total_timesteps=args.total_timesteps, callback=_EveryStep(on_step, args.total_timesteps))
    return model
