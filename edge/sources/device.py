"""What camera and microphone sources share: a capture clock and safe release across threads."""

from __future__ import annotations

import re
import threading
import time
from typing import Callable


def redact(url: str) -> str:
    """`rtsp://user:secret@host/x` → `rtsp://user:***@host/x`: device names end up in logs and MQTT."""
    return re.sub(r"(://[^/:@]+:)[^/@]+@", r"\1***@", url)


def parse_device(device: int | str | None) -> int | str | None:
    """A device given as text: '0' → index 0; names, paths and URLs stay strings."""
    if isinstance(device, str) and device.strip().isdigit():
        return int(device.strip())
    return device


class CaptureClock:
    """Seconds since capture started, on the monotonic clock every live source of one session shares.

    `origin` is a `time.monotonic()` value; a combiner sets the same origin on all its devices
    before they start, so their timestamps land on one timeline. Left as None, it is fixed by the
    first call to `now()`.
    """

    def __init__(self, origin: float | None = None):
        self.origin = origin

    def now(self) -> float:
        now = time.monotonic()
        if self.origin is None:
            self.origin = now
        return now - self.origin


class SharedClockDevice:
    """A live device stamped by a CaptureClock: `origin` is what a combiner sets on every device of a
    session before capture starts, so their timestamps land on one timeline."""

    _clock: CaptureClock

    @property
    def origin(self) -> float | None:
        return self._clock.origin

    @origin.setter
    def origin(self, value: float | None) -> None:
        self._clock.origin = value


class ReleaseGuard:
    """Releases a device handle only when no read is in progress.

    A blocking read (a camera frame, a microphone chunk) runs in a capture thread while close() may
    come from another one; OpenCV and PortAudio handles must not be freed under a running read.
    """

    def __init__(self, release: Callable[[], None]):
        self._release = release
        self._lock = threading.Lock()
        self._reading = False
        self._released = False
        self.closed = False

    def begin_read(self) -> bool:
        """False once closed (the handle is then released): stop reading."""
        with self._lock:
            if self.closed:
                self._release_once()
                return False
            self._reading = True
            return True

    def end_read(self) -> bool:
        """False if close() came during the read: drop the result and stop."""
        with self._lock:
            self._reading = False
            if self.closed:
                self._release_once()
                return False
            return True

    def close(self) -> None:
        with self._lock:
            self.closed = True
            if not self._reading:
                self._release_once()

    def _release_once(self) -> None:
        if not self._released:
            self._released = True
            self._release()
