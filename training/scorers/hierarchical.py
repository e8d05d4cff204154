"""Whole-performance models of round 2: the box's 2-s windows, then the sequence of windows.

Both read a performance as the box cuts it — (B, W, 60, 72): its W windows every second
(`edge.scoring.learned.windows.window_starts` / `stack_windows` over `edge.features.sequence`
frames, `performance_input`), padded to the batch's longest take with `mask` (B, W) marking real
windows — and return one output per sub-score (B, 5) on 0–100. There is no grade head: the overall is
the contract's weighted mean of the sub-scores and the grade is `grade_of` that overall, so the two
can never disagree.

- `WindowMean`: round 1's window model (models.WindowModel, its score head only), averaged over the
  windows: each 2-s window is judged alone.
- `Hierarchical`: the same window encoder gives one embedding per window; a GRU runs over the
  sequence of window embeddings (the whole take, in order), and the heads read its masked mean and
  its last state: phrase dynamics, tempo drift or how much of a dance is frozen can be seen across
  windows.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from edge.scoring.learned.windows import stack_windows, window_starts

from .models import AUDIO_IN, N_OUT, POSE_IN, InputLayer, WindowModel, make_encoder

CONTEXTS = ("mean", "hier")


def performance_input(frames: np.ndarray) -> np.ndarray:
    """(T, 72) model frames of one performance → (W, 60, 72): the box's windows, every second."""
    return stack_windows(frames, window_starts(len(frames)))


def pad_performances(windows: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-performance (W_i, 60, 72) → (B, max W, 60, 72) zero-padded, and the (B, max W) mask."""
    w = max(len(x) for x in windows)
    out = np.zeros((len(windows), w) + windows[0].shape[1:], np.float32)
    mask = np.zeros((len(windows), w), bool)
    for i, x in enumerate(windows):
        out[i, :len(x)] = x
        mask[i, :len(x)] = True
    return torch.from_numpy(out), torch.from_numpy(mask)


def _masked_mean(h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.to(h.dtype).unsqueeze(-1)
    return (h * m).sum(dim=1) / m.sum(dim=1).clamp_min(1.0)


class WindowMean(nn.Module):
    """Round 1's window model, score head only, averaged over the performance's windows."""

    context = "mean"

    def __init__(self, arch: str, width: int = 48, dropout: float = 0.1, mean=None, std=None):
        super().__init__()
        self.arch, self.width, self.dropout = arch, width, dropout
        self.window = WindowModel(arch, "early", width, dropout, mean, std)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, w = x.shape[:2]
        scores, _ = self.window(x.reshape(b * w, *x.shape[2:]))
        return _masked_mean(scores.reshape(b, w, N_OUT), mask)


class Hierarchical(nn.Module):
    """Window encoder → GRU over the sequence of window embeddings → one output per sub-score."""

    context = "hier"

    def __init__(self, arch: str, width: int = 48, dropout: float = 0.1, mean=None, std=None):
        super().__init__()
        self.arch, self.width, self.dropout = arch, width, dropout
        self.inputs = InputLayer(mean, std)
        self.encoder = make_encoder(arch, POSE_IN + AUDIO_IN, width, dropout)
        self.proj = nn.Linear(self.encoder.pooled_dim, width)
        self.sequence = nn.GRU(width, width, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(3 * width, N_OUT)
        nn.init.normal_(self.head.weight, std=0.01)
        nn.init.constant_(self.head.bias, 0.5)          # start at 75 / 100, the corpus's typical score

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, W, 60, 72) → (B, W, width) window embeddings."""
        b, w = x.shape[:2]
        pose, audio = self.inputs(x.reshape(b * w, *x.shape[2:]))
        pooled, _ = self.encoder.encode(torch.cat([pose, audio], dim=-1))
        return torch.relu(self.proj(pooled)).reshape(b, w, -1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        e = self.embed(x)
        h, _ = self.sequence(self.drop(e))
        # A forward GRU's state at the last real window has not seen the padding after it.
        last = mask.long().sum(dim=1).clamp_min(1) - 1
        h_last = h[torch.arange(h.shape[0]), last]
        pooled = torch.cat([_masked_mean(h, mask), h_last, _masked_mean(e, mask)], dim=-1)
        return 50.0 + 50.0 * self.head(self.drop(pooled))


def make_model(arch: str, context: str, width: int, dropout: float, mean=None, std=None) -> nn.Module:
    if context == "mean":
        return WindowMean(arch, width, dropout, mean, std)
    if context == "hier":
        return Hierarchical(arch, width, dropout, mean, std)
    raise ValueError(f"unknown context {context!r}; choose from {', '.join(CONTEXTS)}")


class PerformanceExport(nn.Module):
    """What an ONNX file of a whole-take model holds: one take's windows (W, 60, 72), W dynamic — exactly
    `performance_input(edge.scoring.learned.windows.frames_of(sequence, discipline))` — → scores (1, 5)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model.eval()

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        x = windows.unsqueeze(0)
        return self.model(x, torch.ones(x.shape[:2], dtype=torch.bool))


def export_onnx(model: nn.Module, path, takes: list[np.ndarray], opset: int = 17) -> float:
    """Write `path` (input `windows` float32[W, 60, 72], output `scores` float32[1, 5]) and return the
    largest |ONNX Runtime − torch| over `takes` ((T, 72) frames each, of different lengths)."""
    import onnxruntime as ort

    wrapper = PerformanceExport(model)
    example = torch.from_numpy(performance_input(takes[0]))
    torch.onnx.export(wrapper, (example,), str(path), input_names=["windows"], output_names=["scores"],
                      dynamic_axes={"windows": {0: "windows"}}, opset_version=opset, dynamo=False)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for frames in takes:
        x = performance_input(frames.astype(np.float32))
        with torch.no_grad():
            expected = wrapper(torch.from_numpy(x)).numpy()
        worst = max(worst, float(np.abs(session.run(None, {"windows": x})[0] - expected).max()))
    return worst
