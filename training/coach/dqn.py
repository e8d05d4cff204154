"""DQN for the coach, in one file that reads top to bottom (after CleanRL's dqn.py).

The method as the issue states it: Q-network input → 64 → 64 → 4 with ReLU and a linear output;
replay buffer 50,000; mini-batches of 64 after a 1,000-step warm-up; target network hard-copied
every 1,000 steps (soft updates with τ = 0.005 as an option: --tau 0.005 --target-network-frequency 1);
Adam, lr 1e-3, β 0.9 / 0.999; MSE TD loss; gradient-norm clip 10; ε-greedy from 1.0 to 0.05
over 20,000 steps; γ = 0.95. One gradient step per environment step (the issue leaves the
training frequency open; 1 is the plainest choice and SB3's cross-check uses the same).

A session ends by time, so its last transition is stored as not-done and bootstraps
(see env.py). Run on its own: python -m training.coach.dqn --seed 0

Switchable improvements (Rainbow's components that fit; all off by default, so the defaults are the
round-1 method exactly):
- --n-step N       n-step returns: target = r_t + γ r_{t+1} + … + γ^{N−1} r_{t+N−1} + γ^N max Q'(s_{t+N});
                   the n rewards are summed before a transition enters the buffer (one student's
                   session; a session that ends mid-way bootstraps from where it ended, as 1-step does)
- --double         Double DQN: the online network picks argmax a' at s', the target network values it
- --dueling        dueling head: Q = V(s) + A(s, a) − mean_a A(s, a), over the same 64-64 trunk
- --huber          Huber (smooth L1) TD loss instead of MSE
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass, fields
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Args:
    seed: int = 0
    total_timesteps: int = 50_000        # 100 episodes × 50 students × 10 tasks
    learning_rate: float = 1e-3
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    buffer_size: int = 50_000
    gamma: float = 0.95
    tau: float = 1.0                     # 1.0 = hard copy
    target_network_frequency: int = 1_000
    batch_size: int = 64
    start_e: float = 1.0
    end_e: float = 0.05
    exploration_steps: int = 20_000
    learning_starts: int = 1_000
    train_frequency: int = 1
    max_grad_norm: float = 10.0
    hidden: int = 64
    n_step: int = 1                      # 1 = one-step TD, the round-1 method
    double: bool = False                 # Double DQN target
    dueling: bool = False                # dueling head
    huber: bool = False                  # Huber TD loss (else MSE)


class QNetwork(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64):
        super().__init__()
        self.network = nn.Sequential(
            nn.Linear(obs_dim, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, n_actions),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)


class DuelingQNetwork(nn.Module):
    """The same trunk, then a state value V(s) and advantages A(s, a): Q = V + A − mean(A)."""

    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(obs_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.value = nn.Linear(hidden, 1)
        self.advantage = nn.Linear(hidden, n_actions)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.trunk(x)
        a = self.advantage(h)
        return self.value(h) + a - a.mean(dim=1, keepdim=True)


def make_q_network(args: "Args", obs_dim: int, n_actions: int) -> nn.Module:
    return (DuelingQNetwork if args.dueling else QNetwork)(obs_dim, n_actions, args.hidden)


def linear_schedule(start_e: float, end_e: float, duration: int, t: int) -> float:
    slope = (end_e - start_e) / duration
    return max(slope * t + start_e, end_e)


class ReplayBuffer:
    """A ring buffer of transitions; uniform sampling."""

    def __init__(self, size: int, obs_dim: int):
        self.obs = np.zeros((size, obs_dim), dtype=np.float32)
        self.next_obs = np.zeros((size, obs_dim), dtype=np.float32)
        self.actions = np.zeros(size, dtype=np.int64)
        self.rewards = np.zeros(size, dtype=np.float32)
        self.dones = np.zeros(size, dtype=np.float32)
        self.size, self.pos, self.full = size, 0, False

        self.discounts = np.zeros(size, dtype=np.float32)   # γ^k for the k rewards summed (n-step)

    def add(self, obs, next_obs, action, reward, done, discount) -> None:
        i = self.pos
        self.obs[i], self.next_obs[i], self.actions[i], self.rewards[i], self.dones[i] = obs, next_obs, action, reward, done
        self.discounts[i] = discount
        self.pos = (i + 1) % self.size
        self.full = self.full or self.pos == 0

    def sample(self, batch_size: int, rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
        idx = rng.integers(0, self.size if self.full else self.pos, size=batch_size)
        return (torch.from_numpy(self.obs[idx]), torch.from_numpy(self.actions[idx]),
                torch.from_numpy(self.rewards[idx]), torch.from_numpy(self.next_obs[idx]),
                torch.from_numpy(self.dones[idx]), torch.from_numpy(self.discounts[idx]))


class NStep:
    """Holds the last n transitions of the running session; releases (s_t, a_t, Σ γ^k r_{t+k}, s_{t+n}, done, γ^n)
    once n are in, and flushes the shorter tails when the session ends (each then bootstraps from its end)."""

    def __init__(self, n: int, gamma: float):
        self.n, self.gamma = n, gamma
        self.queue: list[tuple] = []

    def _release(self, next_obs, done) -> tuple:
        obs, action = self.queue[0][0], self.queue[0][1]
        ret = sum(self.gamma ** k * t[2] for k, t in enumerate(self.queue))
        return obs, next_obs, action, ret, done, self.gamma ** len(self.queue)

    def push(self, obs, action, reward, next_obs, done, session_end: bool) -> list[tuple]:
        self.queue.append((obs, action, reward))
        out = []
        if len(self.queue) == self.n:
            out.append(self._release(next_obs, done))
            self.queue.pop(0)
        if session_end:
            while self.queue:
                out.append(self._release(next_obs, done))
                self.queue.pop(0)
        return out


def greedy_policy(q_network: nn.Module) -> Callable[[np.ndarray], np.ndarray]:
    def act(obs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return q_network(torch.as_tensor(obs, dtype=torch.float32)).argmax(dim=1).numpy()
    return act


def train(args: Args, env, on_step: Callable[[int, nn.Module], None] | None = None) -> nn.Module:
    """Train on `env` (a gymnasium env); `on_step(global_step, q_network)` after every step."""
    random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    torch.manual_seed(args.seed)

    obs_dim, n_actions = env.observation_space.shape[0], env.action_space.n
    q_network = make_q_network(args, obs_dim, n_actions)
    optimizer = torch.optim.Adam(q_network.parameters(), lr=args.learning_rate,
                                 betas=(args.adam_beta1, args.adam_beta2))
    target_network = make_q_network(args, obs_dim, n_actions)
    target_network.load_state_dict(q_network.state_dict())
    rb = ReplayBuffer(args.buffer_size, obs_dim)
    n_step = NStep(args.n_step, args.gamma)

    obs, _ = env.reset(seed=args.seed)
    for global_step in range(args.total_timesteps):
        # ε-greedy action
        epsilon = linear_schedule(args.start_e, args.end_e, args.exploration_steps, global_step)
        if rng.random() < epsilon:
            action = int(rng.integers(n_actions))
        else:
            with torch.no_grad():
                action = int(q_network(torch.as_tensor(obs).unsqueeze(0)).argmax(dim=1).item())

        # step the simulator; only a true termination stops bootstrapping
        next_obs, reward, terminated, truncated, _ = env.step(action)
        for transition in n_step.push(obs, action, reward, next_obs, terminated, terminated or truncated):
            rb.add(*transition)
        obs = next_obs
        if terminated or truncated:
            obs, _ = env.reset()

        # learn
        if global_step >= args.learning_starts:
            if global_step % args.train_frequency == 0:
                b_obs, b_actions, b_rewards, b_next_obs, b_dones, b_discounts = rb.sample(args.batch_size, rng)
                with torch.no_grad():
                    if args.double:   # the online network chooses, the target network values
                        best = q_network(b_next_obs).argmax(dim=1, keepdim=True)
                        target_max = target_network(b_next_obs).gather(1, best).squeeze(1)
                    else:
                        target_max = target_network(b_next_obs).max(dim=1).values
                    # b_discounts = γ^n (γ for one-step): the discount of the bootstrapped value
                    td_target = b_rewards + b_discounts * target_max * (1.0 - b_dones)
                old_val = q_network(b_obs).gather(1, b_actions.unsqueeze(1)).squeeze(1)
                loss = F.smooth_l1_loss(old_val, td_target) if args.huber else F.mse_loss(old_val, td_target)

                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(q_network.parameters(), args.max_grad_norm)
                optimizer.step()

            # target network: θ' ← τ·θ + (1 − τ)·θ'  (τ = 1 is a hard copy)
            if global_step % args.target_network_frequency == 0:
                with torch.no_grad():
                    for target_param, q_param in zip(target_network.parameters(), q_network.parameters()):
                        target_param.copy_(args.tau * q_param + (1.0 - args.tau) * target_param)

        if on_step is not None:
            on_step(global_step + 1, q_network)
    return q_network


if __name__ == "__main__":
    from .env import CoachEnv
    from .evaluate import run_sessions
    from .students import heldout_profiles, training_profiles

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in fields(Args):
        if isinstance(f.default, bool):
            parser.add_argument("--" + f.name.replace("_", "-"), action="store_true")
        else:
            parser.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default)
    args = Args(**vars(parser.parse_args()))
    torch.set_num_threads(1)
    start = time.perf_counter()
    q = train(args, CoachEnv(training_profiles(args.seed)))
    log = run_sessions(greedy_policy(q), heldout_profiles(args.seed), noise_seed=args.seed)
    print(f"held-out reward {log.total_reward:.1f} over {len(log.rewards)} students "
          f"({time.perf_counter() - start:.0f} s)")
