"""Recorded files through PyAV: video (mp4, mov, mkv, webm, avi) with or without audio, and audio-only files.

Video and audio are demuxed together and keep their presentation timestamps. Zero of the timeline
is the earliest first frame of any stream, so a video whose audio starts 0.5 s late yields its
first audio chunk at t = 0.5. The first frames are decoded when the file is opened (that is how the
true stream starts are known, and how an unreadable file fails at once rather than mid-analysis).

Audio is converted by FFmpeg to mono float32 at the rate the features want, in one step; a stream
that already has that format passes through untouched.

Damage is reported, not fatal: a truncated or corrupt file yields everything that decodes, and
`info.warnings` says what was skipped or where reading stopped.
"""

from __future__ import annotations

from collections import deque
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from ..config.features import AudioConfig
from ..errors import MediaError
from .base import AudioChunk, Item, Source, SourceInfo, VideoFrame, scaled_size
from .ffmpeg import open_failure, reason

# The rate the audio features analyse at, unless the caller passes settings.audio.sample_rate.
DEFAULT_SAMPLE_RATE = AudioConfig.model_fields["sample_rate"].default

# Decoding starts by reading until every stream has shown its first frame, but never buffers more
# than this much media doing so (a stream that starts later than this cannot be the earliest one).
_PRIME_SPAN_S = 2.0
# Damaged packets are skipped one by one; this many in a row means the rest is not worth trying.
_MAX_BAD_PACKETS_IN_A_ROW = 50
# Audio pts that disagree with the running sample count by more than this are a real gap.
_AUDIO_GAP_S = 0.02
# A file that ends this much earlier than its header says is reported as cut short.
_SHORT_BY_S = 0.5
_SHORT_BY_FRACTION = 0.05


