"""Time-warp mocap onto a beat grid so the dancer eases to a stop on every beat, plus dance faults.

Kinematic beats (the AIST++ notion: local minima of joint speed) need a motion that actually
slows down on the beat. Between consecutive anchors A_k, A_k+1 the motion time advances by a fixed
`motion_per_beat` seconds of mocap along a smoothstep, whose derivative is zero at both ends: every
joint's velocity is exactly zero at each anchor. Anchors are the beats (plus the timing faults),
so the ground-truth kinematic beats are known exactly.

Faults (all seeded, all reported in the truth):
- timing_offset_s: every anchor this much after its beat (movement late; negative = early)
- timing_jitter_s: std of an extra random offset per anchor (clipped so anchors stay ordered)
- amplitude: 1 = full movement; 0.5 = every joint halfway toward a neutral standing pose
- freeze_beats: beats the dancer stands still through (no kinematic beat there); the skipped
  movement is made up on the next beat, so the dance rejoins the reference
- mirror_beats: beats during which the dancer moves mirror-image (left for right)
- jerkiness: 0 = smooth; 1 = stop-motion at jerk_hz (holds then jumps, many spurious speed minima)
- pose_deviation_deg: std of a fixed random rotation added to every joint (off-model shapes)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from edge.errors import PerfscoreError

from . import quat
from .mocap import MotionClip, Poses, blend, load_motion, make_loopable, mirror, neutral, sample


@dataclass(frozen=True)
class DanceFaults:
    timing_offset_s: float = 0.0
    timing_jitter_s: float = 0.0
    amplitude: float = 1.0
    freeze_beats: tuple[int, ...] = ()
    mirror_beats: tuple[int, ...] = ()
    jerkiness: float = 0.0
    jerk_hz: float = 6.0
    pose_deviation_deg: float = 0.0


@dataclass(frozen=True)
class Choreography:
    """Per-frame poses with their ground truth. `reference` is the same choreography danced
    without any fault, on the same beat grid."""
    motion: str
    fps: float
    frame_times: np.ndarray          # (F,) s
    motion_times: np.ndarray         # (F,) s of (looped) mocap shown at each frame
    poses: Poses                     # (F, ...) what is danced
    reference: Poses                 # (F, ...) the fault-free choreography
    beat_times: np.ndarray           # the music's beats (s)
    anchor_times: np.ndarray         # per beat: when the dancer actually stops (beat + offset + jitter)
    kinematic_beats: np.ndarray      # anchors of marked (not frozen) beats with a frame on each side
    frozen: np.ndarray               # (F,) bool
    mirrored: np.ndarray             # (F,) mirror weight 0..1
    faults: DanceFaults
    seed: int
    extra: dict = field(default_factory=dict)

    def truth(self) -> dict:
        return {
            "motion": self.motion, "fps": self.fps, "seed": self.seed, "faults": asdict(self.faults),
            "beat_times_s": [round(float(t), 6) for t in self.beat_times],
            "anchor_times_s": [round(float(t), 6) for t in self.anchor_times],
            "kinematic_beats_s": [round(float(t), 6) for t in self.kinematic_beats],
        }


def _ease(u: np.ndarray) -> np.ndarray:
    return u * u * (3.0 - 2.0 * u)


def _warp(t: np.ndarray, anchors: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Piecewise eased map from frame time to motion time: anchors[k] -> targets[k], flat at anchors."""
    k = np.clip(np.searchsorted(anchors, t, side="right") - 1, 0, anchors.size - 2)
    u = np.clip((t - anchors[k]) / (anchors[k + 1] - anchors[k]), 0.0, 1.0)
    return targets[k] + (targets[k + 1] - targets[k]) * _ease(u)


def _beat_weight(t: np.ndarray, anchors: np.ndarray, beats: set[int], first_index: int) -> np.ndarray:
    """0..1 per frame: 1 during the listed beats, eased in over the interval before the first
    listed beat of a run and out over the interval after it, so the switch also stops on anchors."""
    on = np.array([(k + first_index) in beats for k in range(anchors.size)], dtype=float)
    return _warp(t, anchors, on)


def _deviation(rng: np.random.Generator, sd_deg: float, n_rot: int, n_angle: int) -> tuple[np.ndarray, np.ndarray]:
    axes = rng.normal(size=(n_rot, 3))
    angles = np.radians(rng.normal(0.0, sd_deg, n_rot))
    return quat.from_axis_angle(axes, angles), np.radians(rng.normal(0.0, sd_deg, n_angle))


