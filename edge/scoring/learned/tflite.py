"""The `.tflite` learned-scorer backend: LiteRT (`ai_edge_litert`, the maintained TFLite runtime).

TFLite models are converted with a fixed batch of one window, so windows are run one by one. The
model must be listed in models/manifest.json with a `scorer` entry, like the ONNX models. A model
with integer inputs or outputs (full-integer int8) is fed and read through their scale and zero point
(edge/litert.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...litert import from_output, open_interpreter, to_input
from .base import WindowScorer


class TfliteScorer(WindowScorer):
    backend = "tflite"

    def __init__(self, path: Path):
        super().__init__(path)
        self.interpreter = open_interpreter(self.path)
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
            self.interpreter.set_tensor(self.input["index"], to_input(w[None], self.input))
            self.interpreter.invoke()
            got = [from_output(self.interpreter.get_tensor(o["index"]), o)[0] for o in self.outputs]
            scores.append(got[0])
            logits.append(got[1])
            if len(got) > 2:
                attention.append(got[2])
        return np.array(scores), np.array(logits), (np.array(attention) if attention else None)

