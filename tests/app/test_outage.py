"""The broker killed for 60 s in the middle of a take, then restarted on the same port: every session
result and recommendation reaches a subscriber that dedupes by `id` (docs/mqtt.md), in order, none lost."""

from __future__ import annotations

import re
import time

import pytest

from tests.faults.harness import AUTO_TAKES as AUTO   # the fault table's automatic takes
from tests.publish.broker import Broker
from tests.publish.conftest import Recorder

OUTAGE_S = 60.0       # the figure; the box's reconnect backoff is 1 s here, the subscriber's too


def _published(lines: list[str], kind: str) -> list[str]:
    rx = re.compile(rf"{kind} ([0-9a-f-]{{36}}) published")
    return [m.group(1) for m in map(rx.search, lines) if m]


def _running(lines: list[str]) -> bool:
    """Whether the log says a take is running (its last take event is a start)."""
    events = [m.group(1) for m in map(re.compile(r"take \S+ (started|ended)").search, lines) if m]
    return bool(events) and events[-1] == "started"


@pytest.mark.slow
def test_broker_outage_mid_take_loses_nothing(tmp_path, boxes, long_music):
    (tmp_path / "mq").mkdir()
    broker = Broker(tmp_path / "mq", persistent=True).start()
    # A subscriber with a persistent session: it is away as long as the broker, and the broker keeps
    # what the box sends after the restart for it until it is back.
    sub = Recorder(broker.port, "perfscore/demo/+", client_id="display-1", clean=False)
    try:
        # 240 s of music without a break at 3x: takes of 8 s (max_length) one after the other for 80 s.
        box = boxes(tmp_path / "box", broker.url, f"replay:{long_music}", "--speed", "3", config=AUTO)
        sub.wait_for(lambda r: len(r.on("/recommendation")) >= 1, timeout=40, what="a first recommendation")
        deadline = time.monotonic() + 10
        while not _running(box.lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _running(box.lines), "no take running to cut the broker under"
        broker.stop()                                   # SIGTERM: persistence saved, connections gone
        at_kill = len(box.lines)
        time.sleep(OUTAGE_S)
        during = box.lines[at_kill:]
        broker.start()
        assert box.wait(90) == 0, "\n".join(box.lines[-30:])     # the replay ended, everything delivered

        # Takes ended and were committed while the broker was away, and the box kept going.
        assert len(_published(during, "session")) >= 3, "\n".join(during[-20:])
        assert any("lost the broker" in line for line in box.lines)
        want = {kind: _published(box.lines, kind) for kind in ("session", "recommendation")}
        assert len(want["session"]) >= 8 and len(want["recommendation"]) == len(want["session"])
        for kind in ("session", "recommendation"):
            sub.wait_for(lambda r: {b["id"] for b in r.on(f"/{kind}")} >= set(want[kind]), timeout=30,
                         what=f"every {kind}")
            ids = [b["id"] for b in sub.on(f"/{kind}")]
            seen: list[str] = []
            for i in ids:                                # the contract's dedupe: ignore an id already handled
                if i not in seen:
                    seen.append(i)
            assert seen == want[kind], (kind, seen, want[kind])      # each once, in the order committed
        takes = {b["take"]["id"] for b in sub.on("/session")}
        assert {b["take_id"] for b in sub.on("/recommendation")} == takes
        assert sub.on("/status")[-1]["state"] == "stopped"
    finally:
        sub.close()
        broker.stop()
