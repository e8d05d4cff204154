"""pybullet scene: the dressed humanoid posed kinematically, a floor, a back wall, a camera, and
offscreen rendering with TinyRenderer (pure CPU, deterministic, no display needed).

Each HumanoidScene owns its own DIRECT-mode physics client, so scenes in different threads or
fixtures do not interfere. Nothing is simulated: poses are set with resetJointStatesMultiDof.
"""

from __future__ import annotations

import math
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.errors import PerfscoreError

from .body import Outfit, dressed_urdf
from .mocap import REVOLUTE, SPHERICAL, Poses

# Link (= joint) indices in humanoid.urdf, shared by the dressed copy.
LINK_INDEX = {"root": 0, "chest": 1, "neck": 2, "right_hip": 3, "right_knee": 4, "right_ankle": 5,
              "right_shoulder": 6, "right_elbow": 7, "right_wrist": 8, "left_hip": 9, "left_knee": 10,
              "left_ankle": 11, "left_shoulder": 12, "left_elbow": 13, "left_wrist": 14}
LINK_NAMES = sorted(LINK_INDEX, key=LINK_INDEX.get)
_MOVING = [LINK_INDEX[j] for j in SPHERICAL] + [LINK_INDEX[j] for j in REVOLUTE]
_AWAY = [0.0, -1000.0, 0.0]       # where bodies wait when they are not drawn (off every camera)


@dataclass(frozen=True)
class Camera:
    """A pinhole camera looking at `target` from `distance` m. yaw 0 puts it in front of the
    dancer (on +x); positive elevation looks down; roll tilts the picture."""
    width: int = 640
    height: int = 480
    distance: float = 3.6
    yaw_deg: float = 0.0
    elevation_deg: float = 3.0
    roll_deg: float = 0.0
    target: tuple[float, float, float] = (0.0, 0.85, 0.0)
    fov_deg: float = 45.0            # vertical field of view
    near: float = 0.1
    far: float = 30.0

    @property
    def eye(self) -> np.ndarray:
        yaw, elev = math.radians(self.yaw_deg), math.radians(self.elevation_deg)
        direction = np.array([math.cos(elev) * math.cos(yaw), math.sin(elev), -math.cos(elev) * math.sin(yaw)])
        return np.asarray(self.target) + self.distance * direction

    @property
    def up(self) -> np.ndarray:
        forward = np.asarray(self.target) - self.eye
        forward /= np.linalg.norm(forward)
        up = np.array([0.0, 1.0, 0.0])
        up = up - forward * np.dot(up, forward)
        up /= np.linalg.norm(up)
        roll = math.radians(self.roll_deg)     # Rodrigues rotation of `up` about the viewing axis
        return up * math.cos(roll) + np.cross(forward, up) * math.sin(roll)

    def view_matrix(self) -> list[float]:
        import pybullet

        return pybullet.computeViewMatrix(self.eye.tolist(), list(self.target), self.up.tolist())

    def projection_matrix(self) -> list[float]:
        import pybullet

        return pybullet.computeProjectionMatrixFOV(self.fov_deg, self.width / self.height, self.near, self.far)

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points (..., 3) -> (normalised image x, y in [0, 1] from the top-left, (...)
        distance along the viewing axis in metres)."""
        view = np.asarray(self.view_matrix()).reshape(4, 4).T          # pybullet matrices are column-major
        proj = np.asarray(self.projection_matrix()).reshape(4, 4).T
        homogeneous = np.concatenate([points, np.ones(points.shape[:-1] + (1,))], axis=-1)
        eye_space = homogeneous @ view.T
        clip = eye_space @ proj.T
        ndc = clip[..., :3] / clip[..., 3:4]
        xy = np.stack([(ndc[..., 0] + 1.0) / 2.0, (1.0 - ndc[..., 1]) / 2.0], axis=-1)
        return xy, -eye_space[..., 2]


@dataclass(frozen=True)
class Stage:
    floor_rgb: tuple[float, float, float] = (0.55, 0.50, 0.45)
    wall_rgb: tuple[float, float, float] = (0.80, 0.82, 0.85)
    wall_distance: float = 3.0           # behind the dancer, seen from the camera
    light_direction: tuple[float, float, float] = (2.0, 3.0, 1.0)
    ambient: float = 0.6
    diffuse: float = 0.5
    specular: float = 0.05


@contextmanager
def _quiet_stdout():
    """pybullet's URDF importer prints warnings from C straight to fd 1/2; keep test output clean."""
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


