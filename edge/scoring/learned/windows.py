"""How a learned scorer reads a performance: fixed 2-s windows of the feature sequence.

A window is WINDOW_FRAMES frames (2 s at 30 frames/s) of the 72 per-frame features (52 pose, then
20 audio, in `edge.features.sequence` order). A performance is cut into windows every HOP_FRAMES
(1 s); the last window ends at the last frame; one shorter than a window is zero-padded at the end.
Music performances are scored with the pose stream zeroed (person-present flag 0), whatever the
camera saw, so a musician is never judged as a dancer. Training (training/scorers) windows its
corpus with these same functions.
"""

from __future__ import annotations

import numpy as np

from ...features.sequence import AUDIO_DIM, FRAME_RATE, POSE_DIM, FeatureSequence

WINDOW_S = 2.0
WINDOW_FRAMES = int(round(WINDOW_S * FRAME_RATE))      # 60
HOP_FRAMES = int(round(1.0 * FRAME_RATE))              # 30
N_FEATURES = POSE_DIM + AUDIO_DIM                      # 72
LAYOUT_VERSION = "perfscore.scorer-input/1"            # 72 features of edge.features.sequence, 60 frames


def frames_of(sequence: FeatureSequence, discipline: str) -> np.ndarray:
    """(T, 72) float32 model features of a performance; pose zeroed for music."""
    return model_frames(sequence.pose, sequence.audio, discipline)


def model_frames(pose: np.ndarray, audio: np.ndarray, discipline: str) -> np.ndarray:
    """Pose (T, 52) and audio (T, 20) features → (T, 72) model input; a musician's pose is zeroed
    (music is judged on sound: the models never saw a musician's movements)."""
    pose = pose if discipline == "dance" else np.zeros_like(pose)
    return np.concatenate([pose, audio], axis=1).astype(np.float32)


def window_starts(n_frames: int, window: int = WINDOW_FRAMES, hop: int = HOP_FRAMES) -> np.ndarray:
    """First frame of each window: every `hop` frames, plus one ending at the last frame."""
    if n_frames <= window:
        return np.zeros(1, int)
    starts = list(range(0, n_frames - window + 1, hop))
    if starts[-1] != n_frames - window:
        starts.append(n_frames - window)
    return np.array(starts, int)


def stack_windows(frames: np.ndarray, starts: np.ndarray, window: int = WINDOW_FRAMES) -> np.ndarray:
    """(W, window, F) windows of (T, F) frames; zero-padded past the end."""
    out = np.zeros((len(starts), window, frames.shape[1]), np.float32)
    for i, s in enumerate(starts):
        chunk = frames[s:s + window]
        out[i, :len(chunk)] = chunk
    return out
