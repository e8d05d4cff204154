"""`perfscore export scorers`: scorer checkpoints → ONNX and TFLite, fp32 and int8, each checked against
torch on held-out windows and recorded in models/manifest.json for the box's plugins
(edge/scoring/learned/onnx.py, tflite.py); the box picks one per device profile (chain.py).

Each checkpoint `models/checkpoints/<key>.pt` becomes:
- `scorer_<key>.onnx` (fp32): input `window` float32[N, 60, 72] (dynamic batch), outputs `scores`
  float32[N, 5] (0–100, SUBSCORES order), `grade_logits` float32[N, 5] (A–E) and, for Transformers and
  hybrid fusion, `attention` float32[N, 60]; ONNX Runtime against torch within PARITY_TOLERANCE on the
  0–1 scale, on corpus-like and random windows (`parity_windows`), or the export is refused. An existing
  file that passes that check is kept (re-exporting is slow); a stale one is replaced.
- `scorer_<key>.int8.onnx`: the first of INT8 ladder's tries that stays within the parity bounds
  (export/parity.py) on the held-out test windows: static QDQ int8 calibrated on training-corpus windows
  (export/calibration.py) — for GRU/LSTM on the recurrent layer written out (export/unrolled.py), since
  ONNX's GRU op stays fp32 —, the same with the input layer and heads in fp32, then dynamic int8 (all
  weights; input layer and heads fp32; per-channel; per-channel 7-bit; recurrent op fp32; the written-out
  recurrent layer int8 with the heads fp32: `dynamic_rungs`).
- with `--tflite` (litert-torch venv, scripts/litert_venv): `scorer_<key>.tflite` (fp32, batch of one
  window) and `scorer_<key>.int8.tflite` (ai-edge-quantizer: static int8, int16 activations, dynamic int8,
  the first within bounds).
An int8 artefact over its bounds is not shipped: it leaves `artifacts` and `not_shipped` says why, with
every try's figures.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

# numpy is imported in the functions that use it: `perfscore --help` registers this command without it.
from edge import MODELS_DIR, PROJECT_ROOT
from edge.errors import ModelError, PerfscoreError
from edge.models import MANIFEST
from .manifest import OPSET, shown

PARITY_TOLERANCE = 1e-4
DEFAULT_CHECKPOINTS = PROJECT_ROOT / "models" / "checkpoints"
UNROLLED_CACHE = PROJECT_ROOT / ".cache" / "export"     # written-out RNN graphs, by checkpoint sha256


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("scorers", help="export learned-scorer checkpoints to ONNX (+int8, +TFLite) with parity checks",
                            description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoints", type=Path, default=DEFAULT_CHECKPOINTS,
                        help="a checkpoint file or a folder of them (default models/checkpoints)")
    parser.add_argument("--models", default=None, help="comma-separated keys to export (default: every checkpoint)")
    parser.add_argument("--out", type=Path, default=MODELS_DIR, help="folder for the model files (default models/)")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="corpus to calibrate on (training folds) and check parity on (test split); default "
                             ".cache/corpus/full if made, else a small one rendered once into .cache/corpus/export")
    parser.add_argument("--tflite", action="store_true",
                        help="also convert to TFLite (fp32 and int8) with litert-torch from .cache/litert-venv "
                             "(scripts/litert_venv)")
    parser.add_argument("--no-int8", action="store_true", help="fp32 files only")
    parser.add_argument("--round2", action="store_true",
                        help="the whole-take models of round 2 (export/scorers_round2.py): checkpoints from "
                             "models/checkpoints/round2, calibration and parity takes from .cache/corpus/round2 "
                             "unless --checkpoints / --corpus say otherwise")
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


def _torch_outputs(wrapper, windows: np.ndarray) -> list[np.ndarray]:
    import torch

    with torch.no_grad():
        return [t.numpy() for t in wrapper(torch.from_numpy(windows))]


def _fp32_onnx(wrapper, out: Path, windows: np.ndarray, expected: list[np.ndarray], progress) -> float:
    """Export (or keep an existing file that still matches torch) and return the parity max |Δ|."""
    from .quantize import strip

    if out.exists():
        try:
            diff = max_diff(onnx_outputs(out, windows), expected)
            if diff <= PARITY_TOLERANCE:
                strip(out)          # files from before stripping: same graph, fewer bytes
                return diff
        except Exception:   # an unreadable old file is simply replaced
            pass
    progress(f"  exporting {out.name}")
    export_onnx(wrapper, out, wrapper.with_attention)
    strip(out)
    diff = max_diff(onnx_outputs(out, windows), expected)
    if not diff <= PARITY_TOLERANCE:
        out.unlink(missing_ok=True)
        raise ModelError(f"{out}: ONNX output differs from torch by {diff:.2e} (> {PARITY_TOLERANCE:.0e}); not exported")
    return diff


def _unrolled_onnx(model, checkpoint: Path, windows: np.ndarray, expected: list[np.ndarray], progress) -> Path | None:
    """fp32 ONNX of the model with its GRU/LSTM written out (cached by checkpoint sha256); None for
    models without a recurrent layer."""
    from edge.models import sha256_of
    from training.scorers.models import ExportWrapper

    from .quantize import strip
    from .unrolled import unrolled_copy

    copy, replaced = unrolled_copy(model)
    if not replaced:
        return None
    out = UNROLLED_CACHE / f"{checkpoint.stem}.{sha256_of(checkpoint)[:16]}.unrolled.onnx"
    if not out.exists():
        progress(f"  exporting the written-out recurrent graph of {checkpoint.stem}")
        tmp = out.with_suffix(".tmp.onnx")
        export_onnx(ExportWrapper(copy).eval(), tmp, ExportWrapper(copy).with_attention)
        strip(tmp)
        diff = max_diff(onnx_outputs(tmp, windows), expected)
        if not diff <= PARITY_TOLERANCE:
            tmp.unlink(missing_ok=True)
            raise ModelError(f"{checkpoint}: the written-out recurrent layer differs from torch by {diff:.2e}")
        tmp.replace(out)
    return out


def _sensitive(path: Path) -> list[str]:
    from training.scorers.models import AUDIO_IN, N_OUT, PATCH, POSE_IN

    from .quantize import sensitive_nodes

    firsts = {c * k for c in (POSE_IN, AUDIO_IN, POSE_IN + AUDIO_IN) for k in (1, PATCH)}
    return sensitive_nodes(path, firsts, {N_OUT})


def int8_onnx(model, checkpoint: Path, fp32: Path, out: Path, calibration: np.ndarray, heldout: np.ndarray,
              truth: list[np.ndarray], windows: np.ndarray, expected: list[np.ndarray], progress) -> dict:
    """Try the INT8 ladder; returns {"ship": method or None, "precision", "parity", "attempts": [...]}."""
    import tempfile

    from .parity import onnx_run, scorer_parity, scorer_within
    from .quantize import quantize_static_qdq

    unrolled = _unrolled_onnx(model, checkpoint, windows, expected, progress) if model.arch in ("gru", "lstm") else None
    static_graph = unrolled or fp32
    ladder = [("static QDQ int8" + (" (recurrent layer written out)" if unrolled else ""), "int8", static_graph, None),
              ("static QDQ int8, input layer and heads fp32" + (" (recurrent layer written out)" if unrolled else ""),
               "int8", static_graph, "input layer and heads"),
              ("dynamic int8", "int8-dynamic", fp32, None),
              ("dynamic int8, input layer and heads fp32", "int8-dynamic", fp32, "input layer and heads"),
              *dynamic_rungs(fp32, unrolled)]
    with tempfile.TemporaryDirectory(prefix="perfscore-int8-") as scratch:
        return int8_ladder(ladder, fp32, out, Path(scratch),
                           lambda graph, candidate, exclude: quantize_static_qdq(graph, candidate, "window", calibration,
                                                                                 exclude=exclude),
                           lambda candidate: scorer_parity(onnx_run(candidate, heldout), truth), scorer_within)


def dynamic_rungs(fp32: Path, unrolled: Path | None) -> list[tuple]:
    """The dynamic int8 rungs after the first four (measured on the recurrent scorers, where those four
    drifted or did not shrink): one int8 scale per weight column; the same with 7-bit weights; every
    weight int8 but the recurrent op's (ONNX's LSTM kept fp32; its GRU is never quantised); and — the
    recurrent weights being most of the bytes — the written-out recurrent layer (plain matrix products)
    int8 with the output heads fp32."""
    rungs = [("dynamic int8, per-channel weights", "int8-dynamic", fp32, None, {"per_channel": True}),
             ("dynamic int8, per-channel 7-bit weights (reduce_range)", "int8-dynamic", fp32, None,
              {"per_channel": True, "reduce_range": True}),
             ("dynamic int8, recurrent layer fp32", "int8-dynamic", fp32, "recurrent layer")]
    if unrolled is not None:
        rungs.append(("dynamic int8 of the written-out recurrent layer, heads fp32", "int8-dynamic", unrolled,
                      "heads"))
    return rungs


def _kept_fp32(graph: Path, careful: str | None) -> list[str]:
    """Nodes a rung leaves fp32: `careful` "input layer and heads", "heads", "recurrent layer", or None."""
    from training.scorers.models import N_OUT

    from .quantize import recurrent_nodes, sensitive_nodes

    if careful == "input layer and heads":
        return _sensitive(graph)
    if careful == "heads":
        return sensitive_nodes(graph, set(), {N_OUT})
    if careful == "recurrent layer":
        return recurrent_nodes(graph)
    if careful:
        raise ValueError(f"unknown part to keep fp32: {careful!r}")
    return []


def int8_ladder(ladder, fp32: Path, out: Path, scratch: Path, quantize_static, parity_of, within,
                progress=None) -> dict:
    """Try each rung (method, precision "int8" static or "int8-dynamic", graph, careful[, options]) in
    order; copy the first within its parity (`within`) and size bounds to `out`. `careful` names what
    stays fp32 (_kept_fp32: "input layer and heads", "heads", "recurrent layer" or None); `options`
    (dynamic rungs): per_channel, reduce_range. Returns {"ship": method or None, "precision", "parity", "attempts": [...]}."""
    import shutil

    from .parity import size_within
    from .quantize import dedupe_initializers, op_types, quantize_dynamic_int8

    attempts = []
    for k, (method, precision, graph, careful, *rest) in enumerate(ladder):
        options = dict(rest[0]) if rest else {}
        candidate = scratch / f"try{k}.onnx"
        if progress:
            progress(f"  int8 ONNX: {method}")
        try:
            exclude = _kept_fp32(graph, careful)
            if precision == "int8":
                quantize_static(graph, candidate, exclude)
            else:
                quantize_dynamic_int8(graph, candidate, exclude=exclude, **options)
            dedupe_initializers(candidate)
            parity = parity_of(candidate)
        except Exception as exc:   # a quantiser or runtime failure is one more reason, not the end
            attempts.append({"method": method, "failed": f"{exc.__class__.__name__}: {str(exc)[:300]}"})
            continue
        size = candidate.stat().st_size
        broke = within(parity) or size_within(size, fp32.stat().st_size)
        fp32_ops = sorted(t for t in ("GRU", "LSTM") if t in op_types(candidate))
        attempts.append({"method": method, "bytes": size, "parity": parity, "verdict": broke or "within bounds",
                         **({"ops_left_fp32": fp32_ops} if fp32_ops else {})})
        if broke is None:
            shutil.copyfile(candidate, out)
            return {"ship": method, "precision": precision, "parity": parity, "attempts": attempts}
    return {"ship": None, "attempts": attempts}


def tflite_files(wrapper, key: str, out_dir: Path, calibration: np.ndarray, heldout: np.ndarray,
                 truth: list[np.ndarray], progress) -> tuple[dict, dict]:
    """(fp32 result, int8 result): {"path", "parity", "names"} or {"failed"}; int8 adds the ladder's attempts."""
    import shutil
    import tempfile

    import torch

    from . import tflite
    from .parity import scorer_parity, scorer_within, tflite_run

    fp32 = out_dir / f"scorer_{key}.tflite"
    fresh = None
    if fp32.exists():
        try:
            got, names = tflite_run(fp32, heldout[:64], [t[:64] for t in truth])
            fresh = max_diff(got, [t[:64] for t in truth]) > 10 * PARITY_TOLERANCE
        except Exception:
            fresh = True
    if fresh is None or fresh:
        progress(f"  converting {fp32.name} (litert-torch)")
        error = tflite.convert(wrapper, torch.zeros(1, 60, 72), fp32)
        if error:
            return {"failed": f"litert-torch conversion failed: {error}"}, {"failed": "no fp32 TFLite to quantise"}
    else:
        error = tflite.strip(fp32)        # a file from before stripping: same graph, fewer bytes (parity below)
        if error:
            return {"failed": f"stripping tensor names failed: {error}"}, {"failed": "no fp32 TFLite to quantise"}
    got, names = tflite_run(fp32, heldout, truth)
    diff = max_diff(got, truth)
    if not diff <= 10 * PARITY_TOLERANCE:
        fp32.unlink(missing_ok=True)
        return {"failed": f"TFLite differs from torch by {diff:.2e}"}, {"failed": "no fp32 TFLite to quantise"}
    first = {"path": fp32, "parity": dict(scorer_parity(got, truth), parity_max_abs_diff=diff), "names": names}
    def judge(candidate: Path):
        got, names = tflite_run(candidate, heldout, truth)
        parity = scorer_parity(got, truth)
        return parity, scorer_within(parity), names

    with tempfile.TemporaryDirectory(prefix="perfscore-tflite-int8-") as scratch:
        attempts, rung = tflite.quantize_ladder(fp32, calibration, Path(scratch), judge)
        if rung is None:
            return first, {"attempts": attempts}
        target = out_dir / f"scorer_{key}.{'fp16' if rung.precision == 'fp16' else 'int8'}.tflite"
        shutil.copyfile(rung.path, target)
    if rung.precision == "fp16":   # int8 cannot hold: fp16 weights
        return first, {"attempts": attempts, "fp16": {"path": target, "parity": rung.parity, "names": rung.extra}}
    return first, {"path": target, "parity": rung.parity, "names": rung.extra, "precision": rung.precision,
                   "ship": rung.method, "attempts": attempts}


