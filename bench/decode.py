"""Decode cost per frame of the file source, on the clip the box sees most: 640×480, 30 fps, H.264 + AAC.

    .venv/bin/python bench/decode.py            # writes bench/results/decode.json

A 60 s clip is generated once (textured, moving, noisy like a camera sensor, 1.5 Mbit/s; cached in .cache/)
and read to the end through `FileSource` exactly as analysis reads it (RGB frames; audio mixed to
mono float32 at the analysis rate). Configurations run round-robin, `--repeats` times each; the
best run is reported (others share this machine), with every run kept. CPU time counts all threads of the
process, so codec threads cannot hide their cost. For scale: MediaPipe pose takes ~17 ms per
640×480 frame on one x86 core (FACTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge.sources.base import VideoFrame  # noqa: E402
from edge.sources.file import DEFAULT_SAMPLE_RATE, FileSource  # noqa: E402

WIDTH, HEIGHT, FPS = 640, 480, 30
AUDIO_RATE = 44100
ANALYSIS_RATE = DEFAULT_SAMPLE_RATE   # the audio features' rate (settings.audio.sample_rate)
VIDEO_BITRATE = 1_500_000   # what USB cameras and phones spend on 640×480 at 30 fps; decode cost follows it


def camera_like_frame(i: int, grid: tuple[np.ndarray, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """A lit room with texture, a figure moving across it, and sensor noise."""
    yy, xx = grid
    t = i / FPS
    room = 110 + 40 * np.sin(xx / 37.0 + 0.3 * np.sin(t)) * np.cos(yy / 53.0) + 25 * np.sin((xx + yy) / 11.0)
    image = np.repeat(room[..., None], 3, axis=2) * np.array([1.0, 0.93, 0.85])
    cx = int(WIDTH / 2 + 200 * np.sin(2 * np.pi * t / 4))
    cy = int(HEIGHT / 2 + 40 * np.sin(2 * np.pi * t))
    image[max(0, cy - 150): cy + 150, max(0, cx - 40): cx + 40] = (200, 120, 90)   # body
    image[max(0, cy - 200): cy - 150, max(0, cx - 25): cx + 25] = (230, 190, 160)  # head
    image += rng.normal(0, 8, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def write_clip(path: Path, seconds: float) -> None:
    rng = np.random.default_rng(0)
    grid = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as container:
        video = container.add_stream("libx264", rate=FPS, options={"preset": "veryfast"})
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.bit_rate = VIDEO_BITRATE
        video.time_base = Fraction(1, FPS)
        audio = container.add_stream("aac", rate=AUDIO_RATE)
        audio.layout = "stereo"
        for i in range(int(seconds * FPS)):
            frame = av.VideoFrame.from_ndarray(camera_like_frame(i, grid, rng), format="rgb24")
            frame.pts = i
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        t = np.arange(int(seconds * AUDIO_RATE)) / AUDIO_RATE
        music = (0.2 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 2 * t)) / 2
                 + 0.02 * rng.normal(size=t.size)).astype(np.float32)
        for pos in range(0, music.size, 1024):
            block = np.repeat(music[pos: pos + 1024][None], 2, axis=0)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block), format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = AUDIO_RATE, pos
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    tmp.rename(path)


def run_file_source(path: Path, *, audio: bool, threads: int) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    frames = samples = 0
    with FileSource(path, sample_rate=ANALYSIS_RATE, audio=audio, decode_threads=threads) as source:
        for item in source:
            if isinstance(item, VideoFrame):
                frames += 1
            else:
                samples += item.samples.size
    return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
            "frames": frames, "audio_s": samples / ANALYSIS_RATE}


def run_bare_decode(path: Path, *, audio: bool, threads: int, rgb: bool = False) -> dict:
    """PyAV decode alone (no audio resampling): the floor FileSource adds to. With `rgb`, each frame is
    converted the obvious way, `frame.to_ndarray(format="rgb24")`, which sets up swscale per frame."""
    wall, cpu = time.perf_counter(), time.process_time()
    frames = 0
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        video.codec_context.thread_type = "NONE" if threads == 1 else "AUTO"
        video.codec_context.thread_count = threads
        for frame in container.decode(video):
            if rgb:
                frame.to_ndarray(format="rgb24")
            frames += 1
    return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu, "frames": frames}


def run_naive_rgb(path: Path, *, audio: bool, threads: int) -> dict:
    return run_bare_decode(path, audio=audio, threads=threads, rgb=True)


CONFIGS = [
    # name, runner, audio, codec threads
    ("pyav_decode_only_video_1thread", run_bare_decode, False, 1),
    ("pyav_decode_to_ndarray_rgb24_1thread", run_naive_rgb, False, 1),
    ("video_only_1thread", run_file_source, False, 1),
    ("video_only_2threads", run_file_source, False, 2),
    ("video_only_auto_threads", run_file_source, False, 0),
    ("video_audio_1thread", run_file_source, True, 1),
    ("video_audio_2threads", run_file_source, True, 2),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--clip", type=Path, default=ROOT / ".cache" / "bench" / f"decode_640x480_30fps_h264_{VIDEO_BITRATE // 1000}k_aac.mp4")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "decode.json")
    args = parser.parse_args()

    clip = args.clip
    if clip.exists():
        with av.open(str(clip)) as probe:
            if abs(float(probe.duration or 0) / 1e6 - args.seconds) > 1:
                clip.unlink()
    if not clip.exists():
        clip.parent.mkdir(parents=True, exist_ok=True)
        print(f"writing a {args.seconds:g} s test clip to {clip} ...", file=sys.stderr)
        write_clip(clip, args.seconds)
    with av.open(str(clip)) as probe:
        video_kbps = probe.streams.video[0].bit_rate / 1000 if probe.streams.video[0].bit_rate else None

    # Round-robin over configurations, so load from other work on the machine hits them all alike.
    all_runs: dict[str, list[dict]] = {name: [] for name, *_ in CONFIGS}
    for _ in range(args.repeats):
        for name, runner, audio, threads in CONFIGS:
            all_runs[name].append(runner(clip, audio=audio, threads=threads))
    results = {}
    for name, runner, audio, threads in CONFIGS:
        runs = all_runs[name]
        best = min(runs, key=lambda r: r["cpu_s"])
        frames = best["frames"]
        results[name] = {
            "audio": audio,
            "codec_threads": threads,
            "cpu_ms_per_frame": round(1000 * best["cpu_s"] / frames, 3),
            "wall_ms_per_frame": round(1000 * min(r["wall_s"] for r in runs) / frames, 3),
            "frames": frames,
            "audio_s": round(best.get("audio_s", 0.0), 3),
            "runs": [{k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()} for r in runs],
        }
        print(f"{name:34s} cpu {results[name]['cpu_ms_per_frame']:6.2f} ms/frame   "
              f"wall {results[name]['wall_ms_per_frame']:6.2f} ms/frame", file=sys.stderr)

    report = {
        "benchmark": "decode",
        "command": "python bench/decode.py",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "clip": {"seconds": args.seconds, "width": WIDTH, "height": HEIGHT, "fps": FPS, "video": f"h264 (x264 veryfast, {VIDEO_BITRATE // 1000} kbit/s target)",
                 "video_kbps": round(video_kbps) if video_kbps else None, "audio": f"aac stereo {AUDIO_RATE} Hz",
                 "analysis_audio": f"mono float32 {ANALYSIS_RATE} Hz"},
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_avg_1m": round(os.getloadavg()[0], 2), "pyav": av.__version__,
                    "ffmpeg_libavcodec": ".".join(map(str, av.library_versions["libavcodec"]))},
        "reference": {"pose_ms_per_frame": 17.0, "source": "FACTS.md: MediaPipe pose, 640x480, one x86 core"},
        "metric": "best of repeats; cpu = process CPU time (all threads) per video frame; wall = elapsed per frame",
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
