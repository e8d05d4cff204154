"""A recorded file replayed at real-time pace, through the same capture machinery as live devices.

Items come out when they are due: media time t is due at `start + t / speed` on the monotonic
clock. They keep their media timestamps (the file's timeline), so features see the same times a
plain file read gives; only the wall-clock pacing differs. A capture thread produces them into the
same drop-oldest buffer as a camera, so a consumer slower than real time sees drops, counted, just
as it would on the box.

Demuxing interleaves video and audio only roughly, and decoders delay some frames, so a short
reorder window puts items back in timestamp order before they are released.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from pathlib import Path
from typing import Iterator

from .base import Item, Source
from .device import ReleaseGuard
from .file import DEFAULT_SAMPLE_RATE, FileSource
from .live import LiveSource

REORDER_WINDOW_S = 0.25


class PacedSource(Source):
    """Releases a FileSource's items at their due time; close() from another thread is safe."""

    def __init__(self, file: FileSource, *, speed: float = 1.0, reorder_window_s: float = REORDER_WINDOW_S):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.file = file
        self.speed = speed
        self.reorder_window_s = reorder_window_s
        self.info = file.info
        self._guard = ReleaseGuard(file.close)   # never close the container under a running decode
        self._wake = threading.Event()

    def _read(self) -> Iterator[Item]:
        items = iter(self.file)
        while self._guard.begin_read():
            try:
                item = next(items, None)
            finally:
                still_open = self._guard.end_read()
            if item is None or not still_open:
                return
            yield item

    def __iter__(self) -> Iterator[Item]:
        start = time.monotonic()
        order = itertools.count()     # ties keep file order
        pending: list[tuple[float, int, Item]] = []
        for item in self._read():
            heapq.heappush(pending, (item.t, next(order), item))
            while pending and pending[0][0] <= item.t - self.reorder_window_s:
                if not self._wait_until(start, pending[0][0]):
                    return
                yield heapq.heappop(pending)[2]
        while pending and not self._guard.closed:
            if not self._wait_until(start, pending[0][0]):
                return
            yield heapq.heappop(pending)[2]

    def _wait_until(self, start: float, t: float) -> bool:
        """Sleep until media time t is due; False if closed meanwhile."""
        delay = start + t / self.speed - time.monotonic()
        if delay > 0:
            self._wake.wait(delay)
        return not self._guard.closed

    def close(self) -> None:
        self._guard.close()
        self._wake.set()


class ReplaySource(LiveSource):
    """`replay:PATH`: a file as if it were being captured now."""

    def __init__(self, path: str | Path, *, speed: float = 1.0, sample_rate: int = DEFAULT_SAMPLE_RATE,
                 video: bool = True, audio: bool = True, max_width: int | None = None,
                 queue_size: int = 64, audio_buffer_s: float = 5.0):
        if speed <= 0:
            raise ValueError("speed must be positive")
        file = FileSource(path, sample_rate=sample_rate, video=video, audio=audio, max_width=max_width)
        self.paced = PacedSource(file, speed=speed)
        super().__init__([self.paced], queue_size=queue_size, audio_buffer_s=audio_buffer_s,
                         name=f"replay:{file.info.name}")
        self.info.duration_s = file.info.duration_s
        self.info.video_start_s = file.info.video_start_s
        self.info.audio_start_s = file.info.audio_start_s
        # One list: warnings the file finds while being read show up here too.
        self.info.warnings = file.info.warnings
