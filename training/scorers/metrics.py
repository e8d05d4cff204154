"""The paper's Table 2 metrics on grade bands, plus per-sub-score MAE and Spearman ρ, and the
clean-vs-faulty ranking check.

- accuracy, precision, recall, F1: on grade bands A–E; precision/recall/F1 are macro averages over
  the bands present in the truth or the predictions (scikit-learn's `average="macro"`, zero where
  undefined), as fractions;
- mae, spearman: per sub-score over the performances where it applies (sync: dance only);
- pairs: within each family (same piece or motion, same tempo, instrument or camera), every
  (clean, faulty) pair whose true overall differs by at least `PAIR_MARGIN`; agreement = share of
  pairs the predicted overall orders the same way as the truth.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from edge.config.scoring import GradesConfig, WeightsConfig
from edge.scoring.result import GRADES, SUBSCORES, grade_of, overall_score

PAIR_MARGIN = 1.0


def predicted_overall(scores: np.ndarray, disciplines: list[str], weights: WeightsConfig = WeightsConfig()) -> np.ndarray:
    """overall from sub-scores, as the result contract computes it (sync only for dance; a NaN is a mark
    a judge left empty, left out of the weighted mean rather than counted as 0)."""
    out = []
    for row, d in zip(np.clip(scores, 0, 100), disciplines):
        subs = {n: None if np.isnan(v) else float(v) for n, v in zip(SUBSCORES, row)}
        if d != "dance":
            subs["sync"] = None
        out.append(overall_score(subs, weights))
    return np.array(out, np.float32)


def grade_metrics(true: np.ndarray, pred: np.ndarray) -> dict:
    labels = sorted(set(true.tolist()) | set(pred.tolist()))
    p, r, f, _ = precision_recall_fscore_support(true, pred, labels=labels, average="macro", zero_division=0)
    return {"accuracy": float(accuracy_score(true, pred)), "precision": float(p), "recall": float(r), "f1": float(f),
            "n": int(len(true)), "confusion": confusion(true, pred)}


def confusion(true: np.ndarray, pred: np.ndarray) -> list[list[int]]:
    return confusion_matrix(true, pred, labels=list(range(len(GRADES)))).tolist()


def subscore_metrics(targets: np.ndarray, scores: np.ndarray) -> dict:
    out = {}
    for k, name in enumerate(SUBSCORES):
        ok = np.isfinite(targets[:, k])
        if ok.sum() < 3:
            out[name] = {"mae": None, "spearman": None, "n": int(ok.sum())}
            continue
        y, p = targets[ok, k], np.clip(scores[ok, k], 0, 100)
        rho = spearmanr(y, p).statistic if np.ptp(y) > 0 and np.ptp(p) > 0 else float("nan")
        out[name] = {"mae": float(np.mean(np.abs(y - p))), "spearman": None if np.isnan(rho) else float(rho),
                     "n": int(ok.sum())}
    return out


def pair_agreement(entries: list[dict], true_overall: np.ndarray, pred_overall: np.ndarray) -> dict:
    families: dict[str, dict[int, int]] = defaultdict(dict)
    for i, e in enumerate(entries):
        families[e.get("family", e["id"])][int(e.get("variant", -1))] = i
    agree = total = 0
    for members in families.values():
        if 0 not in members:
            continue
        clean = members[0]
        for v, i in members.items():
            if v == 0 or abs(true_overall[clean] - true_overall[i]) < PAIR_MARGIN:
                continue
            total += 1
            agree += int(np.sign(pred_overall[clean] - pred_overall[i]) == np.sign(true_overall[clean] - true_overall[i]))
    return {"agreement": agree / total if total else None, "pairs": total}


def evaluate(entries: list[dict], targets: np.ndarray, grades: np.ndarray, scores: np.ndarray,
             logits: np.ndarray, true_overall: np.ndarray | None = None) -> dict:
    """Every metric of one model on one set of performances (clip-level predictions)."""
    disciplines = [e["discipline"] for e in entries]
    pred_overall = predicted_overall(scores, disciplines)
    if true_overall is None:
        true_overall = predicted_overall(targets, disciplines)
    head = grade_metrics(grades, logits.argmax(1))
    from_overall = grade_metrics(grades, np.array([_band(v) for v in pred_overall]))
    per_discipline = {}
    for d in sorted(set(disciplines)):
        sel = np.array([x == d for x in disciplines])
        per_discipline[d] = {k: v for k, v in grade_metrics(grades[sel], logits[sel].argmax(1)).items()
                             if k != "confusion"} | {"subscores": subscore_metrics(targets[sel], scores[sel])}
    return {**{k: head[k] for k in ("accuracy", "precision", "recall", "f1", "n", "confusion")},
            "grade_from_overall": {k: from_overall[k] for k in ("accuracy", "precision", "recall", "f1")},
            "overall_mae": float(np.mean(np.abs(pred_overall - true_overall))),
            "subscores": subscore_metrics(targets, scores),
            "pairs": pair_agreement(entries, true_overall, pred_overall),
            "per_discipline": per_discipline}


def _band(overall: float) -> int:
    return GRADES.index(grade_of(float(overall), GradesConfig()))
