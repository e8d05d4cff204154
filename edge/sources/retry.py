"""A live device that comes back: a camera unplugged (or its stream dropped), a microphone pulled out.

`Reopening(first, reopen)` iterates `first` (an opened CameraSource or MicrophoneSource); when it fails
with a MediaError it is closed and `reopen()` is tried again and again with a back-off (`min_s`, doubling,
at most `max_s`) until the device is back, then iteration goes on. A short maximum keeps the promise of
the fault table (capture resumes within 5 s of the device returning: docs/deployment.md, "Faults").

- Time goes on across the gap: a device on the shared capture clock keeps it (the new device gets the
  same `origin`); a stream that stamps its own time ("stream" timestamps restart at 0 when reopened)
  is shifted to continue after the last frame plus the time it was away. Frame indices keep counting.
- `status()` says what the device is doing, for `health.capture.devices`: `ok` or `reconnecting`, since
  when, how many times it came back, the last error.
- The first open is the caller's: a device that is not there at start fails at once with its error
  (`perfscore run` then exits and systemd retries), only a device that worked is waited for.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import Callable, Iterator

from ..errors import MediaError
from .base import Item, Source, VideoFrame

log = logging.getLogger(__name__)


class Reopening(Source):
    def __init__(self, first: Source, reopen: Callable[[], Source], *, min_s: float = 0.25, max_s: float = 1.0):
        if min_s <= 0 or max_s < min_s:
            raise ValueError("back-off needs 0 < min_s <= max_s")
        self._inner: Source | None = first
        self._reopen = reopen
        self.min_s, self.max_s = min_s, max_s
        self.info = first.info
        self.name = first.info.name
        self._origin = getattr(first, "origin", None)
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self.state = "ok"                   # ok | reconnecting
        self.reconnects = 0                 # times the device came back
        self.attempts = 0                   # reopen attempts, failed or not
        self.gone_at: float | None = None   # monotonic time it failed (while reconnecting)
        self.last_error: str | None = None
        self.gone_s_total = 0.0

    # A combiner (LiveSource) sets one origin on every device before capture starts.
    @property
    def origin(self) -> float | None:
        return self._origin

    @origin.setter
    def origin(self, value: float | None) -> None:
        self._origin = value
        inner = self._inner
        if inner is not None and hasattr(inner, "origin"):
            inner.origin = value

    @property
    def current(self) -> Source | None:
        """The device open now (None while it is away)."""
        return self._inner

    @property
    def reconnecting(self) -> bool:
        return self.state == "reconnecting"

    @property
    def dropped_video(self) -> int:   # type: ignore[override]
        return int(getattr(self._inner, "dropped_video", 0) or 0)

    @property
    def dropped_audio(self) -> int:   # type: ignore[override]
        return int(getattr(self._inner, "dropped_audio", 0) or 0)

    def status(self) -> dict:
        with self._lock:      # the health thread asks while capture may be bringing the device back
            gone, state, total, error = self.gone_at, self.state, self.gone_s_total, self.last_error
        away = None if gone is None else time.monotonic() - gone
        return {"name": self.name, "state": state, "reconnects": self.reconnects,
                "gone_s": None if away is None else round(away, 1),
                # every outage since start, the current one included: what a venue's uptime report needs
                "gone_s_total": round(total + (away or 0.0), 1),
                "last_error": error}

    def __iter__(self) -> Iterator[Item]:
        index_offset = 0          # frame indices keep counting across reopens
        t_shift = 0.0             # only for devices that stamp their own time (no shared clock)
        last_t: float | None = None
        last_at = time.monotonic()
        next_index = 0
        while not self._closed.is_set():
            inner = self._inner
            if inner is None:
                return
            first_of_inner = True
            try:
                for item in inner:
                    if first_of_inner and last_t is not None and getattr(inner, "timestamps", None) == "stream":
                        # Own timestamps restart near 0 on a new connection: continue after the gap.
                        t_shift = last_t + (time.monotonic() - last_at) - item.t
                    first_of_inner = False
                    if isinstance(item, VideoFrame):
                        item = replace(item, index=item.index + index_offset, t=item.t + t_shift)
                        next_index = item.index + 1
                    elif t_shift:
                        item = replace(item, t=item.t + t_shift)
                    last_t, last_at = item.t, time.monotonic()
                    yield item
                return                                  # the device ended by itself (a recording's end)
            except MediaError as exc:
                if self._closed.is_set():
                    return
                self._gone(exc)
            finally:
                inner.close()
            index_offset = next_index
            if not self._wait_for_device():
                return

    def _gone(self, exc: MediaError) -> None:
        with self._lock:
            self.state, self.gone_at, self.last_error = "reconnecting", time.monotonic(), str(exc)
            self._inner = None
        log.warning("%s is gone (%s); reopening with back-off up to %.1f s", self.name, exc, self.max_s)

    def _wait_for_device(self) -> bool:
        delay = self.min_s
        while not self._closed.wait(delay):
            self.attempts += 1
            try:
                inner = self._reopen()
            except MediaError as exc:
                self.last_error = str(exc)
                delay = min(self.max_s, delay * 2)
                continue
            if self._origin is not None and hasattr(inner, "origin"):
                inner.origin = self._origin
            with self._lock:
                if self._closed.is_set():
                    inner.close()
                    return False
                gone = time.monotonic() - (self.gone_at or time.monotonic())
                self._inner, self.state, self.gone_at = inner, "ok", None
                self.reconnects += 1
                self.gone_s_total += gone
            log.warning("%s is back after %.1f s (%d attempts)", self.name, gone, self.attempts)
            return True
        return False

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            inner = self._inner
        if inner is not None:
            inner.close()
