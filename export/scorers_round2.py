"""`perfscore export scorers --round2`: whole-take scorer checkpoints (round 2) → ONNX and TFLite, fp32 and
int8, each checked against torch on held-out test takes and recorded in models/manifest.json with the
input layout `perfscore.scorer-input/performance-1` (edge/scoring/learned/performance.py runs them).

Each checkpoint `models/checkpoints/round2/<key>.pt` (training/scorers/checkpoint.py, whole-take format)
becomes:
- `scorer_<key>.onnx` (fp32): input `windows` float32[W, 60, 72], W dynamic (one take, the box's windows
  every second), output `scores` float32[1, 5]; ONNX Runtime within FP32_TOLERANCE points of torch on
  every parity take, or the export is refused.
- `scorer_<key>.int8.onnx`: the first rung within the parity bounds (export/parity.py): static QDQ int8
  calibrated on training-fold takes, with the window encoder's LSTM/GRU written out (export/unrolled.py)
  so its weights are plain matrix products; the GRU over the sequence of windows keeps ONNX's GRU op
  (a dynamic number of steps cannot be written out) and stays fp32; then the same with the input layer
  and heads fp32; then dynamic int8.
- with `--tflite`: `scorer_<key>.tflite` (fp32) and `scorer_<key>.int8.tflite` (tensor names shortened:
  scorers_tflite.py strip): inputs `windows`
  float32[MAX, 60, 72] zero-padded and `mask` float32[MAX]. LiteRT cannot resize this graph per take:
  torch.export specialises the number of windows (the sequence GRU is traced step by step), so the
  file holds up to MAX = TFLITE_MAX_WINDOWS windows and pools only the masked ones (exactly the
  unpadded result). ai-edge-quantizer's recipes in export/tflite.py's order, the first within bounds.

A with-reference checkpoint (task `with_reference`, layout `perfscore.scorer-input/performance-ref-1`) gives
the same ONNX files with input `windows` float32[W, 60, 98]: the 72 features, then the 26 reference inputs
(edge.features.reference_frames, named in the manifest's `scorer.reference_inputs`); its parity and
calibration takes are those the corpus's reference pass measured, each with its reference inputs as training
read them. Its TFLite files take `windows` float32[MAX, 60, 98] and `mask` (PaddedTakeModel re-implements
ReferenceModel's forward with the mask as weights, as it does the round-2 models').

Parity (manifest `parity`): on PARITY_TAKES held-out test takes (motions and pieces no model saw), mean
and max drift of the sub-scores the box reports (points, clipped 0–100) and grade agreement — the share
of takes whose grade_of(overall) is torch's. An artefact over its bounds is not shipped (`not_shipped`).
"""

from __future__ import annotations

import copy
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from edge import PROJECT_ROOT
from edge.errors import ModelError, PerfscoreError
from edge.models import MANIFEST

ROUND2_CHECKPOINTS = PROJECT_ROOT / "models" / "checkpoints" / "round2"
ROUND2_CORPUS = PROJECT_ROOT / ".cache" / "corpus" / "round2"
FP32_TOLERANCE = 0.01          # points (0–100): float32 sums in another order
TFLITE_MAX_WINDOWS = 128       # ≈ 2 min 9 s of take in the fixed-shape TFLite file
PARITY_TAKES = 192
CALIBRATION_TAKES = 64         # ONNX static int8
TFLITE_CALIBRATION_TAKES = 24  # each is a full [MAX, 60, 72] input
ONNX_OPSET = 17                # the TorchScript exporter: it keeps W dynamic through nn.GRU


# ---------------------------------------------------------------- takes of the corpus

