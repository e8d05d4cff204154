"""Which trained seed should the box ship? The one that does best on validation students.

Every DQN checkpoint of a comparison is run greedily on the same validation students
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
from .dqn import greedy_policy
from .evaluate import run_sessions
from .experiment import noise_seed
from .students import validation_profiles

VALIDATION_SEEDS = 10
PASSES = 2
NOISE_BASE = 17_000_000


def validation_reward(checkpoint: Path) -> float:
    policy = greedy_policy(load_q(checkpoint))
    return float(np.mean([run_sessions(policy, validation_profiles(v), noise_seed(NOISE_BASE, v, r)).total_reward
                          for v in range(VALIDATION_SEEDS) for r in range(PASSES)]))


def pick(run: Path) -> dict:
    import torch
    torch.set_num_threads(1)
    heldout = {j["seed"]: j["cumulative_reward"] for j in json.loads((run / "jobs.json").read_text())
               if j["method"] == "dqn"}
    rows = [{"seed": s, "checkpoint": str(run / "checkpoints" / f"dqn_seed{s}.pt"),
             "validation_reward": validation_reward(run / "checkpoints" / f"dqn_seed{s}.pt"),
             "heldout_reward_for_information": heldout.get(s)} for s in sorted(heldout)]
    best = max(rows, key=lambda r: r["validation_reward"])
    return {"students": f"validation_profiles(0 … {VALIDATION_SEEDS - 1}) × {PASSES} noise passes",
            "chosen_seed": best["seed"], "chosen_checkpoint": best["checkpoint"], "seeds": rows}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("reports/coach"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    doc = pick(args.run)
    if args.out:
        args.out.write_text(json.dumps(doc, indent=2) + "\n")
    for r in doc["seeds"]:
        print(f"seed {r['seed']}: validation {r['validation_reward']:.1f} (held-out {r['heldout_reward_for_information']:.1f})")
    print(f"chosen on validation: seed {doc['chosen_seed']}")
