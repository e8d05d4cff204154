"""Run the real MediaPipe PoseLandmarker (the box's models/pose_landmarker_full.task) over frames,
to check that rendered dancers are found and how far the retargeted landmarks are from the
detected ones, with the box's own pose estimator (edge/features/pose.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from edge.config.features import PoseConfig
from edge.errors import PerfscoreError
from edge.features.pose import PoseEstimator
from edge.sources.base import VideoFrame

from .body import BODY_PARTS

POSE_TASK = Path(__file__).resolve().parents[2] / "models" / "pose_landmarker_full.task"


@dataclass(frozen=True)
class Detections:
    found: np.ndarray          # (F,) bool
    image: np.ndarray          # (F, 33, 4) x, y, z, visibility (NaN where not found)
    world: np.ndarray          # (F, 33, 3)

    @property
    def rate(self) -> float:
        return float(self.found.mean()) if self.found.size else 0.0


def detect(frames: Iterable[np.ndarray], fps: float, model: str | Path = POSE_TASK) -> Detections:
    """The box's own pose estimator (edge.features.pose) over RGB uint8 frames (one person at most)."""
    model = Path(model)
    if not model.is_file():
        raise PerfscoreError(f"{model}: pose model not found (it ships in models/; see export/build_pose_task.sh)")
    with PoseEstimator(PoseConfig(model_path=model), fps=fps) as estimator:
        for i, frame in enumerate(frames):
            if frame.ndim == 2:
                frame = np.repeat(frame[..., None], 3, axis=-1)
            estimator.add(VideoFrame(t=i / fps, index=i, image=frame[..., :3]))
        track = estimator.track()
    image = np.concatenate([track.image, track.visibility[..., None]], axis=-1).astype(float)
    return Detections(track.present, image, track.world.astype(float))


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
