"""Benchmark: the coach's policy inference on the box (onnxruntime, one thread). Target ≤ 1 ms.

    python bench/coach/inference.py [--model models/coach_policy.onnx]

Measures (after warm-up) one forward pass for one observation, and the whole recommendation
a box computes after a performance: read the performer's history from SQLite, build the
student model and observation, run the policy, write the recommendation. Writes
bench/results/coach_inference.json. No torch is imported.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.timing import summarise, write_result  # noqa: E402
from edge.coach.observation import OBS_DIM  # noqa: E402
from edge.coach.policy import CoachPolicy  # noqa: E402
from edge.coach.recommend import recommend  # noqa: E402
from edge.coach.store import StudentStore  # noqa: E402
from edge.coach.student import student_state  # noqa: E402
from edge.models import MANIFEST  # noqa: E402

TARGET_MS = 1.0



def timed(fn, n: int, warmup: int = 50) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "coach_policy.onnx")
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results" / "coach_inference.json")
    args = parser.parse_args()

    start = time.perf_counter()
    policy = CoachPolicy(args.model, window=3, manifest_path=args.manifest)
    load_s = time.perf_counter() - start
    obs = np.random.default_rng(0).random(OBS_DIM).astype(np.float32)
    forward = summarise(timed(lambda: policy.q_values(obs), args.runs))

    with tempfile.TemporaryDirectory() as tmp:
        store = StudentStore(Path(tmp) / "coach.sqlite")
        t0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
        rng = np.random.default_rng(1)
        for i in range(50):   # a performer with 50 assessments of history
            store.add_assessment("p-bench", "music", f"piece-{i // 3}",
                                 {k: float(v) for k, v in zip(("rhythm", "technique", "expression", "interpretation",
                                                               "overall"), rng.uniform(40, 80, 5))}, t0 + timedelta(days=i))

        def full() -> None:
            state = student_state("p-bench", store.history("p-bench"), store.preferences("p-bench"),
                                  store.recent_tasks("p-bench"), 3)
            rec = recommend(state, policy)
            store.record_recommendation("p-bench", datetime.now(timezone.utc), rec.action, rec.q_values, rec.reason)

        end_to_end = summarise(timed(full, max(200, args.runs // 20), warmup=10))
        store.close()

    record = {
        "benchmark": "coach_inference",
        "command": "python bench/coach/inference.py " + " ".join(sys.argv[1:]),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "model": {"path": str(args.model.relative_to(ROOT) if args.model.is_relative_to(ROOT) else args.model),
                  "sha256": policy.entry["sha256"], "bytes": args.model.stat().st_size},
        "backend": "onnxruntime CPUExecutionProvider, 1 thread",
        "model_load_s": round(load_s, 4),
        "policy_forward_one_observation": forward,
        "recommendation_end_to_end_50_assessments": end_to_end,
        "target_ms": TARGET_MS,
        "meets_target": forward["p99_ms"] <= TARGET_MS,
        "load_average": os.getloadavg(),
        "note": "x86 dev box shared with other engineers; a Raspberry Pi 4 core is several times slower",
    }
    write_result(record, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
