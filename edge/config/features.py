"""Settings of the measurement front-end. Reference with defaults: docs/configuration.md (generated)."""

from typing import Literal

from pydantic import Field

from .. import MODELS_DIR
from .base import ConfigPath, StrictModel


class PoseConfig(StrictModel):
    """MediaPipe PoseLandmarker (VIDEO mode) on the bundle shipped in models/."""

    model_path: ConfigPath = Field(MODELS_DIR / "pose_landmarker_full.task",
                                   description="Pose .task bundle; must be listed in models/manifest.json.")
    min_detection_confidence: float = Field(0.5, ge=0, le=1, description="Person detector threshold.")
    min_presence_confidence: float = Field(0.5, ge=0, le=1, description="Landmark presence threshold.")
    min_tracking_confidence: float = Field(0.5, ge=0, le=1, description="Below this, the person is re-detected.")
    frame_stride: int = Field(1, ge=1, description="Run pose on every n-th frame (1 = every frame); higher trades "
                                                   "sync precision for speed on slow boxes.")


class AudioConfig(StrictModel):
    """aubio analysis. 44.1 kHz keeps YIN within ±2 cents up to 2 kHz (22.05 kHz: ±11 cents at 2 kHz)."""

    sample_rate: int = Field(44100, ge=8000, description="Every recording is resampled to this rate (Hz).")
    hop_size: int = Field(512, ge=32, description="Samples between analysis frames (11.6 ms at 44.1 kHz).")
    onset_method: str = Field("specflux", description="aubio onset function whose onsets are candidates.")
    onset_threshold: float = Field(0.3, gt=0, description="aubio's peak-picking threshold for onset candidates.")
    pitch_method: str = Field("yinfast", description="aubio pitch method (yinfast reports a usable confidence).")
    pitch_window: int = Field(2048, ge=256, description="Pitch window in samples (46 ms: two periods of 43 Hz).")
    pitch_min_confidence: float = Field(0.8, ge=0, le=1, description="Frames below this confidence are unvoiced.")
    n_mfcc: int = Field(13, ge=1, description="MFCC coefficients per frame.")
    n_mel_filters: int = Field(40, ge=1, description="Mel filters behind the MFCCs.")
    min_bpm: float = Field(40.0, gt=0, description="Slowest tempo the beat tracker's octave is corrected into.")
    max_bpm: float = Field(220.0, gt=0, description="Fastest tempo the beat tracker's octave is corrected into.")
    silence_dbfs: float = Field(-60.0, le=0, description="Frames quieter than this are silence: no onsets, no pitch.")


class RhythmConfig(StrictModel):
    """Motion beats, beat alignment (AIST++) and the beat grid."""

    beat_sigma_frames_at_60fps: float = Field(3.0, gt=0, description="AI Choreographer's σ: 3 frames at 60 fps "
                                                                      "(50 ms), the same time at any frame rate.")
    speed_smoothing_s: float = Field(0.1, ge=0, description="Gaussian σ (s) on joint speed before its minima "
                                                            "are taken as motion beats.")
    grid_subdivisions: int = Field(4, ge=1, description="Onsets are compared with the beat grid cut into this many "
                                                        "parts per beat (4 = sixteenths).")


class ReferenceConfig(StrictModel):
    """Comparison with a reference (MIDI for music, a recording for dance)."""

    onset_tolerance_ms: float = Field(50.0, gt=0, description="mir_eval's onset tolerance for a note hit.")
    pitch_tolerance_cents: float = Field(50.0, gt=0, description="mir_eval's pitch tolerance for a note hit.")
    clock: Literal["fitted", "reference"] = Field(
        "fitted", description="'fitted': timing against the performer's own start and tempo; 'reference': against "
                              "the reference's clock (play-along, written time = recording time).")
    part: str | None = Field(
        None, description="Which notes of a MIDI reference to play against: null for every note; 'track:N' (tracks "
                          "counted from 0), 'channel:N' (1-16) or a track name. Drums (channel 10) are always left out.")
