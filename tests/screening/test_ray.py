"""`perfscore screen --engine ray` on a real two-node Ray cluster (started on loopback by this module):
the same results as the local pool, the code of every node checked, a lost worker retried once and
then failed with its reason, and Ctrl-C keeping what is done."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from edge.screening.ray_engine import TEST_EXIT_ON

from .conftest import REPO, screen_command
from .media import Run, write_manifest

pytest.importorskip("ray")

from .ray_cluster import start_cluster  # noqa: E402  (needs psutil and ray: after the skip)

CRASH_NAME = "crash_me.wav"
TIMING = ("elapsed_s", "cpu_s")   # wall and CPU time of scoring: differ between any two runs


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    log = tmp_path_factory.mktemp("ray-hook") / "exits.log"
    # The test hook: a worker handed crash_me.wav exits as if killed, and notes each attempt.
    cluster = start_cluster({TEST_EXIT_ON: CRASH_NAME, TEST_EXIT_ON + "_LOG": str(log)})
    cluster.exit_log = log
    yield cluster
    cluster.stop()
    assert not cluster.processes(), "Ray processes left running"


def _ray(cluster, *args, out: Path, cwd: Path = REPO, env: dict | None = None, timeout: float = 300) -> Run:
    proc = subprocess.run(screen_command(*args, "--out", out, "--engine", "ray", "--ray-address", cluster.address),
                          cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env=env or cluster.env)
    return Run(proc.returncode, proc.stderr, out)


def _records(out: Path) -> dict[str, dict]:
    """Finished records without the time they took."""
    found = {}
    for path in sorted((out / "entries").glob("[!.]*.json")):
        record = json.loads(path.read_text())
        for name in TIMING:
            record.pop(name)
        record["result"] and record["result"]["analysis"].pop("timings_s", None)
        found[path.name] = record
    return found


def test_ray_gives_the_local_pools_results(cluster, music_run, music_manifest, tmp_path):
    ray_run = _ray(cluster, music_manifest, "--discipline", "music", out=tmp_path / "out")
    assert ray_run.code == music_run.code == 3, ray_run.stderr
    assert "Traceback" not in ray_run.stderr
    assert ray_run.csv_text == music_run.csv_text     # byte for byte
    local, remote = _records(music_run.out), _records(ray_run.out)
    assert len(local) == 6 and remote == local        # the records too, but for the time they took
    # The driver wrote them, exactly as the pool's workers do (same key order, same formatting).
    for name in local:
        strip = lambda text: {k: v for k, v in json.loads(text).items() if k not in TIMING}  # noqa: E731
        assert list(strip((ray_run.out / "entries" / name).read_text())) == \
               list(strip((music_run.out / "entries" / name).read_text()))


def test_a_node_with_other_code_is_refused(cluster, music_manifest, tmp_path):
    """The driver runs a copy of perfscore whose scoring code differs by one comment; the nodes run the
    installed one. Nothing is scored and the message names the node and both hashes."""
    copy = tmp_path / "other-perfscore"
    shutil.copytree(REPO / "edge", copy / "edge", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "models").symlink_to(REPO / "models")
    with open(copy / "edge" / "scoring" / "__init__.py", "a") as fh:
        fh.write("# a change the nodes do not have\n")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()  # Ray puts the driver's working folder on the workers' path: not the copy
    env = {**cluster.env, "PYTHONPATH": str(copy)}
    run = _ray(cluster, music_manifest.parent / "lascia_clean.wav", out=tmp_path / "out", cwd=elsewhere, env=env)
    assert run.code == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert "has a different perfscore than this run" in run.stderr and "code_sha256" in run.stderr
    assert "127.0.0.2" in run.stderr
    assert not list((tmp_path / "out" / "entries").glob("*.json"))


def test_a_lost_worker_is_retried_once_then_its_entry_fails(cluster, music_manifest, tmp_path):
    media = music_manifest.parent
    shutil.copy(media / "lascia_flat.wav", tmp_path / CRASH_NAME)
    manifest = write_manifest(tmp_path / "manifest.csv", [
        ("crash_me", str(tmp_path / CRASH_NAME), str(media / "lascia_clean.ref.mid"), "woodwind"),
        ("lascia_clean", str(media / "lascia_clean.wav"), str(media / "lascia_clean.ref.mid"), "woodwind"),
        ("lascia_wrong", str(media / "lascia_wrong.wav"), str(media / "lascia_clean.ref.mid"), "woodwind"),
    ])
    run = _ray(cluster, manifest, "--discipline", "music", out=tmp_path / "out")
    assert run.code == 3, run.stderr
    rows = run.rows()
    assert rows["crash_me"]["status"] == "failed"
    assert "the scoring process died on this recording, also when retried" in rows["crash_me"]["error"]
    assert rows["lascia_clean"]["status"] == rows["lascia_wrong"]["status"] == "ok"
    assert len(cluster.exit_log.read_text().splitlines()) == 2, "one attempt and one retry"
    assert len(list((tmp_path / "out" / "entries").glob("[!.]*.json"))) == 2, "a crash is not remembered"


def _wait_for_records(proc: subprocess.Popen, out: Path, n: int, timeout: float = 120) -> None:
    """Until n records are saved (not counting the driver's temporary files)."""
    deadline = time.monotonic() + timeout
    while len(list((out / "entries").glob("[!.]*.json"))) < n:
        assert proc.poll() is None, f"finished before it could be interrupted: {proc.communicate()}"
        assert time.monotonic() < deadline, "no entry finished in time"
        time.sleep(0.02)


def _long_takes(media: Path, folder: Path) -> Path:
    import soundfile

    samples, rate = soundfile.read(media / "lascia_jitter.wav", dtype="float32")
    reference = media / "lascia_clean.ref.mid"
    rows = []
    for name, repeats in (("longest_take", 10), ("long_take", 3), ("other_take", 4)):
        soundfile.write(folder / f"{name}.wav", np.tile(samples, repeats), rate)
        rows.append((name, str(folder / f"{name}.wav"), str(reference), "woodwind"))
    rows.append(("lascia_wrong", str(media / "lascia_wrong.wav"), str(reference), "woodwind"))
    return write_manifest(folder / "manifest.csv", rows)


def test_ctrl_c_keeps_finished_entries_and_a_rerun_resumes(cluster, music_manifest, tmp_path):
    manifest = _long_takes(music_manifest.parent, tmp_path)
    out = tmp_path / "out"
    args = screen_command(manifest, "--discipline", "music", "--out", out, "--engine", "ray",
                          "--ray-address", cluster.address)
    proc = subprocess.Popen(args, cwd=REPO, env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_for_records(proc, out, 1)
    os.killpg(proc.pid, signal.SIGINT)   # Ctrl-C in the driver's terminal
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "INTERRUPTED" in stderr
    finished = {p.name: p.read_bytes() for p in (out / "entries").glob("[!.]*.json")}
    docs = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert 1 <= len(finished) == len(docs) < 4
    assert {f"{d['key']}.json" for d in docs} == set(finished)

    again = _ray(cluster, manifest, "--discipline", "music", out=out)
    assert again.code == 0, again.stderr
    assert f"{len(finished)} reused" in again.stderr
    assert all((out / "entries" / name).read_bytes() == data for name, data in finished.items())
    assert len(again.rows()) == 4


def test_the_box_never_imports_ray():
    code = ("import sys, edge.cli.main, edge.screening.runner, edge.screening.ray_engine, edge.app; "
            "sys.exit('ray' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0


def test_an_address_where_no_cluster_answers(tmp_path, music_manifest):
    with socket.socket() as sock:   # a port nothing listens on
        sock.bind(("127.0.0.2", 0))
        port = sock.getsockname()[1]
    proc = subprocess.run(screen_command(music_manifest, "--out", tmp_path / "out", "--engine", "ray",
                                         "--ray-address", f"127.0.0.2:{port}"),
                          cwd=REPO, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    assert f"no Ray cluster answers at 127.0.0.2:{port}" in proc.stderr and "Traceback" not in proc.stderr