def corpus_takes(corpus: Path, test: bool, n: int, seed: int,
                 with_reference: bool = False) -> list[tuple[np.ndarray, str]]:
    """(T, 72) model frames and discipline of `n` takes drawn from the test split (`test`) or the
    training folds, exactly as the corpus was built for training (edge.scoring.learned.windows).
    `with_reference`: only takes the reference pass measured, each (T, 98): the frames followed by
    their reference inputs, as round2_reference.reference_task_clips gives them to training."""
    from edge.features.reference_frames import reference_inputs
    from edge.scoring.learned.windows import model_frames
    from training.data.corpus_store import load_corpus

    if not (Path(corpus) / "plan.json").exists():
        raise PerfscoreError(f"{corpus}: no round-2 corpus there (make it with `perfscore train scorers round2`)")
    store = None
    if with_reference:
        from training.scorers.round2_reference import load_reference

        if not (Path(corpus) / "reference").is_dir():
            raise PerfscoreError(f"{corpus}/reference: no reference measurements (the with_reference task's input)")
        store = load_reference(Path(corpus) / "reference")
    data = load_corpus(corpus).select(lambda e: (e["split"] == "test") == test and
                                      (store is None or (e["id"] in store.frames and "error" not in store.rows[e["id"]])))
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(data), size=min(n, len(data)), replace=False))
    takes = []
    for i in pick:
        e = data.entries[i]
        frames = model_frames(np.asarray(data.pose[i], np.float32), np.asarray(data.audio[i], np.float32),
                              e["discipline"])
        if store is not None:
            extra = reference_inputs(store.frames[e["id"]], np.array(store.rows[e["id"]]["summary"], np.float32))
            frames = np.concatenate([frames, extra], axis=1).astype(np.float32)
        takes.append((frames, e["discipline"]))
    return takes


def take_windows(frames: np.ndarray) -> np.ndarray:
    from edge.scoring.learned.windows import stack_windows, window_starts

    return stack_windows(frames, window_starts(len(frames)))


# ---------------------------------------------------------------- what goes into the files

def _torch():
    import torch
    from torch import nn

    class TakeModel(nn.Module):
        """ONNX: one take's windows [W, 60, 72] → scores [1, 5]."""

        def __init__(self, model):
            super().__init__()
            self.model = model.eval()

        def forward(self, windows):
            x = windows.unsqueeze(0)
            return self.model(x, torch.ones(x.shape[:2], dtype=torch.bool))

    class PaddedTakeModel(nn.Module):
        """TFLite: windows [MAX, 60, 72] zero-padded and mask [MAX] → scores [1, 5], pooling only the
        masked windows and reading the sequence GRU at the last one (what Hierarchical does with a mask,
        written with static shapes)."""

        def __init__(self, model):
            super().__init__()
            self.model = model.eval()

        def forward(self, windows, mask):
            m = self.model
            x, w = windows.unsqueeze(0), mask.unsqueeze(0)                 # (1, MAX, 60, F), (1, MAX)
            wm = w.unsqueeze(-1)
            count = wm.sum(dim=1).clamp_min(1.0)
            after = torch.cat([w[:, 1:], torch.zeros_like(w[:, :1])], dim=1)
            last = (w - after).clamp_min(0.0).unsqueeze(-1)                 # one-hot at the last real window
            if hasattr(m, "base"):
                return self._with_reference(m, x, wm, count, last)
            if m.context == "mean":
                scores, _ = m.window(windows)
                return (scores.unsqueeze(0) * wm).sum(dim=1) / count
            e = m.embed(x)
            h, _ = m.sequence(e)
            pooled = torch.cat([(h * wm).sum(dim=1) / count, (h * last).sum(dim=1), (e * wm).sum(dim=1) / count],
                               dim=-1)
            return 50.0 + 50.0 * m.head(pooled)

        @staticmethod
        def _with_reference(m, x, wm, count, last):
            """ReferenceModel.forward (training/scorers/round2_reference.py) with the mask as weights: its
            reference statistics are per window and its summary is read from the first (always real) one."""
            from edge.scoring.learned.windows import N_FEATURES

            frames = x[..., :N_FEATURES]
            window, summary = m._extra(x)
            if m.context == "hier":
                e = torch.relu(m.mix(torch.cat([m.base.embed(frames), window], dim=-1)))
                h, _ = m.sequence(e)
                pooled = torch.cat([(h * wm).sum(dim=1) / count, (h * last).sum(dim=1), (e * wm).sum(dim=1) / count,
                                    torch.relu(m.summary(summary))], dim=-1)
                return 50.0 + 50.0 * m.head(pooled)
            scores, _ = m.base.window(frames[0])
            s = summary.unsqueeze(1).expand(1, x.shape[1], summary.shape[-1])
            scores = scores.unsqueeze(0) + 10.0 * m.correction(torch.cat([window, s], dim=-1))
            return (scores * wm).sum(dim=1) / count

    return TakeModel, PaddedTakeModel


