"""Figures of the comparison: learning curves with 95 % CI bands; RVI and ESI per method."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from .metrics import smooth  # noqa: E402


def _band(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = rows.mean(axis=0)
    if len(rows) < 2:
        return mean, np.zeros_like(mean)
    half = stats.t.ppf(0.975, len(rows) - 1) * rows.std(axis=0, ddof=1) / np.sqrt(len(rows))
    return mean, half


def plot_learning_curves(results: dict, curves: dict, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(9, 5.5))
    for method in results["methods"]:
        rows = np.array([smooth(c, 5) for c in curves[method].values()])
        mean, half = _band(rows)
        x = np.arange(1, len(mean) + 1)
        line, = ax.plot(x, mean, label=results[method]["label"], lw=1.6,
                        ls="--" if method == "sb3_dqn" else "-")
        ax.fill_between(x, mean - half, mean + half, color=line.get_color(), alpha=0.18)
    ax.set_xlabel("training episode (a 10-task session for each of 50 training students)")
    ax.set_ylabel("held-out episode reward (50 unseen students, greedy)")
    ax.set_title(f"Learning curves: mean ± 95 % CI over {results['seeds']} seeds (5-episode moving average)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_rvi_esi(results: dict, path: Path) -> None:
    methods = results["methods"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, key, title in ((axes[0], "rvi", "Reward Volatility Index (lower = steadier)"),
                           (axes[1], "esi", "Engagement Stability Index (higher = better)")):
        means = [results[m][key]["mean"] for m in methods]
        errs = [results[m][key]["ci95"] or 0.0 for m in methods]
        ax.bar(range(len(methods)), means, yerr=errs, capsize=4, color=[f"C{i}" for i in range(len(methods))])
        ax.set_xticks(range(len(methods)), [results[m]["label"] for m in methods], rotation=35, ha="right", fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"mean ± 95 % CI over {results['seeds']} seeds, held-out students")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_all(results: dict, curves: dict, out: Path) -> None:
    plot_learning_curves(results, curves, Path(out) / "learning_curves.png")
    plot_rvi_esi(results, Path(out) / "rvi_esi.png")
