"""The numbers docs/data.md reports about the generators, from one command:

    python -m training.data.measure [--quick] [--json out.json]

- MediaPipe detection rate on rendered dance clips (several motions and cameras);
- gap between retargeted landmarks and what MediaPipe detects on the same frames, per body part;
- render/encode speed of a 10 s dance clip and a 10 s music clip on this machine;
- FluidSynth's note-start latency (min/mean/max), before and after synth.py's trim.

`python -m training.data.measure calibrate` refits the landmark points in body.py's link frames
(the table CALIBRATED_POINTS there) to MediaPipe's detections on a separate set of clips.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .choreography import DanceFaults
from .dance import make_dance_clip
from .mediapipe_check import Detections, detect, landmark_errors
from .scene import Camera

# (name, motion, bpm, camera, faults): the evaluation set. Calibration uses CALIBRATION_SET, which
# shares no motion/camera/seed combination with this one.
EVALUATION_SET = [
    ("dance_a-front", "dance_a", 120, Camera(), DanceFaults()),
    ("dance_b-front", "dance_b", 100, Camera(), DanceFaults()),
    ("dance_a-yaw25-near", "dance_a", 110, Camera(yaw_deg=25, distance=3.0), DanceFaults(amplitude=0.8)),
    ("dance_b-yaw-20-far-roll4", "dance_b", 126, Camera(yaw_deg=-20, distance=4.4, roll_deg=4), DanceFaults(mirror_beats=(4, 5, 6, 7))),
    ("walk-front", "walk", 116, Camera(elevation_deg=8), DanceFaults()),
    ("jump-left-shift", "jump", 96, Camera(target=(0.0, 0.9, 0.35)), DanceFaults()),
]
CALIBRATION_SET = [
    ("cal-dance_a-yaw-15", "dance_a", 104, Camera(yaw_deg=-15, distance=3.3), DanceFaults()),
    ("cal-dance_b-yaw15", "dance_b", 118, Camera(yaw_deg=15, distance=3.9, elevation_deg=6), DanceFaults()),
    ("cal-dance_a-front-mirror", "dance_a", 130, Camera(distance=4.0), DanceFaults(mirror_beats=tuple(range(0, 40, 2)))),
    ("cal-walk-yaw10", "walk", 100, Camera(yaw_deg=10), DanceFaults()),
]


@dataclass
class Measured:
    name: str
    truth_image: np.ndarray
    link_pos: np.ndarray
    link_orn: np.ndarray
    camera: Camera
    detections: Detections


def render_and_detect(name: str, motion: str, bpm: float, camera: Camera, faults: DanceFaults,
                      seconds: float = 10.0, seed: int = 0) -> Measured:
    clip = make_dance_clip(None, motion=motion, bpm=bpm, duration_s=seconds, camera=camera, faults=faults,
                           seed=seed, music=False, keep_frames=True)
    detections = detect(clip.frames, clip.choreography.fps)
    from .scene import HumanoidScene

    with HumanoidScene() as scene:
        link_pos, link_orn = scene.frames_for(clip.choreography.poses)
    return Measured(name, clip.landmarks.image, link_pos, link_orn, camera, detections)


def _cpu() -> float:
    """CPU seconds of this process and its finished children (FluidSynth runs as a child)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _speed(out: Path) -> dict:
    """Wall and CPU time; everything runs on one core (x264 and FluidSynth are single-threaded here)."""
    from .music import make_music_clip
    from .performance import CLEAN_EXPRESSIVE

    t0, c0 = time.perf_counter(), _cpu()
    clip = make_dance_clip(out / "speed.mp4", motion="dance_a", bpm=120, duration_s=10.0)
    dance = {"wall_s": round(time.perf_counter() - t0, 2), "cpu_s": round(_cpu() - c0, 2),
             "steps_wall_s": {k: round(v, 2) for k, v in clip.timings.items()}}
    t0, c0 = time.perf_counter(), _cpu()
    music = make_music_clip(out, piece_id="bach-bwv66.6", instrument="violin", max_beats=14, tempo_bpm=84,
                            expression=CLEAN_EXPRESSIVE, sample_rate=44100, stem="speed")
    return {"dance_10s_640x480_30fps_with_music": dance,
            "music_clip": {"audio_s": round(music.audio.size / music.sample_rate, 1),
                           "wall_s": round(time.perf_counter() - t0, 2), "cpu_s": round(_cpu() - c0, 2)}}


def fluidsynth_latency(notes_per_rate: int = 30) -> dict:
    """How late FluidSynth starts a note after its MIDI time, before and after synth.py's trim:
    single piano notes at random times, first non-zero output sample."""
    from .midi import write_performance_midi
    from .performance import PerformedNote
    from .synth import LATENCY_SAMPLES, render_midi

    rng = np.random.default_rng(0)
    report = {}
    with tempfile.TemporaryDirectory(prefix="perfscore-latency-") as scratch:
        for rate in (22050, 44100, 48000):
            delays = []
            for onset in rng.uniform(0.2, 3.0, notes_per_rate):
                onset = round(onset * 2000) / 2000                  # on the MIDI file's 0.5 ms ticks
                midi = write_performance_midi([PerformedNote(onset, onset + 0.05, 69.0, 90, 0)],
                                              Path(scratch) / "note.mid", tail_s=0.05)
                audio = render_midi(midi, sample_rate=rate)
                delays.append(np.flatnonzero(audio != 0)[0] - onset * rate)   # after the trim
            after = np.array(delays)
            before = after + LATENCY_SAMPLES
            report[str(rate)] = {"raw_samples": [round(float(before.min()), 1), round(float(before.mean()), 1),
                                                 round(float(before.max()), 1)],
                                 "after_trim_ms": [round(float(after.min() / rate * 1e3), 2),
                                                   round(float(after.mean() / rate * 1e3), 2),
                                                   round(float(after.max() / rate * 1e3), 2)]}
    return report


