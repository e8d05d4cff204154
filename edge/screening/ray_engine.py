"""Screening on a Ray cluster (`perfscore screen --engine ray`): the local pool's tasks as Ray tasks.

Ray does the scheduling, the placement on machines and the retry of a task whose worker process or
machine was lost (`max_retries=1`: retried once, then the entry is recorded as failed with Ray's
reason). What this module adds:

- **No shared disk.** The driver (this process) reads each recording, its reference, the reference's
  poses, the learned model and the pose model and puts their bytes into Ray's object store; a worker
  writes them to a scratch folder of its own machine, scores there, and returns the record. The driver
  saves records in the output folder, so only the driver's machine needs it. Paths of the scratch
  files that end up in a record (error messages) are turned back into the driver's paths, so a record
  is the same whichever engine made it.
- **The same code everywhere.** Before scoring, a worker compares the perfscore version, rubric
  version, scoring-code hash and models manifest of its machine with the run's; on a difference it
  scores nothing and the run stops with the node's address and both hashes (exit 2).
- **Bounded memory.** Only as many entries as the cluster has CPUs, and one more queued, are in flight;
  their bytes leave the object store when their task is done.

Ray is imported only here and only when this engine runs: the box never needs it.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import socket
import tempfile
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

from .engine import Crash, Engine, EngineUnusable
from .pool import RECYCLE_AFTER
from .store import read_record
from .worker import Task, save_record, score_record

RETRIES = 1                      # a task whose worker or node is lost is run once more, then fails
QUEUED = 1                       # entries in flight beyond the cluster's CPUs (see RayEngine.run)
WAIT_S = 0.5                     # ray.wait slices: Ctrl-C is seen between them
# Tests only: a Ray worker given the recording of this name exits at once, as a worker killed by the
# OOM killer would (the test cluster's nodes are started with it set; nothing else sets it).
TEST_EXIT_ON = "PERFSCORE_TEST_RAY_EXIT_ON"


def import_ray():
    try:
        import ray
    except ImportError:
        raise EngineUnusable("--engine ray needs Ray: pip install 'perfscore[ray]' "
                             "(the same version on every machine of the cluster)") from None
    return ray


class RayEngine(Engine):
    def __init__(self, address: str | None, settings, entries_dir: Path, *, local_cpus: int = 1,
                 timeout_s: float | None = None):
        self.address = address
        self.settings = settings
        self.entries_dir = entries_dir
        self.local_cpus = local_cpus      # CPUs of a one-machine Ray started here (no address)
        self.timeout_s = timeout_s

    def run(self, tasks: Iterable[Task], on_start: Callable[[Task], None],
            on_done: Callable[[Task, dict | Crash], None]) -> None:
        ray = import_ray()
        self._connect(ray)
        running: dict[Any, tuple[Task, float]] = {}
        try:
            # A fresh worker process after RECYCLE_AFTER entries, as in the pool (MediaPipe's memory grows).
            remote = ray.remote(num_cpus=1, max_retries=RETRIES, retry_exceptions=False,
                                max_calls=RECYCLE_AFTER)(score_on_node)
            shipper = _Shipper(ray, self.settings)
            expected = None
            pending = deque(tasks)
            while pending or running:
                cpus = _cluster_cpus(ray, self.address)
                # One entry more than the cluster has CPUs: a CPU that frees takes the queued entry at once
                # instead of idling while the driver saves a record and ships the next recording.
                while pending and len(running) < cpus + QUEUED:
                    task = pending.popleft()
                    expected = expected or environment(task.scorer)
                    try:
                        job = shipper.job(task)
                    except OSError as exc:  # removed or unreadable since it was hashed
                        on_done(task, Crash("unreadable", f"cannot read: {exc.strerror or exc}"))
                        continue
                    ref = remote.remote(job, self.settings, expected)
                    # a queued entry's --timeout clock starts when a CPU frees for it (below)
                    running[ref] = (task, time.monotonic() if len(running) < cpus else None)
                    on_start(task)
                ready, _ = ray.wait(list(running), num_returns=1, timeout=WAIT_S)
                for ref in ready:
                    outcome = self._outcome(ray, ref)   # saves the record
                    task, _ = running.pop(ref)
                    on_done(task, outcome)
                    _start_clock(running)
                self._stop_late(ray, running, on_done)
        finally:
            self._keep_finished(running, on_done)
            _cancel_unfinished(ray, running)
            ray.shutdown()

    def _keep_finished(self, running: dict, on_done) -> None:
        """Interrupted between saving a record and handing it on: the entry is finished, keep it."""
        for task, _ in running.values():
            finished = read_record(self.entries_dir, task.key)
            if finished is not None:
                on_done(task, finished)

    def _connect(self, ray) -> None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")   # offline venues: Ray must not phone home
        quiet = dict(logging_level=logging.WARNING, log_to_driver=False)
        # ray.init makes SIGTERM exit at once; the command's own handler stops as cleanly as Ctrl-C.
        sigterm = signal.getsignal(signal.SIGTERM)
        check_reachable(self.address or os.environ.get("RAY_ADDRESS"))
        try:
            if self.address or os.environ.get("RAY_ADDRESS"):
                ray.init(address=self.address, **quiet)
            else:  # no cluster named: a private one-machine Ray, for trying the engine out
                ray.init(address="local", num_cpus=self.local_cpus, include_dashboard=False, **quiet)
        except Exception as exc:
            where = self.address or os.environ.get("RAY_ADDRESS") or "a new local Ray"
            raise EngineUnusable(f"cannot connect to the Ray cluster at {where}: {_first_line(exc)}") from None
        finally:
            signal.signal(signal.SIGTERM, sigterm)

    def _outcome(self, ray, ref) -> dict | Crash:
        from ray.exceptions import RayTaskError, TaskCancelledError

        try:
            out = ray.get(ref)
        except TaskCancelledError:
            return Crash("crashed", "cancelled on the Ray cluster")
        except RayTaskError as exc:  # score_record catches everything: this is a bug in this module
            return Crash("internal", f"internal error on a Ray worker ({_first_line(exc)})")
        except Exception as exc:  # the worker process or its node was lost, on the retry too
            return Crash("crashed", f"the scoring process died on this recording, also when retried "
                                    f"({type(exc).__name__}: {_first_line(exc)})")
        if "mismatch" in out:
            raise EngineUnusable(out["mismatch"])
        with _interrupt_deferred():  # a Ctrl-C in mid-write would lose an entry the cluster has finished
            return save_record(out["record"], self.entries_dir)

    def _stop_late(self, ray, running: dict, on_done) -> None:
        if not self.timeout_s:
            return
        now = time.monotonic()
        for ref, (task, started) in list(running.items()):
            if started is not None and now - started > self.timeout_s:
                _cancel_unfinished(ray, [ref])
                del running[ref]
                on_done(task, Crash("timeout", f"not scored within {self.timeout_s:g} s (--timeout); stopped"))
                _start_clock(running)


def _start_clock(running: dict) -> None:
    """A CPU has freed: the oldest queued entry starts now."""
    for ref, (task, started) in running.items():
        if started is None:
            running[ref] = (task, time.monotonic())
            return


def _cancel_unfinished(ray, refs) -> None:
    """Interrupted or stopped: free the cluster's CPUs now. A task that has already finished is left
    alone: cancelling it races with Ray's own completion and aborts the driver inside Ray 2.60
    ("Tried to complete task that was not pending", ray-project/ray#54527)."""
    refs = list(refs)
    if not refs:
        return
    finished, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
    for ref in set(refs) - set(finished):
        try:
            ray.cancel(ref, force=True)
        except Exception:  # finished meanwhile or its node is gone: nothing to stop
            pass


def check_reachable(address: str | None, timeout_s: float = 5.0) -> None:
    """Ray waits for an unreachable head without end: find a wrong address or a stopped cluster now."""
    if not address or "://" in address or address == "auto":
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise EngineUnusable(f"--ray-address {address}: expected HOST:PORT of the cluster's head "
                             "(as `ray start --head` printed it)")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise EngineUnusable(f"no Ray cluster answers at {address} ({exc.strerror or exc}): start it with "
                             "`ray start --head` there, or check the address and the firewall") from None


@contextmanager
def _interrupt_deferred():
    """Ctrl-C and SIGTERM (which the command turns into Ctrl-C) wait until the block is done."""
    caught = []
    previous = {sig: signal.signal(sig, lambda *_: caught.append(True)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if caught:
        raise KeyboardInterrupt


def _cluster_cpus(ray, address: str | None) -> int:
    cpus = int(ray.cluster_resources().get("CPU", 0))
    if cpus < 1:
        raise EngineUnusable(f"the Ray cluster at {address or 'RAY_ADDRESS'} has no CPUs to score on: start "
                             "worker nodes with `ray start --address=HEAD:PORT` (docs/screening.md)")
    return cpus


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


# ---- the driver's side: bytes into the object store ------------------------------------------------

class _Shipper:
    """Puts files into the object store: each recording for its own task, shared files (references,
    their poses, models) once per run. Refs travel inside lists, so Ray does not fetch them before the
    worker asks: a worker that already holds a shared file skips the transfer."""

    def __init__(self, ray, settings):
        self.ray = ray
        self.shared: dict[str, dict] = {}
        self.pose_model = self._file(Path(settings.pose.model_path))

    def _file(self, path: Path) -> dict:
        from ..models import sha256_of

        if str(path) not in self.shared:
            self.shared[str(path)] = {"sha": sha256_of(path), "name": path.name, "path": str(path),
                                      "ref": [self.ray.put(path.read_bytes())]}
        return self.shared[str(path)]

    def job(self, task: Task) -> dict:
        path = Path(task.path)
        return {
            "task": task,
            "entry": {"name": path.name, "path": task.path, "ref": [self.ray.put(path.read_bytes())]},
            "reference": self._file(Path(task.reference)) if task.reference else None,
            "poses": self._file(Path(task.reference_poses)) if task.reference_poses else None,
            "model": self._file(Path(task.model)) if task.model else None,
            "pose_model": self.pose_model,
        }


# ---- the worker's side (runs on any node of the cluster) -------------------------------------------

def environment(scorer: dict) -> dict:
    """What must be the same on every machine for the run's records to mean the same thing (the
    learned model and the pose model need no check: their bytes are shipped)."""
    from ..models import MANIFEST, sha256_of

    return {"perfscore": scorer["perfscore"], "rubric": scorer["rubric"], "code_sha256": scorer["code_sha256"],
            "models_manifest": sha256_of(MANIFEST) if MANIFEST.is_file() else None}


@lru_cache(maxsize=2)
def _local_environment(learned: bool) -> dict:
    from . import keys

    scorer = keys.current_scorer(None).to_dict()
    scorer["code_sha256"] = keys.code_sha256(learned=learned)
    return environment(scorer)


def _mismatch(expected: dict, learned: bool) -> str | None:
    here = _local_environment(learned)
    wrong = [f"{name} {here[name]} there, {expected[name]} here" for name in expected if here.get(name) != expected[name]]
    if not wrong:
        return None
    return (f"Ray node {socket.gethostname()} ({_node_ip()}) has a different perfscore than this run: "
            f"{'; '.join(wrong)}. Install the same perfscore version on every machine of the cluster "
            "(docs/screening.md); finished entries are kept.")


def _node_ip() -> str:
    try:
        import ray

        return ray.util.get_node_ip_address()
    except Exception:
        return "?"


_SCRATCH: list[Path] = []
_SHARED_FILES: dict[str, Path] = {}


def _scratch() -> Path:
    """This worker process's folder for shared files; removed when the process exits normally."""
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="perfscore-ray-")))
        atexit.register(shutil.rmtree, _SCRATCH[0], True)
    return _SCRATCH[0]


