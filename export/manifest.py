"""Write entries of models/manifest.json (the box only reads it, through edge.models)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from edge import PROJECT_ROOT
from edge.models import MANIFEST, sha256_of

OPSET = 20   # ONNX opset of every exported model (torch's dynamo exporter)


def shown(path: str | Path) -> str:
    """A path as the manifest records it: relative to the repository when inside it."""
    path = Path(path).resolve()
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def record_artifact(path: str | Path, *, kind: str, description: str, inputs: Any = None, outputs: Any = None,
                    metrics: dict | None = None, provenance: dict | None = None, licence: str | None = None,
                    manifest_path: Path = MANIFEST, **extra: Any) -> dict[str, Any]:
    """Add or replace the entry for `path` (keyed by file name) with its sha256 and size."""
    path = Path(path)
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest.setdefault("schema", "perfscore.models-manifest/1")
    artifacts = manifest.setdefault("artifacts", {})
    entry = {
        "kind": kind,
        "description": description,
        "sha256": sha256_of(path),
        "bytes": path.stat().st_size,
        "inputs": inputs,
        "outputs": outputs,
        "metrics": metrics or {},
        "provenance": provenance or {},
        "licence": licence,
        "recorded": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **extra,
    }
    artifacts[path.name] = entry
    manifest["artifacts"] = dict(sorted(artifacts.items()))
    manifest.get("not_shipped", {}).pop(path.name, None)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return entry


def drop_int8(name: str, result: dict[str, Any], out_dir: Path, manifest_path: Path = MANIFEST) -> dict[str, Any]:
    """No int8 variant of a model ships: delete the file if one was written, record why (the conversion
    failed, or every attempt missed its parity bounds) and return the export's row for it."""
    (out_dir / name).unlink(missing_ok=True)
    attempts = result.get("attempts", [])
    reason = result.get("failed") or "no int8 variant within the parity bounds: " + "; ".join(
        f"{a['method']}: {a.get('verdict') or a.get('failed')}" for a in attempts)
    drop_artifact(name, reason, manifest_path, attempts=attempts)
    return {"file": name, "dropped": reason}


def drop_artifact(name: str, reason: str, manifest_path: Path = MANIFEST, **details: Any) -> dict[str, Any]:
    """Take `name` out of the artefacts the box may load (if it was there) and record why under
    `not_shipped` (an artefact over its parity bound, a conversion that failed)."""
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest.setdefault("schema", "perfscore.models-manifest/1")
    manifest.setdefault("artifacts", {}).pop(name, None)
    entry = {"reason": reason, **details,
             "recorded": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    not_shipped = manifest.setdefault("not_shipped", {})
    not_shipped[name] = entry
    manifest["not_shipped"] = dict(sorted(not_shipped.items()))
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return entry


def clear_not_shipped(name: str, manifest_path: Path = MANIFEST) -> None:
    """`name` ships now: forget an earlier reason it did not."""
    if not manifest_path.exists():
        return
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("not_shipped", {}).pop(name, None) is not None:
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")


def remove_artifact(path: Path, manifest_path: Path = MANIFEST) -> None:
    """Delete a file an earlier export shipped and this one replaces (e.g. an fp16 TFLite once int8 holds)."""
    path = Path(path)
    path.unlink(missing_ok=True)
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("artifacts", {}).pop(path.name, None) is not None:
            manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
