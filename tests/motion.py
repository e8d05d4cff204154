"""Synthetic skeletons with known motion, for rhythm and reference tests."""

import numpy as np

from edge.features.landmarks import INDEX, N_LANDMARKS
from edge.features.pose import PoseTrack


def dancer_hitting(beats, fps=30.0, seconds=None, arms=("left", "right"), reach=1.0):
    """A skeleton whose arms swing between two poses and stop on every beat (eased, like a dancer).

    `arms` picks which arms move (one arm only makes the dance asymmetric, so a mirrored copy differs);
    `reach` scales how far they swing.
    """
    seconds = seconds or beats[-1] + 0.5
    t = np.arange(0, seconds, 1 / fps)
    # Phase goes 0→1 between consecutive beats with a smoothstep: zero speed exactly on the beats.
    k = np.clip(np.searchsorted(beats, t, side="right") - 1, 0, len(beats) - 2)
    u = np.clip((t - beats[k]) / (beats[k + 1] - beats[k]), 0, 1)
    ease = u * u * (3 - 2 * u)
    swing = np.where(k % 2 == 0, ease, 1 - ease)
    world = np.zeros((len(t), N_LANDMARKS, 3), np.float32)
    world[:, INDEX["left_shoulder"]] = [0.2, 0.5, 0]
    world[:, INDEX["right_shoulder"]] = [-0.2, 0.5, 0]
    world[:, INDEX["left_hip"]] = [0.1, 0, 0]
    world[:, INDEX["right_hip"]] = [-0.1, 0, 0]
    for side, sign in (("left", 1), ("right", -1)):
        s = reach * swing if side in arms else 0 * swing
        world[:, INDEX[f"{side}_elbow"]] = np.stack([sign * (0.3 + 0.2 * s), 0.5 - 0.3 + 0.5 * s, 0 * t], 1)
        world[:, INDEX[f"{side}_wrist"]] = np.stack([sign * (0.4 + 0.4 * s), 0.5 - 0.6 + 1.0 * s, 0 * t], 1)
        world[:, INDEX[f"{side}_knee"]] = [sign * 0.1, -0.5, 0]
        world[:, INDEX[f"{side}_ankle"]] = [sign * 0.1, -1.0, 0]
    n = len(t)
    return PoseTrack(times=t, frame_index=np.arange(n), image=world.copy(), world=world,
                     visibility=np.ones((n, N_LANDMARKS), np.float32), present=np.ones(n, bool), fps=fps)