def _is_picture(stream: av.stream.Stream) -> bool:
    """Cover art in mp3/flac/m4a shows up as a one-frame video stream; it is not a performance."""
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _riff_shortfall(path: Path) -> int:
    """Bytes missing from a WAV/AVI whose RIFF header declares more than the file holds.

    FFmpeg sizes such files by what is on disk, so this is the only trace of a cut-off tail.
    Writers that stream put 0 or 0xFFFFFFFF in the header; those say nothing.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
        actual = path.stat().st_size
    except OSError:
        return 0
    if len(head) < 12 or head[:4] != b"RIFF":
        return 0
    declared = int.from_bytes(head[4:8], "little") + 8
    if declared <= 8 or declared >= 0xFFFFFFFF:
        return 0
    return max(0, declared - actual)


def _configure_threads(stream: av.video.stream.VideoStream, threads: int) -> None:
    """1 (the default) is the least CPU per frame and leaves the cores to pose; threads add a little CPU
    and only lower wall time when a core is idle (bench/results/decode.json)."""
    ctx = stream.codec_context
    if threads == 1:
        ctx.thread_type = "NONE"
        ctx.thread_count = 1
    else:
        # Frame threading is what helps H.264/VP9 from cameras (they rarely have several slices).
        ctx.thread_type = "AUTO"
        ctx.thread_count = threads  # 0 = one per core, FFmpeg's choice


class FileSource(Source):
    """One recording on disk. Raises `MediaError` at once if it cannot be read at all."""

    def __init__(self, path: str | Path, *, sample_rate: int = DEFAULT_SAMPLE_RATE, video: bool = True,
                 audio: bool = True, max_width: int | None = None, decode_threads: int = 1):
        self.path = Path(path)
        self.sample_rate = sample_rate
        self.max_width = max_width
        self._container = None
        self._check_path()
        try:
            # Absolute, so FFmpeg never reads "name:rest" as a protocol.
            self._container = av.open(str(self.path.absolute()), metadata_errors="ignore")
        except av.error.FFmpegError as exc:
            raise MediaError(self.path, open_failure(self.path, exc)) from None
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise MediaError(self.path, f"cannot open: {exc}") from None

        self._warnings: list[str] = []
        self._cut_short = False      # reading stopped early (info.cut_short once reading ends)
        try:
            self._video, self._audio = self._pick_streams(video, audio)
            if self._video is not None:
                _configure_threads(self._video, decode_threads)
            self._frames = self._decode_frames()
            self._pending: deque = deque()
            self._last_end = 0.0     # end of the latest item handed out, for truncation checks
            first = self._prime()
        except BaseException:
            self.close()
            raise
        if not first:
            self.close()
            why = "; ".join(self._warnings) or "no packets"
            raise MediaError(self.path, f"nothing could be decoded ({why})")

        # Zero of our timeline: the earliest stream start, so a late stream keeps its offset.
        self._t0 = min(first.values())
        self._resampler: av.AudioResampler | None = None
        self._audio_anchor: float | None = None
        self._audio_emitted = 0
        self._audio_gaps = 0
        self._reformatter = VideoReformatter()
        self._video_index = 0
        self._last_video_t: float | None = None
        self._started = False
        self.info = self._describe(first)

    # ---- opening ---------------------------------------------------------------------------

    def _check_path(self) -> None:
        if not self.path.exists():
            raise MediaError(self.path, "file not found")
        if self.path.is_dir():
            raise MediaError(self.path, "is a folder, not a recording")
        if not self.path.is_file():
            raise MediaError(self.path, "not a regular file")
        if self.path.stat().st_size == 0:
            raise MediaError(self.path, "empty file (0 bytes)")

    def _pick_streams(self, video: bool, audio: bool):
        c = self._container
        videos = [s for s in c.streams.video if not _is_picture(s)]
        audios = list(c.streams.audio)
        if not videos and not audios:
            raise MediaError(self.path, "has no audio or video stream")
        chosen = []
        for wanted, streams, kind in ((video, videos, "video"), (audio, audios, "audio")):
            stream = streams[0] if (wanted and streams) else None
            if stream is not None and stream.codec_context is None:
                self._warnings.append(f"{kind} stream ignored: codec '{stream.codec_tag or '?'}' "
                                      "is not one this FFmpeg can decode")
                stream = None
            chosen.append(stream)
        if chosen == [None, None]:
            wanted = " or ".join(k for k, w in (("video", video), ("audio", audio)) if w) or "selected"
            present = " and ".join(k for k, s in (("video", videos), ("audio", audios)) if s)
            why = f"; {'; '.join(self._warnings)}" if self._warnings else ""
            raise MediaError(self.path, f"no decodable {wanted} stream (it has {present}){why}")
        return chosen[0], chosen[1]

    def _prime(self) -> dict[str, float]:
        """Decode until each stream has a first timestamp; keep those frames for iteration."""
        wanted = {s.type for s in (self._video, self._audio) if s is not None}
        first: dict[str, float] = {}
        for frame in self._frames:
            self._pending.append(frame)
            kind = "video" if isinstance(frame, av.VideoFrame) else "audio"
            if kind not in first:
                first[kind] = frame.time if frame.time is not None else 0.0
            latest = frame.time if frame.time is not None else 0.0
            if first.keys() >= wanted or latest - min(first.values()) > _PRIME_SPAN_S:
                break
        return first

    def _describe(self, first: dict[str, float]) -> SourceInfo:
        c = self._container
        fps = width = height = None
        if self._video is not None:
            rate = self._video.average_rate or self._video.guessed_rate or self._video.base_rate
            fps = float(rate) if rate else None
            width, height = self._video.codec_context.width, self._video.codec_context.height
            if width and height:
                width, height = scaled_size(width, height, self.max_width)
        duration = float(c.duration * Fraction(1, av.time_base)) if c.duration else None
        return SourceInfo(
            name=str(self.path),
            has_video=self._video is not None,
            has_audio=self._audio is not None,
            fps=fps,
            width=width,
            height=height,
            sample_rate=self.sample_rate if self._audio is not None else None,
            duration_s=duration,
            video_start_s=first["video"] - self._t0 if "video" in first else None,
            audio_start_s=first["audio"] - self._t0 if "audio" in first else None,
            warnings=self._warnings,
        )

    # ---- decoding --------------------------------------------------------------------------

    def _decode_frames(self) -> Iterator[av.VideoFrame | av.AudioFrame]:
        """Raw decoded frames in demux order; damaged packets are skipped and counted."""
        streams = [s for s in (self._video, self._audio) if s is not None]
        packets = self._container.demux(*streams)
        bad = bad_in_a_row = 0
        first_bad = ""
        cut_short = False
        while self._container is not None:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:
                self._warnings.append(f"reading stopped: {reason(exc)}; everything before it was kept")
                cut_short = self._cut_short = True
                break
            if packet.is_corrupt:
                # Cut mid-packet (the demuxer read less than it should): half a picture is worse than none.
                bad += 1
                first_bad = first_bad or "incomplete packet"
                continue
            try:
                frames = packet.decode()
            except av.error.FFmpegError as exc:
                bad += 1
                bad_in_a_row += 1
                first_bad = first_bad or reason(exc)
                if bad_in_a_row >= _MAX_BAD_PACKETS_IN_A_ROW:
                    self._warnings.append(f"gave up after {bad_in_a_row} damaged packets in a row")
                    cut_short = self._cut_short = True
                    break
                continue
            bad_in_a_row = 0
            yield from frames
        if cut_short and self._container is not None:
            # The demuxer never sent its end-of-stream packets: drain frames the decoders still hold.
            for stream in streams:
                try:
                    yield from stream.codec_context.decode(None)
                except (av.error.FFmpegError, ValueError):
                    pass
        if bad:
            self._warnings.append(f"{bad} damaged packet(s) skipped (first: {first_bad})")

    def __iter__(self) -> Iterator[Item]:
        if self._started:
            raise MediaError(self.path, "already read; open it again to read it twice")
        if self._container is None:
            raise MediaError(self.path, "closed")
        self._started = True
        for frame in self._all_frames():
            if isinstance(frame, av.VideoFrame):
                yield self._video_item(frame)
            else:
                yield from self._audio_items(frame)
        if self._resampler is not None:
            yield from self._resampled(None)
        self._check_complete()

    def _all_frames(self):
        while self._pending:
            yield self._pending.popleft()
        yield from self._frames

    def _video_item(self, frame: av.VideoFrame) -> VideoFrame:
        if frame.time is not None:
            t = frame.time - self._t0
        else:
            step = 1.0 / (self.info.fps or 30.0)
            t = 0.0 if self._last_video_t is None else self._last_video_t + step
        self._last_video_t = t
        item = VideoFrame(t=t, index=self._video_index, image=self._rgb(frame))
        self._video_index += 1
        self._last_end = max(self._last_end, t + 1.0 / (self.info.fps or 30.0))
        return item

    def _rgb(self, frame: av.VideoFrame) -> np.ndarray:
        # One converter for the whole file: frame.to_ndarray(format=...) sets up a new swscale context
        # for every frame, which costs more than the conversion itself (bench/decode.py).
        width = height = None       # None: no scaling at all
        if self.max_width and frame.width > self.max_width:
            width, height = scaled_size(frame.width, frame.height, self.max_width)
        return self._reformatter.reformat(frame, width=width, height=height, format="rgb24").to_ndarray()

    def _audio_items(self, frame: av.AudioFrame) -> Iterator[AudioChunk]:
        if self._resampler is None:
            self._resampler = av.AudioResampler(format="flt", layout="mono", rate=self.sample_rate)
        try:
            yield from self._resampled(frame)
        except ValueError:
            # The stream changed rate or layout mid-way: finish the old converter, start a new one.
            yield from self._resampled(None)
            self._resampler = av.AudioResampler(format="flt", layout="mono", rate=self.sample_rate)
            yield from self._resampled(frame)

    def _resampled(self, frame: av.AudioFrame | None) -> Iterator[AudioChunk]:
        for out in self._resampler.resample(frame):
            samples = out.to_ndarray().reshape(-1)
            if samples.size:
                yield AudioChunk(t=self._audio_time(out), samples=samples, sample_rate=self.sample_rate)

    def _audio_time(self, out: av.AudioFrame) -> float:
        """Time of the chunk's first sample: a running sample count, re-anchored only at real gaps.

        Counting samples keeps chunks contiguous (container timestamps are often rounded to 1 ms);
        the pts still wins when it disagrees by more than a rounding error, so a gap stays a gap.
        """
        stamped = out.time - self._t0 if out.time is not None else None
        if self._audio_anchor is None:
            self._audio_anchor = stamped if stamped is not None else 0.0
        else:
            counted = self._audio_anchor + self._audio_emitted / self.sample_rate
            if stamped is not None and abs(stamped - counted) > _AUDIO_GAP_S:
                self._audio_gaps += 1
                self._audio_anchor, self._audio_emitted = stamped, 0
        t = self._audio_anchor + self._audio_emitted / self.sample_rate
        self._audio_emitted += out.samples
        self._last_end = max(self._last_end, t + out.samples / self.sample_rate)
        return t

    def _check_complete(self) -> None:
        self.info.cut_short = self._cut_short
        if self._audio_gaps:
            self._warnings.append(f"audio timestamps jump {self._audio_gaps} time(s) (gaps in the recording); "
                                  "audio after each gap keeps its own timestamps")
        declared = self.info.duration_s
        if declared and declared - self._last_end > max(_SHORT_BY_S, _SHORT_BY_FRACTION * declared):
            self._warnings.append(f"ended at {self._last_end:.2f} s although the file declares {declared:.2f} s: "
                                  "it looks cut short; everything up to there was kept")
            self.info.cut_short = True
        elif missing := _riff_shortfall(self.path):
            self._warnings.append(f"its header declares {missing} bytes more than the file holds: it looks cut "
                                  f"short at {self._last_end:.2f} s; everything up to there was kept")
            self.info.cut_short = True

    def close(self) -> None:
        container, self._container = self._container, None
        if container is not None:
            container.close()
