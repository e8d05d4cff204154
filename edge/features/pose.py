"""Pose: MediaPipe Tasks PoseLandmarker in VIDEO mode on the .task bundle shipped in models/.

Every frame handed in gives one row of the track; frames without a person are kept as rows
of NaN with `present = False`, never dropped, so times stay aligned with the video.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config.features import PoseConfig
from ..errors import ModelError
from ..models import ModelInfo, verify_model
from ..native_stderr import native_stderr_to_log
from ..sources.base import VideoFrame
from .landmarks import N_LANDMARKS

log = logging.getLogger(__name__)


@dataclass
class PoseTrack:
    """Landmarks of one person over time. Rows are analysed frames; NaN where no person was found."""

    times: np.ndarray        # (N,) seconds
    frame_index: np.ndarray  # (N,) index in the video stream
    image: np.ndarray        # (N, 33, 3) x, y in [0, 1] of width/height; z relative depth (x's scale)
    world: np.ndarray        # (N, 33, 3) metres, origin between the hips
    visibility: np.ndarray   # (N, 33) in [0, 1]
    present: np.ndarray      # (N,) bool: a person was found
    fps: float               # rate of rows (video fps / frame stride)
    width: int = 0           # frame size the image coordinates refer to
    height: int = 0
    model: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.times)

    @property
    def person_frames(self) -> int:
        return int(self.present.sum())

class PoseEstimator:
    """Wraps PoseLandmarker; feed frames in time order, then take the `track()`."""

    def __init__(self, config: PoseConfig, fps: float):
        from mediapipe.tasks.python import BaseOptions, vision

        path = Path(config.model_path)
        entry = verify_model(path)
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=config.min_detection_confidence,
            min_pose_presence_confidence=config.min_presence_confidence,
            min_tracking_confidence=config.min_tracking_confidence,
        )
        try:
            with native_stderr_to_log(log, "MediaPipe start-up"):
                self._landmarker = vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"{path}: MediaPipe cannot load this pose model ({exc})") from None
        self.stride = config.frame_stride
        self.fps = fps / self.stride
        self.info = ModelInfo.of_file(path, entry, "mediapipe-tasks")
        self.model = self.info.to_dict()    # PoseTrack keeps it as a dict: analyses and references store it
        self._rows: list[tuple] = []
        self._last_ms = -1
        self.width = self.height = 0

    def wants(self, frame: VideoFrame) -> bool:
        return frame.index % self.stride == 0

    def add(self, frame: VideoFrame) -> bool:
        """Estimate the pose in one frame; returns whether a person was found."""
        import mediapipe as mp

        # VIDEO mode needs strictly increasing integer milliseconds.
        ms = max(int(round(frame.t * 1000)), self._last_ms + 1)
        self._last_ms = ms
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame.image))
        self.height, self.width = frame.image.shape[:2]
        if self._rows:
            result = self._landmarker.detect_for_video(image, ms)
        else:
            with native_stderr_to_log(log, "MediaPipe first frame"):  # the graph logs its set-up here
                result = self._landmarker.detect_for_video(image, ms)
        if not result.pose_landmarks:
            self._rows.append((frame.t, frame.index, None, None, None))
            return False
        image_lm = result.pose_landmarks[0]
        world_lm = result.pose_world_landmarks[0]
        self._rows.append((
            frame.t, frame.index,
            np.array([(p.x, p.y, p.z) for p in image_lm], dtype=np.float32),
            np.array([(p.x, p.y, p.z) for p in world_lm], dtype=np.float32),
            np.array([p.visibility for p in image_lm], dtype=np.float32),
        ))
        return True

    def track(self, last: int | None = None) -> PoseTrack:
        """The track so far; `last`: only its last rows (a live window, without copying the whole take)."""
        rows = self._rows[-last:] if last else list(self._rows)   # a copy: add() may append meanwhile
        n = len(rows)
        image = np.full((n, N_LANDMARKS, 3), np.nan, np.float32)
        world = np.full((n, N_LANDMARKS, 3), np.nan, np.float32)
        visibility = np.full((n, N_LANDMARKS), np.nan, np.float32)
        present = np.zeros(n, bool)
        for i, (_, _, img, wld, vis) in enumerate(rows):
            if img is not None:
                image[i], world[i], visibility[i], present[i] = img, wld, vis, True
        return PoseTrack(
            times=np.array([r[0] for r in rows], float),
            frame_index=np.array([r[1] for r in rows], int),
            image=image, world=world, visibility=visibility, present=present,
            fps=self.fps, width=self.width, height=self.height, model=self.model,
        )

    def close(self) -> None:
        if getattr(self, "_landmarker", None) is not None:
            self._landmarker.close()
            self._landmarker = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
