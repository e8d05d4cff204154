"""Cost of comparing a dance with its reference recording: 3 min against 3 min at 30 fps (5400 × 5400).

    .venv/bin/python bench/dance_reference_cost.py     # writes bench/results/dance_reference_cost.json

Part 1, the comparison (`compare_to_reference`: direct and mirrored alignment, joint-angle errors) on
synthetic pose tracks: the reference is a smooth random walk of every landmark around a standing
skeleton; the performance is the reference time-warped (ahead and behind by up to 0.5 s over 40 s
phrases) plus landmark noise. The old method (per-joint numpy broadcasting into a full 5400 × 5400
float32 cost, full DTW; `OLD_ALIGN` below is HEAD's code before issue 9) and the new one (cdist in row
blocks, alignment at every 2nd frame projected back to every frame and refined there by exact DTW
between anchors) each run in a fresh process pinned
to one core with one thread per numeric library: wall and CPU seconds, and peak memory as the process's
high-water RSS minus its RSS just before the comparison (the tracks and imports are loaded first).

Part 2, screening: N dance entries sharing one reference recording (`--reference`) are screened with
two workers; counted are the times the reference is decoded and posed in the run (before issue 9, once
per entry) and each entry's CPU seconds in the reference stage (now only the comparison), against one
entry scored the old way (the reference decoded and posed for it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FPS = 30.0
SECONDS = 180.0
RESULT = ROOT / "bench" / "results" / "dance_reference_cost.json"
SINGLE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                        "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}

# HEAD's _align before issue 9 (git show 400aca4:edge/features/reference_dance.py), kept verbatim.
OLD_ALIGN = '''
def _align(ref, perf):
    # Mean joint distance between every pair of frames, without an (n, m, joints, 3) temporary.
    ra, rb = ref[:, BODY], perf[:, BODY]
    cost = np.zeros((len(ref), len(perf)), np.float32)
    for j in range(ra.shape[1]):
        diff = ra[:, None, j, :] - rb[None, :, j, :]
        cost += np.sqrt((diff ** 2).sum(-1))
    cost /= ra.shape[1]
    return dtw(cost, band=max(len(ref), len(perf)) // 2)
'''


def random_dance(seconds: float, fps: float, seed: int):
    """(times, world landmarks): every landmark wanders smoothly (Ornstein–Uhlenbeck, τ = 0.4 s) around
    a standing skeleton; hips and shoulders wander less so the torso never collapses."""
    from scipy.signal import lfilter

    from edge.features.landmarks import INDEX, N_LANDMARKS

    rng = np.random.default_rng(seed)
    n = int(round(seconds * fps))
    base = np.zeros((N_LANDMARKS, 3))
    base[:, 1] = 0.75                                   # face and hands start around the head
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for name, xyz in (("shoulder", (0.2, 0.5, 0)), ("elbow", (0.35, 0.25, 0)), ("wrist", (0.45, 0.0, 0)),
                          ("hip", (0.1, 0.0, 0)), ("knee", (0.12, -0.45, 0)), ("ankle", (0.12, -0.9, 0))):
            base[INDEX[f"{side}_{name}"]] = (sign * xyz[0], xyz[1], xyz[2])
    a = np.exp(-1.0 / (0.4 * fps))
    walk = lfilter([np.sqrt(1 - a * a)], [1, -a], rng.normal(size=(n, N_LANDMARKS, 3)), axis=0)
    amplitude = np.full(N_LANDMARKS, 0.25)
    amplitude[[INDEX[k] for k in ("left_hip", "right_hip", "left_shoulder", "right_shoulder")]] = 0.04
    world = base + amplitude[None, :, None] * walk
    return np.arange(n) / fps, world.astype(np.float32)


def performed(times: np.ndarray, world: np.ndarray, seconds: float, fps: float, seed: int):
    """The reference danced with a slow drift (±0.5 s over 40 s phrases), sampled at `fps`, with 2 cm landmark noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * fps))) / fps
    source = np.clip(t + 0.5 * np.sin(2 * np.pi * t / 40.0), 0, times[-1])
    flat = world.reshape(len(times), -1)
    warped = np.stack([np.interp(source, times, flat[:, k]) for k in range(flat.shape[1])], axis=1)
    warped = warped.reshape(len(t), *world.shape[1:]) + rng.normal(0, 0.02, (len(t), *world.shape[1:]))
    return t, warped.astype(np.float32)


def track(times, world):
    from edge.features.pose import PoseTrack

    n = len(times)
    return PoseTrack(times=times, frame_index=np.arange(n), image=world.copy(), world=world,
                     visibility=np.ones(world.shape[:2], np.float32), present=np.ones(n, bool), fps=FPS)


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(method: str, data: Path) -> None:
    """One comparison in this (fresh) process; prints its measurements as JSON."""
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from edge.features import reference_dance
    from edge.features.dtw import dtw  # noqa: F401  (used by OLD_ALIGN)
    from edge.features.landmarks import BODY  # noqa: F401

    if method == "old":
        scope = {"np": np, "dtw": dtw, "BODY": BODY}
        exec(OLD_ALIGN, scope)
        reference_dance._align = scope["_align"]
    with np.load(data) as z:
        ref, perf = track(z["ref_t"], z["ref_w"]), track(z["perf_t"], z["perf_w"])
    before = _rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    result = reference_dance.compare_to_reference(ref, perf)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "peak_mb_above_start": round(peak - before, 1),
                      "peak_rss_mb": round(peak, 1), "rss_before_mb": round(before, 1),
                      "result": result.summary(), "path_steps": len(result.path_times_s)}))


