"""The output folder's memory: one JSON file per finished entry, `entries/<key>.json`.

A record is written once, atomically (temporary file, fsync, rename) by the process that scored it,
the moment it is done: a killed run loses only the entries in flight, and a record is never
rewritten. Only one screening run may use a folder at a time (an advisory lock on `DIR/.lock`).
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

ENTRIES = "entries"
TMP_PREFIX = ".tmp-"
RECORD_SCHEMA = "perfscore.screen.entry/1"


class StoreUnusable(Exception):
    """The output folder cannot be created or written, or another run holds it."""


class StoreBusy(StoreUnusable):
    pass


def record_path(entries_dir: Path, key: str) -> Path:
    return entries_dir / f"{key}.json"


def write_record(entries_dir: Path, record: dict[str, Any]) -> Path:
    """Write `record` as entries/<key>.json unless it exists; returns the path either way."""
    final = record_path(entries_dir, record["key"])
    if final.exists():
        return final  # finished results are never rewritten
    write_atomically(final, json.dumps(record, ensure_ascii=False, allow_nan=False, default=_plain),
                     tmp=entries_dir / f"{TMP_PREFIX}{record['key']}-{os.getpid()}.json")
    return final


def write_atomically(path: Path, text: str, tmp: Path | None = None) -> None:
    """Temporary file, fsync, rename: a reader sees the old file or the whole new one, never half."""
    tmp = tmp or path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _plain(value: Any) -> Any:
    """numpy scalars and paths that slipped into measurements."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


class Store:
    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.entries_dir = out_dir / ENTRIES
        self._lock_fh = None

    def __enter__(self) -> "Store":
        try:
            self.entries_dir.mkdir(parents=True, exist_ok=True)
            self._lock_fh = open(self.out_dir / ".lock", "a+")
        except OSError as exc:
            raise StoreUnusable(f"{self.out_dir}: cannot use as output folder: {exc.strerror or exc}") from None
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_fh.close()
            raise StoreBusy(f"{self.out_dir}: another screening run is using this folder") from None
        # Temporary files of a run that was killed mid-write: never finished, safe to drop now we hold the lock.
        for tmp in self.entries_dir.glob(f"{TMP_PREFIX}*"):
            tmp.unlink(missing_ok=True)
        return self

    def __exit__(self, *exc) -> None:
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None

    def load(self, key: str) -> dict[str, Any] | None:
        return read_record(self.entries_dir, key)


def read_record(entries_dir: Path, key: str) -> dict[str, Any] | None:
    """The finished record of `key`, or None. A record that does not parse (written by something
    else, or a disk that failed) is moved aside to `<key>.json.bad` so the entry is scored again."""
    path = record_path(entries_dir, key)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("schema") == RECORD_SCHEMA and record.get("key") == key:
            return record
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        pass
    path.replace(path.with_name(path.name + ".bad"))
    return None
