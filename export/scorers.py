"""`perfscore export scorers`: scorer checkpoints → ONNX (fp32, and int8 where it helps), parity-checked,
recorded in models/manifest.json for the box's ONNX plugin (edge/scoring/learned/onnx.py).

Each checkpoint `models/checkpoints/<key>.pt` becomes `models/scorer_<key>.onnx`: input `window`
float32[N, 60, 72] (dynamic batch), outputs `scores` float32[N, 5] (0–100, SUBSCORES order),
`grade_logits` float32[N, 5] (A–E) and, for Transformers and hybrid fusion, `attention`
float32[N, 60]. ONNX Runtime's answers are compared with torch's on the corpus-like windows of
`parity_windows` (dance and music, plus random ones), on a 0–1 scale (sub-scores / 100, grade
probabilities, attention); more than PARITY_TOLERANCE apart refuses the export.

Quantisation: onnxruntime's dynamic int8 (`quantize_dynamic`) of MatMul/Gemm/LSTM weights is
written as `models/scorer_<key>.int8.onnx` only when it makes the file at least 25 % smaller and
its sub-scores stay within INT8_TOLERANCE points of torch's on real windows (the corpus's test
split; random windows far outside the training range exaggerate int8 error tenfold). GRU
graphs stay fp32 (ONNX has no quantised GRU; see shared FACTS), so no int8 GRU file is written.
Convolutions are not quantised dynamically by onnxruntime either, so CNNs keep fp32 weights for
their convolutions.

TFLite (`--tflite`): converted with litert-torch in its own venv (FACTS: it needs its own
torch/tensorflow-free stack), when that venv exists; see docs/scorers.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

# numpy is imported in the functions that use it: `perfscore --help` registers this command without it.
from edge import MODELS_DIR, PROJECT_ROOT
from edge.errors import ModelError, PerfscoreError
from edge.models import MANIFEST
from .manifest import OPSET, shown

PARITY_TOLERANCE = 1e-4
INT8_TOLERANCE = 3.0          # score points; the int8 file is dropped if it strays further
DEFAULT_CHECKPOINTS = PROJECT_ROOT / "models" / "checkpoints"
LITERT_VENV = PROJECT_ROOT / ".cache" / "litert-venv"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("scorers", help="export learned-scorer checkpoints to ONNX (+int8, +TFLite) with parity checks",
                            description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoints", type=Path, default=DEFAULT_CHECKPOINTS,
                        help="a checkpoint file or a folder of them (default models/checkpoints)")
    parser.add_argument("--models", default=None, help="comma-separated keys to export (default: every checkpoint)")
    parser.add_argument("--out", type=Path, default=MODELS_DIR, help="folder for the model files (default models/)")
    parser.add_argument("--corpus", type=Path, default=PROJECT_ROOT / ".cache" / "corpus" / "full",
                        help="corpus whose test-split windows judge int8 accuracy (default .cache/corpus/full; "
                             "without it no int8 file is made)")
    parser.add_argument("--tflite", action="store_true",
                        help=f"also convert to TFLite with litert-torch from {LITERT_VENV.relative_to(PROJECT_ROOT)}")
    parser.set_defaults(run=run)



def parity_windows(n_random: int = 64, seed: int = 0) -> np.ndarray:
    """Windows shaped like real input: a dance-like block (person present, smooth pose, beat phase),
    a music-like block (no pose), and random values in the features' ranges."""
    import numpy as np
    from edge.features.sequence import COLUMN, POSE_DIM
    from edge.scoring.learned.windows import N_FEATURES, WINDOW_FRAMES

    rng = np.random.default_rng(seed)
    t = np.arange(WINDOW_FRAMES) / 30.0
    dance = np.zeros((n_random, WINDOW_FRAMES, N_FEATURES), np.float32)
    phase = rng.uniform(0, 2 * np.pi, (n_random, 1, 1))
    dance[:, :, :POSE_DIM - 1] = (rng.normal(0, 0.6, (n_random, 1, POSE_DIM - 1))
                                  + 0.3 * np.sin(2 * np.pi * 2 * t[None, :, None] + phase))
    dance[:, :, POSE_DIM - 1] = 1.0
    music = np.zeros_like(dance)
    for block in (dance, music):
        block[:, :, POSE_DIM:] = rng.uniform(0, 1, (n_random, WINDOW_FRAMES, N_FEATURES - POSE_DIM))
        block[:, :, COLUMN["pitch"]] = rng.uniform(-1, 1, (n_random, 1))
        block[:, :, COLUMN["beat_phase_sin"]] = np.sin(2 * np.pi * 2 * t)[None]
        block[:, :, COLUMN["beat_phase_cos"]] = np.cos(2 * np.pi * 2 * t)[None]
    rand = rng.normal(0, 1, (n_random, WINDOW_FRAMES, N_FEATURES)).astype(np.float32)
    return np.concatenate([dance, music, rand]).astype(np.float32)


