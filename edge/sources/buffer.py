"""The hand-off between capture threads and the consumer: bounded, never blocking the producer.

Video and audio wait in separate queues. When the consumer falls behind:
- video is bounded by a frame count; the oldest frame is dropped (a late frame is worth less than
  the newest one, and pose on every frame is what overloads the box);
- audio is bounded by seconds of sound, a much larger budget (chunks are small, and onsets, beats
  and pitch need continuous audio); only past it is the oldest audio dropped.
Every drop is counted. `get()` hands out whichever queued item is earliest on the timeline.
"""

from __future__ import annotations

import threading
from collections import deque

from ..errors import MediaError
from .base import AudioChunk, Item, VideoFrame


class DropOldestBuffer:
    def __init__(self, video_frames: int, audio_seconds: float, producers: int):
        if video_frames < 1 or audio_seconds <= 0:
            raise ValueError("buffer bounds must be positive")
        self.video_frames = video_frames
        self.audio_seconds = audio_seconds
        self.dropped_video = 0
        self.dropped_audio = 0
        self._video: deque[VideoFrame] = deque()
        self._audio: deque[AudioChunk] = deque()
        self._audio_held = 0.0
        self._producers = producers
        self._error: MediaError | None = None
        self._closed = False
        self._ready = threading.Condition()

    # ---- producer side: O(1) under a short lock, never waits for the consumer ------------

    def put(self, item: Item) -> None:
        with self._ready:
            if self._closed:
                return
            if isinstance(item, VideoFrame):
                if len(self._video) >= self.video_frames:
                    self._video.popleft()
                    self.dropped_video += 1
                self._video.append(item)
            else:
                self._audio.append(item)
                self._audio_held += item.samples.size / item.sample_rate
                while self._audio_held > self.audio_seconds and len(self._audio) > 1:
                    old = self._audio.popleft()
                    self._audio_held -= old.samples.size / old.sample_rate
                    self.dropped_audio += 1
            self._ready.notify()

    def fail(self, error: MediaError) -> None:
        """A producer died: the consumer gets what is queued, then this error."""
        with self._ready:
            if self._error is None:
                self._error = error
            self._ready.notify_all()

    def producer_done(self) -> None:
        with self._ready:
            self._producers -= 1
            self._ready.notify_all()

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._video.clear()
            self._audio.clear()
            self._audio_held = 0.0
            self._ready.notify_all()

    # ---- consumer side --------------------------------------------------------------------

    def get(self, timeout: float | None = None) -> Item | None:
        """The earliest queued item; None when every producer has finished (or after close()).

        Raises a producer's MediaError once what was queued before it is handed out, and
        TimeoutError if nothing arrived within `timeout` seconds.
        """
        with self._ready:
            while True:
                if self._closed:
                    return None
                if self._video or self._audio:
                    return self._pop_earliest()
                if self._error is not None:
                    raise self._error
                if self._producers <= 0:
                    return None
                if not self._ready.wait(timeout):
                    raise TimeoutError

    def _pop_earliest(self) -> Item:
        if self._video and (not self._audio or self._video[0].t <= self._audio[0].t):
            return self._video.popleft()
        chunk = self._audio.popleft()
        self._audio_held -= chunk.samples.size / chunk.sample_rate
        return chunk

    def depth(self) -> tuple[int, int]:
        """(video frames, audio chunks) waiting: for health reports."""
        with self._ready:
            return len(self._video), len(self._audio)
