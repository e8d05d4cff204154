"""Every kind of broken entry is recorded with a clear reason, the run goes on, and the exit code says so."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess

import pytest

from edge.cli.main import main
from edge.screening.store import Store

from .conftest import REPO, run_screen, screen_command
from .media import DANCE_BROKEN


def test_dance_run_exits_3_and_ranks_only_the_scorable(dance_run):
    assert dance_run.code == 3, dance_run.stderr
    assert "Traceback" not in dance_run.stderr
    rows = dance_run.rows()
    ok = [name for name, row in rows.items() if row["status"] == "ok"]
    assert sorted(ok) == ["kick_clean.mp4", "kick_jitter.mp4", "kick_shifted.mp4"]
    summary = dance_run.stderr.strip().splitlines()[-1]
    assert summary.startswith("screen: 10 entries: 3 scored, 7 failed"), summary


@pytest.mark.parametrize("name", sorted(DANCE_BROKEN))
def test_broken_dance_file_is_named_with_its_reason(dance_run, name):
    row = dance_run.rows()[name]
    assert row["status"] == "failed"
    assert DANCE_BROKEN[name] in row["error"], row["error"]
    assert row["rank"] == row["overall"] == row["grade"] == row["rhythm"] == ""


def test_failed_rows_come_last_in_name_order(dance_run, music_run):
    for run in (dance_run, music_run):
        statuses = [row["status"] for row in run.rows().values()]
        first_failed = statuses.index("failed")
        assert set(statuses[first_failed:]) == {"failed"} and set(statuses[:first_failed]) == {"ok"}
        failed = [name for name, row in run.rows().items() if row["status"] == "failed"]
        assert failed == sorted(failed)
        ranks = [int(row["rank"]) for row in run.rows().values() if row["status"] == "ok"]
        assert ranks == list(range(1, len(ranks) + 1))


def test_music_manifest_rows_that_cannot_be_scored(music_run):
    assert music_run.code == 3, music_run.stderr
    rows = music_run.rows()
    assert rows["no_such_take"]["error"] == "file not found"
    assert "audio is silent" in rows["silence"]["error"]
    assert all(row["status"] == "ok" for name, row in rows.items() if name.startswith("lascia_"))


def test_music_has_no_sync_and_blank_cells_for_what_does_not_apply(music_run):
    for name, row in music_run.rows().items():
        if row["status"] == "ok":
            assert row["sync"] == "", f"{name}: music has no dance sync"
            assert row["interpretation"] != "", f"{name}: judged against its reference"


def test_identical_content_is_scored_once_and_ties_break_by_name(music_run):
    rows = music_run.rows()
    twin, clean = rows['<b>"Evil" & co</b>'], rows["lascia_clean"]
    per_entry = ("rank", "entry", "category", "category_rank")  # the manifest gives the twin its own category
    assert {k: v for k, v in twin.items() if k not in per_entry} == \
           {k: v for k, v in clean.items() if k not in per_entry}
    assert (twin["category"], twin["category_rank"], clean["category"]) == ("<script>alert(1)</script>", "1", "woodwind")
    assert int(twin["rank"]) + 1 == int(clean["rank"])  # '<' sorts before 'l'
    records = list((music_run.out / "entries").glob("*.json"))
    docs = [json.loads(line) for line in (music_run.out / "results.jsonl").read_text().splitlines()]
    assert len(records) == len({d["key"] for d in docs if d["key"]})


def test_unreadable_file_is_a_failed_entry(tmp_path, music_manifest):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    locked = tmp_path / "locked.wav"
    shutil.copy(music_manifest.parent / "lascia_clean.wav", locked)
    locked.chmod(0)
    code = main(["screen", str(locked), "--out", str(tmp_path / "out")])
    assert code == 3
    assert "permission denied" in (tmp_path / "out" / "results.csv").read_text()


def test_broken_link_and_special_file_in_a_folder(tmp_path):
    folder = tmp_path / "entries"
    folder.mkdir()
    (folder / "gone.mp4").symlink_to(tmp_path / "deleted.mp4")
    os.mkfifo(folder / "pipe.wav")
    assert main(["screen", str(folder), "--out", str(tmp_path / "out")]) == 3
    with open(tmp_path / "out" / "results.csv", newline="", encoding="utf-8") as fh:
        rows = {row["entry"]: (row["status"], row["error"]) for row in csv.DictReader(fh)}
    assert rows["gone.mp4"] == ("failed", "file not found")
    assert rows["pipe.wav"] == ("failed", "not a regular file")


def test_entry_that_runs_out_of_time(tmp_path, music_manifest):
    run = run_screen(music_manifest.parent / "lascia_clean.wav", "--timeout", "0.2", out=tmp_path / "out")
    assert run.code == 3, run.stderr
    row = run.rows()["lascia_clean.wav"]
    assert row["status"] == "failed" and "not scored within 0.2 s" in row["error"]
    assert not list((tmp_path / "out" / "entries").glob("*.json")), "a timeout is retried on the next run"


# ---- usage errors: nothing is scored, exit code 2 -------------------------------------------------

def _usage(capsys, *argv) -> str:
    assert main(["screen", *map(str, argv)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_missing_input_is_a_usage_error(tmp_path, capsys):
    assert "no such file or folder" in _usage(capsys, tmp_path / "nope", "--out", tmp_path / "out")


def test_manifest_with_unknown_columns(tmp_path, capsys):
    manifest = tmp_path / "m.csv"
    manifest.write_text("entry,file\na,a.wav\n")
    err = _usage(capsys, manifest, "--out", tmp_path / "out")
    assert f"{manifest}:1" in err and "missing column(s) path" in err and "unknown column(s) file" in err


def test_manifest_row_without_path(tmp_path, capsys):
    manifest = tmp_path / "m.csv"
    manifest.write_text("entry,path\na,a.wav\nb,\n")
    assert f"{manifest}:3: 'entry' and 'path' must not be empty" in _usage(capsys, manifest, "--out", tmp_path / "o")


def test_two_entries_with_one_name(tmp_path, capsys, music_manifest):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        shutil.copy(music_manifest.parent / "silence.wav", tmp_path / sub / "take.wav")
    err = _usage(capsys, tmp_path / "a" / "take.wav", tmp_path / "b" / "take.wav", "--out", tmp_path / "out")
    assert "two entries are named 'take.wav'" in err


def test_bad_worker_count_reference_and_model(tmp_path, capsys, music_manifest):
    wav = music_manifest.parent / "silence.wav"
    assert "--workers must be at least 1" in _usage(capsys, wav, "--out", tmp_path / "o", "--workers", "0")
    assert "reference file not found" in _usage(capsys, wav, "--out", tmp_path / "o", "--reference", tmp_path / "x.mid")
    assert "model file not found" in _usage(capsys, wav, "--out", tmp_path / "o", "--model", tmp_path / "m.onnx")


def test_bad_config_is_a_usage_error(tmp_path, capsys, music_manifest):
    config = tmp_path / "c.yaml"
    config.write_text("scoring:\n  windoww_s: 3\n")
    assert main(["--config", str(config), "screen", str(music_manifest), "--out", str(tmp_path / "o")]) == 2
    assert "unknown key" in capsys.readouterr().err


def test_output_folder_in_use_by_another_run(tmp_path, capsys, music_manifest):
    out = tmp_path / "out"
    out.mkdir()
    with Store(out):
        err = _usage(capsys, music_manifest.parent / "silence.wav", "--out", out)
    assert "another screening run is using this folder" in err


def test_output_folder_that_cannot_be_made(tmp_path, capsys, music_manifest):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    err = _usage(capsys, music_manifest.parent / "silence.wav", "--out", blocker / "out")
    assert "cannot use as output folder" in err
    assert "--out must be a folder" in _usage(capsys, music_manifest.parent / "silence.wav", "--out", blocker)


def test_help_documents_exit_codes_and_outputs():
    text = subprocess.run(screen_command("--help"), cwd=REPO, capture_output=True, text=True).stdout
    for needle in ("0    every entry was scored", "2    usage or configuration error", "3    some entries failed",
                   "130  interrupted", "results.csv", "report.html", "entry,path"):
        assert needle in text


def test_auto_discipline_says_when_a_video_is_judged_as_music(dance_folder, tmp_path):
    run = run_screen(dance_folder / "no_person.mp4", out=tmp_path / "out")
    assert run.code == 0, run.stderr
    doc = json.loads((tmp_path / "out" / "results.jsonl").read_text())
    assert doc["discipline"] == "music" and doc["status"] == "ok"
    assert "pass --discipline dance to judge it as a dance" in doc["warnings"][-1]
    from edge.screening.report import page_name

    assert "pass --discipline dance" in (tmp_path / "out" / "report" / page_name("no_person.mp4")).read_text()
