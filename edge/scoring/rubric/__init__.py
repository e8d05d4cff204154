"""The analytic rubric: explainable sub-scores from the front-end's measurements.

`score_analysis` judges the whole performance and each timeline window (window and hop in the
`scoring:` config) with the same formulas, so a report shows where in the piece points were lost.
"""

from __future__ import annotations

import numpy as np

from ...analysis import Analysis
from ...config import Settings
from ..result import SUBSCORES, Discipline, ScoreResult, SubScore, grade_of, overall_score
from . import dance, music
from .version import RUBRIC_MODEL, RUBRIC_VERSION
from .window import Window

__all__ = ["RUBRIC_MODEL", "RUBRIC_VERSION", "score_analysis", "score_window"]

NOT_DANCE = SubScore(None, "Synchronisation of movement applies to dance only.", {}, RUBRIC_MODEL)


def score_window(w: Window, discipline: Discipline) -> ScoreResult:
    if discipline == "dance":
        subs = {"rhythm": dance.rhythm(w), "sync": dance.sync(w), "technique": dance.technique(w),
                "expression": dance.expression(w), "interpretation": dance.interpretation(w)}
    else:
        subs = {"rhythm": music.rhythm(w), "sync": NOT_DANCE, "technique": music.technique(w),
                "expression": music.expression(w), "interpretation": music.interpretation(w)}
    subs = {name: subs[name] for name in SUBSCORES}
    overall = overall_score(subs, w.settings.scoring.weights)
    return ScoreResult(discipline, subs, overall, grade_of(overall, w.settings.scoring.grades), w.start, w.end)


def timeline_windows(duration: float, window: float, hop: float) -> list[tuple[float, float]]:
    """Windows of `window` s every `hop` s; the last one ends at the end (a short piece has one window)."""
    if duration <= window:
        return [(0.0, float(duration))]
    starts = [round(float(s), 3) for s in np.arange(0.0, duration - window, hop)]
    last = round(float(duration - window), 3)
    if last > starts[-1]:     # a duration a hair over a whole number of hops would repeat the last window
        starts.append(last)
    return [(s, round(s + window, 3)) for s in starts]


def score_analysis(analysis: Analysis, settings: Settings, discipline: Discipline) -> ScoreResult:
    whole = Window.whole(analysis, settings)
    result = score_window(whole, discipline)
    cfg = settings.scoring
    result.timeline = [score_window(whole.part(s, e), discipline)
                       for s, e in timeline_windows(whole.end, cfg.window_s, cfg.hop_s)]
    return result
