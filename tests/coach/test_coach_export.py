"""ONNX export: parity with the torch network, the manifest entry, and the box's refusals."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from edge import MODELS_DIR, PROJECT_ROOT
from edge.coach.observation import OBS_DIM, OBSERVATION_VERSION
from edge.coach.policy import CoachPolicy
from edge.errors import ModelError
from edge.models import verify_model
from export.coach_policy import PARITY_TOLERANCE, export_policy, load_q_network, parity_inputs
from training.coach.dqn import QNetwork
from training.coach.env import CoachEnv
from training.coach.students import heldout_profiles

SHIPPED = MODELS_DIR / "coach_policy.onnx"


def shipped_checkpoint() -> Path:
    """The checkpoint the shipped policy was exported from, as its manifest entry records it."""
    try:
        entry = json.loads((MODELS_DIR / "manifest.json").read_text())["artifacts"]["coach_policy.onnx"]
        return PROJECT_ROOT / entry["provenance"]["checkpoint"]
    except (OSError, KeyError, ValueError):
        return PROJECT_ROOT / "reports" / "coach" / "checkpoints" / "dqn_seed0.pt"


SHIPPED_CHECKPOINT = shipped_checkpoint()


def save_checkpoint(path: Path, version: str = OBSERVATION_VERSION) -> Path:
    torch.manual_seed(0)
    torch.save({"state_dict": QNetwork(OBS_DIM, 4).state_dict(), "obs_dim": OBS_DIM, "n_actions": 4, "hidden": 64,
                "observation_version": version, "window": 3, "seed": 0, "episodes": 1}, path)
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, Path, Path, dict]:
    """One export shared by the tests below (the exporter takes a few seconds)."""
    tmp = tmp_path_factory.mktemp("export")
    checkpoint = save_checkpoint(tmp / "dqn_seed0.pt")
    entry = export_policy(checkpoint, tmp / "coach_policy.onnx", manifest_path=tmp / "manifest.json")
    return checkpoint, tmp / "coach_policy.onnx", tmp / "manifest.json", entry


def heldout_observations() -> np.ndarray:
    env = CoachEnv(heldout_profiles(0))
    obs, _ = env.reset(seed=0)
    rows = [obs]
    for step in range(200):
        obs, _, _, truncated, _ = env.step(step % 4)
        rows.append(obs)
        if truncated:
            rows.append(env.reset()[0])
    return np.array(rows, dtype=np.float32)


def test_export_parity_and_manifest_entry(exported):
    checkpoint, out, manifest, entry = exported
    assert entry["metrics"]["parity_max_abs_diff"] <= PARITY_TOLERANCE
    assert entry["observation"] == {"version": OBSERVATION_VERSION, "window": 3}
    assert json.loads(manifest.read_text())["artifacts"]["coach_policy.onnx"]["sha256"] == entry["sha256"]

    # the box's runner (onnxruntime, no torch) against the torch network on real observations
    net, _ = load_q_network(checkpoint)
    policy = CoachPolicy(out, window=3, manifest_path=manifest)
    x = np.concatenate([heldout_observations(), parity_inputs(OBS_DIM, n=256)])
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    assert np.max(np.abs(policy.q_values(x) - expected)) <= 1e-5
    np.testing.assert_allclose(policy.q_values(x[0]), expected[0], atol=1e-5)


def test_box_refuses_a_tampered_policy_and_a_window_mismatch(exported, tmp_path: Path):
    _, original, manifest, _ = exported
    out = tmp_path / "coach_policy.onnx"
    shutil.copy(original, out)
    with pytest.raises(ModelError, match="window"):
        CoachPolicy(out, window=5, manifest_path=manifest)
    data = bytearray(out.read_bytes())
    data[-10] ^= 0xFF
    out.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match"):
        CoachPolicy(out, window=3, manifest_path=manifest)


def test_export_refuses_a_checkpoint_of_another_observation_layout(tmp_path: Path):
    checkpoint = save_checkpoint(tmp_path / "dqn_seed0.pt", version="coach-observation/0")
    with pytest.raises(ModelError, match="retrain"):
        export_policy(checkpoint, tmp_path / "coach_policy.onnx", manifest_path=tmp_path / "manifest.json")


@pytest.mark.skipif(not SHIPPED_CHECKPOINT.exists(), reason="the full comparison has not been run yet")
def test_shipped_policy_matches_its_checkpoint():
    entry = verify_model(SHIPPED)
    assert entry["metrics"]["parity_max_abs_diff"] <= PARITY_TOLERANCE
    net, data = load_q_network(SHIPPED_CHECKPOINT)
    policy = CoachPolicy(SHIPPED, window=data["window"])
    x = np.concatenate([heldout_observations(), parity_inputs(OBS_DIM, n=1024)])
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    assert np.max(np.abs(policy.q_values(x) - expected)) <= 1e-5
