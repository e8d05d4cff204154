"""Resume keys: a finished entry is reused only when nothing that changes its result has changed.

key = sha256 of {content sha256 of the recording, sha256 of its reference, the discipline asked for,
the run fingerprint}; the fingerprint covers the scorer version (perfscore + rubric + a hash of the
scoring code), the learned model's sha256, the pose model's sha256 and every setting that feeds scoring. File names and folders
are not in the key: a renamed or moved recording is still the same performance.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import Settings
from ..models import sha256_of

# Sections that cannot change a score of a recorded file (the box's id, live capture devices, the coach).
_IRRELEVANT_SECTIONS = ("device", "coach", "capture", "publish")   # publish: MQTT, and a state_dir under $HOME


def file_sha256(path: Path) -> str:
    return sha256_of(path)


def _digest(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def scoring_settings(settings: Settings) -> dict[str, Any]:
    """The settings that feed scoring, with the pose model named by content instead of by path."""
    doc = settings.model_dump(mode="json")
    max_width = doc["capture"]["max_width"]  # frames are scaled to it before pose: it changes landmarks
    for section in _IRRELEVANT_SECTIONS:
        doc.pop(section, None)
    doc["capture"] = {"max_width": max_width}
    doc["pose"]["model_path"] = sha256_of(settings.pose.model_path)
    return doc


# The code between a file and its scores. Version numbers are bumped by people; a measurement fixed
# without a bump would otherwise mix old and new scores in one ranking when a folder is resumed.
SCORING_CODE = ("analysis.py", "models.py", "features", "scoring", "sources")


LEARNED_CODE = "scoring/learned"   # only scores anything when a --model is given


def code_sha256(learned: bool = False) -> str:
    root = Path(__file__).resolve().parents[1]
    files = []
    for part in SCORING_CODE:
        path = root / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    if not learned:
        files = [f for f in files if not f.relative_to(root).as_posix().startswith(LEARNED_CODE + "/")]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class Scorer:
    """Who scores this run; written into every result."""
    perfscore: str
    rubric: str
    code_sha256: str
    model_sha256: str | None = None

    def label(self) -> str:
        learned = f", model {self.model_sha256[:12]}" if self.model_sha256 else ""
        return f"perfscore {self.perfscore}, rubric {self.rubric}, code {self.code_sha256[:12]}{learned}"

    def to_dict(self) -> dict[str, Any]:
        return {"perfscore": self.perfscore, "rubric": self.rubric, "code_sha256": self.code_sha256,
                "model_sha256": self.model_sha256}


def current_scorer(model: Path | None) -> Scorer:
    from ..scoring.rubric import RUBRIC_VERSION

    return Scorer(__version__, RUBRIC_VERSION, code_sha256(learned=model is not None),
                  sha256_of(model) if model is not None else None)


def run_fingerprint(settings: Settings, scorer: Scorer) -> str:
    return _digest({"scorer": scorer.to_dict(), "settings": scoring_settings(settings)})


def entry_key(content_sha256: str, reference_sha256: str | None, discipline: str | None, fingerprint: str) -> str:
    return _digest({"content": content_sha256, "reference": reference_sha256,
                    "discipline": discipline or "auto", "run": fingerprint})