def export_one(checkpoint: Path, out_dir: Path, manifest_path: Path = MANIFEST, tflite: bool = False,
               calibration: np.ndarray | None = None, heldout: np.ndarray | None = None,
               progress=lambda _msg: None) -> list[dict]:
    """Every artefact of one checkpoint; returns the manifest entries written, and {"file", "dropped"}
    for those not shipped. Without `calibration`/`heldout` windows only fp32 files are made."""
    import torch

    from edge.models import sha256_of
    from training.scorers.checkpoint import load_checkpoint
    from training.scorers.models import ExportWrapper, n_parameters

    from . import tflite as tfl
    from .manifest import drop_artifact, drop_int8, remove_artifact
    from .parity import scorer_parity

    torch.set_num_threads(1)
    checkpoint = Path(checkpoint)
    model, data = load_checkpoint(checkpoint)
    wrapper = ExportWrapper(model).eval()
    key = data["key"]
    windows = parity_windows()
    expected = _torch_outputs(wrapper, windows)
    fp32 = out_dir / f"scorer_{key}.onnx"
    out_dir.mkdir(parents=True, exist_ok=True)
    diff = _fp32_onnx(wrapper, fp32, windows, expected, progress)
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
                    "checkpoint": shown(checkpoint), "checkpoint_sha256": sha256_of(checkpoint), "opset": OPSET,
                    "parameters": n_parameters(model), "trained": data.get("trained", {})},
    )
    truth = _torch_outputs(wrapper, heldout) if heldout is not None else None
    held = {}
    if truth is not None:
        from .parity import onnx_run
        held = {"parity": scorer_parity(onnx_run(fp32, heldout), truth),
                "parity_on": f"{len(heldout)} windows of the corpus's held-out test split"}
    description = f"Learned scorer '{key}' ({model.arch}, {model.fusion} fusion): 2-s window of pose + audio " \
                  "features -> sub-scores and grade logits"
    entries = [_record(fp32, description=description,
                       metrics={"parity_max_abs_diff": diff, "parity_tolerance": PARITY_TOLERANCE,
                                **data.get("metrics", {})},
                       manifest_path=manifest_path, precision="fp32", scorer=spec, **held, **common)]
    if truth is not None and calibration is not None:
        name = f"scorer_{key}.int8.onnx"
        result = int8_onnx(model, checkpoint, fp32, out_dir / name, calibration, heldout, truth, windows, expected,
                           progress)
        if result["ship"]:
            entries.append(_record(
                out_dir / name, description=f"{description}; {result['ship']}", manifest_path=manifest_path,
                precision=result["precision"], scorer=spec, parity=result["parity"], parity_on=held["parity_on"],
                quantisation={"method": result["ship"], "calibration": f"{len(calibration)} windows of the "
                              "corpus's training folds", "attempts": result["attempts"],
                              "bytes_fp32": fp32.stat().st_size},
                metrics=data.get("metrics", {}), **common))
        else:
            entries.append(drop_int8(name, result, out_dir, manifest_path))
    if tflite and truth is not None and calibration is not None:
        first, int8 = tflite_files(wrapper, key, out_dir, calibration, heldout, truth, progress)
        tf_common = common | {"kind": "tflite-scorer", "tensor_names": tfl.STRIPPED}
        tf_common["inputs"] = {"window": dict(common["inputs"]["window"], shape=[1, 60, 72])}
        if "failed" in first:
            drop_artifact(f"scorer_{key}.tflite", first["failed"], manifest_path)
            entries.append({"file": f"scorer_{key}.tflite", "dropped": first["failed"]})
        else:
            entries.append(_record(first["path"], description=f"{description}; TFLite fp32 (litert-torch)",
                                   manifest_path=manifest_path, precision="fp32", parity=first["parity"],
                                   parity_on=held["parity_on"], scorer=dict(spec, tflite_outputs=first["names"]),
                                   metrics={"parity_max_abs_diff": first["parity"]["parity_max_abs_diff"]},
                                   **tf_common))
        name = f"scorer_{key}.int8.tflite"
        fp16 = out_dir / f"scorer_{key}.fp16.tflite"
        if int8.get("fp16"):
            entries.append(_record(fp16, description=f"{description}; TFLite fp16 weights (int8 could not hold parity)",
                                   manifest_path=manifest_path, precision="fp16", parity=int8["fp16"]["parity"],
                                   parity_on=held["parity_on"],
                                   scorer=dict(spec, tflite_outputs=int8["fp16"]["names"]),
                                   quantisation={"method": "ai-edge-quantizer float16", "attempts": int8["attempts"],
                                                 "bytes_fp32": first["path"].stat().st_size}, **tf_common))
        else:
            remove_artifact(fp16, manifest_path)
        if int8.get("path"):
            entries.append(_record(int8["path"], description=f"{description}; TFLite {int8['ship']}",
                                   manifest_path=manifest_path, precision=int8["precision"], parity=int8["parity"],
                                   parity_on=held["parity_on"], scorer=dict(spec, tflite_outputs=int8["names"]),
                                   quantisation={"method": int8["ship"], "calibration": f"{len(calibration)} "
                                                 "windows of the corpus's training folds",
                                                 "attempts": int8["attempts"],
                                                 "bytes_fp32": first["path"].stat().st_size},
                                   **tf_common))
        else:
            entries.append(drop_int8(name, int8, out_dir, manifest_path))
    return entries


