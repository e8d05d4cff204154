"""The `.onnx` learned-scorer backend: ONNX Runtime on one CPU thread (the box's default).

The model must be listed in models/manifest.json with its sha256 and a `scorer` entry (written by
`perfscore export scorers`): its input layout, window, output names and the explanation baseline.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...models import onnx_session
from .base import WindowScorer

MAX_BATCH = 256


class OnnxScorer(WindowScorer):
    backend = "onnxruntime"

    def __init__(self, path: Path):
        super().__init__(path)
        self.session = onnx_session(self.path)
        self.input = self.session.get_inputs()[0].name
        self.outputs = [o.name for o in self.session.get_outputs()]

    def run(self, windows: np.ndarray):
        parts = [self.session.run(None, {self.input: windows[i:i + MAX_BATCH].astype(np.float32)})
                 for i in range(0, len(windows), MAX_BATCH)]
        scores = np.concatenate([p[0] for p in parts])
        logits = np.concatenate([p[1] for p in parts])
        attention = np.concatenate([p[2] for p in parts]) if len(self.outputs) > 2 else None
        return scores, logits, attention
