"""A small ablation PROBE of the DQN's switchable improvements, on validation students.

Each variant trains on training_profiles(seed) exactly as in the comparison (100 episodes = 50,000
steps) and is scored on validation_profiles(seed) — students never trained on and never reported as
the held-out result — with FINAL_PASSES noise draws, beside PPO (the round-1 winner) on the same
students. Few seeds: a probe that shows where the DQN stops, not a result; the comparison
(experiment.py, 10 seeds, held-out students) is what decides.

    nice python -m training.coach.ablation --seeds 2 --out reports/coach/ablation_dqn
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from .env import SESSION_TASKS, CoachEnv
from .evaluate import run_sessions
from .experiment import FINAL_PASSES, WINDOW, noise_seed
from .students import N_PROFILES, training_profiles, validation_profiles

VARIANTS = {
    "dqn": {},
    "n_step_3": {"n_step": 3},
    "double": {"double": True},
    "dueling": {"dueling": True},
    "huber": {"huber": True},
    "n3_double_dueling_huber": {"n_step": 3, "double": True, "dueling": True, "huber": True},
}
VALIDATION_NOISE_BASE = 13_000_000


def score(policy, seed: int) -> float:
    students = validation_profiles(seed)
    return float(np.mean([run_sessions(policy, students, noise_seed(VALIDATION_NOISE_BASE, seed, r), WINDOW).total_reward
                          for r in range(FINAL_PASSES)]))


def run(variant: str, seed: int, episodes: int) -> dict:
    import torch
    torch.set_num_threads(1)
    start = time.perf_counter()
    steps = episodes * N_PROFILES * SESSION_TASKS
    env = CoachEnv(training_profiles(seed), window=WINDOW)
    if variant == "ppo":
        from .sb3_agents import sb3_policy, train_ppo
        policy, settings = sb3_policy(train_ppo(env, steps, seed)), {}
    else:
        from .dqn import Args, greedy_policy, train
        args = replace(Args(seed=seed, total_timesteps=steps), **VARIANTS[variant])
        policy, settings = greedy_policy(train(args, env)), asdict(args)
    return {"variant": variant, "seed": seed, "episodes": episodes, "validation_reward": score(policy, seed),
            "settings": settings, "wall_time_s": time.perf_counter() - start}


def summarise(rows: list[dict]) -> dict:
    out = {}
    for variant in dict.fromkeys(r["variant"] for r in rows):
        by_seed = {r["seed"]: r["validation_reward"] for r in rows if r["variant"] == variant}
        base = {r["seed"]: r["validation_reward"] for r in rows if r["variant"] == "dqn"}
        diffs = [by_seed[s] - base[s] for s in by_seed if s in base]
        out[variant] = {"mean": float(np.mean(list(by_seed.values()))), "per_seed": by_seed,
                        "minus_dqn_per_seed": diffs, "minus_dqn_mean": float(np.mean(diffs)) if diffs else None}
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0, help="start at this seed (to continue a run elsewhere)")
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--variants", default=",".join([*VARIANTS, "ppo"]))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--merge", type=Path, nargs="+", metavar="DIR",
                        help="instead of training: merge the runs of these earlier --out folders into --out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.merge:
        rows = [r for d in args.merge for r in json.loads((d / "results.json").read_text())["runs"]]
        rows.sort(key=lambda r: (r["seed"], list(VARIANTS).index(r["variant"]) if r["variant"] in VARIANTS else 99))
        doc = {"what": "ablation probe on validation students (not the held-out comparison)",
               "seeds": len({r["seed"] for r in rows}), "episodes": rows[0]["episodes"], "final_passes": FINAL_PASSES,
               "students": "train: training_profiles(seed); score: validation_profiles(seed)",
               "summary": summarise(rows), "runs": rows}
        (args.out / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
        raise SystemExit(0)
    rows: list[dict] = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for variant in args.variants.split(","):
            rows.append(run(variant, seed, args.episodes))
            print(f"{variant} seed {seed}: validation reward {rows[-1]['validation_reward']:.1f} "
                  f"({rows[-1]['wall_time_s']:.0f} s)", flush=True)
            doc = {"what": "ablation probe on validation students (not the held-out comparison)",
                   "seeds": args.seeds, "episodes": args.episodes, "final_passes": FINAL_PASSES,
                   "students": "train: training_profiles(seed); score: validation_profiles(seed)",
                   "summary": summarise(rows), "runs": rows}
            (args.out / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
