"""TFLite from the project's venv: hand a torch.export program or a float .tflite to the litert-torch venv
(export/scorers_tflite.py, run with that venv's Python) and read back what it wrote.

The venv is made by `scripts/litert_venv` (litert-torch 0.10.0 + ai-edge-quantizer; about 2.1 GB, 8 min).
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from edge import PROJECT_ROOT
from edge.errors import PerfscoreError

from .parity import size_within

LITERT_VENV = PROJECT_ROOT / ".cache" / "litert-venv"
SCRIPT = Path(__file__).with_name("scorers_tflite.py")
# tried in order for the int8 file, fastest first (measured, bench/results/export.json): static int8 of the
# weighted ops, int8 weights with activations quantised at run time (XNNPACK runs both), then int16
# activations (held parity where int8 could not, but LiteRT runs them on reference kernels: ~12x slower)
RECIPES = (("weighted_wi8_ai8", "int8"), ("dynamic_wi8_afp32", "int8-dynamic"), ("weighted_wi8_ai16", "int8-a16"))


def python() -> Path:
    exe = LITERT_VENV / "bin" / "python"
    if not exe.exists():
        raise PerfscoreError(f"TFLite export needs litert-torch in {LITERT_VENV}: run scripts/litert_venv "
                             "(see docs/scorers.md)")
    return exe


def _run(*args: str) -> str | None:
    """None on success, else the tail of the converter's error output."""
    result = subprocess.run([str(python()), str(SCRIPT), *args], capture_output=True, text=True, cwd=PROJECT_ROOT)
    if result.returncode != 0:
        lines = [ln for ln in result.stderr.strip().splitlines() if ln.strip()]
        return " | ".join(lines[-3:])[-400:]
    return None


def convert(module, example, out: Path) -> str | None:
    """torch module (fixed batch of one) → fp32 .tflite at `out`; None on success, else why not."""
    import torch

    with tempfile.TemporaryDirectory(prefix="perfscore-tflite-") as scratch:
        program = Path(scratch) / "model.pt2"
        torch.export.save(torch.export.export(module, (example,)), str(program))
        return _run("convert", str(program), str(out), ",".join(str(d) for d in example.shape)) or strip(out)


def quantize(float_model: Path, calibration: np.ndarray, out: Path, recipe: str) -> str | None:
    with tempfile.TemporaryDirectory(prefix="perfscore-tflite-") as scratch:
        data = Path(scratch) / "calibration.npy"
        np.save(data, calibration.astype(np.float32))
        return _run("quantize", str(float_model), str(data), str(out), recipe) or strip(out)


# Every .tflite the export writes, fp32 and int8 alike, has its inner tensors renamed t<index>
# (scorers_tflite.py strip): litert-torch names each tensor after the module path of the op that made it,
# and in a written-out recurrent layer those names were 28 % of an fp32 file (scorer_gru_hybrid: 94 of
# 331 kB) — bytes int8 cannot shrink. The box reads only the inputs' and outputs' names, which stay.
STRIPPED = "inner tensor names shortened to t<index> (export/scorers_tflite.py strip); inputs and outputs keep theirs"


def strip(path: Path) -> str | None:
    """Shorten a .tflite's inner tensor names in place; None on success, else why not."""
    return _run("strip", str(path), str(path))


@dataclass
class Rung:
    """The quantised file a ladder settled on."""
    path: Path
    precision: str           # "int8", "int8-dynamic", "int8-a16" or "fp16"
    method: str
    parity: dict
    extra: Any = None        # whatever the judge returned beside the parity (output names, say)


FP16_METHOD = "ai-edge-quantizer float16 (fp16 TFLite)"


def quantize_ladder(float_model: Path, calibration: np.ndarray, scratch: Path,
                    judge: Callable[[Path], tuple[dict, str | None, Any]]) -> tuple[list[dict], Rung | None]:
    """Try each int8 recipe in RECIPES order, then fp16 weights where no int8 recipe holds; the first within
    bounds wins. `judge(candidate)` runs a candidate and returns (parity, why it is out of bounds or None,
    extra). A candidate that is not smaller than the float file is out too. Returns every attempt (for the
    manifest) and the winner, or None."""
    attempts: list[dict] = []
    ladder = [(recipe, precision, f"ai-edge-quantizer {recipe}", calibration) for recipe, precision in RECIPES]
    ladder.append(("float16", "fp16", FP16_METHOD, calibration[:8]))   # fp16 needs no calibration to speak of
    for recipe, precision, method, data in ladder:
        candidate = scratch / f"{recipe}.tflite"
        error = quantize(float_model, data, candidate, recipe)
        if error is None:
            try:
                parity, broke, extra = judge(candidate)
            except Exception as exc:   # a file the converter wrote but LiteRT cannot run
                error = f"ai-edge-litert: {exc}"[:300]
        if error:
            attempts.append({"method": method, "failed": error})
            continue
        broke = broke or size_within(candidate.stat().st_size, float_model.stat().st_size)
        attempts.append({"method": method, "bytes": candidate.stat().st_size, "parity": parity,
                         "verdict": broke or "within bounds"})
        if broke is None:
            return attempts, Rung(candidate, precision, method, parity, extra)
    return attempts, None
