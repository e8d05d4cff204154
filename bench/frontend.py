"""Front-end cost per stage on a 60 s, 30 fps, 640×480 dance with music, on one core.

    .venv/bin/python bench/frontend.py          # writes bench/results/frontend.json

The clip is a DeepMimic dance rendered with the project's generator (cached in .cache/bench/). The
analysis runs in a child process pinned to one CPU (`taskset`), with every library asked for one
thread, exactly as `perfscore analyze` runs it: decode (PyAV) and pose (MediaPipe) frame by frame,
then audio features (aubio) and rhythm. Stage times come from the analysis itself and are CPU seconds
of the process (all its threads, on its one core): on a shared machine they do not grow when other
work takes the core, while wall time does. The real-time factor is CPU seconds / media seconds; the
wall-clock factor is recorded beside it.

Targets (issue "Foundation and signal front-end"): non-pose stages ≤ 15 % of pose time; real-time
factor (processing s / media s) ≤ 1.0 on one core with pose on every frame. The machine is shared, so
the load average at the start is recorded beside the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / ".cache" / "bench" / "dance_60s.mp4"
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")}

CHILD = """
import json, resource, sys, time
from edge.analysis import analyze
from edge.config import Settings
start = time.perf_counter()
a = analyze(sys.argv[1], Settings())
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"timings_s": a.timings_s, "wall_s": wall, "duration_s": a.duration_s,
                  "frames": len(a.pose), "person_frames": a.pose.person_frames,
                  "cpu_s": usage.ru_utime + usage.ru_stime, "max_rss_mb": usage.ru_maxrss / 1024,
                  "tempo_bpm": a.audio.tempo_bpm, "beat_alignment": a.beat_alignment}))
"""


def make_clip() -> None:
    if CLIP.exists():
        return
    sys.path.insert(0, str(ROOT))
    from training.data.dance import make_dance_clip

    CLIP.parent.mkdir(parents=True, exist_ok=True)
    print(f"rendering {CLIP} (once; ~1 min)", file=sys.stderr)
    make_dance_clip(CLIP, motion="dance_b", bpm=118, duration_s=60, seed=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "frontend.json")
    parser.add_argument("--cpu", default="0", help="CPU the analysis is pinned to")
    args = parser.parse_args()
    make_clip()
    load = os.getloadavg()
    env = {**os.environ, **ONE_THREAD}
    proc = subprocess.run(["taskset", "-c", args.cpu, sys.executable, "-c", CHILD, str(CLIP)], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    run = json.loads(proc.stdout.strip().splitlines()[-1])
    t, media = run["timings_s"], run["duration_s"]
    non_pose = t["decode"] + t["audio"] + t["rhythm"]
    processing = non_pose + t["pose"]
    result = {
        "benchmark": "frontend",
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores_used": 1,
                    "load_average_at_start": [round(x, 2) for x in load]},
        "clip": {"path": str(CLIP.relative_to(ROOT)), "seconds": round(media, 2), "fps": 30, "size": "640x480",
                 "frames": run["frames"], "person_frames": run["person_frames"]},
        "stages_s": {k: round(v, 3) for k, v in t.items()},
        "per_media_second_ms": {k: round(1000 * v / media, 2) for k, v in t.items()},
        "pose_ms_per_frame": round(1000 * t["pose"] / run["frames"], 2),
        "non_pose_share_of_pose": round(non_pose / t["pose"], 4),
        "real_time_factor": round(processing / media, 4),
        "real_time_factor_wall": round(run["wall_s"] / media, 4),
        "cpu_s": round(run["cpu_s"], 2),
        "max_rss_mb": round(run["max_rss_mb"], 1),
        "targets": {"non_pose_share_of_pose": 0.15, "real_time_factor": 1.0},
        "met": {"non_pose_share_of_pose": non_pose / t["pose"] <= 0.15, "real_time_factor": processing / media <= 1.0},
        "sanity": {"tempo_bpm": run["tempo_bpm"], "beat_alignment": run["beat_alignment"]},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
