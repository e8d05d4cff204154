"""Which model file a box loads (a learned scorer, the coach's policy): its profile's choice, then a fallback chain.

A device profile names the file it prefers (`run.scorer`, `coach.policy_path`); the file names the
backend and the precision: `scorer_<key>.int8.tflite` is LiteRT int8, `coach_policy.fp16.tflite`
LiteRT fp16, `scorer_<key>.int8.onnx` ONNX Runtime int8, `coach_policy.onnx` ONNX Runtime fp32 …
It may also name a list of files to try in order. A single file is followed by the default chain of
the same model, DEFAULT_CHAIN: int8 TFLite (fp16 TFLite where int8 could not hold parity) → int8 ONNX
→ fp32 ONNX. The first candidate that is installed, listed in
the manifest with a matching sha256 and whose runtime is importable is the one loaded; each skipped
candidate keeps its reason, so `perfscore models list` and the daemon's log say why a box runs what it runs.

Box side: no torch, no onnx, no export code; the runtimes are only looked up (importlib), not imported.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence, TypeVar

from .errors import ModelError
from .models import MANIFEST, backend_of, verify_model

# (file suffix after the model's name, backend, precision) of each variant a model may ship as
VARIANTS = {
    ".int8.tflite": ("tflite", "int8"),
    ".fp16.tflite": ("tflite", "fp16"),
    ".tflite": ("tflite", "fp32"),
    ".int8.onnx": ("onnxruntime", "int8"),
    ".onnx": ("onnxruntime", "fp32"),
}
DEFAULT_CHAIN = (".int8.tflite", ".fp16.tflite", ".int8.onnx", ".onnx")   # fp16 ships where int8 cannot hold
T = TypeVar("T")
RUNTIME_MODULE = {"tflite": "ai_edge_litert", "onnxruntime": "onnxruntime"}
_NAME = re.compile(r"^(?P<stem>[A-Za-z0-9_-]+?)(?P<variant>(\.int8|\.fp16)?\.(onnx|tflite))$")


def variant_of(path: str | Path) -> tuple[str, str, str] | None:
    """(stem, backend, precision) of a model file name, e.g. ('scorer_gru', 'tflite', 'int8'); None otherwise."""
    m = _NAME.match(Path(path).name)
    if not m:
        return None
    backend, precision = VARIANTS[m["variant"]]
    return m["stem"], backend, precision


def expand_chain(named: Path | Sequence[Path] | None) -> list[Path]:
    """The candidates a profile names (`run.scorer`, `coach.policy_path`), in order: a list is taken as it is; one file is
    followed by DEFAULT_CHAIN's files of the same key in the same folder (without repeats)."""
    if named is None:
        return []
    if isinstance(named, (list, tuple)):
        return [Path(p) for p in named]
    first = Path(named)
    chain = [first]
    v = variant_of(first)
    if v is not None:
        for suffix in DEFAULT_CHAIN:
            candidate = first.with_name(v[0] + suffix)
            if candidate not in chain:
                chain.append(candidate)
    return chain


@dataclass
class Choice:
    """The file a chain resolves to (None when no candidate is usable) and why each earlier one was skipped."""
    path: Path | None
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def describe(self) -> str:
        why = "; ".join(f"{p.name}: {reason}" for p, reason in self.skipped)
        if self.path is None:
            return f"nothing loadable ({why})" if why else "none named"
        return self.path.name + (f" (skipped {why})" if why else "")


def usable(path: Path, manifest_path: Path = MANIFEST) -> str | None:
    """None when `path` can be loaded here, else the reason it cannot."""
    if not path.is_file():
        return "not installed"
    try:
        verify_model(path, manifest_path)
    except ModelError as exc:
        return str(exc).split(": ", 1)[-1]
    module = RUNTIME_MODULE.get(backend_of(path))
    if module is None:
        return f"no runtime on the box for {path.suffix} files"
    if importlib.util.find_spec(module) is None:
        return f"{module} is not installed"
    return None


def resolve(chain: Iterable[Path], manifest_path: Path = MANIFEST, models_dir: Path | None = None) -> Choice:
    """The first usable candidate of `chain`. `models_dir`: look the files up by name in that folder
    (and its manifest) instead of where the profile says (`perfscore models list --models DIR`)."""
    skipped: list[tuple[Path, str]] = []
    for candidate in chain:
        path = Path(models_dir) / Path(candidate).name if models_dir is not None else Path(candidate)
        reason = usable(path, manifest_path)
        if reason is None:
            return Choice(path, skipped)
        skipped.append((path, reason))
    return Choice(None, skipped)


def load_chain(named: Path | Sequence[Path] | None, loader: Callable[[Path], T], what: str,
               manifest_path: Path = MANIFEST) -> tuple[T, Choice]:
    """(model, Choice): the first candidate of a profile's chain that `loader` loads (a file can pass
    `usable` and still fail to load: a graph the runtime refuses); ModelError naming every candidate's
    reason otherwise. `what` names the model in messages ("learned scorer", "coach policy")."""
    skipped: list[tuple[Path, str]] = []
    for candidate in expand_chain(named):
        reason = usable(candidate, manifest_path)
        if reason is None:
            try:
                return loader(candidate), Choice(candidate, skipped)
            except ModelError as exc:
                reason = str(exc).split(": ", 1)[-1]
        skipped.append((candidate, reason))
    raise ModelError(f"no {what} of the chain can be loaded: "
                     + "; ".join(f"{p}: {reason}" for p, reason in skipped))


_reported: set[str] = set()


def profile_model(named: Path | Sequence[Path] | None, what: str, manifest_path: Path = MANIFEST) -> Path | None:
    """The file the daemon loads for a profile's choice: the first usable candidate of its chain (a
    fallback is logged once), or the first candidate when none is usable, so loading it raises the
    error that names it."""
    chain = expand_chain(named)
    if not chain:
        return None
    choice = resolve(chain, manifest_path)
    if choice.skipped:
        text = f"{what}: {choice.describe()}"
        if text not in _reported:
            _reported.add(text)
            import logging
            logging.getLogger(__name__).warning("%s", text)
    return choice.path if choice.path is not None else chain[0]
