"""What the box's learned-scorer plugins (ONNX Runtime, LiteRT) share: the manifest check and
gradient-free explanations. Scoring a performance window by window is LearnedScorer.score.

Explanations on the box use occlusion (no gradients there): each limb, audio group and second is
replaced by the training corpus's mean and the change of the predicted overall is its saliency;
models that output attention (Transformers, hybrid fusion) give the seconds from their attention instead.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import ModelError
from ...models import MANIFEST, verify_model
from ..result import SUBSCORES, ModelInfo
from . import LearnedScorer
from .explain import summarize, window_saliency
from .windows import LAYOUT_VERSION, N_FEATURES, WINDOW_FRAMES



class WindowScorer(LearnedScorer):
    """A learned scorer whose model maps (N, 60, 72) windows to scores, grade logits [, attention]."""

    backend = "?"
    manifest_path: Path = MANIFEST      # which manifest vouches for the model (tests point it elsewhere)

    def __init__(self, path: Path):
        self.path = Path(path)
        entry = verify_model(self.path, self.manifest_path)
        spec = entry.get("scorer")
        if not spec:
            raise ModelError(f"{self.path}: the manifest lists it, but not as a learned scorer (no 'scorer' entry)")
        if spec.get("layout") != LAYOUT_VERSION or spec.get("window_frames") != WINDOW_FRAMES:
            raise ModelError(f"{self.path}: built for {spec.get('layout')} / {spec.get('window_frames')} frames; "
                             f"this box computes {LAYOUT_VERSION} / {WINDOW_FRAMES}: export it again")
        if list(spec.get("subscores", [])) != list(SUBSCORES):
            raise ModelError(f"{self.path}: outputs {spec.get('subscores')}, expected {list(SUBSCORES)}")
        self.spec = spec
        self.baseline = np.asarray(spec["baseline"], np.float32)
        if self.baseline.shape != (N_FEATURES,):
            raise ModelError(f"{self.path}: manifest baseline has {self.baseline.shape} values, expected {N_FEATURES}")
        self.info = ModelInfo(spec["key"], spec["version"], self.backend, entry.get("precision", "fp32"),
                              entry["sha256"])

    def explain(self, windows, starts, frames, discipline, attention, weights) -> dict:
        def run(x):
            s, g, _ = self.run(x)
            return s, g

        def overall_of(scores):
            return float(np.clip(scores, 0, 100) @ weights)

        # Seconds by removal for every model, attention models too: their attention failed the deletion test
        # (61–71 % of faulty takes against 76–81 % by removal; reports/scorers/round2/README.md).
        features, time, span = window_saliency(run, frames, self.baseline, overall_of, discipline)
        return summarize(features, frames, method="removal of each second (time) + occlusion (limbs, audio features)",
                         discipline=discipline, time_saliency=time, extra={"removal_span_s": span})
