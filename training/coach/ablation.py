"""Ablations of the DQN's switchable improvements, on VALIDATION students (never the held-out ones).

Each run trains on training_profiles(seed) exactly as in the comparison (100 episodes = 50,000 steps)
and is scored greedily on validation_profiles(seed) with FINAL_PASSES noise draws; the comparison
(experiment.py, held-out students) is what decides between methods, this only shows where the DQN stops.

Two kinds:
- leave-one-out from the TUNED DQN (round 2): the tuned settings of a tuning.json, then each improvement
  that is on in them switched off in turn (n-step → 1, Double off, dueling off, Huber → MSE), beside
  round 1's plain DQN and the tuned PPO as the yardstick. Paired by seed: each variant − the tuned DQN,
  mean ± 95 % CI, paired t and Wilcoxon with Holm's correction (metrics.py, as the comparison's tables).
  Every finished run is written at once, and a rerun with the same --out skips the finished ones:

    nice perfscore train coach ablation --seeds 10 --from-tuned reports/coach/tuning/tuning.json \\
        --out reports/coach/ablation_tuned

- the round-2 PROBE from the untuned DQN (each switch turned on alone; 2 seeds, history):

    nice python -m training.coach.ablation --seeds 2 --out reports/coach/ablation_dqn
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from . import metrics
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

# Leave-one-out from the tuned DQN: switch → (variant name, its "off" value = round 1's setting).
SWITCHES_OFF = {"n_step": ("n_step_1", 1), "double": ("no_double", False), "dueling": ("no_dueling", False),
                "huber": ("mse", False)}
BASELINE = "dqn_tuned"
YARDSTICK = "ppo_tuned"
TUNED_LABELS = {"dqn_tuned": "DQN, tuned (all on)", "n_step_1": "− n-step (n = 1)", "no_double": "− Double DQN",
                "no_dueling": "− dueling head", "mse": "− Huber (MSE loss)",
                "dqn_round1": "Round-1 plain DQN (untuned defaults)", "ppo_tuned": "PPO, tuned"}
TUNED_SCHEMA = "perfscore.coach-ablation/1"


def score(policy, seed: int) -> float:
    students = validation_profiles(seed)
    return float(np.mean([run_sessions(policy, students, noise_seed(VALIDATION_NOISE_BASE, seed, r), WINDOW).total_reward
                          for r in range(FINAL_PASSES)]))


def run(variant: str, seed: int, episodes: int) -> dict:
    """One run of the probe (untuned DQN + one switch, or default PPO)."""
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


# ---- leave-one-out from the tuned DQN ---------------------------------------------------------

def leave_one_out(tuning) -> dict[str, tuple[str, dict]]:
    """{variant: (method, params)}: the tuned DQN, each improvement that is ON in it switched off alone,
    round 1's plain DQN (the Args defaults, every switch off) and the tuned PPO."""
    from .tuning import best_params
    best = best_params(tuning)
    missing = [m for m in ("dqn", "ppo") if m not in best]
    if missing:
        raise ValueError(f"ablation: the tuning file has no best params for {', '.join(missing)}")
    dqn = best["dqn"]
    variants = {BASELINE: ("dqn", dict(dqn))}
    for switch, (name, off) in SWITCHES_OFF.items():
        if switch in dqn and dqn[switch] != off:          # a switch already off has nothing to remove
            variants[name] = ("dqn", dqn | {switch: off})
    variants["dqn_round1"] = ("dqn", {})
    variants[YARDSTICK] = ("ppo", dict(best["ppo"]))
    return variants


def run_tuned(variant: str, method: str, params: dict, seed: int, episodes: int) -> dict:
    import torch
    torch.set_num_threads(1)
    from .tuning import train_policy
    wall, cpu = time.perf_counter(), time.process_time()
    policy, _ = train_policy(method, params, seed, episodes)
    return {"variant": variant, "method": method, "params": params, "seed": seed, "episodes": episodes,
            "validation_reward": score(policy, seed),
            "cpu_time_s": time.process_time() - cpu, "wall_time_s": time.perf_counter() - wall}


def paired_summary(rows: list[dict], order: list[str]) -> dict:
    """Per variant: validation reward mean ± CI; variant − tuned DQN paired by seed (Holm over the
    variants, t and Wilcoxon separately); and variant − tuned PPO's mean difference (the gap left)."""
    values = {v: {r["seed"]: r["validation_reward"] for r in rows if r["variant"] == v} for v in order}
    out: dict = {}
    for v in order:
        if not values[v]:
            continue
        out[v] = {"label": TUNED_LABELS.get(v, v), "validation_reward": metrics.mean_ci95(
            [values[v][s] for s in sorted(values[v])])}
        for ref, key in ((BASELINE, "minus_dqn_tuned"), (YARDSTICK, "minus_ppo_tuned")):
            seeds = sorted(set(values[v]) & set(values.get(ref, {})))
            if v != ref and seeds:
                out[v][key] = metrics.paired_comparison([values[v][s] for s in seeds],
                                                        [values[ref][s] for s in seeds]) | {"seeds": seeds}
    for p in ("p_t", "p_wilcoxon"):
        valid = {v: e["minus_dqn_tuned"][p] for v, e in out.items()
                 if "minus_dqn_tuned" in e and e["minus_dqn_tuned"][p] is not None}
        for v, adjusted in metrics.holm(valid).items():
            out[v]["minus_dqn_tuned"][p + "_holm"] = adjusted
    return out


