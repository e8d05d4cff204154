"""One call from a mocap clip and a tempo to a dance video with music and full ground truth.

    clip = make_dance_clip("out/on_beat.mp4", motion="dance_a", bpm=120, duration_s=10)

writes the video (H.264 + AAC by default, any container mux.py knows), `<stem>.truth.json`
(beats, kinematic beats, offsets, faults, camera) and `<stem>.truth.npz` (per frame: 3-D joint
positions of what is danced and of the fault-free reference, 33 retargeted landmarks), and
returns them in a DanceClip.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from .accompaniment import beat_grid, render_accompaniment
from .body import Outfit
from .choreography import Choreography, DanceFaults, choreograph
from .mux import write_video
from .retarget import Landmarks, Retargeter
from .scene import LINK_NAMES, Camera, HumanoidScene, Stage


@dataclass
class DanceClip:
    choreography: Choreography
    camera: Camera
    joints: np.ndarray                 # (F, 15, 3) world positions of the humanoid's link frames (LINK_NAMES)
    reference_joints: np.ndarray       # (F, 15, 3) the same for the fault-free choreography
    landmarks: Landmarks               # retargeted MediaPipe landmarks of what is danced
    audio: np.ndarray | None
    sample_rate: int
    audio_offset_s: float
    audio_start_s: float
    video_path: Path | None = None
    frames: list[np.ndarray] | None = None
    timings: dict = field(default_factory=dict)

    def truth(self) -> dict:
        c = self.choreography
        return c.truth() | {
            "frames": int(len(c.frame_times)),
            "width": self.camera.width, "height": self.camera.height,
            "camera": asdict(self.camera),
            "audio_offset_s": self.audio_offset_s,
            "audio_stream_start_s": self.audio_start_s,
            # Where the music's beats are heard on the file's timeline.
            "audio_beat_times_s": [round(float(t + self.audio_offset_s + self.audio_start_s), 6)
                                   for t in c.beat_times],
            "sample_rate": self.sample_rate,
            "link_names": LINK_NAMES,
        }


def render_frames(choreography: Choreography, camera: Camera, scene: HumanoidScene) -> Iterator[np.ndarray]:
    for i in range(len(choreography.poses)):
        scene.set_pose(choreography.poses, i)
        yield scene.render(camera)


def make_dance_clip(video_path: str | Path | None = None, *, motion: str = "dance_a", bpm: float = 120.0,
                    duration_s: float = 10.0, first_beat_s: float = 0.5, fps: float = 30.0,
                    camera: Camera = Camera(), outfit: Outfit = Outfit(), stage: Stage = Stage(),
                    faults: DanceFaults = DanceFaults(), seed: int = 0, music: bool = True,
                    audio_offset_s: float = 0.0, audio_start_s: float = 0.0, sample_rate: int = 44100,
                    keep_frames: bool = False, crf: int = 23) -> DanceClip:
    """Dance `motion` on a `bpm` grid (first beat at `first_beat_s`) for `duration_s` seconds.

    With `video_path` None nothing is rendered or written: only the ground truth (joints,
    landmarks) is computed, which is what a training corpus without pixels needs.
    """
    timings = {}
    start = time.perf_counter()
    beats = beat_grid(bpm, duration_s, first_beat_s)
    dance = choreograph(beats, motion=motion, duration_s=duration_s, fps=fps, faults=faults, seed=seed)
    retargeter = Retargeter(outfit)
    frames: list[np.ndarray] | None = [] if keep_frames else None
    with HumanoidScene(outfit, stage) as scene:
        reference_joints, _ = scene.frames_for(dance.reference)
        joints, orientations = scene.frames_for(dance.poses)
        landmarks = retargeter.from_frames(joints, orientations, camera)
        timings["pose_s"] = time.perf_counter() - start

        audio = None
        if music:
            t0 = time.perf_counter()
            with tempfile.TemporaryDirectory(prefix="perfscore-dance-") as scratch:
                audio, _ = render_accompaniment(beats, duration_s, sample_rate=sample_rate, scratch=scratch)
            timings["music_s"] = time.perf_counter() - t0

        if video_path is not None:
            t0 = time.perf_counter()
            video_path = Path(video_path)
            video_path.parent.mkdir(parents=True, exist_ok=True)
            stream = render_frames(dance, camera, scene)
            if frames is not None:
                stream = _keep(stream, frames)
            write_video(video_path, stream, fps, audio=audio, sample_rate=sample_rate,
                        audio_offset_s=audio_offset_s, audio_start_s=audio_start_s, crf=crf)
            timings["render_and_encode_s"] = time.perf_counter() - t0
        elif keep_frames:
            frames = list(render_frames(dance, camera, scene))
    timings["total_s"] = time.perf_counter() - start

    clip = DanceClip(dance, camera, joints, reference_joints, landmarks, audio, sample_rate,
                     audio_offset_s, audio_start_s, video_path, frames, timings)
    if video_path is not None:
        write_truth(clip, video_path.with_suffix(""))
    return clip


def _keep(stream: Iterator[np.ndarray], into: list) -> Iterator[np.ndarray]:
    for frame in stream:
        into.append(frame)
        yield frame


def write_truth(clip: DanceClip, stem: str | Path) -> tuple[Path, Path]:
    """`<stem>.truth.json` (summary) and `<stem>.truth.npz` (per-frame arrays)."""
    stem = Path(stem)
    json_path = stem.parent / f"{stem.name}.truth.json"
    npz_path = stem.parent / f"{stem.name}.truth.npz"
    json_path.write_text(json.dumps(clip.truth(), indent=1))
    c = clip.choreography
    np.savez_compressed(npz_path, frame_times=c.frame_times, motion_times=c.motion_times,
                        joints=clip.joints.astype(np.float32), reference_joints=clip.reference_joints.astype(np.float32),
                        landmarks_image=clip.landmarks.image, landmarks_world=clip.landmarks.world,
                        frozen=c.frozen, mirrored=c.mirrored.astype(np.float32))
    return json_path, npz_path
