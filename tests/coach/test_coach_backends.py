"""The coach's policy on LiteRT: the int8 TFLite file a Pi's profile names picks the task the fp32 ONNX one
picks, and a profile whose TFLite file is missing or tampered with falls back along its chain (edge/model_chain.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from edge import MODELS_DIR, PROJECT_ROOT
from edge.coach.observation import build_observation
from edge.coach.policy import CoachPolicy, load_policy
from edge.config import load_settings
from edge.errors import ModelError

pytest.importorskip("ai_edge_litert")

PI = load_settings([PROJECT_ROOT / "firmware_configs" / "rpi4.yaml"]).coach.policy_path    # what a Pi runs
TFLITE, FP32 = MODELS_DIR / Path(PI).name, MODELS_DIR / "coach_policy.onnx"


def observations(n: int, seed: int = 7) -> np.ndarray:
    """Observations a box builds: skills, learning pace, preferences and the last three tasks, drawn
    across their whole ranges."""
    rng = np.random.default_rng(seed)
    skills = rng.uniform(5, 95, size=(n, 4))
    lp = rng.uniform(-6, 6, size=n)
    prefs = rng.dirichlet(np.full(4, 2.0), size=n)
    recent = rng.integers(-1, 4, size=(n, 3))
    return build_observation(skills, lp, prefs, recent).astype(np.float32)


def test_the_pis_tflite_policy_picks_the_onnx_policys_task():
    obs = observations(2000)
    small, full = CoachPolicy(TFLITE, window=3), CoachPolicy(FP32, window=3)
    assert small.model_info.backend == "tflite" and small.model_info.precision == "int8"
    q8, q32 = small.q_values(obs), full.q_values(obs)
    assert q8.shape == q32.shape == (2000, 4)
    # Every decision that is not a close call (by the margin measured for this policy) is the same task.
    top2 = np.sort(q32, axis=1)[:, -2:]
    clear = (top2[:, 1] - top2[:, 0]) >= full.close_call_margin
    assert clear.mean() > 0.3, "the check needs decisions that are not close calls"
    assert (q8.argmax(1)[clear] == q32.argmax(1)[clear]).all()
    assert (q8.argmax(1) == q32.argmax(1)).mean() >= 0.98
    assert small.meaning == full.meaning and small.close_call_margin == full.close_call_margin


@pytest.fixture()
def models_dir(tmp_path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    manifest = json.loads((MODELS_DIR / "manifest.json").read_text())
    names = [TFLITE.name, FP32.name]
    manifest["artifacts"] = {k: v for k, v in manifest["artifacts"].items() if k in names}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    for name in names:
        shutil.copyfile(MODELS_DIR / name, folder / name)
    return folder


def test_a_profile_on_tflite_loads_it_and_falls_back_to_onnx_when_it_is_gone_or_tampered(models_dir):
    manifest = models_dir / "manifest.json"
    named = models_dir / TFLITE.name
    assert load_policy(named, 3, manifest).model_info.name == TFLITE.name
    data = bytearray(named.read_bytes())
    data[len(data) // 2] ^= 0xFF
    named.write_bytes(bytes(data))
    assert load_policy(named, 3, manifest).model_info.name == FP32.name     # sha256 mismatch: the next file
    named.unlink()
    assert load_policy(named, 3, manifest).model_info.name == FP32.name     # not installed: the next file
    (models_dir / FP32.name).unlink()
    with pytest.raises(ModelError, match=rf"no coach policy of the chain can be loaded: .*{TFLITE.name}: "
                                         r"not installed.*coach_policy.onnx: not installed"):
        load_policy(named, 3, manifest)


def test_a_window_the_policy_was_not_trained_on_is_refused_on_every_backend(models_dir):
    with pytest.raises(ModelError, match="trained with window W=3"):
        load_policy([models_dir / TFLITE.name, models_dir / FP32.name], 5, models_dir / "manifest.json")