def choreograph(beat_times, *, motion: str | MotionClip = "dance_a", duration_s: float | None = None,
                fps: float = 30.0, motion_per_beat: float | None = None, faults: DanceFaults = DanceFaults(),
                seed: int = 0) -> Choreography:
    """Dance `motion` to the beats in `beat_times` (s, evenly spaced or not), one frame per 1/fps
    from t = 0 to `duration_s` (default: one beat after the last beat).

    `motion_per_beat` is how many seconds of mocap are danced per beat (default: the beat period,
    so the mocap keeps its own average speed).
    """
    beats = np.asarray(beat_times, dtype=float)
    if beats.size < 2 or np.any(np.diff(beats) <= 0):
        raise PerfscoreError("beat_times must hold at least two strictly increasing times")
    if not 0.0 <= faults.amplitude <= 1.5:
        raise PerfscoreError(f"amplitude must be within 0-1.5, got {faults.amplitude}")
    if not 0.0 <= faults.jerkiness <= 1.0:
        raise PerfscoreError(f"jerkiness must be within 0-1, got {faults.jerkiness}")
    period = float(np.median(np.diff(beats)))
    if abs(faults.timing_offset_s) >= period:
        raise PerfscoreError(f"timing offset {faults.timing_offset_s} s is not smaller than the beat period {period:.3f} s")
    # A clip passed in is used as it is; a name is loaded and made into an in-place loop.
    looped = motion if isinstance(motion, MotionClip) else make_loopable(load_motion(motion))
    per_beat = float(motion_per_beat or period)
    duration = float(duration_s if duration_s is not None else beats[-1] + period)
    frame_times = np.arange(int(np.floor(duration * fps + 1e-9))) / fps

    rng = np.random.default_rng(seed)
    rng_jitter, rng_dev, rng_jerk = (np.random.default_rng(s) for s in rng.integers(0, 2**32, 3))

    # Extend the grid by a few beats on both sides so every frame lies between two anchors.
    pad = 3
    grid = np.concatenate([beats[0] - period * np.arange(pad, 0, -1), beats, beats[-1] + period * np.arange(1, pad + 1)])
    jitter = np.clip(rng_jitter.normal(0.0, faults.timing_jitter_s, grid.size), -0.35 * period, 0.35 * period) \
        if faults.timing_jitter_s > 0 else np.zeros(grid.size)
    anchors = grid + faults.timing_offset_s + jitter
    ref_anchors = grid.copy()

    first_index = -pad                       # beat index of grid[0]; beat 0 = beat_times[0]
    index = np.arange(grid.size) + first_index
    frozen_beats = set(faults.freeze_beats)
    # A frozen beat is not danced: the motion time does not advance into it. The dancer then
    # rejoins the choreography on the next beat, covering the skipped motion in one (faster) beat.
    steps, owed = np.zeros(grid.size - 1), 0.0
    for j, k in enumerate(index[1:]):
        if k in frozen_beats:
            owed += per_beat
        else:
            steps[j], owed = per_beat + owed, 0.0
    targets = np.concatenate([[0.0], np.cumsum(steps)])
    ref_targets = np.arange(grid.size) * per_beat

    m = _warp(frame_times, anchors, targets)
    m_ref = _warp(frame_times, ref_anchors, ref_targets)
    if faults.jerkiness > 0:
        # Stop-motion: hold the pose for 1/jerk_hz, then jump; blended with the smooth motion.
        phase = rng_jerk.uniform(0.0, 1.0 / faults.jerk_hz)
        held = _warp(np.floor((frame_times + phase) * faults.jerk_hz) / faults.jerk_hz - phase, anchors, targets)
        m = (1.0 - faults.jerkiness) * m + faults.jerkiness * held

    poses = sample(looped, m)
    reference = sample(looped, m_ref)

    mirrored = _beat_weight(frame_times, anchors, set(faults.mirror_beats), first_index)
    if np.any(mirrored > 0):
        poses = blend(poses, mirror(poses), mirrored)
    if faults.amplitude != 1.0:
        rest = neutral(len(poses), poses.root_pos[:, [0, 2]])
        poses = blend(rest, poses, np.full(len(poses), faults.amplitude))
    if faults.pose_deviation_deg > 0:
        offsets, angle_offsets = _deviation(rng_dev, faults.pose_deviation_deg, poses.rot.shape[1], poses.angle.shape[1])
        poses = Poses(poses.root_pos, poses.root_rot, quat.normalize(quat.multiply(poses.rot, offsets)),
                      poses.angle + angle_offsets)

    frozen_anchor = np.array([k in frozen_beats for k in index])
    interval = np.clip(np.searchsorted(anchors, frame_times, side="right") - 1, 0, steps.size - 1)
    frozen = steps[interval] == 0.0
    real = (index >= 0) & (index < beats.size)
    # A kinematic beat has to be seen as a speed minimum: at least one frame on each side of it.
    observable = (anchors >= frame_times[0] + 1.0 / fps) & (anchors <= frame_times[-1] - 1.0 / fps)
    marked = real & ~frozen_anchor & observable
    return Choreography(looped.name, fps, frame_times, m, poses, reference, beats, anchors[real],
                        anchors[marked], frozen, mirrored, faults, seed,
                        extra={"motion_per_beat_s": per_beat, "loop_s": looped.duration})
