"""results.json → a Markdown table in the style of the paper's Table 8, plus the tests."""

from __future__ import annotations

from pathlib import Path


def _fmt(stat: dict, digits: int = 1) -> str:
    if stat["ci95"] is None:
        return f"{stat['mean']:.{digits}f}"
    return f"{stat['mean']:.{digits}f} ± {stat['ci95']:.{digits}f}"


def _p(value) -> str:
    return "—" if value is None else (f"{value:.2g}" if value >= 0.001 else f"{value:.1e}")


def table(results: dict) -> str:
    # RVI as the paper's Eq. 37 (σ/μ of the training episodes' rewards), when the run recorded it
    eq37 = all("rvi_training" in results[m] for m in results["methods"])
    rows = ["| Method | Cumulative reward | Convergence (episodes) | RVI (held-out, 2nd half) | "
            + ("RVI (Eq. 37, training) | " if eq37 else "") + "ESI | Reward/penalty |",
            "|---|---|---|---|---|---|" + ("---|" if eq37 else "")]
    for m in results["methods"]:
        r = results[m]
        rows.append(f"| {r['label']} | {_fmt(r['cumulative_reward'])} | {_fmt(r['convergence_episodes'])} "
                    f"| {_fmt(r['rvi'], 3)} | " + (f"{_fmt(r['rvi_training'], 3)} | " if eq37 else "")
                    + f"{_fmt(r['esi'], 3)} | {_fmt(r['reward_penalty_ratio'], 2)} |")
    return "\n".join(rows)


def significance_table(results: dict) -> str:
    sig = results.get("significance")
    if not sig:
        return ""
    rows = ["| DQN vs | Mean difference (95 % CI) | Cohen's d_z | p (paired t, Holm) | p (Wilcoxon, Holm) | CIs overlap |",
            "|---|---|---|---|---|---|"]
    for m, t in sig["dqn_vs"].items():
        dz = "—" if t["cohens_dz"] is None else f"{t['cohens_dz']:.2f}"
        overlap = {True: "yes", False: "no", None: "—"}[t["intervals_overlap"]]
        rows.append(f"| {results[m]['label']} | {_fmt(t['mean_difference'])} | {dz} | {_p(t.get('p_t_holm'))} "
                    f"| {_p(t.get('p_wilcoxon_holm'))} | {overlap} |")
    return "\n".join(rows)


def cohort_table(results: dict) -> str:
    cohorts = list(next(iter(results[m] for m in results["methods"]))["session_reward_by_cohort"])
    rows = ["| Method | " + " | ".join(f"{c} (reward per session)" for c in cohorts) + " |",
            "|---|" + "---|" * len(cohorts)]
    for m in results["methods"]:
        cells = " | ".join(_fmt(results[m]["session_reward_by_cohort"][c], 2) for c in cohorts)
        rows.append(f"| {results[m]['label']} | {cells} |")
    return "\n".join(rows)


def tuning_table(results: dict) -> str:
    """Per tuned method: budget, CPU time, best validation reward and best params (results.json's tuning block)."""
    tuning = results.get("tuning")
    if not tuning:
        return ""
    rows = ["| Method | Trials × seeds × episodes | Env steps | CPU time | Best validation reward | Best params |",
            "|---|---|---|---|---|---|"]
    for m, block in tuning["methods"].items():
        if "best" not in block:          # a method still being tuned when the run started
            continue
        b = block["budget"]
        params = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in block["best"]["params"].items())
        rows.append(f"| {results[m]['label'] if m in results else m} | {b['trials']} × {b['seeds_per_trial']} × "
                    f"{b['episodes_per_seed']} | {b['env_steps']:,} | {block['cpu_time_s'] / 60:.1f} min "
                    f"| {block['best']['value']:.1f} (trial {block['best']['number']}) | {params} |")
    return "\n".join(rows)


def write_report(results: dict, path: Path) -> None:
    run = results.get("run", {})
    parts = [
        "# Coach comparison (generated from results.json)",
        "",
        f"Command: `{run.get('command', 'perfscore train coach')}`  ",
        f"{results['seeds']} seeds × {results['episodes']} episodes of {results['steps_per_episode']} steps; "
        f"held-out students; mean ± 95 % CI (Student's t) over seeds. "
        f"Wall time {run.get('wall_time_s', float('nan')) / 60:.1f} min with {run.get('processes', '?')} processes.",
        "",
        table(results),
        "",
        "## DQN against each method (cumulative reward, paired by seed)",
        "",
        significance_table(results),
        "",
        "## Reward per held-out session, by cohort",
        "",
        cohort_table(results),
        "",
    ]
    if results.get("tuning"):
        parts += ["## Tuning (validation students, equal budget per method)", "", tuning_table(results), ""]
    cross = results.get("cross_check")
    if cross:
        d = cross["dqn_minus_sb3_dqn"]
        parts += ["## Cross-check against Stable-Baselines3's DQN", "",
                  f"Our DQN − SB3 DQN, cumulative reward: {_fmt(d['mean_difference'])} "
                  f"(paired t p = {_p(d['p_t'])}, Wilcoxon p = {_p(d['p_wilcoxon'])}).", ""]
    Path(path).write_text("\n".join(parts))


if __name__ == "__main__":
    # Re-render report.md and the plots of a finished run: python -m training.coach.report DIR
    import json
    import sys

    from .plots import plot_all

    out = Path(sys.argv[1])
    results = json.loads((out / "results.json").read_text())
    plot_all(results, json.loads((out / "curves.json").read_text())["curves"], out)
    write_report(results, out / "report.md")