def ablation_table(summary: dict) -> str:
    from .report import _fmt, _p
    rows = ["| Variant | Validation reward | − tuned DQN (95 % CI) | p (paired t, Holm) | p (Wilcoxon, Holm) "
            "| − tuned PPO (95 % CI) |", "|---|---|---|---|---|---|"]
    for v, e in summary.items():
        d, g = e.get("minus_dqn_tuned"), e.get("minus_ppo_tuned")
        rows.append(f"| {e['label']} | {_fmt(e['validation_reward'])} | {_fmt(d['mean_difference']) if d else '—'} "
                    f"| {_p(d.get('p_t_holm')) if d else '—'} | {_p(d.get('p_wilcoxon_holm')) if d else '—'} "
                    f"| {_fmt(g['mean_difference']) if g else '—'} |")
    return "\n".join(rows)


def load_finished(path: Path, variants: dict[str, tuple[str, dict]], episodes: int) -> list[dict]:
    """Runs already in path (to resume); refuses runs made with other settings than these variants'."""
    if not path.is_file():
        return []
    rows = json.loads(path.read_text()).get("runs", [])
    for r in rows:
        if r["variant"] in variants and (r["episodes"] != episodes or r["params"] != variants[r["variant"]][1]):
            raise ValueError(f"ablation: {path} holds a {r['variant']} run (seed {r['seed']}) with other settings "
                             f"or episodes than this one; use another --out or remove it")
    return rows


def run_tuned_ablation(out: Path, tuning: Path, seeds: int, episodes: int, first_seed: int = 0,
                       progress=print, runner=run_tuned) -> dict:
    """Seed by seed (so a run cut short still has complete pairs), every variant; skips finished runs."""
    out, tuning = Path(out), Path(tuning)
    if not tuning.is_file():
        raise FileNotFoundError(f"ablation: --from-tuned {tuning}: no such tuning file")
    variants = leave_one_out(tuning)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    rows = load_finished(path, variants, episodes)
    done = {(r["variant"], r["seed"]) for r in rows}
    doc = {"schema": TUNED_SCHEMA,
           "what": "leave-one-out ablation from the tuned DQN, on validation students (not the held-out comparison)",
           "students": "train: training_profiles(seed); score: validation_profiles(seed)",
           "from_tuned": str(tuning), "episodes": episodes, "final_passes": FINAL_PASSES, "processes": 1,
           "command": " ".join(sys.argv),
           "variants": {v: {"method": m, "params": p, "label": TUNED_LABELS[v]} for v, (m, p) in variants.items()}}

    def save() -> None:
        order = list(variants)
        rows.sort(key=lambda r: (r["seed"], order.index(r["variant"]) if r["variant"] in order else 99))
        # the statistics use only seeds every variant has finished, so a run cut short mid-seed stays paired
        ran = {s: {r["variant"] for r in rows if r["seed"] == s} for s in {r["seed"] for r in rows}}
        doc["seeds"] = sorted(s for s, vs in ran.items() if set(order) <= vs)
        doc["unfinished_seeds"] = sorted(set(ran) - set(doc["seeds"]))
        doc["summary"] = paired_summary([r for r in rows if r["seed"] in doc["seeds"]], order)
        doc["runs"] = rows
        path.write_text(json.dumps(doc, indent=2) + "\n")
        (out / "report.md").write_text(
            f"# Leave-one-out ablation from the tuned DQN (generated from results.json)\n\n"
            f"{len(doc['seeds'])} seeds × {episodes} episodes; trained on training students, scored on validation "
            f"students ({FINAL_PASSES} noise draws); paired by seed; settings from `{tuning}`.\n\n"
            + ablation_table(doc["summary"]) + "\n")

    for seed in range(first_seed, first_seed + seeds):
        for variant, (method, params) in variants.items():
            if (variant, seed) in done:
                continue
            rows.append(runner(variant, method, params, seed, episodes))
            done.add((variant, seed))
            save()
            progress(f"{variant} seed {seed}: validation reward {rows[-1]['validation_reward']:.1f} "
                     f"({rows[-1]['cpu_time_s']:.0f} CPU-s)")
    save()
    return doc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0, help="start at this seed (to continue a run elsewhere)")
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--variants", default=",".join([*VARIANTS, "ppo"]))
    parser.add_argument("--from-tuned", type=Path, default=None, metavar="TUNING_JSON",
                        help="the leave-one-out ablation from this tuning.json's DQN (resumes into --out)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--merge", type=Path, nargs="+", metavar="DIR",
                        help="instead of training: merge the runs of these earlier --out folders into --out")
    args = parser.parse_args()
    if args.from_tuned is not None:
        run_tuned_ablation(args.out, args.from_tuned, args.seeds, args.episodes, args.first_seed,
                           progress=lambda line: print(line, flush=True))
        raise SystemExit(0)
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
