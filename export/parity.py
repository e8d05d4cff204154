"""Parity of an exported artefact against its torch model, in the units the box reports, and the bounds
an artefact must meet to ship.

Scorers, on held-out test windows (export/calibration.py): drift of each sub-score in points (clipped to
0–100 as the box reports them; mean and max over windows and sub-scores) and grade agreement — the share
of windows whose grade (arg-max of the grade logits) is torch's. The coach policy: the share of
observations whose greedy action (arg-max of the Q-values) is torch's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

MAX_MEAN_DRIFT = 1.0         # points
MIN_GRADE_AGREEMENT = 0.98
MIN_ACTION_AGREEMENT = 0.99
MAX_SIZE_RATIO = 0.75        # an int8 file must be at least 25 % smaller than fp32 to be worth a place in the chain


def size_within(size: int, fp32_size: int) -> str | None:
    if size > MAX_SIZE_RATIO * fp32_size:
        return f"{size} bytes, {size / fp32_size:.2f} of fp32's {fp32_size} (limit {MAX_SIZE_RATIO})"
    return None


def scorer_parity(got: list[np.ndarray], truth: list[np.ndarray]) -> dict:
    drift = np.abs(np.clip(got[0], 0, 100) - np.clip(truth[0], 0, 100))
    agree = float(np.mean(np.argmax(got[1], axis=1) == np.argmax(truth[1], axis=1)))
    return {"windows": int(len(drift)), "mean_drift_points": round(float(drift.mean()), 4),
            "max_drift_points": round(float(drift.max()), 4), "grade_agreement": round(agree, 4)}


def scorer_within(p: dict) -> str | None:
    """None when a scorer's parity is within the bounds, else which bound it broke."""
    broke = []
    if p["mean_drift_points"] > MAX_MEAN_DRIFT:
        broke.append(f"mean drift {p['mean_drift_points']:.2f} points > {MAX_MEAN_DRIFT}")
    if p["grade_agreement"] < MIN_GRADE_AGREEMENT:
        broke.append(f"grade agreement {100 * p['grade_agreement']:.1f} % < {100 * MIN_GRADE_AGREEMENT:.0f} %")
    return "; ".join(broke) or None


def policy_parity(got: np.ndarray, truth: np.ndarray) -> dict:
    agree = float(np.mean(np.argmax(got, axis=1) == np.argmax(truth, axis=1)))
    return {"observations": int(len(got)), "action_agreement": round(agree, 4),
            "max_abs_q_diff": round(float(np.max(np.abs(got - truth))), 5)}


def policy_within(p: dict) -> str | None:
    if p["action_agreement"] < MIN_ACTION_AGREEMENT:
        return f"action agreement {100 * p['action_agreement']:.2f} % < {100 * MIN_ACTION_AGREEMENT:.0f} %"
    return None


def onnx_run(path: Path, inputs: np.ndarray, batch: int = 256) -> list[np.ndarray]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    parts = [session.run(None, {name: inputs[i:i + batch].astype(np.float32)}) for i in range(0, len(inputs), batch)]
    return [np.concatenate([p[k] for p in parts]) for k in range(len(parts[0]))]


from edge.litert import from_output, to_input  # noqa: E402


def tflite_run(path: Path, inputs: np.ndarray, expected: list[np.ndarray] | None = None
               ) -> tuple[list[np.ndarray], list[str]]:
    """(outputs, their tensor names), one input row at a time; with `expected`, the outputs are put in
    its order, matched by shape and values (the converter may reorder them)."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path), num_threads=1)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    outs = interp.get_output_details()
    got: list[list] = [[] for _ in outs]
    for row in inputs:
        interp.set_tensor(inp["index"], to_input(row[None], inp))
        interp.invoke()
        for k, o in enumerate(outs):
            got[k].append(from_output(interp.get_tensor(o["index"]), o)[0])
    arrays = [np.array(g) for g in got]
    order = list(range(len(outs)))
    if expected is not None:
        order = []
        for e in expected:
            best = min((k for k in range(len(arrays)) if arrays[k].shape == e.shape and k not in order),
                       key=lambda k: float(np.mean(np.abs(arrays[k] - e))))
            order.append(best)
    return [arrays[k] for k in order], [outs[k]["name"] for k in order]
