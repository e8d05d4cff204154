"""The daemon speaks sd_notify as systemd expects of a Type=notify unit with WatchdogSec= (issue 11): the test
binds the datagram socket systemd would, and reads READY, STATUS, the watchdog pings and STOPPING."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import numpy as np

from edge import PROJECT_ROOT
from edge.config import Settings
from tests.test_notify import NotifySocket, stuck_after

from .conftest import MUSIC


def test_ready_then_pings_on_time_then_stopping(broker, tmp_path):
    sock = NotifySocket(str(tmp_path / "notify"))
    env = {**os.environ, "NOTIFY_SOCKET": sock.env_value, "WATCHDOG_USEC": "1000000"}   # ping every 0.5 s
    cmd = [sys.executable, "-m", "edge.cli.main", "run", "--source", f"replay:{MUSIC}", "--broker", broker.url,
           "--device", "demo", "--state-dir", str(tmp_path / "state"), "--once", "--speed", "2"]
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    messages = []
    deadline = time.monotonic() + 90
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            messages += sock.read_all(timeout=0.5)
        messages += sock.read_all(timeout=0.5)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        sock.close()
    assert proc.returncode == 0, proc.stderr.read()
    kinds = [next(iter(m)) for _, m in messages]
    ready = kinds.index("READY")
    assert "capturing replay:" in messages[ready][1]["STATUS"]
    assert "STOPPING" in kinds[ready:]
    pings = [t for t, m in messages if m.get("WATCHDOG") == "1"]
    assert len(pings) >= 8                              # a 7 s take at one ping per 0.5 s
    assert np.max(np.diff(pings)) < 1.0                 # never late by more than WATCHDOG_USEC
    assert any(m.get("STATUS", "").startswith("take ") for _, m in messages)


def test_pings_stop_when_a_stage_hangs(tmp_path, monkeypatch):
    """Pose stuck (Take.add never returns after a few items): capture and pose stop beating, so the pings stop
    and systemd would restart the box; until then they arrived on time."""
    from edge import app as app_module

    hang = threading.Event()
    monkeypatch.setattr(app_module.Take, "add", stuck_after(app_module.Take.add, 50, hang))
    sock = NotifySocket(str(tmp_path / "notify"))
    monkeypatch.setenv("NOTIFY_SOCKET", sock.env_value)
    monkeypatch.setenv("WATCHDOG_USEC", "400000")       # ping every 0.2 s
    app = app_module.App(Settings(), f"replay:{MUSIC}", device="demo", broker="mqtt://127.0.0.1:9",
                         state_dir=tmp_path / "state", once=True)
    messages: list = []
    done = threading.Event()

    def listen():      # as systemd does: every datagram as it arrives, with its arrival time
        while not done.is_set():
            messages.extend(sock.read_all(timeout=0.1))

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    app.start()
    try:
        assert hang.wait(30), "the take never reached its 50th item"
        hung_at = time.monotonic()
        time.sleep(3.0)
    finally:
        app._stop.set()                                 # the stuck thread stays stuck (a daemon thread)
        app.publisher.stop()
        done.set()
        listener.join(5)
        sock.close()
    assert sum(m.get("WATCHDOG") == "1" for t, m in messages if t < hung_at) >= 2   # pinged while all moved
    after = [round(t - hung_at, 2) for t, m in messages if m.get("WATCHDOG") == "1" and t > hung_at]
    # At most the one ping whose round the stages had already completed before the hang; then none.
    assert len(after) <= 1 and all(t < 1.0 for t in after), f"pings at {after} s after the pose stage hung"
    assert app.watchdog.missed and set(app.watchdog.missed) <= {"capture", "pose"}
