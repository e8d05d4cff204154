"""How fast `perfscore` answers before it does any work: `--help`, `--version`, a subcommand's help.

Each command runs 5 times as a fresh process (the installed console script, as a user types it);
the median wall time is reported against the issue's target of 0.5 s, with the heavy modules each
one imports (from `python -X importtime`; none is expected). Writes bench/results/cli_startup.json.

    .venv/bin/python bench/cli_startup.py [--repeats 5]

Before the imports were made lazy (issue 10, measured by hand on this machine with
`time .venv/bin/perfscore --help`): 2.7–2.9 s warm (--version 2.0–3.1 s), 22.9 s with cold disk caches; edge.cli.analyze
alone imported edge.analysis, scipy.stats and the whole measuring stack (1.35 s of imports).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import write_result  # noqa: E402
from edge import PROJECT_ROOT  # noqa: E402

COMMANDS = [["--help"], ["--version"], ["coach", "--help"], ["analyze", "--help"], ["export", "--help"]]
TARGET_S = 0.5
HEAVY = ("numpy", "scipy", "cv2", "av", "aubio", "mediapipe", "onnxruntime", "ai_edge_litert", "pydantic", "yaml",
         "tqdm", "torch", "onnx", "edge.features", "edge.analysis", "edge.scoring", "edge.sources", "edge.config")
BEFORE = {"--help": {"wall_s": [2.86, 2.73], "cold_cache_wall_s": 22.86,
                     "heavy_imports": "edge.analysis, edge.features, scipy.stats, scipy.signal, cv2, av, aubio, "
                                      "numpy, pydantic, yaml (1.35 s of imports in edge.cli.analyze alone)"},
          "--version": {"wall_s": [3.11, 2.02]},
          "how": "`/usr/bin/time .venv/bin/perfscore --help` (and --version) by hand before the change, same machine"}


def perfscore() -> list[str]:
    script = Path(sys.executable).parent / "perfscore"
    return [str(script)] if script.exists() else [sys.executable, "-m", "edge.cli.main"]


def heavy_imports(args: list[str]) -> list[str]:
    command = perfscore()
    probe = [sys.executable, "-X", "importtime", *(command if command[0] != sys.executable else command[1:]), *args]
    proc = subprocess.run(probe, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", proc.stderr, re.M)
    return sorted(n for n in names if n == "numpy" or n.split(".")[0] in HEAVY or n.startswith(HEAVY))


def wall_times(args: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run([*perfscore(), *args], cwd=PROJECT_ROOT, capture_output=True, timeout=120)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"perfscore {' '.join(args)} failed: {proc.stderr.decode()[-500:]}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench" / "results" / "cli_startup.json")
    opts = parser.parse_args()
    wall_times(["--version"], 1)            # warm the disk cache once; cold start is not what is compared
    results = {}
    for args in COMMANDS:
        times = wall_times(args, opts.repeats)
        median = statistics.median(times)
        results["perfscore " + " ".join(args)] = {
            "median_wall_s": round(median, 3), "min_wall_s": round(min(times), 3),
            "runs_s": [round(t, 3) for t in times], "within_target": median <= TARGET_S,
            "heavy_imports": heavy_imports(args)}
    write_result({
        "benchmark": "cli_startup",
        "command": "python bench/cli_startup.py",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_avg_1m": round(os.getloadavg()[0], 2)},
        "metric": f"wall time of a fresh process, median of {opts.repeats} after one warm-up run; heavy_imports: "
                  "modules from that list the command imported (python -X importtime)",
        "target_s": TARGET_S,
        "results": results,
        "before_lazy_imports": BEFORE,
    }, opts.out)


if __name__ == "__main__":
    main()
