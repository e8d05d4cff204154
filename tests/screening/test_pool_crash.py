"""The local pool's worker lost in the window between saving an entry's record and sending it back
(killed there, as the OOM killer may): the entry is finished, not crashed. A test hook makes the
worker exit in exactly that window, so the test does not depend on timing."""

from __future__ import annotations

import csv
import json
import os
import subprocess

from edge.screening.pool import TEST_EXIT_AFTER_SAVE

from .conftest import REPO, screen_command
from .media import write_manifest


def test_a_worker_lost_after_saving_keeps_its_entry(music_manifest, tmp_path):
    media = music_manifest.parent
    manifest = write_manifest(tmp_path / "manifest.csv",
                              [(stem, media / f"{stem}.wav", media / "lascia_clean.ref.mid", "woodwind")
                               for stem in ("lascia_clean", "lascia_wrong")])
    log, out = tmp_path / "exits.log", tmp_path / "out"
    env = {**os.environ, TEST_EXIT_AFTER_SAVE: "lascia_clean.wav", TEST_EXIT_AFTER_SAVE + "_LOG": str(log)}
    proc = subprocess.run(screen_command(manifest, "--discipline", "music", "--workers", "1", "--out", out),
                          cwd=REPO, capture_output=True, text=True, timeout=300, env=env, stdin=subprocess.DEVNULL)
    fired = log.read_text().split() if log.exists() else []
    assert len(fired) == 1, f"the hook did not fire once: {fired}\n{proc.stderr}"
    assert proc.returncode == 0, proc.stderr
    assert "died" not in proc.stderr
    with open(out / "results.csv", newline="", encoding="utf-8") as fh:
        rows = {row["entry"]: row for row in csv.DictReader(fh)}
    assert {name: (row["status"], row["error"]) for name, row in rows.items()} == \
           {"lascia_clean": ("ok", ""), "lascia_wrong": ("ok", "")}
    # The kept result is the record the lost worker saved, and the lost worker's entry outscores the wrong notes.
    saved = json.loads((out / "entries" / f"{fired[0]}.json").read_text())
    assert saved["status"] == "ok" and saved["result"] is not None
    assert float(rows["lascia_clean"]["overall"]) > float(rows["lascia_wrong"]["overall"])
