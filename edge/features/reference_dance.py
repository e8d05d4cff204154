"""A dance against a reference recording of the choreography: DTW on normalised poses, joint-angle error, mirror check.

Both recordings go through the same pose estimator. Poses are normalised (hips at the origin, torso
length 1) so neither where the dancers stand nor their size matters; DTW absorbs tempo differences.
A performance is also aligned mirrored (left↔right): a student facing a mirror often learns the
choreography mirrored, which is a different fault from dancing it wrong.

Bounded cost: the frame-to-frame cost is built with `scipy.spatial.distance.cdist`, one joint and a
block of reference rows at a time, into a float32 matrix (no (n, m, joints, 3) temporaries). Up to
MAX_CELLS frame pairs (about 95 s against 95 s at 30 fps) the full matrix is aligned; longer takes go
through `dtw.dtw_multiscale` (aligned on averaged poses at coarse levels, then at full rate inside a
narrow band around the coarse path), in memory linear in the two lengths. Every measurement (pose
distance, joint-angle errors, lag, tempo ratio, the per-step arrays the rubric windows) is then taken
frame by frame along the path (bench/dance_reference_cost.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.distance import cdist

from .dtw import dtw, dtw_multiscale
from .landmarks import BODY
from .pose import PoseTrack
from .pose_normalize import joint_angles, normalize
from .rhythm import fill_short_gaps

MIRROR_MARGIN = 0.8  # mirrored is declared when its alignment cost is below 80 % of the direct one
MAX_CELLS = 8_000_000  # frame pairs aligned at full rate: cost (float32) + accumulator (float64) ≈ 96 MB
BLOCK_CELLS = 1 << 20  # cells of one float64 cdist block (8 MB)


@dataclass
class DanceComparison:
    joint_error_deg: dict[str, float]   # mean absolute joint-angle error along the alignment
    mean_error_deg: float
    pose_distance: float                # mean normalised joint distance along the path (torso lengths)
    mirrored: bool
    mirrored_distance: float
    mean_lag_s: float                   # performance time − reference time along the path
    tempo_ratio: float                  # performed duration / reference duration of the aligned part
    frames_compared: int
    # Along the alignment path, so a window of the performance can be judged on its own:
    path_times_s: np.ndarray = field(default_factory=lambda: np.zeros(0))       # performance time per step
    path_errors_deg: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (steps, joints)
    path_lag_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    joint_names: tuple[str, ...] = ()

    def summary(self) -> dict:
        return {
            "kind": "dance",
            "mean_joint_angle_error_deg": round(self.mean_error_deg, 2),
            "joint_angle_error_deg": {k: round(v, 2) for k, v in self.joint_error_deg.items()},
            "pose_distance": round(self.pose_distance, 4),
            "mirrored": self.mirrored,
            "mirrored_pose_distance": round(self.mirrored_distance, 4),
            "mean_lag_s": round(self.mean_lag_s, 3),
            "tempo_ratio": round(self.tempo_ratio, 4),
            "frames_compared": self.frames_compared,
        }


def _usable(track: PoseTrack, mirror: bool = False) -> tuple[np.ndarray, np.ndarray]:
    pose = fill_short_gaps(normalize(track.world, mirror=mirror), track.times)
    ok = np.isfinite(pose[:, BODY]).all(axis=(1, 2))
    return pose[ok], track.times[ok]


def pair_cost(ref: np.ndarray, perf: np.ndarray) -> np.ndarray:
    """Mean distance of the BODY joints (torso lengths) between every reference and every performance
    frame: an (n, m) float32 matrix, built in row blocks so no temporary exceeds BLOCK_CELLS."""
    ra = np.ascontiguousarray(ref[:, BODY], dtype=np.float64)
    rb = np.ascontiguousarray(perf[:, BODY], dtype=np.float64)
    n, m, joints = len(ra), len(rb), ra.shape[1]
    cost = np.empty((n, m), np.float32)
    rows = max(1, BLOCK_CELLS // max(m, 1))
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        block = cdist(ra[start:stop, 0], rb[:, 0])
        for j in range(1, joints):
            block += cdist(ra[start:stop, j], rb[:, j])
        block /= joints
        cost[start:stop] = block
    return cost


def _path_distance(ref: np.ndarray, perf: np.ndarray, path: np.ndarray) -> float:
    """Mean joint distance of the frame pairs along `path` (what DTW's mean cost is, frame by frame)."""
    diff = ref[path[:, 0]][:, BODY].astype(np.float64) - perf[path[:, 1]][:, BODY]
    return float(np.sqrt((diff ** 2).sum(-1)).mean())


def _align(ref: np.ndarray, perf: np.ndarray) -> tuple[np.ndarray, float]:
    if len(ref) * len(perf) <= MAX_CELLS:
        return dtw(pair_cost(ref, perf), band=max(len(ref), len(perf)) // 2)
    # Long takes: the project's multiscale DTW (coarse levels of averaged poses, then a narrow band at
    # full rate), the same as music references use; memory linear in the two lengths.
    path, _ = dtw_multiscale(ref, perf, pair_cost)
    return path, _path_distance(ref, perf, path)


def compare_to_reference(reference: PoseTrack, performance: PoseTrack) -> DanceComparison:
    ref, ref_t = _usable(reference)
    perf, perf_t = _usable(performance)
    if len(ref) < 2 or len(perf) < 2:
        raise ValueError("too few frames with a person to compare with the reference")
    mirrored_perf, _ = _usable(performance, mirror=True)
    path, distance = _align(ref, perf)
    m_path, m_distance = _align(ref, mirrored_perf)
    mirrored = m_distance < MIRROR_MARGIN * distance
    if mirrored:
        perf, path = mirrored_perf, m_path

    names, ref_angles = joint_angles(ref)
    _, perf_angles = joint_angles(perf)
    error = np.abs(ref_angles[path[:, 0]] - perf_angles[path[:, 1]])
    per_joint = {name: float(np.nanmean(error[:, k])) for k, name in enumerate(names)}
    lag = perf_t[path[:, 1]] - ref_t[path[:, 0]]
    ref_span = ref_t[path[-1, 0]] - ref_t[path[0, 0]]
    perf_span = perf_t[path[-1, 1]] - perf_t[path[0, 1]]
    return DanceComparison(
        joint_error_deg=per_joint,
        mean_error_deg=float(np.nanmean(error)),
        pose_distance=min(distance, m_distance) if mirrored else distance,
        mirrored=bool(mirrored),
        mirrored_distance=m_distance,
        mean_lag_s=float(np.mean(lag)),
        tempo_ratio=float(perf_span / ref_span) if ref_span > 0 else 1.0,
        frames_compared=len(path),
        path_times_s=perf_t[path[:, 1]],
        path_errors_deg=error,
        path_lag_s=lag,
        joint_names=tuple(names),
    )