def encoder_unrolled(model):
    """A copy whose window encoder's LSTM/GRU is written out (30 fixed steps: int8 can hold its weights);
    the GRU over the sequence of windows is kept (its number of steps is the take's)."""
    from .unrolled import unrolled_copy

    out = copy.deepcopy(model).eval()
    inner = getattr(out, "base", out)           # a with-reference model wraps the round-2 model (ReferenceModel)
    if hasattr(inner, "encoder"):
        inner.encoder, _ = unrolled_copy(inner.encoder)
    else:
        inner.window, _ = unrolled_copy(inner.window)
    return out


def export_take_onnx(model, out: Path, example: np.ndarray) -> None:
    import torch

    TakeModel, _ = _torch()
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(TakeModel(model), (torch.from_numpy(example),), str(out), input_names=["windows"],
                      output_names=["scores"], dynamic_axes={"windows": {0: "windows"}}, opset_version=ONNX_OPSET,
                      dynamo=False)
    from .quantize import strip

    strip(out)


def torch_scores(model, takes: list[tuple[np.ndarray, str]]) -> np.ndarray:
    import torch

    TakeModel, _ = _torch()
    wrapper = TakeModel(model)
    with torch.no_grad():
        return np.concatenate([wrapper(torch.from_numpy(take_windows(f))).numpy() for f, _ in takes])


def onnx_scores(path: Path, takes) -> np.ndarray:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return np.concatenate([session.run(None, {"windows": take_windows(f)})[0] for f, _ in takes])


def tflite_scores(path: Path, takes, max_windows: int, task: str = "without_reference") -> np.ndarray:
    """Through the box's own runner (edge/scoring/learned/performance.py), padding and mask included."""
    from edge.scoring.learned.performance import _TfliteRunner, input_layout

    runner = _TfliteRunner(path, {"max_windows": max_windows, "layout": input_layout(task)})
    return np.concatenate([runner(take_windows(f)) for f, _ in takes])


def take_parity(got: np.ndarray, truth: np.ndarray, takes, task: str) -> dict:
    """Drift of the sub-scores the box reports (points) and agreement of grade_of(overall), per take."""
    from edge.scoring.learned.performance import take_grade, take_subscores

    drift, agree = [], []
    for g, t, (_, discipline) in zip(got, truth, takes):
        a, b = take_subscores(g, discipline, task), take_subscores(t, discipline, task)
        drift += [abs(a[k] - b[k]) for k in a if a[k] is not None]
        agree.append(take_grade(g, discipline, task)[1] == take_grade(t, discipline, task)[1])
    return {"takes": len(takes), "mean_drift_points": round(float(np.mean(drift)), 4),
            "max_drift_points": round(float(np.max(drift)), 4), "grade_agreement": round(float(np.mean(agree)), 4)}


# ---------------------------------------------------------------- int8 ONNX

class _TakeReader:
    """onnxruntime's CalibrationDataReader: one take's windows per call (a take is one model input)."""

    def __init__(self, takes):
        self.items = iter([{"windows": take_windows(f)} for f, _ in takes])

    def get_next(self):
        return next(self.items, None)


