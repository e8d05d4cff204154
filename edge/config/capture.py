"""Where frames and sound come from on a live box (files need no config)."""

from pydantic import Field, model_validator

from .base import StrictModel


class CameraConfig(StrictModel):
    """A camera through OpenCV."""

    device: int | str = Field(0, description="An index (/dev/videoN), a device path, or an RTSP/HTTP URL.")
    width: int = Field(640, gt=0, description="Requested frame width (pixels).")
    height: int = Field(480, gt=0, description="Requested frame height (pixels).")
    fps: float = Field(30.0, gt=0, description="Requested frame rate.")
    read_timeout_s: float = Field(2.0, gt=0, le=60, description="A network camera that delivers no frame for "
                                                               "this long is taken as gone and reopened "
                                                               "(capture.reopen_*).")


class MicrophoneConfig(StrictModel):
    """A microphone through PyAudio (the `capture` extra)."""

    device: int | str | None = Field(None, description="PyAudio device index, or a case-insensitive part of its "
                                                       "name; null = the default input.")
    sample_rate: int = Field(44100, gt=0, description="Capture rate (Hz); resampled to audio.sample_rate.")
    chunk_frames: int = Field(1024, gt=0, description="Samples per read; 1024 at 44.1 kHz is 23 ms.")


class CaptureConfig(StrictModel):
    """Live capture. Capture never waits on scoring: the hand-off is bounded and drops are counted
    (docs/sources.md, "Drop policy")."""

    camera: CameraConfig | None = Field(CameraConfig(), description="null: no camera (music only).")
    microphone: MicrophoneConfig | None = Field(MicrophoneConfig(), description="null: no microphone.")
    queue_size: int = Field(64, ge=2, description="Video frames held for a consumer that falls behind; when full "
                                                  "the oldest is dropped and counted.")
    audio_buffer_s: float = Field(5.0, gt=0, le=60, description="Seconds of audio held before the oldest is "
                                                                "dropped (and counted).")
    reopen_min_s: float = Field(0.25, gt=0, le=10, description="A camera or microphone that worked and went "
                                                              "away is reopened after this, then twice as long "
                                                              "each time (reported in `health`).")
    reopen_max_s: float = Field(1.0, gt=0, le=60, description="Longest wait between two reopen attempts: capture "
                                                             "resumes at most this long after the device is back.")
    max_width: int = Field(1280, ge=64, description="Wider frames are scaled down while decoding (pose works at "
                                                    "256 px anyway).")

    @model_validator(mode="after")
    def _backoff(self) -> "CaptureConfig":
        if self.reopen_max_s < self.reopen_min_s:
            raise ValueError("reopen_max_s must be at least reopen_min_s")
        return self
