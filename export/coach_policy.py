"""`perfscore export coach`: the trained DQN → models/coach_policy.onnx, checked and recorded.

The Q-network is exported with a dynamic batch (input `observation` float32[N, 13], output
`q_values` float32[N, 4]); onnxruntime's answers are compared with torch's on random
observations covering [0, 1] and the corners; more than PARITY_TOLERANCE apart refuses the
export. The manifest entry carries the observation layout version and window, which the box
checks before it runs the policy.

Then int8 (unless --no-int8): `coach_policy.int8.onnx`, static QDQ int8 calibrated on observations of
simulated students from the training profiles, dynamic int8 if static breaks its bound; and with
--tflite `coach_policy.tflite` (fp32) and `coach_policy.int8.tflite` (ai-edge-quantizer, as for the
scorers). Each is checked on 10,000 observations of held-out simulated students (profiles no training run
drew; the students follow torch's greedy choices): an artefact whose greedy action differs from torch's on
more than 1 % of them is not shipped (export/parity.py).
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
PICK = PROJECT_ROOT / "reports" / "coach" / "validation_pick.json"
# The policy chosen on validation students (training/coach/pick.py), whichever algorithm trained it.
DEFAULT_CHECKPOINT = (PROJECT_ROOT / json.loads(PICK.read_text())["chosen_checkpoint"] if PICK.is_file()
                      else PROJECT_ROOT / "reports" / "coach" / "checkpoints" / "dqn_seed0.pt")
DEFAULT_OUT = MODELS_DIR / "coach_policy.onnx"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("coach", help="export the coach's policy to ONNX (and TFLite) with a parity check",
                            description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT,
                        help="DQN or PPO checkpoint from `perfscore train coach` (default: the one chosen on "
                             f"validation students, {DEFAULT_CHECKPOINT.relative_to(PROJECT_ROOT)})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="ONNX file to write (default: models/coach_policy.onnx)")
    parser.add_argument("--tflite", action="store_true", help="also TFLite fp32 and int8 (scripts/litert_venv)")
    parser.add_argument("--no-int8", action="store_true", help="the fp32 ONNX file only")
    parser.add_argument("--close-call", type=Path, default=PROJECT_ROOT / "reports" / "coach" / "close_call.json",
                        help="the close-call measurement of this checkpoint (python -m training.coach.close_call); "
                             "its margin goes into the manifest when its checkpoint is this one")
    parser.add_argument("--results", type=Path, default=None,
                        help="results.json of the run, to copy the policy's held-out metrics into the manifest "
                             "(default: results.json next to the checkpoints folder, if present)")
    parser.set_defaults(run=run)


def load_q_network(checkpoint: Path):
    """The policy network of a coach checkpoint: a DQN's Q-network (plain or dueling) or a PPO actor
    (training/coach/checkpoints.py); either maps an observation to 4 scores whose argmax is the task."""
    from training.coach.checkpoints import build
    from training.torch_files import load_torch_file

    data = load_torch_file(checkpoint, missing_hint=" (run `perfscore train coach` first)")
    missing = {"state_dict", "obs_dim", "n_actions", "hidden", "observation_version", "window"} - set(data)
    if missing:
        raise PerfscoreError(f"{checkpoint}: not a coach DQN checkpoint (missing {', '.join(sorted(missing))})")
    return build(data), data


def describe(data: dict) -> tuple[str, str, str]:
    """(results.json method, short name, what the scores are) of a checkpoint."""
    if data.get("kind") == "ppo_actor":
        return "ppo", "PPO actor", "action logits of each practice task type (argmax = PPO's greedy task)"
    return "dqn", "DQN Q-network", "Q-value of each practice task type"


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
    from .quantize import strip

    strip(out)          # the exporter's per-node metadata: a third of a small model's bytes


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



def heldout_metrics(results_path: Path | None, seed: int, method: str = "dqn") -> dict:
    if results_path is None or not results_path.is_file():
        return {}
    results = json.loads(results_path.read_text())
    if method not in results:
        return {}
    dqn = results[method]
    per_seed = lambda key: dqn[key]["per_seed"][seed] if seed < len(dqn[key]["per_seed"]) else None  # noqa: E731
    return {
        "heldout_cumulative_reward": per_seed("cumulative_reward"),
        "heldout_esi": per_seed("esi"),
        "heldout_reward_penalty_ratio": per_seed("reward_penalty_ratio"),
        "comparison": shown(results_path),
    }


def export_policy(checkpoint: Path, out: Path = DEFAULT_OUT, results: Path | None = None,
                  manifest_path: Path = MANIFEST, close_call: Path | None = None) -> dict:
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
    method, name, scores = describe(data)
    return record_artifact(
        out, kind="onnx-policy", manifest_path=manifest_path,
        description=f"Coach {name}: observation of a performer → {scores}",
        inputs={"observation": {"dtype": "float32", "shape": ["N", OBS_DIM],
                                "layout": "TP, ME, SR, IS (moving average /100), LP (min-max of ±5), "
                                          "P (4 preferences), recent-task shares (4); see edge/coach/observation.py"}},
        outputs={"q_values": {"dtype": "float32", "shape": ["N", len(ACTIONS)], "actions": list(ACTIONS)}},
        metrics={"parity_max_abs_diff": max_diff, "parity_tolerance": PARITY_TOLERANCE,
                 **heldout_metrics(results, data.get("seed", 0), method)},
        provenance={"trained_by": "perfscore train coach (training/coach/"
                                  + ("sb3_agents.py, PPO" if method == "ppo" else "dqn.py") + ")",
                    "method": method, "settings": data.get("args"),
                    "exported_by": "perfscore export coach (export/coach_policy.py)",
                    "checkpoint": shown(checkpoint), "seed": data.get("seed"), "episodes": data.get("episodes"),
                    "opset": OPSET},
        licence="Apache-2.0",
        observation={"version": data["observation_version"], "window": data["window"]},
        scores=scores_block(checkpoint, method, close_call),
    )


def scores_block(checkpoint: Path, method: str, close_call: Path | None) -> dict:
    """What the box needs to read the policy's four outputs: Q-values (reward units) or a PPO actor's
    action preferences (logits), and the close-call margin measured for this checkpoint
    (training/coach/close_call.py: the largest margin whose runner-up costs at most 1 % of the reward)."""
    block = {"meaning": "preferences" if method == "ppo" else "q_values"}
    if close_call is not None and Path(close_call).is_file():
        measured = json.loads(Path(close_call).read_text())
        if (PROJECT_ROOT / measured["checkpoint"]).resolve() == Path(checkpoint).resolve():
            full = measured["grid"][0]["reward_per_episode"]
            block["close_call_margin"] = max(row["threshold"] for row in measured["grid"]
                                             if row["reward_lost_per_episode"] <= 0.01 * full)
            block["close_call_measured"] = shown(close_call)
    return block


def observations(net, profiles_of, n: int = 10_000, first_seed: int = 0):
    """`n` observations of simulated students (profiles from `profiles_of(seed)`, seeds from `first_seed`)
    taught by the network's greedy choices, sessions of SESSION_TASKS tasks."""
    import numpy as np
    import torch

    from training.coach.env import SESSION_TASKS
    from training.coach.simulator import Classroom

    out, seed = [], first_seed
    while sum(len(o) for o in out) < n:
        room = Classroom(profiles_of(seed), np.random.default_rng(10_000 + seed))
        obs = room.reset()
        for _ in range(SESSION_TASKS):
            out.append(obs.astype(np.float32))
            with torch.no_grad():
                action = net(torch.from_numpy(obs.astype(np.float32))).argmax(dim=1).numpy()
            obs, _, _ = room.step(action)
        seed += 1
    return np.concatenate(out)[:n]


