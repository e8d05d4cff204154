"""The `.tflite` learned-scorer backend: LiteRT (`ai_edge_litert`, the maintained TFLite runtime).

TFLite models are converted with a fixed batch of one window, so windows are run one by one. The
model must be listed in models/manifest.json with a `scorer` entry, like the ONNX models.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import ModelError
from ...models import inference_threads
from .base import WindowScorer


class TfliteScorer(WindowScorer):
    backend = "tflite"

    def __init__(self, path: Path):
        super().__init__(path)
        from ai_edge_litert.interpreter import Interpreter

        try:
            self.interpreter = Interpreter(model_path=str(self.path), num_threads=inference_threads())
            self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{self.path}: LiteRT cannot load it ({exc})") from None
        self.input = self.interpreter.get_input_details()[0]
        # Output order is not guaranteed by the converter: match by shape and the manifest's names.
        outs = self.interpreter.get_output_details()
        names = self.spec.get("tflite_outputs")
        if names:
            by_name = {o["name"]: o for o in outs}
            self.outputs = [by_name[n] for n in names]
        else:
            self.outputs = outs

    def run(self, windows: np.ndarray):
        scores, logits, attention = [], [], []
        for w in windows:
            self.interpreter.set_tensor(self.input["index"], w[None].astype(np.float32))
            self.interpreter.invoke()
            got = [self.interpreter.get_tensor(o["index"])[0] for o in self.outputs]
            scores.append(got[0])
            logits.append(got[1])
            if len(got) > 2:
                attention.append(got[2])
        return np.array(scores), np.array(logits), (np.array(attention) if attention else None)