def corpus_windows(corpus: Path | None, n: int = 256, seed: int = 0) -> np.ndarray | None:
    """Real windows (the corpus's held-out test split) to judge int8 accuracy on; None without a corpus."""
    import numpy as np
    if corpus is None or not Path(corpus).exists():
        return None
    from edge.scoring.learned.windows import model_frames, stack_windows, window_starts
    from training.data.corpus_store import load_corpus

    data = load_corpus(corpus).select(lambda e: e["split"] == "test")
    rng = np.random.default_rng(seed)
    out = []
    for i in rng.choice(len(data), size=min(n // 4, len(data)), replace=False):
        e = data.entries[int(i)]
        frames = model_frames(data.pose[i], data.audio[i], e["discipline"])
        out.append(stack_windows(frames, window_starts(len(frames)))[:4])
    return np.concatenate(out)[:n]


def export_onnx(wrapper, out: Path, with_attention: bool) -> None:
    import torch

    from edge.scoring.learned.windows import N_FEATURES, WINDOW_FRAMES

    out.parent.mkdir(parents=True, exist_ok=True)
    names = ["scores", "grade_logits"] + (["attention"] if with_attention else [])
    torch.onnx.export(wrapper, (torch.zeros(2, WINDOW_FRAMES, N_FEATURES),), str(out), input_names=["window"],
                      output_names=names, opset_version=OPSET, dynamo=True, external_data=False,
                      dynamic_shapes={"window": {0: torch.export.Dim("N")}}, verbose=False)


def onnx_outputs(path: Path, windows: np.ndarray) -> list[np.ndarray]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"window": windows})


def _unit(outputs: list[np.ndarray]) -> list[np.ndarray]:
    """Outputs on a 0–1 scale: sub-scores / 100, grade probabilities (softmax of the logits), attention."""
    from scipy.special import softmax

    return [outputs[0] / 100.0, softmax(outputs[1], axis=1), *outputs[2:]]


def max_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """Largest difference of any output on the 0–1 scale (sub-score fractions, grade probabilities,
    attention weights): float32 convolutions summed in another order differ by ~1e-4 *points*."""
    import numpy as np
    return float(max(np.max(np.abs(x - y)) for x, y in zip(_unit(a), _unit(b))))


def quantize(fp32: Path, out: Path) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8)
    return out


def _record(path: Path, **kwargs) -> dict:
    from .manifest import record_artifact

    return dict(record_artifact(path, **kwargs), file=path.name)


def scorer_spec(model, data: dict) -> dict:
    """What the box's plugin needs besides the graph (edge/scoring/learned/base.py reads it)."""
    return {"key": data["key"], "version": data["version"], "layout": data["layout"],
            "window_frames": data["window_frames"], "hop_frames": data["hop_frames"],
            "subscores": data["subscores"], "grades": data["grades"], "rubric": data["rubric"],
            "baseline": [round(float(v), 6) for v in model.inputs.mean.numpy()],
            "architecture": model.arch, "fusion": model.fusion}