def export_int8(net, data: dict, fp32: Path, tflite: bool, manifest_path: Path = MANIFEST, progress=print) -> list[dict]:
    """int8 ONNX (and fp32 + int8 TFLite) of the policy, each within the action-agreement bound or not shipped."""
    import shutil
    import tempfile

    import numpy as np
    import torch

    from training.coach.students import heldout_profiles, training_profiles

    from . import tflite as tfl
    from .manifest import drop_artifact, record_artifact, remove_artifact
    from .parity import onnx_run, policy_parity, policy_within, size_within, tflite_run
    from .quantize import dedupe_initializers, quantize_dynamic_int8, quantize_static_qdq, sensitive_nodes

    calibration = observations(net, training_profiles, 4096)
    heldout = observations(net, heldout_profiles, 10_000)
    with torch.no_grad():
        truth = net(torch.from_numpy(heldout)).numpy()
    entry = json.loads(manifest_path.read_text())["artifacts"][fp32.name]
    base = {k: entry[k] for k in ("inputs", "outputs", "licence", "provenance", "observation", "scores") if k in entry}
    parity_on = "10,000 observations of held-out simulated students (students.heldout_profiles), greedy torch policy"
    top2 = np.sort(truth, axis=1)[:, -2:]
    # How close the best two tasks' Q-values are: int8 error above these gaps flips the greedy choice.
    gaps = {f"p{q}": round(float(np.percentile(top2[:, 1] - top2[:, 0], q)), 5) for q in (1, 5, 10, 50)}
    gaps["q_range"] = [round(float(truth.min()), 3), round(float(truth.max()), 3)]
    calib_on = f"{len(calibration)} observations of training-profile students"
    done = []

    def ship_or_drop(candidate: Path | None, name: str, kind: str, precision: str, method: str, attempts: list,
                     bytes_fp32: int, **extra) -> None:
        target = fp32.with_name(name)
        if candidate is not None:
            shutil.copyfile(candidate, target)
            done.append(dict(record_artifact(
                target, kind=kind, manifest_path=manifest_path, precision=precision,
                description=f"Coach {describe(data)[1]}, {method}", parity=attempts[-1]["parity"], parity_on=parity_on,
                quantisation={"method": method, "calibration": calib_on, "attempts": attempts,
                              "bytes_fp32": bytes_fp32}, **base, **extra), file=name))
        else:
            target.unlink(missing_ok=True)
            reason = "no int8 variant within the action-agreement bound: " + "; ".join(
                f"{a['method']}: {a.get('verdict') or a.get('failed')}" for a in attempts)
            drop_artifact(name, reason, manifest_path, attempts=attempts, best_two_q_gap=gaps)
            done.append({"file": name, "dropped": reason})

    with tempfile.TemporaryDirectory(prefix="perfscore-policy-") as scratch:
        attempts, shipped = [], None
        head = sensitive_nodes(fp32, set(), {truth.shape[1]})      # the Q-value layer
        for method, precision, make in (
                ("static QDQ int8", "int8", lambda p: quantize_static_qdq(fp32, p, "observation", calibration)),
                ("static QDQ int8, Q-value layer fp32", "int8",
                 lambda p: quantize_static_qdq(fp32, p, "observation", calibration, exclude=head)),
                ("dynamic int8", "int8-dynamic", lambda p: quantize_dynamic_int8(fp32, p))):
            candidate = Path(scratch) / f"{precision}.onnx"
            make(candidate)
            dedupe_initializers(candidate)
            parity = policy_parity(onnx_run(candidate, heldout)[0], truth)
            broke = policy_within(parity) or size_within(candidate.stat().st_size, fp32.stat().st_size)
            attempts.append({"method": method, "bytes": candidate.stat().st_size, "parity": parity,
                             "verdict": broke or "within bounds"})
            if broke is None:
                shipped = (candidate, precision, method)
                break
        ship_or_drop(shipped[0] if shipped else None, "coach_policy.int8.onnx", "onnx-policy",
                     shipped[1] if shipped else "", shipped[2] if shipped else "", attempts, fp32.stat().st_size)
        if not tflite:
            return done
        float_tflite = fp32.with_name("coach_policy.tflite")
        error = tfl.convert(net, torch.zeros(1, data["obs_dim"]), float_tflite)
        if error:
            drop_artifact(float_tflite.name, f"litert-torch conversion failed: {error}", manifest_path)
            return done + [{"file": float_tflite.name, "dropped": error}]
        got, _ = tflite_run(float_tflite, heldout, [truth])
        parity = policy_parity(got[0], truth)
        done.append(dict(record_artifact(
            float_tflite, kind="tflite-policy", manifest_path=manifest_path, precision="fp32",
            description=f"Coach {describe(data)[1]}, TFLite fp32 (litert-torch), batch of one observation",
            parity=parity, parity_on=parity_on, tensor_names=tfl.STRIPPED, **(base | {"inputs": {"observation": dict(
                base["inputs"]["observation"], shape=[1, data["obs_dim"]])}})), file=float_tflite.name))
        def judge(candidate: Path):
            got, _ = tflite_run(candidate, heldout, [truth])
            parity = policy_parity(got[0], truth)
            return parity, policy_within(parity), None

        attempts, rung = tfl.quantize_ladder(float_tflite, calibration, Path(scratch), judge)
        fp16 = rung is not None and rung.precision == "fp16"    # int8 cannot hold: fp16 weights
        if fp16:
            ship_or_drop(rung.path, "coach_policy.fp16.tflite", "tflite-policy", "fp16", rung.method, attempts,
                         float_tflite.stat().st_size, tensor_names=tfl.STRIPPED)
        else:
            remove_artifact(fp32.with_name("coach_policy.fp16.tflite"), manifest_path)
        int8 = rung if rung is not None and not fp16 else None
        ship_or_drop(int8 and int8.path, "coach_policy.int8.tflite", "tflite-policy", int8.precision if int8 else "",
                     int8.method if int8 else "", attempts, float_tflite.stat().st_size, tensor_names=tfl.STRIPPED)
    return done


def run(args: argparse.Namespace) -> int:
    from training.cli import require_extra

    require_extra("export", "torch", "onnx")
    entry = export_policy(args.checkpoint, args.out, args.results, close_call=args.close_call)
    print(f"wrote {args.out} (sha256 {entry['sha256'][:12]}…, parity max |Δ| {entry['metrics']['parity_max_abs_diff']:.1e})")
    if not args.no_int8:
        net, data = load_q_network(Path(args.checkpoint))
        for e in export_int8(net, data, Path(args.out), args.tflite):
            print(f"{e['file']}: " + (f"{e['bytes']} bytes, {e['precision']}, action agreement "
                                      f"{100 * e['parity']['action_agreement']:.2f} %" if "bytes" in e
                                      else f"not shipped ({e['dropped']})"))
    return 0
