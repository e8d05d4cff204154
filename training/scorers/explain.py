"""Integrated gradients (Sundararajan et al. 2017) for the window models, over a whole performance.

The explained quantity is the performance's predicted `overall` (or one sub-score): the weighted
mean, over the sub-scores that apply, of the mean over windows of each window's score. Attributions
are computed per window input and spread back onto the performance's frames
(`edge.scoring.learned.explain.spread_windows`); by the completeness property they sum to
target(input) − target(baseline), up to the Riemann error of `steps`.

Baseline: the training corpus's mean of every feature (the model's standardisation mean), i.e.
an "average performance"; the person-present flag, and for music the whole pose stream, are kept
as they are, so they receive no attribution.
"""

from __future__ import annotations

import numpy as np
import torch

from edge.config.scoring import WeightsConfig
from edge.features.sequence import POSE_DIM
from edge.scoring.result import SUBSCORES, overall_weights

from .models import PRESENT, WindowModel


def target_weights(discipline: str, target: str = "overall", weights: WeightsConfig = WeightsConfig()) -> np.ndarray:
    """Weights over the 5 score outputs whose weighted sum is the explained quantity."""
    if target != "overall":
        return np.array([1.0 if n == target else 0.0 for n in SUBSCORES])
    return np.array(overall_weights(discipline, weights))


def baseline_for(model: WindowModel, windows: np.ndarray, discipline: str) -> np.ndarray:
    base = np.broadcast_to(model.inputs.mean.numpy(), windows.shape).copy()
    base[..., PRESENT] = windows[..., PRESENT]
    if discipline != "dance":
        base[..., :POSE_DIM] = windows[..., :POSE_DIM]
    return base.astype(np.float32)


def integrated_gradients(model: WindowModel, windows: np.ndarray, baseline: np.ndarray, weights: np.ndarray,
                         steps: int = 16) -> np.ndarray:
    """(W, 60, 72) attributions of sum_k weights[k] × mean_w score_k (midpoint Riemann sum)."""
    model.eval()
    x = torch.from_numpy(windows)
    x0 = torch.from_numpy(baseline)
    alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
    path = (x0[None] + alphas[:, None, None, None] * (x - x0)[None]).reshape(-1, *x.shape[1:])
    path.requires_grad_(True)
    scores, _ = model(path)
    target = (scores @ torch.from_numpy(weights.astype(np.float32))).sum() / len(windows)
    (grad,) = torch.autograd.grad(target, path)
    avg = grad.reshape(steps, *x.shape).mean(dim=0)
    return ((x - x0) * avg).detach().numpy()
