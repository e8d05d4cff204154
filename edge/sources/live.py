"""Live capture: several sources (a camera and a microphone, say) read by their own threads into one
bounded, drop-oldest buffer that the consumer iterates as a single `Source`.

- Capture never waits on the consumer: a full buffer drops (and counts) the oldest video frame,
  and only past a larger budget the oldest audio (see `DropOldestBuffer`).
- All devices share one capture clock: the origin is fixed when iteration starts and set on every
  source that has an `origin` attribute, so their timestamps land on one timeline.
- A device that fails ends the session: the other devices are stopped, the consumer receives what
  was already captured, then the device's `MediaError`. Nothing hangs silently: if nothing at all
  arrives for `stall_timeout_s`, the consumer gets a `MediaError` too — unless a device says it is
  being reopened (the cameras and microphones `open_source` makes are `Reopening`: they do not fail,
  they come back; see retry.py).
- `close()` stops and joins the capture threads (a thread stuck in a driver call past `join_timeout_s`
  is left behind as a daemon and reported in the log).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Iterator, Sequence

from ..errors import MediaError
from .base import Item, Source, SourceInfo
from .buffer import DropOldestBuffer

log = logging.getLogger(__name__)


@dataclass
class ProducerStats:
    """What one capture thread has done, for health reports and tests."""

    name: str
    items: int = 0
    started_at: float | None = None    # monotonic
    finished_at: float | None = None   # monotonic; None while running
    error: str | None = None


class LiveSource(Source):
    def __init__(self, sources: Sequence[Source], *, queue_size: int = 64, audio_buffer_s: float = 5.0,
                 name: str | None = None, join_timeout_s: float = 3.0, stall_timeout_s: float | None = 10.0):
        if not sources:
            raise ValueError("LiveSource needs at least one source")
        self.sources = list(sources)
        self.join_timeout_s = join_timeout_s
        self.stall_timeout_s = stall_timeout_s
        self.stats = [ProducerStats(s.info.name) for s in self.sources]
        self._buffer = DropOldestBuffer(queue_size, audio_buffer_s, producers=len(self.sources))
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started = False
        self.info = self._merged_info(name)

    def _merged_info(self, name: str | None) -> SourceInfo:
        video = next((s.info for s in self.sources if s.info.has_video), None)
        audio = next((s.info for s in self.sources if s.info.has_audio), None)
        return SourceInfo(
            name=name or " + ".join(s.info.name for s in self.sources),
            has_video=video is not None,
            has_audio=audio is not None,
            fps=video.fps if video else None,
            width=video.width if video else None,
            height=video.height if video else None,
            sample_rate=audio.sample_rate if audio else None,
            warnings=[w for s in self.sources for w in s.info.warnings],
        )

    @property
    def dropped_video(self) -> int:
        return self._buffer.dropped_video + sum(s.dropped_video for s in self.sources)

    @property
    def dropped_audio(self) -> int:
        return self._buffer.dropped_audio + sum(s.dropped_audio for s in self.sources)

    def devices(self) -> list[dict]:
        """Each device's state for `health.capture.devices` (ok / reconnecting, reconnects, last error)."""
        return [s.status() if hasattr(s, "status") else {"name": s.info.name, "state": "ok"}
                for s in self.sources]

    def queue_depth(self) -> tuple[int, int]:
        """(video frames, audio chunks) waiting for the consumer."""
        return self._buffer.depth()

    def start(self) -> None:
        """Start capturing now (iteration starts it otherwise). The shared clock starts here."""
        if self._started:
            return
        self._started = True
        origin = time.monotonic()
        for source in self.sources:
            if hasattr(source, "origin"):
                source.origin = origin
        for source, stats in zip(self.sources, self.stats):
            thread = threading.Thread(target=self._produce, args=(source, stats), daemon=True,
                                      name=f"capture:{stats.name}")
            self._threads.append(thread)
            thread.start()

    def _produce(self, source: Source, stats: ProducerStats) -> None:
        stats.started_at = time.monotonic()
        try:
            for item in source:
                if self._stop.is_set():
                    break
                self._buffer.put(item)
                stats.items += 1
        except MediaError as exc:
            stats.error = str(exc)
            self._fail(exc)
        except Exception as exc:  # a driver or library bug must still reach the consumer
            log.exception("capture thread %s failed", stats.name)
            stats.error = f"{type(exc).__name__}: {exc}"
            self._fail(MediaError(stats.name, f"capture failed: {type(exc).__name__}: {exc}"))
        finally:
            stats.finished_at = time.monotonic()
            self._buffer.producer_done()

    def _fail(self, error: MediaError) -> None:
        self._stop.set()              # the other devices stop; what they captured is kept
        self._buffer.fail(error)
        for source in self.sources:
            source.close()

    def __iter__(self) -> Iterator[Item]:
        self.start()
        while True:
            try:
                item = self._buffer.get(timeout=self.stall_timeout_s)
            except TimeoutError:
                if any(getattr(s, "reconnecting", False) for s in self.sources):
                    continue          # a device known to be away and being reopened (retry.py): not a stall
                # A driver call that never returns would otherwise hang the consumer forever.
                raise MediaError(self.info.name, f"nothing captured for {self.stall_timeout_s:g} s: "
                                                 "the device stalled") from None
            if item is None:
                return
            yield item

    def close(self) -> None:
        self._stop.set()
        for source in self.sources:
            source.close()
        self._buffer.close()
        current = threading.current_thread()
        for thread in self._threads:
            if thread is not current:
                thread.join(self.join_timeout_s)
                if thread.is_alive():
                    log.warning("%s did not stop within %.1f s; left running as a daemon thread",
                                thread.name, self.join_timeout_s)
