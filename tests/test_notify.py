"""edge/notify.py against the real protocol: the test binds the AF_UNIX datagram socket systemd would
($NOTIFY_SOCKET, a path or an abstract `@name`) and reads what arrives."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid

import pytest

from edge.notify import Notifier, Watchdog


class NotifySocket:
    """What systemd does for a Type=notify unit: a bound datagram socket; `read` returns one message as a dict."""

    def __init__(self, address: str):
        self.env_value = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(b"\0" + address[1:].encode() if address.startswith("@") else address)
        self.sock.settimeout(5)

    def read(self, timeout: float = 5.0) -> dict[str, str]:
        self.sock.settimeout(timeout)
        data = self.sock.recv(4096).decode()
        return dict(line.split("=", 1) for line in data.split("\n"))

    def read_all(self, timeout: float) -> list[tuple[float, dict[str, str]]]:
        """Every message arriving within `timeout` s, with its arrival time (monotonic)."""
        got = []
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096).decode()
            except TimeoutError:
                break
            got.append((time.monotonic(), dict(line.split("=", 1) for line in data.split("\n"))))
        return got

    def close(self):
        self.sock.close()


@pytest.fixture(params=["path", "abstract"])
def notify_socket(request, tmp_path):
    address = str(tmp_path / "notify") if request.param == "path" else f"@perfscore-test-{uuid.uuid4().hex}"
    s = NotifySocket(address)
    yield s
    s.close()


def test_ready_status_stopping_arrive_as_systemd_reads_them(notify_socket):
    n = Notifier.from_env({"NOTIFY_SOCKET": notify_socket.env_value})
    assert n.enabled
    assert n.ready(status="models loaded, capture running")
    assert notify_socket.read() == {"READY": "1", "STATUS": "models loaded, capture running"}
    assert n.status("take t-1 running\nsecond line")        # one line: a newline would start a new field
    assert notify_socket.read() == {"STATUS": "take t-1 running second line"}
    assert n.watchdog()
    assert notify_socket.read() == {"WATCHDOG": "1"}
    assert n.stopping()
    assert notify_socket.read() == {"STOPPING": "1"}
    n.close()


def test_without_systemd_every_call_is_a_silent_no_op():
    n = Notifier.from_env({})
    assert not n.enabled and n.watchdog_interval() is None
    assert n.ready() is False and n.watchdog() is False and n.stopping() is False


def test_a_vanished_socket_is_reported_not_raised(tmp_path, caplog):
    n = Notifier(str(tmp_path / "gone"))
    assert n.ready() is False
    assert "sd_notify" in caplog.text and "gone" in caplog.text


def test_watchdog_interval_is_half_of_watchdog_usec():
    assert Notifier.from_env({"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "4000000"}).watchdog_interval() == 2.0
    assert Notifier.from_env({"NOTIFY_SOCKET": "@x"}).watchdog_interval() is None
    # $WATCHDOG_PID names another process: the watchdog is not ours
    other = {"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "4000000", "WATCHDOG_PID": str(os.getpid() + 1)}
    assert Notifier.from_env(other).watchdog_interval() is None
    ours = {**other, "WATCHDOG_PID": str(os.getpid())}
    assert Notifier.from_env(ours).watchdog_interval() == 2.0
    assert Notifier.from_env({"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "soon"}).watchdog_interval() is None


def test_ping_only_when_every_stage_beat_since_the_last_ping(notify_socket):
    wd = Watchdog(Notifier(notify_socket.env_value), stages=["capture", "pose", "scoring"])
    assert not wd.ping_if_alive() and wd.missed == ["capture", "pose", "scoring"]
    wd.beat("capture"), wd.beat("pose")
    assert not wd.ping_if_alive() and wd.missed == ["scoring"]
    wd.beat("scoring")
    assert wd.ping_if_alive()
    assert notify_socket.read() == {"WATCHDOG": "1"}
    assert not wd.ping_if_alive()                  # a new round: the beats before the ping do not count twice
    with pytest.raises(KeyError, match="'decode'"):
        wd.beat("decode")
    assert notify_socket.read_all(0.2) == []


def test_a_long_piece_of_work_counts_as_progress_until_its_allowance_runs_out(notify_socket):
    now = [0.0]
    wd = Watchdog(Notifier(notify_socket.env_value), stages=["pose", "scoring"], clock=lambda: now[0])
    with wd.busy("scoring", allowed_s=10.0):       # measuring a take: no beats from inside
        for t in (1.0, 2.0, 9.0):
            now[0] = t
            wd.beat("pose")
            assert wd.ping_if_alive(), t
        now[0] = 10.5                               # past its allowance: hung
        wd.beat("pose")
        assert not wd.ping_if_alive() and wd.missed == ["scoring"]
    wd.beat("pose")
    assert wd.ping_if_alive()                       # finishing the work is progress
    with pytest.raises(KeyError, match="'decode'"):
        with wd.busy("decode", 1.0):
            pass


def stuck_after(real, n: int, hang: threading.Event):
    """`real` for its first `n` calls; then a call that never returns (as a wedged native call would), with
    `hang` set. For the watchdog tests that make a stage hang (pose: Take.add)."""
    calls = {"n": 0}

    def call(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > n:
            hang.set()
            threading.Event().wait()
        return real(*args, **kwargs)

    return call


def _stage(wd: Watchdog, name: str, stop: threading.Event, hang: threading.Event, period: float = 0.02):
    def work():
        while not stop.is_set():
            if hang.is_set():                      # a stuck stage: alive, but no progress
                time.sleep(period)
                continue
            wd.beat(name)
            time.sleep(period)
    t = threading.Thread(target=work, daemon=True)
    t.start()
    return t


def test_pings_arrive_on_time_and_stop_when_a_stage_hangs(notify_socket):
    # WatchdogSec=0.6 → $WATCHDOG_USEC=600000 → a ping every 0.3 s
    notifier = Notifier.from_env({"NOTIFY_SOCKET": notify_socket.env_value, "WATCHDOG_USEC": "600000"})
    interval = notifier.watchdog_interval()
    assert interval == pytest.approx(0.3)
    wd = Watchdog(notifier, stages=["capture", "pose", "scoring"])
    stop, pose_hangs, never = threading.Event(), threading.Event(), threading.Event()
    for name in ("capture", "scoring"):
        _stage(wd, name, stop, never)
    _stage(wd, "pose", stop, pose_hangs)
    started = time.monotonic()
    wd.start(stop)
    try:
        healthy = notify_socket.read_all(2.0)
        pose_hangs.set()
        hung_at = time.monotonic()
        after_hang = notify_socket.read_all(1.5)
    finally:
        stop.set()
    assert all(msg == {"WATCHDOG": "1"} for _, msg in healthy)
    times = [started] + [t for t, _ in healthy]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(healthy) >= 5, gaps                                  # 2 s / 0.3 s ≈ 6
    assert max(gaps) < 0.6, gaps                                    # never late enough for systemd to kill us
    # At most one ping already decided before the hang was noticed; then silence.
    assert all(t - hung_at < interval + 0.1 for t, _ in after_hang), [t - hung_at for t, _ in after_hang]
    assert len(after_hang) <= 1
    assert wd.missed == ["pose"]
    assert wd.stalled()["pose"] > 1.0 > wd.stalled()["capture"]