def evaluate(quick: bool = False) -> dict:
    """Detection rate and retarget error (calibrated landmarks; anatomical ones for comparison)."""
    from .retarget import Retargeter

    results = {"detection": {}, "retarget_error": {}, "retarget_error_anatomical": {}}
    truths, anatomical, detected = [], [], []
    plain = Retargeter(calibrated=False)
    for name, motion, bpm, camera, faults in EVALUATION_SET[:2] if quick else EVALUATION_SET:
        measured = render_and_detect(name, motion, bpm, camera, faults, seconds=5.0 if quick else 10.0)
        drawn = plain.from_frames(measured.link_pos, measured.link_orn, camera).image
        results["detection"][name] = {"frames": int(measured.detections.found.size),
                                      "rate": round(measured.detections.rate, 4)}
        results["retarget_error"][name] = landmark_errors(measured.truth_image, measured.detections,
                                                          camera.width, camera.height)["all"]
        truths.append(measured.truth_image)
        anatomical.append(drawn)
        detected.append(measured.detections)
        print(f"{name}: found {measured.detections.rate:.1%}", file=sys.stderr)
    merged = Detections(np.concatenate([d.found for d in detected]), np.concatenate([d.image for d in detected]),
                        np.concatenate([d.world for d in detected]))
    truth = np.concatenate(truths)
    results["detection"]["overall"] = round(merged.rate, 4)
    results["retarget_error"]["overall_by_part"] = landmark_errors(truth, merged, 640, 480)
    results["retarget_error_anatomical"] = landmark_errors(np.concatenate(anatomical), merged, 640, 480)
    found = merged.found
    ours, theirs = truth[found][..., 2].ravel(), merged.image[found][..., 2].ravel()
    # After retarget.Z_SCALE: ~1 if the calibration carries over; and how well z agrees at all.
    results["z_scale_residual"] = round(float(np.dot(ours, theirs) / np.dot(ours, ours)), 3)
    results["z_correlation"] = round(float(np.corrcoef(ours, theirs)[0, 1]), 3)
    return results


def calibrate() -> dict:
    """Least-squares (soft-L1) fit of each landmark's point in its link frame to MediaPipe's detections."""
    from scipy.optimize import least_squares

    from . import quat
    from .body import LANDMARKS
    from .retarget import Retargeter

    measured = [render_and_detect(*item) for item in CALIBRATION_SET]
    retargeter = Retargeter()
    fitted = {}
    for k, (name, link, point) in enumerate(LANDMARKS):
        rows = []
        for m in measured:
            use = m.detections.found & (m.truth_image[:, k, 3] > 0.5)
            rows.append((m, use))

        def residuals(local, k=k, rows=rows):
            out = []
            for m, use in rows:
                pos = m.link_pos[use][:, retargeter._link[k]]
                orn = m.link_orn[use][:, retargeter._link[k]]
                xy, _ = m.camera.project(pos + quat.rotate(orn, local[None]))
                det = m.detections.image[use, k, :2]
                out.append(((xy - det) * [m.camera.width, m.camera.height]).ravel())
            return np.concatenate(out)

        fit = least_squares(residuals, np.asarray(point, float), loss="soft_l1", f_scale=8.0)
        fitted[name] = fit.x
        print(f"{k:2d} {name:17s} {tuple(point)} -> {tuple(np.round(fit.x, 4))}", file=sys.stderr)
    points = {name: [round(float(v), 4) for v in point] for name, point in symmetrize(fitted).items()}
    # MediaPipe's z is "roughly the scale of x"; measure the factor between its z and our geometric one.
    ours, theirs = [], []
    for m in measured:
        unscaled = Retargeter(z_scale=1.0).from_frames(m.link_pos, m.link_orn, m.camera).image
        ours.append(unscaled[m.detections.found][..., 2].ravel())
        theirs.append(m.detections.image[m.detections.found][..., 2].ravel())
    ours, theirs = np.concatenate(ours), np.concatenate(theirs)
    return {"points": points, "z_scale": round(float(np.dot(ours, theirs) / np.dot(ours, ours)), 2)}


def symmetrize(points: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The body is left-right symmetric: average each left/right pair (z mirrored); centre the nose."""
    out = {}
    for name, point in points.items():
        if name.startswith(("left_", "right_")) or name.startswith("mouth_"):
            twin = (name.replace("left", "@").replace("right", "left").replace("@", "right"))
            mean = (np.asarray(point) + np.asarray(points[twin]) * [1, 1, -1]) / 2
            out[name] = mean
        else:
            out[name] = np.asarray(point) * [1, 1, 0]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.data.measure", description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", default="all", choices=["all", "quality", "speed", "latency", "calibrate"])
    parser.add_argument("--quick", action="store_true", help="two 5 s clips instead of six 10 s clips")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    results = {}
    if args.what == "calibrate":
        results["calibration"] = calibrate()
    if args.what in ("all", "quality"):
        results |= evaluate(quick=args.quick)
    if args.what in ("all", "latency"):
        results["fluidsynth_latency"] = fluidsynth_latency()
    if args.what in ("all", "speed"):
        with tempfile.TemporaryDirectory(prefix="perfscore-measure-") as scratch:
            results["speed"] = _speed(Path(scratch))
    text = json.dumps(results, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
