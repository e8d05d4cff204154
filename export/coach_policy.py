"""`perfscore export coach`: the trained DQN → models/coach_policy.onnx, checked and recorded.

The Q-network is exported with a dynamic batch (input `observation` float32[N, 13], output
`q_values` float32[N, 4]); onnxruntime's answers are compared with torch's on random
observations covering [0, 1] and the corners; more than PARITY_TOLERANCE apart refuses the
export. The manifest entry carries the observation layout version and window, which the box
checks before it runs the policy.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from edge import MODELS_DIR, PROJECT_ROOT
from edge.errors import ModelError, PerfscoreError
from edge.models import MANIFEST
from .manifest import OPSET, shown

PARITY_TOLERANCE = 1e-5
DEFAULT_CHECKPOINT = PROJECT_ROOT / "reports" / "coach" / "checkpoints" / "dqn_seed0.pt"
DEFAULT_OUT = MODELS_DIR / "coach_policy.onnx"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("coach", help="export the coach's DQN policy to ONNX with a parity check",
                            description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT,
                        help=f"DQN checkpoint from `perfscore train coach` (default: {DEFAULT_CHECKPOINT.relative_to(PROJECT_ROOT)})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="ONNX file to write (default: models/coach_policy.onnx)")
    parser.add_argument("--results", type=Path, default=None,
                        help="results.json of the run, to copy the policy's held-out metrics into the manifest "
                             "(default: results.json next to the checkpoints folder, if present)")
    parser.set_defaults(run=run)


def load_q_network(checkpoint: Path):
    from training.coach.dqn import QNetwork
    from training.torch_files import load_torch_file

    data = load_torch_file(checkpoint, missing_hint=" (run `perfscore train coach` first)")
    missing = {"state_dict", "obs_dim", "n_actions", "hidden", "observation_version", "window"} - set(data)
    if missing:
        raise PerfscoreError(f"{checkpoint}: not a coach DQN checkpoint (missing {', '.join(sorted(missing))})")
    net = QNetwork(data["obs_dim"], data["n_actions"], data["hidden"])
    net.load_state_dict(data["state_dict"])
    net.eval()
    return net, data


def parity_inputs(obs_dim: int, n: int = 4096, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    corners = np.stack([np.zeros(obs_dim), np.ones(obs_dim), np.full(obs_dim, 0.5)])
    return np.concatenate([corners, rng.random((n, obs_dim))]).astype(np.float32)


def export_onnx(net, obs_dim: int, out: Path) -> None:
    import torch

    out.parent.mkdir(parents=True, exist_ok=True)
    # torch.export-based exporter (the supported one since torch 2.9), one self-contained file
    torch.onnx.export(net, (torch.zeros(1, obs_dim),), str(out), input_names=["observation"],
                      output_names=["q_values"], opset_version=OPSET, dynamo=True, external_data=False,
                      dynamic_shapes={"x": {0: torch.export.Dim("N")}}, verbose=False)


def parity(net, onnx_path: Path, obs_dim: int) -> float:
    import numpy as np
    import onnx
    import onnxruntime as ort
    import torch

    onnx.checker.check_model(onnx.load(str(onnx_path)))
    x = parity_inputs(obs_dim)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(["q_values"], {"observation": x})[0]
    return float(np.max(np.abs(got - expected)))



def heldout_metrics(results_path: Path | None, seed: int) -> dict:
    if results_path is None or not results_path.is_file():
        return {}
    results = json.loads(results_path.read_text())
    if "dqn" not in results:
        return {}
    dqn = results["dqn"]
    per_seed = lambda key: dqn[key]["per_seed"][seed] if seed < len(dqn[key]["per_seed"]) else None  # noqa: E731
    return {
        "heldout_cumulative_reward": per_seed("cumulative_reward"),
        "heldout_esi": per_seed("esi"),
        "heldout_reward_penalty_ratio": per_seed("reward_penalty_ratio"),
        "comparison": shown(results_path),
    }


def export_policy(checkpoint: Path, out: Path = DEFAULT_OUT, results: Path | None = None,
                  manifest_path: Path = MANIFEST) -> dict:
    from edge.coach.observation import ACTIONS, OBS_DIM, OBSERVATION_VERSION

    from .manifest import record_artifact

    net, data = load_q_network(Path(checkpoint))
    if data["observation_version"] != OBSERVATION_VERSION or data["obs_dim"] != OBS_DIM:
        raise ModelError(f"{checkpoint}: trained on {data['observation_version']} ({data['obs_dim']} inputs); "
                         f"the box builds {OBSERVATION_VERSION} ({OBS_DIM} inputs): retrain")
    export_onnx(net, data["obs_dim"], Path(out))
    max_diff = parity(net, Path(out), data["obs_dim"])
    if not max_diff <= PARITY_TOLERANCE:
        Path(out).unlink(missing_ok=True)
        raise ModelError(f"{out}: ONNX output differs from torch by {max_diff:.2e} (> {PARITY_TOLERANCE:.0e}); not exported")
    if results is None:
        results = Path(checkpoint).resolve().parent.parent / "results.json"
    return record_artifact(
        out, kind="onnx-policy", manifest_path=manifest_path,
        description="Coach DQN Q-network: observation of a performer → Q-value of each practice task type",
        inputs={"observation": {"dtype": "float32", "shape": ["N", OBS_DIM],
                                "layout": "TP, ME, SR, IS (moving average /100), LP (min-max of ±5), "
                                          "P (4 preferences), recent-task shares (4); see edge/coach/observation.py"}},
        outputs={"q_values": {"dtype": "float32", "shape": ["N", len(ACTIONS)], "actions": list(ACTIONS)}},
        metrics={"parity_max_abs_diff": max_diff, "parity_tolerance": PARITY_TOLERANCE,
                 **heldout_metrics(results, data.get("seed", 0))},
        provenance={"trained_by": "perfscore train coach (training/coach/dqn.py)",
                    "exported_by": "perfscore export coach (export/coach_policy.py)",
                    "checkpoint": shown(checkpoint), "seed": data.get("seed"), "episodes": data.get("episodes"),
                    "opset": OPSET},
        licence="Apache-2.0",
        observation={"version": data["observation_version"], "window": data["window"]},
    )


def run(args: argparse.Namespace) -> int:
    from training.cli import require_extra

    require_extra("export", "torch", "onnx")
    entry = export_policy(args.checkpoint, args.out, args.results)
    print(f"wrote {args.out} (sha256 {entry['sha256'][:12]}…, parity max |Δ| {entry['metrics']['parity_max_abs_diff']:.1e})")
    return 0
