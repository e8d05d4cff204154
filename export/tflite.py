"""TFLite from the project's venv: hand a torch.export program or a float .tflite to the litert-torch venv
(export/scorers_tflite.py, run with that venv's Python) and read back what it wrote.

The venv is made by `scripts/litert_venv` (litert-torch 0.10.0 + ai-edge-quantizer; about 2.1 GB, 8 min).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from edge import PROJECT_ROOT
from edge.errors import PerfscoreError

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
        return _run("convert", str(program), str(out), ",".join(str(d) for d in example.shape))


def quantize(float_model: Path, calibration: np.ndarray, out: Path, recipe: str) -> str | None:
    with tempfile.TemporaryDirectory(prefix="perfscore-tflite-") as scratch:
        data = Path(scratch) / "calibration.npy"
        np.save(data, calibration.astype(np.float32))
        return _run("quantize", str(float_model), str(data), str(out), recipe)
