"""Learned scorers behind one abstract class, one plugin per model format (Frigate's detectors/plugins).

`load_scorer(path)` picks the plugin by file suffix (a whole-take model, whose manifest entry has the
performance layout, by `performance.PerformanceScorer`, for .onnx and .tflite alike). The box's plugins (ONNX Runtime, LiteRT) live
here; the workstation registers more (a torch checkpoint, `.pt`) through the `perfscore.scorer_backends`
entry-point group, so `perfscore analyze --model model.pt` works where the train extra is installed
and says which extra to install where it is not. Which file a device profile loads (its choice, then
int8 TFLite → fp16 TFLite → int8 ONNX → fp32 ONNX) is `chain.py`'s.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np

from ...config.scoring import ScoringConfig
from ...errors import ModelError
from ...features.sequence import FRAME_RATE, FeatureSequence
from ..result import Discipline, ModelInfo, ScoreResult, overall_weights


class LearnedScorer(ABC):
    """A model that maps 2-s windows of the feature sequence to sub-scores and grade logits; a plugin
    says how to load and run it and how to explain a prediction, the windowing and the result are shared."""

    info: ModelInfo

    @abstractmethod
    def __init__(self, path: Path): ...

    @abstractmethod
    def run(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(N, 60, 72) float32 → scores (N, 5), grade logits (N, 5), attention (N, 60) or None."""

    @abstractmethod
    def explain(self, windows: np.ndarray, starts: np.ndarray, frames: np.ndarray, discipline: Discipline,
                attention: np.ndarray | None, weights: np.ndarray) -> dict | None:
        """Saliency of the overall (`weights` · sub-scores) over seconds, limbs and audio features."""

    def score(self, sequence: FeatureSequence, discipline: Discipline,
              scoring: ScoringConfig | None = None, reference=None) -> ScoreResult:
        """Score a whole performance: windows every second, the result is their mean; the overall and
        grade follow `scoring` (the box's configured weights and bands). `reference` (the take's
        comparison, performance.TakeReference) is read only by models trained with one; a window model has none."""
        from .assemble import assemble
        from .windows import frames_of, stack_windows, window_starts

        scoring = scoring or ScoringConfig()
        frames = frames_of(sequence, discipline)
        starts = window_starts(len(frames))
        windows = stack_windows(frames, starts)
        scores, logits, attention = self.run(windows)
        weights = np.array(overall_weights(discipline, scoring.weights), np.float32)
        explanation = self.explain(windows, starts, frames, discipline, attention, weights)
        return assemble(scores, logits, starts / FRAME_RATE, len(frames) / FRAME_RATE, discipline, self.info,
                        explanation, scoring)


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
    if suffix in (".onnx", ".tflite"):
        # A whole-take model (round 2) shares the suffix with the window models; the manifest says which.
        from .performance import PerformanceScorer, is_performance_model

        if is_performance_model(path):
            return PerformanceScorer(path)
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
