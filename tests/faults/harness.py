"""Faults a box in a room must survive (issue 11), each against the real daemon and a real Mosquitto.

Every scenario returns a `Row`: results lost, duplicates delivered, seconds to recover. tests/faults runs
them with short outages and asserts the targets; bench/faults.py runs the full lengths (60 s broker outage,
10 s camera gone …) and prints the table. The daemon runs as `perfscore run` in its own process with the
x86-dev device profile (firmware_configs/x86-dev.yaml) under a test layer (health every second), except
where a fault has to be made inside it (the microphone, a hung pose stage: see those scenarios).

Counting, on a subscriber that dedupes by the payload's `id` as the contract says (docs/mqtt.md):
- lost: session/recommendation ids the box logged as published (committed to its outbox) that never
  reached the subscriber;
- duplicates: takes delivered as more than one distinct session (or recommendation) message — what a
  dedupe by id cannot remove (a take scored twice after a restart, say);
- redelivered (detail): the same id received more than once (at-least-once delivery, and the broker's
  retained copy sent again when the display re-subscribes; dedupe removes both).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from edge import PROJECT_ROOT
from tests.publish.broker import Broker, free_port
from tests.publish.conftest import Recorder

PROFILE = PROJECT_ROOT / "firmware_configs" / "x86-dev.yaml"
DANCE = PROJECT_ROOT / "samples" / "dance_on_beat.mp4"
TARGET_RECOVER_S = 5.0
SESSION = re.compile(r"take (\S+): session ([0-9a-f-]{36}) published")
RECOMMENDATION = re.compile(r"take (\S+): recommendation ([0-9a-f-]{36}) published")
TEST_LAYER = "publish:\n  health_interval_s: 1\n"
AUTO_TAKES = """run:
  takes:
    auto: true
    start_on_person: false
    start_level_dbfs: -40
    start_after_s: 0.5
    stop_after_s: 2
    max_length_s: 8
"""


@dataclass
class Row:
    fault: str
    lost: int | None             # None: not a delivery fault (the hang row)
    duplicates: int | None
    recover_s: float | None
    recovery: str                # what recover_s measures
    detail: dict = field(default_factory=dict)

    def meets_targets(self) -> bool:
        return ((self.lost or 0) == 0 and (self.duplicates or 0) == 0
                and self.recover_s is not None and self.recover_s <= TARGET_RECOVER_S)

    def to_dict(self) -> dict:
        return {**asdict(self), "meets_targets": self.meets_targets()}


# ---- the pieces: a subscriber with arrival times, the daemon in its own process ----------------------------
class Display(Recorder):
    """A display's subscription (persistent session, so the broker keeps what arrives while it is away)
    that notes when each payload id first arrived."""

    def __init__(self, port: int, client_id: str = "display-1"):
        self.first_seen: dict[str, float] = {}
        super().__init__(port, "perfscore/demo/#", client_id=client_id, clean=False)

    def _on_message(self, client, userdata, msg):
        try:
            body = json.loads(msg.payload)
            if isinstance(body, dict) and "id" in body:
                self.first_seen.setdefault(body["id"], time.monotonic())
        except ValueError:
            pass
        super()._on_message(client, userdata, msg)

    def ids(self, kind: str) -> list[str]:
        return [b["id"] for b in self.on(f"/{kind}") if isinstance(b, dict)]

    def wait_ids(self, ids, timeout: float, what: str = "results") -> float | None:
        """Monotonic time the last of `ids` arrived; None if they did not all arrive within `timeout`."""
        ids = set(ids)
        try:
            self.wait_for(lambda r: ids <= set(r.first_seen), timeout=timeout, what=what)
        except AssertionError:
            return None
        return max((self.first_seen[i] for i in ids), default=time.monotonic())


class Daemon:
    """`perfscore run` with the device profile and a test layer; its log lines kept with their arrival time."""

    def __init__(self, folder: Path, broker_url: str, source: str, *args: str, state_dir: Path,
                 config: str = "", prefix: tuple[str, ...] = ()):
        folder.mkdir(parents=True, exist_ok=True)
        layer = folder / "faults.yaml"
        layer.write_text(TEST_LAYER + config)
        self.started_at = time.monotonic()
        cmd = [*prefix, sys.executable, "-m", "edge.cli.main", "--config", str(PROFILE), "--config", str(layer),
               "run", "--source", source, "--broker", broker_url, "--device", "demo", "--state-dir",
               str(state_dir), *args]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, env=env, start_new_session=True)
        self.lines: list[tuple[float, str]] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self._cond.notify_all()

    def wait_line(self, pattern: str, timeout: float = 60.0, after: float = 0.0) -> tuple[float, re.Match]:
        """(arrival time, match) of the first line matching `pattern` that arrived after `after`."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for t, line in self.lines:
                    m = rx.search(line) if t >= after else None
                    if m:
                        return t, m
                if time.monotonic() >= deadline or self.proc.poll() is not None:
                    self._cond.wait(0.5)   # the reader may hold the last lines
                    raise AssertionError(f"no log line /{pattern}/ (exit {self.proc.poll()}); log:\n" + self.tail())
                self._cond.wait(0.25)

    def published(self, rx: re.Pattern = SESSION, before: float | None = None) -> list[tuple[str, str]]:
        """(take id, payload id) of every result the box committed to its outbox (before a time)."""
        with self._cond:
            return [m.groups() for t, m in ((t, rx.search(line)) for t, line in self.lines)
                    if m and (before is None or t <= before)]

    def tail(self, n: int = 150) -> str:
        n = int(os.environ.get("PERFSCORE_FAULTS_LOG_LINES", n))
        with self._cond:
            return "\n".join(line for _, line in self.lines[-n:])

    def running_take(self) -> bool:
        with self._cond:
            events = [m.group(1) for m in (re.search(r"take \S+ (started|ended)", line) for _, line in self.lines) if m]
        return bool(events) and events[-1] == "started"

    def terminate(self, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("perfscore run did not stop on SIGTERM; log:\n" + self.tail()) from None

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)   # its own session: the unshare wrapper goes too
            self.proc.wait(10)


