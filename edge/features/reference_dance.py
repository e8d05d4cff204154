"""A dance against a reference recording of the choreography: DTW on normalised poses, joint-angle error, mirror check.

Both recordings go through the same pose estimator. Poses are normalised (hips at the origin, torso
length 1) so neither where the dancers stand nor their size matters; DTW absorbs tempo differences.
A performance is also aligned mirrored (left↔right): a student facing a mirror often learns the
choreography mirrored, which is a different fault from dancing it wrong.

Bounded cost: the frame-to-frame cost is built with `scipy.spatial.distance.cdist`, one joint and a
block of reference rows at a time, into a float32 matrix (no (n, m, joints, 3) temporaries). The cost
and DTW's float64 accumulator take ~12 bytes per cell, so when the two recordings have more than
MAX_CELLS frame pairs (about 95 s against 95 s at 30 fps) the path is found at every s-th frame (s the
smallest step that fits), projected back to every frame (each coarse step becomes s unit steps) and
refined at full rate: exact DTW inside the box between anchor points REFINE_STEPS steps apart along
the path, twice with staggered anchors so no anchor stays on the coarse grid. Every measurement (pose
distance, joint-angle errors, lag, tempo ratio, the per-step arrays the rubric windows) is then taken
frame by frame along that path, exactly as for short recordings; for 3 min against 3 min at 30 fps
they equal the full-matrix results to the reported digits (bench/dance_reference_cost.py) in ~1.5 s
of CPU and ~110 MB instead of ~15 s and ~900 MB.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.distance import cdist

from .dtw import dtw
from .landmarks import BODY
from .pose import PoseTrack
from .pose_normalize import joint_angles, normalize
from .rhythm import fill_short_gaps

MIRROR_MARGIN = 0.8  # mirrored is declared when its alignment cost is below 80 % of the direct one
MAX_CELLS = 8_000_000  # frame pairs aligned at full rate: cost (float32) + accumulator (float64) ≈ 96 MB
BLOCK_CELLS = 1 << 20  # cells of one float64 cdist block (8 MB)
REFINE_STEPS = 200     # path steps between the anchors of the full-rate refinement (boxes ≤ 200 × 200)


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


def decimation(n: int, m: int, max_cells: int | None = None) -> int:
    """The smallest frame step s with ⌈n/s⌉·⌈m/s⌉ ≤ max_cells (MAX_CELLS; 1 when the full matrices fit)."""
    max_cells = max_cells or MAX_CELLS
    s = max(1, int(np.ceil(np.sqrt(n * m / max_cells))))
    while -(-n // s) * -(-m // s) > max_cells:
        s += 1
    return s


def _project(path: np.ndarray, step: int, n: int, m: int) -> np.ndarray:
    """A path between every `step`-th frames → a path between all frames: each coarse step becomes
    `step` unit steps in the same direction; the tail runs diagonally (then straight) to (n-1, m-1)."""
    if step == 1:
        return path
    moves = np.diff(path, axis=0)                       # (L-1, 2) of 0/1
    unit = np.repeat(moves, step, axis=0)
    i_end, j_end = path[-1] * step
    tail_i, tail_j = n - 1 - i_end, m - 1 - j_end
    diag = min(tail_i, tail_j)
    tail = np.concatenate([np.ones((diag, 2), int), np.tile([1, 0], (tail_i - diag, 1)),
                           np.tile([0, 1], (tail_j - diag, 1))]).reshape(-1, 2)
    steps = np.concatenate([path[:1] * step, unit, tail])
    return np.cumsum(steps, axis=0)


def _refine(ref: np.ndarray, perf: np.ndarray, path: np.ndarray, every: int, offset: int = 0) -> np.ndarray:
    """Exact DTW between anchor points taken every `every` steps of `path` (from `offset`): each piece
    is aligned in full inside the box between its two anchors (at most `every` × `every` cells)."""
    anchors = np.unique(np.r_[0, np.arange(offset, len(path), every), len(path) - 1])
    pieces = [path[:1]]
    for a, b in zip(anchors[:-1], anchors[1:]):
        (i0, j0), (i1, j1) = path[a], path[b]
        local, _ = dtw(pair_cost(ref[i0:i1 + 1], perf[j0:j1 + 1]))
        pieces.append(local[1:] + (i0, j0))
    return np.concatenate(pieces)


def _path_distance(ref: np.ndarray, perf: np.ndarray, path: np.ndarray) -> float:
    """Mean joint distance of the frame pairs along `path` (what DTW's mean cost is, frame by frame)."""
    diff = ref[path[:, 0]][:, BODY].astype(np.float64) - perf[path[:, 1]][:, BODY]
    return float(np.sqrt((diff ** 2).sum(-1)).mean())


def _align(ref: np.ndarray, perf: np.ndarray) -> tuple[np.ndarray, float]:
    step = decimation(len(ref), len(perf))
    if step == 1:
        cost = pair_cost(ref, perf)
        return dtw(cost, band=max(len(ref), len(perf)) // 2)
    coarse_ref, coarse_perf = ref[::step], perf[::step]
    cost = pair_cost(coarse_ref, coarse_perf)
    coarse, _ = dtw(cost, band=max(len(coarse_ref), len(coarse_perf)) // 2)
    del cost
    path = _project(coarse, step, len(ref), len(perf))
    # Two passes with staggered anchors: the second frees the first one's anchors, which sat on the coarse grid.
    path = _refine(ref, perf, path, REFINE_STEPS)
    path = _refine(ref, perf, path, REFINE_STEPS, offset=REFINE_STEPS // 2)
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
