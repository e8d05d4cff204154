"""ReplaySource: a file at real-time pace through the live machinery."""

from __future__ import annotations

import time

import pytest

from edge.errors import MediaError
from edge.sources.base import AudioChunk, VideoFrame
from edge.sources.file import FileSource
from edge.sources.replay import ReplaySource

from .media import first_click


@pytest.fixture(scope="module")
def clip(make_media):
    return make_media("two_seconds.mp4", seconds=2.0, clicks=(0.5, 1.5))


def timed_read(source):
    started = time.monotonic()
    with source:
        items = list(source)
    return items, time.monotonic() - started


def test_paced_at_real_time_and_in_timestamp_order(clip):
    items, took = timed_read(ReplaySource(clip, sample_rate=22050))
    assert took >= 1.8                       # 2 s of media cannot come out faster than 2 s
    times = [i.t for i in items]
    assert times == sorted(times)
    # Same content as reading the file directly, with the same media timestamps.
    with FileSource(clip, sample_rate=22050) as file:
        direct = list(file)
    assert len(items) == len(direct)
    assert sorted(i.t for i in direct) == pytest.approx(times, abs=1e-9)
    audio = [i for i in items if isinstance(i, AudioChunk)]
    assert first_click(audio) == pytest.approx(0.5, abs=0.005)
    assert sum(isinstance(i, VideoFrame) for i in items) == 60


def test_speed_factor_scales_the_pace(clip):
    items, took = timed_read(ReplaySource(clip, speed=4.0))
    assert 0.45 <= took < 1.8
    assert max(i.t for i in items) > 1.9      # media time is unchanged


def test_bad_file_fails_at_open(tmp_path):
    (tmp_path / "empty.mp4").touch()
    with pytest.raises(MediaError, match="empty file"):
        ReplaySource(tmp_path / "empty.mp4")


def test_speed_must_be_positive(clip):
    with pytest.raises(ValueError):
        ReplaySource(clip, speed=0)
