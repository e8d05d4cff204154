"""Recorded files through PyAV: video (mp4, mov, mkv, webm, avi) with or without audio, and audio-only files.

Video and audio are demuxed together and keep their presentation timestamps, so streams that
start at different times stay aligned. Audio is resampled by FFmpeg to mono float32 at the rate
the features want.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from ..errors import MediaError
from .base import AudioChunk, Item, Source, SourceInfo, VideoFrame

log = logging.getLogger(__name__)


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def _reason(exc: Exception) -> str:
    """FFmpeg's own words, without the path it repeats."""
    if isinstance(exc, av.error.FFmpegError):
        return (exc.strerror or str(exc)).rstrip(".").lower()
    return str(exc)


class FileSource(Source):
    def __init__(self, path: str | Path, *, sample_rate: int = 22050, video: bool = True,
                 audio: bool = True, max_width: int | None = None):
        self.path = Path(path)
        if not self.path.exists():
            raise MediaError(self.path, "file not found")
        if self.path.is_dir():
            raise MediaError(self.path, "is a folder, not a recording")
        if self.path.stat().st_size == 0:
            raise MediaError(self.path, "empty file (0 bytes)")
        try:
            self._container = av.open(str(self.path))
        except av.error.FFmpegError as exc:
            raise MediaError(self.path, f"not a recording FFmpeg can read ({_reason(exc)})") from None
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise MediaError(self.path, f"cannot open: {exc}") from None

        c = self._container
        self._video = c.streams.video[0] if (video and c.streams.video) else None
        self._audio = c.streams.audio[0] if (audio and c.streams.audio) else None
        if self._video is None and self._audio is None:
            has = "video" if c.streams.video else "audio" if c.streams.audio else "audio or video"
            self.close()
            raise MediaError(self.path, f"no {has} stream to read")
        if self._video is not None and self._video.codec_context is None:
            self._video = None

        self.sample_rate = sample_rate
        self.max_width = max_width
        starts = [s for s in (
            _seconds(self._video.start_time, self._video.time_base) if self._video else None,
            _seconds(self._audio.start_time, self._audio.time_base) if self._audio else None,
        ) if s is not None]
        # Zero of our timeline: the earliest stream start, so a late stream keeps its offset.
        self._t0 = min(starts) if starts else 0.0

        duration = _seconds(c.duration, Fraction(1, av.time_base))
        fps = None
        width = height = None
        if self._video is not None:
            rate = self._video.average_rate or self._video.guessed_rate or self._video.base_rate
            fps = float(rate) if rate else None
            width, height = self._video.codec_context.width, self._video.codec_context.height
        self.info = SourceInfo(
            name=str(self.path),
            has_video=self._video is not None,
            has_audio=self._audio is not None,
            fps=fps,
            width=width,
            height=height,
            sample_rate=sample_rate if self._audio is not None else None,
            duration_s=duration,
            video_start_s=self._start_of(self._video),
            audio_start_s=self._start_of(self._audio),
        )

    def _start_of(self, stream) -> float | None:
        if stream is None:
            return None
        start = _seconds(stream.start_time, stream.time_base)
        return (start - self._t0) if start is not None else 0.0

    def _rgb(self, frame: av.VideoFrame) -> np.ndarray:
        if self.max_width and frame.width > self.max_width:
            height = round(frame.height * self.max_width / frame.width / 2) * 2
            return frame.reformat(width=self.max_width, height=height, format="rgb24").to_ndarray()
        return frame.to_ndarray(format="rgb24")

    def __iter__(self) -> Iterator[Item]:
        streams = [s for s in (self._video, self._audio) if s is not None]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=self.sample_rate) if self._audio else None
        video_index = 0
        audio_emitted = 0          # samples handed out so far
        audio_start: float | None = None
        decoded_any = False
        last_t = 0.0
        try:
            for packet in self._container.demux(*streams):
                for frame in packet.decode():
                    decoded_any = True
                    if isinstance(frame, av.VideoFrame):
                        t = frame.time - self._t0 if frame.time is not None else (
                            video_index / (self.info.fps or 30.0))
                        last_t = max(last_t, t)
                        yield VideoFrame(t=t, index=video_index, image=self._rgb(frame))
                        video_index += 1
                    elif isinstance(frame, av.AudioFrame):
                        if audio_start is None:
                            audio_start = (frame.time - self._t0) if frame.time is not None else 0.0
                        for out in resampler.resample(frame):
                            chunk = self._chunk(out, audio_start, audio_emitted)
                            audio_emitted += chunk.samples.size
                            last_t = max(last_t, chunk.t)
                            yield chunk
            if resampler is not None and audio_start is not None:
                for out in resampler.resample(None):
                    chunk = self._chunk(out, audio_start, audio_emitted)
                    audio_emitted += chunk.samples.size
                    yield chunk
        except av.error.FFmpegError as exc:
            if not decoded_any:
                raise MediaError(self.path, f"cannot decode: {_reason(exc)}") from None
            # Keep what was read: a truncated recording still has measurable content.
            self.info.warnings.append(f"decoding stopped at {last_t:.2f} s: {_reason(exc)}; the rest is ignored")
        if not decoded_any:
            raise MediaError(self.path, "no frames or samples could be decoded (truncated or corrupt)")

    def _chunk(self, frame: av.AudioFrame, start: float, emitted: int) -> AudioChunk:
        # Time from the sample count, not per-frame pts: the resampler re-blocks frames.
        samples = frame.to_ndarray().reshape(-1).astype(np.float32, copy=False)
        return AudioChunk(t=start + emitted / self.sample_rate, samples=samples, sample_rate=self.sample_rate)

    def close(self) -> None:
        container = getattr(self, "_container", None)
        if container is not None:
            container.close()
            self._container = None
