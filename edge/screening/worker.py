"""What one worker process does with one entry: score it, classify a failure, save the record.

Runs in a spawned process (MediaPipe is not fork-safe once initialised). Importing this module is
cheap; the heavy imports happen in the worker, after the parent has set single-thread limits.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .store import RECORD_SCHEMA, write_record


@dataclass(frozen=True)
class Task:
    key: str
    path: str
    reference: str | None
    discipline: str | None
    model: str | None
    content_sha256: str
    reference_sha256: str | None
    scorer: dict
    reference_poses: str | None = None   # the dance reference's poses, computed once for the run (references.py)


def exit_when_orphaned(poll_s: float = 1.0) -> None:
    """A worker whose screening run was killed (SIGKILL leaves no time to stop it) exits too."""
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(poll_s)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def score_task(task: Task, settings, entries_dir: Path | None) -> dict[str, Any]:
    """Score one entry and return its record; records worth keeping are saved in `entries_dir`."""
    return save_record(score_record(task, settings), entries_dir)


def score_record(task: Task, settings) -> dict[str, Any]:
    """Score one entry; the record keeps a "keep" flag for `save_record` (a Ray worker returns it to
    the driver, which saves it: the machine that scored needs no access to the output folder)."""
    from ..errors import MediaError, NotScorable, PerfscoreError
    from ..scoring import score_file
    from .references import cached_track

    record: dict[str, Any] = {
        "schema": RECORD_SCHEMA, "key": task.key, "content_sha256": task.content_sha256,
        "reference_sha256": task.reference_sha256, "scorer": task.scorer,
        "discipline_asked": task.discipline, "status": "ok", "error": None, "error_kind": None,
        "discipline": None, "duration_s": None, "result": None, "keep": True,
    }
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        reference_pose = cached_track(task.reference_poses) if task.reference_poses else None
        scored = score_file(task.path, settings, discipline=task.discipline, reference=task.reference,
                            model=task.model, reference_pose=reference_pose)
    except NotScorable as exc:
        _fail(record, "not_scorable", _reason(exc, task.path))
    except MediaError as exc:
        _fail(record, "unreadable", _reason(exc, task.path))
    except PerfscoreError as exc:
        _fail(record, "unreadable", str(exc))
    except Exception as exc:  # a bug in scoring: report it on this entry, keep going, retry next run
        _fail(record, "internal", f"internal error while scoring ({type(exc).__name__}: {exc})")
        record["traceback"] = traceback.format_exc()
        record["keep"] = False
    else:
        result = scored.to_dict()
        result.pop("file", None)
        result["analysis"].pop("file", None)  # records are keyed by content: no path inside
        record.update(result=result, discipline=scored.rubric.discipline, duration_s=scored.analysis.duration_s)
        record["notes"] = _notes(task, scored)
        if scored.analysis.cut_short:
            # Scored on what decodes, but a partial performance is not ranked against complete ones.
            why = "; ".join(scored.analysis.info.warnings) or "it stops before its end"
            _fail(record, "incomplete", f"incomplete recording: {why}")
    record["elapsed_s"] = round(time.perf_counter() - wall, 3)
    record["cpu_s"] = round(time.process_time() - cpu, 3)
    return record


def save_record(record: dict[str, Any], entries_dir: Path | None) -> dict[str, Any]:
    """Save a record worth keeping (not an internal error: those are retried next run)."""
    if record.pop("keep") and entries_dir is not None:
        try:
            write_record(entries_dir, record)
        except OSError as exc:  # disk full, folder removed: the result still reaches this run's outputs
            record.setdefault("notes", []).append(f"could not be saved for resuming: {exc.strerror or exc}")
    return record


def _notes(task: Task, scored) -> list[str]:
    """What the venue should know about how the entry was judged."""
    pose = scored.analysis.pose
    if task.discipline is None and scored.rubric.discipline == "music" and pose is not None and len(pose):
        # A dance in which the dancer is rarely found would otherwise be ranked as music without a word.
        return [f"judged as music: a video in which a person was found in only {pose.person_frames} of "
                f"{len(pose)} frames; pass --discipline dance to judge it as a dance"]
    return []


def _fail(record: dict, kind: str, reason: str) -> None:
    record.update(status="failed", error_kind=kind, error=" ".join(reason.split()))


def _reason(exc, path: str) -> str:
    # The entry column already names the recording; a problem with the reference names the reference.
    return exc.reason if exc.source == str(path) else str(exc)


def worker_main(conn, settings, entries_dir: Path) -> None:
    """Loop: receive a Task, send back its record; None or a closed pipe ends the worker."""
    exit_when_orphaned()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        record = score_task(task, settings, entries_dir)
        try:
            conn.send(record)
        except (BrokenPipeError, OSError):
            return
