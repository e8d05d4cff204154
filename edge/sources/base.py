"""One interface for every source: an iterator of timestamped video frames and audio chunks.

Times are seconds on one timeline per recording. For files, zero is the earliest presentation
timestamp of any stream, so a video whose audio starts 0.5 s late yields its first audio
chunk at t = 0.5. For live devices, zero is when capture started (monotonic clock).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Iterator, Union

import numpy as np


def scaled_size(width: int, height: int, max_width: int | None) -> tuple[int, int]:
    """(width, height) shrunk to at most `max_width` wide, aspect kept, height even (video codecs want it)."""
    if not max_width or width <= max_width:
        return width, height
    return max_width, max(2, round(height * max_width / width / 2) * 2)


@dataclass(frozen=True, slots=True)
class VideoFrame:
    t: float             # presentation time, seconds
    index: int           # 0-based position in the video stream
    image: np.ndarray    # H×W×3 RGB, uint8


@dataclass(frozen=True, slots=True)
class AudioChunk:
    t: float             # time of the first sample, seconds
    samples: np.ndarray  # mono float32 in [-1, 1]
    sample_rate: int


Item = Union[VideoFrame, AudioChunk]


@dataclass
class SourceInfo:
    """What is known about a source before reading it (live sources know less)."""

    name: str
    has_video: bool
    has_audio: bool
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    sample_rate: int | None = None
    duration_s: float | None = None
    video_start_s: float | None = None
    audio_start_s: float | None = None
    # Problems found while reading that did not stop it (a truncated tail, say).
    warnings: list[str] = field(default_factory=list)
    # The recording stops before its end (truncated, unreadable tail): set once reading has ended.
    # A typed flag, so no layer has to match the warning's words.
    cut_short: bool = False


class Source(ABC):
    """A recording or a device. Iterate once; close (or use `with`) to release it."""

    info: SourceInfo

    @abstractmethod
    def __iter__(self) -> Iterator[Item]: ...

    def close(self) -> None:
        """Release files and devices. Safe to call twice."""

    # Counted, not silent: live sources drop items when the consumer falls behind.
    dropped_video: int = 0
    dropped_audio: int = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