def _shared_file(ray, shipped: dict | None) -> Path | None:
    """A shared file on this machine, fetched once per worker process (by content, under its own name:
    MIDI or video references are told apart by their suffix)."""
    if shipped is None:
        return None
    local = _SHARED_FILES.get(shipped["sha"])
    if local is None:
        local = _scratch() / shipped["sha"] / shipped["name"]
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(ray.get(shipped["ref"][0]))
        _SHARED_FILES[shipped["sha"]] = local
    return local


def score_on_node(job: dict, settings, expected: dict) -> dict:
    """The Ray task: check this machine's code, fetch the files, score, and return the record (with the
    driver's paths in it). Returns {"mismatch": reason} instead when this machine's perfscore differs."""
    import ray

    task: Task = job["task"]
    problem = _mismatch(expected, task.model is not None)
    if problem:
        return {"mismatch": problem}
    if os.environ.get(TEST_EXIT_ON) and os.environ[TEST_EXIT_ON] == job["entry"]["name"]:
        _exit_for_test()
    paths = {}
    local_files = {}
    for part in ("reference", "poses", "model", "pose_model"):
        local = _shared_file(ray, job[part])
        local_files[part] = str(local) if local else None
        if local:
            paths[str(local)] = job[part]["path"]
    with tempfile.TemporaryDirectory(prefix="perfscore-ray-entry-") as folder:
        entry = Path(folder) / job["entry"]["name"]
        entry.write_bytes(ray.get(job["entry"]["ref"][0]))
        paths[str(entry)] = job["entry"]["path"]
        local_task = replace(task, path=str(entry), reference=local_files["reference"],
                             reference_poses=local_files["poses"], model=local_files["model"])
        pose = settings.pose.model_copy(update={"model_path": Path(local_files["pose_model"])})
        record = score_record(local_task, settings.model_copy(update={"pose": pose}))
    return {"record": _with_paths(record, paths)}


def _exit_for_test() -> None:
    log = os.environ.get(TEST_EXIT_ON + "_LOG")
    if log:   # one line per attempt: the test counts Ray's retries
        with open(log, "a") as fh:
            fh.write(f"{os.getpid()}\n")
    os._exit(70)


def _with_paths(value, paths: dict[str, str]):
    """The record with this machine's scratch paths replaced by the driver's (in error messages)."""
    if isinstance(value, str):
        for local, original in paths.items():
            value = value.replace(local, original)
        return value
    if isinstance(value, dict):
        return {k: _with_paths(v, paths) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_paths(v, paths) for v in value]
    if isinstance(value, tuple):
        return tuple(_with_paths(v, paths) for v in value)
    return value
