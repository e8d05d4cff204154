"""Where frames and sound come from on a live box (files need no config)."""

from pydantic import Field

from .base import StrictModel


class CameraConfig(StrictModel):
    # An integer index (/dev/videoN), a device path, or an RTSP/HTTP URL.
    device: int | str = 0
    width: int = Field(640, gt=0)
    height: int = Field(480, gt=0)
    fps: float = Field(30.0, gt=0)


class MicrophoneConfig(StrictModel):
    # A PyAudio device index, or a case-insensitive substring of the device name; None = default input.
    device: int | str | None = None
    sample_rate: int = Field(44100, gt=0)
    chunk_frames: int = Field(1024, gt=0, description="Samples per read; 1024 at 44.1 kHz is 23 ms.")


class CaptureConfig(StrictModel):
    camera: CameraConfig | None = CameraConfig()
    microphone: MicrophoneConfig | None = MicrophoneConfig()
    # Bounded hand-off between capture threads and analysis: when full, the oldest video frame is
    # dropped and counted, so capture never waits on scoring (docs/sources.md, "Drop policy").
    queue_size: int = Field(64, ge=2, description="Video frames held for a consumer that falls behind.")
    # Audio gets a budget in seconds: chunks are small and analysis needs continuous sound, so audio
    # is dropped (oldest first, counted) only when this much is waiting.
    audio_buffer_s: float = Field(5.0, gt=0, le=60)
    # Largest frame width passed on; wider frames are scaled down while decoding (pose runs at 256 px anyway).
    max_width: int = Field(1280, ge=64)
