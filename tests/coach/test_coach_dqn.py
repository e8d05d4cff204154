"""The DQN learns on a small budget: it beats random on held-out students it never trained on."""

import numpy as np
import torch

from training.coach.baselines import RandomPolicy
from training.coach.dqn import (Args, DuelingQNetwork, NStep, QNetwork, ReplayBuffer, greedy_policy, linear_schedule,
                                train)
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
        rb.add(np.full(2, i), np.full(2, i + 1), i % 4, float(i), 0.0, 0.95)
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


def test_n_step_returns_known_answer():
    """n = 3, γ = 0.5, a session of 4 steps: full windows first, then the tail flushed at the session's end,
    each bootstrapping from the state where it stops, with γ^(steps summed)."""
    ns = NStep(3, 0.5)
    out = []
    for t, r in enumerate([1.0, 2.0, 4.0, 8.0]):
        out += ns.push(f"s{t}", t, r, f"s{t + 1}", False, session_end=(t == 3))
    assert [(o[0], o[1], o[2], o[3], o[5]) for o in out] == [
        ("s0", "s3", 0, 1 + 0.5 * 2 + 0.25 * 4, 0.125),      # r0 + γ r1 + γ² r2, bootstraps γ³ Q(s3)
        ("s1", "s4", 1, 2 + 0.5 * 4 + 0.25 * 8, 0.125),
        ("s2", "s4", 2, 4 + 0.5 * 8, 0.25),                   # the session ended: two rewards, γ²
        ("s3", "s4", 3, 8.0, 0.5)]
    assert ns.queue == []
    one = NStep(1, 0.95).push("a", 0, 3.0, "b", False, session_end=False)
    assert one == [("a", "b", 0, 3.0, False, 0.95)]        # n = 1 is the plain one-step transition


def test_dueling_head_is_value_plus_centred_advantage():
    torch.manual_seed(0)
    net = DuelingQNetwork(13, 4)
    x = torch.rand(5, 13)
    h = net.trunk(x)
    q = net(x)
    assert torch.allclose(q.mean(dim=1, keepdim=True), net.value(h), atol=1e-6)    # mean_a Q = V
    assert torch.allclose(q - q.mean(dim=1, keepdim=True), net.advantage(h) - net.advantage(h).mean(1, keepdim=True),
                          atol=1e-6)


def test_every_switch_trains_and_the_defaults_are_round_1():
    torch.set_num_threads(1)
    assert (Args().n_step, Args().double, Args().dueling, Args().huber) == (1, False, False, False)
    base = dict(seed=2, total_timesteps=400, learning_starts=100, exploration_steps=200, target_network_frequency=50)
    plain = train(Args(**base), CoachEnv(training_profiles(2)))
    for switch in ({"n_step": 3}, {"double": True}, {"dueling": True}, {"huber": True}):
        net = train(Args(**base, **switch), CoachEnv(training_profiles(2)))
        assert isinstance(net, DuelingQNetwork if switch.get("dueling") else QNetwork)
        obs = torch.rand(8, 13)
        assert not torch.allclose(net(obs), plain(obs)), switch    # the switch changed what was learned
