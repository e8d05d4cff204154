"""Which trained policy should the box ship? The one that does best on validation students.

Every DQN (and tuned PPO actor) checkpoint of a comparison is run greedily on the same validation students
(validation_profiles(0 … 9), never trained on, never reported as held-out) with the same noise; the
best is the one to export. Held-out rewards are printed beside it from the run's jobs.json, for
information only: they play no part in the choice.

    python -m training.coach.pick --run reports/coach --out reports/coach/validation_pick.json
    perfscore export coach --checkpoint reports/coach/checkpoints/dqn_seed{BEST}.pt
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .close_call import load_q
from .dqn import greedy_policy      # argmax of the network's scores: Q-values or PPO's logits alike
from .evaluate import run_sessions
from .experiment import noise_seed
from .students import validation_profiles

METHODS = ("dqn", "ppo")     # the learners whose checkpoints the box can run (training/coach/checkpoints.py)
VALIDATION_SEEDS = 10
PASSES = 2
NOISE_BASE = 17_000_000


def validation_reward(checkpoint: Path) -> float:
    policy = greedy_policy(load_q(checkpoint))
    return float(np.mean([run_sessions(policy, validation_profiles(v), noise_seed(NOISE_BASE, v, r)).total_reward
                          for v in range(VALIDATION_SEEDS) for r in range(PASSES)]))


def pick(run: Path, methods: tuple[str, ...] = METHODS) -> dict:
    """Score every checkpoint of `methods` found in run/checkpoints on validation students; the method with
    the higher mean over its seeds wins, and its best seed is the one to ship."""
    import torch
    torch.set_num_threads(1)
    jobs = json.loads((run / "jobs.json").read_text())
    by_method = {}
    for method in methods:
        heldout = {j["seed"]: j["cumulative_reward"] for j in jobs if j["method"] == method}
        rows = [{"method": method, "seed": s, "checkpoint": str(run / "checkpoints" / f"{method}_seed{s}.pt"),
                 "validation_reward": validation_reward(run / "checkpoints" / f"{method}_seed{s}.pt"),
                 "heldout_reward_for_information": heldout.get(s)}
                for s in sorted(heldout) if (run / "checkpoints" / f"{method}_seed{s}.pt").is_file()]
        if rows:
            by_method[method] = rows
    if not by_method:
        raise FileNotFoundError(f"{run / 'checkpoints'}: no checkpoints of {', '.join(methods)}")
    means = {m: float(np.mean([r["validation_reward"] for r in rows])) for m, rows in by_method.items()}
    method = max(means, key=means.get)
    best = max(by_method[method], key=lambda r: r["validation_reward"])
    return {"students": f"validation_profiles(0 … {VALIDATION_SEEDS - 1}) × {PASSES} noise passes",
            "rule": "the method with the higher mean validation reward over its seeds; then its best seed",
            "validation_mean_by_method": means,
            "best_seed_by_method": {m: max(rows, key=lambda r: r["validation_reward"])["seed"]
                                    for m, rows in by_method.items()},
            "chosen_method": method,
            "chosen_seed": best["seed"], "chosen_checkpoint": best["checkpoint"],
            "seeds": [r for rows in by_method.values() for r in rows]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("reports/coach"))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args()
    doc = pick(args.run, tuple(args.methods.split(",")))
    if args.out:
        args.out.write_text(json.dumps(doc, indent=2) + "\n")
    for r in doc["seeds"]:
        print(f"{r['method']} seed {r['seed']}: validation {r['validation_reward']:.1f} (held-out {r['heldout_reward_for_information']:.1f})")
    print(f"chosen on validation: {doc['chosen_method']} seed {doc['chosen_seed']}")