def export_one(checkpoint: Path, out_dir: Path, manifest_path: Path = MANIFEST, tflite: bool = False,
               real: np.ndarray | None = None) -> list[dict]:
    import numpy as np
    import torch

    from training.scorers.checkpoint import load_checkpoint
    from training.scorers.models import ExportWrapper, n_parameters

    torch.set_num_threads(1)
    model, data = load_checkpoint(checkpoint)
    wrapper = ExportWrapper(model).eval()
    key = data["key"]
    windows = parity_windows()
    with torch.no_grad():
        expected = [t.numpy() for t in wrapper(torch.from_numpy(windows))]
    fp32 = out_dir / f"scorer_{key}.onnx"
    export_onnx(wrapper, fp32, wrapper.with_attention)
    got = onnx_outputs(fp32, windows)
    diff = max_diff(got, expected)
    if not diff <= PARITY_TOLERANCE:
        fp32.unlink(missing_ok=True)
        raise ModelError(f"{fp32}: ONNX output differs from torch by {diff:.2e} (> {PARITY_TOLERANCE:.0e}); not exported")
    spec = scorer_spec(model, data)
    outputs = {"scores": {"dtype": "float32", "shape": ["N", 5], "names": data["subscores"], "unit": "points 0-100"},
               "grade_logits": {"dtype": "float32", "shape": ["N", 5], "names": data["grades"]}}
    if wrapper.with_attention:
        outputs["attention"] = {"dtype": "float32", "shape": ["N", 60], "meaning": "weight of each frame"}
    common = dict(
        kind="onnx-scorer",
        inputs={"window": {"dtype": "float32", "shape": ["N", 60, 72],
                           "layout": "edge.features.sequence: 52 pose then 20 audio features, 60 frames at 30/s"}},
        outputs=outputs, licence="Apache-2.0",
        provenance={"trained_by": "perfscore train scorers fit (training/scorers)",
                    "exported_by": "perfscore export scorers (export/scorers.py)",
                    "checkpoint": shown(checkpoint), "opset": OPSET, "parameters": n_parameters(model),
                    "trained": data.get("trained", {})},
    )
    entries = [_record(fp32, description=f"Learned scorer '{key}' ({model.arch}, {model.fusion} fusion): "
                                                 "2-s window of pose + audio features -> sub-scores and grade logits",
                               metrics={"parity_max_abs_diff": diff, "parity_tolerance": PARITY_TOLERANCE,
                                        **data.get("metrics", {})},
                               manifest_path=manifest_path, precision="fp32", scorer=spec, **common)]
    if model.arch == "gru":
        entries.append({"file": f"scorer_{key}.int8.onnx", "dropped": "not attempted: ONNX has no quantised GRU"})
    elif real is None:
        entries.append({"file": f"scorer_{key}.int8.onnx", "dropped": "not attempted: no corpus windows to check it on"})
    else:
        int8 = quantize(fp32, out_dir / f"scorer_{key}.int8.onnx")
        with torch.no_grad():
            truth = wrapper(torch.from_numpy(real))[0].numpy()
        errors = np.abs(onnx_outputs(int8, real)[0] - truth)        # score points, real windows
        diff8 = float(errors.max())
        ratio = int8.stat().st_size / fp32.stat().st_size
        if diff8 <= INT8_TOLERANCE and ratio <= 0.75:
            entries.append(_record(
                int8, description=f"Learned scorer '{key}', dynamic int8 weights (onnxruntime quantize_dynamic)",
                metrics={"int8_max_abs_diff_scores": diff8, "int8_mean_abs_diff_scores": float(errors.mean()),
                         "int8_checked_on": f"{len(real)} windows of the corpus's test split",
                         "int8_tolerance": INT8_TOLERANCE,
                         "bytes_fp32": fp32.stat().st_size, **data.get("metrics", {})},
                manifest_path=manifest_path, precision="int8-dynamic", scorer=spec, **common))
        else:
            int8.unlink(missing_ok=True)
            entries.append({"file": int8.name, "dropped": f"int8 differs by up to {diff8:.2f} points (mean "
                                                          f"{errors.mean():.2f}; limit {INT8_TOLERANCE} max) on real "
                                                          f"windows, size {ratio:.2f} of fp32 (limit 0.75)"})
    if tflite:
        entries += export_tflite(wrapper, out_dir, spec, common, manifest_path, windows, expected)
    return entries