def _static_qdq(graph: Path, out: Path, takes, exclude: list[str]) -> None:
    """export/quantize.py's static QDQ (int8 weights per channel, uint8 activations, weighted ops only),
    fed one take per calibration step."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from .quantize import OPS, strip

    with tempfile.TemporaryDirectory(prefix="perfscore-quant-") as scratch:
        pre = Path(scratch) / "pre.onnx"
        quant_pre_process(str(graph), str(pre), skip_symbolic_shape=True)
        quantize_static(str(pre), str(out), _TakeReader(takes), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                        op_types_to_quantize=OPS, nodes_to_exclude=exclude, calibrate_method=CalibrationMethod.MinMax,
                        extra_options={"CalibMovingAverage": False})
    strip(out)


def int8_onnx(model, fp32: Path, out: Path, calibration, heldout, truth, task: str, progress) -> dict:
    from .parity import scorer_within
    from .scorers import dynamic_rungs, int8_ladder

    with tempfile.TemporaryDirectory(prefix="perfscore-int8-") as scratch:
        unrolled = Path(scratch) / "unrolled.onnx"
        export_take_onnx(encoder_unrolled(model), unrolled, take_windows(heldout[0][0]))
        diff = float(np.abs(onnx_scores(unrolled, heldout[:16]) - truth[:16]).max())
        if diff > FP32_TOLERANCE:
            raise ModelError(f"{fp32}: the written-out window encoder differs from torch by {diff:.3g} points")
        ladder = [("static QDQ int8 (window encoder's recurrent layer written out; sequence GRU fp32)", "int8",
                   unrolled, None),
                  ("static QDQ int8, input layer and heads fp32 (window encoder's recurrent layer written out; "
                   "sequence GRU fp32)", "int8", unrolled, "input layer and heads"),
                  ("dynamic int8", "int8-dynamic", fp32, None),
                  ("dynamic int8, input layer and heads fp32", "int8-dynamic", fp32, "input layer and heads"),
                  *dynamic_rungs(fp32, None)]
        return int8_ladder(ladder, fp32, out, Path(scratch),
                           lambda graph, candidate, exclude: _static_qdq(graph, candidate, calibration, exclude),
                           lambda candidate: take_parity(onnx_scores(candidate, heldout), truth, heldout, task),
                           scorer_within, progress)


# ---------------------------------------------------------------- TFLite

def _runtime_zero_state(module) -> None:
    """Start each written-out recurrent layer from a zero state computed from its input (x·0) instead of a
    constant: with a constant zero state the converter folds the first step's recurrent product into a
    [128 windows, gates] fp32 constant (98 kB of the file, untouched by int8)."""
    import types

    import torch

    from .unrolled import UnrolledGRU, UnrolledLSTM

    def zeros_from(x, h):
        return (x[:, 0, :1] * 0.0).expand(x.shape[0], h)

    def gru(self, x):
        h = self.hidden
        gi = self.inp(x)
        state = zeros_from(x, h)
        out = []
        for k in range(x.shape[1]):
            gh = self.rec(state)
            r = torch.sigmoid(gi[:, k, :h] + gh[:, :h])
            z = torch.sigmoid(gi[:, k, h:2 * h] + gh[:, h:2 * h])
            n = torch.tanh(gi[:, k, 2 * h:] + r * gh[:, 2 * h:])
            state = (1 - z) * n + z * state
            out.append(state)
        return torch.stack(out, dim=1), state[None]

    def lstm(self, x):
        h = self.hidden
        gi = self.inp(x)
        state = zeros_from(x, h)
        cell = zeros_from(x, h)
        out = []
        for k in range(x.shape[1]):
            g = gi[:, k] + self.rec(state)
            cell = torch.sigmoid(g[:, h:2 * h]) * cell + torch.sigmoid(g[:, :h]) * torch.tanh(g[:, 2 * h:3 * h])
            state = torch.sigmoid(g[:, 3 * h:]) * torch.tanh(cell)
            out.append(state)
        return torch.stack(out, dim=1), (state[None], cell[None])

    for m in module.modules():
        if isinstance(m, UnrolledGRU):
            m.forward = types.MethodType(gru, m)
        elif isinstance(m, UnrolledLSTM):
            m.forward = types.MethodType(lstm, m)


def _tflite_convert(model, out: Path, max_windows: int, width: int = 72) -> str | None:
    import torch

    from . import tflite
    from .unrolled import unrolled_copy

    _, PaddedTakeModel = _torch()
    written, _ = unrolled_copy(model)          # every recurrent layer written out: static shapes throughout
    _runtime_zero_state(written)
    module = PaddedTakeModel(written).eval()
    example = (torch.zeros(max_windows, 60, width), torch.ones(max_windows))
    with tempfile.TemporaryDirectory(prefix="perfscore-tflite-") as scratch:
        program = Path(scratch) / "model.pt2"
        torch.export.save(torch.export.export(module, example), str(program))
        return (tflite._run("convert", str(program), str(out), f"{max_windows},60,{width};{max_windows}")
                or tflite._run("strip", str(out), str(out)))


def _tflite_calibration(takes, max_windows: int, path: Path) -> Path:
    windows = np.zeros((len(takes), max_windows, 60, takes[0][0].shape[1]), np.float32)
    mask = np.zeros((len(takes), max_windows), np.float32)
    for i, (f, _) in enumerate(takes):
        w = take_windows(f)[:max_windows]
        windows[i, :len(w)], mask[i, :len(w)] = w, 1.0
    np.savez(path, windows=windows, mask=mask)
    return path


def tflite_files(model, key: str, out_dir: Path, calibration, heldout, truth, task: str, progress,
                 max_windows: int = TFLITE_MAX_WINDOWS) -> tuple[dict, dict]:
    """(fp32 result, int8 result): {"path", "parity"} or {"failed"}; int8 adds the ladder's attempts."""
    from . import tflite
    from .parity import scorer_within, size_within

    fp32 = out_dir / f"scorer_{key}.tflite"
    progress(f"  converting {fp32.name} (litert-torch, {max_windows} windows + mask)")
    error = _tflite_convert(model, fp32, max_windows, heldout[0][0].shape[1])
    if error:
        return {"failed": f"litert-torch conversion failed: {error}"}, {"failed": "no fp32 TFLite to quantise"}
    got = tflite_scores(fp32, heldout, max_windows, task)
    diff = float(np.abs(got - truth).max())
    if not diff <= FP32_TOLERANCE:
        fp32.unlink(missing_ok=True)
        return {"failed": f"TFLite differs from torch by {diff:.3g} points"}, {"failed": "no fp32 TFLite to quantise"}
    first = {"path": fp32, "parity": dict(take_parity(got, truth, heldout, task), parity_max_abs_diff=diff)}
    attempts = []
    with tempfile.TemporaryDirectory(prefix="perfscore-tflite-int8-") as scratch:
        data = _tflite_calibration(calibration, max_windows, Path(scratch) / "calibration.npz")
        for recipe, precision in tflite.RECIPES:
            method = f"ai-edge-quantizer {recipe}"
            progress(f"  int8 TFLite: {method}")
            candidate = Path(scratch) / f"{recipe}.tflite"
            error = (tflite._run("quantize", str(fp32), str(data), str(candidate), recipe)
                     or tflite._run("strip", str(candidate), str(candidate)))
            if error is None:
                try:
                    parity = take_parity(tflite_scores(candidate, heldout, max_windows, task), truth, heldout, task)
                except Exception as exc:   # a file the quantiser wrote but LiteRT cannot run
                    error = f"ai-edge-litert: {exc}"[:300]
            if error:
                attempts.append({"method": method, "failed": error})
                continue
            broke = scorer_within(parity) or size_within(candidate.stat().st_size, fp32.stat().st_size)
            attempts.append({"method": method, "bytes": candidate.stat().st_size, "parity": parity,
                             "verdict": broke or "within bounds"})
            if broke is None:
                target = out_dir / f"scorer_{key}.int8.tflite"
                shutil.copyfile(candidate, target)
                return first, {"path": target, "parity": parity, "precision": precision, "ship": method,
                               "attempts": attempts}
    return first, {"attempts": attempts}


