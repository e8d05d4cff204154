"""Scorer checkpoints: one small torch file per model (`models/checkpoints/<key>.pt`).

A checkpoint holds the weights, the feature standardisation (inside the state dict), the model's
configuration, the input layout it was trained on and what it was trained on and how well it did,
so `perfscore analyze --model gru.pt` and `perfscore export scorers` need nothing else.
"""

from __future__ import annotations

from pathlib import Path

import torch

from edge.errors import ModelError
from edge.scoring.learned.windows import HOP_FRAMES, LAYOUT_VERSION, WINDOW_FRAMES
from edge.scoring.result import GRADES, SUBSCORES
from training.data.labels import RUBRIC_VERSION
from training.torch_files import load_torch_file

from .models import WindowModel, model_key

FORMAT = "perfscore.scorer-checkpoint/1"
VERSION = "1.0"


def save_checkpoint(model: WindowModel, path: str | Path, *, trained: dict | None = None,
                    metrics: dict | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    torch.save({
        "format": FORMAT, "version": VERSION, "key": model_key(model.arch, model.fusion), "config": model.config(),
        "state_dict": state, "layout": LAYOUT_VERSION, "window_frames": WINDOW_FRAMES, "hop_frames": HOP_FRAMES,
        "subscores": list(SUBSCORES), "grades": list(GRADES), "rubric": RUBRIC_VERSION,
        "trained": trained or {}, "metrics": metrics or {},
    }, path)
    return path


def load_checkpoint(path: str | Path) -> tuple[WindowModel, dict]:
    path = Path(path)
    data = load_torch_file(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(f"{path}: not a perfscore scorer checkpoint (expected format {FORMAT})")
    if data["layout"] != LAYOUT_VERSION or data["window_frames"] != WINDOW_FRAMES:
        raise ModelError(f"{path}: trained on {data['layout']} with {data['window_frames']}-frame windows; "
                         f"this perfscore builds {LAYOUT_VERSION} with {WINDOW_FRAMES}: retrain")
    cfg = data["config"]
    model = WindowModel(cfg["arch"], cfg["fusion"], cfg["width"], cfg["dropout"])
    model.load_state_dict(data["state_dict"])
    model.eval()
    return model, data


# ---------------------------------------------------------------- round 2: whole-take models

PERFORMANCE_FORMAT = "perfscore.scorer-checkpoint/performance-1"


def save_performance_checkpoint(model, path: str | Path, *, key: str, task: str, labels: str,
                                trained: dict | None = None, metrics: dict | None = None) -> Path:
    """A round-2 whole-take model (hierarchical.WindowMean / Hierarchical): weights (the input
    standardisation is in its state dict), arch, context, width, the task (without_reference: no
    interpretation output is judged) and its label version, the input layout it reads (performance-1, or
    performance-ref-1 for a with_reference model: the reference inputs after the frame features)."""
    from edge.scoring.learned.performance import input_layout

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({
        "format": PERFORMANCE_FORMAT, "version": VERSION, "key": key,
        "config": {k: getattr(model, k, None) for k in ("arch", "context", "width", "dropout")},
        "module": f"{type(model).__module__}:{type(model).__name__}",
        "state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "layout": input_layout(task), "window_layout": LAYOUT_VERSION, "window_frames": WINDOW_FRAMES,
        "hop_frames": HOP_FRAMES, "subscores": list(SUBSCORES), "grades": list(GRADES), "task": task,
        "labels": labels, "trained": trained or {}, "metrics": metrics or {},
    }, path)
    return path


def load_performance_checkpoint(path: str | Path):
    """(model in eval mode, the checkpoint's dict) of a file written by save_performance_checkpoint: a
    without_reference model reads (W, 60, 72) windows, a with_reference one (W, 60, 98) (the 72 frame
    features, then edge.features.reference_frames' channels and take summary); `layout` says which."""
    from edge.scoring.learned.performance import PERFORMANCE_LAYOUT, PERFORMANCE_REF_LAYOUT, TASKS

    from .hierarchical import make_model

    path = Path(path)
    data = load_torch_file(path)
    if not isinstance(data, dict) or data.get("format") != PERFORMANCE_FORMAT:
        raise ModelError(f"{path}: not a perfscore whole-take scorer checkpoint (expected format {PERFORMANCE_FORMAT})")
    if data["window_layout"] != LAYOUT_VERSION or data["window_frames"] != WINDOW_FRAMES:
        raise ModelError(f"{path}: trained on {data['window_layout']} with {data['window_frames']}-frame windows; "
                         f"this perfscore builds {LAYOUT_VERSION} with {WINDOW_FRAMES}: retrain")
    task = data.get("task")
    if task not in TASKS:
        raise ModelError(f"{path}: task {task!r}; a whole-take model is one of {TASKS}")
    if data["layout"] not in (PERFORMANCE_LAYOUT, PERFORMANCE_REF_LAYOUT):
        raise ModelError(f"{path}: input layout {data['layout']!r}; this perfscore builds {PERFORMANCE_LAYOUT} "
                         f"and {PERFORMANCE_REF_LAYOUT}: retrain")
    cfg = data["config"]
    if task == "with_reference":
        # 72 frame features + the reference channels and take summary (round2_reference.ReferenceModel).
        # Files written before the layout said so carry performance-1 with this task: the task decides.
        from .round2_reference import make_reference_model

        data["layout"] = PERFORMANCE_REF_LAYOUT
        model = make_reference_model(cfg["arch"], cfg["context"], cfg["width"], cfg["dropout"])
    else:
        model = make_model(cfg["arch"], cfg["context"], cfg["width"], cfg["dropout"])
    model.load_state_dict(data["state_dict"])
    model.eval()
    return model, data


def checkpoint_format(path: str | Path) -> str | None:
    """The `format` of a scorer checkpoint (window or whole-take), None when it is not one."""
    data = load_torch_file(Path(path))
    return data.get("format") if isinstance(data, dict) else None
