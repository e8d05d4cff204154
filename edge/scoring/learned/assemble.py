"""Window outputs of a learned scorer → the ScoreResult contract, the same for every backend.

The performance's sub-scores are the mean of its windows' (clipped to 0–100); its grade is the
arg-max of the mean of the windows' grade logits (the model's own grade head); `overall` is the
contract's weighted mean of the sub-scores that apply. `sync` applies to dance only. The timeline
holds one result per window (start, end, its sub-scores, overall and grade).
"""

from __future__ import annotations

import numpy as np
from scipy.special import softmax

from ...config.scoring import ScoringConfig
from ..result import GRADES, SUBSCORES, Discipline, ModelInfo, ScoreResult, SubScore, overall_score
from .windows import WINDOW_S

EXPLAIN = {
    "rhythm": "steadiness of the pulse, as judges marked it in the training performances",
    "sync": "movement on the music's beat, as judges marked it",
    "technique": "clean execution (pitch and notes for music, shape and smoothness for dance), as judges marked it",
    "expression": "dynamics, phrasing and energy, as judges marked it",
    "interpretation": "faithfulness to the piece or choreography, as judges marked it",
}


def _subscores(values: np.ndarray, discipline: Discipline, model: ModelInfo,
               measurements: dict | None = None) -> dict[str, SubScore]:
    subs = {}
    for name, v in zip(SUBSCORES, values):
        if name == "sync" and discipline != "dance":
            subs[name] = SubScore(None, "does not apply: sync is judged for dance only", {}, model)
            continue
        value = float(np.clip(v, 0.0, 100.0))
        subs[name] = SubScore(value, f"learned estimate of {EXPLAIN[name]}", dict(measurements or {}), model)
    return subs


def assemble(scores: np.ndarray, logits: np.ndarray, starts_s: np.ndarray, duration_s: float,
             discipline: Discipline, model: ModelInfo, explanation: dict | None = None,
             scoring: ScoringConfig = ScoringConfig()) -> ScoreResult:
    """scores, logits (W, 5) of the windows starting at `starts_s` → the performance's ScoreResult."""
    mean_scores, mean_logits = scores.mean(axis=0), logits.mean(axis=0)
    probs = softmax(mean_logits)
    measurements = {"windows": int(len(scores)), "window_s": WINDOW_S,
                    "window_spread": None}
    subs = _subscores(mean_scores, discipline, model, measurements)
    for k, name in enumerate(SUBSCORES):
        if subs[name].value is not None:
            subs[name].measurements["window_spread"] = round(float(np.std(np.clip(scores[:, k], 0, 100))), 2)
    timeline = []
    for s, g, t0 in zip(scores, logits, starts_s):
        w_subs = _subscores(s, discipline, model)
        timeline.append(ScoreResult(discipline, w_subs, overall_score(w_subs, scoring.weights), GRADES[int(np.argmax(g))],
                                    float(t0), float(min(t0 + WINDOW_S, max(duration_s, WINDOW_S)))))
    explanation = dict(explanation or {})
    explanation["grade_probabilities"] = {b: round(float(p), 4) for b, p in zip(GRADES, probs)}
    return ScoreResult(discipline, subs, overall_score(subs, scoring.weights), GRADES[int(np.argmax(mean_logits))],
                       0.0, float(duration_s), timeline, explanation)
