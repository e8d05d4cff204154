"""The model manifest: every artefact the box loads is listed in models/manifest.json with its sha256.

The box refuses a model whose hash does not match, and says which file and what it expected.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import MODELS_DIR
from .errors import ModelError

MANIFEST = MODELS_DIR / "manifest.json"


@dataclass(frozen=True)
class ModelInfo:
    """Which model made something: every loaded model (pose, rubric, learned scorers, the coach's policy)
    is described by one of these, in score results, `session` and `health` messages alike."""
    name: str                  # "rubric", a file name ("pose_landmarker_full.task"), a scorer key
    version: str | None        # None where the artefact carries none (the manifest's sha256 identifies it)
    backend: str               # "python", "mediapipe-tasks", "onnxruntime", "tflite", "torch"
    precision: str = "fp32"
    sha256: str | None = None  # of the model file; None for the analytic rubric

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of_file(cls, path: str | Path, entry: dict[str, Any], backend: str, *, name: str | None = None,
                version: str | None = None) -> "ModelInfo":
        """A model file checked against the manifest (`entry` is what verify_model returned)."""
        return cls(name or Path(path).name, version or entry.get("version"), backend,
                   entry.get("precision") or "fp32", entry["sha256"])


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelError(f"{path}: model manifest not found") from None
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path}: model manifest is not valid JSON ({exc})") from None


@lru_cache(maxsize=64)
def _verified(path: str, mtime_ns: int, size: int, expected: str) -> str:
    # Cached on (path, mtime, size) so a model is hashed once per process, not once per file scored.
    return sha256_of(path)


def verify_model(path: str | Path, manifest_path: Path = MANIFEST) -> dict[str, Any]:
    """Return the manifest entry of `path` after checking its sha256; raise ModelError otherwise.

    Models outside the manifest's folder (a venue's own file given on the command line) are
    accepted only if they are listed by name; an unlisted file is refused with the reason.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: model file not found")
    manifest = load_manifest(manifest_path)
    entry = manifest.get("artifacts", {}).get(path.name)
    if entry is None:
        raise ModelError(f"{path}: not listed in {manifest_path}; add it with its sha256 before the box may load it")
    stat = path.stat()
    actual = _verified(str(path.resolve()), stat.st_mtime_ns, stat.st_size, entry["sha256"])
    if actual != entry["sha256"]:
        raise ModelError(
            f"{path}: sha256 {actual[:12]}… does not match the manifest's {entry['sha256'][:12]}…; refusing to load it"
        )
    return entry


_INFERENCE_THREADS = 1


def set_inference_threads(threads: int) -> None:
    """Threads of every ONNX Runtime session and LiteRT interpreter made from now on (the daemon sets
    `run.inference_threads` of its device profile at start; everything else keeps one)."""
    global _INFERENCE_THREADS
    if int(threads) < 1:
        raise ValueError(f"inference threads must be at least 1, got {threads}")
    _INFERENCE_THREADS = int(threads)


def inference_threads() -> int:
    return _INFERENCE_THREADS


def onnx_session(path: str | Path):
    """An ONNX Runtime session on `inference_threads()` CPU threads (one unless a device profile says
    otherwise): the box's models are small enough that extra threads cost more in hand-off than they
    save, and the other cores run pose estimation."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = inference_threads()
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for unreadable graphs
        raise ModelError(f"{path}: ONNX Runtime cannot load it ({exc.__class__.__name__}: {exc})") from None


def inventory(models_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """Every artefact of a models folder's manifest (default models/), checked: file, kind, backend,
    precision, bytes and status — "ok", "mismatch" (sha256 differs: detail says how), "missing" —
    plus model files in the folder the manifest does not list ("unlisted": the box refuses them)."""
    folder = Path(models_dir) if models_dir is not None else MODELS_DIR
    manifest_path = folder / "manifest.json"
    artifacts = load_manifest(manifest_path).get("artifacts", {})
    rows = []
    for name, entry in artifacts.items():
        path = folder / name
        row = {"file": name, "kind": entry.get("kind"), "backend": backend_of(name),
               "precision": entry.get("precision"), "bytes": None, "status": "missing", "detail": None}
        if path.is_file():
            row["bytes"] = path.stat().st_size
            actual = sha256_of(path)
            if actual == entry.get("sha256"):
                row["status"] = "ok"
            else:
                row["status"] = "mismatch"
                row["detail"] = (f"sha256 {actual[:12]}… does not match the manifest's "
                                 f"{str(entry.get('sha256'))[:12]}…")
        rows.append(row)
    for path in sorted(folder.iterdir()):
        if path.suffix in (".onnx", ".tflite", ".task") and path.name not in artifacts:
            rows.append({"file": path.name, "kind": None, "backend": backend_of(path.name), "precision": None,
                         "bytes": path.stat().st_size, "status": "unlisted",
                         "detail": f"not in {manifest_path}: the box refuses it"})
    return rows


def backend_of(name: str | Path) -> str:
    """The runtime of a model file by its suffix (.tflite: LiteRT, .onnx: ONNX Runtime, .task: MediaPipe)."""
    suffix = Path(name).suffix.lower()
    return {".tflite": "tflite", ".onnx": "onnxruntime", ".task": "mediapipe-tasks"}.get(suffix, suffix.lstrip("."))
