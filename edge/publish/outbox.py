"""A durable outbox: results wait on disk until the broker has acknowledged them.

One SQLite file (`outbox.sqlite`, WAL journal, synchronous=FULL) in the box's state directory. `put`
commits before it returns, so a message handed to the outbox survives SIGKILL and a power cut;
`ack` deletes a row only once the broker has acknowledged it (PUBACK for QoS 1), so a row is resent
after a restart only if its acknowledgement had not been recorded — at least once, never lost.
Subscribers dedupe by the payload's `id` (docs/mqtt.md).

The outbox has a quota in bytes. When a message does not fit — in the quota, or on a disk that is
full — `put` raises OutboxFull and stores nothing: the daemon then refuses new takes, says so in
`health` (`accepting_takes`, `outbox.free_bytes`, `outbox.disk_free_bytes`) and keeps the result in
memory until there is room again (edge/publish/room.py); it never drops a result.
One process owns an outbox at a time (an advisory lock beside the file): two drainers would resend.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import PerfscoreError

FILENAME = "outbox.sqlite"
# Counted per row on top of topic and payload bytes: SQLite's record and index overhead, roughly.
ROW_OVERHEAD = 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,   -- delivery order; never reused
    topic    TEXT    NOT NULL,
    payload  BLOB    NOT NULL,
    qos      INTEGER NOT NULL,
    retain   INTEGER NOT NULL,
    created  REAL    NOT NULL,                    -- Unix time of put
    size     INTEGER NOT NULL,                    -- bytes counted against the quota
    refused  TEXT                                 -- the broker's reason when it refused the message
);
"""


def disk_free(folder: Path) -> int | None:
    """Bytes an unprivileged writer may still use on `folder`'s file system; None if it cannot be read."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


class OutboxError(PerfscoreError):
    """The outbox cannot be opened or written (the message names the file)."""


class OutboxFull(OutboxError):
    """The message does not fit in the outbox's quota; nothing was stored."""

    def __init__(self, path: Path, needed: int, used: int, quota: int):
        self.needed, self.used, self.quota = needed, used, quota
        super().__init__(f"{path}: outbox full ({used} of {quota} bytes used, {needed} more needed); "
                         "results wait until the broker takes them")


@dataclass(frozen=True)
class OutboxRow:
    seq: int
    topic: str
    payload: bytes
    qos: int
    retain: bool
    created: float


@dataclass(frozen=True)
class OutboxStats:
    depth: int                  # rows waiting for the broker
    oldest_age_s: float | None  # age of the oldest waiting row
    bytes: int                  # counted against the quota (waiting and refused rows)
    quota_bytes: int
    refused: int                # rows the broker refused (kept, not resent; see the log)
    disk_free_bytes: int | None = None   # free on the state directory's file system (a full disk refuses takes)

    @property
    def free_bytes(self) -> int:
        """Room for more results: what the quota leaves, and never more than the disk has."""
        room = max(0, self.quota_bytes - self.bytes)
        return room if self.disk_free_bytes is None else min(room, self.disk_free_bytes)

    def to_dict(self) -> dict:
        return {**asdict(self), "free_bytes": self.free_bytes}


class Outbox:
    def __init__(self, state_dir: str | Path, quota_bytes: int = 64 * 2**20):
        if quota_bytes <= 0:
            raise OutboxError(f"outbox quota must be positive, got {quota_bytes}")
        self.dir = Path(state_dir)
        self.path = self.dir / FILENAME
        self.quota_bytes = int(quota_bytes)
        self._lock = threading.Lock()
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            self._lockfile = open(self.dir / (FILENAME + ".lock"), "a+")
        except OSError as exc:
            raise OutboxError(f"{self.dir}: cannot create the outbox's state directory ({exc.strerror})") from None
        try:
            fcntl.flock(self._lockfile, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lockfile.close()
            raise OutboxError(f"{self.path}: in use by another process (one box per state directory)") from None
        try:
            # Autocommit mode: every transaction below is explicit, and commits before returning.
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")   # WAL + NORMAL may lose the last commits on power loss
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._lockfile.close()
            raise OutboxError(f"{self.path}: cannot open the outbox ({exc})") from None

    # --- writing -----------------------------------------------------------------------------------
    def put(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> int:
        """Store one message durably and return its sequence number (delivery order)."""
        if qos not in (0, 1, 2):
            raise ValueError(f"qos {qos!r}: must be 0, 1 or 2")
        data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
        size = len(topic.encode("utf-8")) + len(data) + ROW_OVERHEAD
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    used = self._db.execute("SELECT COALESCE(SUM(size), 0) FROM outbox").fetchone()[0]
                    if used + size > self.quota_bytes:
                        raise OutboxFull(self.path, size, used, self.quota_bytes)
                    seq = self._db.execute(
                        "INSERT INTO outbox (topic, payload, qos, retain, created, size) VALUES (?, ?, ?, ?, ?, ?)",
                        (topic, data, qos, int(bool(retain)), time.time(), size)).lastrowid
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:   # SQLITE_FULL has already rolled it back: ROLLBACK would fail
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:
                if "full" in str(exc):   # SQLITE_FULL: the disk itself is full; same answer as the quota
                    raise OutboxFull(self.path, size, self._used_locked(), self.quota_bytes) from None
                raise OutboxError(f"{self.path}: cannot write to the outbox ({exc})") from None
        return seq

    def ack(self, seq: int) -> bool:
        """Delete a row the broker has acknowledged; False if it was not there (already acknowledged)."""
        with self._lock:
            return self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,)).rowcount == 1

    def refuse(self, seq: int, reason: str) -> None:
        """Keep a row the broker refused (not authorised, too large …) out of the drain, without deleting it."""
        with self._lock:
            self._db.execute("UPDATE outbox SET refused = ? WHERE seq = ?", (reason, seq))

    # --- reading -----------------------------------------------------------------------------------
    def pending(self, after: int = 0, limit: int | None = None) -> list[OutboxRow]:
        """Rows waiting for the broker, oldest first; `after` skips rows up to that sequence number."""
        sql = "SELECT seq, topic, payload, qos, retain, created FROM outbox WHERE refused IS NULL AND seq > ? ORDER BY seq"
        args: tuple = (after,)
        if limit is not None:
            sql += " LIMIT ?"
            args += (limit,)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [OutboxRow(seq, topic, bytes(payload), qos, bool(retain), created)
                for seq, topic, payload, qos, retain, created in rows]

    def stats(self) -> OutboxStats:
        with self._lock:
            depth, oldest = self._db.execute(
                "SELECT COUNT(*), MIN(created) FROM outbox WHERE refused IS NULL").fetchone()
            refused = self._db.execute("SELECT COUNT(*) FROM outbox WHERE refused IS NOT NULL").fetchone()[0]
            used = self._used_locked()
        age = None if oldest is None else round(max(0.0, time.time() - oldest), 3)
        return OutboxStats(depth, age, used, self.quota_bytes, refused, disk_free(self.dir))

    def has_room(self, nbytes: int) -> bool:
        """Whether `nbytes` more would fit, in the quota and on the disk (the daemon asks before a take)."""
        return self.stats().free_bytes >= nbytes

    def _used_locked(self) -> int:
        return self._db.execute("SELECT COALESCE(SUM(size), 0) FROM outbox").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
                self._lockfile.close()

    def __enter__(self) -> "Outbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Outbox({str(self.path)!r}, quota_bytes={self.quota_bytes})"