def run_child(method: str, data: Path) -> dict:
    env = {**os.environ, **SINGLE_THREAD}
    proc = subprocess.run([sys.executable, __file__, "--child", method, str(data)], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(f"{method} comparison failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def comparison_part(repeats: int) -> dict:
    ref_t, ref_w = random_dance(SECONDS, FPS, seed=5)
    perf_t, perf_w = performed(ref_t, ref_w, SECONDS, FPS, seed=6)
    out: dict = {"frames": [len(ref_t), len(perf_t)], "fps": FPS, "seconds": SECONDS}
    with tempfile.TemporaryDirectory(prefix="perfscore-bench-") as tmp:
        data = Path(tmp) / "tracks.npz"
        np.savez(data, ref_t=ref_t, ref_w=ref_w, perf_t=perf_t, perf_w=perf_w)
        for method in ("new", "old"):
            runs = [run_child(method, data) for _ in range(repeats)]
            best = min(runs, key=lambda r: r["wall_s"])
            out[method] = {**best, "wall_s_runs": [r["wall_s"] for r in runs]}
            print(f"{method}: {best['wall_s']:.2f} s wall, {best['cpu_s']:.2f} s CPU, "
                  f"+{best['peak_mb_above_start']:.0f} MB peak", flush=True)
    old, new = out["old"]["result"], out["new"]["result"]
    out["agreement"] = {k: {"old": old[k], "new": new[k]} for k in
                        ("mean_joint_angle_error_deg", "pose_distance", "mirrored", "mean_lag_s", "tempo_ratio",
                         "frames_compared")}
    return out


def screening_part(entries: int) -> dict:
    """N dance entries against one reference; the reference is posed in the parent, counted here."""
    from edge.config import Settings
    from edge.screening import references
    from edge.screening.runner import ScreenOptions, screen
    from tests.screening.media import remux

    samples = ROOT / "samples"
    with tempfile.TemporaryDirectory(prefix="perfscore-bench-") as tmp:
        folder = Path(tmp) / "entries"
        folder.mkdir()
        reference = samples / "dance_on_beat.mp4"
        clips = sorted(samples.glob("dance_*.mp4"))
        for k in range(entries):   # distinct contents (identical files would be scored once anyway)
            src = clips[k % len(clips)]
            remux(src, folder / f"entry{k}{'.mkv' if k >= len(clips) else '.mp4'}")
        before = references.posed
        wall = time.perf_counter()
        summary = screen(ScreenOptions(inputs=[str(folder)], out_dir=Path(tmp) / "out", discipline="dance",
                                       reference=reference, workers=2), Settings())
        wall = time.perf_counter() - wall
        records = [json.loads(p.read_text()) for p in (Path(tmp) / "out" / "entries").glob("*.json")]
        # One entry the way every entry was scored before: decoding and posing the reference itself.
        from edge.scoring import score_file

        uncached = score_file(folder / "entry0.mp4", Settings(), discipline="dance", reference=reference)
        ref_cpu = [r["result"]["analysis"]["timings_s"]["reference"] for r in records if r["status"] == "ok"]
        pose_cpu = [r["result"]["analysis"]["timings_s"]["pose"] for r in records if r["status"] == "ok"]
        return {"entries": entries, "scored": summary.scored, "reference": reference.name,
                "reference_posed": references.posed - before, "reference_posed_before_issue_9": entries,
                "run_wall_s": round(wall, 2),
                "reference_stage_cpu_s_per_entry": [round(x, 3) for x in ref_cpu],
                "reference_stage_cpu_s_posing_the_reference_per_entry": round(
                    uncached.analysis.timings_s["reference"], 3),
                "pose_stage_cpu_s_per_entry": [round(x, 3) for x in pose_cpu]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "DATA"), help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--entries", type=int, default=4)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], Path(args.child[1]))
    doc = {
        "benchmark": "dance_reference_cost",
        "command": "python bench/dance_reference_cost.py",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_avg_1m": round(os.getloadavg()[0], 2)},
        "metric": "comparison: best wall of repeats, one core, one thread; peak = high-water RSS − RSS before "
                  "the comparison. screening: reference decodes+poses per run",
        "targets": {"peak_mb": 300, "wall_s": 10},
        "comparison": comparison_part(args.repeats),
        "screening": screening_part(args.entries),
    }
    RESULT.parent.mkdir(exist_ok=True)
    RESULT.write_text(json.dumps(doc, indent=1) + "\n")
    print(json.dumps(doc["screening"]))
    print(f"-> {RESULT}")


if __name__ == "__main__":
    main()
