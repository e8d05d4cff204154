"""Equal-budget hyper-parameter tuning of the learners (DQN, PPO, tabular Q) on VALIDATION students.

Every method gets the same budget: `trials` Optuna trials (TPE sampler, fixed seed), each trial
training `seeds` runs of `episodes` episodes on training_profiles(seed) and scored greedily on
validation_profiles(seed) (never the held-out students), PASSES noise draws each. Objective = the
mean validation reward (one episode = 50 students × 10 tasks). One process, torch on one thread.

Exploration schedules are searched as a FRACTION of the run (ε decays over fraction × total steps), so
the settings found with a short tuning run carry over to the 100-episode comparison.

    perfscore train coach tune --trials 10 --seeds 2 --episodes 40 --out reports/coach/tuning

Writes DIR/tuning.json after every trial: per method the search space, the budget, every trial
(params, value, per-seed rewards, CPU time) and the best params; experiment.py reads the best ones
(`perfscore train coach --tuned DIR/tuning.json`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from .env import SESSION_TASKS, CoachEnv
from .evaluate import run_sessions
from .experiment import WINDOW, noise_seed
from .students import N_PROFILES, training_profiles, validation_profiles

TUNED_METHODS = ("dqn", "ppo", "q_learning")
PASSES = 2
VALIDATION_NOISE_BASE = 21_000_000
SAMPLER_SEED = 15
GAMMA = 0.95        # the env's discount: fixed for every method, never searched

# The search spaces, as data so they can be written into the report verbatim.
# ("cat", [choices]) | ("float", lo, hi, log) | ("int", lo, hi)
SPACES: dict[str, dict[str, tuple]] = {
    "dqn": {
        "learning_rate": ("float", 1e-4, 3e-3, True),
        "buffer_size": ("cat", [5_000, 20_000, 50_000]),
        "batch_size": ("cat", [32, 64, 128]),
        "target_update": ("cat", ["hard_250", "hard_1000", "hard_2500", "soft_0.005", "soft_0.02"]),
        "exploration_fraction": ("float", 0.1, 0.5, False),
        "end_e": ("cat", [0.01, 0.05, 0.1]),
        "n_step": ("cat", [1, 3, 5]),
        "double": ("cat", [False, True]),
        "dueling": ("cat", [False, True]),
        "huber": ("cat", [False, True]),
        "hidden": ("cat", [64, 128]),
    },
    "ppo": {
        "learning_rate": ("float", 1e-4, 3e-3, True),
        "n_steps": ("cat", [256, 512, 1024, 2048]),
        "batch_size": ("cat", [64, 128, 256]),
        "ent_coef": ("float", 1e-4, 5e-2, True),
        "clip_range": ("cat", [0.1, 0.2, 0.3]),
        "n_epochs": ("cat", [5, 10, 15]),
        "hidden": ("cat", [64, 128]),
    },
    "q_learning": {
        "learning_rate": ("float", 0.01, 0.5, True),
        "exploration_fraction": ("float", 0.1, 0.5, False),
        "end_e": ("cat", [0.01, 0.05, 0.1]),
        "asm_bands": ("cat", ["40,70", "30,45,60,75", "25,35,45,55,65,75"]),
    },
}


def suggest(trial, space: dict[str, tuple]) -> dict:
    params = {}
    for name, spec in space.items():
        if spec[0] == "cat":
            params[name] = trial.suggest_categorical(name, spec[1])
        elif spec[0] == "float":
            params[name] = trial.suggest_float(name, spec[1], spec[2], log=spec[3])
        else:
            params[name] = trial.suggest_int(name, spec[1], spec[2])
    return params


def steps_for(episodes: int) -> int:
    return episodes * N_PROFILES * SESSION_TASKS


# ---- turning a method's params into its training settings (the comparison uses the same functions) ----

def dqn_settings(params: dict, seed: int, episodes: int):
    from .dqn import Args
    total = steps_for(episodes)
    kind, value = params.get("target_update", "hard_1000").split("_")
    target = ({"tau": 1.0, "target_network_frequency": int(value)} if kind == "hard"
              else {"tau": float(value), "target_network_frequency": 1})
    keep = {k: params[k] for k in ("learning_rate", "buffer_size", "batch_size", "end_e", "n_step", "double",
                                   "dueling", "huber", "hidden") if k in params}
    args = replace(Args(seed=seed, total_timesteps=total), **keep, **target)
    if "exploration_fraction" in params:
        args = replace(args, exploration_steps=max(1, round(params["exploration_fraction"] * total)))
    return args


def q_settings(params: dict, episodes: int):
    from .baselines import QLearningArgs
    total = steps_for(episodes)
    args = QLearningArgs(total_timesteps=total)
    if "learning_rate" in params:
        args = replace(args, learning_rate=params["learning_rate"])
    if "end_e" in params:
        args = replace(args, end_e=params["end_e"])
    if "exploration_fraction" in params:
        args = replace(args, exploration_steps=max(1, round(params["exploration_fraction"] * total)))
    if "asm_bands" in params:
        args = replace(args, asm_bands=tuple(float(b) for b in str(params["asm_bands"]).split(",")))
    return args


def ppo_settings(params: dict) -> dict:
    from .sb3_agents import PPO_TUNABLE
    return {k: v for k, v in params.items() if k in PPO_TUNABLE}


def train_policy(method: str, params: dict, seed: int, episodes: int, env=None, on_step=None):
    """Train `method` with `params` on training_profiles(seed); returns (greedy policy, trained model)."""
    env = env if env is not None else CoachEnv(training_profiles(seed), window=WINDOW)
    if method == "dqn":
        from .dqn import greedy_policy, train
        model = train(dqn_settings(params, seed, episodes), env, on_step)
        return greedy_policy(model), model
    if method == "ppo":
        from .sb3_agents import sb3_policy, train_ppo
        model = train_ppo(env, steps_for(episodes), seed, gamma=GAMMA, on_step=on_step, **ppo_settings(params))
        return sb3_policy(model), model
    if method == "q_learning":
        from .baselines import train_q_learning
        agent = train_q_learning(env, q_settings(params, episodes), seed, on_step)
        return agent, agent
    raise ValueError(f"tuning: unknown method {method!r}; choose from {', '.join(TUNED_METHODS)}")


def validation_score(policy, seed: int, passes: int = PASSES) -> float:
    students = validation_profiles(seed)
    return float(np.mean([run_sessions(policy, students, noise_seed(VALIDATION_NOISE_BASE, seed, r), WINDOW).total_reward
                          for r in range(passes)]))


# ---- the study ------------------------------------------------------------------------------

def distributions(space: dict[str, tuple]) -> dict:
    """The Optuna distributions of a search space (to hand earlier trials back to a study)."""
    import optuna.distributions as d
    return {name: (d.CategoricalDistribution(spec[1]) if spec[0] == "cat"
                   else d.FloatDistribution(spec[1], spec[2], log=spec[3]) if spec[0] == "float"
                   else d.IntDistribution(spec[1], spec[2]))
            for name, spec in space.items()}


def tune_method(method: str, trials: int, seeds: int, episodes: int, on_trial=None,
                earlier: list[dict] | None = None) -> dict:
    """`earlier`: trials already run (rows of a tuning.json, same budget per trial); they are added to the
    study as finished trials, not rerun, and count towards `trials`."""
    import optuna
    import torch
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=SAMPLER_SEED, n_startup_trials=max(1, min(5, trials // 2)))
    study = optuna.create_study(direction="maximize", sampler=sampler, study_name=f"coach-{method}")
    rows: list[dict] = [dict(r) for r in earlier or []]
    for r in rows:
        study.add_trial(optuna.trial.create_trial(params=r["params"], distributions=distributions(SPACES[method]),
                                                  value=r["value"]))

    def objective(trial) -> float:
        params = suggest(trial, SPACES[method])
        cpu, wall = time.process_time(), time.perf_counter()
        per_seed = {}
        for seed in range(seeds):
            policy, _ = train_policy(method, params, seed, episodes)
            per_seed[seed] = validation_score(policy, seed)
        value = float(np.mean(list(per_seed.values())))
        rows.append({"number": trial.number, "params": params, "value": value,
                     "validation_reward_per_seed": per_seed, "seeds": list(per_seed),
                     "cpu_time_s": time.process_time() - cpu, "wall_time_s": time.perf_counter() - wall})
        if on_trial is not None:
            on_trial(method, rows)
        return value

    study.optimize(objective, n_trials=max(0, trials - len(rows)))
    best = max(rows, key=lambda r: r["value"])
    return method_block(method, trials, seeds, episodes, rows) | {"best": {"number": best["number"], "params": best["params"],
                                                                          "value": best["value"]}}


def method_block(method: str, trials: int, seeds: int, episodes: int, rows: list[dict]) -> dict:
    return {"search_space": {k: list(v) for k, v in SPACES[method].items()},
            "budget": {"trials": trials, "seeds_per_trial": seeds, "episodes_per_seed": episodes,
                       "env_steps": trials * seeds * steps_for(episodes)},
            "cpu_time_s": float(sum(r["cpu_time_s"] for r in rows)),
            "trials": rows}


def earlier_trials(path: Path, method: str, seeds: int, episodes: int) -> list[dict]:
    """A tuning.json's trials of `method`, refused if they were run with another budget per trial."""
    block = json.loads(Path(path).read_text())["methods"].get(method)
    if block is None:
        return []
    b = block["budget"]
    if (b["seeds_per_trial"], b["episodes_per_seed"]) != (seeds, episodes):
        raise ValueError(f"tuning: {path} ran {method}'s trials on {b['seeds_per_trial']} seeds × "
                         f"{b['episodes_per_seed']} episodes, not {seeds} × {episodes}; continue with the same budget")
    return block["trials"]


