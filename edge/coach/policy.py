"""The coach's policy on the box: the exported Q-network, run by ONNX Runtime (.onnx) or LiteRT (.tflite).

The model must be listed in models/manifest.json with a matching sha256 (edge.models), and
its entry must say it was trained on this box's observation layout and window; otherwise the
box refuses it and says why. A device profile picks the file (`coach.policy_path`: fp16 TFLite on a
Pi, fp32 ONNX elsewhere), followed by the fallback chain of edge/model_chain.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import ModelError
from ..models import MANIFEST, ModelInfo, backend_of, onnx_session, verify_model
from .observation import ACTIONS, OBS_DIM, OBSERVATION_VERSION


class CoachPolicy:
    def __init__(self, path: str | Path, window: int, manifest_path: Path = MANIFEST):
        self.path = Path(path)
        self.entry = verify_model(self.path, manifest_path)
        trained = self.entry.get("observation") or {}
        if trained.get("version") != OBSERVATION_VERSION:
            raise ModelError(f"{self.path}: trained on observation {trained.get('version')!r}, "
                             f"the box builds {OBSERVATION_VERSION!r}; export a policy trained on this version")
        if trained.get("window") != window:
            raise ModelError(f"{self.path}: trained with window W={trained.get('window')}, config coach.window is "
                             f"{window}; set coach.window to {trained.get('window')} or retrain")
        # What the four outputs mean (export/coach_policy.py: scores_block): a DQN's Q-values, in reward units,
        # or a PPO actor's action preferences (logits); the margin under which a choice is a close call was
        # measured for this policy. Round-1 files carry neither: Q-values, the box's default margin.
        scores = self.entry.get("scores") or {}
        self.meaning: str = scores.get("meaning", "q_values")
        self.close_call_margin: float | None = scores.get("close_call_margin")
        self.backend = backend_of(self.path)
        if self.backend == "tflite":
            self._run = _litert_runner(self.path)
        elif self.backend == "onnxruntime":
            session = onnx_session(self.path)
            name = session.get_inputs()[0].name
            self._run = lambda batch: session.run(None, {name: batch})[0]
        else:
            raise ModelError(f"{self.path}: not a policy file the box can run (.onnx or .tflite)")

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo.of_file(self.path, self.entry, self.backend)

    def q_values(self, observation: np.ndarray) -> np.ndarray:
        """Q-values of (TE, EP, SRP, CIT) for one observation (OBS_DIM,) or a batch (N, OBS_DIM)."""
        obs = np.asarray(observation, dtype=np.float32)
        single = obs.ndim == 1
        batch = obs[None, :] if single else obs
        if batch.shape[-1] != OBS_DIM:
            raise ValueError(f"observation has {batch.shape[-1]} values, the policy takes {OBS_DIM}")
        q = self._run(batch)
        if q.shape[-1] != len(ACTIONS):
            raise ModelError(f"{self.path}: returns {q.shape[-1]} Q-values, expected {len(ACTIONS)}")
        return q[0] if single else q


def load_policy(named: Path | Sequence[Path], window: int, manifest_path: Path = MANIFEST) -> CoachPolicy:
    """The first policy of a profile's chain that loads (the named file, then int8/fp16 TFLite, int8
    and fp32 ONNX of the same model); ModelError naming each candidate's reason when none does."""
    from ..model_chain import load_chain

    policy, _ = load_chain(named, lambda path: CoachPolicy(path, window, manifest_path), "coach policy",
                           manifest_path)
    return policy


def _litert_runner(path: Path):
    """LiteRT runs the converter's fixed batch of one: observations go through one at a time."""
    from ..litert import from_output, open_interpreter, to_input

    interpreter = open_interpreter(path)
    source, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]

    def run(batch: np.ndarray) -> np.ndarray:
        rows = []
        for obs in batch:
            interpreter.set_tensor(source["index"], to_input(obs[None], source))
            interpreter.invoke()
            rows.append(from_output(interpreter.get_tensor(out["index"]), out)[0])
        return np.array(rows, dtype=np.float32)

    return run
