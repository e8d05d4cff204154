"""When is the policy's choice a close call? Measured on validation students, not assumed.

For a trained Q-network, the margin of a decision is Q(best) − Q(runner-up), in reward units (the
expected discounted return, ASM points). A margin is "close" when taking the runner-up instead costs
next to nothing. This runs the greedy policy and, beside it, the same policy that takes the runner-up
whenever the margin is below m, for a grid of m, on validation students (validation_profiles, disjoint
from training and held-out students) with the same noise, and reports the reward given up per
swapped decision. The box's CLOSE_CALL_MARGIN (edge/coach/recommend.py) is read off this table.

    python -m training.coach.close_call --checkpoint reports/coach/checkpoints/dqn_seed0.pt \\
        --out reports/coach/close_call.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from .dqn import QNetwork
from .evaluate import run_sessions
from .students import validation_profiles

MARGINS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 1.5, 2.0, 3.0)   # wide: a PPO actor's logits differ by more than Q-values
NOISE_BASE = 11_000_000


def load_q(checkpoint: str | Path) -> torch.nn.Module:
    """Any coach checkpoint (plain or dueling DQN, PPO actor): training/coach/checkpoints.py."""
    from .checkpoints import load
    return load(checkpoint)


def swapping_policy(net: QNetwork, threshold: float, margins: list):
    def act(obs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            q = net(torch.as_tensor(obs, dtype=torch.float32)).numpy()
        order = np.argsort(-q, axis=1)
        rows = np.arange(len(q))
        margin = q[rows, order[:, 0]] - q[rows, order[:, 1]]
        margins.append(margin)
        return np.where(margin < threshold, order[:, 1], order[:, 0])
    return act


def measure(checkpoint: str | Path, seeds: int = 10, passes: int = 3) -> dict:
    torch.set_num_threads(1)
    net = load_q(checkpoint)
    rows = []
    greedy_margins: list = []
    for m in MARGINS:
        total, swapped, decisions = 0.0, 0, 0
        for seed in range(seeds):
            for r in range(passes):
                margins: list = []
                log = run_sessions(swapping_policy(net, m, margins), validation_profiles(seed),
                                   NOISE_BASE + 1000 * seed + r)
                total += log.total_reward
                all_m = np.concatenate(margins)
                swapped += int((all_m < m).sum())
                decisions += all_m.size
                if m == 0.0:
                    greedy_margins.append(all_m)
        rows.append({"threshold": m, "reward_per_episode": total / (seeds * passes),
                     "swapped_share": swapped / decisions})
    base = rows[0]["reward_per_episode"]
    for row in rows:
        lost = base - row["reward_per_episode"]
        row["reward_lost_per_episode"] = lost
        n_swapped = row["swapped_share"] * 500          # decisions per episode: 50 students × 10 tasks
        row["reward_lost_per_swapped_decision"] = lost / n_swapped if n_swapped else None
    margins = np.concatenate(greedy_margins)
    return {"checkpoint": str(checkpoint), "students": "validation_profiles(0 … seeds − 1)", "seeds": seeds,
            "passes": passes, "decisions": int(margins.size),
            "margin_quantiles": {q: float(np.quantile(margins, q / 100)) for q in (10, 25, 50, 75, 90)},
            "grid": rows}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = measure(args.checkpoint, args.seeds, args.passes)
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
