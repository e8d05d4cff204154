"""The daemon left running: a recording replayed in a loop at real time, automatic takes of one loop
each, optionally the broker taken away every N minutes. Every minute: RSS, pose fps, outbox depth
(rows waiting, read from the outbox's SQLite file every 10 s: `health` does not reach anyone while the
broker is away).

    .venv/bin/python bench/soak.py [--minutes 60] [--outage-every-min 10] [--outage-s 60]
                                   [--media FILE] [--out bench/results/soak.json]

RSS comes from /proc every second (the box's own `health` says it every 10 s, too seldom to catch a
take's peak). A take's arrays come and go within the take, so RSS rises through each take and falls
after it; growth is measured take against take — the highest RSS of each take and the lowest
between takes, the last three takes against the first three after minute 5 (leaving out the first
take's warm-up and a last take cut short) — and as a fitted trend.
Results lost: takes the box ended (its log) without a session that reached a subscriber whose session
survives the broker's restarts (Mosquitto persistence, clean_session false). bench/daemon.py's
20-minute figure is this function without outages.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402

from tests.publish.broker import Broker  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
ENDED = re.compile(r"take (\S+) ended \(")


def _rss_bytes(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _outbox_rows(path: Path) -> int | None:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            return int(db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return None


def minute_summary(per_minute: list[dict], steady_after_min: float, end_min: float) -> dict:
    """Growth from the per-minute peaks (each minute holds about one take's peak), minutes after
    `steady_after_min` up to `end_min`: the last ten minutes' mean against the first ten, and the trend."""
    rows = [r for r in per_minute if steady_after_min < r["minute"] <= end_min]
    peaks = [r["rss_peak_mb"] for r in rows]
    if len(peaks) < 20:
        return {}
    first, last = float(np.mean(peaks[:10])), float(np.mean(peaks[-10:]))
    trend = float(np.polyfit([r["minute"] / 60 for r in rows], peaks, 1)[0])
    return {"minutes": [rows[0]["minute"], rows[-1]["minute"]], "first_ten_mb": round(first, 1),
            "last_ten_mb": round(last, 1), "growth_pct": round(100.0 * (last - first) / first, 2),
            "trend_mb_per_hour": round(trend, 1)}


def _growth_pct(values: list[float], n: int = 3) -> float | None:
    """The last `n` values' mean against the first `n` values', in per cent."""
    if len(values) < 2 * n:
        return None
    first, last = float(np.mean(values[:n])), float(np.mean(values[-n:]))
    return round(100.0 * (last - first) / first, 2)


def soak(media: Path, minutes: float, tmp: Path, *, outage_every_min: float = 0.0, outage_s: float = 60.0,
         steady_after_min: float = 5.0) -> dict:
    from daemon import Subscriber, box_cmd, looped

    import av

    with av.open(str(media)) as src:
        loop_s = float(src.duration) / av.time_base
    copies = max(1, int(round(minutes * 60 / loop_s)))
    source = looped(media, copies, CACHE / f"{media.stem}_x{copies}.mp4")
    folder = tmp / "mq-soak"
    folder.mkdir()
    broker = Broker(folder, persistent=True).start()
    sessions = Subscriber(broker.port, client_id="bench-soak")
    conf = tmp / "soak.yaml"
    conf.write_text(f"publish:\n  health_interval_s: 10\n  reconnect_min_s: 1\n  reconnect_max_s: 2\n"
                    f"run:\n  takes:\n    auto: true\n    max_length_s: {loop_s - 1:.1f}\n")
    log_path = tmp / "soak.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(box_cmd(conf, f"replay:{source}", broker, tmp / "state-soak"), cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=log)
    t0 = time.time()
    rss: list[tuple[float, int]] = []
    depth: list[tuple[float, int]] = []     # rows waiting in the outbox, read from its SQLite file
    outages: list[tuple[float, float]] = []
    next_outage = outage_every_min * 60 if outage_every_min > 0 else float("inf")
    while proc.poll() is None:
        now = time.time() - t0
        value = _rss_bytes(proc.pid)
        if value:
            rss.append((now, value))
        if len(rss) % 10 == 1:
            rows = _outbox_rows(tmp / "state-soak" / "outbox.sqlite")
            if rows is not None:
                depth.append((now, rows))
        if now >= next_outage and broker.proc is not None and broker.proc.poll() is None:
            broker.stop()
            outages.append((now, now + outage_s))
        if outages and broker.proc.poll() is not None and now >= outages[-1][1]:
            broker.start()
            next_outage += outage_every_min * 60
        time.sleep(1.0)
    if broker.proc is None or broker.proc.poll() is not None:
        broker.start()
    time.sleep(3.0)                 # the last deliveries reach the subscriber
    sessions.close()
    broker.stop()
    text = log_path.read_text()
    if proc.returncode != 0:
        raise SystemExit(f"perfscore run (soak) failed ({proc.returncode}):\n{text[-3000:]}")

    ended = ENDED.findall(text)
    delivered = {body["take"]["id"] for _, body in sessions.on("/session")}
    healths = [(t - t0, body) for t, body in sessions.on("/health")]
    mb = lambda b: round(b / 2**20, 1)  # noqa: E731
    per_minute = []
    for m in range(int(rss[-1][0] // 60) + 1):
        in_min = [r for t, r in rss if m * 60 <= t < (m + 1) * 60]
        last = [h for t, h in healths if m * 60 <= t < (m + 1) * 60]   # none while the broker is away
        waiting = [d for t, d in depth if m * 60 <= t < (m + 1) * 60]
        if not in_min:
            continue
        health = last[-1] if last else {}
        per_minute.append({"minute": m + 1, "rss_mb": mb(in_min[-1]), "rss_peak_mb": mb(max(in_min)),
                           "pose_fps": health.get("pose", {}).get("fps"),
                           "outbox_depth_max": max(waiting) if waiting else None,
                           "broker_up": not any(a <= (m + 1) * 60 - 1 < b for a, b in outages)})

    # Take against take: a window runs from one session's arrival to the next (the next take, and its
    # measuring); its peak is the highest RSS, its trough the lowest (after the trim). The first window
    # (first-take warm-up: models, arenas, caches) and the last (a take cut by the end of the source)
    # are left out; growth is the mean of the last three windows against the first three.
    first_seen: dict[str, float] = {}    # a retained session comes again at each re-subscribe: its first arrival
    for t, body in sessions.on("/session"):
        first_seen.setdefault(body["id"], t - t0)
    session_times = sorted(first_seen.values())
    bounds = [b for b in session_times if b >= steady_after_min * 60]
    windows = list(zip(bounds, bounds[1:]))[1:-1]
    peaks, troughs = [], []
    for a, b in windows:
        window = [r for t, r in rss if a <= t < b]
        if window:
            peaks.append(max(window))
            troughs.append(min(window))
    steady = [(t, r) for t, r in rss if windows and windows[0][0] <= t < windows[-1][1]]
    slope = (float(np.polyfit([t / 3600 for t, _ in steady], [r / 2**20 for _, r in steady], 1)[0])
             if len(steady) > 10 else None)
    fps = [row["pose_fps"] for row in per_minute if row["pose_fps"] and row["minute"] > steady_after_min]
    return {
        "minutes": round(copies * loop_s / 60, 1), "loops": copies, "takes_ended": len(ended),
        "sessions_delivered": len(delivered & set(ended)), "results_lost": len(set(ended) - delivered),
        "outages": [[round(a, 1), round(b, 1)] for a, b in outages],
        "rss_mb": {"start": mb(rss[0][1]), "end": mb(rss[-1][1]), "max": mb(max(r for _, r in rss))},
        "steady_after_min": steady_after_min, "windows_measured": len(peaks),
        "take_peaks_mb": [mb(p) for p in peaks], "between_takes_mb": [mb(p) for p in troughs],
        "rss_growth_peak_pct": _growth_pct(peaks), "rss_growth_between_takes_pct": _growth_pct(troughs),
        "rss_trend_mb_per_hour": round(slope, 1) if slope is not None else None,
        "outbox_depth_max": max((d for _, d in depth), default=None),
        "rss_per_minute_peaks": minute_summary(per_minute, steady_after_min, copies * loop_s / 60),
        "pose_fps": {"min": min(fps), "median": float(np.median(fps)), "max": max(fps)} if fps else None,
        "per_minute": per_minute,
        "rss_series_mb": [[round(t, 1), mb(r)] for t, r in rss[::10]],     # every 10 s, for a second look
    }


def main() -> None:
    from daemon import default_media

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--media", type=Path, help="default: the generated 60 s 640x480 30 fps dance")
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--outage-every-min", type=float, default=10.0, help="0: the broker stays up")
    parser.add_argument("--outage-s", type=float, default=60.0)
    parser.add_argument("--steady-after-min", type=float, default=5.0, help="growth is measured from here")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "soak.json")
    parser.add_argument("--summarise", type=Path, metavar="JSON",
                        help="recompute the per-minute summary of a soak JSON in place (no run)")
    args = parser.parse_args()
    if args.summarise:
        doc = json.loads(args.summarise.read_text())
        doc["rss_per_minute_peaks"] = minute_summary(doc["per_minute"], doc["steady_after_min"], doc["minutes"])
        args.summarise.write_text(json.dumps(doc, indent=2) + "\n")
        print(json.dumps(doc["rss_per_minute_peaks"]))
        return
    media = (args.media or default_media()).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        result = soak(media, args.minutes, Path(tmp), outage_every_min=args.outage_every_min, outage_s=args.outage_s,
                      steady_after_min=args.steady_after_min)
    doc = {"bench": "soak", "command": "python bench/soak.py " + " ".join(sys.argv[1:]),
           "media": str(media.relative_to(ROOT) if media.is_relative_to(ROOT) else media),
           "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, **result}
    print(json.dumps({k: v for k, v in doc.items() if k != "per_minute"}, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
