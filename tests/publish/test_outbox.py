"""The outbox: committed before put() returns, in order, deleted only on ack, a quota that refuses
rather than drops, and rows that survive SIGKILL of the process that wrote them."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from edge.publish import Outbox, OutboxError, OutboxFull

HELPER = Path(__file__).with_name("box_process.py")


def test_rows_come_back_in_order_and_leave_only_when_acknowledged(tmp_path):
    with Outbox(tmp_path) as box:
        seqs = [box.put(f"t/{i % 3}", json.dumps({"i": i}).encode(), qos=1, retain=i % 2 == 0) for i in range(10)]
        assert seqs == sorted(seqs) and len(set(seqs)) == 10
        rows = box.pending()
        assert [json.loads(r.payload)["i"] for r in rows] == list(range(10))
        assert [r.topic for r in rows[:3]] == ["t/0", "t/1", "t/2"] and rows[0].retain and not rows[1].retain
        assert [r.seq for r in box.pending(after=seqs[6], limit=2)] == seqs[7:9]
        assert box.ack(seqs[3]) and not box.ack(seqs[3])        # a second ack of the same row is a no-op
        assert [json.loads(r.payload)["i"] for r in box.pending()] == [0, 1, 2, 4, 5, 6, 7, 8, 9]
        stats = box.stats()
        assert stats.depth == 9 and stats.oldest_age_s is not None and stats.oldest_age_s < 5
        box.refuse(seqs[0], "Not authorized")
        assert box.pending()[0].seq == seqs[1] and box.stats().refused == 1 and box.stats().depth == 8
    # WAL journal, durable commits.
    db = sqlite3.connect(tmp_path / "outbox.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_quota_full_raises_and_drops_nothing(tmp_path):
    payload = b"y" * 1000
    with Outbox(tmp_path, quota_bytes=10_000) as box:
        stored = []
        with pytest.raises(OutboxFull) as full:
            for i in range(100):
                stored.append(box.put("perfscore/demo/session", payload + str(i).encode()))
        assert len(stored) == 9                                   # 9 rows of ~1.1 kB fit in 10 kB, the 10th does not
        err = full.value
        assert err.used + err.needed > err.quota == 10_000 and "outbox full" in str(err)
        rows = box.pending()
        assert [r.seq for r in rows] == stored and all(r.payload == payload + str(i).encode() for i, r in enumerate(rows))
        stats = box.stats()
        assert stats.bytes <= stats.quota_bytes and stats.depth == 9 and not box.has_room(2000)
        box.ack(stored[0])                                        # the broker took one: room again
        assert box.has_room(1000)
        box.put("perfscore/demo/session", payload)
        assert box.stats().depth == 9
        with pytest.raises(OutboxFull):                           # a single message larger than the quota
            box.put("perfscore/demo/session", b"z" * 20_000)


def test_one_process_per_outbox(tmp_path):
    with Outbox(tmp_path):
        with pytest.raises(OutboxError, match="in use by another process"):
            Outbox(tmp_path)
    Outbox(tmp_path).close()                                      # free again once closed


def test_unwritable_state_dir_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OutboxError, match=str(blocker)):
        Outbox(blocker / "state")


def test_every_committed_row_survives_sigkill_of_its_writer(tmp_path):
    proc = subprocess.Popen([sys.executable, str(HELPER), "write", str(tmp_path), "demo", "100000"],
                            stdout=subprocess.PIPE, text=True)
    printed = [int(proc.stdout.readline()) for _ in range(300)]  # put() returned for these: committed
    os.kill(proc.pid, signal.SIGKILL)                             # mid-stream, no chance to clean up
    proc.wait(10)
    printed += [int(line) for line in proc.stdout.read().split() if line.isdigit()]
    with Outbox(tmp_path) as box:
        rows = box.pending()
    seqs = [r.seq for r in rows]
    assert set(printed) <= set(seqs)                              # nothing acknowledged to the caller was lost
    assert seqs == sorted(seqs) and len(seqs) <= len(printed) + 1  # at most the one row in flight at the kill
    for row in rows:
        body = json.loads(row.payload)
        assert body["id"] == f"row-{body['i']}" and len(body["pad"]) == 2000
