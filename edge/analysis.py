"""Measure one recording: source → pose and audio features → rhythm and sync → comparison with a reference.

This is what `perfscore analyze` prints and what scoring and training build on. One pass over the file
decodes video and audio together; pose runs on each frame as it is decoded, so frames are never held.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import __version__
from .config import Settings
from .errors import MediaError
from .features.audio import AudioFeatures, choose_beats_again, extract_audio_features
from .features.audio.tempo_level import LevelCues, motion_period
from .features.notes import read_midi, read_midi_meter
from .features.pose import PoseEstimator, PoseTrack
from .features.reference_dance import DanceComparison, compare_to_reference
from .features.reference_music import MusicComparison, compare_to_midi
from .features import rhythm
from .sources.base import AudioChunk, SourceInfo, VideoFrame
from .sources.file import FileSource

MIDI_SUFFIXES = {".mid", ".midi"}


@dataclass
class Analysis:
    path: str
    info: SourceInfo
    duration_s: float
    pose: PoseTrack | None
    audio: AudioFeatures | None
    motion: rhythm.MotionSpeed | None
    motion_beats_s: np.ndarray
    beat_alignment: float | None
    motion_beat_offsets_s: np.ndarray   # each motion beat inside the music − nearest music beat
    onset_deviations_s: np.ndarray      # each onset − nearest point of the subdivided beat grid
    onset_deviation_times_s: np.ndarray = field(default_factory=lambda: np.zeros(0))  # …of those onsets
    reference: MusicComparison | DanceComparison | None = None
    warnings: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)  # CPU seconds per stage (all threads)
    cut_short: bool = False   # the recording (or the take) stops before its media did: not all of it is here
    # The dance reference's poses the comparison aligned to (a with-reference model reads its mirror evidence).
    reference_pose: PoseTrack | None = None

    def to_dict(self) -> dict:
        """The `perfscore analyze --json` document (docs/analysis.md; schema edge/schemas/analysis.schema.json)."""
        video = None
        if self.pose is not None:
            video = {
                "fps": _r(self.info.fps, 3),
                "frames": len(self.pose),
                "person_frames": self.pose.person_frames,
                "width": self.info.width,
                "height": self.info.height,
                "start_s": _r(self.info.video_start_s, 4),
                "pose_model": self.pose.model or None,
            }
        audio = None
        if self.audio is not None:
            a = self.audio
            voiced = a.voiced
            audio = {
                "sample_rate": a.sample_rate,
                "start_s": _r(a.start_s, 4),
                "duration_s": _r(a.duration_s, 3),
                "hop_s": _r(a.hop / a.sample_rate, 5),
                "tempo_bpm": _r(a.tempo_bpm, 2),
                "tempo": _tempo_level(a),
                "beats_s": _list(a.beats_s),
                "onsets_s": _list(a.onsets_s),
                "peak_dbfs": _r(a.peak_dbfs, 2),
                "silent": a.silent,
                "loudness_dbfs": _loudness(a),
                "pitch": {
                    "voiced_fraction": _r(float(voiced.mean()) if len(voiced) else None, 4),
                    "median_hz": _r(float(np.median(a.f0_hz[voiced])) if voiced.any() else None, 2),
                    "min_hz": _r(float(a.f0_hz[voiced].min()) if voiced.any() else None, 2),
                    "max_hz": _r(float(a.f0_hz[voiced].max()) if voiced.any() else None, 2),
                },
                "mfcc_mean": [round(float(v), 3) for v in a.mfcc.mean(axis=0)] if len(a.mfcc) else None,
            }
        return {
            "schema": "perfscore.analysis/1",
            "perfscore_version": __version__,
            "file": self.path,
            "duration_s": _r(self.duration_s, 3),
            "video": video,
            "audio": audio,
            "rhythm": {
                "beat_alignment": _r(self.beat_alignment, 4),
                "motion_beats_s": _list(self.motion_beats_s) if self.pose is not None else None,
                "motion_beat_offset_ms": _ms_stats(self.motion_beat_offsets_s),
                "onset_deviation_ms": _ms_stats(self.onset_deviations_s),
                "tempo_cv": _r(self.audio.tempo_cv if self.audio else None, 5),
            },
            "reference": self.reference.summary() if self.reference is not None else None,
            "warnings": list(self.warnings),
            "timings_s": {k: round(v, 4) for k, v in self.timings_s.items()},
        }


def _tempo_level(a: AudioFeatures) -> dict | None:
    """How the beat level was chosen (docs/analysis.md): the level, the cues that decided it, its confidence."""
    level = a.tempo_level
    if level is None or a.tempo_bpm is None:
        return None
    return {"bpm": _r(a.tempo_bpm, 2), "level_bpm": _r(level.bpm, 2), "level_cues": list(level.cues),
            "confidence": _r(level.confidence, 3), "ambiguous": bool(level.ambiguous),
            "alternatives_bpm": [_r(60.0 / p, 2) for p, _ in level.alternatives],
            "scores": {k: _r(v, 3) for k, v in level.scores.items()}}


def _r(value, digits):
    return None if value is None or (isinstance(value, float) and not np.isfinite(value)) else round(float(value), digits)


def _list(values: np.ndarray) -> list[float]:
    return [round(float(v), 4) for v in values]


def _ms_stats(seconds: np.ndarray) -> dict:
    if len(seconds) == 0:
        return {"mean": None, "std": None, "n": 0}
    ms = np.asarray(seconds) * 1000.0
    return {"mean": round(float(ms.mean()), 2), "std": round(float(ms.std()), 2), "n": int(len(ms))}


def _loudness(a: AudioFeatures) -> dict:
    sounding = a.rms_dbfs[a.rms_dbfs > -60.0]
    if len(sounding) == 0:
        return {"mean": None, "p5": None, "p95": None, "range_db": None}
    p5, p95 = np.percentile(sounding, [5, 95])
    return {"mean": round(float(sounding.mean()), 2), "p5": round(float(p5), 2), "p95": round(float(p95), 2),
            "range_db": round(float(p95 - p5), 2)}


def read_recording(path: str | Path, settings: Settings, *, want_audio: bool = True,
                   on_frame: Callable[[int], None] | None = None) -> tuple[SourceInfo, PoseTrack | None,
                                                                            np.ndarray | None, dict]:
    """Decode a recording once: pose for each video frame, all audio samples. Returns timings too.
    (The file drained into a pipeline Take; `analyze` and the daemon go through the same Take.)"""
    from .pipeline import Take, drain

    source = FileSource(path, sample_rate=settings.audio.sample_rate, audio=want_audio,
                        max_width=settings.capture.max_width)
    with source, Take(source.info, settings, name=str(path)) as take:
        drain(source, take, on_frame=on_frame)
        return take.collected(whole=True)


def analyze(path: str | Path, settings: Settings, reference: str | Path | None = None,
            on_frame: Callable[[int], None] | None = None, *,
            reference_pose: PoseTrack | None = None) -> Analysis:
    """Every measurement of one recording. Raises MediaError if it cannot be read at all.

    `reference_pose`: the poses of a dance `reference` already computed (a screening run poses its
    reference once for all entries); without it the reference recording is decoded and posed here.
    The file goes through the one pipeline (edge/pipeline.py) every caller uses."""
    from .pipeline import analyze_source

    source = FileSource(path, sample_rate=settings.audio.sample_rate, max_width=settings.capture.max_width)
    with source:
        return analyze_source(source, settings, reference=reference, on_frame=on_frame,
                              reference_pose=reference_pose, name=str(Path(path)))


def measure(path: str | Path, info: SourceInfo, pose: PoseTrack | None, samples: np.ndarray | None,
            timings: dict, settings: Settings, reference: str | Path | None = None, *,
            reference_pose: PoseTrack | None = None) -> Analysis:
    """Every measurement from decoded media (a pipeline Take's poses and samples, `read_recording`'s
    tuple): audio features, motion, rhythm and sync, the comparison with a reference.

    `reference_pose`: the poses of a dance `reference` already computed (a screening run poses its
    reference once for all entries); without it the reference recording is decoded and posed here."""
    path = Path(path)
    warnings = list(info.warnings)

    audio = None
    clock = time.process_time()
    if samples is not None:
        if len(samples) < settings.audio.hop_size * 4:
            warnings.append("audio stream is too short to measure (under 50 ms)")
        else:
            audio = extract_audio_features(samples, settings.audio, start_s=info.audio_start_s or 0.0)
            if audio.silent:
                warnings.append(f"audio is silent (peak {audio.peak_dbfs:.0f} dBFS): no onsets, beats or pitch")
            elif audio.tempo_bpm is None:
                warnings.append(f"only {len(audio.beats_s)} beats found: tempo and tempo stability not measurable")
    elif info.has_video:
        warnings.append("no audio stream: tempo, beats and beat alignment are not measurable")
    timings["audio"] = time.process_time() - clock

    clock = time.process_time()
    motion, motion_beats, alignment, offsets = None, np.zeros(0), None, np.zeros(0)
    if pose is not None:
        if len(pose) < 3:
            warnings.append(f"video has {len(pose)} frame(s): motion and beat alignment are not measurable")
        elif pose.person_frames == 0:
            warnings.append(f"no person found in any of {len(pose)} frames: motion and beat alignment are not measurable")
        else:
            if pose.person_frames < 0.5 * len(pose):
                warnings.append(f"a person was found in only {pose.person_frames} of {len(pose)} frames")
            motion = rhythm.motion_speed(pose, settings.rhythm.speed_smoothing_s)
            motion_beats = rhythm.motion_beats(motion)
    # The cues outside the audio meet here: the reference's written beat and the dancer's own period
    # choose the beat level again (cheap: the audio's envelopes are kept, nothing is re-analysed).
    if audio is not None and not audio.silent:
        period = _reference_beat_period(reference)
        cues = LevelCues(reference_period_s=period,
                         reference_onsets_beats=_reference_onset_beats(reference, period, settings.reference.part),
                         motion_period_s=motion_period(motion_beats) if len(motion_beats) else None)
        if cues.reference_period_s or cues.motion_period_s:
            audio = choose_beats_again(audio, cues)
    if motion is not None and audio is not None and len(audio.beats_s):
        sigma = settings.rhythm.beat_sigma_frames_at_60fps / 60.0
        span = (audio.start_s, audio.start_s + audio.duration_s)
        alignment = rhythm.beat_alignment(motion_beats, audio.beats_s, sigma, span)
        inside = motion_beats[(motion_beats >= span[0]) & (motion_beats <= span[1])]
        offsets = rhythm.nearest_distance(inside, audio.beats_s) if len(inside) else np.zeros(0)
    deviation_times, deviations = np.zeros(0), np.zeros(0)
    if audio is not None and len(audio.beats_s) >= 4:
        deviation_times, deviations = rhythm.onset_deviation(audio.onsets_s, audio.beats_s,
                                                             settings.rhythm.grid_subdivisions)
    timings["rhythm"] = time.process_time() - clock

    clock = time.process_time()
    comparison = None
    if reference is not None:
        comparison, reference_pose = _compare(Path(reference), pose, audio, settings, warnings,
                                              reference_pose=reference_pose, samples=samples)
    timings["reference"] = time.process_time() - clock

    duration = info.duration_s
    if duration is None:
        ends = [pose.times[-1] if pose is not None and len(pose) else 0.0,
                audio.start_s + audio.duration_s if audio is not None else 0.0]
        duration = max(ends)
    return Analysis(str(path), info, float(duration), pose, audio, motion, motion_beats, alignment,
                    offsets, deviations, deviation_times, comparison, warnings, timings,
                    reference_pose=reference_pose if isinstance(comparison, DanceComparison) else None)


def _reference_beat_period(reference: str | Path | None) -> float | None:
    """Seconds per written beat of a MIDI reference (its first tempo and time signature); None for a
    dance reference or a MIDI file that cannot be read (the comparison reports that)."""
    if reference is None or Path(reference).suffix.lower() not in MIDI_SUFFIXES:
        return None
    try:
        return 60.0 / read_midi_meter(reference).beat_bpm
    except MediaError:
        return None


def _reference_onset_beats(reference: str | Path | None, period: float | None, part: str | None
                           ) -> np.ndarray | None:
    """The MIDI reference's note onsets in written beats from its time 0 (at its first tempo): where its
    notes fall in the beat places the beat grid's phase (beats.py: _reference_phase). None without one."""
    if period is None:
        return None
    try:
        return read_midi(reference, part=part).onsets / period
    except MediaError:
        return None


