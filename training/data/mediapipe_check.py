"""Run the real MediaPipe PoseLandmarker (the box's models/pose_landmarker_full.task) over frames,
to check that rendered dancers are found and how far the retargeted landmarks are from the
detected ones. Workstation-side checking of generated data, not the box's pose pipeline
(that is edge/features/pose.py).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from edge.errors import PerfscoreError

from .body import BODY_PARTS

POSE_TASK = Path(__file__).resolve().parents[2] / "models" / "pose_landmarker_full.task"


@dataclass(frozen=True)
class Detections:
    found: np.ndarray          # (F,) bool
    image: np.ndarray          # (F, 33, 5) x, y, z, visibility, presence (NaN where not found)
    world: np.ndarray          # (F, 33, 3)

    @property
    def rate(self) -> float:
        return float(self.found.mean()) if self.found.size else 0.0


@contextmanager
def _quiet_native_stderr():
    """MediaPipe's C++ logs to fd 2 on start-up; keep test output readable."""
    saved = os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def detect(frames: Iterable[np.ndarray], fps: float, model: str | Path = POSE_TASK) -> Detections:
    """PoseLandmarker in VIDEO mode over RGB uint8 frames (one person at most)."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    model = Path(model)
    if not model.is_file():
        raise PerfscoreError(f"{model}: pose model not found (it ships in models/; see export/build_pose_task.sh)")
    options = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(model)),
                                           running_mode=vision.RunningMode.VIDEO, num_poses=1)
    found, image, world = [], [], []
    with _quiet_native_stderr():
        landmarker = vision.PoseLandmarker.create_from_options(options)
    try:
        for i, frame in enumerate(frames):
            if frame.ndim == 2:
                frame = np.repeat(frame[..., None], 3, axis=-1)
            result = landmarker.detect_for_video(
                mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame[..., :3])),
                int(round(i * 1000.0 / fps)))
            if result.pose_landmarks:
                found.append(True)
                image.append([[p.x, p.y, p.z, p.visibility, p.presence] for p in result.pose_landmarks[0]])
                world.append([[p.x, p.y, p.z] for p in result.pose_world_landmarks[0]])
            else:
                found.append(False)
                image.append(np.full((33, 5), np.nan))
                world.append(np.full((33, 3), np.nan))
    finally:
        landmarker.close()
    return Detections(np.array(found), np.array(image, dtype=float), np.array(world, dtype=float))


def landmark_errors(truth: np.ndarray, detections: Detections, width: int, height: int) -> dict:
    """Distance between true (F, 33, >=2) and detected image landmarks per body part, over frames
    where the person was found and (if the truth has a visibility column) the landmark is visible.
    `*_norm`: Euclidean distance in MediaPipe's normalised coordinates (x / width, y / height);
    `*_px`: in pixels."""
    mask = np.broadcast_to(detections.found[:, None], truth.shape[:2])
    if truth.shape[-1] > 3:
        mask = mask & (truth[..., 3] > 0.5)
    dx_norm = detections.image[..., 0] - truth[..., 0]
    dy_norm = detections.image[..., 1] - truth[..., 1]
    norm = np.hypot(dx_norm, dy_norm)
    pixels = np.hypot(dx_norm * width, dy_norm * height)
    report = {}
    for part, index in [*BODY_PARTS.items(), ("all", list(range(33)))]:
        px, nm = pixels[:, index][mask[:, index]], norm[:, index][mask[:, index]]
        if px.size:
            report[part] = {"mean_px": round(float(px.mean()), 2), "median_px": round(float(np.median(px)), 2),
                            "p90_px": round(float(np.percentile(px, 90)), 2),
                            "mean_norm": round(float(nm.mean()), 4), "median_norm": round(float(np.median(nm)), 4),
                            "n": int(px.size)}
    return report
