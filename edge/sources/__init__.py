"""Where frames and sound come from. `open_source(spec, settings)` is the one way in.

Spec grammar (the string a user types after `perfscore analyze` or puts in the daemon config):

    PATH                  a recorded file (mp4 mov mkv webm avi, wav flac ogg mp3 ...)  -> FileSource
    file:PATH             the same, for a path that would otherwise look like another kind
    replay:PATH           a file replayed at real-time pace through the live machinery -> ReplaySource
    camera:               the configured camera (capture.camera.device)                -> LiveSource
    camera:N              camera index N (/dev/videoN on Linux)
    camera:/dev/video0    a camera device path
    rtsp://… rtsps://… rtmp://… http://… https://…   a network camera or stream (also as camera:URL)
    mic:                  the configured microphone only (capture.microphone.device)   -> LiveSource
    mic:N | mic:NAME      microphone by PortAudio index, or by case-insensitive part of its name

A camera spec also records the configured microphone (same clock, one timeline) unless
`microphone=False` or `capture.microphone` is null. Live and replay sources run their devices in
capture threads with a bounded, drop-oldest buffer (`capture.queue_size` video frames,
`capture.audio_buffer_s` seconds of audio); see docs/sources.md.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import MediaError
from .base import AudioChunk, Item, Source, SourceInfo, VideoFrame
from .camera import URL_SCHEMES, CameraSource, is_url
from .file import FileSource
from .live import LiveSource
from .replay import ReplaySource
from .retry import Reopening

__all__ = [
    "AudioChunk", "CameraSource", "FileSource", "Item", "LiveSource", "MicrophoneSource",
    "Reopening", "ReplaySource", "Source", "SourceInfo", "VideoFrame", "open_source",
]

_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", re.S)


def __getattr__(name: str):
    # PyAudio is an optional extra: import the microphone module only when it is asked for.
    if name == "MicrophoneSource":
        from .microphone import MicrophoneSource
        return MicrophoneSource
    raise AttributeError(name)


def _settings(settings):
    if settings is None:
        from ..config import Settings
        return Settings()
    return settings


def open_source(spec: str | Path, settings=None, *, microphone: bool = True, video: bool = True,
                audio: bool = True, speed: float = 1.0) -> Source:
    """Open what `spec` names (grammar above). Raises MediaError with the spec and the reason.

    `video`/`audio` select streams of a file or replay; `microphone=False` leaves the microphone out
    of a camera spec; `speed` is the replay's pace (2.0 = twice real time).
    """
    settings = _settings(settings)
    text = str(spec)
    if isinstance(spec, Path) or Path(text).exists():
        return _file(text, settings, video, audio)
    if is_url(text):
        return _camera(text, settings, microphone and audio)
    match = _PREFIX.match(text)
    kind, rest = (match.group(1).lower(), match.group(2)) if match else (None, text)
    if kind == "file":
        return _file(rest, settings, video, audio)
    if kind == "replay":
        if not rest:
            raise MediaError(text, "replay needs a file: replay:PATH")
        capture = settings.capture
        return ReplaySource(rest, speed=speed, sample_rate=settings.audio.sample_rate, video=video, audio=audio,
                            max_width=capture.max_width, queue_size=capture.queue_size,
                            audio_buffer_s=capture.audio_buffer_s)
    if kind == "camera":
        return _camera(rest, settings, microphone and audio)
    if kind == "mic":
        return _live([_microphone(rest, settings)], settings)
    if kind is not None and len(kind) > 1 and kind not in URL_SCHEMES:
        raise MediaError(text, f"unknown source kind '{kind}:' and no such file; expected a file path, "
                               "file:PATH, replay:PATH, camera:[N|PATH], mic:[N|NAME] or an rtsp/http(s) URL")
    return _file(text, settings, video, audio)


def _file(path: str, settings, video: bool, audio: bool) -> FileSource:
    return FileSource(path, sample_rate=settings.audio.sample_rate, video=video, audio=audio,
                      max_width=settings.capture.max_width)


def _camera(device: str, settings, with_microphone: bool) -> LiveSource:
    config = settings.capture.camera
    if not device:
        if config is None:
            raise MediaError("camera:", "no camera configured (capture.camera is null); name one: camera:0")
        device = config.device
    with_microphone = with_microphone and settings.capture.microphone is not None
    # Alone, a stream keeps its own timestamps (immune to network bursts); beside a microphone both
    # need the shared capture clock.
    timestamps = "stream" if is_url(device) and not with_microphone else "clock"

    def open_camera(timeout_s: float = 10.0) -> CameraSource:
        return CameraSource(device, width=config.width if config else None,
                            height=config.height if config else None, fps=config.fps if config else None,
                            max_width=settings.capture.max_width, timestamps=timestamps, timeout_s=timeout_s,
                            read_timeout_s=config.read_timeout_s if config else None)

    # A camera that worked and went away (unplugged, stream dropped) is reopened with back-off; a short
    # open timeout keeps each attempt quick so capture resumes soon after it is back (edge/sources/retry.py).
    camera = Reopening(open_camera(), lambda: open_camera(timeout_s=2.0), **_backoff(settings))
    sources: list[Source] = [camera]
    if with_microphone:
        try:
            sources.append(_microphone("", settings))
        except BaseException:
            camera.close()
            raise
    return _live(sources, settings)


def _microphone(device: str, settings):
    from .microphone import MicrophoneSource

    config = settings.capture.microphone
    if config is None and not device:
        raise MediaError("mic:", "no microphone configured (capture.microphone is null); name one: mic:0")
    chosen = device or (config.device if config else None)

    def open_microphone():
        return MicrophoneSource(chosen, sample_rate=config.sample_rate if config else 44100,
                                chunk_frames=config.chunk_frames if config else 1024,
                                output_rate=settings.audio.sample_rate)

    return Reopening(open_microphone(), open_microphone, **_backoff(settings))


def _backoff(settings) -> dict:
    return {"min_s": settings.capture.reopen_min_s, "max_s": settings.capture.reopen_max_s}


def _live(sources: list[Source], settings) -> LiveSource:
    return LiveSource(sources, queue_size=settings.capture.queue_size,
                      audio_buffer_s=settings.capture.audio_buffer_s)
