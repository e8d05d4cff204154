"""One pipeline for every caller: a Source's frames and sound in, measurements and scores out.

`perfscore analyze`, `score_file` (and so the screening worker) and the daemon all go through a `Take`:

    take = Take(source.info, settings, pose_fps=15)   # pose at most 15 times a second, evenly
    for item in source:                               # VideoFrame / AudioChunk, from any Source
        take.add(item)
        take.live(8.0)                                # the latest 8 s: measurements and sub-scores
    analysis = take.finish()                          # the whole take, as `analyze` measures a file

or, for a source that is one take from start to end, `score_source(source, settings)` /
`analyze_source(...)`. Measuring follows timestamps, not frame counts: a take at 10 pose frames per
second is measured on the same timeline as one at 30.

A take started in the middle of a live source keeps its own timeline: zero is its first item.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .analysis import Analysis, measure
from .config import Settings
from .sources.base import AudioChunk, Item, Source, SourceInfo, VideoFrame

log = logging.getLogger(__name__)


@dataclass
class TakeCounters:
    """What a take has been given and what it did with it (health and tests read these)."""
    frames: int = 0          # video frames handed in
    posed: int = 0           # … of which pose ran on
    skipped: int = 0         # … skipped to hold the target pose rate (evenly, never silently)
    audio_chunks: int = 0
    audio_samples: int = 0


class FrameChooser:
    """Which frames get pose. With `fps`: the first frame of every 1/fps slot of media time, so frames
    are skipped evenly whatever the camera's rate (and none when the camera is slower); without it,
    every `stride`-th frame (pose.frame_stride, how files were always measured)."""

    def __init__(self, stride: int = 1, fps: float | None = None):
        if fps is not None and fps <= 0:
            raise ValueError("pose fps must be positive")
        self.stride = max(1, int(stride))
        self.fps = fps
        self._last_slot: int | None = None

    def wants(self, frame: VideoFrame) -> bool:
        if self.fps is None:
            return frame.index % self.stride == 0
        slot = math.floor(frame.t * self.fps + 1e-6)   # 1e-6: 0.1 s × 10 is slot 1, not 0.999…
        if self._last_slot is not None and slot <= self._last_slot:
            return False
        self._last_slot = slot
        return True


@dataclass
class LiveWindow:
    """The latest window of a running take, as `live` publishes it."""
    t_s: float                       # end of the window, take time
    captured_at: float               # Unix time the window's newest item reached the pipeline
    discipline: str
    subscores: dict[str, float | None]
    overall: float | None
    beat_alignment: float | None
    tempo_bpm: float | None
    person_present: bool | None
    warnings: list[str] = field(default_factory=list)


class Take:
    """Media of one take as it arrives: pose on the frames it wants, all audio; `live()` measures the
    latest window while it runs, `finish()` the whole of it. `add` is for one thread (the pipeline's);
    `live` may run on another at the same time."""

    def __init__(self, info: SourceInfo, settings: Settings, *, name: str | None = None,
                 pose_fps: float | None = None, rebase: bool = False):
        self.settings = settings
        self.source_info = info
        self.name = name or info.name
        self.counters = TakeCounters()
        self.rebase = rebase            # zero of the take's timeline at its first item (takes inside a live source)
        self._t0: float | None = None if rebase else 0.0
        self._index0: int | None = None if rebase else 0
        self._chooser = FrameChooser(settings.pose.frame_stride, pose_fps)
        self._chunks: list[np.ndarray] = []
        self._audio_start: float | None = None
        self._video_start: float | None = None
        self._last_t = 0.0                  # newest media time seen (take time)
        self._last_arrival = time.time()    # when the newest item reached the take (Unix time)
        self.timings: dict[str, float] = {"decode": 0.0, "pose": 0.0}
        self._estimator = None
        self.last_present: bool | None = None   # a person in the latest posed frame
        self._lock = threading.Lock()
        if info.has_video:
            from .features.pose import PoseEstimator

            fps = info.fps or 30.0
            if pose_fps is not None:
                # Rows come at the target rate (or the camera's, if slower); stride does not apply then.
                config = settings.pose.model_copy(update={"frame_stride": 1})
                self._estimator = PoseEstimator(config, fps=min(fps, pose_fps))
            else:
                self._estimator = PoseEstimator(settings.pose, fps=fps)

    # ---- feeding -----------------------------------------------------------------------------
    def add(self, item: Item) -> None:
        if self._t0 is None:
            self._t0 = item.t
        t = item.t - self._t0
        self._last_arrival = time.time()
        if isinstance(item, VideoFrame):
            self.counters.frames += 1
            if self._index0 is None:
                self._index0 = item.index
            if self.rebase:
                item = VideoFrame(t=t, index=item.index - self._index0, image=item.image)
            if self._video_start is None:
                self._video_start = t
            if self._estimator is not None and self._chooser.wants(item):
                self.last_present = self._estimator.add(item)
                self.counters.posed += 1
            else:
                self.counters.skipped += 1
            self._last_t = max(self._last_t, t)
        else:
            assert isinstance(item, AudioChunk)
            with self._lock:
                if self._audio_start is None:
                    self._audio_start = t
                self._chunks.append(item.samples)
                self.counters.audio_chunks += 1
                self.counters.audio_samples += len(item.samples)
            self._last_t = max(self._last_t, t + len(item.samples) / item.sample_rate)

    @property
    def media_s(self) -> float:
        """Media time the take has covered so far."""
        return self._last_t

    @property
    def pose_model(self) -> dict | None:
        return dict(self._estimator.model) if self._estimator is not None else None

    # ---- the whole take ----------------------------------------------------------------------
    def collected(self, *, whole: bool = False) -> tuple[SourceInfo, object, np.ndarray | None, dict]:
        """(info, pose track, audio samples, timings): what `read_recording` returns for a file.
        `whole`: the take is the whole source, so the source's declared duration holds for it."""
        pose = self._estimator.track() if self._estimator is not None else None
        with self._lock:
            chunks = list(self._chunks)
        info = self.source_info
        samples = np.concatenate(chunks) if chunks else (np.zeros(0, np.float32) if info.has_audio else None)
        changes = {"warnings": list(info.warnings), "cut_short": info.cut_short}
        if self._audio_start is not None:
            changes["audio_start_s"] = self._audio_start
        if not whole or self.rebase:
            changes.update(duration_s=None, video_start_s=self._video_start)
        return dataclasses.replace(info, **changes), pose, samples, dict(self.timings)

    def finish(self, *, reference: str | Path | None = None, reference_pose=None, cut_short: bool = False,
               whole: bool = False) -> Analysis:
        """Every measurement of the whole take, exactly as `analyze` measures a file. `cut_short`: the
        take ended before its media did (shutdown, a truncated file); `whole`: see `collected`."""
        info, pose, samples, timings = self.collected(whole=whole)
        self.close()
        analysis = measure(self.name, info, pose, samples, timings, self.settings, reference,
                           reference_pose=reference_pose)
        analysis.path = self.name
        analysis.cut_short = bool(cut_short or info.cut_short)
        return analysis

    # ---- the latest window, while the take runs ------------------------------------------------
    def live(self, window_s: float, discipline: str | None = None) -> LiveWindow | None:
        """Measurements and sub-scores of the last `window_s` seconds; None before there is any media."""
        from .errors import NotScorable
        from .scoring import check_scorable, detect_discipline
        from .scoring.rubric import score_window
        from .scoring.rubric.window import Window

        end = self._last_t
        if end <= 0:
            return None
        captured_at = self._last_arrival
        start = max(0.0, end - window_s)
        analysis = self._window_analysis(start, end)
        chosen = discipline or detect_discipline(analysis)
        subscores: dict[str, float | None] = {}
        overall = None
        try:
            check_scorable(analysis, chosen)
            result = score_window(Window.whole(analysis, self.settings), chosen)
            subscores = {name: (None if s.value is None else round(s.value, 1))
                         for name, s in result.subscores.items()}
            overall = None if result.overall is None else round(result.overall, 1)
        except NotScorable as exc:
            analysis.warnings.append(f"not scored: {exc.reason}")
        pose = analysis.pose
        present = bool(pose.present[-1]) if pose is not None and len(pose) else None
        audio = analysis.audio
        return LiveWindow(t_s=round(end, 3), captured_at=captured_at, discipline=chosen, subscores=subscores,
                          overall=overall, beat_alignment=analysis.beat_alignment,
                          tempo_bpm=None if audio is None else audio.tempo_bpm, person_present=present,
                          warnings=analysis.warnings)

    def _window_analysis(self, start: float, end: float) -> Analysis:
        """measure() on [start, end), rebased so the window starts at zero (the rubric's timeline)."""
        pose = None
        if self._estimator is not None:
            rate = self._estimator.fps or 30.0
            track = self._estimator.track(last=int((end - start) * rate * 1.5) + 4)
            keep = track.times >= start
            pose = dataclasses.replace(
                track, times=track.times[keep] - start, frame_index=track.frame_index[keep],
                image=track.image[keep], world=track.world[keep], visibility=track.visibility[keep],
                present=track.present[keep])
        samples, audio_start = self._recent_samples(start)
        info = dataclasses.replace(self.source_info, warnings=[], duration_s=None, video_start_s=None,
                                   audio_start_s=audio_start, cut_short=False)
        return measure(self.name, info, pose, samples, {}, self.settings)

    def _recent_samples(self, start: float) -> tuple[np.ndarray | None, float | None]:
        with self._lock:
            if self._audio_start is None:
                return (np.zeros(0, np.float32) if self.source_info.has_audio else None), None
            rate = self.settings.audio.sample_rate
            total = self.counters.audio_samples
            first = max(0, int(round((start - self._audio_start) * rate)))   # sample index of the window start
            picked, count = [], total
            for chunk in reversed(self._chunks):
                if count <= first:
                    break
                picked.append(chunk)
                count -= len(chunk)
        samples = np.concatenate(picked[::-1]) if picked else np.zeros(0, np.float32)
        samples = samples[max(0, first - count):]
        begin = self._audio_start + max(first, count) / rate
        return samples, max(0.0, begin - start)

    def close(self) -> None:
        if self._estimator is not None:
            self._estimator.close()

    def __enter__(self) -> "Take":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def drain(source: Source, take: Take, *, on_frame: Callable[[int], None] | None = None,
          stop: threading.Event | None = None) -> bool:
    """Feed every item of `source` into `take`; CPU time of decoding and pose goes to take.timings.
    Returns False when `stop` ended it early (the take is then cut short)."""
    timings = take.timings
    clock = time.process_time()
    for item in source:
        now = time.process_time()
        timings["decode"] += now - clock
        take.add(item)
        if on_frame is not None and isinstance(item, VideoFrame):
            on_frame(item.index)
        clock = time.process_time()
        timings["pose" if isinstance(item, VideoFrame) else "decode"] += clock - now
        if stop is not None and stop.is_set():
            return False
    return True


def source_cut_short(source: Source) -> bool:
    """Whether the recording behind `source` stopped before its end (a replay reads a file inside)."""
    seen, todo = set(), [source]
    while todo:
        s = todo.pop()
        if id(s) in seen:
            continue
        seen.add(id(s))
        if getattr(getattr(s, "info", None), "cut_short", False):
            return True
        todo += list(getattr(s, "sources", []) or [])
        for attr in ("file", "paced"):
            inner = getattr(s, attr, None)
            if isinstance(inner, Source):
                todo.append(inner)
    return False


def analyze_source(source: Source, settings: Settings, *, reference: str | Path | None = None,
                   on_frame: Callable[[int], None] | None = None, reference_pose=None,
                   pose_fps: float | None = None, name: str | None = None,
                   stop: threading.Event | None = None) -> Analysis:
    """The whole source as one take: every measurement (what `perfscore analyze` prints)."""
    with Take(source.info, settings, name=name, pose_fps=pose_fps) as take:
        complete = drain(source, take, on_frame=on_frame, stop=stop)
        return take.finish(reference=reference, reference_pose=reference_pose, whole=complete,
                           cut_short=not complete or source_cut_short(source))


def score_source(source: Source, settings: Settings, *, discipline: str | None = None,
                 reference: str | Path | None = None, model: str | Path | None = None,
                 on_frame: Callable[[int], None] | None = None, reference_pose=None,
                 pose_fps: float | None = None, name: str | None = None):
    """Measure and score the whole source (a `Scored`); raises MediaError or NotScorable."""
    from .scoring import score

    analysis = analyze_source(source, settings, reference=reference, on_frame=on_frame,
                              reference_pose=reference_pose, pose_fps=pose_fps, name=name)
    return score(analysis, settings, discipline=discipline, model=model)
