"""The coach's policy on the box: the exported Q-network run by onnxruntime.

The model must be listed in models/manifest.json with a matching sha256 (edge.models), and
its entry must say it was trained on this box's observation layout and window; otherwise the
box refuses it and says why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..models import MANIFEST, ModelInfo, onnx_session, verify_model
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
        self.session = onnx_session(self.path)
        self.input_name = self.session.get_inputs()[0].name

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo.of_file(self.path, self.entry, "onnxruntime")

    def q_values(self, observation: np.ndarray) -> np.ndarray:
        """Q-values of (TE, EP, SRP, CIT) for one observation (OBS_DIM,) or a batch (N, OBS_DIM)."""
        obs = np.asarray(observation, dtype=np.float32)
        single = obs.ndim == 1
        batch = obs[None, :] if single else obs
        if batch.shape[-1] != OBS_DIM:
            raise ValueError(f"observation has {batch.shape[-1]} values, the policy takes {OBS_DIM}")
        q = self.session.run(None, {self.input_name: batch})[0]
        if q.shape[-1] != len(ACTIONS):
            raise ModelError(f"{self.path}: returns {q.shape[-1]} Q-values, expected {len(ACTIONS)}")
        return q[0] if single else q
