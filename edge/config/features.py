"""Settings of the measurement front-end. Defaults are documented in docs/configuration.md."""

from typing import Literal

from pydantic import Field

from .. import MODELS_DIR
from .base import ConfigPath, StrictModel


class PoseConfig(StrictModel):
    model_path: ConfigPath = MODELS_DIR / "pose_landmarker_full.task"
    min_detection_confidence: float = Field(0.5, ge=0, le=1)
    min_presence_confidence: float = Field(0.5, ge=0, le=1)
    min_tracking_confidence: float = Field(0.5, ge=0, le=1)
    # Run pose on every n-th frame (1 = every frame). Higher values trade sync precision for speed.
    frame_stride: int = Field(1, ge=1)


class AudioConfig(StrictModel):
    # Everything is analysed at one rate. 44.1 kHz keeps YIN within ±2 cents up to 2 kHz (22.05 kHz: ±11 cents
    # at 2 kHz, because the period is then only 11 samples); it costs ~1 s per minute of audio on one core.
    sample_rate: int = Field(44100, ge=8000)
    hop_size: int = Field(512, ge=32, description="Samples between analysis frames (11.6 ms at 44.1 kHz).")
    onset_method: str = "specflux"
    onset_threshold: float = Field(0.3, gt=0)
    pitch_method: str = "yinfast"
    pitch_window: int = Field(2048, ge=256)
    pitch_min_confidence: float = Field(0.8, ge=0, le=1)
    n_mfcc: int = Field(13, ge=1)
    n_mel_filters: int = Field(40, ge=1)
    # Tempo range the beat tracker's octave is corrected into (see features/audio/beats.py).
    min_bpm: float = Field(40.0, gt=0)
    max_bpm: float = Field(220.0, gt=0)
    # Frames quieter than this are silence: no onsets, no pitch.
    silence_dbfs: float = Field(-60.0, le=0)


class RhythmConfig(StrictModel):
    # AI Choreographer's σ is 3 frames at 60 fps (50 ms); it is scaled to the actual frame rate.
    beat_sigma_frames_at_60fps: float = Field(3.0, gt=0)
    # Joint-speed smoothing before motion beats are picked, in seconds.
    speed_smoothing_s: float = Field(0.1, ge=0)
    # Onsets are compared with the beat grid subdivided this many times per beat (4 = sixteenths).
    grid_subdivisions: int = Field(4, ge=1)


class ReferenceConfig(StrictModel):
    # mir_eval's defaults for transcription: a note is hit when its onset is within 50 ms and pitch within 50 cents.
    onset_tolerance_ms: float = Field(50.0, gt=0)
    pitch_tolerance_cents: float = Field(50.0, gt=0)
    # "fitted": timing is judged against the performer's own start and tempo (a line through the matched
    # notes); "reference": against the reference's clock (play-along, where written time = recording time).
    clock: Literal["fitted", "reference"] = "fitted"
