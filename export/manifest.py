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
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return entry
