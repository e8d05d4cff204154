"""DeepMimic motion-capture clips shipped in pybullet_data, as arrays of poses.

A clip file (JSON) holds keyframes: [duration, root position (3), root rotation (w, x, y, z),
then per joint a (w, x, y, z) quaternion or, for knees and elbows, one angle in radians], in
the order of SPHERICAL/REVOLUTE below. The humanoid is y-up and faces +x; its left is -z.
We keep quaternions in pybullet's (x, y, z, w) order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.errors import PerfscoreError

from . import quat

SPHERICAL = ("chest", "neck", "right_hip", "right_ankle", "right_shoulder", "left_hip", "left_ankle", "left_shoulder")
REVOLUTE = ("right_knee", "right_elbow", "left_knee", "left_elbow")
# Order of the joints in a DeepMimic frame (after root position and rotation); 4 = quaternion, 1 = angle.
_FRAME_LAYOUT = (("chest", 4), ("neck", 4), ("right_hip", 4), ("right_knee", 1), ("right_ankle", 4),
                 ("right_shoulder", 4), ("right_elbow", 1), ("left_hip", 4), ("left_knee", 1),
                 ("left_ankle", 4), ("left_shoulder", 4), ("left_elbow", 1))
# Root height when standing straight (hip-knee 0.4215 + knee-ankle 0.4099 + ankle-sole 0.05 m).
STANDING_ROOT_HEIGHT = 0.8814


def _motions_dir() -> Path:
    import pybullet_data

    return Path(pybullet_data.getDataPath()) / "data" / "motions"


def available_motions() -> list[str]:
    return sorted(p.stem.removeprefix("humanoid3d_") for p in _motions_dir().glob("humanoid3d_*.txt"))


@dataclass(frozen=True)
class Poses:
    """N poses of the humanoid: root position (N, 3) m, root rotation (N, 4), spherical joint
    rotations (N, 8, 4) in SPHERICAL order, revolute angles (N, 4) rad in REVOLUTE order."""
    root_pos: np.ndarray
    root_rot: np.ndarray
    rot: np.ndarray
    angle: np.ndarray

    def __len__(self) -> int:
        return self.root_pos.shape[0]

    def take(self, index) -> "Poses":
        return Poses(self.root_pos[index], self.root_rot[index], self.rot[index], self.angle[index])

    @staticmethod
    def concat(parts: list["Poses"]) -> "Poses":
        return Poses(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("root_pos", "root_rot", "rot", "angle")))


@dataclass(frozen=True)
class MotionClip:
    name: str
    times: np.ndarray          # keyframe times (s), starting at 0
    poses: Poses
    loop: bool                 # True: the clip repeats (sample() wraps)

    @property
    def duration(self) -> float:
        return float(self.times[-1])


def load_motion(name: str) -> MotionClip:
    """A DeepMimic clip by short name ('dance_a', 'dance_b', 'walk', ...)."""
    path = _motions_dir() / f"humanoid3d_{name}.txt"
    if not path.is_file():
        raise PerfscoreError(f"unknown motion {name!r}; available: {', '.join(available_motions())}")
    data = json.loads(path.read_text())
    frames = np.asarray(data["Frames"], dtype=float)
    if frames.ndim != 2 or frames.shape[1] != 44:
        raise PerfscoreError(f"{path}: expected 44 numbers per frame, got shape {frames.shape}")
    times = np.concatenate([[0.0], np.cumsum(frames[:-1, 0])])
    wxyz_to_xyzw = [1, 2, 3, 0]
    rot, angle, col = {}, {}, 8
    for joint, width in _FRAME_LAYOUT:
        if width == 4:
            rot[joint] = frames[:, col:col + 4][:, wxyz_to_xyzw]
        else:
            angle[joint] = frames[:, col]
        col += width
    poses = Poses(frames[:, 1:4].copy(), quat.normalize(frames[:, 4:8][:, wxyz_to_xyzw]),
                  quat.normalize(np.stack([rot[j] for j in SPHERICAL], axis=1)),
                  np.stack([angle[j] for j in REVOLUTE], axis=1))
    return MotionClip(name, times, poses, data.get("Loop") == "wrap")


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def blend(a: Poses, b: Poses, w) -> Poses:
    """(1 - w) a + w b per frame: lerp for positions and angles, slerp for rotations."""
    w = np.asarray(w, dtype=float)
    w1 = w.reshape(-1, 1) if w.ndim else w
    return Poses(a.root_pos + (b.root_pos - a.root_pos) * w1,
                 quat.slerp(a.root_rot, b.root_rot, w),
                 quat.slerp(a.rot, b.rot, w.reshape(-1, 1) if w.ndim else w),
                 a.angle + (b.angle - a.angle) * w1)


def sample(clip: MotionClip, m: np.ndarray) -> Poses:
    """Poses at motion times m (s): wraps for looping clips, holds the ends otherwise."""
    m = np.atleast_1d(np.asarray(m, dtype=float))
    m = np.mod(m, clip.duration) if clip.loop else np.clip(m, 0.0, clip.duration)
    i = np.clip(np.searchsorted(clip.times, m, side="right") - 1, 0, len(clip.times) - 2)
    span = clip.times[i + 1] - clip.times[i]
    frac = np.clip((m - clip.times[i]) / np.where(span > 0, span, 1.0), 0.0, 1.0)
    return blend(clip.poses.take(i), clip.poses.take(i + 1), frac)


def make_loopable(clip: MotionClip, *, blend_s: float = 0.3, rate_hz: float = 120.0) -> MotionClip:
    """A seamless, in-place loop: the root's net travel over the clip is removed (so repeats do not
    walk out of the picture), the clip is centred on x = z = 0, and its last `blend_s` seconds are
    cross-faded into its start."""
    length = clip.duration - blend_s
    if length <= blend_s:
        raise PerfscoreError(f"motion {clip.name!r} ({clip.duration:.2f} s) is too short to loop with a {blend_s} s blend")
    travel = clip.poses.root_pos[-1] - clip.poses.root_pos[0]
    travel[1] = 0.0
    ramp = (clip.times / clip.duration)[:, None] * travel
    root = clip.poses.root_pos - ramp
    root[:, [0, 2]] -= root[:, [0, 2]].mean(axis=0)
    steady = MotionClip(clip.name, clip.times, Poses(root, clip.poses.root_rot, clip.poses.rot, clip.poses.angle), False)

    t = np.arange(int(np.floor(length * rate_hz)) + 1) / rate_hz
    t = t[t < length]
    main = sample(steady, t)
    tail = sample(steady, t + length)           # the clip's last blend_s seconds, lined up with its start
    w = _smoothstep(t / blend_s)                 # 0: tail (continues from the loop's end), 1: main
    looped = blend(tail, main, w)
    times = np.concatenate([t, [length]])
    poses = Poses.concat([looped, looped.take([0])])   # closing keyframe = first, so interpolation wraps
    return MotionClip(clip.name, times, poses, True)


def mirror(p: Poses) -> Poses:
    """Left-right mirror image (through the humanoid's sagittal x-y plane)."""
    swap_rot = [SPHERICAL.index(j.replace("right_", "@").replace("left_", "right_").replace("@", "left_"))
                for j in SPHERICAL]
    swap_angle = [REVOLUTE.index(j.replace("right_", "@").replace("left_", "right_").replace("@", "left_"))
                  for j in REVOLUTE]
    root = p.root_pos * np.array([1.0, 1.0, -1.0])
    return Poses(root, quat.mirror_z(p.root_rot), quat.mirror_z(p.rot[:, swap_rot]), p.angle[:, swap_angle].copy())


def neutral(n: int, root_xz: np.ndarray | None = None) -> Poses:
    """Standing straight, arms down, facing +x (the camera's default side)."""
    root = np.zeros((n, 3))
    root[:, 1] = STANDING_ROOT_HEIGHT
    if root_xz is not None:
        root[:, [0, 2]] = root_xz
    return Poses(root, np.tile(quat.IDENTITY, (n, 1)), np.tile(quat.IDENTITY, (n, len(SPHERICAL), 1)),
                 np.zeros((n, len(REVOLUTE))))