def count(display: Display, published: list[tuple[str, str]], kind: str) -> dict:
    """lost / duplicates / redelivered for one kind of result."""
    received = [b for b in display.on(f"/{kind}") if isinstance(b, dict)]
    ids = [b["id"] for b in received]
    unique = {b["id"]: b for b in received}
    take_of = (lambda b: b["take"]["id"]) if kind == "session" else (lambda b: b["take_id"])
    per_take = Counter(take_of(b) for b in unique.values())
    want = {pid for _, pid in published}
    return {"published": len(want), "lost": len(want - set(ids)),
            "duplicates": sum(n - 1 for n in per_take.values()),
            "redelivered": sum(n - 1 for n in Counter(ids).values())}


def tally(display: Display, daemons: list[Daemon], timeout: float = 30.0) -> dict:
    """Wait (up to `timeout`) for everything the daemons published, then count both kinds."""
    out = {}
    for kind, rx in (("session", SESSION), ("recommendation", RECOMMENDATION)):
        published = [p for d in daemons for p in d.published(rx)]
        display.wait_ids([pid for _, pid in published], timeout, what=f"every {kind}")
        out[kind] = count(display, published, kind)
    return out


def _row_counts(counts: dict) -> tuple[int, int]:
    return (sum(c["lost"] for c in counts.values()), sum(c["duplicates"] for c in counts.values()))


def outbox_depth(state_dir: Path) -> int:
    with sqlite3.connect(f"file:{state_dir / 'outbox.sqlite'}?mode=ro", uri=True) as db:
        return db.execute("SELECT COUNT(*) FROM outbox WHERE refused IS NULL").fetchone()[0]


def wait_until(predicate, timeout: float, step: float = 0.05) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(step)
    return None


