"""FileSource on real recordings written by PyAV: every container and codec we claim, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from edge.errors import MediaError
from edge.sources.base import AudioChunk, VideoFrame
from edge.sources.file import FileSource

from .media import dominant_hz, first_click, frame_image, square_x

RATE = 22050


def read_all(path, **kwargs):
    with FileSource(path, sample_rate=RATE, **kwargs) as source:
        items = list(source)
    video = [i for i in items if isinstance(i, VideoFrame)]
    audio = [i for i in items if isinstance(i, AudioChunk)]
    return source.info, video, audio


def assert_contiguous(audio):
    """Each chunk starts where the previous one ended (no invented gaps or overlaps)."""
    for before, after in zip(audio, audio[1:]):
        assert after.t == pytest.approx(before.t + before.samples.size / before.sample_rate, abs=1e-6)


def assert_video_matches(video, fps=30, frames=30, size=(160, 120)):
    assert len(video) == frames
    assert [f.index for f in video] == list(range(frames))
    for frame in video:
        assert frame.image.dtype == np.uint8 and frame.image.shape == (size[1], size[0], 3)
        assert frame.t == pytest.approx(frame.index / fps, abs=2e-3)
        # The content is the frame that was written at that index: the square moved 4 px per frame.
        expected = square_x(frame_image(frame.index, *size))
        assert abs(square_x(frame.image) - expected) <= 2


def assert_audio_matches(audio, seconds=1.0, tone_hz=440.0):
    assert audio and all(c.samples.dtype == np.float32 and c.samples.ndim == 1 for c in audio)
    assert all(c.sample_rate == RATE for c in audio)
    samples = np.concatenate([c.samples for c in audio])
    # Lossy codecs pad a frame or two at the ends.
    assert samples.size / RATE == pytest.approx(seconds, abs=0.06)
    assert dominant_hz(samples, RATE) == pytest.approx(tone_hz, abs=5)
    assert_contiguous(audio)


# container, video codec, audio codec: what phones, cameras, browsers and old tools write.
AV_FORMATS = [
    ("mp4", "libx264", "aac"),
    ("mp4", "mpeg4", "libmp3lame"),
    ("mov", "libx264", "aac"),
    ("mkv", "libx264", "aac"),
    ("mkv", "libx264", "flac"),
    ("webm", "libvpx", "vorbis"),
    ("webm", "libvpx-vp9", "libopus"),
    ("avi", "mpeg4", "mp2"),
    ("avi", "mjpeg", "pcm_s16le"),
]


@pytest.mark.parametrize("ext,vcodec,acodec", AV_FORMATS, ids=lambda v: str(v))
def test_video_with_audio(make_media, ext, vcodec, acodec):
    path = make_media(f"av_{vcodec}_{acodec}.{ext}", video_codec=vcodec, audio_codec=acodec, clicks=(0.3,))
    info, video, audio = read_all(path)
    assert info.has_video and info.has_audio and not info.warnings
    assert (info.width, info.height, info.sample_rate) == (160, 120, RATE)
    assert info.fps == pytest.approx(30)
    assert_video_matches(video)
    assert_audio_matches(audio)
    # Same start, same timeline: the click written 0.3 s into the audio is heard at t = 0.3.
    # AVI cannot declare a lossy encoder's start-up delay (MP2: 481 samples), so there it comes 11 ms late.
    tolerance = 0.015 if (ext, acodec) == ("avi", "mp2") else 0.005
    assert first_click(audio) == pytest.approx(0.3, abs=tolerance)


@pytest.mark.parametrize("ext,vcodec", sorted({(e, v) for e, v, _ in AV_FORMATS}), ids=lambda v: str(v))
def test_video_without_audio(make_media, ext, vcodec):
    path = make_media(f"v_{vcodec}.{ext}", video_codec=vcodec, audio_codec=None)
    info, video, audio = read_all(path)
    assert info.has_video and not info.has_audio and info.sample_rate is None
    assert audio == []
    assert_video_matches(video)


@pytest.mark.parametrize("ext,acodec", [
    ("wav", "pcm_s16le"), ("flac", "flac"), ("ogg", "vorbis"), ("ogg", "libopus"), ("mp3", "libmp3lame"),
], ids=lambda v: str(v))
def test_audio_only(make_media, ext, acodec):
    path = make_media(f"a_{acodec}.{ext}", video_codec=None, audio_codec=acodec, clicks=(0.25,))
    info, video, audio = read_all(path)
    assert info.has_audio and not info.has_video and video == []
    assert not info.warnings
    assert_audio_matches(audio)
    assert first_click(audio) == pytest.approx(0.25, abs=0.005)


@pytest.mark.parametrize("ext,vcodec,acodec", [
    ("mp4", "libx264", "aac"), ("mov", "libx264", "aac"), ("mkv", "libx264", "aac"), ("webm", "libvpx-vp9", "libopus"),
], ids=lambda v: str(v))
def test_audio_starting_half_a_second_after_video(make_media, ext, vcodec, acodec):
    # The first audio packet really has pts = 0.5 s; a click at audio-time 0 must land at t = 0.5.
    path = make_media(f"late_audio_{vcodec}.{ext}", video_codec=vcodec, audio_codec=acodec,
                      audio_start=0.5, clicks=(0.0,), seconds=1.5)
    info, video, audio = read_all(path)
    assert video[0].t == pytest.approx(0.0, abs=1e-3) and info.video_start_s == pytest.approx(0.0, abs=1e-3)
    assert info.audio_start_s == pytest.approx(0.5, abs=0.03)   # AAC's priming frame starts 23 ms early
    assert audio[0].t >= 0.45
    assert first_click(audio) == pytest.approx(0.5, abs=0.005)
    assert_contiguous(audio)


@pytest.mark.parametrize("ext", ["mp4", "mkv"])
def test_video_starting_half_a_second_after_audio(make_media, ext):
    path = make_media(f"late_video.{ext}", video_start=0.5, clicks=(0.0,), seconds=1.5)
    info, video, audio = read_all(path)
    assert info.audio_start_s == pytest.approx(0.0, abs=1e-3)
    assert video[0].t == pytest.approx(0.5, abs=2e-3) and info.video_start_s == pytest.approx(0.5, abs=2e-3)
    assert first_click(audio) == pytest.approx(0.0, abs=0.005)


def test_timeline_zero_is_the_earliest_stream_start(make_media):
    path = make_media("both_late.mkv", video_start=1.0, audio_start=1.0, clicks=(0.2,))
    info, video, audio = read_all(path)
    assert video[0].t == pytest.approx(0.0, abs=2e-3)
    assert first_click(audio) == pytest.approx(0.2, abs=0.005)


@pytest.mark.parametrize("ext,acodec", [("mp3", "libmp3lame"), ("flac", "flac")])
def test_cover_art_is_not_a_video(make_media, ext, acodec):
    path = make_media(f"cover.{ext}", video_codec=None, audio_codec=acodec, cover_art=True, clicks=(0.25,))
    info, video, audio = read_all(path)
    assert not info.has_video and video == []
    assert_audio_matches(audio)


def test_stereo_is_mixed_to_mono(make_media):
    path = make_media("stereo.wav", video_codec=None, audio_codec="pcm_s16le", channels=2, sample_rate=48000)
    info, _, audio = read_all(path)
    assert info.sample_rate == RATE
    assert_audio_matches(audio)


def test_pure_silence_is_delivered_as_silence(make_media):
    # Deciding that silence is "not measurable" is the audio features' job; the source must not
    # invent or drop anything.
    path = make_media("silence.wav", video_codec=None, audio_codec="pcm_s16le", tone_hz=None)
    info, _, audio = read_all(path)
    samples = np.concatenate([c.samples for c in audio])
    assert samples.size == RATE and not samples.any() and not info.warnings


def test_one_frame_video(make_media):
    path = make_media("one_frame.mp4", frames=1, audio_codec=None)
    info, video, audio = read_all(path)
    assert len(video) == 1 and video[0].t == 0.0 and video[0].index == 0
    assert square_x(video[0].image) == square_x(frame_image(0, 160, 120))


def test_large_frames_are_scaled_to_max_width(make_media):
    path = make_media("wide.mp4", size=(320, 240), frames=3, audio_codec=None)
    info, video, _ = read_all(path, max_width=160)
    assert (info.width, info.height) == (160, 120)
    assert all(f.image.shape == (120, 160, 3) for f in video)


def test_streams_can_be_left_out(make_media):
    path = make_media("av_libx264_aac.mp4", video_codec="libx264", audio_codec="aac", clicks=(0.3,))
    info, video, audio = read_all(path, video=False)
    assert not info.has_video and video == [] and audio
    info, video, audio = read_all(path, audio=False)
    assert not info.has_audio and audio == [] and len(video) == 30


@pytest.mark.parametrize("single_thread", [True, False])
def test_codec_threads_give_the_same_frames(make_media, single_thread):
    path = make_media("av_libx264_aac.mp4", video_codec="libx264", audio_codec="aac", clicks=(0.3,))
    info, video, _ = read_all(path, decode_threads=1 if single_thread else 0)
    assert_video_matches(video)


# ---- damaged and wrong input ------------------------------------------------------------------

def cut(path, dest, fraction=0.5):
    data = path.read_bytes()
    dest.write_bytes(data[: int(len(data) * fraction)])
    return dest


@pytest.mark.parametrize("name,kwargs", [
    ("cut_faststart.mp4", {"options": {"movflags": "+faststart"}}),
    ("cut.mkv", {}),
    ("cut.webm", {"video_codec": "libvpx", "audio_codec": "vorbis"}),
    ("cut.wav", {"video_codec": None, "audio_codec": "pcm_s16le"}),
    ("cut.avi", {"video_codec": "mjpeg", "audio_codec": "pcm_s16le"}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_truncated_file_keeps_what_decoded_and_warns(make_media, tmp_path, name, kwargs):
    whole = make_media(f"whole_{name}", seconds=4.0, **kwargs)
    info, video, audio = read_all(cut(whole, tmp_path / name))
    assert any("cut short" in w for w in info.warnings), info.warnings
    kept = max([f.t for f in video] + [c.t for c in audio])
    assert 0.8 < kept < 3.5
    if video:
        assert [f.index for f in video] == list(range(len(video)))
        assert all(abs(square_x(f.image) - square_x(frame_image(f.index, 160, 120))) <= 2 for f in video)
    if audio:
        assert_contiguous(audio)


def test_unfinished_mp4_without_index_is_a_clear_error(make_media, tmp_path):
    # A camera that crashed mid-recording leaves an mp4 whose index (moov atom, written last) is missing.
    whole = make_media("whole_plain.mp4", seconds=2.0)
    path = cut(whole, tmp_path / "unfinished.mp4")
    with pytest.raises(MediaError, match="moov atom") as error:
        FileSource(path)
    assert str(path) in str(error.value)


def test_missing_file(tmp_path):
    with pytest.raises(MediaError, match="file not found") as error:
        FileSource(tmp_path / "nope.mp4")
    assert "nope.mp4" in str(error.value)


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.mp4").touch()
    with pytest.raises(MediaError, match=r"empty file \(0 bytes\)"):
        FileSource(tmp_path / "empty.mp4")


def test_text_file_named_mp4(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("These are my notes about the performance.\n" * 20)
    with pytest.raises(MediaError, match="a text file, not a recording") as error:
        FileSource(path)
    assert str(error.value).startswith(str(path))


def test_random_bytes_named_mp4(tmp_path):
    path = tmp_path / "noise.mp4"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(MediaError, match="not a recording FFmpeg can read"):
        FileSource(path)


def test_directory(tmp_path):
    with pytest.raises(MediaError, match="is a folder"):
        FileSource(tmp_path)


def test_asking_for_a_stream_the_file_lacks(make_media):
    path = make_media("v_libx264.mp4", video_codec="libx264", audio_codec=None)
    with pytest.raises(MediaError, match=r"no decodable audio stream \(it has video\)"):
        FileSource(path, video=False)


def test_reading_twice_is_refused_clearly(make_media):
    path = make_media("one_frame.mp4", frames=1, audio_codec=None)
    with FileSource(path) as source:
        list(source)
        with pytest.raises(MediaError, match="already read"):
            list(source)
