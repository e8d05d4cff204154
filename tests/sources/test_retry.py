"""A network camera that goes away and comes back (an MJPEG stream on loopback whose server is killed and
started again on the same port): open_source reopens it, time and frame numbers go on across the gap."""

from __future__ import annotations

import threading
import time

import pytest

from edge.config import Settings
from edge.sources import LiveSource, Reopening, open_source
from tests.faults.harness import CameraServer
from tests.publish.broker import free_port


def test_a_stream_that_drops_is_reopened_and_its_timeline_goes_on():
    server = CameraServer(free_port())
    server.start()
    settings = Settings.model_validate({"capture": {"microphone": None, "reopen_min_s": 0.1, "reopen_max_s": 0.5,
                                                    "camera": {"read_timeout_s": 1.0}}})
    source = open_source(f"http://127.0.0.1:{server.port}/cam.mjpg", settings)
    assert isinstance(source, LiveSource) and isinstance(source.sources[0], Reopening)
    camera = source.sources[0]
    frames, states = [], []
    try:
        it = iter(source)
        while len(frames) < 30:
            frames.append((time.monotonic(), next(it)))
        server.stop()
        gone_at = time.monotonic()

        def watch():
            while time.monotonic() - gone_at < 2.5:
                states.append(camera.status()["state"])
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        watcher.join()
        server.start()
        back = time.monotonic()
        before = len(frames)
        while len(frames) < before + 30:
            frames.append((time.monotonic(), next(it)))
    finally:
        source.close()
        server.stop()
    assert "reconnecting" in states                        # the gap was seen and reported
    assert camera.status()["reconnects"] == 1 and camera.attempts >= 2
    # the outage is kept once the camera is back: as long as the server was down (2.5 s), less the time to
    # notice (at most a read timeout), plus the time to reopen
    total = camera.status()["gone_s_total"]
    assert back - gone_at - settings.capture.camera.read_timeout_s - 0.2 <= total
    assert total <= back - gone_at + settings.capture.reopen_max_s + 1.5
    first_after = frames[before][0]
    # frames the server sent before it died may still have been in the pipe: the new connection's first
    # frame is the first one at least a frame period into the new stream
    resumed = next(arrived for arrived, f in frames[before:] if arrived >= back)
    assert resumed - back < settings.capture.reopen_max_s + 1.5, (first_after - back)
    ts = [f.t for _, f in frames]
    idx = [f.index for _, f in frames]
    assert all(b > a for a, b in zip(ts, ts[1:])), "time goes backwards across the reopen"
    assert idx == sorted(set(idx)), "frame numbers restart or repeat"
    jump = max(b - a for a, b in zip(ts, ts[1:]))
    assert jump == pytest.approx(back - gone_at, abs=1.5)   # the gap is on the timeline, about as long as it was
