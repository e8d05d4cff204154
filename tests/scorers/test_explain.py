"""Explanations point to the right joints, seconds and notes on constructed examples."""

import numpy as np
import torch
from torch import nn

from edge.features.sequence import AUDIO_NAMES, POSE_DIM
from edge.scoring.learned.explain import joint_columns, notes_of, spread_windows, summarize, window_saliency
from edge.scoring.learned.windows import WINDOW_FRAMES, stack_windows, window_starts
from training.scorers.explain import baseline_for, integrated_gradients, target_weights

WRIST_X = joint_columns("left_wrist")[0]
PITCH, VOICED, ONSET = (POSE_DIM + AUDIO_NAMES.index(n) for n in ("pitch", "voiced", "note_onset"))


class WristModel(nn.Module):
    """Scores rise with the square of the left wrist's x in frames 30–44 of a window (a known answer)."""

    def __init__(self):
        super().__init__()
        self.inputs = nn.Module()
        self.inputs.register_buffer("mean", torch.zeros(72))

    def forward(self, x):
        v = (x[:, 30:45, WRIST_X] ** 2).mean(dim=1, keepdim=True)
        return 50 + 10 * v.repeat(1, 5), torch.zeros(len(x), 5)


def performance(seconds: int = 6) -> np.ndarray:
    rng = np.random.default_rng(0)
    frames = rng.normal(0, 0.3, (seconds * 30, 72)).astype(np.float32)
    frames[:, POSE_DIM - 1] = 1.0
    return frames


def test_integrated_gradients_attribute_everything_to_the_left_arm_and_are_complete():
    model, frames = WristModel(), performance()
    starts = window_starts(len(frames))
    windows = stack_windows(frames, starts)
    weights = target_weights("dance")
    base = baseline_for(model, windows, "dance")
    ig = integrated_gradients(model, windows, base, weights, steps=64)
    with torch.no_grad():
        f_x = (model(torch.from_numpy(windows))[0].numpy() @ weights).mean()
        f_0 = (model(torch.from_numpy(base))[0].numpy() @ weights).mean()
    assert ig.sum() == np.float32(ig.sum()) and abs(ig.sum() - (f_x - f_0)) < 1e-3 * max(1.0, abs(f_x - f_0))
    saliency = spread_windows(ig, starts, len(frames)) * len(starts)
    out = summarize(saliency, frames, method="integrated_gradients")
    assert out["top_limbs"][0] == "left_arm" and out["limbs"]["left_arm"] > 0.99
    assert max(out["joints"], key=out["joints"].get) == "left_wrist"
    # only frames 30–44 of each window matter: with windows every second, that is the second half
    # of every second from 1 s on, never the first second
    assert out["seconds"][0]["share"] == 0.0


def test_occlusion_on_the_box_finds_the_limb_and_the_second():
    frames = performance(8)
    frames[:, WRIST_X] = 0.0
    frames[4 * 30:5 * 30, WRIST_X] = 2.0            # the wrist only moves out in second 4

    def run(x):
        v = (x[:, :, WRIST_X] ** 2).mean(axis=1, keepdims=True)
        return 50 + 10 * np.repeat(v, 5, axis=1), np.zeros((len(x), 5))

    features, time, _ = window_saliency(run, frames, np.zeros(72, np.float32), lambda s: float(np.mean(s)), "dance")
    out = summarize(features, frames, method="occlusion", time_saliency=time)
    assert out["top_limbs"][0] == "left_arm"
    assert out["top_seconds"][0] == 4


def test_notes_are_named_from_onsets_and_pitch_and_ranked_by_saliency():
    frames = np.zeros((90, 72), np.float32)
    for start, midi in ((0, 69), (30, 60), (60, 64)):
        frames[start, ONSET] = 1.0
        frames[start:start + 30, PITCH] = (midi - 60) / 24
        frames[start:start + 30, VOICED] = 1.0
    assert [(s, e, round(p)) for s, e, p in notes_of(frames)] == [(0, 30, 69), (30, 60, 60), (60, 90, 64)]
    saliency = np.zeros_like(frames)
    saliency[35:40, PITCH] = 1.0                     # inside the second note (C4)
    out = summarize(saliency, frames, method="test", discipline="music")
    assert out["top_notes"][0]["note"] == "C4" and out["top_notes"][0]["share"] == 1.0
    assert out["audio_features"]["pitch"] == 1.0 and "limbs" not in out
    assert WINDOW_FRAMES == 60
