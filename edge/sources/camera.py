"""A live camera through OpenCV: an index (/dev/videoN), a device path, or an RTSP/HTTP URL.

Timestamps (`timestamps=`):
- "clock" (default, and what a camera combined with a microphone uses): seconds on the session's
  monotonic capture clock (see `CaptureClock`). For V4L2 devices the driver's buffer timestamp is
  used when it is on that same clock (UVC drivers stamp CLOCK_MONOTONIC when the frame arrives),
  which removes the read latency; otherwise the time the frame was handed to us.
- "stream": the backend's own position (CAP_PROP_POS_MSEC) relative to the first frame. Meaningful
  for a recording served over HTTP/RTSP, where network bursts must not squeeze the timeline;
  frames whose position does not advance get the previous time plus one frame period.

A device that stops delivering frames raises `MediaError`; a URL whose backend declared a frame
count (a file served over HTTP) simply ends.
"""

from __future__ import annotations

import glob
import os
import sys
import time
from contextlib import contextmanager
from typing import Iterator, Literal

import cv2
import numpy as np

from ..errors import MediaError
from .base import Item, Source, SourceInfo, VideoFrame, scaled_size
from .device import CaptureClock, ReleaseGuard, SharedClockDevice, parse_device, redact

URL_SCHEMES = ("rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt")
_DEVICE_STAMP_MAX_AGE_S = 1.0   # a V4L2 buffer timestamp older than this is not on our clock


def is_url(device: object) -> bool:
    return isinstance(device, str) and device.split("://", 1)[0].lower() in URL_SCHEMES and "://" in device


def device_name(device: int | str) -> str:
    if isinstance(device, int):
        return f"camera {device}"
    return redact(device) if is_url(device) else device


def _present_cameras() -> str:
    found = sorted(glob.glob("/dev/video*"))
    return ", ".join(found) if found else "none found"


@contextmanager
def _quiet_opencv():
    """OpenCV prints a WARN line per backend it tries; our MediaError says it better."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)


class CameraSource(SharedClockDevice, Source):
    def __init__(self, device: int | str = 0, *, width: int | None = None, height: int | None = None,
                 fps: float | None = None, max_width: int | None = None,
                 timestamps: Literal["clock", "stream"] = "clock", origin: float | None = None,
                 timeout_s: float = 10.0, read_timeout_s: float | None = None):
        self.device = parse_device(device)
        self.name = device_name(self.device)
        self.max_width = max_width
        self.timestamps = timestamps
        self._clock = CaptureClock(origin)
        self._is_url = is_url(self.device)
        self._v4l2 = False
        self._cap = self._open(timeout_s, read_timeout_s or timeout_s)
        if not self._is_url:
            self._request(width, height, fps)
        self._guard = ReleaseGuard(self._cap.release)
        got_w = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)) or None
        got_h = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) or None
        got_fps = self._cap.get(cv2.CAP_PROP_FPS)
        self._fps = got_fps if got_fps and got_fps > 0 else (fps or 30.0)
        # A recording served over a URL declares its length; a live stream does not.
        self._declared_frames = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) if self._is_url else 0
        self.info = SourceInfo(name=self.name, has_video=True, has_audio=False, fps=self._fps,
                               width=got_w, height=got_h)
        if not self._is_url and got_w and got_h and width and height and (got_w, got_h) != (width, height):
            self.info.warnings.append(f"asked for {width}×{height}, the camera gives {got_w}×{got_h}")
        if got_w and got_h:
            self.info.width, self.info.height = scaled_size(got_w, got_h, self.max_width)

    def _open(self, timeout_s: float, read_timeout_s: float) -> cv2.VideoCapture:
        device = self.device
        # FFmpeg's HTTP layer retries a dropped stream inside read(): only the read timeout ends that.
        timeouts = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(timeout_s * 1000),
                    cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(read_timeout_s * 1000)]
        if isinstance(device, str) and not self._is_url:
            if not device:
                raise MediaError("camera", "no device given")
            if not os.path.exists(device):
                raise MediaError(device, f"no such camera device (cameras present: {_present_cameras()})")
        with _quiet_opencv():
            if self._is_url:
                cap = cv2.VideoCapture(device, cv2.CAP_FFMPEG, timeouts)
            elif sys.platform.startswith("linux"):
                cap = cv2.VideoCapture(device, cv2.CAP_V4L2)
                self._v4l2 = True
            else:
                cap = cv2.VideoCapture(device)
        if not cap.isOpened():
            cap.release()
            if self._is_url:
                raise MediaError(self.name, f"cannot open the stream (unreachable, refused, or not a video; "
                                            f"waited up to {timeout_s:g} s)")
            if isinstance(device, int):
                raise MediaError(self.name, f"cannot open camera index {device} "
                                            f"(cameras present: {_present_cameras()})")
            raise MediaError(self.name, "cannot open it as a camera (busy, no permission, or not a video device)")
        return cap

    def _request(self, width: int | None, height: int | None, fps: float | None) -> None:
        if width:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps:
            self._cap.set(cv2.CAP_PROP_FPS, fps)

    def __iter__(self) -> Iterator[Item]:
        index = 0
        first_pos: float | None = None
        last_t: float | None = None
        while self._guard.begin_read():
            try:
                ok, bgr = self._cap.read()
            finally:
                still_open = self._guard.end_read()
            handed_at = self._clock.now()
            if not still_open:
                return
            if not ok:
                self._finish(index)
                return
            if self.timestamps == "stream":
                pos = self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                first_pos = pos if first_pos is None else first_pos
                t = pos - first_pos
                if last_t is not None and t <= last_t:
                    t = last_t + 1.0 / self._fps
            else:
                t = self._device_time(handed_at)
            last_t = t
            yield VideoFrame(t=t, index=index, image=self._rgb(bgr))
            index += 1

    def _device_time(self, handed_at: float) -> float:
        """The V4L2 buffer timestamp when it is on our monotonic clock, else when read() returned."""
        if self._v4l2:
            stamp = self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            age = (time.monotonic() - stamp) if stamp > 0 else -1.0
            if 0.0 <= age <= _DEVICE_STAMP_MAX_AGE_S:
                return stamp - self._clock.origin
        return handed_at

    def _finish(self, frames: int) -> None:
        if frames == 0:
            raise MediaError(self.name, "opened, but delivered no frame")
        if self._is_url and self._declared_frames > 0:
            return  # a recording served over a URL has ended
        raise MediaError(self.name, f"stopped delivering frames after {frames} "
                                    "(unplugged, stream dropped, or read timeout)")

    def _rgb(self, bgr: np.ndarray) -> np.ndarray:
        height, width = bgr.shape[:2]
        if self.max_width and width > self.max_width:
            bgr = cv2.resize(bgr, scaled_size(width, height, self.max_width), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        guard = getattr(self, "_guard", None)
        if guard is not None:
            guard.close()
