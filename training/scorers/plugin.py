"""The `.pt` learned-scorer backend: a torch checkpoint scores a recording before any export exists.

Registered in pyproject.toml under `perfscore.scorer_backends` (`pt`), so `perfscore analyze MEDIA
--model models/checkpoints/gru.pt` works wherever the train extra is installed. Explanations are
integrated gradients over features for every architecture; for Transformers and the hybrid fusion
the seconds come from the model's attention weights instead. A round-2 whole-take checkpoint
(`models/checkpoints/round2/*.pt`) is scored by `TorchPerformanceScorer`, exactly as its ONNX/TFLite exports are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from edge.models import sha256_of
from edge.scoring.learned import LearnedScorer
from edge.scoring.learned.explain import attention_time, spread_windows, summarize
from edge.scoring.learned.performance import PerformanceScorer
from edge.scoring.result import ModelInfo

from .checkpoint import load_checkpoint
from .explain import baseline_for, integrated_gradients

IG_STEPS = 16
IG_CHUNK = 32          # windows per integrated-gradients pass (bounds memory on long recordings)


class TorchScorer(LearnedScorer):

    def __new__(cls, path: Path):
        # A round-2 whole-take checkpoint has the same suffix: it is scored like its exports (one run per take).
        from .checkpoint import PERFORMANCE_FORMAT, checkpoint_format

        if cls is TorchScorer and checkpoint_format(path) == PERFORMANCE_FORMAT:
            return TorchPerformanceScorer(path)
        return super().__new__(cls)

    def __init__(self, path: Path):
        torch.set_num_threads(1)
        self.path = Path(path)
        self.model, self.data = load_checkpoint(self.path)
        self.info = ModelInfo(self.data["key"], self.data["version"], "torch", "fp32", sha256_of(self.path))

    @torch.no_grad()
    def run(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        scores, logits = self.model(torch.from_numpy(windows))
        attention = self.model.last_attention
        return scores.numpy(), logits.numpy(), None if attention is None else attention.numpy()

    def explain(self, windows, starts, frames, discipline, attention, weights) -> dict:
        base = baseline_for(self.model, windows, discipline)
        ig = np.concatenate([integrated_gradients(self.model, windows[i:i + IG_CHUNK], base[i:i + IG_CHUNK], weights,
                                                  IG_STEPS) * (len(windows[i:i + IG_CHUNK]) / len(windows))
                             for i in range(0, len(windows), IG_CHUNK)])
        saliency = spread_windows(ig, starts, len(frames)) * len(starts)
        time_saliency, method = None, "integrated_gradients"
        if attention is not None:
            time_saliency = attention_time(attention, starts, frames)
            method = "attention (seconds, notes) + integrated_gradients (limbs, audio features)"
        return summarize(saliency, frames, method=method, discipline=discipline, time_saliency=time_saliency,
                         extra={"ig_sum": round(float(saliency.sum()), 3), "ig_steps": IG_STEPS})


class TorchPerformanceScorer(PerformanceScorer):
    """A whole-take checkpoint (checkpoint.py's performance format) on torch: the box plugin's windows, result
    and occlusion explanations (edge/scoring/learned/performance.py), the model run by torch."""

    def __init__(self, path: Path):
        from .checkpoint import load_performance_checkpoint
        from .hierarchical import PerformanceExport

        torch.set_num_threads(1)
        self.path = Path(path)
        model, data = load_performance_checkpoint(self.path)
        self.spec, self.task = {"key": data["key"], "task": data["task"]}, data["task"]
        self.layout = data["layout"]
        inner = getattr(model, "base", model)      # a with-reference model wraps the round-2 model
        inputs = inner.inputs if hasattr(inner, "inputs") else inner.window.inputs
        self.baseline = inputs.mean.numpy().astype(np.float32)
        wrapper = PerformanceExport(model)

        def runner(windows: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return wrapper(torch.from_numpy(np.asarray(windows, np.float32))).numpy()

        self.runner = runner
        self.info = ModelInfo(data["key"], data["version"], "torch", "fp32", sha256_of(self.path))
