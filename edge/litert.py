"""LiteRT (`ai_edge_litert`, the maintained TFLite runtime) for every .tflite model the box runs: the
learned scorers and the coach's policy. A full-integer model's int8 inputs and outputs are fed and read
through their scale and zero point, so callers see floats whatever the precision."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import ModelError
from .models import inference_threads


def open_interpreter(path: Path):
    """An interpreter with its tensors allocated; ModelError naming the file when LiteRT cannot load it."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise ModelError(f"{path}: LiteRT (ai-edge-litert) is not installed; use the .onnx file") from None
    try:
        interpreter = Interpreter(model_path=str(path), num_threads=inference_threads())
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"{path}: LiteRT cannot load it ({exc})") from None
    return interpreter


def to_input(x: np.ndarray, detail: dict) -> np.ndarray:
    """Floats → the input tensor's dtype (quantised through its scale and zero point when integer)."""
    dtype = detail["dtype"]
    if np.issubdtype(dtype, np.integer):
        scale, zero = detail["quantization"]
        info = np.iinfo(dtype)
        return np.clip(np.round(x / scale) + zero, info.min, info.max).astype(dtype)
    return x.astype(dtype)


def from_output(y: np.ndarray, detail: dict) -> np.ndarray:
    """An output tensor → floats."""
    if np.issubdtype(y.dtype, np.integer):
        scale, zero = detail["quantization"]
        return (y.astype(np.float32) - zero) * scale
    return y.astype(np.float32)
