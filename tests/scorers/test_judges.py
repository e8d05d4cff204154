"""A venue's judges' marks (CSV) become training records with the right labels and features."""

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from edge.errors import PerfscoreError
from edge.features.sequence import AUDIO_DIM, POSE_DIM
from training.data.corpus_store import load_corpus
from training.data.judges import import_judges, read_marks
from training.scorers.data import clips_from

SAMPLES = Path(__file__).resolve().parents[2] / "samples"

CSV = """path,judge,rhythm,sync,technique,expression,interpretation,overall
{dance},alice,80,90,70,60,75,76
{dance},bob,70,80,60,80,,72
{violin},alice,95,,88,92,90,91
{violin},bob,85,,92,88,94,
"""


def test_marks_are_averaged_per_recording_and_the_features_are_the_boxes(tmp_path):
    csv = tmp_path / "marks.csv"
    shutil.copyfile(SAMPLES / "music_violin.wav", tmp_path / "music_violin.wav")
    # an absolute path, and one relative to the CSV's folder
    csv.write_text(CSV.format(dance=SAMPLES / "dance_on_beat.mp4", violin="music_violin.wav"))
    summary = import_judges(csv, tmp_path / "venue")
    assert summary["imported"] == 2 and not summary["failed"]
    corpus = load_corpus(tmp_path / "venue")
    by_kind = {e["discipline"]: (e, p, a) for e, p, a in zip(corpus.entries, corpus.pose, corpus.audio)}
    dance, pose, audio = by_kind["dance"]
    assert dance["source"] == "judges" and dance["meta"]["judges"] == ["alice", "bob"]
    subs = dance["labels"]["subscores"]
    assert subs["rhythm"] == 75 and subs["sync"] == 85 and subs["technique"] == 65 and subs["expression"] == 70
    assert subs["interpretation"] == 75                         # bob left it empty: alice's mark alone
    assert dance["labels"]["overall"] == 74 and dance["labels"]["grade"] == "B"
    assert pose.shape[1] == POSE_DIM and audio.shape[1] == AUDIO_DIM and pose[:, -1].mean() > 0.9

    music = by_kind["music"][0]
    assert music["labels"]["subscores"]["sync"] is None and music["labels"]["overall"] == 91 and \
        music["labels"]["grade"] == "A"
    clips = clips_from(corpus)
    assert not clips.synthetic.any()                           # marks are kept as they are, never relabelled
    assert math.isnan(clips.targets[[e["discipline"] for e in corpus.entries].index("music"), 1])
    assert np.all(clips.frames[[e["discipline"] for e in corpus.entries].index("music")][:, :POSE_DIM] == 0)


def test_bad_csvs_are_refused_with_file_line_and_column(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("path,judge,rhythm\nx.wav,a,50\n")
    with pytest.raises(PerfscoreError, match="line 1: missing column"):
        read_marks(bad)
    bad.write_text("path,judge,rhythm,sync,technique,expression,interpretation,overall\nx.wav,a,50,,,,,120\n")
    with pytest.raises(PerfscoreError, match=r"line 2, column overall: 120.0 is outside 0–100"):
        read_marks(bad)
    bad.write_text("path,judge,rhythm,sync,technique,expression,interpretation,overall\nx.wav,a,,,,,,\n")
    with pytest.raises(PerfscoreError, match="line 2: judge 'a' gave no mark"):
        read_marks(bad)


def test_unreadable_recordings_are_reported_not_fatal(tmp_path):
    csv = tmp_path / "marks.csv"
    (tmp_path / "empty.wav").write_bytes(b"")
    csv.write_text("path,judge,rhythm,sync,technique,expression,interpretation,overall\n"
                   f"empty.wav,a,50,,50,50,50,50\n{SAMPLES / 'music_violin.wav'},a,60,,60,60,60,60\n")
    summary = import_judges(csv, tmp_path / "venue")
    assert summary["imported"] == 1 and summary["failed"][0]["path"].endswith("empty.wav")


def test_a_sync_mark_on_music_does_not_reach_its_overall():
    from training.data.judges import Marks, labels_of

    marks = Marks(Path("take.wav"), "take", ["alice"],
                  {"rhythm": [80.0], "sync": [0.0], "technique": [80.0], "expression": [80.0], "interpretation": [80.0]})
    music, dance = labels_of(marks, "music"), labels_of(marks, "dance")
    assert math.isnan(music.subscores["sync"]) and music.overall == pytest.approx(80.0)
    assert dance.subscores["sync"] == 0.0 and dance.overall < 80.0


def test_a_mark_left_empty_is_left_out_of_the_overall_it_is_judged_against():
    from training.scorers.metrics import predicted_overall

    marks = np.array([[80, np.nan, np.nan, 80, 80]], np.float32)     # sync and technique left empty
    assert predicted_overall(marks, ["dance"])[0] == pytest.approx(80.0)