def checkpoint_files(checkpoints: Path, keys: list[str] | None, what: str) -> list[Path]:
    """The checkpoint file itself, or a folder's .pt files (those named in `keys`, when given)."""
    checkpoints = Path(checkpoints)
    files = [checkpoints] if checkpoints.is_file() else sorted(checkpoints.glob("*.pt"))
    if keys:
        files = [f for f in files if f.stem in keys]
    if not files:
        raise PerfscoreError(f"{checkpoints}: no {what} (.pt) to export")
    return files


def export_all(checkpoints: Path, keys: list[str] | None, out_dir: Path, tflite: bool = False,
               manifest_path: Path = MANIFEST, progress=print, corpus: Path | None = None,
               int8: bool = True) -> list[dict]:
    files = checkpoint_files(checkpoints, keys, "scorer checkpoints")
    calibration = heldout = None
    if int8 or tflite:
        from .calibration import calibration_windows, ensure_corpus, heldout_windows

        source = ensure_corpus(corpus, progress=progress)
        calibration, heldout = calibration_windows(source), heldout_windows(source)
        progress(f"{len(calibration)} calibration windows (training folds), {len(heldout)} held-out test windows "
                 f"from {source}")
    done = []
    for f in files:
        start = time.perf_counter()
        entries = export_one(f, out_dir, manifest_path, tflite, calibration if int8 or tflite else None, heldout,
                             progress=progress)
        done += entries
        progress(f"{f.name}: " + ", ".join(f"{e['file']} " + (f"{e['bytes'] / 1024:.0f} KB" if "bytes" in e
                                                                else "not shipped") for e in entries)
                 + f" ({time.perf_counter() - start:.0f} s)")
    return done


def run(args: argparse.Namespace) -> int:
    from training.cli import require_extra

    require_extra("export", "torch", "onnx", "onnxscript")
    keys = [k.strip() for k in args.models.split(",")] if args.models else None
    if args.round2:
        from .scorers_round2 import ROUND2_CHECKPOINTS, export_round2

        checkpoints = ROUND2_CHECKPOINTS if args.checkpoints == DEFAULT_CHECKPOINTS else args.checkpoints
        entries = export_round2(checkpoints, keys, args.out, args.tflite, corpus=args.corpus, int8=not args.no_int8,
                                progress=lambda m: print(m, flush=True))
        print(json.dumps([{k: e.get(k) for k in ("file", "bytes", "precision", "dropped") if e.get(k) is not None}
                          for e in entries], indent=1))
        return 0
    entries = export_all(args.checkpoints, keys, args.out, args.tflite, corpus=args.corpus, int8=not args.no_int8,
                         progress=lambda m: print(m, flush=True))
    print(json.dumps([{k: e.get(k) for k in ("file", "bytes", "precision", "dropped") if e.get(k) is not None}
                      for e in entries], indent=1))
    return 0
