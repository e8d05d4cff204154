"""Plain signals are exact; containers declare the stream starts we asked for and keep sync."""

from __future__ import annotations

import av
import numpy as np
import pytest

from edge.errors import PerfscoreError
from training.data.mux import stream_starts, write_audio, write_video
from training.data.signals import click_track, tone_at, tones_at_onsets

from .helpers import energy_onsets, f0_hz, match

SR = 44100


def test_click_track_clicks_start_on_the_beat_over_a_faint_floor():
    audio, beats = click_track(100, 6.0, SR, first_beat_s=0.3333, noise_db=-50, seed=1)
    assert beats == pytest.approx(0.3333 + 0.6 * np.arange(10))
    assert np.abs(match(beats, energy_onsets(audio, SR, floor_db=-40))).max() < 0.0015
    quiet = audio[int(0.1 * SR):int(0.3 * SR)]
    assert 20 * np.log10(np.sqrt(np.mean(quiet ** 2))) == pytest.approx(-50, abs=0.5)


def test_tone_at_a_cent_offset_has_that_frequency():
    assert f0_hz(tone_at(69, 25, 2.0, SR), SR, 400, 500) == pytest.approx(440 * 2 ** (25 / 1200), rel=2e-5)
    assert f0_hz(tone_at(57, -40, 2.0, SR, harmonics=(1, 0.5, 0.25)), SR, 200, 240) == \
        pytest.approx(220 * 2 ** (-40 / 1200), rel=2e-5)


def test_tones_start_at_their_onsets():
    onsets = np.array([0.25, 0.61, 0.9871, 1.5])
    audio = tones_at_onsets(onsets, [60, 64.5, 67, 72], 2.0, SR)
    assert np.abs(match(onsets, energy_onsets(audio, SR))).max() < 0.0015
    assert np.all(audio[: int(0.25 * SR)] == 0)


def _decoded_audio(path) -> tuple[np.ndarray, float]:
    """Mono samples at SR and the time (s) of the first decoded sample, as a reader sees them."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SR)
        chunks, first = [], None
        for frame in container.decode(stream):
            if first is None:
                first = float(frame.pts * frame.time_base) if frame.pts is not None else 0.0
            chunks += [f.to_ndarray().ravel() for f in resampler.resample(frame)]
        chunks += [f.to_ndarray().ravel() for f in resampler.resample(None)]
    return np.concatenate(chunks), first


@pytest.fixture(scope="module")
def clicks():
    return click_track(120, 3.0, SR, first_beat_s=0.5)


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (96, 128, 3), dtype=np.uint8) for _ in range(60)]


# Declared audio start for a stream asked to start at 0.5 s: AAC's 1024 priming samples are part
# of the stream in MP4/MOV (the first *heard* sample is still at 0.5 s); Matroska keeps ms.
DECLARED_START = {".mp4": 0.5 - 1024 / SR, ".mov": 0.5 - 1024 / SR, ".mkv": 0.5, ".webm": 0.5}


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv", ".webm", ".avi"])
@pytest.mark.parametrize("offset, start", [(0.0, 0.0), (0.25, 0.0), (0.0, 0.5)])
def test_containers_keep_sync_and_stream_starts(tmp_path, frames, clicks, suffix, offset, start):
    if start and suffix == ".avi":
        with pytest.raises(PerfscoreError, match="cannot start the audio stream later"):
            write_video(tmp_path / f"x{suffix}", frames, 30, audio=clicks[0], sample_rate=SR, audio_start_s=start)
        return
    path = write_video(tmp_path / f"x{suffix}", frames, 30, audio=clicks[0], sample_rate=SR,
                       audio_offset_s=offset, audio_start_s=start)
    starts = stream_starts(path)
    assert starts["video"] == 0.0
    assert starts["audio"] == pytest.approx(DECLARED_START.get(suffix, 0.0) if start else 0.0, abs=0.0011)
    audio, first = _decoded_audio(path)
    heard = first + energy_onsets(audio, SR, floor_db=-40)
    expected = clicks[1] + offset + start
    assert np.abs(match(expected, heard)).max() < 0.0015, (heard, expected)
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        times = [float(f.pts * f.time_base) for f in container.decode(video)]
    assert len(times) == 60 and times == pytest.approx(np.arange(60) / 30, abs=1e-3)


@pytest.mark.parametrize("suffix, codec", [(".wav", "pcm_s16le"), (".flac", "flac"), (".ogg", "opus"),
                                           (".mp3", "mp3"), (".m4a", "aac")])
def test_audio_only_formats_decode_to_the_same_clicks(tmp_path, clicks, suffix, codec):
    path = write_audio(tmp_path / f"clicks{suffix}", clicks[0], SR)
    with av.open(str(path)) as container:
        assert container.streams.audio[0].codec_context.name.startswith(codec[:3])
        assert not container.streams.video
    audio, first = _decoded_audio(path)
    found = energy_onsets(audio, SR, floor_db=-40)
    # Counted from the first decoded sample, every format is exact. (MP3 also declares a 25 ms
    # start_time for LAME's encoder delay that its decoder has already removed: readers that add
    # the declared start hear MP3 25 ms late. That is FFmpeg's behaviour, kept here as a known answer.)
    assert np.abs(match(clicks[1], found)).max() < 0.002
    assert first == pytest.approx(1105 / SR if suffix == ".mp3" else 0.0, abs=1e-4)


def test_unknown_container_is_refused(tmp_path, frames):
    with pytest.raises(PerfscoreError, match=r"cannot write video as '\.gif'"):
        write_video(tmp_path / "x.gif", frames, 30)
    with pytest.raises(PerfscoreError, match="no frames"):
        write_video(tmp_path / "x.mp4", [], 30)
