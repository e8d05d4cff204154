"""The daemon on a replayed recording: live latency, pose rate, drops, CPU and memory, session delay;
memory over a replay loop; the outbox's drain rate after an outage.

    .venv/bin/python bench/daemon.py [--media FILE] [--cores 1,2] [--soak-minutes 3] [--outage-s 60]
                                     [--out bench/results/daemon.json]

Without --media the issue's clip is generated once into bench/.cache/ (training/data/dance.py: a 60 s
640x480 30 fps dance to a drum backing, ~1 min to render).

A private Mosquitto on a free loopback port; `perfscore run --once` replays the recording at real time
in a child process pinned to N cores (taskset); a subscriber takes each `live` message's arrival time
minus its `captured_at` (the window's newest item reaching the pipeline) as the live latency, and the
session's arrival minus the take's `ended_at` as the session delay. Pose fps, drops and CPU come from
the box's own `health` messages and the child's rusage.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import paho.mqtt.client as mqtt  # noqa: E402

from tests.publish.broker import Broker  # noqa: E402


def _t(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


CACHE = ROOT / "bench" / ".cache"


def default_media() -> Path:
    path = CACHE / "dance_60s.mp4"
    if not path.exists():
        from training.data.dance import make_dance_clip

        print(f"rendering {path} (once)", flush=True)
        make_dance_clip(path, duration_s=60, bpm=112, motion="dance_a", seed=3)
    return path


def looped(media: Path, copies: int, out: Path) -> Path:
    """`media` played `copies` times in one file (packets copied, timestamps shifted; no re-encoding)."""
    import av

    if out.exists():
        return out
    # One copy's span, from the earliest packet (an encoder's priming starts below zero) to the last
    # packet's end over every stream, so timestamps keep increasing from copy to copy.
    first_s, end_s = 0.0, 0.0
    with av.open(str(media)) as src:
        for packet in src.demux():
            if packet.dts is not None:
                first_s = min(first_s, float(packet.dts * packet.time_base))
                end_s = max(end_s, float((packet.dts + (packet.duration or 0)) * packet.time_base))
    duration = end_s - first_s
    tmp = out.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as dst, av.open(str(media)) as first:
        streams = {s.index: dst.add_stream_from_template(s) for s in first.streams if s.type in ("video", "audio")}
        for k in range(copies):
            with av.open(str(media)) as src:
                for packet in src.demux(*[s for s in src.streams if s.index in streams]):
                    if packet.dts is None:
                        continue
                    shift = int(round(k * duration / packet.time_base))
                    packet.pts = None if packet.pts is None else packet.pts + shift
                    packet.dts += shift
                    packet.stream = streams[packet.stream.index]
                    dst.mux(packet)
    tmp.rename(out)
    return out


class Subscriber:
    """Every message on perfscore/# with its arrival time. With a `client_id`, through a session the
    broker keeps across its restarts (clean_session false, a persistent broker)."""

    def __init__(self, port: int, client_id: str | None = None):
        self.got: list[tuple[float, str, dict]] = []
        self.client = (mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
                       if client_id else mqtt.Client(mqtt.CallbackAPIVersion.VERSION2))
        ready = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe("perfscore/#", qos=1)
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.on_message = lambda c, u, m: self.got.append((time.time(), m.topic, json.loads(m.payload)))
        self.client.reconnect_delay_set(1, 1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        ready.wait(10)

    def on(self, suffix: str) -> list[tuple[float, dict]]:
        return [(t, body) for t, topic, body in list(self.got) if topic.endswith(suffix)]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def box_cmd(conf: Path, source: str, broker: Broker, state: Path, *extra: str, cores: int | None = None) -> list:
    pin = ["taskset", "-c", ",".join(str(i) for i in range(cores))] if cores else []
    return [*pin, sys.executable, "-m", "edge.cli.main", "--config", str(conf), "run", "--source", source,
            "--broker", broker.url, "--device", "bench", "--state-dir", str(state), *extra]


def run_once(media: Path, cores: int, tmp: Path) -> dict:
    (tmp / f"mq{cores}").mkdir()
    broker = Broker(tmp / f"mq{cores}").start()
    got: list[tuple[float, str, dict]] = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    ready = threading.Event()
    client.on_connect = lambda c, u, f, rc, p: c.subscribe("perfscore/#", qos=1)
    client.on_subscribe = lambda *a: ready.set()
    client.on_message = lambda c, u, m: got.append((time.time(), m.topic, json.loads(m.payload)))
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    ready.wait(10)
    conf = tmp / f"box{cores}.yaml"
    conf.write_text("publish:\n  health_interval_s: 2\n")
    cpus = ",".join(str(i) for i in range(cores))
    cmd = ["taskset", "-c", cpus, sys.executable, "-m", "edge.cli.main", "--config", str(conf), "run",
           "--source", f"replay:{media}", "--broker", broker.url, "--device", "bench",
           "--state-dir", str(tmp / f"state{cores}"), "--once"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.time()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    wall = time.time() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    time.sleep(0.5)
    client.loop_stop()
    client.disconnect()
    broker.stop()
    if proc.returncode != 0:
        raise SystemExit(f"perfscore run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lives = [(arrived - _t(body["captured_at"])) * 1000 for arrived, topic, body in got if topic.endswith("/live")]
    healths = [body for _, topic, body in got if topic.endswith("/health")]
    session = next((arrived, body) for arrived, topic, body in got if topic.endswith("/session"))
    media_s = session[1]["scores"]["end_s"]
    cpu_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    pose_fps = [h["pose"]["fps"] for h in healths if h["pose"].get("fps")]
    rss = [h["rss_bytes"] for h in healths if h["rss_bytes"]]
    last = healths[-1] if healths else {}
    return {
        "cores": cores, "media_s": media_s, "wall_s": round(wall, 2),
        "live_messages": len(lives),
        "live_latency_ms": {"p50": round(float(np.percentile(lives, 50)), 1),
                            "p95": round(float(np.percentile(lives, 95)), 1)} if lives else None,
        "pose_fps_sustained": round(float(np.median(pose_fps)), 2) if pose_fps else None,
        "frames_dropped": last.get("capture", {}).get("frames_dropped"),
        "audio_chunks_dropped": last.get("capture", {}).get("audio_chunks_dropped"),
        "frames_skipped": last.get("pose", {}).get("frames_skipped"),
        "cpu_s_per_media_s": round(cpu_s / media_s, 3),
        "rss_mb": {"start": round(rss[0] / 2**20, 1), "end": round(rss[-1] / 2**20, 1)} if rss else None,
        "session_delay_s": round(session[0] - _t(session[1]["take"]["ended_at"]), 3),
        "overall": session[1]["scores"]["overall"],
    }


def drain(media: Path, outage_s: float, tmp: Path) -> dict:
    """Results pile up in the outbox while the broker is away for `outage_s`; then it comes back.
    A backlog of stored session rows (the size of a real one) stands in for a long outage's takes."""
    from edge.publish import Outbox
    from edge.publish.topics import Topics

    (tmp / "mq-drain").mkdir()
    broker = Broker(tmp / "mq-drain")        # not started: the outage
    state = tmp / "state-drain"
    backlog = 500
    outbox, topic = Outbox(state), Topics("bench").session
    body = json.dumps({"id": "x", "pad": "x" * 6000})
    for i in range(backlog):
        outbox.put(topic, body.replace('"x"', f'"backlog-{i}"', 1).encode(), qos=1, retain=True)
    outbox.close()
    conf = tmp / "drain.yaml"
    conf.write_text("publish:\n  reconnect_min_s: 1\n  reconnect_max_s: 1\n")
    proc = subprocess.Popen(box_cmd(conf, f"replay:{media}", broker, state, "--once", "--speed", "4"), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(outage_s)
    broker.start()
    back = time.time()
    db = sqlite3.connect(f"file:{state / 'outbox.sqlite'}?mode=ro", uri=True, timeout=5)
    drained_at = None
    while drained_at is None and time.time() - back < 300:
        if db.execute("SELECT COUNT(*) FROM outbox WHERE instr(payload, CAST('backlog-' AS BLOB)) > 0").fetchone()[0] == 0:
            drained_at = time.time()
        else:
            time.sleep(0.02)
    db.close()
    code = proc.wait(600)
    broker.stop()
    if code != 0 or drained_at is None:
        raise SystemExit(f"perfscore run (drain) failed ({code}):\n{proc.stderr.read()[-3000:]}")
    return {"outage_s": outage_s, "backlog_rows": backlog, "row_bytes": len(body),
            "drained_s": round(drained_at - back, 2), "rows_per_s": round(backlog / (drained_at - back), 1),
            "note": "from the broker's return (the box reconnects within reconnect_min_s = 1 s) to the last "
                    "backlog row acknowledged and deleted"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--media", type=Path, help="default: the generated 60 s 640x480 30 fps dance")
    parser.add_argument("--cores", default="1,2")
    parser.add_argument("--soak-minutes", type=float, default=3.0,
                        help="replay loop for RSS (bench/soak.py without outages; 0: skip)")
    parser.add_argument("--outage-s", type=float, default=60.0, help="broker outage before the drain (-1: skip)")
    parser.add_argument("--merge", action="store_true", help="keep the parts of --out this run skips")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "daemon.json")
    args = parser.parse_args()
    media = (args.media or default_media()).resolve()
    runs, soaked, drained = [], None, None
    with tempfile.TemporaryDirectory() as tmp:
        for cores in [int(c) for c in args.cores.split(",") if c]:
            runs.append(run_once(media, cores, Path(tmp)))
            print(json.dumps(runs[-1]), flush=True)
        if args.outage_s >= 0:
            drained = drain(media, args.outage_s, Path(tmp))
            print(json.dumps(drained), flush=True)
        if args.soak_minutes > 0:
            from soak import soak      # bench/soak.py: the same loop, here without outages

            soaked = soak(media, args.soak_minutes, Path(tmp), steady_after_min=0.0)
            print(json.dumps({k: v for k, v in soaked.items() if k != "per_minute"}), flush=True)
    doc = {"bench": "daemon", "command": "python bench/daemon.py " + " ".join(sys.argv[1:]),
           "media": str(media.relative_to(ROOT) if media.is_relative_to(ROOT) else media), "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
           "note": "live latency = live message arrival at a subscriber - its captured_at (the window's newest "
                   "item reaching the pipeline: queue wait in the capture buffer is not included). soak: the clip "
                   "looped, auto takes of one loop each, RSS from the box's health. drain: stored session-size rows "
                   "waiting while the broker is down, rows/s from the broker's return to the last delivery.",
           "runs": runs, "drain": drained, "soak": soaked}
    if args.merge and args.out.exists():
        before = json.loads(args.out.read_text())
        doc.update({k: before.get(k) for k in ("runs", "drain", "soak") if not doc[k] and before.get(k)})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