# ---- media ---------------------------------------------------------------------------------------------------
def music_file(folder: Path, seconds: float = 240.0) -> Path:
    """Generated music without a break (a flute and a clarinet render of two chorales, alternating)."""
    from tests.app.media import fit, layout, music

    path = folder / f"music_{int(seconds)}.wav"
    if not path.exists():
        flute = music(folder, piece_id="bach-bwv57.8", instrument="flute", tempo_bpm=104, max_beats=40)
        clarinet = music(folder, piece_id="bach-bwv145.5", instrument="clarinet", tempo_bpm=84, max_beats=28)
        parts = [fit(flute, 20), fit(clarinet, 20)] * int(seconds // 40 + 1)
        layout(path, parts)
    return path


def quiet_file(folder: Path, seconds: float = 120.0) -> Path:
    from tests.app.media import layout, silence

    path = folder / f"quiet_{int(seconds)}.wav"
    if not path.exists():
        layout(path, [silence(seconds, 7)])
    return path


# ---- broker faults -------------------------------------------------------------------------------------------
def broker_faults(folder: Path, music: Path, *, outages: list[float], gap_s: float = 0.0, name: str) -> Row:
    """Takes of 8 s one after another (auto, music at 3x); while one runs the broker is stopped for each
    of `outages` seconds (restarted in between after `gap_s`). Recovery: from the broker's last return
    until every result committed before it has reached the display."""
    (folder / "mq").mkdir(parents=True, exist_ok=True)
    broker = Broker(folder / "mq", persistent=True).start()
    display = Display(broker.port)
    box = Daemon(folder / "box", broker.url, f"replay:{music}", "--speed", "3", state_dir=folder / "state",
                 config=AUTO_TAKES)
    try:
        box.wait_line(RECOMMENDATION.pattern, timeout=90)
        wait_until(box.running_take, 15)
        committed_before = len(box.published())
        for i, outage in enumerate(outages):
            broker.stop()
            time.sleep(outage)
            # The box may reconnect while start() still waits for the broker's port: look for its line from here.
            restarting = time.monotonic()
            broker.start()
            if i < len(outages) - 1:
                time.sleep(gap_s)
        back = time.monotonic()
        # What the display did not have when the broker came back: committed during the outage.
        pending = [pid for rx in (SESSION, RECOMMENDATION) for _, pid in box.published(rx, before=back)
                   if pid not in display.first_seen]
        reconnected, _ = box.wait_line(r"connected to mqtt://", after=restarting, timeout=30)
        delivered = display.wait_ids(pending, timeout=60)
        if delivered is not None:
            delivered = max(delivered, reconnected)     # nothing pending: the box being back is the recovery
        during = len(box.published(before=back)) - committed_before
        time.sleep(3)                                   # the box goes on taking takes after the fault
        code = box.terminate()
        counts = tally(display, [box])
        lost, dups = _row_counts(counts)
        return Row(name, lost, dups, None if delivered is None else round(delivered - back, 2),
                   "broker back → every result committed meanwhile at the display",
                   {"outages_s": outages, "sessions_committed_during_outage": during,
                    "results_pending_at_return": len(pending), "exit_code": code,
                    "box_reconnected_s": round(reconnected - back, 2), "counts": counts})
    finally:
        box.kill()
        display.close()
        broker.stop()


def broker_down(folder: Path, music: Path, outage_s: float = 60.0) -> Row:
    return broker_faults(folder, music, outages=[outage_s], name=f"broker down {outage_s:g} s mid-take")


def broker_restarted_twice(folder: Path, music: Path, outage_s: float = 1.0, gap_s: float = 1.0) -> Row:
    return broker_faults(folder, music, outages=[outage_s, outage_s], gap_s=gap_s,
                         name="broker restarted twice in a row")


# ---- the daemon SIGKILLed with results in its outbox ------------------------------------------------------
def sigkill_with_outbox(folder: Path, music: Path, quiet: Path) -> Row:
    """No broker: one take (--once) is scored and its session and recommendation wait in the outbox; the
    daemon is SIGKILLed. The broker comes up, the daemon restarts on the same state directory (on a quiet
    source: it makes no new result). Recovery: from the restart to both results at the display."""
    state = folder / "state"
    (folder / "mq").mkdir(parents=True, exist_ok=True)
    broker = Broker(folder / "mq", persistent=True)
    first = Daemon(folder / "box1", broker.url, f"replay:{music}", "--once", "--speed", "4", state_dir=state)
    second = None
    display = None
    try:
        first.wait_line(RECOMMENDATION.pattern, timeout=120)
        first.kill()
        waiting = outbox_depth(state)
        broker.start()
        display = Display(broker.port)
        second = Daemon(folder / "box2", broker.url, f"replay:{quiet}", state_dir=state)
        pending = [pid for rx in (SESSION, RECOMMENDATION) for _, pid in first.published(rx)]
        delivered = display.wait_ids(pending, timeout=60)
        up, _ = second.wait_line(r"box demo up", timeout=30)
        code = second.terminate()
        counts = tally(display, [first, second])
        lost, dups = _row_counts(counts)
        # The fault clears when the daemon is up again (systemd restarts it after RestartSec=5); the
        # process start-up before that (imports, models) is reported beside it.
        return Row("daemon SIGKILLed with results in the outbox", lost, dups,
                   None if delivered is None else round(max(0.0, delivered - up), 2),
                   "daemon up again → the waiting results at the display",
                   {"rows_waiting_at_kill": waiting, "outbox_after": outbox_depth(state),
                    "start_up_s": round(up - second.started_at, 2),
                    "restart_to_delivered_s": None if delivered is None else round(delivered - second.started_at, 2),
                    "exit_code": code, "counts": counts})
    finally:
        for d in (first, second):
            if d is not None:
                d.kill()
        if display is not None:
            display.close()
        broker.stop()


# ---- the state directory's disk full ----------------------------------------------------------------------
def can_mount_tmpfs() -> str | None:
    """None if an unprivileged user+mount namespace may mount a tmpfs here, else why not."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                            "d=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs \"$d\" && umount \"$d\"; rc=$?; "
                            "rmdir \"$d\"; exit $rc"], capture_output=True, text=True)
    return None if probe.returncode == 0 else f"no tmpfs in a user namespace: {probe.stderr.strip()[:200]}"


def ask(display: Display, verb: str, args: dict, request_id: str, timeout: float = 15.0) -> dict:
    from edge.publish import payloads

    display.client.publish(f"perfscore/demo/cmd/{verb}", json.dumps(payloads.command(args, request_id=request_id)),
                           qos=1)
    display.wait_for(lambda r: any(b.get("request_id") == request_id for b in r.on(f"/cmd/{verb}/result")
                                   if isinstance(b, dict)), timeout=timeout, what=f"result of {verb}")
    return next(b for b in display.on(f"/cmd/{verb}/result") if isinstance(b, dict)
                and b.get("request_id") == request_id)


def fill(path: Path) -> int:
    """Write zeros to `path` until the file system says ENOSPC; the bytes written."""
    written = 0
    block = b"\0" * (1 << 16)
    with open(path, "wb", buffering=0) as fh:
        try:
            while True:
                written += fh.write(block)
        except OSError:
            pass
    return written


def disk_full(folder: Path, music: Path, full_s: float = 30.0, size_mb: int = 24) -> Row:
    """The state directory is a real tmpfs of `size_mb` MiB (mounted in an unprivileged user+mount namespace:
    no root needed). A take runs; the disk is filled to ENOSPC; the take is stopped. The box must say so
    (`health`: accepting_takes false, outbox.disk_free_bytes ~0), refuse a new take, and keep the stopped
    take's result until there is room. The filler is removed after `full_s`; recovery: from then until
    that result is at the display."""
    state = folder / "state"
    state.mkdir(parents=True, exist_ok=True)
    (folder / "mq").mkdir(parents=True, exist_ok=True)
    broker = Broker(folder / "mq").start()
    display = Display(broker.port)
    prefix = ("unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
              f'mount -t tmpfs -o size={size_mb}m tmpfs "$0" && exec "$@"', str(state))
    box = Daemon(folder / "box", broker.url, f"replay:{music}", state_dir=state, prefix=prefix)
    inside = Path(f"/proc/{box.proc.pid}/root") / str(state).lstrip("/")   # the box's view of its tmpfs
    try:
        box.wait_line(r"box demo up", timeout=60)
        wait_until(lambda: display.on("/status") and display.on("/status")[-1].get("state") == "online", 15)
        a = ask(display, "session/start", {"performer": "p-1"}, "start-a")
        assert a["ok"], a
        time.sleep(3)
        filled = fill(inside / "filler.bin")
        full_at = time.monotonic()
        stop = ask(display, "session/stop", {}, "stop-a")
        held, _ = box.wait_line(r"waits in memory", timeout=60, after=full_at)
        wait_until(lambda: any(not h["accepting_takes"] for h in display.on("/health")[-2:]), 10)
        health = [h for h in display.on("/health") if isinstance(h, dict)][-1]
        refused = ask(display, "session/start", {"performer": "p-2"}, "start-b")
        time.sleep(full_s)
        lost_while_full = len(box.published()) == 0 and display.ids("session") == []
        (inside / "filler.bin").unlink()
        freed = time.monotonic()
        stored, _ = box.wait_line(r"stored in the outbox after waiting", timeout=30, after=freed)
        take_a = a["result"]["take_id"]
        delivered = wait_until(lambda: any(b["take"]["id"] == take_a for b in display.on("/session")), 30)
        # the coach writes its store once the session is stored, on a disk with room again: nothing missing
        recommended = wait_until(lambda: any(b.get("take_id") == take_a for b in display.on("/recommendation")
                                             if isinstance(b, dict)), 30)
        again = ask(display, "session/start", {"performer": "p-3"}, "start-c")
        time.sleep(1.5)
        ask(display, "session/stop", {}, "stop-c")
        box.wait_line(rf"take {again['result']['take_id']}: session" if again.get("ok") else r"(?!)", timeout=60)
        code = box.terminate()
        counts = tally(display, [box])
        lost, dups = _row_counts(counts)
        return Row("state directory's disk full", lost, dups,
                   None if delivered is None else round(delivered - freed, 2),
                   "disk freed → the result held in memory at the display",
                   {"tmpfs_mb": size_mb, "filler_bytes": filled, "stop_ok": stop["ok"],
                    "held_in_memory_after_s": round(held - full_at, 2),
                    "health_while_full": {"accepting_takes": health["accepting_takes"],
                                          "disk_free_bytes": health["outbox"].get("disk_free_bytes"),
                                          "free_bytes": health["outbox"]["free_bytes"]},
                    "new_take_while_full": {"ok": refused["ok"], "error": (refused.get("error") or {}).get("message")},
                    "nothing_published_while_full": lost_while_full, "stored_after_free_s": round(stored - freed, 2),
                    "held_take_recommended": recommended is not None,
                    "new_take_after": again["ok"], "exit_code": code, "counts": counts})
    finally:
        box.kill()
        display.close()
        broker.stop()


# ---- the camera gone and back ------------------------------------------------------------------------------
class CameraServer:
    def __init__(self, port: int, video: Path = DANCE):
        self.port, self.video, self.proc = port, video, None

    def start(self) -> float:
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("camera_server.py")),
                                      str(self.port), str(self.video)], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("serving"), f"camera server did not start: {line!r}"
        return time.monotonic()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()                               # every open connection dies with it
            self.proc.wait(10)


def latest_health(display: Display) -> dict:
    found = [h for h in display.on("/health") if isinstance(h, dict)]
    return found[-1] if found else {}


def camera_gone(folder: Path, gone_s: float = 10.0) -> Row:
    """The daemon reads an MJPEG stream on loopback (a network camera, no microphone); a take runs; the
    camera's server is killed for `gone_s` and started again on the same port. Recovery: from the server
    listening again until the box has its frames again (its log says the camera is back; `health`
    shows frames growing)."""
    (folder / "mq").mkdir(parents=True, exist_ok=True)
    broker = Broker(folder / "mq").start()
    display = Display(broker.port)
    camera = CameraServer(free_port())
    camera.start()
    box = Daemon(folder / "box", broker.url, f"http://127.0.0.1:{camera.port}/cam.mjpg", state_dir=folder / "state",
                 config="capture:\n  microphone: null\n")
    try:
        box.wait_line(r"box demo up", timeout=60)
        wait_until(lambda: (latest_health(display).get("capture", {}).get("fps") or 0) > 5, 30)
        a = ask(display, "session/start", {"performer": "p-1"}, "start-a")
        time.sleep(2)
        camera.stop()
        gone_at = time.monotonic()
        reported = wait_until(lambda: any(d.get("state") == "reconnecting"
                                          for d in latest_health(display).get("capture", {}).get("devices", [])),
                              max(gone_s, 10))
        time.sleep(max(0.0, gone_s - (time.monotonic() - gone_at)))
        frames_then = latest_health(display).get("capture", {}).get("frames", 0)
        back = camera.start()
        resumed, m = box.wait_line(r"is back after", timeout=30, after=back)
        grew = wait_until(lambda: latest_health(display).get("capture", {}).get("frames", 0) > frames_then + 10, 10)
        devices = latest_health(display).get("capture", {}).get("devices", [])
        time.sleep(1)
        ask(display, "session/stop", {}, "stop-a")
        box.wait_line(rf"take {a['result']['take_id']}: session", timeout=60)
        code = box.terminate()
        counts = tally(display, [box])
        lost, dups = _row_counts(counts)
        return Row(f"camera gone {gone_s:g} s and back", lost, dups, round(resumed - back, 2),
                   "camera back → capture resumed (frames again)",
                   {"reported_in_health_after_s": None if reported is None else round(reported - gone_at, 2),
                    "frames_grew_after_return": grew is not None, "devices": devices,
                    "take_ok": a["ok"], "exit_code": code, "counts": counts})
    finally:
        box.kill()
        camera.stop()
        display.close()
        broker.stop()


# ---- the microphone gone and back ---------------------------------------------------------------------------
def microphone_gone(folder: Path, gone_s: float = 10.0) -> Row:
    """Runs tests/faults/mic_box.py in its own process (ALSA is configured before it loads): the daemon (App)
    on a microphone, a take across the fault. See mic_box.py for what is real and what is injected."""
    (folder / "mq").mkdir(parents=True, exist_ok=True)
    broker = Broker(folder / "mq").start()
    display = Display(broker.port)
    try:
        proc = subprocess.run([sys.executable, str(Path(__file__).with_name("mic_box.py")), broker.url,
                               str(folder / "state"), str(gone_s)], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, timeout=180 + gone_s)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not lines:
            raise AssertionError(f"mic_box.py failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        out = json.loads(lines[-1])
        published = [(t, s) for t, s in out["sessions"]]
        display.wait_ids([s for _, s in published], 30, what="the session")
        counts = {"session": count(display, published, "session")}
        lost, dups = _row_counts(counts)
        return Row(f"microphone gone {gone_s:g} s and back", lost, dups, out["resumed_s"],
                   "microphone back → audio chunks again",
                   {**{k: v for k, v in out.items() if k not in ("sessions",)}, "counts": counts})
    finally:
        display.close()
        broker.stop()


# ---- a stage that hangs -------------------------------------------------------------------------------------
def pose_hangs(folder: Path, music: Path = DANCE, watch_s: float = 3.0) -> Row:
    """In this process (the hang is injected: Take.add never returns after 150 items, as a wedged native pose
    call would): the daemon with a systemd watchdog socket that the test binds. The pings must stop."""
    from edge import app as app_module
    from edge.config import load_settings
    from tests.test_notify import NotifySocket, stuck_after

    hang = threading.Event()
    real_add = app_module.Take.add
    add = stuck_after(real_add, 150, hang)

    folder.mkdir(parents=True, exist_ok=True)
    sock = NotifySocket(str(folder / "notify"))
    saved = {k: os.environ.get(k) for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    os.environ.update(NOTIFY_SOCKET=sock.env_value, WATCHDOG_USEC="400000")   # a ping every 0.2 s
    app_module.Take.add = add
    messages: list = []
    done = threading.Event()

    def listen():
        while not done.is_set():
            messages.extend(sock.read_all(timeout=0.1))

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    app = app_module.App(load_settings([PROFILE]), f"replay:{music}", device="demo", broker="mqtt://127.0.0.1:9",
                         state_dir=folder / "state", once=True)
    try:
        app.start()
        assert hang.wait(60), "the take never reached its 150th item"
        hung_at = time.monotonic()
        time.sleep(watch_s)
    finally:
        app._stop.set()
        app.publisher.stop()
        done.set()
        listener.join(5)
        sock.close()
        app_module.Take.add = real_add
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    pings = [t for t, m in messages if m.get("WATCHDOG") == "1"]
    before = [t for t in pings if t < hung_at]
    after = [t for t in pings if t >= hung_at]
    last = max(pings) if pings else hung_at
    return Row("a stage hangs (pose stuck)", None, None, round(max(0.0, last - hung_at), 2),
               "pose stuck → last watchdog ping (then systemd restarts it after WatchdogSec)",
               {"pings_before": len(before), "pings_after": len(after), "watched_s": watch_s,
                "interval_s": 0.2, "missed": list(app.watchdog.missed)})


def table(rows: list[Row]) -> str:
    head = f"| {'fault':44} | lost | duplicates | recover (s) | target met |"
    lines = [head, "|" + "---|" * 5]
    for r in rows:
        dash = lambda v: "–" if v is None else str(v)   # noqa: E731
        lines.append(f"| {r.fault:44} | {dash(r.lost):>4} | {dash(r.duplicates):>10} | {dash(r.recover_s):>11} | "
                     f"{'yes' if r.meets_targets() else 'NO'} |")
    return "\n".join(lines)
