"""Write frames and audio into real containers with PyAV (FFmpeg bundled in the av wheel).

Two different kinds of audio/video offset, because measurement code must handle both:
- `audio_offset_s` moves the sound against the picture inside the audio stream (silence is
  added in front, or the start is cut): both streams still start at 0.
- `audio_start_s` starts the audio *stream* later (its first timestamp), with no padding: a
  player or FileSource must honour stream start times to keep sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable

import numpy as np

from edge.errors import PerfscoreError


@dataclass(frozen=True)
class Codecs:
    video: str
    audio: str
    pixel_format: str = "yuv420p"
    audio_rate: int | None = None        # None: keep the input rate


# What each container gets by default; every encoder here is in PyAV 18.1's bundled FFmpeg.
VIDEO_CONTAINERS = {
    ".mp4": Codecs("libx264", "aac"),
    ".mov": Codecs("libx264", "aac"),
    ".mkv": Codecs("libx264", "flac"),
    ".webm": Codecs("libvpx-vp9", "libopus", audio_rate=48000),
    # AVI has no way to declare an encoder delay: MP3 in AVI plays 25 ms late, PCM does not.
    ".avi": Codecs("mpeg4", "pcm_s16le"),
}
# Containers that cannot start one stream later than another.
_NO_STREAM_START = {".avi"}
AUDIO_CONTAINERS = {
    ".wav": Codecs("", "pcm_s16le"),
    ".flac": Codecs("", "flac"),
    ".ogg": Codecs("", "libopus", audio_rate=48000),
    ".mp3": Codecs("", "libmp3lame"),
    ".m4a": Codecs("", "aac"),
}


def _codecs_for(path: Path, table: dict[str, Codecs], what: str) -> Codecs:
    try:
        return table[path.suffix.lower()]
    except KeyError:
        raise PerfscoreError(f"{path}: cannot write {what} as {path.suffix or 'no extension'!r}; "
                             f"use one of {', '.join(table)}") from None


def _shift(samples: np.ndarray, offset_s: float, sample_rate: int) -> np.ndarray:
    """Positive offset: the sound comes later (silence in front); negative: its start is cut."""
    n = int(round(abs(offset_s) * sample_rate))
    if offset_s > 0:
        return np.concatenate([np.zeros(n, dtype=np.float32), samples])
    return samples[n:]


def _encode_audio(container, stream, samples: np.ndarray, sample_rate: int, start_s: float) -> None:
    import av

    rate = stream.codec_context.sample_rate
    resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=rate)
    first = int(round(start_s * rate))
    written = 0
    block = 4096
    mono = np.ascontiguousarray(samples, dtype=np.float32)
    frames_in = [mono[i:i + block] for i in range(0, mono.size, block)] + [None]
    for chunk in frames_in:
        if chunk is None:
            converted = resampler.resample(None)
        else:
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
            frame.sample_rate = sample_rate
            converted = resampler.resample(frame)
        for out in converted:
            # Timestamps from our own sample count: the stream starts exactly at start_s.
            out.pts = first + written
            out.time_base = Fraction(1, rate)
            written += out.samples
            container.mux(stream.encode(out))
    container.mux(stream.encode(None))


def write_video(path: str | Path, frames: Iterable[np.ndarray], fps: float, *, audio: np.ndarray | None = None,
                sample_rate: int = 44100, audio_offset_s: float = 0.0, audio_start_s: float = 0.0,
                codecs: Codecs | None = None, crf: int = 23, preset: str = "veryfast",
                audio_bitrate: int = 128_000) -> Path:
    """RGB uint8 frames (+ mono float audio) -> a video file whose container follows the suffix."""
    import av

    path = Path(path)
    codecs = codecs or _codecs_for(path, VIDEO_CONTAINERS, "video")
    if audio_start_s < 0:
        raise PerfscoreError(f"{path}: audio_start_s must be >= 0 (start the video later instead)")
    if audio_start_s and path.suffix.lower() in _NO_STREAM_START:
        raise PerfscoreError(f"{path}: {path.suffix} cannot start the audio stream later; use audio_offset_s or mp4/mov/mkv/webm")
    rate = Fraction(fps).limit_denominator(1001)
    iterator = iter(frames)
    try:
        first = next(iterator)
    except StopIteration:
        raise PerfscoreError(f"{path}: no frames to write") from None
    height, width = first.shape[:2]
    if width % 2 or height % 2:
        raise PerfscoreError(f"{path}: frame size {width}x{height} must be even for {codecs.pixel_format}")

    options = {}
    if audio is not None and path.suffix.lower() in (".mp4", ".mov"):
        # Edit lists (how MP4 says "this stream starts later") count in the movie timescale, 1 ms by
        # default; in audio samples a late audio stream starts exactly where asked.
        options["movie_timescale"] = str(codecs.audio_rate or sample_rate)
    container = av.open(str(path), mode="w", options=options)
    try:
        video = container.add_stream(codecs.video, rate=rate)
        video.width, video.height, video.pix_fmt = width, height, codecs.pixel_format
        video.time_base = Fraction(1, 1) / rate
        if codecs.video == "libx264":
            # Deterministic output: one thread, no timing-dependent decisions.
            video.options = {"crf": str(crf), "preset": preset, "threads": "1"}
        elif codecs.video == "libvpx-vp9":
            video.options = {"crf": str(crf + 8), "b": "0", "deadline": "good", "cpu-used": "4", "threads": "1"}
        else:
            video.options = {"qscale": "4"}
        audio_stream = None
        if audio is not None:
            out_rate = codecs.audio_rate or sample_rate
            audio_stream = container.add_stream(codecs.audio, rate=out_rate, layout="mono")
            if codecs.audio in ("aac", "libmp3lame", "libopus"):
                audio_stream.bit_rate = audio_bitrate
            audio_stream.time_base = Fraction(1, out_rate)

        index = 0
        for image in _chain(first, iterator):
            if image.shape[:2] != (height, width):
                raise PerfscoreError(f"{path}: frame {index} is {image.shape[1]}x{image.shape[0]}, not {width}x{height}")
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[..., :3], dtype=np.uint8), format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
            index += 1
        container.mux(video.encode(None))
        if audio_stream is not None:
            _encode_audio(container, audio_stream, _shift(np.asarray(audio, np.float32), audio_offset_s, sample_rate),
                          sample_rate, audio_start_s)
    finally:
        container.close()
    return path


def _chain(first, rest):
    yield first
    yield from rest


def write_audio(path: str | Path, samples: np.ndarray, sample_rate: int, *, codecs: Codecs | None = None,
                bitrate: int = 128_000) -> Path:
    """Mono float audio -> an audio-only file (wav, flac, ogg/opus, mp3, m4a/aac) by suffix."""
    import av

    path = Path(path)
    codecs = codecs or _codecs_for(path, AUDIO_CONTAINERS, "audio")
    out_rate = codecs.audio_rate or sample_rate
    container = av.open(str(path), mode="w")
    try:
        stream = container.add_stream(codecs.audio, rate=out_rate, layout="mono")
        if codecs.audio in ("aac", "libmp3lame", "libopus"):
            stream.bit_rate = bitrate
        stream.time_base = Fraction(1, out_rate)
        _encode_audio(container, stream, np.asarray(samples, np.float32), sample_rate, 0.0)
    finally:
        container.close()
    return path


def stream_starts(path: str | Path) -> dict[str, float | None]:
    """Start time (s) of the first video and audio streams as the container declares them."""
    import av

    with av.open(str(path)) as container:
        starts = {}
        for kind in ("video", "audio"):
            streams = getattr(container.streams, kind)
            if streams and streams[0].start_time is not None:
                starts[kind] = float(streams[0].start_time * streams[0].time_base)
            else:
                starts[kind] = None
        return starts
