"""The MQTT client against a real Mosquitto: birth, Last Will, clean stop, an outage mid-stream, a
killed writer's rows delivered by the next process, latest-only live values, a full outbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from edge.config.publish import PublishConfig
from edge.errors import ConfigError
from edge.publish import OutboxFull, Publisher
from edge.publish.connection import broker_address, load_credentials

from .broker import Broker
from .conftest import Recorder

HELPER = Path(__file__).with_name("box_process.py")


def config(url: str, **kw) -> PublishConfig:
    return PublishConfig(broker=url, reconnect_min_s=1, reconnect_max_s=1, keepalive_s=5, **kw)


def states(rec: Recorder) -> list[str]:
    return [body["state"] for body in rec.on("/status")]


def test_birth_and_last_will_when_the_box_is_killed(broker, recorder, tmp_path):
    rec = recorder("perfscore/killed/status")
    proc = subprocess.Popen([sys.executable, str(HELPER), "serve", broker.url, str(tmp_path), "killed"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "connected"
        rec.wait_for(lambda r: states(r) == ["online"], what="online")
        os.kill(proc.pid, signal.SIGKILL)
        rec.wait_for(lambda r: states(r) == ["online", "offline"], what="offline (Last Will)")
    finally:
        proc.kill()
        proc.wait()
    late = recorder("perfscore/killed/status")          # a subscriber arriving later sees the retained will
    late.wait_for(lambda r: states(r) == ["offline"], what="retained offline")
    assert late.messages[0][2] is True
    offline = rec.on("/status")[1]
    assert offline["device"] == "killed" and offline["schema"] == "perfscore.status/1"


def test_clean_stop_says_stopped_and_keeps_it(broker, recorder, tmp_path):
    rec = recorder("perfscore/clean/status")
    pub = Publisher(config(broker.url), "clean", state_dir=tmp_path)
    pub.start()
    rec.wait_for(lambda r: states(r) == ["online"], what="online")
    pub.stop()
    rec.wait_for(lambda r: states(r) == ["online", "stopped"], what="stopped")
    time.sleep(0.3)
    assert states(rec) == ["online", "stopped"]          # a clean exit does not fire the will
    recorder("perfscore/clean/status").wait_for(lambda r: states(r) == ["stopped"], what="retained stopped")


def test_outage_mid_stream_loses_nothing_and_resends_nothing_acknowledged(tmp_path):
    (tmp_path / "b").mkdir()
    broker = Broker(tmp_path / "b", persistent=True).start()
    # A subscriber with a persistent session, as a display would have: the broker keeps its messages
    # while it reconnects after the outage.
    sub = Recorder(broker.port, "perfscore/outage/session", client_id="display-outage", clean=False)
    pub = Publisher(config(broker.url), "outage", state_dir=tmp_path / "state")
    pub.start()
    n = 60

    def takes():
        for i in range(n):
            pub.communicator.deliver(pub.topics.session, {"id": f"take-{i:03d}", "i": i}, retain=True)
            time.sleep(0.03)

    try:
        writer = threading.Thread(target=takes)
        writer.start()
        time.sleep(0.5)
        broker.stop()                                       # mid-stream: ~15 delivered, the rest wait on disk
        down_at = len(sub.messages)
        time.sleep(3.0)
        assert 0 < down_at < n and pub.outbox.stats().depth > 0 and not pub.connected
        broker.start()                                      # the same port
        writer.join()
        sub.wait_for(lambda r: len({b["id"] for b in r.on("/session")}) == n, timeout=20, what=f"{n} results")
        assert pub.wait_delivered(10)
        bodies = sub.on("/session")
        firsts = []
        for b in bodies:                                    # dedupe by id, as the contract tells subscribers
            if b["id"] not in firsts:
                firsts.append(b["id"])
        assert firsts == [f"take-{i:03d}" for i in range(n)]  # every one, in order
        assert len(bodies) - n <= 8                          # repeats only of what was in flight at the outage
        assert pub.outbox.stats().depth == 0 and pub.communicator.counters()["delivered"] == n
        pub.stop()
        # A new process on the same state directory: nothing acknowledged is sent again.
        count = len(sub.messages)
        again = Publisher(config(broker.url), "outage", state_dir=tmp_path / "state")
        again.start()
        time.sleep(1.5)
        assert again.connected and len(sub.messages) == count
        again.stop()
    finally:
        sub.close()
        broker.stop()


def test_rows_of_a_killed_writer_are_delivered_by_the_next_process(broker, recorder, tmp_path):
    proc = subprocess.Popen([sys.executable, str(HELPER), "write", str(tmp_path), "relay", "25"],
                            stdout=subprocess.PIPE, text=True)
    lines = [proc.stdout.readline().strip() for _ in range(26)]
    assert lines[-1] == "done"
    os.kill(proc.pid, signal.SIGKILL)                       # rows pending, the writer never published them
    proc.wait()
    rec = recorder("perfscore/relay/session")
    pub = Publisher(config(broker.url), "relay", state_dir=tmp_path)
    pub.start()
    try:
        rec.wait_for(lambda r: len(r.on("/session")) >= 25, what="25 rows")
        assert [b["i"] for b in rec.on("/session")] == list(range(25))
        assert pub.wait_delivered(5) and pub.outbox.stats().depth == 0
    finally:
        pub.stop()


def test_live_is_latest_only_and_never_queued_while_disconnected(tmp_path):
    broker = Broker(tmp_path)                               # its port is chosen, nothing listens yet
    pub = Publisher(config(broker.url, live_max_rate_hz=5), "live", state_dir=tmp_path / "state")
    pub.start()
    try:
        for i in range(50):                                 # the broker is absent: only the newest is kept
            pub.live(take_id="t", performer="p-1", discipline="dance", t_s=i / 10, captured_at=time.time(),
                     subscores={"rhythm": 50.0}, overall=50.0, beat_alignment=0.5, tempo_bpm=120.0,
                     person_present=True)
        assert pub.communicator.counters()["live_dropped"] == 49
        time.sleep(2.2)                                     # the one kept is now stale
        broker.start()
        rec = Recorder(broker.port, "perfscore/live/#")
        rec.wait_for(lambda r: r.on("/status"), what="online")
        time.sleep(0.5)
        assert rec.on("/live") == []                        # a stale live value is never sent
        counters = pub.communicator.counters()
        assert counters["live_dropped"] == 50 and counters["live_sent"] == 0
        start = time.monotonic()
        while time.monotonic() - start < 1.0:               # 1 s of values at ~200 per second…
            pub.live(take_id="t", performer="p-1", discipline="dance", t_s=time.monotonic() - start,
                     captured_at=time.time(), subscores={}, overall=None, beat_alignment=None, tempo_bpm=None,
                     person_present=True)
            time.sleep(0.005)
        last = pub.live(take_id="t", performer="p-1", discipline="dance", t_s=99.0, captured_at=time.time(),
                        subscores={}, overall=None, beat_alignment=None, tempo_bpm=None, person_present=False)
        rec.wait_for(lambda r: r.on("/live") and r.on("/live")[-1]["id"] == last["id"], what="the newest live value")
        sent = rec.on("/live")
        assert 4 <= len(sent) <= 8                          # …go out at 5 per second, the newest last
        assert all(not retain for topic, _, retain, _ in rec.messages if topic.endswith("/live"))
        rec.close()
    finally:
        pub.stop()
        broker.stop()


def test_full_outbox_refuses_the_take_and_keeps_what_it_has(broker, tmp_path):
    pub = Publisher(config(broker.url, outbox_quota_mb=1), "full", state_dir=tmp_path)   # never started: offline
    big = {"blob": "x" * 200_000}
    stored = 0
    with pytest.raises(OutboxFull):
        for _ in range(10):
            pub.session(take_id=f"t{stored}", performer="p-1", discipline="music", piece=None, started_at=0.0,
                        ended_at=1.0, end_reason="stopped", cut_short=False, scores=None, models=[], warnings=[big["blob"]])
            stored += 1
    assert stored == 5 and pub.outbox.stats().depth == 5 and not pub.accepting_takes()
    health = pub.health()
    assert health["accepting_takes"] is False and health["outbox"]["depth"] == 5
    pub.outbox.close()


def test_broker_urls_and_credentials(tmp_path, monkeypatch):
    assert str(broker_address("mqtts://broker.lan")) == "mqtts://broker.lan:8883"
    assert broker_address("mqtt://10.0.0.2:1884").port == 1884
    for bad, why in (("http://x", "mqtt:// or mqtts://"), ("mqtt://u:secret@x", "no user name or password"),
                     ("mqtt://x/path", "only scheme"), ("mqtt://:1883", "no host"), ("mqtt://x:99999", "range")):
        with pytest.raises(ConfigError, match=why):
            broker_address(bad)
    creds = tmp_path / "mqtt.cred"
    creds.write_text("box-7\ns3cret\n")
    creds.chmod(0o600)
    assert load_credentials(creds, "U", "P", {}) == ("box-7", "s3cret")
    assert load_credentials(None, "U", "P", {"U": "a", "P": "b"}) == ("a", "b")
    assert load_credentials(None, "U", "P", {}) == (None, None)
    with pytest.raises(ConfigError, match="two lines"):
        creds.write_text("only-one-line\n")
        load_credentials(creds, None, None, {})
    with pytest.raises(ConfigError, match="cannot read the MQTT credentials"):
        load_credentials(tmp_path / "absent", None, None, {})
    with pytest.raises(ConfigError, match="TLS file not found"):
        Publisher(PublishConfig(broker="mqtts://x", ca_file=tmp_path / "ca.pem"), "tls", state_dir=tmp_path / "s")
