"""The humanoid's pose -> MediaPipe PoseLandmarker's 33 landmarks, without rendering.

For each frame this gives what PoseLandmarker reports, computed from the geometry:
- image landmarks: x, y normalised to [0, 1] (from the top-left) through the render camera;
  z = depth relative to the hips' midpoint, in the same scale as x (negative = nearer the camera);
  visibility = 1 when the point is in the picture and no body part lies between it and the camera
  (segment/shape tests against the drawn spheres, capsules and boxes), else 0; presence = in the picture.
- world landmarks: metres, origin between the hips, axes of the camera (x right, y down, z away
  from the camera), which is how MediaPipe reports pose_world_landmarks.

How close this comes to what MediaPipe detects on the rendered frames is measured by
`python -m training.data.measure` and reported in docs/data.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import quat
from .body import CALIBRATED_POINTS, LANDMARKS, Outfit, primitives
from .mocap import Poses
from .scene import LINK_INDEX, Camera, HumanoidScene

_PARENT = {"chest": "root", "neck": "chest", "right_hip": "root", "left_hip": "root"}
for _side in ("right", "left"):
    _PARENT |= {f"{_side}_knee": f"{_side}_hip", f"{_side}_ankle": f"{_side}_knee",
                f"{_side}_shoulder": "chest", f"{_side}_elbow": f"{_side}_shoulder", f"{_side}_wrist": f"{_side}_elbow"}

_FACE = set(range(0, 11))
# MediaPipe's image z comes out ~3x the geometric "depth in units of image width" below
# (least-squares slope on measure.CALIBRATION_SET, `python -m training.data.measure calibrate`).
Z_SCALE = 3.08
SURFACE_MARGIN = 0.03    # face points sit on or just inside small features: ignore hits this close
JOINT_MARGIN = 0.01


@dataclass(frozen=True)
class Landmarks:
    """Per frame: image (F, 33, 5) = x, y, z, visibility, presence; world (F, 33, 3) metres."""
    image: np.ndarray
    world: np.ndarray
    points_3d: np.ndarray      # (F, 33, 3) the landmark points in the scene's world frame (y up)


def _owners() -> list[set[int]]:
    """Links whose shapes contain each landmark (a joint sits inside its two limbs): not occluders."""
    owners = []
    for k, (name, link, _) in enumerate(LANDMARKS):
        if k in _FACE:
            owners.append(set())
        elif name.endswith("shoulder"):
            owners.append({LINK_INDEX["chest"], LINK_INDEX[name]})
        else:
            owners.append({LINK_INDEX[link], LINK_INDEX[_PARENT[link]]})
    return owners


def _rpy_quat(rpy) -> np.ndarray:
    r, p, y = (v / 2.0 for v in rpy)
    cr, sr, cp, sp, cy, sy = np.cos(r), np.sin(r), np.cos(p), np.sin(p), np.cos(y), np.sin(y)
    return np.array([sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy,
                     cr * cp * sy - sr * sp * cy, cr * cp * cy + sr * sp * sy])


def _segment_distance(p0, p1, q0, q1) -> np.ndarray:
    """Smallest distance between segments p0-p1 and q0-q1 (broadcast over leading axes)."""
    d1, d2, r = p1 - p0, q1 - q0, p0 - q0
    a, e = np.sum(d1 * d1, -1), np.sum(d2 * d2, -1)
    b, c, f = np.sum(d1 * d2, -1), np.sum(d1 * r, -1), np.sum(d2 * r, -1)
    denom = a * e - b * b
    s = np.where(denom > 1e-12, np.clip((b * f - c * e) / np.where(denom > 1e-12, denom, 1.0), 0, 1), 0.0)
    t = (b * s + f) / np.where(e > 1e-12, e, 1.0)
    t_clipped = np.clip(t, 0, 1)
    s = np.where(t != t_clipped, np.clip((b * t_clipped - c) / np.where(a > 1e-12, a, 1.0), 0, 1), s)
    closest = (p0 + d1 * s[..., None]) - (q0 + d2 * t_clipped[..., None])
    return np.linalg.norm(closest, axis=-1)


def _segment_hits_box(p0, p1, center, orientation, half) -> np.ndarray:
    """Slab test of segments p0-p1 (..., 3) against boxes given in world frame."""
    inv = quat.conjugate(orientation)
    a = quat.rotate(inv, p0 - center)
    d = quat.rotate(inv, p1 - center) - a
    safe = np.where(np.abs(d) < 1e-12, 1e-12, d)
    t1, t2 = (-half - a) / safe, (half - a) / safe
    near = np.max(np.minimum(t1, t2), axis=-1)
    far = np.min(np.maximum(t1, t2), axis=-1)
    return (near <= far) & (far >= 0) & (near <= 1)


class Retargeter:
    """Landmarks from link frames (fast), or from poses through a kinematic pybullet scene."""

    def __init__(self, outfit: Outfit = Outfit(), *, calibrated: bool = True, z_scale: float = Z_SCALE):
        """`calibrated`: place landmarks where MediaPipe reports them on this body (CALIBRATED_POINTS);
        False: at the drawn features and joint centres. Visibility always uses the drawn points."""
        self._z_scale = z_scale
        self._link = np.array([LINK_INDEX[link] for _, link, _ in LANDMARKS])
        self._anatomical = np.array([point for _, _, point in LANDMARKS], dtype=float)
        self._local = np.array([CALIBRATED_POINTS[name] for name, _, _ in LANDMARKS], dtype=float) \
            if calibrated else self._anatomical
        self._owners = _owners()
        shapes = primitives(outfit)
        self._shape_link = np.array([LINK_INDEX[s[0]] for s in shapes])
        self._shape_kind = [s[1] for s in shapes]
        self._shape_size = [s[2] for s in shapes]
        self._shape_xyz = np.array([s[3] for s in shapes], dtype=float)
        self._shape_rot = np.array([_rpy_quat(s[4]) for s in shapes])
        # mask[k, j]: shape j can hide landmark k
        self._can_hide = np.array([[self._shape_link[j] not in self._owners[k] for j in range(len(shapes))]
                                   for k in range(33)])
        self._margin = np.array([SURFACE_MARGIN if k in _FACE else JOINT_MARGIN for k in range(33)])

    def points(self, link_pos: np.ndarray, link_orn: np.ndarray, *, anatomical: bool = False) -> np.ndarray:
        """Landmark points (F, 33, 3) in the world from link frames (F, 15, 3) and (F, 15, 4)."""
        local = self._anatomical if anatomical else self._local
        return link_pos[:, self._link] + quat.rotate(link_orn[:, self._link], local[None])

    def _occluded(self, points: np.ndarray, link_pos: np.ndarray, link_orn: np.ndarray, eye: np.ndarray) -> np.ndarray:
        """(F, 33) True where a drawn shape other than the landmark's own lies in front of it."""
        frames = points.shape[0]
        center = link_pos[:, self._shape_link] + quat.rotate(link_orn[:, self._shape_link], self._shape_xyz[None])
        orientation = quat.multiply(link_orn[:, self._shape_link], self._shape_rot[None])
        to_point = points - eye
        length = np.linalg.norm(to_point, axis=-1, keepdims=True)
        end = eye + to_point * (1.0 - self._margin[None, :, None] / length)        # stop short of the point
        start = np.broadcast_to(eye, end.shape)
        hidden = np.zeros((frames, 33), dtype=bool)
        for j, kind in enumerate(self._shape_kind):
            size = self._shape_size[j]
            c, o = center[:, j][:, None], orientation[:, j][:, None]
            if kind == "sphere":
                hit = _segment_distance(start, end, c, c) < size
            elif kind in ("capsule", "cylinder"):
                axis = quat.rotate(o, np.array([0.0, 0.0, size[1] / 2.0]))
                hit = _segment_distance(start, end, c - axis, c + axis) < size[0]
            else:
                hit = _segment_hits_box(start, end, c, o, np.asarray(size) / 2.0)
            hidden |= hit & self._can_hide[:, j][None]
        return hidden

    def from_frames(self, link_pos: np.ndarray, link_orn: np.ndarray, camera: Camera) -> Landmarks:
        points = self.points(link_pos, link_orn)
        xy, depth = camera.project(points)
        hips = (points[:, 23] + points[:, 24]) / 2.0
        _, hip_depth = camera.project(hips)
        focal = (camera.height / 2.0) / np.tan(np.radians(camera.fov_deg) / 2.0)       # pixels
        z = self._z_scale * (depth - hip_depth[:, None]) * focal / (camera.width * hip_depth[:, None])
        inside = np.all((xy >= 0.0) & (xy <= 1.0), axis=-1)
        drawn = self.points(link_pos, link_orn, anatomical=True)
        visible = inside & ~self._occluded(drawn, link_pos, link_orn, camera.eye)
        image = np.concatenate([xy, z[..., None], visible[..., None], inside[..., None]], axis=-1).astype(np.float32)

        # World landmarks: camera axes (x right, y down, z forward), origin between the hips.
        forward = np.asarray(camera.target) - camera.eye
        forward /= np.linalg.norm(forward)
        up = camera.up
        right = np.cross(forward, up)
        basis = np.stack([right, -up, forward])                                        # rows
        world = (points - hips[:, None]) @ basis.T
        return Landmarks(image, world.astype(np.float32), points)

    def from_poses(self, poses: Poses, camera: Camera, scene: HumanoidScene | None = None) -> Landmarks:
        """Landmarks for every pose, using `scene` (or a private kinematic one) for the link frames."""
        if scene is not None:
            return self.from_frames(*scene.frames_for(poses), camera)
        with HumanoidScene() as own:
            return self.from_frames(*own.frames_for(poses), camera)
