"""The normalised pose models consume: centred on the hips, scaled by torso length, optionally mirrored.

Centring and scaling remove where the dancer stands and how far from the camera; mirroring
(left↔right swapped, x negated) lets a mirrored performance be compared with its reference.
"""

from __future__ import annotations

import numpy as np

from .landmarks import INDEX, JOINT_ANGLES, MIRROR

_HIPS = [INDEX["left_hip"], INDEX["right_hip"]]
_SHOULDERS = [INDEX["left_shoulder"], INDEX["right_shoulder"]]


def normalize(points: np.ndarray, mirror: bool = False, aspect: float = 1.0) -> np.ndarray:
    """(N, 33, 3) landmarks → (N, 33, 3) centred on the hip midpoint, in units of torso length.

    `aspect` (width / height) makes image x and y the same unit before scaling; use 1 for world
    coordinates. Rows without a person (NaN) stay NaN.
    """
    p = np.asarray(points, dtype=np.float32).copy()
    if aspect != 1.0:
        p[..., 0] *= aspect
    hips = p[:, _HIPS].mean(axis=1, keepdims=True)
    shoulders = p[:, _SHOULDERS].mean(axis=1, keepdims=True)
    torso = np.linalg.norm(shoulders - hips, axis=-1, keepdims=True)
    torso[torso < 1e-6] = np.nan  # a collapsed skeleton cannot be scaled; mark it unusable
    out = (p - hips) / torso
    if mirror:
        out = out[:, list(MIRROR)]
        out[..., 0] *= -1
    return out


def joint_angles(points: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Angles (degrees) at the joints of JOINT_ANGLES, per row: names and an (N, J) array."""
    p = np.asarray(points, dtype=np.float64)
    names, cols = [], []
    for name, (a, b, c) in JOINT_ANGLES.items():
        u = p[:, INDEX[a]] - p[:, INDEX[b]]
        v = p[:, INDEX[c]] - p[:, INDEX[b]]
        cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1) + 1e-9)
        names.append(name)
        cols.append(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
    return names, np.stack(cols, axis=1)
