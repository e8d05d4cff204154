"""Resumable and deterministic: a killed run loses only the entries in flight, a rerun scores only
what is missing and never rewrites a finished entry, and the same inputs give the same results.csv."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import psutil

from .conftest import REPO, run_screen, screen_command


def _records(out: Path) -> dict[str, tuple[int, int, str]]:
    """Finished entry files: name -> (inode, mtime_ns, sha256), to prove they are never rewritten."""
    found = {}
    for path in sorted((out / "entries").glob("*.json")):
        st = path.stat()
        found[path.name] = (st.st_ino, st.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    return found


def _start(*args, out: Path) -> subprocess.Popen:
    # A session of its own, so a "Ctrl-C" can go to the whole process group as a terminal sends it; and
    # SIGINT's default action, as in a terminal: a test run started in the background (`pytest &`,
    # nohup) would otherwise hand down an ignored SIGINT, and Python installs no Ctrl-C handler then.
    return subprocess.Popen(screen_command(*args, "--out", out), cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for_records(proc: subprocess.Popen, out: Path, n: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while len(list((out / "entries").glob("[!.]*.json"))) < n:  # not the .tmp-* files of a record being written
        assert proc.poll() is None, f"finished before it could be interrupted: {proc.communicate()}"
        assert time.monotonic() < deadline, "no entry finished in time"
        time.sleep(0.05)


def _workers_of(proc: subprocess.Popen) -> list[psutil.Process]:
    """The scoring processes (multiprocessing's resource tracker is a child too, and not one of them)."""
    return [p for p in psutil.Process(proc.pid).children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]


def test_rerun_reuses_everything_and_rewrites_nothing(dance_run, dance_folder):
    before = _records(dance_run.out)
    csv_before = dance_run.csv_text
    again = run_screen(dance_folder, "--discipline", "dance", "--workers", "2", out=dance_run.out)
    assert again.code == 3
    assert "9 reused from earlier runs" in again.stderr  # all but the empty file, which needs no scoring
    assert _records(dance_run.out) == before
    assert again.csv_text == csv_before


def test_killed_run_resumes_without_rework_and_matches_a_fresh_run(dance_run, dance_folder, tmp_path):
    out = tmp_path / "out"
    proc = _start(dance_folder, "--discipline", "dance", "--workers", "1", out=out)
    _wait_for_records(proc, out, 2)
    workers = psutil.Process(proc.pid).children(recursive=True)
    os.kill(proc.pid, signal.SIGKILL)  # no chance to clean up
    proc.communicate()
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, "workers of a killed run must not keep running"
    finished = _records(out)
    assert len(finished) >= 2

    resumed = run_screen(dance_folder, "--discipline", "dance", "--workers", "1", out=out)
    assert resumed.code == 3, resumed.stderr
    assert f"{len(finished)} reused from earlier runs" in resumed.stderr
    after = _records(out)
    assert {k: after[k] for k in finished} == finished, "a finished entry was rewritten"
    assert len(after) == 9
    # Determinism: killed and resumed with one worker == one fresh run with two workers, byte for byte.
    assert resumed.csv_text == dance_run.csv_text


def test_ctrl_c_stops_cleanly_keeps_finished_entries_and_exits_130(music_manifest, tmp_path):
    out = tmp_path / "out"
    proc = _start(music_manifest, "--discipline", "music", "--workers", "1", out=out)
    _wait_for_records(proc, out, 1)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C: every process in the group
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "INTERRUPTED" in stderr
    finished = _records(out)
    assert finished
    # The outputs list what finished, and the missing file (known without scoring); nothing half-done.
    docs = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert 2 <= len(docs) < 8
    assert {f"{d['key']}.json" for d in docs if d["key"]} <= set(finished)
    assert [d["entry"] for d in docs if not d["key"]] == ["no_such_take"]
    again = run_screen(music_manifest, "--discipline", "music", "--workers", "2", out=out)
    reused_entries = sum(1 for d in docs if d["key"])  # two entries may share one record (same file)
    assert again.code == 3 and f"{reused_entries} reused" in again.stderr
    assert {k: v for k, v in _records(out).items() if k in finished} == finished


def test_sigterm_stops_like_ctrl_c(music_manifest, tmp_path):
    out = tmp_path / "out"
    proc = _start(music_manifest, "--discipline", "music", "--workers", "1", out=out)
    _wait_for_records(proc, out, 1)
    workers = _workers_of(proc)
    proc.terminate()
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive
    assert (out / "results.csv").exists() and (out / "report.html").exists()


def _manifest_with_long_takes(music_manifest: Path, folder: Path) -> Path:
    """Two long takes and a short one. The biggest file is scored first, so after the first record
    appears the only worker goes on with the second long take (seconds of work), in which a kill
    then lands (once the worker is seen using CPU on it), not between two entries."""
    import soundfile

    media = music_manifest.parent
    samples, rate = soundfile.read(media / "lascia_jitter.wav", dtype="float32")
    soundfile.write(folder / "longest_take.wav", np.tile(samples, 40), rate)
    soundfile.write(folder / "long_take.wav", np.tile(samples, 30), rate)
    reference = media / "lascia_clean.ref.mid"
    rows = [("longest_take", folder / "longest_take.wav"), ("long_take", folder / "long_take.wav"),
            ("lascia_wrong", media / "lascia_wrong.wav")]
    manifest = folder / "manifest.csv"
    manifest.write_text("entry,path,reference,category\n"
                        + "".join(f"{name},{path},{reference},woodwind\n" for name, path in rows))
    return manifest


def _wait_for_cpu(proc: subprocess.Popen, workers: list[psutil.Process], more_s: float, timeout: float = 300) -> None:
    """Until the workers have used `more_s` more seconds of CPU than now."""
    def cpu() -> float:
        return sum(sum(w.cpu_times()[:2]) for w in workers)

    target, deadline = cpu() + more_s, time.monotonic() + timeout
    while cpu() < target:
        assert proc.poll() is None, f"finished before it could be interrupted: {proc.communicate()}"
        assert time.monotonic() < deadline, "the worker did not start the next entry in time"
        time.sleep(0.05)


def test_a_worker_that_dies_fails_only_its_entry(music_manifest, tmp_path):
    manifest = _manifest_with_long_takes(music_manifest, tmp_path)
    out = tmp_path / "out"
    proc = _start(manifest, "--discipline", "music", "--workers", "1", out=out)
    _wait_for_records(proc, out, 1)
    workers = _workers_of(proc)
    assert workers, "no worker process"
    # The record appears on disk just before the worker sends it back, and a kill in that window rightly
    # keeps the entry (test_pool_crash.py). Sending costs milliseconds of CPU; a second of CPU more means
    # the worker is scoring the long take (about 10 s of CPU), so the kill lands in it.
    _wait_for_cpu(proc, workers, 1.0)
    for worker in workers:
        worker.kill()  # as the OOM killer would
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 3, stderr
    with open(out / "results.csv", newline="", encoding="utf-8") as fh:
        rows = {row["entry"]: row for row in csv.DictReader(fh)}
    died = [name for name, row in rows.items() if "the scoring process died (killed by SIGKILL" in row["error"]]
    assert died == ["long_take"], rows
    assert all((row["status"], row["error"]) == ("ok", "") for name, row in rows.items() if name != "long_take"), rows
    # A crash is not remembered: a rerun scores the long take and reuses the others.
    again = run_screen(manifest, "--discipline", "music", "--workers", "1", out=out)
    assert again.code == 0 and "died" not in again.csv_text, again.stderr
    assert f"{len(rows) - 1} reused" in again.stderr