# ---------------------------------------------------------------- one checkpoint → its files

def export_performance(checkpoint: Path, out_dir: Path, manifest_path: Path = MANIFEST, tflite: bool = False,
                       corpus: Path | None = None, int8: bool = True, progress=lambda _m: None) -> list[dict]:
    import torch

    from edge.features.reference_frames import REFERENCE_NAMES, SUMMARY_NAMES
    from edge.models import sha256_of
    from edge.scoring.learned.performance import PERFORMANCE_REF_LAYOUT, input_width
    from training.scorers.checkpoint import load_performance_checkpoint
    from training.scorers.models import n_parameters

    from .manifest import drop_artifact, drop_int8, record_artifact, shown

    torch.set_num_threads(1)
    checkpoint = Path(checkpoint)
    model, data = load_performance_checkpoint(checkpoint)
    key, task, layout = data["key"], data["task"], data["layout"]
    with_reference = layout == PERFORMANCE_REF_LAYOUT
    width = input_width(layout)
    corpus = Path(corpus) if corpus is not None else ROUND2_CORPUS
    heldout = corpus_takes(corpus, True, PARITY_TAKES, seed=1, with_reference=with_reference)
    truth = torch_scores(model, heldout)
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = out_dir / f"scorer_{key}.onnx"
    progress(f"  exporting {fp32.name}")
    export_take_onnx(model, fp32, take_windows(heldout[0][0]))
    got = onnx_scores(fp32, heldout)
    diff = float(np.abs(got - truth).max())
    if not diff <= FP32_TOLERANCE:
        fp32.unlink(missing_ok=True)
        raise ModelError(f"{fp32}: ONNX output differs from torch by {diff:.3g} points (> {FP32_TOLERANCE}); "
                         "not exported")
    parity_on = f"{len(heldout)} held-out test takes of {shown(corpus)} (motions and pieces never trained on)"
    inner = getattr(model, "base", model)       # a with-reference model: the round-2 model inside ReferenceModel
    spec = {"key": key, "version": data["version"], "layout": layout, "window_layout": data["window_layout"],
            "window_frames": data["window_frames"], "hop_frames": data["hop_frames"], "subscores": data["subscores"],
            "task": task, "labels": data["labels"], "architecture": data["config"]["arch"],
            "context": data["config"]["context"],
            "baseline": [round(float(v), 6) for v in (inner.inputs.mean if hasattr(inner, "inputs")
                                                       else inner.window.inputs.mean).numpy()]}
    if with_reference:
        spec["reference_inputs"] = list(REFERENCE_NAMES) + list(SUMMARY_NAMES)
    description = (f"Whole-take learned scorer '{key}' ({data['config']['arch']} window encoder, "
                   f"{'GRU over the sequence of windows' if data['config']['context'] == 'hier' else 'window mean'}; "
                   f"task {task}): a take's 2-s windows -> sub-scores; grade = grade_of(overall)")
    inputs = {"windows": {"dtype": "float32", "shape": ["W", 60, width],
                          "layout": f"{layout}: the take's windows every second (edge.scoring.learned."
                                    "windows), 52 pose then 20 audio features"
                                    + (", then the comparison with the reference: 10 per-frame channels and the "
                                       "16-value take summary on every frame (edge.features.reference_frames."
                                       "comparison_inputs)" if with_reference else "") + ", 60 frames at 30/s"}}
    outputs = {"scores": {"dtype": "float32", "shape": [1, 5], "names": data["subscores"], "unit": "points 0-100"}}
    common = dict(kind="onnx-scorer", inputs=inputs, outputs=outputs, licence="Apache-2.0",
                  provenance={"trained_by": "perfscore train scorers round2 (training/scorers/round2.py)",
                              "exported_by": "perfscore export scorers --round2 (export/scorers_round2.py)",
                              "checkpoint": shown(checkpoint), "checkpoint_sha256": sha256_of(checkpoint),
                              "opset": ONNX_OPSET, "parameters": n_parameters(model), "trained": data.get("trained", {})},
                  parity_on=parity_on)
    metrics = {"parity_max_abs_diff_points": round(diff, 6), "parity_tolerance_points": FP32_TOLERANCE,
               "test": data.get("metrics", {}).get("test")}

    def record(path: Path, **kw) -> dict:
        return dict(record_artifact(path, manifest_path=manifest_path, **(common | kw)), file=path.name)

    entries = [record(fp32, description=description, precision="fp32", scorer=spec, metrics=metrics,
                      parity=take_parity(got, truth, heldout, task))]
    calibration = (corpus_takes(corpus, False, CALIBRATION_TAKES, seed=0, with_reference=with_reference)
                   if (int8 or tflite) else None)
    if int8:
        name = f"scorer_{key}.int8.onnx"
        result = int8_onnx(model, fp32, out_dir / name, calibration, heldout, truth, task, progress)
        if result["ship"]:
            entries.append(record(out_dir / name, description=f"{description}; {result['ship']}",
                                  precision=result["precision"], scorer=spec, parity=result["parity"],
                                  metrics={"test": metrics["test"]},
                                  quantisation={"method": result["ship"], "calibration": f"{len(calibration)} takes "
                                                "of the corpus's training folds", "attempts": result["attempts"],
                                                "bytes_fp32": fp32.stat().st_size}))
        else:
            entries.append(drop_int8(name, result, out_dir, manifest_path))
    if tflite:
        from . import tflite as tflite_module

        first, q = tflite_files(model, key, out_dir, calibration[:TFLITE_CALIBRATION_TAKES], heldout, truth, task,
                                progress)
        m = TFLITE_MAX_WINDOWS
        converted = {k: v for k, v in common["provenance"].items() if k != "opset"}
        tf = dict(kind="tflite-scorer", provenance=dict(converted, converter="litert-torch 0.10.0 (scripts/litert_venv)"),
                  tensor_names=tflite_module.STRIPPED,
                  inputs={"windows": dict(inputs["windows"], shape=[m, 60, width],
                                          padding=f"zeros after the take's W windows (W <= {m})"),
                          "mask": {"dtype": "float32", "shape": [m], "meaning": "1 for the take's windows, 0 after"}})
        tf_spec = dict(spec, max_windows=m,
                       why_fixed_shape="torch.export specialises the number of windows (the GRU over the windows is "
                                       "traced step by step), so LiteRT cannot resize the input per take")
        if "failed" in first:
            drop_artifact(f"scorer_{key}.tflite", first["failed"], manifest_path)
            entries.append({"file": f"scorer_{key}.tflite", "dropped": first["failed"]})
        else:
            entries.append(record(first["path"], description=f"{description}; TFLite fp32 (litert-torch)",
                                  precision="fp32", parity=first["parity"], scorer=tf_spec,
                                  metrics={"parity_max_abs_diff_points": first["parity"]["parity_max_abs_diff"],
                                           "test": metrics["test"]}, **tf))
        name = f"scorer_{key}.int8.tflite"
        if q.get("path"):
            entries.append(record(q["path"], description=f"{description}; TFLite {q['ship']}",
                                  precision=q["precision"], parity=q["parity"], scorer=tf_spec,
                                  metrics={"test": metrics["test"]},
                                  quantisation={"method": q["ship"], "calibration": f"{TFLITE_CALIBRATION_TAKES} takes "
                                                "of the corpus's training folds", "attempts": q["attempts"],
                                                "bytes_fp32": first["path"].stat().st_size}, **tf))
        else:
            entries.append(drop_int8(name, q, out_dir, manifest_path))
    return entries


def export_round2(checkpoints: Path, keys: list[str] | None, out_dir: Path, tflite: bool = False,
                  manifest_path: Path = MANIFEST, progress=print, corpus: Path | None = None,
                  int8: bool = True) -> list[dict]:
    from .scorers import checkpoint_files

    files = checkpoint_files(checkpoints, keys, "whole-take scorer checkpoints")
    done = []
    for f in files:
        start = time.perf_counter()
        entries = export_performance(f, out_dir, manifest_path, tflite, corpus, int8, progress)
        done += entries
        progress(f"{f.name}: " + ", ".join(f"{e['file']} " + (f"{e['bytes'] / 1024:.0f} KB" if "bytes" in e
                                                                else "not shipped") for e in entries)
                 + f" ({time.perf_counter() - start:.0f} s)")
    return done