class HumanoidScene:
    def __init__(self, outfit: Outfit = Outfit(), stage: Stage = Stage()):
        try:
            import pybullet
        except ImportError:
            raise PerfscoreError("pybullet is not installed: pip install -e '.[train]'") from None
        self._p = pybullet
        self.stage = stage
        with _quiet_stdout():
            self.client = pybullet.connect(pybullet.DIRECT)
            with tempfile.TemporaryDirectory(prefix="perfscore-humanoid-") as scratch:
                urdf = Path(scratch) / "dancer.urdf"
                urdf.write_text(dressed_urdf(outfit))
                self.body = pybullet.loadURDF(str(urdf), [0, 0, 0], useFixedBase=True,
                                              flags=pybullet.URDF_MAINTAIN_LINK_ORDER, physicsClientId=self.client)
        floor = pybullet.createVisualShape(pybullet.GEOM_BOX, halfExtents=[8, 0.01, 8],
                                           rgbaColor=[*stage.floor_rgb, 1], physicsClientId=self.client)
        self._floor = pybullet.createMultiBody(0, -1, floor, _AWAY, physicsClientId=self.client)
        wall = pybullet.createVisualShape(pybullet.GEOM_BOX, halfExtents=[0.01, 4, 8],
                                          rgbaColor=[*stage.wall_rgb, 1], physicsClientId=self.client)
        self._wall = pybullet.createMultiBody(0, -1, wall, _AWAY, physicsClientId=self.client)
        self._background: tuple[Camera, np.ndarray, np.ndarray] | None = None

    def close(self) -> None:
        if self.client is not None:
            self._p.disconnect(physicsClientId=self.client)
            self.client = None

    def __enter__(self) -> "HumanoidScene":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def set_pose(self, poses: Poses, i: int) -> None:
        p = self._p
        p.resetBasePositionAndOrientation(self.body, poses.root_pos[i].tolist(), poses.root_rot[i].tolist(),
                                          physicsClientId=self.client)
        targets = [q.tolist() for q in poses.rot[i]] + [[a] for a in poses.angle[i]]
        p.resetJointStatesMultiDof(self.body, _MOVING, targets, physicsClientId=self.client)

    def link_frames(self) -> tuple[np.ndarray, np.ndarray]:
        """World position (15, 3) and orientation (15, 4) of every link frame, in LINK_NAMES order."""
        states = self._p.getLinkStates(self.body, list(range(len(LINK_NAMES))), computeForwardKinematics=1,
                                       physicsClientId=self.client)
        return np.array([s[4] for s in states]), np.array([s[5] for s in states])

    def frames_for(self, poses: Poses) -> tuple[np.ndarray, np.ndarray]:
        """Link frames for every pose: positions (N, 15, 3), orientations (N, 15, 4)."""
        positions, orientations = [], []
        for i in range(len(poses)):
            self.set_pose(poses, i)
            pos, orn = self.link_frames()
            positions.append(pos)
            orientations.append(orn)
        return np.array(positions), np.array(orientations)

    def _snapshot(self, camera: Camera) -> tuple[np.ndarray, np.ndarray]:
        p = self._p
        st = self.stage
        _, _, rgba, depth, _ = p.getCameraImage(
            camera.width, camera.height, camera.view_matrix(), camera.projection_matrix(),
            renderer=p.ER_TINY_RENDERER, flags=p.ER_NO_SEGMENTATION_MASK, shadow=0,
            lightDirection=list(st.light_direction), lightAmbientCoeff=st.ambient,
            lightDiffuseCoeff=st.diffuse, lightSpecularCoeff=st.specular, physicsClientId=self.client)
        rgb = np.asarray(rgba, dtype=np.uint8).reshape(camera.height, camera.width, 4)[..., :3]
        return rgb, np.asarray(depth, dtype=np.float32).reshape(camera.height, camera.width)

    def _background_for(self, camera: Camera) -> tuple[np.ndarray, np.ndarray]:
        """Floor and wall rendered once per camera. TinyRenderer scans the screen box of every
        triangle, so big floor/wall boxes cost ~50 ms a frame; the humanoid alone costs ~13 ms."""
        if self._background is not None and self._background[0] == camera:
            return self._background[1], self._background[2]
        p = self._p
        yaw = math.radians(camera.yaw_deg)
        d = self.stage.wall_distance
        wall_at = [camera.target[0] - d * math.cos(yaw), 4.0, camera.target[2] + d * math.sin(yaw)]
        hidden = [p.getBasePositionAndOrientation(self.body, physicsClientId=self.client)]
        p.resetBasePositionAndOrientation(self.body, _AWAY, [0, 0, 0, 1], physicsClientId=self.client)
        p.resetBasePositionAndOrientation(self._floor, [0, -0.01, 0], [0, 0, 0, 1], physicsClientId=self.client)
        p.resetBasePositionAndOrientation(self._wall, wall_at, p.getQuaternionFromEuler([0, yaw, 0]),
                                          physicsClientId=self.client)
        rgb, depth = self._snapshot(camera)
        for body in (self._floor, self._wall):
            p.resetBasePositionAndOrientation(body, _AWAY, [0, 0, 0, 1], physicsClientId=self.client)
        p.resetBasePositionAndOrientation(self.body, *hidden[0], physicsClientId=self.client)
        self._background = (camera, rgb, depth)
        return rgb, depth

    def render(self, camera: Camera) -> np.ndarray:
        """RGB uint8 (height, width, 3) of the current pose in front of the floor and wall."""
        background, background_depth = self._background_for(camera)
        rgb, depth = self._snapshot(camera)
        person = depth < background_depth          # also hides a foot that dips below the floor
        out = background.copy()
        np.copyto(out, rgb, where=person[..., None])
        return out
