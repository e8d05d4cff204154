"""One screening run: collect entries, reuse what is finished, score the rest in parallel, write the outputs.

    summary = screen(ScreenOptions(inputs=["entries/"], out_dir=Path("out")), settings)

Inputs that make the whole run meaningless (no such folder, a bad manifest, a model that does not
load) raise InputError before anything is scored. Problems of one entry never stop the run: the
entry is recorded as failed with the reason.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..config import Settings
from ..errors import ModelError
from . import keys, references
from .entries import Collected, Entry, InputError, collect
from .outputs import Outcome, ranked, results_csv, results_jsonl
from .engine import Crash, Engine
from .pool import Pool
from .report import write_report
from .store import Store, StoreUnusable, write_atomically
from .worker import Task

RESULTS_CSV, RESULTS_JSONL, REPORT_HTML = "results.csv", "results.jsonl", "report.html"


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass
class ScreenOptions:
    inputs: list[str]
    out_dir: Path
    discipline: str | None = None        # None: each recording's discipline is detected
    reference: Path | None = None
    model: Path | None = None
    workers: int = field(default_factory=default_workers)
    timeout_s: float | None = None
    engine: str = "local"             # "local" (pool.py) or "ray" (ray_engine.py)
    ray_address: str | None = None     # a Ray cluster's HEAD:PORT; None: RAY_ADDRESS or a one-machine Ray


@dataclass
class Summary:
    entries: int = 0
    scored: int = 0          # status ok (now or reused)
    failed: int = 0
    reused: int = 0          # finished in an earlier run, not scored again
    skipped_files: int = 0   # non-recordings left out of folders
    unfinished: int = 0      # interrupted before these were scored
    interrupted: bool = False
    elapsed_s: float = 0.0
    media_s: float = 0.0     # duration of the recordings scored in this run

    def line(self, out_dir: Path) -> str:
        parts = [f"{self.entries} entries: {self.scored} scored, {self.failed} failed"]
        if self.reused:
            parts.append(f"{self.reused} reused from earlier runs")
        if self.skipped_files:
            parts.append(f"{self.skipped_files} non-recording files ignored")
        if self.interrupted:
            parts.append(f"INTERRUPTED with {self.unfinished} not scored (run again to finish)")
        rtf = f", {self.elapsed_s / self.media_s:.2f}x real time" if self.media_s else ""
        return f"screen: {'; '.join(parts)}; {self.elapsed_s:.1f} s{rtf} -> {out_dir / RESULTS_CSV}"


class Progress:
    """What the runner tells a progress display; the default shows nothing."""
    def start(self, total: int, reused: int) -> None: ...
    def advance(self, failed: bool) -> None: ...
    def close(self) -> None: ...


def check_options(options: ScreenOptions, settings: Settings) -> None:
    from ..models import verify_model

    if options.workers < 1:
        raise InputError(f"--workers must be at least 1, got {options.workers}")
    if options.engine not in ("local", "ray"):
        raise InputError(f"--engine must be local or ray, got {options.engine}")
    if options.engine == "ray":
        from .ray_engine import check_reachable, import_ray

        import_ray()  # a missing extra or a wrong address is a usage error before anything is scored
        check_reachable(options.ray_address or os.environ.get("RAY_ADDRESS"))
    if options.reference is not None and not options.reference.is_file():
        raise InputError(f"{options.reference}: reference file not found")
    try:
        verify_model(settings.pose.model_path)
        if options.model is not None:
            from ..scoring.learned import load_scorer

            load_scorer(options.model)
    except ModelError as exc:
        raise InputError(str(exc)) from None
    if options.out_dir.exists() and not options.out_dir.is_dir():
        raise InputError(f"{options.out_dir}: --out must be a folder")


def screen(options: ScreenOptions, settings: Settings, progress: Progress = Progress()) -> Summary:
    clock = time.perf_counter()
    check_options(options, settings)
    collected = collect(options.inputs, reference=options.reference, exclude=options.out_dir)
    scorer = keys.current_scorer(options.model)
    fingerprint = keys.run_fingerprint(settings, scorer)
    summary = Summary(entries=len(collected.entries), skipped_files=sum(collected.skipped.values()))
    try:
        with Store(options.out_dir) as store:
            outcomes, tasks, waiting = _plan(collected, store, options, scorer, fingerprint)
            summary.reused = sum(o.reused for o in outcomes.values())
            progress.start(len(tasks), summary.reused)
            try:
                tasks = _with_reference_poses(tasks, options.out_dir, fingerprint, settings)
                _score(tasks, waiting, outcomes, options, settings, store, progress, summary)
            except KeyboardInterrupt:
                summary.interrupted = True
            finally:
                progress.close()
            done = [outcomes[e.name] for e in collected.entries if e.name in outcomes]
            summary.unfinished = summary.entries - len(done)
            _write_outputs(options.out_dir, ranked(done), scorer, options, grades=settings.scoring.grades)
    except StoreUnusable as exc:
        raise InputError(str(exc)) from None
    summary.scored = sum(o.status == "ok" for o in done)
    summary.failed = sum(o.status != "ok" for o in done)
    summary.elapsed_s = time.perf_counter() - clock
    return summary


def _plan(collected: Collected, store: Store, options: ScreenOptions, scorer: keys.Scorer, fingerprint: str):
    """Outcomes known without scoring (reused records, missing or empty files), and one task per
    distinct key still to score with the entries waiting for it (identical files are scored once)."""
    outcomes: dict[str, Outcome] = {}
    tasks: list[Task] = []
    waiting: dict[str, list[Entry]] = {}
    for entry in collected.entries:
        problem = _unreadable(entry.path)
        if problem:
            outcomes[entry.name] = Outcome(entry, "failed", problem[1], problem[0])
            continue
        if entry.reference is not None and not entry.reference.is_file():
            outcomes[entry.name] = Outcome(entry, "failed", f"reference {entry.reference} not found", "missing")
            continue
        try:
            content = keys.file_sha256(entry.path)
            ref_sha = keys.file_sha256(entry.reference) if entry.reference is not None else None
        except OSError as exc:
            outcomes[entry.name] = Outcome(entry, "failed", f"cannot read: {exc.strerror or exc}", "unreadable")
            continue
        key = keys.entry_key(content, ref_sha, options.discipline, fingerprint)
        record = store.load(key)
        if record is not None:
            outcomes[entry.name] = _outcome(entry, record, reused=True)
        elif key in waiting:
            waiting[key].append(entry)
        else:
            waiting[key] = [entry]
            tasks.append(Task(key, str(entry.path), str(entry.reference) if entry.reference else None,
                              options.discipline, str(options.model) if options.model else None,
                              content, ref_sha, scorer.to_dict()))
    # Biggest files first (size stands in for duration): a long entry started last would leave the
    # other workers idle at the end. The order of scoring never changes a result.
    tasks.sort(key=lambda t: (-_size(Path(t.path)), t.key))
    return outcomes, tasks, waiting


def _with_reference_poses(tasks: list[Task], out_dir: Path, fingerprint: str, settings) -> list[Task]:
    """Pose each dance reference once here, before the workers start, and hand its poses to every task
    that compares with it (instead of each entry decoding and posing the reference again)."""
    wanted = {t.reference_sha256: Path(t.reference) for t in tasks if references.needs_pose(t.reference)}
    if not wanted:
        return tasks
    ready = references.prepare(wanted, out_dir, fingerprint, settings)
    return [replace(t, reference_poses=ready.get(t.reference_sha256)) if references.needs_pose(t.reference) else t
            for t in tasks]


def _unreadable(path: Path) -> tuple[str, str] | None:
    """Problems seen without opening the file: (kind, reason)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return "missing", "file not found"
    except OSError as exc:
        return "unreadable", f"cannot read: {exc.strerror or exc}"
    if not path.is_file():
        return "unreadable", "not a regular file"
    if stat.st_size == 0:
        return "empty", "empty file (0 bytes)"
    if not os.access(path, os.R_OK):
        return "unreadable", "cannot read: permission denied"
    return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _outcome(entry: Entry, record: dict, reused: bool) -> Outcome:
    return Outcome(entry, record["status"], record.get("error"), record.get("error_kind"), record, reused)


