"""Outputs for a jury: categories and the rank within them, the discipline column, `--dry-run`, and
progress lines in a log (stderr not a terminal) or none with `--quiet`. Known answers throughout."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

from edge.screening.entries import Entry, collect
from edge.screening.outputs import CSV_HEADER, Outcome, ranked, results_csv
from edge.screening.progress import LogProgress

from .conftest import REPO, screen_command


def _scored(name: str, overall: float, category: str | None, discipline: str = "dance") -> Outcome:
    rubric = {"overall": overall, "grade": "C", "subscores": {"rhythm": {"value": overall}}}
    record = {"discipline": discipline, "result": {"rubric": rubric}}
    return Outcome(Entry(name, Path(name), None, category), "ok", record=record)


def test_rank_within_category_follows_the_overall_ranking():
    outcomes = [_scored("a", 60.0, "solo"), _scored("b", 90.0, "duo"), _scored("c", 75.0, "solo"),
                _scored("d", 75.0, None), _scored("e", 80.0, "duo"), _scored("f", 75.0, "solo"),
                Outcome(Entry("g", Path("g"), None, "solo"), "failed", "file not found", "missing",
                        asked_discipline="music")]
    ordered = ranked(outcomes)
    got = [(o.entry.name, o.rank, o.category_rank) for o in ordered]
    # 75.0 ties break by name (c, d, f); "d" has no category: a group of its own.
    assert got == [("b", 1, 1), ("e", 2, 2), ("c", 3, 1), ("d", 4, 1), ("f", 5, 2), ("a", 6, 3), ("g", None, None)]
    rows = list(csv.DictReader(io.StringIO(results_csv(ordered))))
    assert list(rows[0]) == list(CSV_HEADER)
    assert [(r["entry"], r["category"], r["discipline"], r["category_rank"]) for r in rows] == [
        ("b", "duo", "dance", "1"), ("e", "duo", "dance", "2"), ("c", "solo", "dance", "1"), ("d", "", "dance", "1"),
        ("f", "solo", "dance", "2"), ("a", "solo", "dance", "3"), ("g", "solo", "music", "")]


def test_folder_category_is_the_first_folder_level(tmp_path):
    for rel in ("under 12/ann.wav", "under 12/heat 2/bob.wav", "adult/cy.wav", "top.wav", ".hidden/x.wav",
                "notes.txt", ".DS_Store"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    got = collect([tmp_path, tmp_path / "top.wav"])
    assert [(e.name, e.category) for e in got.entries] == [
        ("adult/cy.wav", "adult"), ("top.wav", None), ("under 12/ann.wav", "under 12"),
        ("under 12/heat 2/bob.wav", "under 12")]
    assert sorted((Path(p).name, why) for p, why in got.ignored) == [
        (".DS_Store", "hidden file"), (".hidden", "hidden folder"), ("notes.txt", "not a recording (.txt)"),
        ("top.wav", "given twice: already entry 'top.wav'")]


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_progress_lines_every_5_percent_and_every_minute():
    out, clock = io.StringIO(), _Clock()
    progress = LogProgress(out, clock=clock, timer=False)
    progress.start(40, reused=3)
    for i in range(1, 11):          # 10 of 40 entries, 6 s apart: a line at 2, 4, 6, 8, 10 (every 5 %)
        clock.now += 6.0
        progress.advance(failed=(i == 3))
    clock.now += 59.0
    progress.tick()                 # 59 s without a line: nothing yet
    clock.now += 1.0
    progress.tick()                 # 60 s: a line even though nothing finished
    clock.now += 30.0
    for _ in range(30):
        progress.advance(failed=False)
    progress.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "screen: 0/40 entries to score (3 reused from earlier runs); a line every 5 % and at least every 60 s"
    assert lines[1] == "screen: 2/40 done (5 %), 0 failed; 0:00:12 elapsed, about 0:03:48 left"
    assert lines[5] == "screen: 10/40 done (25 %), 1 failed; 0:01:00 elapsed, about 0:03:00 left"
    assert lines[6] == "screen: 10/40 done (25 %), 1 failed; 0:02:00 elapsed, about 0:06:00 left"
    # Then every second entry up to 38/40; the 40th is the closing line.
    assert [line.split()[1] for line in lines[7:-1]] == [f"{n}/40" for n in range(12, 40, 2)]
    assert lines[-1] == "screen: finished 40/40 (100 %), 1 failed; 0:02:30 elapsed"


def test_progress_line_for_every_entry_of_a_small_run():
    out = io.StringIO()
    progress = LogProgress(out, timer=False)
    progress.start(3, reused=0)
    for _ in range(3):
        progress.advance(failed=True)
    progress.close()
    assert [line.split()[1] for line in out.getvalue().splitlines()] == ["0/3", "1/3", "2/3", "finished"]


def _venue_folder(root: Path) -> Path:
    """Entries in category folders: text files named like recordings (each fails quickly in a worker),
    one empty file, the same content twice, and files that are not entries."""
    files = {"under 12/ann.wav": "entry form: Ann\n", "under 12/bob.wav": "entry form: Bob\n",
             "adult/cy.wav": "entry form: Ann\n", "adult/empty.wav": "", "readme.txt": "rules\n"}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(screen_command(*args), cwd=REPO, capture_output=True, text=True, timeout=300)


def test_dry_run_lists_and_scores_nothing_then_progress_lines_and_quiet(tmp_path):
    entries, out = _venue_folder(tmp_path / "entries"), tmp_path / "out"
    dry = _cli(entries, "--out", out, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = [line.split("\t") for line in dry.stdout.splitlines()]
    assert lines[0] == ["action", "entry", "detail"]
    assert [line[:2] for line in lines[1:]] == [
        ["score", "adult/cy.wav"], ["fail", "adult/empty.wav"], ["same", "under 12/ann.wav"],
        ["score", "under 12/bob.wav"], ["ignore", str(entries / "readme.txt")]]
    assert lines[1][2].startswith("category adult; ") and lines[2][2] == "empty file (0 bytes)"
    assert lines[3][2] == "identical to 'adult/cy.wav': scored once, result shared"
    assert "4 entries: 2 to score" in dry.stderr and "Nothing was scored or written" in dry.stderr
    assert not out.exists(), "a dry run writes nothing"

    run = _cli(entries, "--out", out, "--workers", "1")   # stderr is a pipe here: progress lines, no bar
    assert run.returncode == 3, run.stderr
    err = run.stderr.splitlines()
    assert err[0] == "screen: 0/2 entries to score; a line every 5 % and at least every 60 s"
    assert err[1].startswith("screen: 1/2 done (50 %), 1 failed; ")
    assert err[2].startswith("screen: finished 2/2 (100 %), 2 failed; ")
    assert err[3].startswith("screen: 4 entries: 0 scored, 4 failed") and len(err) == 4
    with open(out / "results.csv", newline="") as fh:
        rows = {row["entry"]: row for row in csv.DictReader(fh)}
    assert {name: (row["category"], row["error"]) for name, row in rows.items()} == {
        "adult/cy.wav": ("adult", "a text file, not a recording"), "adult/empty.wav": ("adult", "empty file (0 bytes)"),
        "under 12/ann.wav": ("under 12", "a text file, not a recording"),
        "under 12/bob.wav": ("under 12", "a text file, not a recording")}

    again = _cli(entries, "--out", out, "--dry-run")
    assert [line.split("\t")[0] for line in again.stdout.splitlines()[1:]] == ["reuse", "fail", "reuse", "reuse",
                                                                              "ignore"]
    quiet = _cli(entries, "--out", out, "--quiet")
    assert quiet.returncode == 3 and quiet.stderr.splitlines() == [quiet.stderr.strip()], quiet.stderr
    assert quiet.stderr.startswith("screen: 4 entries: 0 scored, 4 failed; 3 reused from earlier runs")
