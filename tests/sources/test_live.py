"""LiveSource: capture threads, the drop-oldest buffer, one clock, errors and shutdown."""

from __future__ import annotations

import threading
import time

import pytest

from edge.config import Settings
from edge.errors import MediaError
from edge.sources import open_source
from edge.sources.base import AudioChunk, VideoFrame
from edge.sources.camera import CameraSource
from edge.sources.live import LiveSource
from edge.sources.replay import ReplaySource

from tests.conftest import ALSA_RATE
from .media import write_media


def capture_threads():
    """Capture threads still running (a thread stuck on the stalled test stream does not count)."""
    return [t for t in threading.enumerate() if t.name.startswith("capture:") and "stall/" not in t.name]


def test_slow_consumer_loses_oldest_frames_counted_while_capture_keeps_pace(make_media):
    path = make_media("two_seconds.mp4", seconds=2.0, clicks=(0.5, 1.5))
    source = ReplaySource(path, queue_size=4, sample_rate=22050)
    video, audio = [], []
    consumer_started = time.monotonic()
    with source:
        for item in source:
            if isinstance(item, VideoFrame):
                video.append(item)
                time.sleep(0.12)          # a consumer at ~8 fps behind a 30 fps source
            else:
                audio.append(item)
    consumer_took = time.monotonic() - consumer_started
    producer = source.stats[0]
    # The capture thread was never held up by the consumer: it finished at the clip's own pace...
    assert producer.finished_at - producer.started_at < 2.0 + 0.8
    assert producer.items == 60 + len(audio)
    # ...while the consumer needed longer than the clip: it saw fewer frames.
    assert consumer_took > producer.finished_at - producer.started_at
    assert source.dropped_video > 0
    # Every frame is either delivered or counted as dropped, and the oldest are the ones dropped:
    # what is delivered stays in order, newest last.
    assert len(video) + source.dropped_video == 60
    assert [f.index for f in video] == sorted({f.index for f in video}) and video[-1].index == 59
    # Audio has a seconds budget (5 s here) larger than the clip: none of it was dropped.
    assert source.dropped_audio == 0
    assert sum(c.samples.size for c in audio) / 22050 == pytest.approx(2.0, abs=0.06)


def test_audio_is_dropped_only_past_its_budget_and_capture_never_waits(alsa_microphone):
    pytest.importorskip("pyaudio")
    from edge.sources.microphone import MicrophoneSource

    # The ALSA test device is not paced: it delivers as fast as it is read, far faster than real time.
    mic = MicrophoneSource("testmic", sample_rate=ALSA_RATE, chunk_frames=1024)
    live = LiveSource([mic], queue_size=8, audio_buffer_s=0.5)
    live.start()
    time.sleep(0.3)                            # the consumer does not read at all meanwhile
    produced = live.stats[0].items
    _, waiting = live.queue_depth()
    live.close()
    assert produced > 100                      # ~2.3 s of sound in 0.3 s: capture kept reading
    assert waiting * 1024 / ALSA_RATE <= 0.5 + 1024 / ALSA_RATE
    assert live.dropped_audio >= produced - waiting - 1 > 0
    assert live.dropped_video == 0
    assert not capture_threads()


def test_camera_and_microphone_share_one_timeline(http_root, alsa_microphone):
    pytest.importorskip("pyaudio")
    root, base = http_root
    write_media(root / "live_clip.mp4", seconds=1.0, audio_codec=None)
    # Large buffers: the test microphone is not paced (it delivers seconds of sound per
    # millisecond), and this test is about timestamps, not drops.
    settings = Settings.model_validate({"capture": {"microphone": {"device": "testmic", "sample_rate": ALSA_RATE},
                                                    "queue_size": 1000, "audio_buffer_s": 60}})
    source = open_source(f"{base}/live_clip.mp4", settings)
    assert isinstance(source, LiveSource) and len(source.sources) == 2
    assert source.info.has_video and source.info.has_audio and source.info.sample_rate == settings.audio.sample_rate
    video, audio = [], []
    with source:
        for item in source:
            (video if isinstance(item, VideoFrame) else audio).append(item)
            if len(video) == 30:
                break
    assert [f.index for f in video] == list(range(30))
    assert audio and all(isinstance(c, AudioChunk) for c in audio)
    assert source.dropped_audio == 0 and source.dropped_video == 0
    for before, after in zip(audio, audio[1:]):
        assert after.t == pytest.approx(before.t + before.samples.size / before.sample_rate, abs=1e-6)
    # One origin for both devices: each starts just after capture started, not before.
    # (The test microphone is not paced, so its later chunks run ahead of the wall clock.)
    assert 0 <= video[0].t < 2 and 0 <= audio[0].t < 2
    camera_origin, mic_origin = (s.origin for s in source.sources)
    assert camera_origin == mic_origin is not None
    assert not capture_threads()


def test_a_failing_device_surfaces_as_media_error_after_what_it_captured(dropping_stream):
    source = LiveSource([CameraSource(dropping_stream)], queue_size=1000)
    frames = []
    with source, pytest.raises(MediaError, match="stopped delivering frames") as error:
        for item in source:
            frames.append(item)
    assert dropping_stream in str(error.value)
    assert len(frames) > 10
    assert source.stats[0].error and source.stats[0].finished_at is not None
    assert not capture_threads()


def test_a_stalled_device_is_an_error_not_a_hang(live_stream):
    # The stream goes silent with the connection open; OpenCV would wait 30 s for it.
    camera = CameraSource(f"{live_stream}/stall/cam.ts", timeout_s=30)
    source = LiveSource([camera], queue_size=1000, stall_timeout_s=1.0, join_timeout_s=0.5)
    frames = []
    started = time.monotonic()
    with pytest.raises(MediaError, match=r"nothing captured for 1 s: the device stalled") as error:
        for item in source:
            frames.append(item)
    source.close()
    assert time.monotonic() - started < 15
    assert len(frames) > 10 and "stall/cam.ts" in str(error.value)


def test_close_mid_capture_stops_and_joins_threads(make_media):
    path = make_media("two_seconds.mp4", seconds=2.0, clicks=(0.5, 1.5))
    source = ReplaySource(path)
    started = time.monotonic()
    for item in source:
        if item.t > 0.3:
            break
    source.close()
    assert time.monotonic() - started < 1.5     # it did not play to the end first
    assert not capture_threads()
    assert list(source) == []                    # closed: nothing more, no hang


def test_an_empty_list_of_sources_is_refused():
    with pytest.raises(ValueError):
        LiveSource([])