def _compare(reference: Path, pose: PoseTrack | None, audio: AudioFeatures | None, settings: Settings,
             warnings: list[str], *, reference_pose: PoseTrack | None = None,
             samples: np.ndarray | None = None) -> tuple[MusicComparison | DanceComparison | None, PoseTrack | None]:
    """(the comparison or None with the reason in `warnings`, the dance reference's poses or None)."""
    cfg = settings.reference
    if reference.suffix.lower() in MIDI_SUFFIXES:
        notes = read_midi(reference, part=cfg.part)
        if audio is None or audio.silent:
            warnings.append("reference given but there is no audible performance to compare")
            return None, None
        try:
            # The raw samples: a polyphonic reference is checked by transcribing them (reference_polyphonic).
            return compare_to_midi(notes, audio, onset_tolerance_ms=cfg.onset_tolerance_ms,
                                   pitch_tolerance_cents=cfg.pitch_tolerance_cents, clock=cfg.clock,
                                   samples=samples), None
        except ValueError as exc:
            warnings.append(f"reference {reference.name}: {exc}")
            return None, None
    if pose is None:
        raise MediaError(reference, "a recording as reference needs a video to compare with; "
                                    "for music give a MIDI reference (.mid)")
    ref_pose = reference_pose
    if ref_pose is None:
        _, ref_pose, _, _ = read_recording(reference, settings, want_audio=False)   # only its poses are compared
    if ref_pose is None:
        raise MediaError(reference, "reference has no video stream (dance references are recordings of the choreography)")
    try:
        return compare_to_reference(ref_pose, pose), ref_pose
    except ValueError as exc:
        warnings.append(f"reference {reference.name}: {exc}")
        return None, None
