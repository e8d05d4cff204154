"""Train one window model: AdamW with weight decay, dropout, augmentation, early stopping on validation.

The loss is computed on each clip's *mean* window output (see models.py): Huber on the sub-scores
in units of 10 points (NaN targets — sync of music, marks a judge left empty — are masked) plus
`grade_weight` × cross-entropy of the grade band.

Early stopping watches a validation *score*, not the loss: the mean Spearman ρ of the sub-scores
plus the grade band's macro F1. Validation holds motions and pieces the model never saw, and an
unseen motion shifts some predictions by a constant (its natural range of movement differs), which
dominated the Huber loss: the loss was lowest after one epoch while ρ and F1 kept improving for
many more (a trial on fold 0: sync ρ 0.32 → 0.56 over 8 epochs while the loss rose). The learning
rate halves when the score has not improved for 2 epochs; training stops after `patience` epochs
without improvement and the best epoch's weights are kept.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import torch
from torch.nn import functional as F

from .data import Clips, batch, feature_stats
from .models import WindowModel


class EarlyStopping:
    """Keeps the weights of the best validation score; says stop after `patience` epochs without a gain."""

    def __init__(self, model, patience: int):
        self.patience, self.best, self.best_epoch, self.waited = patience, -float("inf"), 0, 0
        self.state = copy.deepcopy(model.state_dict())

    def step(self, model, score: float, epoch: int) -> bool:
        """Record an epoch's validation score; True when training should stop."""
        if score > self.best + 1e-4:
            self.best, self.best_epoch, self.waited = score, epoch, 0
            self.state = copy.deepcopy(model.state_dict())
            return False
        self.waited += 1
        return self.waited >= self.patience

    def restore(self, model):
        """The model with its best weights, in eval mode."""
        model.load_state_dict(self.state)
        return model.eval()


@dataclass
class TrainConfig:
    arch: str = "gru"
    fusion: str = "early"
    width: int = 48
    dropout: float = 0.2
    lr: float = 2e-3
    weight_decay: float = 0.05
    batch_clips: int = 16
    max_epochs: int = 16
    patience: int = 4
    windows_per_clip: int = 3       # training: a random subset of each clip's tiled windows
    grade_weight: float = 0.5
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def for_arch(cls, arch: str, fusion: str, **overrides) -> "TrainConfig":
        """The defaults, with the architecture's own (ARCH_DEFAULTS) and then `overrides` on top."""
        return cls(arch=arch, fusion=fusion, **(ARCH_DEFAULTS.get(arch, {}) | overrides))


# The Transformer learns more slowly and less steadily than the others at 2e-3: on fold 0 its
# validation score peaked after one epoch at 2e-3 and was still rising after 16 at 7e-4.
ARCH_DEFAULTS = {"transformer": {"lr": 7e-4, "max_epochs": 24, "patience": 6}}


def clip_mean(out: torch.Tensor, owner: torch.Tensor, n: int) -> torch.Tensor:
    total = torch.zeros(n, out.shape[1], dtype=out.dtype).index_add_(0, owner, out)
    counts = torch.bincount(owner, minlength=n).clamp_min(1).to(out.dtype)
    return total / counts[:, None]


def loss_of(scores: torch.Tensor, logits: torch.Tensor, targets: torch.Tensor, grades: torch.Tensor,
            grade_weight: float) -> torch.Tensor:
    mask = torch.isfinite(targets)
    err = (scores - torch.nan_to_num(targets)) / 10.0
    huber = F.huber_loss(err, torch.zeros_like(err), reduction="none", delta=1.0)
    score_loss = (huber * mask).sum() / mask.sum().clamp_min(1)
    return score_loss + grade_weight * F.cross_entropy(logits, grades)


def _forward(model: WindowModel, clips: Clips, index: np.ndarray, rng, train: bool, per_clip: int | None = None):
    windows, owner, targets, grades = batch(clips, index, rng, train, per_clip)
    owner_t = torch.from_numpy(owner)
    s, g = model(torch.from_numpy(windows))
    return clip_mean(s, owner_t, len(index)), clip_mean(g, owner_t, len(index)), \
        torch.from_numpy(targets), torch.from_numpy(grades)


@torch.no_grad()
def predict(model: WindowModel, clips: Clips, batch_clips: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Clip-level (mean over the box's windows) scores (N, 5) and grade logits (N, 5)."""
    model.eval()
    scores, logits = [], []
    for start in range(0, len(clips), batch_clips):
        s, g, _, _ = _forward(model, clips, np.arange(start, min(start + batch_clips, len(clips))), None, False)
        scores.append(s.numpy())
        logits.append(g.numpy())
    return np.concatenate(scores), np.concatenate(logits)


@torch.no_grad()
def validate(model: WindowModel, clips: Clips, grade_weight: float) -> tuple[float, float]:
    """(loss, score): score = mean Spearman ρ over the sub-scores + macro F1 of the grade band."""
    from .metrics import grade_metrics, subscore_metrics

    scores, logits = predict(model, clips)
    loss = float(loss_of(torch.from_numpy(scores), torch.from_numpy(logits), torch.from_numpy(clips.targets),
                         torch.from_numpy(clips.grades), grade_weight))
    rhos = [m["spearman"] for m in subscore_metrics(clips.targets, scores).values() if m["spearman"] is not None]
    f1 = grade_metrics(clips.grades, logits.argmax(1))["f1"]
    return loss, (float(np.mean(rhos)) if rhos else 0.0) + f1


def build_model(cfg: TrainConfig, train: Clips) -> WindowModel:
    mean, std = feature_stats(train)
    return WindowModel(cfg.arch, cfg.fusion, cfg.width, cfg.dropout, torch.from_numpy(mean), torch.from_numpy(std))


def train_model(cfg: TrainConfig, train: Clips, val: Clips, *, init: WindowModel | None = None,
                on_epoch: Callable[[int, float, float], None] | None = None) -> tuple[WindowModel, dict]:
    """Train on `train`, stop early on `val`; returns the best model and its history."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model = copy.deepcopy(init) if init is not None else build_model(cfg, train)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=2)
    stopping = EarlyStopping(model, cfg.patience)
    history = []
    start = time.perf_counter()
    for epoch in range(1, cfg.max_epochs + 1):
        model.train()
        order = rng.permutation(len(train))
        total = 0.0
        for b in range(0, len(order), cfg.batch_clips):
            s, g, t, y = _forward(model, train, order[b:b + cfg.batch_clips], rng, True, cfg.windows_per_clip)
            loss = loss_of(s, g, t, y, cfg.grade_weight)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += float(loss.detach()) * len(s)
        val_loss, val_score = validate(model, val, cfg.grade_weight)
        sched.step(val_score)
        history.append({"epoch": epoch, "train_loss": total / len(train), "val_loss": val_loss, "val_score": val_score,
                        "lr": opt.param_groups[0]["lr"], "elapsed_s": time.perf_counter() - start})
        if on_epoch:
            on_epoch(epoch, total / len(train), val_score)
        if stopping.step(model, val_score, epoch):
            break
    model = stopping.restore(model)
    return model, {"best_epoch": stopping.best_epoch, "best_val_score": stopping.best, "epochs": len(history),
                   "wall_time_s": time.perf_counter() - start, "history": history}
