"""Reading the project's torch checkpoints with errors that name the file (coach policies, scorers)."""

from __future__ import annotations

from pathlib import Path

from edge.errors import ModelError


def load_torch_file(path: str | Path, missing_hint: str = ""):
    """torch.load on the CPU; a missing or unreadable file is a ModelError naming it, never a traceback."""
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=False)   # our own files: they carry metadata
    except FileNotFoundError:
        raise ModelError(f"{path}: checkpoint not found{missing_hint}") from None
    except Exception as exc:  # torch raises many kinds for a file that is not a checkpoint
        raise ModelError(f"{path}: not a readable torch checkpoint ({exc.__class__.__name__})") from None
