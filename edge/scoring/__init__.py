"""Scoring: from the measurements of a recording to sub-scores, an overall and a grade.

`score_file` (a recording on disk) and `edge.pipeline.score_source` (any Source) are the calls the CLI,
the screening runner and the daemon use; both go through the one pipeline (edge/pipeline.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from ..analysis import Analysis, analyze  # noqa: F401  (analyze: callers import it from here)
from ..config import Settings
from ..errors import NotScorable
from .result import Discipline, ScoreResult


@dataclass
class Scored:
    path: str
    analysis: Analysis
    rubric: ScoreResult
    learned: ScoreResult | None = None

    def to_dict(self) -> dict:
        return {
            "file": self.path,
            "rubric": self.rubric.to_dict(),
            "learned": self.learned.to_dict() if self.learned else None,
            "analysis": self.analysis.to_dict(),
        }


def detect_discipline(analysis: Analysis) -> Discipline:
    """Dance when a person is seen in at least half the frames, music otherwise."""
    pose = analysis.pose
    if pose is not None and len(pose) and pose.person_frames >= 0.5 * len(pose):
        return "dance"
    return "music"


def check_scorable(analysis: Analysis, discipline: Discipline) -> None:
    """Raise NotScorable with the reason when the recording lacks what the discipline is judged on."""
    name = analysis.path
    if discipline == "dance":
        if analysis.pose is None:
            raise NotScorable(name, "no video stream: a dance needs video")
        if analysis.pose.person_frames == 0:
            raise NotScorable(name, f"no person found in any of {len(analysis.pose)} frames")
        if len(analysis.pose) < 3:
            raise NotScorable(name, f"video has {len(analysis.pose)} frame(s): too short to judge movement")
    if analysis.audio is None:
        raise NotScorable(name, "no audio stream: rhythm is judged against the music")
    if analysis.audio.silent:
        raise NotScorable(name, f"audio is silent (peak {analysis.audio.peak_dbfs:.0f} dBFS)")


def score(analysis: Analysis, settings: Settings, *, discipline: Discipline | None = None,
          model: str | Path | None = None) -> Scored:
    """Score an analysed recording with the rubric (and a learned model, if given).

    Raises NotScorable when the recording lacks what its discipline is judged on."""
    from .rubric import score_analysis

    discipline = discipline or detect_discipline(analysis)
    check_scorable(analysis, discipline)
    rubric = score_analysis(analysis, settings, discipline)
    learned = None
    if model is not None:
        from ..features.sequence import feature_sequence

        from .learned.performance import TakeReference

        path = Path(model).resolve()
        version = path.stat().st_mtime_ns if path.is_file() else None     # a re-exported file is loaded again
        learned = _loaded_scorer(path, version).score(
            feature_sequence(analysis.pose, analysis.audio, analysis.duration_s), discipline, settings.scoring,
            reference=TakeReference.of(analysis))
    return Scored(analysis.path, analysis, rubric, learned)


@lru_cache(maxsize=2)
def _loaded_scorer(path: Path, version: int | None):
    """A screening worker scores many entries with one model: load it (ONNX session, interpreter) once."""
    from .learned import load_scorer

    return load_scorer(path)


def score_file(path: str | Path, settings: Settings, *, discipline: Discipline | None = None,
               reference: str | Path | None = None, model: str | Path | None = None,
               on_frame: Callable[[int], None] | None = None, reference_pose=None) -> Scored:
    """Analyse and score one recording; raises MediaError (unreadable) or NotScorable (nothing to judge).
    `reference_pose`: the dance reference's PoseTrack when already computed (see `analyze`)."""
    from ..pipeline import score_source
    from ..sources.file import FileSource

    source = FileSource(path, sample_rate=settings.audio.sample_rate, max_width=settings.capture.max_width)
    with source:
        return score_source(source, settings, discipline=discipline, reference=reference, model=model,
                            on_frame=on_frame, reference_pose=reference_pose, name=str(Path(path)))
