"""Benchmark: wall time of the full coach comparison (all methods × seeds) on this machine.

    nice python bench/coach/comparison.py --out reports/coach

runs exactly what `perfscore train coach --seeds 10 --episodes 100 --out DIR` runs (the report in
DIR is the committed one) and writes bench/results/coach_comparison.json. Target: ≤ 30 min on
2 cores. The load average before and after is recorded: on a shared machine the time is pessimistic.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.timing import write_result  # noqa: E402
from training.coach.experiment import ALL_METHODS, run_comparison  # noqa: E402

TARGET_S = 30 * 60


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results" / "coach_comparison.json")
    args = parser.parse_args()
    command = "python bench/coach/comparison.py " + " ".join(sys.argv[1:])
    results = run_comparison(args.out, args.seeds, args.episodes, ALL_METHODS, args.jobs,
                             progress=lambda line: print(line, file=sys.stderr, flush=True), command=command)
    run = results["run"]
    record = {
        "benchmark": "coach_comparison",
        "command": command,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"cpu": cpu_model(), "cpu_count": os.cpu_count(), "python": platform.python_version()},
        "seeds": args.seeds, "episodes": args.episodes, "methods": list(ALL_METHODS),
        "processes": run["processes"],
        "wall_time_s": round(run["wall_time_s"], 1),
        "target_s": TARGET_S,
        "meets_target": run["wall_time_s"] <= TARGET_S,
        "load_average_before": run["load_average_before"],
        "load_average_after": run["load_average_after"],
        "wall_time_per_seed_s": {m: round(results[m]["wall_time_per_seed_s"]["mean"], 1) for m in ALL_METHODS},
        "cpu_time_per_seed_s": {m: round(results[m]["cpu_time_per_seed_s"]["mean"], 1)
                                for m in ALL_METHODS if "cpu_time_per_seed_s" in results[m]},
        "note": "other engineers share the 2 cores; the load averages show how much",
    }
    write_result(record, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