def tune(out: Path, trials: int, seeds: int, episodes: int, methods=TUNED_METHODS, progress=print,
         resume: Path | None = None) -> dict:
    """`resume`: an earlier tuning.json whose trials are reloaded (not rerun) and continued up to `trials`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    doc = {"schema": "perfscore.coach-tuning/1",
           "what": "equal-budget tuning on validation students; objective = mean greedy validation reward",
           "students": {"train": "training_profiles(seed)", "score": "validation_profiles(seed)",
                        "seeds": list(range(seeds)), "passes": PASSES},
           "sampler": {"name": "optuna TPESampler", "seed": SAMPLER_SEED},
           "gamma": GAMMA, "processes": 1, "command": " ".join(sys.argv), "methods": {}}

    def save(method: str, rows: list[dict]) -> None:
        doc["methods"][method] = method_block(method, trials, seeds, episodes, rows)
        (out / "tuning.json").write_text(json.dumps(doc, indent=2) + "\n")
        r = rows[-1]
        progress(f"{method} trial {r['number']}: validation {r['value']:.1f} ({r['cpu_time_s']:.0f} CPU-s) {r['params']}")

    if resume is not None:
        doc["resumed_from"] = str(resume)
    for method in methods:
        earlier = earlier_trials(resume, method, seeds, episodes) if resume is not None else None
        doc["methods"][method] = tune_method(method, trials, seeds, episodes, save, earlier)
        (out / "tuning.json").write_text(json.dumps(doc, indent=2) + "\n")
    return doc


def best_params(tuning: dict | str | Path) -> dict[str, dict]:
    """{method: best params} from a tuning.json document or path."""
    if not isinstance(tuning, dict):
        tuning = json.loads(Path(tuning).read_text())
    return {m: block["best"]["params"] for m, block in tuning["methods"].items() if "best" in block}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--methods", default=",".join(TUNED_METHODS))
    parser.add_argument("--out", type=Path, required=True)
    a = parser.parse_args()
    tune(a.out, a.trials, a.seeds, a.episodes, tuple(a.methods.split(",")), progress=lambda line: print(line, flush=True))
