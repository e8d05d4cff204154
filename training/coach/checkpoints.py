"""Policy checkpoints the box can run: observation (N, 13) → 4 scores, argmax = the task.

Two kinds, one file format (torch.save of a dict), so pick.py, close_call.py and `perfscore export coach`
load either without knowing which algorithm trained it:

- "dqn": the Q-network (plain or dueling); the scores are Q-values (reward units);
- "ppo_actor": PPO's actor, SB3's MlpPolicy policy branch (Linear-Tanh-Linear-Tanh) and its action
  head; the scores are action logits. SB3's deterministic action is their argmax, so the greedy task
  is the same; their gaps are NOT in reward units (the box's close-call margin was measured on Q).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn as nn

from edge.coach.observation import ACTIONS, OBS_DIM, OBSERVATION_VERSION

KINDS = ("dqn", "ppo_actor")


class PPOActor(nn.Module):
    """SB3 PPO's greedy path as a plain module: mlp_extractor.policy_net, then action_net."""

    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64):
        super().__init__()
        self.policy_net = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.action_net = nn.Linear(hidden, n_actions)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.action_net(self.policy_net(x))


def ppo_actor(model) -> PPOActor:
    """Copy a trained SB3 PPO (MlpPolicy, Tanh, separate actor and critic nets) into a PPOActor."""
    policy = model.policy
    layers = [m for m in policy.mlp_extractor.policy_net if isinstance(m, nn.Linear)]
    if len(layers) != 2 or policy.activation_fn is not nn.Tanh:
        raise ValueError("ppo_actor: expected SB3 MlpPolicy with two Tanh hidden layers")
    actor = PPOActor(layers[0].in_features, policy.action_net.out_features, layers[0].out_features)
    actor.policy_net.load_state_dict(policy.mlp_extractor.policy_net.state_dict())
    actor.action_net.load_state_dict(policy.action_net.state_dict())
    return actor.eval()


def save(path: Path, kind: str, net: nn.Module, hidden: int, window: int, seed: int, episodes: int, args) -> None:
    if kind not in KINDS:
        raise ValueError(f"checkpoint kind {kind!r}; known: {KINDS}")
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"kind": kind, "state_dict": net.state_dict(), "obs_dim": OBS_DIM, "n_actions": len(ACTIONS),
                "hidden": hidden, "dueling": bool(getattr(args, "dueling", False)),
                "observation_version": OBSERVATION_VERSION, "window": window, "seed": seed, "episodes": episodes,
                "args": args if isinstance(args, dict) else asdict(args)}, path)


def build(data: dict) -> nn.Module:
    """The network a loaded checkpoint dict describes, with its weights, in eval mode."""
    from .dqn import DuelingQNetwork, QNetwork

    kind = data.get("kind", "dqn")        # round-1 checkpoints carry no kind: plain DQN
    if kind == "ppo_actor":
        net = PPOActor(data["obs_dim"], data["n_actions"], data["hidden"])
    elif kind == "dqn":
        dueling = data.get("dueling", (data.get("args") or {}).get("dueling", False))
        net = (DuelingQNetwork if dueling else QNetwork)(data["obs_dim"], data["n_actions"], data["hidden"])
    else:
        raise ValueError(f"checkpoint kind {kind!r}; known: {KINDS}")
    net.load_state_dict(data["state_dict"])
    return net.eval()


def load(path: str | Path) -> nn.Module:
    return build(torch.load(path, map_location="cpu", weights_only=False))
