"""The DQN learns on a small budget: it beats random on held-out students it never trained on."""

import numpy as np
import torch

from training.coach.baselines import RandomPolicy
from training.coach.dqn import Args, QNetwork, ReplayBuffer, greedy_policy, linear_schedule, train
from training.coach.env import CoachEnv
from training.coach.evaluate import run_sessions
from training.coach.students import heldout_profiles, training_profiles


def small_budget(seed: int) -> Args:
    # 10 episodes of 500 steps, with the method's schedule scaled down by the same factor of 10
    return Args(seed=seed, total_timesteps=5_000, learning_starts=100, exploration_steps=2_000,
                target_network_frequency=100)


def test_network_shape_is_the_methods():
    net = QNetwork(13, 4)
    layers = [m for m in net.network]
    assert [type(m).__name__ for m in layers] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert [(m.in_features, m.out_features) for m in layers if isinstance(m, torch.nn.Linear)] == [(13, 64), (64, 64), (64, 4)]


def test_epsilon_schedule_and_replay_buffer_wrap():
    assert linear_schedule(1.0, 0.05, 20_000, 0) == 1.0
    assert linear_schedule(1.0, 0.05, 20_000, 10_000) == 0.525
    assert linear_schedule(1.0, 0.05, 20_000, 40_000) == 0.05
    rb = ReplayBuffer(3, 2)
    for i in range(5):
        rb.add(np.full(2, i), np.full(2, i + 1), i % 4, float(i), 0.0)
    assert rb.full and sorted(rb.rewards.tolist()) == [2.0, 3.0, 4.0]


def test_dqn_beats_random_on_heldout_students():
    torch.set_num_threads(1)
    seed = 0
    q = train(small_budget(seed), CoachEnv(training_profiles(seed)))
    held_out = heldout_profiles(seed)
    dqn = [run_sessions(greedy_policy(q), held_out, noise_seed=100 + r).total_reward for r in range(3)]
    rnd = [run_sessions(RandomPolicy(r), held_out, noise_seed=100 + r).total_reward for r in range(3)]
    assert np.mean(dqn) > 1.15 * np.mean(rnd), (dqn, rnd)


def test_training_is_reproducible_from_the_seed():
    torch.set_num_threads(1)
    args = Args(seed=5, total_timesteps=500, learning_starts=200, exploration_steps=300, target_network_frequency=100)
    a = train(args, CoachEnv(training_profiles(5)))
    b = train(args, CoachEnv(training_profiles(5)))
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
