"""The comparison's metrics and statistics. Definitions (also in docs/coach.md):

- cumulative reward: total reward the trained policy earns over one held-out episode (a 10-task
  session for each of the 50 held-out students), averaged over FINAL_PASSES noise draws.
- convergence: the first episode at which the held-out learning curve, smoothed over 5 episodes,
  reaches 90 % of its final value (mean of the last 10 episodes).
- RVI (Reward Volatility Index) = σ / μ of the held-out episode rewards over the second half of
  training: how much the policy's result swings from one episode to the next once ε has decayed.
- RVI, Eq. 37 (the paper's definition) = σ / μ of the rewards of the training episodes themselves
  (all of them, exploration included), `rvi_training`: it mixes learning progress and ε-greedy noise
  with volatility, which is why the held-out variant is kept beside it.
- ESI (Engagement Stability Index): for each held-out session, mean engagement minus its standard
  deviation over the 10 tasks, averaged over sessions. In [−0.5, 1]; 1 = fully engaged all along;
  it falls when engagement is low or when it swings.
- reward-to-penalty ratio: Σ reward / Σ penalty over the final held-out passes.

Across seeds: mean ± 95 % CI half-width from Student's t (n − 1 degrees of freedom).
DQN against each other method: the same seed gives both methods the same students and the same
noise, so the tests are paired: paired t-test and exact Wilcoxon signed-rank, Holm-corrected
over the comparisons.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def mean_ci95(values) -> dict:
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    mean = float(x.mean())
    if n < 2:
        return {"mean": mean, "ci95": None, "std": None, "n": n, "per_seed": x.tolist()}
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1) * std / np.sqrt(n))
    return {"mean": mean, "ci95": half, "std": std, "n": n, "per_seed": x.tolist()}


def smooth(curve, window: int = 5) -> np.ndarray:
    """Trailing moving average (the first points average what there is)."""
    c = np.asarray(curve, dtype=np.float64)
    csum = np.concatenate([[0.0], np.cumsum(c)])
    idx = np.arange(1, len(c) + 1)
    lo = np.maximum(0, idx - window)
    return (csum[idx] - csum[lo]) / (idx - lo)


def convergence_episode(curve, fraction: float = 0.9, window: int = 5, final_window: int = 10) -> int:
    """1-based episode where the smoothed curve first reaches `fraction` of the final value.

    With a negative final value "90 % of it" is not a target, so then the threshold is 90 % of
    the way from the first smoothed value to the final one.
    """
    s = smooth(curve, window)
    final = float(np.mean(np.asarray(curve, dtype=np.float64)[-final_window:]))
    if final > 0:
        reached = np.nonzero(s >= fraction * final)[0]
    else:
        target = s[0] + fraction * (final - s[0])
        reached = np.nonzero(s >= target)[0] if final >= s[0] else np.nonzero(s <= target)[0]
    return int(reached[0] + 1) if len(reached) else len(s)


def rvi(episode_rewards) -> float:
    x = np.asarray(episode_rewards, dtype=np.float64)
    return float(x.std(ddof=1) / x.mean())


def esi(engagement: np.ndarray) -> float:
    """`engagement` is (sessions, tasks)."""
    e = np.asarray(engagement, dtype=np.float64)
    return float((e.mean(axis=1) - e.std(axis=1)).mean())


def reward_penalty_ratio(rewards: np.ndarray, penalties: np.ndarray) -> float:
    return float(np.sum(rewards) / np.sum(penalties))


def holm(p_values: dict[str, float]) -> dict[str, float]:
    """Holm–Bonferroni adjusted p-values (monotone, capped at 1)."""
    order = sorted(p_values, key=p_values.get)
    m, running, out = len(order), 0.0, {}
    for rank, key in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[key]))
        out[key] = running
    return out


def paired_comparison(a, b) -> dict:
    """a − b per seed: mean difference with its CI, paired t-test, exact Wilcoxon, Cohen's d_z."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    diff = a - b
    out = {"mean_difference": mean_ci95(diff)}
    if len(diff) >= 2 and np.any(diff != diff[0]):
        out["t"], out["p_t"] = (float(v) for v in stats.ttest_rel(a, b))
        out["cohens_dz"] = float(diff.mean() / diff.std(ddof=1))
    else:
        out["t"], out["p_t"], out["cohens_dz"] = None, None, None
    out["p_wilcoxon"] = float(stats.wilcoxon(a, b).pvalue) if len(diff) >= 2 and np.any(diff != 0) else None
    return out


def intervals_overlap(x: dict, y: dict) -> bool | None:
    if x["ci95"] is None or y["ci95"] is None:
        return None
    return not (x["mean"] - x["ci95"] > y["mean"] + y["ci95"] or y["mean"] - y["ci95"] > x["mean"] + x["ci95"])
