"""Learned scorers behind one abstract class, one plugin per model format (Frigate's detectors/plugins).

`load_scorer(path)` picks the plugin by file suffix. The box's plugins (ONNX Runtime, LiteRT) live
here; the workstation registers more (a torch checkpoint, `.pt`) through the `perfscore.scorer_backends`
entry-point group, so `perfscore analyze --model model.pt` works where the train extra is installed
and says which extra to install where it is not.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from importlib.metadata import entry_points
from pathlib import Path

from ...errors import ModelError
from ...features.sequence import FeatureSequence
from ..result import Discipline, ScoreResult


class LearnedScorer(ABC):
    """A model that maps a feature sequence to sub-scores, overall, grade and an explanation."""

    suffixes: tuple[str, ...] = ()

    @abstractmethod
    def __init__(self, path: Path): ...

    @abstractmethod
    def score(self, sequence: FeatureSequence, discipline: Discipline) -> ScoreResult:
        """Score a whole performance (the plugin windows it as its model needs)."""


def _plugins() -> dict[str, type[LearnedScorer] | str]:
    found: dict[str, type[LearnedScorer] | str] = {}
    for ep in entry_points(group="perfscore.scorer_backends"):
        found[ep.name] = ep.value  # loaded lazily: importing torch costs seconds
    return found


def load_scorer(path: str | Path) -> LearnedScorer:
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    suffix = path.suffix.lower()
    for name, target in _plugins().items():
        if f".{name}" == suffix:
            module, _, attr = str(target).partition(":")
            try:
                cls = getattr(__import__(module, fromlist=[attr]), attr)
            except ImportError as exc:
                raise ModelError(f"{path}: scoring a {suffix} model needs the 'train' extra "
                                 f"(pip install -e '.[train]'): {exc}") from None
            return cls(path)
    raise ModelError(f"{path}: no learned-scorer backend for '{suffix}' files")
