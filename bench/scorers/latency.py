"""Benchmark: the exported learned scorers on the box's runtimes, one thread. Target ≤ 5 ms per 2-s window.

    python bench/scorers/latency.py [--models DIR] [--repeat 200]

For every scorer in models/manifest.json (ONNX fp32/int8, TFLite): the time of one 2-s window
(batch of one, after warm-up; median, p90), and of scoring a whole 30-s performance through the
plugin (29 windows, plus the box's occlusion explanation). Writes bench/results/scorers.json.
No torch is imported: this is what the box runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.timing import summarise  # noqa: E402
from edge.features.sequence import FeatureSequence  # noqa: E402
from edge.models import MANIFEST, load_manifest  # noqa: E402
from edge.scoring.learned import load_scorer  # noqa: E402

TARGET_MS = 5.0



def performance(seconds: float = 30.0, seed: int = 0) -> FeatureSequence:
    rng = np.random.default_rng(seed)
    n = int(seconds * 30)
    t = (np.arange(n) + 0.5) / 30
    pose = (rng.normal(0, 0.5, (1, 52)) + 0.2 * np.sin(2 * np.pi * 2 * t)[:, None]).astype(np.float32)
    pose[:, -1] = 1.0
    audio = rng.uniform(0, 1, (n, 20)).astype(np.float32)
    audio[:, 1] = (rng.random(n) < 0.1)
    return FeatureSequence(t, pose, audio)


def bench(path: Path, repeat: int) -> dict:
    scorer = load_scorer(path)
    window = performance(2.0).pose[None, :60]
    window = np.concatenate([window, performance(2.0).audio[None, :60]], axis=2)
    for _ in range(20):
        scorer.run(window)
    one = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        scorer.run(window)
        one.append(time.perf_counter() - t0)
    seq = performance(30.0)
    whole = []
    for _ in range(3):
        t0 = time.perf_counter()
        scorer.score(seq, "dance")
        whole.append(time.perf_counter() - t0)
    s = summarise(one)
    return {"window": s, "within_target": s["median_ms"] <= TARGET_MS,
            "performance_30s_with_explanation": summarise(whole), "bytes": path.stat().st_size}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=ROOT / "models")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scorers.json")
    args = parser.parse_args()
    artifacts = load_manifest(MANIFEST)["artifacts"]
    results = {}
    for name, entry in sorted(artifacts.items()):
        if entry.get("kind") not in ("onnx-scorer", "tflite-scorer") or not (args.models / name).exists():
            continue
        results[name] = bench(args.models / name, args.repeat) | {"precision": entry.get("precision")}
        r = results[name]
        print(f"{name:40s} {r['window']['median_ms']:7.3f} ms/window  {r['performance_30s_with_explanation']['median_ms']:8.1f} ms/30 s  "
              f"{r['bytes'] / 1024:6.0f} KB", flush=True)
    doc = {"target_ms_per_window": TARGET_MS, "threads": 1, "command": "python bench/scorers/latency.py",
           "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                       "cpus": os.cpu_count(), "load_average": os.getloadavg()},
           "note": "a shared 2-core machine: the load average says how busy it was",
           "models": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
