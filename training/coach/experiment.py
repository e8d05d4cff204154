"""The comparison: every method × every seed under identical conditions, in worker processes.

For run seed s, every method trains on training_profiles(s) (same env noise seed s) and is
evaluated on heldout_profiles(s): after each training episode (one pass of 500 steps over the
50 training students) the greedy policy runs one session for each held-out student (the learning
curve), and at the end FINAL_PASSES more passes give the final metrics. Evaluation noise seeds
depend only on (seed, episode), so within a seed every method meets the same noise.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, replace
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from edge.coach.observation import ACTIONS, OBS_DIM, OBSERVATION_VERSION

from . import metrics
from .baselines import QLearningArgs, RandomPolicy, rule_expert, train_q_learning, weakest_skill
from .env import SESSION_TASKS, CoachEnv, EpisodeRewards
from .evaluate import run_sessions
from .simulator import Dynamics
from .students import COHORTS, N_PROFILES, heldout_profiles, training_profiles

METHODS = ("dqn", "random", "weakest_skill", "rule_expert", "q_learning", "ppo")
CROSS_CHECK = ("sb3_dqn",)
ALL_METHODS = METHODS + CROSS_CHECK
# Not in the default run: the method's optional soft target update (τ = 0.005 every step), an ablation.
ABLATIONS = ("dqn_soft",)
KNOWN_METHODS = ALL_METHODS + ABLATIONS
LABELS = {"dqn": "DQN (ours)", "random": "Random", "weakest_skill": "Weakest skill", "rule_expert": "Rule-based expert",
          "q_learning": "Tabular Q-learning", "ppo": "PPO (SB3)", "sb3_dqn": "DQN (SB3, cross-check)",
          "dqn_soft": "DQN, soft target τ = 0.005"}
# Slowest first, so the pool's last minutes are not spent waiting on one long job.
COST_ORDER = ("sb3_dqn", "dqn_soft", "dqn", "ppo", "q_learning", "random", "rule_expert", "weakest_skill")

WINDOW = 3
FINAL_PASSES = 5
CURVE_NOISE_BASE = 5_000_000
TRAIN_NOISE_BASE = 9_000_000        # fixed policies' training-student passes (RVI, Eq. 37)
FINAL_NOISE_BASE = 7_000_000
RANDOM_POLICY_BASE = 3_000_000


def noise_seed(base: int, seed: int, index: int) -> int:
    return base + 1000 * seed + index


HEURISTICS = {"weakest_skill": weakest_skill, "rule_expert": rule_expert}


def fixed_policy(method: str, seed: int, index: int):
    """A method that does not learn; random gets its own seeded stream per evaluation."""
    if method == "random":
        return RandomPolicy(noise_seed(RANDOM_POLICY_BASE, seed, index))
    return HEURISTICS[method]


def action_shares(actions: np.ndarray) -> list[float]:
    return (np.bincount(actions.ravel(), minlength=len(ACTIONS)) / actions.size).tolist()


def dqn_args(seed: int, episodes: int, soft: bool = False):
    from .dqn import Args
    args = Args(seed=seed, total_timesteps=episodes * N_PROFILES * SESSION_TASKS)
    return replace(args, tau=0.005, target_network_frequency=1) if soft else args


def run_job(method: str, seed: int, episodes: int, checkpoint_dir: str | None = None,
            params: dict | None = None) -> dict:
    """Train (if the method learns) and evaluate one method on one seed; returns its metrics.

    `params`: tuned settings of dqn, ppo or q_learning (tuning.py's best params); None = the defaults."""
    import torch
    torch.set_num_threads(1)

    start, cpu_start = time.perf_counter(), time.process_time()
    train_p, held_p = training_profiles(seed), heldout_profiles(seed)
    steps_per_episode = CoachEnv(train_p, window=WINDOW).steps_per_pass
    env = EpisodeRewards(CoachEnv(train_p, window=WINDOW), steps_per_episode)   # only records (Eq. 37)
    total_steps = episodes * steps_per_episode
    curve: list[float] = []

    def evaluate_curve(policy) -> None:
        log = run_sessions(policy, held_p, noise_seed(CURVE_NOISE_BASE, seed, len(curve)), WINDOW)
        curve.append(log.total_reward)

    def every_episode(make_policy):
        def on_step(step: int, model) -> None:
            if step % steps_per_episode == 0:
                evaluate_curve(make_policy(model))
        return on_step

    if method == "dqn" and params is not None:
        from . import checkpoints
        from .dqn import greedy_policy, train
        from .tuning import dqn_settings
        args = dqn_settings(params, seed, episodes)
        q_network = train(args, env, every_episode(greedy_policy))
        policy = greedy_policy(q_network)
        if checkpoint_dir:
            checkpoints.save(Path(checkpoint_dir) / f"dqn_seed{seed}.pt", "dqn", q_network, args.hidden, WINDOW,
                             seed, episodes, args)
    elif method == "dqn":
        from .dqn import greedy_policy, train
        q_network = train(dqn_args(seed, episodes), env, every_episode(greedy_policy))
        policy = greedy_policy(q_network)
        if checkpoint_dir:
            Path(checkpoint_dir).mkdir(parents=True, exist_ok=True)
            torch.save({"state_dict": q_network.state_dict(), "obs_dim": OBS_DIM, "n_actions": len(ACTIONS),
                        "hidden": dqn_args(seed, episodes).hidden, "observation_version": OBSERVATION_VERSION,
                        "window": WINDOW, "seed": seed, "episodes": episodes,
                        "args": asdict(dqn_args(seed, episodes))},
                       Path(checkpoint_dir) / f"dqn_seed{seed}.pt")
    elif method == "dqn_soft":
        from .dqn import greedy_policy, train
        policy = greedy_policy(train(dqn_args(seed, episodes, soft=True), env, every_episode(greedy_policy)))
    elif method == "sb3_dqn":
        from .sb3_agents import sb3_policy, train_sb3_dqn
        policy = sb3_policy(train_sb3_dqn(env, dqn_args(seed, episodes), every_episode(sb3_policy)))
    elif method == "ppo":
        from .sb3_agents import sb3_policy, train_ppo
        from .tuning import ppo_settings
        settings = ppo_settings(params) if params is not None else {}
        model = train_ppo(env, total_steps, seed, on_step=every_episode(sb3_policy), **settings)
        policy = sb3_policy(model)
        if checkpoint_dir and params is not None:    # the actor alone, exportable like the DQN
            from . import checkpoints
            checkpoints.save(Path(checkpoint_dir) / f"ppo_seed{seed}.pt", "ppo_actor", checkpoints.ppo_actor(model),
                             int(settings.get("hidden", 64)), WINDOW, seed, episodes, settings)
    elif method == "q_learning":
        if params is not None:
            from .tuning import q_settings
            args = q_settings(params, episodes)
        else:
            args = QLearningArgs(total_timesteps=total_steps)
        policy = train_q_learning(env, args, seed, every_episode(lambda agent: agent))
    elif method in ("random",) + tuple(HEURISTICS):
        for episode in range(episodes):   # nothing to learn: the same evaluation, episode after episode
            evaluate_curve(fixed_policy(method, seed, episode))
            # its "training" episode: the same policy over the training students (Eq. 37's series)
            env.episode_rewards.append(run_sessions(fixed_policy(method, seed, episode), train_p,
                                                    noise_seed(TRAIN_NOISE_BASE, seed, episode), WINDOW).total_reward)
        policy = fixed_policy(method, seed, episodes)
    else:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(KNOWN_METHODS)}")

    logs = [run_sessions(policy, held_p, noise_seed(FINAL_NOISE_BASE, seed, r), WINDOW) for r in range(FINAL_PASSES)]
    rewards = np.concatenate([log.rewards for log in logs])
    penalties = np.concatenate([log.penalties for log in logs])
    engagement = np.concatenate([log.engagement for log in logs])
    actions = np.concatenate([log.actions for log in logs])
    cohort = np.tile(held_p.cohort, FINAL_PASSES)
    return {
        "method": method, "seed": seed, "episodes": episodes,
        "curve": curve,
        "cumulative_reward": float(np.mean([log.total_reward for log in logs])),
        "convergence_episodes": metrics.convergence_episode(curve),
        "rvi": metrics.rvi(curve[len(curve) // 2:]),
        "rvi_training": metrics.rvi(env.episode_rewards) if len(env.episode_rewards) >= 2 else None,
        "training_episode_rewards": env.episode_rewards,
        "esi": metrics.esi(engagement),
        "reward_penalty_ratio": metrics.reward_penalty_ratio(rewards, penalties),
        "session_reward_by_cohort": {c: float(rewards[cohort == i].sum(axis=1).mean()) for i, c in enumerate(COHORTS)},
        "action_share_by_cohort": {c: action_shares(actions[cohort == i]) for i, c in enumerate(COHORTS)},
        "wall_time_s": time.perf_counter() - start,
        "cpu_time_s": time.process_time() - cpu_start,
        **({"tuned_params": params} if params is not None else {}),
    }


METRIC_KEYS = ("cumulative_reward", "convergence_episodes", "rvi", "esi", "reward_penalty_ratio")
OPTIONAL_METRIC_KEYS = ("rvi_training",)      # absent from runs made before it was recorded


def aggregate(jobs: list[dict], methods: tuple[str, ...], seeds: int, episodes: int) -> dict:
    by_method = {m: sorted((j for j in jobs if j["method"] == m), key=lambda j: j["seed"]) for m in methods}
    results: dict = {"schema": "perfscore.coach-results/1", "seeds": seeds, "episodes": episodes,
                     "steps_per_episode": N_PROFILES * SESSION_TASKS, "methods": list(methods)}
    for m, runs in by_method.items():
        entry = {k: metrics.mean_ci95([r[k] for r in runs]) for k in METRIC_KEYS}
        for k in OPTIONAL_METRIC_KEYS:
            if runs and all(r.get(k) is not None for r in runs):
                entry[k] = metrics.mean_ci95([r[k] for r in runs])
        entry["label"] = LABELS[m]
        entry["session_reward_by_cohort"] = {
            c: metrics.mean_ci95([r["session_reward_by_cohort"][c] for r in runs]) for c in COHORTS}
        entry["action_share_by_cohort"] = {
            c: dict(zip(ACTIONS, np.mean([r["action_share_by_cohort"][c] for r in runs], axis=0).round(4).tolist()))
            for c in COHORTS}
        entry["wall_time_per_seed_s"] = metrics.mean_ci95([r["wall_time_s"] for r in runs])
        if all("cpu_time_s" in r for r in runs):
            entry["cpu_time_per_seed_s"] = metrics.mean_ci95([r["cpu_time_s"] for r in runs])
        results[m] = entry
    if "dqn" in by_method:
        dqn = [r["cumulative_reward"] for r in by_method["dqn"]]
        others = [m for m in methods if m not in ("dqn", "sb3_dqn")]
        tests = {m: metrics.paired_comparison(dqn, [r["cumulative_reward"] for r in by_method[m]]) for m in others}
        for key in ("p_t", "p_wilcoxon"):
            valid = {m: t[key] for m, t in tests.items() if t[key] is not None}
            for m, p in metrics.holm(valid).items():
                tests[m][key + "_holm"] = p
        for m in others:
            tests[m]["intervals_overlap"] = metrics.intervals_overlap(results["dqn"]["cumulative_reward"],
                                                                     results[m]["cumulative_reward"])
        results["significance"] = {
            "metric": "cumulative_reward", "pairing": "by seed (same students, same noise)",
            "tests": "paired t-test and exact Wilcoxon signed-rank, two-sided; Holm-corrected over the comparisons",
            "dqn_vs": tests}
        if "sb3_dqn" in by_method:
            results["cross_check"] = {
                "what": "our DQN (MSE loss) against Stable-Baselines3's DQN (Huber loss), same hyper-parameters",
                "dqn_minus_sb3_dqn": metrics.paired_comparison(dqn, [r["cumulative_reward"] for r in by_method["sb3_dqn"]])}
    return results


def curves(jobs: list[dict], methods: tuple[str, ...]) -> dict:
    return {m: {str(j["seed"]): j["curve"] for j in sorted(jobs, key=lambda j: j["seed"]) if j["method"] == m}
            for m in methods}


def conditions() -> dict:
    from .dqn import Args
    return {
        "students": {"training": "training_profiles(seed) = draw_profiles(1000 + seed)",
                     "validation": "validation_profiles(seed) = draw_profiles(500000 + seed), for choices only",
                     "held_out": "heldout_profiles(seed) = draw_profiles(900000 + seed)",
                     "profiles": N_PROFILES, "cohorts": list(COHORTS)},
        "session_tasks": SESSION_TASKS, "window": WINDOW, "final_passes": FINAL_PASSES,
        "dynamics": asdict(Dynamics()), "dqn": asdict(Args()), "q_learning": asdict(QLearningArgs()),
        "ppo": "SB3 defaults, gamma 0.95, net_arch [64, 64]",
        "observation": OBSERVATION_VERSION,
    }


def git_commit() -> str | None:
    import subprocess
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                              capture_output=True, text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def run_comparison(out: Path, seeds: int = 10, episodes: int = 100, methods: tuple[str, ...] = ALL_METHODS,
                   jobs: int | None = None, progress=print, command: str | None = None,
                   tuning: Path | None = None) -> dict:
    """`tuning`: a tuning.json (tuning.py); its best params train dqn, ppo and q_learning, and results.json
    gains a `tuning` block (spaces, budgets, every trial, best params)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = jobs or os.cpu_count() or 1
    work = sorted(((m, s) for m in methods for s in range(seeds)),
                  key=lambda ms: (COST_ORDER.index(ms[0]), ms[1]))
    checkpoints = str(out / "checkpoints")
    tuning_doc = json.loads(Path(tuning).read_text()) if tuning else None
    from .tuning import best_params
    tuned = best_params(tuning_doc) if tuning_doc else {}
    start = time.perf_counter()
    load_before = os.getloadavg()
    done: list[dict] = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(run_job, m, s, episodes, checkpoints, tuned.get(m)): (m, s) for m, s in work}
        for future in as_completed(futures):
            job = future.result()
            done.append(job)
            progress(f"[{len(done)}/{len(work)}] {job['method']} seed {job['seed']}: held-out reward "
                     f"{job['cumulative_reward']:.1f} ({job['wall_time_s']:.0f} s)")
    wall = time.perf_counter() - start
    results = aggregate(done, methods, seeds, episodes)
    results["conditions"] = conditions()
    if tuning_doc:
        results["conditions"]["tuned"] = {"from": str(tuning), "params": tuned}
        results["tuning"] = {k: v for k, v in tuning_doc.items() if k != "schema"} | {"file": str(tuning)}
    results["run"] = {"wall_time_s": wall, "processes": jobs, "cpu_count": os.cpu_count(),
                      "load_average_before": load_before, "load_average_after": os.getloadavg(),
                      "python": platform.python_version(), "git_commit": git_commit(),
                      "command": command or " ".join(sys.argv)}
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "curves.json").write_text(json.dumps({"episodes": episodes, "curves": curves(done, methods)}) + "\n")
    # every job's raw numbers, so the tables can be recomputed without retraining
    (out / "jobs.json").write_text(json.dumps(sorted(done, key=lambda j: (j["method"], j["seed"]))) + "\n")
    from .plots import plot_all
    from .report import write_report
    plot_all(results, curves(done, methods), out)
    write_report(results, out / "report.md")
    return results


def merge_runs(pieces: list[Path], out: Path, methods: tuple[str, ...] | None = None,
               tuning: Path | None = None) -> dict:
    """One comparison from runs of the same seeds and episodes made in pieces (e.g. the DQN's jobs started
    while PPO was still being tuned): their jobs.json re-aggregated, checkpoints copied, report and plots redrawn.

        python -m training.coach.experiment --merge DIR1 DIR2 --tuned reports/coach/tuning/tuning.json --out reports/coach
    """
    import shutil

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs = [json.loads((Path(p) / "results.json").read_text()) for p in pieces]
    done = [j for p in pieces for j in json.loads((Path(p) / "jobs.json").read_text())]
    seeds, episodes = {r["seeds"] for r in runs}, {r["episodes"] for r in runs}
    if len(seeds) != 1 or len(episodes) != 1:
        raise ValueError(f"merge: pieces differ in seeds {sorted(seeds)} or episodes {sorted(episodes)}")
    present = [m for r in runs for m in r["methods"]]
    if len(present) != len(set(present)):
        raise ValueError(f"merge: a method is in more than one piece ({present})")
    methods = methods or tuple(m for m in METHODS + CROSS_CHECK + ABLATIONS if m in present)
    results = aggregate(done, methods, seeds.pop(), episodes.pop())
    results["conditions"] = conditions()
    tuning_doc = json.loads(Path(tuning).read_text()) if tuning else None
    if tuning_doc:
        from .tuning import best_params
        tuned = best_params(tuning_doc)
        used = {j["method"]: j.get("tuned_params") for j in done if j["method"] in tuned}
        stale = [m for m, p in used.items() if p != tuned[m]]
        if stale:
            raise ValueError(f"merge: {', '.join(stale)} trained with other params than {tuning}'s best")
        results["conditions"]["tuned"] = {"from": str(tuning), "params": tuned}
        results["tuning"] = {k: v for k, v in tuning_doc.items() if k != "schema"} | {"file": str(tuning)}
    results["run"] = {"pieces": [dict(r["run"], methods=r["methods"], out=str(p)) for r, p in zip(runs, pieces)],
                      "wall_time_s": max(r["run"]["wall_time_s"] for r in runs),
                      "processes": sum(r["run"]["processes"] for r in runs),
                      "command": " ; ".join(r["run"]["command"] for r in runs)}
    for p in pieces:
        for ckpt in sorted((Path(p) / "checkpoints").glob("*.pt")):
            if Path(p).resolve() != out.resolve():
                (out / "checkpoints").mkdir(exist_ok=True)
                shutil.copyfile(ckpt, out / "checkpoints" / ckpt.name)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "curves.json").write_text(json.dumps({"episodes": results["episodes"], "curves": curves(done, methods)}) + "\n")
    (out / "jobs.json").write_text(json.dumps(sorted(done, key=lambda j: (j["method"], j["seed"]))) + "\n")
    from .plots import plot_all
    from .report import write_report
    plot_all(results, curves(done, methods), out)
    write_report(results, out / "report.md")
    return results


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description="merge comparison runs made in pieces")
    parser.add_argument("--merge", type=Path, nargs="+", required=True, metavar="DIR")
    parser.add_argument("--tuned", type=Path, default=None)
    parser.add_argument("--out", type=Path, required=True)
    a = parser.parse_args()
    merge_runs(a.merge, a.out, tuning=a.tuned)
