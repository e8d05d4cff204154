"""Retargeted landmarks → the PoseTrack the box would have produced, with estimator-like errors.

The retargeter gives exact landmarks for the render camera (camera variation — distance, yaw,
elevation, roll, target shift — is applied there, through `scene.Camera`). What a real pose
estimator adds on top is modelled here, seeded:
- landmark noise: Gaussian, per coordinate, on world (m) and image (normalised) landmarks, with a
  slowly varying part (smoothed noise: estimates wobble rather than flicker) and a frame-to-frame part;
- occluded joints: landmarks the geometry hides get 3× the noise and visibility ≈ 0.1; besides
  those, random occlusion events hide one limb for a stretch of frames;
- dropped frames: short bursts with no person found (NaN rows, present False), as when the
  detector loses the dancer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from edge.features.landmarks import INDEX, N_LANDMARKS
from edge.features.pose import PoseTrack

LIMBS = {
    "left_arm": ("left_elbow", "left_wrist", "left_pinky", "left_index", "left_thumb"),
    "right_arm": ("right_elbow", "right_wrist", "right_pinky", "right_index", "right_thumb"),
    "left_leg": ("left_knee", "left_ankle", "left_heel", "left_foot_index"),
    "right_leg": ("right_knee", "right_ankle", "right_heel", "right_foot_index"),
}


@dataclass(frozen=True)
class EstimatorNoise:
    world_sd_m: float = 0.015          # per-coordinate noise of world landmarks
    image_sd: float = 0.004            # per-coordinate noise of image landmarks (fraction of width/height)
    drift_share: float = 0.6           # share of the noise variance that varies slowly (σ 0.2 s)
    occluded_factor: float = 3.0       # noise multiplier for landmarks the geometry hides
    occlusion_events_per_10s: float = 1.0
    occlusion_s: tuple[float, float] = (0.3, 1.2)
    drop_bursts_per_10s: float = 1.0
    drop_frames: tuple[int, int] = (1, 6)

    def to_dict(self) -> dict:
        return asdict(self)




def _noise(rng: np.random.Generator, shape: tuple, sd: float, drift_share: float, fps: float) -> np.ndarray:
    if sd <= 0:
        return np.zeros(shape, np.float32)
    fast = rng.normal(0.0, sd * np.sqrt(1 - drift_share), shape)
    slow = gaussian_filter1d(rng.normal(0.0, 1.0, shape), sigma=0.2 * fps, axis=0, mode="nearest")
    slow *= sd * np.sqrt(drift_share) / max(float(slow.std()), 1e-9)
    return (fast + slow).astype(np.float32)


def track_from_landmarks(image: np.ndarray, world: np.ndarray, frame_times: np.ndarray, *, fps: float,
                         width: int, height: int, noise: EstimatorNoise = EstimatorNoise(),
                         seed: int = 0) -> PoseTrack:
    """image (F, 33, 5) = x, y, z, visibility, presence and world (F, 33, 3) from `retarget` → PoseTrack."""
    rng = np.random.default_rng(seed)
    n = len(frame_times)
    visible = image[..., 3].astype(bool)
    hidden = ~visible
    for _ in range(rng.poisson(noise.occlusion_events_per_10s * n / fps / 10.0)):
        limb = LIMBS[rng.choice(sorted(LIMBS))]
        start = int(rng.integers(0, n))
        length = int(rng.uniform(*noise.occlusion_s) * fps)
        hidden[start:start + length, [INDEX[j] for j in limb]] = True
    scale = np.where(hidden, noise.occluded_factor, 1.0)[..., None].astype(np.float32)

    world_out = world.astype(np.float32) + scale * _noise(rng, world.shape, noise.world_sd_m, noise.drift_share, fps)
    image_out = image[..., :3].astype(np.float32).copy()
    image_out[..., :2] += scale[..., :1] * _noise(rng, image[..., :2].shape, noise.image_sd, noise.drift_share, fps)
    visibility = np.where(hidden, rng.uniform(0.02, 0.3, hidden.shape), rng.uniform(0.85, 1.0, hidden.shape))

    present = np.ones(n, bool)
    for _ in range(rng.poisson(noise.drop_bursts_per_10s * n / fps / 10.0)):
        start = int(rng.integers(0, n))
        present[start:start + int(rng.integers(noise.drop_frames[0], noise.drop_frames[1] + 1))] = False
    world_out[~present] = np.nan
    image_out[~present] = np.nan
    visibility = visibility.astype(np.float32)
    visibility[~present] = np.nan
    assert world_out.shape[1] == N_LANDMARKS
    return PoseTrack(times=np.asarray(frame_times, float), frame_index=np.arange(n), image=image_out,
                     world=world_out, visibility=visibility, present=present, fps=fps, width=width,
                     height=height, model={"name": "retargeted-mocap", "backend": "training.data.retarget"})