def export_tflite(wrapper, out_dir: Path, spec: dict, common: dict, manifest_path: Path,
                  windows: np.ndarray, expected: list[np.ndarray]) -> list[dict]:
    """torch.export here (batch of one window) → .pt2 → litert-torch in its venv (a subprocess)
    → .tflite, checked with ai-edge-litert here against torch."""
    import numpy as np
    import tempfile

    import torch

    python = LITERT_VENV / "bin" / "python"
    if not python.exists():
        raise PerfscoreError(f"--tflite needs litert-torch in {LITERT_VENV} (see docs/scorers.md for the two commands)")
    out = out_dir / f"scorer_{spec['key']}.tflite"
    with tempfile.TemporaryDirectory(prefix="perfscore-tflite-") as scratch:
        program = Path(scratch) / "scorer.pt2"
        torch.export.save(torch.export.export(wrapper, (torch.zeros(1, 60, 72),)), str(program))
        result = subprocess.run([str(python), str(Path(__file__).with_name("scorers_tflite.py")), str(program), str(out)],
                                capture_output=True, text=True, cwd=PROJECT_ROOT)
    if result.returncode != 0 or not out.exists():
        return [{"file": out.name, "dropped": "litert-torch conversion failed: " + result.stderr.strip()[-400:]}]
    from ai_edge_litert.interpreter import Interpreter

    try:
        interp = Interpreter(model_path=str(out), num_threads=1)
        interp.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        out.unlink(missing_ok=True)
        return [{"file": out.name, "dropped": f"ai-edge-litert cannot run it: {str(exc).splitlines()[0]}"}]
    inp = interp.get_input_details()[0]
    outs = interp.get_output_details()
    got = [[] for _ in outs]
    for w in windows:
        interp.set_tensor(inp["index"], w[None])
        interp.invoke()
        for k, o in enumerate(outs):
            got[k].append(interp.get_tensor(o["index"])[0])
    got = [np.array(g) for g in got]
    # match outputs to torch's by shape and values (the converter may reorder them)
    order: list[int] = []
    for e in expected:
        best = min((k for k in range(len(got)) if got[k].shape == e.shape and k not in order),
                   key=lambda k: float(np.max(np.abs(got[k] - e))))
        order.append(best)
    diff = max_diff([got[k] for k in order], expected)
    if not diff <= PARITY_TOLERANCE * 10:
        out.unlink(missing_ok=True)
        return [{"file": out.name, "dropped": f"TFLite differs from torch by {diff:.2e}"}]
    tf_spec = dict(spec, tflite_outputs=[outs[k]["name"] for k in order])
    return [_record(out, description=f"Learned scorer '{spec['key']}', TFLite fp32 (litert-torch)",
                    metrics={"parity_max_abs_diff": diff}, manifest_path=manifest_path, precision="fp32",
                    scorer=tf_spec, **(common | {"kind": "tflite-scorer"}))]


def export_all(checkpoints: Path, keys: list[str] | None, out_dir: Path, tflite: bool = False,
               manifest_path: Path = MANIFEST, progress=print, corpus: Path | None = None) -> list[dict]:
    files = [checkpoints] if checkpoints.is_file() else sorted(checkpoints.glob("*.pt"))
    if keys:
        files = [f for f in files if f.stem in keys]
    if not files:
        raise PerfscoreError(f"{checkpoints}: no scorer checkpoints (.pt) to export")
    done = []
    real = corpus_windows(corpus)
    for f in files:
        start = time.perf_counter()
        entries = export_one(f, out_dir, manifest_path, tflite, real)
        done += entries
        progress(f"{f.name}: " + ", ".join(f"{e['file']} " + (f"{e['bytes'] / 1024:.0f} KB" if "bytes" in e
                                                                else f"dropped ({e['dropped']})") for e in entries)
                 + f" ({time.perf_counter() - start:.0f} s)")
    return done


def run(args: argparse.Namespace) -> int:
    from training.cli import require_extra

    require_extra("export", "torch", "onnx", "onnxscript")
    keys = [k.strip() for k in args.models.split(",")] if args.models else None
    entries = export_all(args.checkpoints, keys, args.out, args.tflite, corpus=args.corpus)
    print(json.dumps([{k: e.get(k) for k in ("kind", "bytes", "precision", "file", "dropped") if e.get(k) is not None}
                      for e in entries], indent=1))
    return 0
