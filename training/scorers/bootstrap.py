"""Round 2's metrics with honest uncertainty: percentile bootstrap over test *sources*, not clips.

Clips of one motion or piece are not independent (same choreography or melody, shared families), so
a confidence interval over clips is far too narrow. Each bootstrap replicate draws, per discipline,
as many sources as the test split has, with replacement, and takes all their clips (a source drawn
twice counts twice). The same replicates serve every model, so a difference between two models is a
*paired* bootstrap.

Metrics of one prediction set (`point_metrics`): band accuracy and within-one-band of the grade
implied by the predicted overall, overall MAE, clean-above-faulty (share of (clean, faulty) pairs of a
family whose true overalls differ by ≥ PAIR_MARGIN that the predicted overall orders the same way;
`_close`: only pairs less than 10 points apart), and per sub-score Spearman ρ and MAE, pooled and per
discipline.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

import numpy as np
from scipy.stats import spearmanr

from edge.config.scoring import GradesConfig
from edge.scoring.result import GRADES, SUBSCORES, grade_of

from .metrics import PAIR_MARGIN, predicted_overall

CLOSE_PAIR = 10.0


def bands(overall: np.ndarray) -> np.ndarray:
    return np.array([GRADES.index(grade_of(float(v), GradesConfig())) for v in overall], int)


def clean_faulty_pairs(entries: list[dict], true_overall: np.ndarray) -> list[tuple[int, int]]:
    """(clean index, faulty index) within each family, where the true overalls differ by ≥ PAIR_MARGIN."""
    families: dict[str, dict[int, int]] = defaultdict(dict)
    for i, e in enumerate(entries):
        families[e["family"]][int(e["variant"])] = i
    out = []
    for members in families.values():
        if 0 not in members:
            continue
        c = members[0]
        out += [(c, i) for v, i in sorted(members.items())
                if v != 0 and abs(true_overall[c] - true_overall[i]) >= PAIR_MARGIN]
    return out


def _rho(y: np.ndarray, p: np.ndarray) -> float:
    if len(y) < 3 or np.ptp(y) == 0 or np.ptp(p) == 0:
        return float("nan")
    return float(spearmanr(y, p).statistic)


class Evaluation:
    """One prediction set on one test set; `metrics(idx, weight)` on any bootstrap replicate."""

    def __init__(self, entries: list[dict], targets: np.ndarray, scores: np.ndarray):
        self.entries = entries
        self.disciplines = [e["discipline"] for e in entries]
        self.targets = targets.astype(np.float64)
        # A sub-score the task does not judge on a clip (sync of music, interpretation without a
        # reference) is not predicted either: the overall is over the judged ones, like the label's.
        self.scores = np.where(np.isfinite(targets), np.clip(scores, 0, 100), np.nan)
        self.true_overall = predicted_overall(self.targets, self.disciplines).astype(np.float64)
        self.pred_overall = predicted_overall(self.scores, self.disciplines).astype(np.float64)
        self.true_band, self.pred_band = bands(self.true_overall), bands(self.pred_overall)
        self.pairs = np.array(clean_faulty_pairs(entries, self.true_overall), int).reshape(-1, 2)
        gap = np.abs(self.true_overall[self.pairs[:, 0]] - self.true_overall[self.pairs[:, 1]])
        self.close = gap < CLOSE_PAIR
        self.agree = (np.sign(self.pred_overall[self.pairs[:, 0]] - self.pred_overall[self.pairs[:, 1]])
                      == np.sign(self.true_overall[self.pairs[:, 0]] - self.true_overall[self.pairs[:, 1]]))

    def metrics(self, idx: np.ndarray, clip_weight: np.ndarray) -> dict[str, float]:
        """idx: clips of the replicate (repeats allowed); clip_weight: how often each clip was drawn
        (weights the clean/faulty pairs, which belong to one source)."""
        t, p = self.targets[idx], self.scores[idx]
        out = {"band_accuracy": float(np.mean(self.true_band[idx] == self.pred_band[idx])),
               "within_one_band": float(np.mean(np.abs(self.true_band[idx] - self.pred_band[idx]) <= 1)),
               "overall_mae": float(np.mean(np.abs(self.true_overall[idx] - self.pred_overall[idx])))}
        w = clip_weight[self.pairs[:, 1]] if len(self.pairs) else np.zeros(0)
        out["clean_above_faulty"] = float(np.sum(w * self.agree) / np.sum(w)) if np.sum(w) else float("nan")
        wc = w * self.close
        out["clean_above_faulty_close"] = float(np.sum(wc * self.agree) / np.sum(wc)) if np.sum(wc) else float("nan")
        disc = np.array(self.disciplines)[idx]
        for k, name in enumerate(SUBSCORES):
            for scope, sel in (("all", np.ones(len(idx), bool)), ("dance", disc == "dance"), ("music", disc == "music")):
                ok = sel & np.isfinite(t[:, k])
                if ok.sum() < 3:
                    continue
                out[f"{scope}/{name}/spearman"] = _rho(t[ok, k], p[ok, k])
                out[f"{scope}/{name}/mae"] = float(np.mean(np.abs(t[ok, k] - p[ok, k])))
        return out


def replicates(entries: list[dict], n: int = 2000, seed: int = 0):
    """Yield (idx, clip_weight) of `n` source-bootstrap replicates (stratified by discipline)."""
    rng = np.random.default_rng(seed)
    by_group: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, e in enumerate(entries):
        by_group[(e["discipline"], e["group"])].append(i)
    strata: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key in sorted(by_group):
        strata[key[0]].append(key)
    for _ in range(n):
        weight = np.zeros(len(entries))
        idx = []
        for groups in strata.values():
            for j in rng.integers(0, len(groups), size=len(groups)):
                members = by_group[groups[j]]
                idx += members
                weight[members] += 1
        yield np.array(idx, int), weight


def with_ci(point: dict[str, float], draws: list[dict[str, float]]) -> dict[str, dict]:
    """{metric: {"value": point, "ci95": [2.5 %, 97.5 %] of the replicates}} (NaN replicates dropped)."""
    out = {}
    for key, value in point.items():
        vals = np.array([d.get(key, np.nan) for d in draws], float)
        vals = vals[np.isfinite(vals)]
        ci = [float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))] if len(vals) else [None, None]
        out[key] = {"value": None if not np.isfinite(value) else float(value), "ci95": ci}
    return out


def bootstrap(evaluations: dict[str, Evaluation], entries: list[dict], n: int = 2000, seed: int = 0,
              paired: Callable[[dict[str, dict]], dict[str, float]] | None = None) -> tuple[dict, dict]:
    """Point metrics with 95 % CIs for every evaluation, on the same replicates; and `paired(per model
    metrics of a replicate) → {name: difference}` bootstrapped on those same replicates."""
    full = np.arange(len(entries))
    ones = np.ones(len(entries))
    points = {k: ev.metrics(full, ones) for k, ev in evaluations.items()}
    draws: dict[str, list] = {k: [] for k in evaluations}
    diffs: list[dict] = []
    for idx, weight in replicates(entries, n, seed):
        rep = {k: ev.metrics(idx, weight) for k, ev in evaluations.items()}
        for k in evaluations:
            draws[k].append(rep[k])
        if paired:
            diffs.append(paired(rep))
    per_model = {k: with_ci(points[k], draws[k]) for k in evaluations}
    paired_out = {}
    if paired:
        for name, value in paired(points).items():
            vals = np.array([d[name] for d in diffs], float)
            paired_out[name] = {"value": float(value), "ci95": [float(np.percentile(vals, 2.5)),
                                                                float(np.percentile(vals, 97.5))],
                                "share_below_zero": float(np.mean(vals < 0)), "replicates": int(len(vals))}
    return per_model, paired_out


def block(metrics: dict[str, dict], n_clips: int, n_sources: dict[str, int]) -> dict:
    """The results.json block of one model and task (item 8's shape)."""
    out = {k: metrics[k] for k in ("band_accuracy", "within_one_band", "overall_mae", "clean_above_faulty",
                                   "clean_above_faulty_close")}
    out["subscores"] = {}
    out["per_discipline"] = {"dance": {}, "music": {}}
    for name in SUBSCORES:
        if f"all/{name}/spearman" in metrics:
            out["subscores"][name] = {"spearman": metrics[f"all/{name}/spearman"], "mae": metrics[f"all/{name}/mae"]}
        for d in ("dance", "music"):
            if f"{d}/{name}/spearman" in metrics:
                out["per_discipline"][d][name] = {"spearman": metrics[f"{d}/{name}/spearman"],
                                                  "mae": metrics[f"{d}/{name}/mae"]}
    out["test_clips"], out["test_sources"] = n_clips, n_sources
    return out