def _score(tasks, waiting, outcomes, options, settings, store, progress, summary) -> None:
    def on_done(task: Task, result: dict | Crash) -> None:
        for entry in waiting[task.key]:
            if isinstance(result, Crash):
                outcomes[entry.name] = Outcome(entry, "failed", result.reason, result.kind)
            else:
                outcomes[entry.name] = _outcome(entry, result, reused=False)
        if isinstance(result, dict) and result.get("duration_s"):
            summary.media_s += result["duration_s"]
        progress.advance(failed=isinstance(result, Crash) or result["status"] != "ok")

    if not tasks:
        return
    _engine(options, settings, store, len(tasks)).run(tasks, on_start=lambda task: None, on_done=on_done)


def _engine(options: ScreenOptions, settings, store: Store, n_tasks: int) -> Engine:
    if options.engine == "ray":
        from .ray_engine import RayEngine  # Ray is imported only when chosen

        return RayEngine(options.ray_address, settings, store.entries_dir,
                         local_cpus=min(options.workers, n_tasks), timeout_s=options.timeout_s)
    return Pool(min(options.workers, n_tasks), settings, store.entries_dir, timeout_s=options.timeout_s)


def _write_outputs(out_dir: Path, ordered: list[Outcome], scorer: keys.Scorer, options: ScreenOptions,
                   grades=None) -> None:
    for outcome in ordered:
        outcome.asked_discipline = options.discipline  # shown for entries that failed before being judged
    write_atomically(out_dir / RESULTS_CSV, results_csv(ordered))
    write_atomically(out_dir / RESULTS_JSONL, results_jsonl(ordered))
    # report.html (the index) and report/<page>.html, one per entry (report.py)
    write_report(out_dir, ordered, scorer_label=scorer.label(), grades=grades)
