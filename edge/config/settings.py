"""The whole configuration every subcommand reads. Sections map one-to-one to top-level YAML keys."""

from .base import StrictModel
from .capture import CaptureConfig
from .coach import CoachConfig
from .daemon import RunConfig
from .device import DeviceConfig
from .features import AudioConfig, PoseConfig, ReferenceConfig, RhythmConfig
from .publish import PublishConfig
from .scoring import ScoringConfig


class Settings(StrictModel):
    device: DeviceConfig = DeviceConfig()
    capture: CaptureConfig = CaptureConfig()
    pose: PoseConfig = PoseConfig()
    audio: AudioConfig = AudioConfig()
    rhythm: RhythmConfig = RhythmConfig()
    reference: ReferenceConfig = ReferenceConfig()
    scoring: ScoringConfig = ScoringConfig()
    coach: CoachConfig = CoachConfig()
    publish: PublishConfig = PublishConfig()
    run: RunConfig = RunConfig()
