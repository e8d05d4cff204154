"""Faults survived, at full length: the table of issue 11 (results lost, duplicates delivered after dedupe by
id, seconds to recover) for each fault, run against the real daemon and a real Mosquitto.

    .venv/bin/python bench/faults.py [--only broker_down,camera …] [--broker-outage-s 60] [--device-gone-s 10]
                                     [--disk-full-s 30] [--out bench/results/faults.json]

The scenarios are tests/faults/harness.py's (tests/faults runs them with short outages and asserts the
targets: 0 lost, 0 duplicates, recovery ≤ 5 s after the fault clears). This runs the issue's lengths:
the broker down 60 s mid-take, the camera and the microphone gone 10 s, the disk full 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.faults import harness as h  # noqa: E402

CACHE = ROOT / "bench" / ".cache" / "faults"


def scenarios(args, folder: Path) -> dict:
    CACHE.mkdir(parents=True, exist_ok=True)
    music = h.music_file(CACHE, 240)
    short = h.music_file(CACHE, 20)
    quiet = h.quiet_file(CACHE, 120)
    return {
        "broker_down": lambda: h.broker_down(folder / "broker_down", music, args.broker_outage_s),
        "broker_twice": lambda: h.broker_restarted_twice(folder / "broker_twice", music, 2.0, 1.0),
        "sigkill": lambda: h.sigkill_with_outbox(folder / "sigkill", short, quiet),
        "disk_full": lambda: h.disk_full(folder / "disk_full", music, args.disk_full_s),
        "camera": lambda: h.camera_gone(folder / "camera", args.device_gone_s),
        "microphone": lambda: h.microphone_gone(folder / "microphone", args.device_gone_s),
        "pose_hang": lambda: h.pose_hangs(folder / "pose_hang", watch_s=5.0),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated scenario names (default: all)")
    parser.add_argument("--broker-outage-s", type=float, default=60.0)
    parser.add_argument("--device-gone-s", type=float, default=10.0)
    parser.add_argument("--disk-full-s", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "faults.json")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="perfscore-faults-"))
    todo = scenarios(args, folder)
    wanted = [n for n in args.only.split(",") if n] or list(todo)
    rows, names, timings = [], [], {}
    for name in wanted:
        if name == "disk_full" and (why := h.can_mount_tmpfs()):
            print(f"{name}: skipped ({why})", flush=True)
            continue
        t = time.monotonic()
        try:
            row = todo[name]()
        except Exception as exc:   # a scenario that could not run is a row that failed, not the end of the table
            row = h.Row(name, None, None, None, f"did not run: {type(exc).__name__}: {str(exc)[:2000]}")
        timings[name] = round(time.monotonic() - t, 1)
        rows.append(row)
        names.append(name)
        print(json.dumps({"scenario": name, **row.to_dict()}, default=str), flush=True)
    print(h.table(rows))
    doc = {"benchmark": "faults", "command": "python bench/faults.py " + " ".join(sys.argv[1:]),
           "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "machine": {"platform": platform.platform(), "python": platform.python_version(),
                       "cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)},
           "targets": {"lost": 0, "duplicates": 0, "recover_s_max": h.TARGET_RECOVER_S},
           "profile": str(h.PROFILE.relative_to(ROOT)),
           "rows": [{"scenario": n, "wall_s": timings[n], **r.to_dict()} for n, r in zip(names, rows)],
           "table": h.table(rows)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0 if all(r.meets_targets() for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
