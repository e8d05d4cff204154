"""PPO and the SB3 DQN cross-check run under the same budget and hyper-parameters as our DQN."""

import torch

from training.coach.dqn import Args
from training.coach.env import CoachEnv
from training.coach.sb3_agents import train_ppo, train_sb3_dqn
from training.coach.students import training_profiles


def test_ppo_stops_at_exactly_the_step_budget():
    steps = []
    model = train_ppo(CoachEnv(training_profiles(0)), total_timesteps=2_500, seed=0,
                      on_step=lambda step, _: steps.append(step))
    # SB3 alone would run two full rollouts of 2048 steps (4,096)
    assert model.num_timesteps == 2_500 and steps[-1] == 2_500 and len(steps) == 2_500


def test_sb3_dqn_gets_our_hyper_parameters():
    args = Args(total_timesteps=300, learning_starts=100)
    model = train_sb3_dqn(CoachEnv(training_profiles(0)), args)
    assert model.num_timesteps == 300
    assert (model.buffer_size, model.batch_size, model.gamma, model.tau) == (50_000, 64, 0.95, 1.0)
    assert (model.target_update_interval, model.max_grad_norm, model.exploration_final_eps) == (1_000, 10.0, 0.05)
    assert model.exploration_fraction == args.exploration_steps / args.total_timesteps
    optimizer = model.policy.optimizer
    assert isinstance(optimizer, torch.optim.Adam)
    assert optimizer.defaults["lr"] == 1e-3 and optimizer.defaults["betas"] == (0.9, 0.999)
    linears = [m for m in model.q_net.q_net if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(13, 64), (64, 64), (64, 4)]
    assert any(isinstance(m, torch.nn.ReLU) for m in model.q_net.q_net)
