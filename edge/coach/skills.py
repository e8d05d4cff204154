"""From a performance's sub-scores to the student model's four skills.

A performance result has sub-scores on 0–100 (`rhythm`, `sync` for dance, `technique`,
`expression`, `interpretation` with a reference, `overall`); one that does not apply is None.

    accuracy = mean of technique, rhythm and, for dance, sync — those present
    SR (sight-reading)           accuracy on the performer's FIRST attempt at the piece: playing
                                 the right notes at the right time at sight is what reading is
    TP (technical proficiency)   accuracy on a later (rehearsed) attempt at a piece
    ME (musical expressiveness)  expression
    IS (interpretative skill)    interpretation (only measured against a reference)

The overall score is not a skill: it mixes every sub-score with the rubric's weights, so reading it
as sight-reading would count expression and interpretation twice. A first attempt says how well the
performer reads, not how well they play what they have practised, hence SR there and TP on
rehearsed attempts. Each value then goes from rubric points to the skill scale the policy was
trained on (calibration.py).

A skill with nothing to measure it is None for that assessment; the student model imputes it from
its last measurement for a limited time and says so (see edge/coach/student.py).
"""

from __future__ import annotations

import math
from typing import Mapping

from .calibration import skill_from_points
from .errors import CoachError
from .vocabulary import ASSESSED, DISCIPLINES  # noqa: F401  (re-exported)

# What an assessment may carry: the scoring contract's sub-scores (edge/scoring/result.py) and the
# overall, named in vocabulary.py so the coach does not import the scoring package (and with it the
# measuring stack); tests/coach/test_coach_service.py checks the names agree.
SUBSCORES = ASSESSED
TECHNICAL = ("technique", "rhythm", "sync")


def check_discipline(discipline: str) -> str:
    if discipline not in DISCIPLINES:
        raise CoachError(f"discipline {discipline!r}: must be one of {', '.join(DISCIPLINES)}")
    return discipline


def check_scores(scores: Mapping[str, object], discipline: str) -> dict[str, float | None]:
    """Validated sub-scores: known names, numbers on 0–100 or None; sync only for dance."""
    check_discipline(discipline)
    unknown = sorted(set(scores) - set(SUBSCORES))
    if unknown:
        raise CoachError(f"sub-score {unknown[0]!r}: unknown; expected some of {', '.join(SUBSCORES)}")
    clean: dict[str, float | None] = {}
    for name in SUBSCORES:
        value = scores.get(name)
        if value is None:
            clean[name] = None
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CoachError(f"sub-score {name}={value!r}: not a number")
        value = float(value)
        if not math.isfinite(value) or not 0.0 <= value <= 100.0:
            raise CoachError(f"sub-score {name}={value:g}: outside 0–100")
        clean[name] = value
    if discipline == "music" and clean["sync"] is not None:
        raise CoachError("sub-score sync: applies to dance only (music has no movement to sync)")
    if all(v is None for v in clean.values()):
        raise CoachError("sub-scores: none given; an assessment needs at least one")
    return clean


def points_from_scores(scores: Mapping[str, float | None], first_attempt: bool) -> dict[str, float | None]:
    """Each skill's measurement in rubric points (None where this assessment does not measure it)."""
    technical = [scores[name] for name in TECHNICAL if scores.get(name) is not None]
    accuracy = sum(technical) / len(technical) if technical else None
    return {
        "TP": None if first_attempt else accuracy,
        "ME": scores.get("expression"),
        "SR": accuracy if first_attempt else None,
        "IS": scores.get("interpretation"),
    }


def skills_from_scores(scores: Mapping[str, float | None], first_attempt: bool) -> dict[str, float | None]:
    """Each skill's measurement on the policy's skill scale (calibration.py)."""
    return {skill: None if value is None else skill_from_points(value)
            for skill, value in points_from_scores(scores, first_attempt).items()}
