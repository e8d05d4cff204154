"""The result of scoring one window or one performance: the contract every scorer fills (shared/DESIGN.md).

Sub-scores are 0–100, or None where they do not apply (`sync` for music, `interpretation` without a
reference). Each carries the raw measurements behind it, one plain sentence for the performer, and the
model that produced it, so a rubric score and a learned score of the same file sit side by side.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..config.scoring import GradesConfig, WeightsConfig
from ..models import ModelInfo   # one type for every model the box loads (edge/models.py)

__all__ = ["SUBSCORES", "GRADES", "Discipline", "ModelInfo", "SubScore", "ScoreResult", "overall_score",
           "overall_weights", "grade_of"]

SUBSCORES = ("rhythm", "sync", "technique", "expression", "interpretation")
GRADES = ("A", "B", "C", "D", "E")
Discipline = Literal["dance", "music"]


@dataclass
class SubScore:
    value: float | None                      # 0–100; None: does not apply to this performance
    explanation: str                         # one sentence a performer understands
    measurements: dict[str, Any] = field(default_factory=dict)  # units in the key names: *_ms, *_cents, *_db
    model: ModelInfo | None = None


@dataclass
class ScoreResult:
    discipline: Discipline
    subscores: dict[str, SubScore]
    overall: float | None
    grade: str | None
    start_s: float = 0.0
    end_s: float = 0.0
    timeline: list["ScoreResult"] = field(default_factory=list)   # windows, for the whole performance only
    explanation: dict[str, Any] | None = None                     # saliency of learned scorers

    def value(self, name: str) -> float | None:
        sub = self.subscores.get(name)
        return None if sub is None else sub.value

    def to_dict(self) -> dict[str, Any]:
        def sub(s: SubScore) -> dict[str, Any]:
            return {"value": None if s.value is None else round(s.value, 2), "explanation": s.explanation,
                    "measurements": s.measurements, "model": asdict(s.model) if s.model else None}

        return {
            "discipline": self.discipline,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "overall": None if self.overall is None else round(self.overall, 2),
            "grade": self.grade,
            "subscores": {name: sub(self.subscores[name]) for name in SUBSCORES if name in self.subscores},
            "timeline": [w.to_dict() for w in self.timeline],
            "explanation": self.explanation,
        }


def overall_score(subscores: dict[str, SubScore | float | None], weights: WeightsConfig) -> float | None:
    """Weighted mean of the sub-scores that apply (weights renormalised over them)."""
    total = weight_sum = 0.0
    for name in SUBSCORES:
        entry = subscores.get(name)
        value = entry.value if isinstance(entry, SubScore) else entry
        w = getattr(weights, name)
        if value is not None and w > 0:
            total += w * value
            weight_sum += w
    return total / weight_sum if weight_sum > 0 else None


def overall_weights(discipline: Discipline, weights: WeightsConfig) -> list[float]:
    """The weights `overall_score` gives the sub-scores of a performance whose every sub-score applies
    (sync only to dance), renormalised to sum to 1: the overall is then a dot product."""
    w = [0.0 if (n == "sync" and discipline != "dance") else getattr(weights, n) for n in SUBSCORES]
    return [x / sum(w) for x in w]


def grade_of(overall: float | None, grades: GradesConfig) -> str | None:
    if overall is None:
        return None
    for band in ("A", "B", "C", "D"):
        if overall >= getattr(grades, band):
            return band
    return "E"
