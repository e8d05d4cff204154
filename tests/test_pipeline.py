"""The one pipeline (edge/pipeline.py): every caller gets the same measurements from the same media,
whether a file is read at once or replayed through the live path, and pose follows timestamps."""

from __future__ import annotations

import numpy as np
import pytest

from edge import PROJECT_ROOT
from edge.config import Settings
from edge.pipeline import FrameChooser, Take, analyze_source, score_source
from edge.scoring import score_file
from edge.sources import FileSource, open_source
from edge.sources.base import VideoFrame

DANCE = PROJECT_ROOT / "samples" / "dance_on_beat.mp4"
MUSIC = PROJECT_ROOT / "samples" / "music_violin.wav"
SETTINGS = Settings()


def _values(scored) -> dict:
    return {name: sub.value for name, sub in scored.rubric.subscores.items()} | {"overall": scored.rubric.overall}


@pytest.fixture(scope="module")
def dance_file():
    return score_file(DANCE, SETTINGS)


def test_frames_are_skipped_evenly_by_time_and_counted():
    frames = [VideoFrame(t=i / 30.0, index=i, image=np.zeros((2, 2, 3), np.uint8)) for i in range(90)]
    chooser = FrameChooser(fps=10)
    chosen = [f.index for f in frames if chooser.wants(f)]
    assert chosen == list(range(0, 90, 3))                          # 10 of every 30, every third
    chooser = FrameChooser(fps=30)
    assert sum(chooser.wants(f) for f in frames) == 90              # at the camera's rate: none skipped
    jittery = [VideoFrame(t=i / 25.0 + (0.004 if i % 2 else -0.004), index=i, image=frames[0].image)
               for i in range(1, 250)]
    chooser = FrameChooser(fps=12.5)
    gaps = np.diff([f.t for f in jittery if chooser.wants(f)])
    assert abs(len(gaps) - 123) <= 2 and gaps.max() < 0.09          # even, despite uneven timestamps
    assert FrameChooser(stride=2).wants(frames[2]) and not FrameChooser(stride=2).wants(frames[3])


def test_music_replayed_through_the_live_path_scores_as_the_file():
    with open_source(f"replay:{MUSIC}", SETTINGS, speed=4.0) as source:
        replayed = score_source(source, SETTINGS)
        assert source.dropped_audio == 0
    direct = score_file(MUSIC, SETTINGS)
    for name, value in _values(direct).items():
        other = _values(replayed)[name]
        assert (value is None) == (other is None), name
        if value is not None:
            assert abs(value - other) <= 1.0, (name, value, other)
    assert replayed.analysis.duration_s == pytest.approx(direct.analysis.duration_s)


def test_pose_at_10_and_30_fps_measure_sync_and_rhythm_alike(dance_file):
    with FileSource(DANCE, sample_rate=SETTINGS.audio.sample_rate) as source:
        slow = score_source(source, SETTINGS, pose_fps=10)
    assert len(slow.analysis.pose) == pytest.approx(len(dance_file.analysis.pose) / 3, abs=2)
    for name in ("sync", "rhythm"):
        assert abs(_values(slow)[name] - _values(dance_file)[name]) <= 5.0, name


def test_live_windows_while_the_take_runs_and_the_whole_take_at_the_end(dance_file):
    windows = []
    with FileSource(DANCE, sample_rate=SETTINGS.audio.sample_rate) as source:
        take = Take(source.info, SETTINGS, name=str(DANCE))
        for item in source:
            take.add(item)
            if take.media_s >= 4.0 * (len(windows) + 1):
                windows.append(take.live(4.0))
        analysis = take.finish(whole=True)
    assert len(windows) == 2
    for w in windows:
        assert w.discipline == "dance" and w.person_present is True
        assert w.subscores["sync"] is not None and w.beat_alignment is not None
        assert w.t_s == pytest.approx(4.0 * (windows.index(w) + 1), abs=0.1)
    assert take.counters.posed == take.counters.frames == len(analysis.pose) and take.counters.skipped == 0
    assert analysis.beat_alignment == pytest.approx(dance_file.analysis.beat_alignment)


def test_a_cut_short_file_is_a_typed_flag(tmp_path):
    cut = tmp_path / "cut.wav"
    data = MUSIC.read_bytes()
    cut.write_bytes(data[: len(data) // 2])                      # the header still declares all of it
    with FileSource(cut, sample_rate=SETTINGS.audio.sample_rate) as source:
        analysis = analyze_source(source, SETTINGS)
    assert analysis.cut_short is True
    with FileSource(MUSIC, sample_rate=SETTINGS.audio.sample_rate) as source:
        assert analyze_source(source, SETTINGS).cut_short is False
