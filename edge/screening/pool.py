"""A small process pool that knows which entry each worker holds.

concurrent.futures' pool marks every pending task broken when one worker dies, and multiprocessing's
Pool waits forever for a task whose worker died. Here each worker has its own pipe and gets one task
at a time, so a worker that dies (a crash in native code, the OOM killer) fails exactly the entry it
held, with the reason, and a fresh worker takes over. Workers are spawned, not forked (MediaPipe is
not fork-safe once initialised), ignore Ctrl-C (the parent stops them), run numeric libraries on one
thread (so N workers use N cores), and are replaced after `recycle_after` entries (MediaPipe's
memory grows over long runs).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable, Iterable

from .engine import Crash, Engine
from .store import read_record
from .worker import Task, worker_main

SINGLE_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                     "VECLIB_MAXIMUM_THREADS")
RECYCLE_AFTER = 50
# Tests only: a worker that has saved the record of the recording of this name exits before sending it
# back, as a worker killed in that window would (tests/screening/test_pool_crash.py; nothing else sets it).
TEST_EXIT_AFTER_SAVE = "PERFSCORE_TEST_POOL_EXIT_AFTER_SAVE"


@dataclass
class _Slot:
    process: Any = None
    conn: Any = None
    task: Task | None = None
    started: float = 0.0
    done: int = 0


@contextmanager
def _child_environment():
    """Children inherit: one thread per numeric library, and SIGINT ignored (SIG_IGN survives exec,
    so a Ctrl-C while a worker is still importing does not print a traceback)."""
    saved = {name: os.environ.get(name) for name in SINGLE_THREAD_ENV}
    for name in SINGLE_THREAD_ENV:
        os.environ[name] = "1"
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Pool(Engine):
    def __init__(self, workers: int, settings, entries_dir, *, recycle_after: int = RECYCLE_AFTER,
                 timeout_s: float | None = None):
        self.slots = [_Slot() for _ in range(max(1, workers))]
        self.settings = settings
        self.entries_dir = entries_dir
        self.recycle_after = recycle_after
        self.timeout_s = timeout_s
        self.context = mp.get_context("spawn")

    def run(self, tasks: Iterable[Task], on_start: Callable[[Task], None],
            on_done: Callable[[Task, dict | Crash], None]) -> None:
        """Run every task; `on_done` gets the record, or a Crash. Stops all workers on the way out,
        whether the tasks are finished or the caller is interrupted."""
        pending = deque(tasks)
        try:
            while pending or any(s.task for s in self.slots):
                for slot in self.slots:
                    if slot.task is None and pending:
                        task = pending.popleft()
                        self._give(slot, task)
                        on_start(task)
                self._collect(on_done)
        finally:
            self._keep_finished(on_done)
            self.stop()

    def _keep_finished(self, on_done) -> None:
        """On the way out (interrupted): an entry whose worker wrote its record but had not yet sent it
        is finished; hand it on rather than lose it with the worker."""
        for slot in self.slots:
            if slot.task is not None:
                finished = read_record(self.entries_dir, slot.task.key)
                if finished is not None:
                    on_done(slot.task, finished)

    def _give(self, slot: _Slot, task: Task) -> None:
        if slot.process is not None and not slot.process.is_alive():
            self._kill(slot)     # died between two entries: the next entry goes to a new worker, not a corpse
        if slot.process is not None:
            try:
                slot.conn.send(task)
            except OSError:  # the idle worker died between two entries: start another
                self._kill(slot)
        if slot.process is None:
            self._spawn(slot)
            slot.conn.send(task)
        slot.task, slot.started = task, time.monotonic()

    def _spawn(self, slot: _Slot) -> None:
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(target=_worker, args=(child_end, self.settings, self.entries_dir),
                                       name="perfscore-screen-worker", daemon=True)
        with _child_environment():
            process.start()
        child_end.close()
        slot.process, slot.conn, slot.done = process, parent_end, 0

    def _collect(self, on_done) -> None:
        busy = [s for s in self.slots if s.task is not None]
        waitables = [s.conn for s in busy] + [s.process.sentinel for s in busy]
        ready = set(wait(waitables, timeout=self._wait_s(busy)))
        for slot in busy:
            if slot.conn in ready or slot.conn.poll():
                try:
                    record = slot.conn.recv()
                except (EOFError, OSError):
                    record = None
                if record is not None:
                    task, slot.task = slot.task, None
                    slot.done += 1
                    if slot.done >= self.recycle_after:
                        self._retire(slot)
                    on_done(task, record)
                    continue
            if slot.process.sentinel in ready or not slot.process.is_alive():
                slot.process.join()
                task, slot.task = slot.task, None
                reason = f"the scoring process died ({_describe_exit(slot.process.exitcode)}) on this recording"
                self._forget(slot)
                on_done(task, self._finished_or(task, Crash("crashed", reason)))
            elif self.timeout_s and time.monotonic() - slot.started > self.timeout_s:
                task, slot.task = slot.task, None
                self._kill(slot)
                crash = Crash("timeout", f"not scored within {self.timeout_s:g} s (--timeout); stopped")
                on_done(task, self._finished_or(task, crash))

    def _finished_or(self, task: Task, crash: Crash) -> dict | Crash:
        """A worker lost after saving its record but before sending it finished the entry: keep the
        record (as `_keep_finished` does on the way out); otherwise the entry failed with `crash`."""
        finished = read_record(self.entries_dir, task.key)
        return finished if finished is not None else crash

    def _wait_s(self, busy: list[_Slot]) -> float | None:
        if not self.timeout_s:
            return None
        now = time.monotonic()
        return max(0.05, min(s.started + self.timeout_s - now for s in busy))

    def _retire(self, slot: _Slot) -> None:
        try:
            slot.conn.send(None)
        except OSError:
            pass
        slot.process.join(timeout=10)
        if slot.process.is_alive():
            self._kill(slot)
        else:
            self._forget(slot)

    def _kill(self, slot: _Slot) -> None:
        slot.process.kill()
        slot.process.join()
        self._forget(slot)

    def _forget(self, slot: _Slot) -> None:
        slot.conn.close()
        slot.process.close()
        slot.process = slot.conn = None

    def stop(self) -> None:
        """Idle workers are told to exit; busy ones (interrupted mid-entry) are killed."""
        for slot in self.slots:
            if slot.process is None:
                continue
            if slot.task is None:
                self._retire(slot)
            else:
                slot.task = None
                self._kill(slot)


def _worker(conn, settings, entries_dir) -> None:
    hook = os.environ.get(TEST_EXIT_AFTER_SAVE)
    worker_main(_ExitAfterSave(conn, hook) if hook else conn, settings, entries_dir)


class _ExitAfterSave:
    """The test hook's connection: the record of the named recording is saved (worker_main saves before
    it sends), and the worker exits instead of sending it."""

    def __init__(self, conn, name: str):
        self.conn, self.name, self.task = conn, name, None

    def recv(self):
        self.task = self.conn.recv()
        return self.task

    def send(self, record) -> None:
        if self.task is not None and os.path.basename(self.task.path) == self.name:
            log = os.environ.get(TEST_EXIT_AFTER_SAVE + "_LOG")
            if log:   # the test checks that the hook fired
                with open(log, "a") as fh:
                    fh.write(f"{self.task.key}\n")
            os._exit(70)
        self.conn.send(record)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        return f"killed by {name}{hint}"
    return f"exit code {code}"
