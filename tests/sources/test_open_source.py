"""open_source: the spec grammar the CLI and the daemon share."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config import Settings
from edge.errors import MediaError
from edge.sources import FileSource, LiveSource, ReplaySource, open_source
from edge.sources.camera import CameraSource

from tests.conftest import ALSA_RATE
from .media import write_media


@pytest.fixture(scope="module")
def clip(make_media):
    return make_media("av_libx264_aac.mp4", video_codec="libx264", audio_codec="aac", clicks=(0.3,))


def settings(**capture) -> Settings:
    return Settings.model_validate({"capture": capture})


def test_a_path_is_a_file(clip):
    for spec in (clip, str(clip), f"file:{clip}"):
        with open_source(spec, settings(max_width=80)) as source:
            assert isinstance(source, FileSource)
            assert source.info.width == 80                          # capture.max_width applies
            assert source.info.sample_rate == Settings().audio.sample_rate


def test_file_prefix_for_names_that_look_like_another_kind(tmp_path, clip, monkeypatch):
    monkeypatch.chdir(tmp_path)
    odd = Path("mic:interview.mp4")
    odd.write_bytes(clip.read_bytes())
    with open_source("file:mic:interview.mp4") as source:
        assert isinstance(source, FileSource)
    with open_source("mic:interview.mp4") as source:           # an existing path always wins
        assert isinstance(source, FileSource)


def test_streams_can_be_left_out(clip):
    with open_source(clip, audio=False) as source:
        assert source.info.has_video and not source.info.has_audio


def test_replay(clip):
    with open_source(f"replay:{clip}", settings(queue_size=7), speed=3.0) as source:
        assert isinstance(source, ReplaySource)
        assert source.paced.speed == 3.0 and source._buffer.video_frames == 7
        assert source.info.has_video and source.info.has_audio and source.info.duration_s


def test_url_is_a_camera_with_the_configured_microphone_unless_disabled(http_root, alsa_microphone):
    root, base = http_root
    write_media(root / "spec.mp4", frames=3, audio_codec=None)
    url = f"{base}/spec.mp4"
    with open_source(url, settings(microphone=None)) as source:
        assert isinstance(source, LiveSource) and [type(s.current) for s in source.sources] == [CameraSource]
        # Alone, a stream keeps its own clock: frame i at i/30 s however fast it is read.
        assert [f.t for f in source] == pytest.approx([0, 1 / 30, 2 / 30], abs=1e-3)
    with open_source(url, settings(), microphone=False) as source:
        assert [type(s.current) for s in source.sources] == [CameraSource]
    pytest.importorskip("pyaudio")
    with open_source(url, settings(microphone={"device": "testmic", "sample_rate": ALSA_RATE})) as source:
        assert [type(s.current).__name__ for s in source.sources] == ["CameraSource", "MicrophoneSource"]
        assert source.info.has_video and source.info.has_audio
    with open_source(f"camera:{url}", settings(microphone=None)) as source:
        assert isinstance(source.sources[0].current, CameraSource)


def test_microphone_specs(alsa_microphone):
    pytest.importorskip("pyaudio")
    for spec in ("mic:testmic", "mic:TestMic", "mic:"):
        config = settings(microphone={"device": "testmic", "sample_rate": ALSA_RATE})
        with open_source(spec, config) as source:
            assert isinstance(source, LiveSource) and not source.info.has_video and source.info.has_audio
            assert source.info.name == "microphone 'testmic'"
    with pytest.raises(MediaError, match="no input device name contains 'nosuch'"):
        open_source("mic:nosuch", settings(microphone={"sample_rate": ALSA_RATE}))


@pytest.mark.parametrize("spec,message", [
    ("camera:63", r"^camera 63: cannot open camera index 63"),
    ("camera:/dev/video-none", r"^/dev/video-none: no such camera device"),
    ("cam:0", r"^cam:0: unknown source kind 'cam:'"),
    ("replay:", r"replay needs a file"),
    ("replay:/no/such.mp4", r"^/no/such.mp4: file not found"),
    ("/no/such.mp4", r"^/no/such.mp4: file not found"),
])
def test_bad_specs_are_clear_errors(spec, message):
    with pytest.raises(MediaError, match=message):
        open_source(spec, settings(microphone=None))


def test_camera_without_configuration():
    with pytest.raises(MediaError, match=r"no camera configured .* camera:0"):
        open_source("camera:", settings(camera=None, microphone=None))
