"""`perfscore run`, the daemon: how takes start and end, how fast pose and `live` run, what a take
without a named performer is recorded as (docs/daemon.md). Publishing itself is `publish:`."""

from pydantic import Field

from .base import ConfigPath, StrictModel

PERFORMER_ID = r"^[A-Za-z0-9_.-]{1,64}$"   # pseudonymous ids only (edge/publish/payloads.py)


class TakesConfig(StrictModel):
    """Takes start and stop by command (`cmd/session/start`, `cmd/session/stop`); with `auto` also by
    themselves: a person in view and/or sound above a level for `start_after_s` starts one,
    `stop_after_s` without either ends it."""

    auto: bool = Field(False, description="Start and stop takes by themselves (besides commands).")
    start_on_person: bool = Field(True, description="With auto: a person in view counts as someone performing.")
    start_level_dbfs: float | None = Field(-40.0, le=0, description="With auto: sound above this level (RMS, "
                                                                    "dBFS) counts as someone performing; null: "
                                                                    "sound never does.")
    start_after_s: float = Field(2.0, gt=0, le=60, description="With auto: seconds of performing before a take "
                                                               "starts.")
    stop_after_s: float = Field(5.0, gt=0, le=600, description="With auto: seconds with neither before the take "
                                                               "ends (end_reason `idle`).")
    watch_pose_fps: float = Field(2.0, gt=0, le=30, description="With auto: pose rate while no take runs "
                                                                "(looking for a person).")
    max_length_s: float = Field(1800.0, gt=0, description="A take ends after this long, however started "
                                                          "(end_reason `max_length`).")


class MetricsConfig(StrictModel):
    """A Prometheus `/metrics` endpoint (edge/publish/metrics.py): fps, drops, live latency, outbox, takes,
    errors, models. Plain HTTP without authentication: keep it on loopback or a trusted network."""

    enabled: bool = Field(False, description="Serve /metrics while the daemon runs.")
    host: str = Field("127.0.0.1", min_length=1, max_length=255,
                      description="Address to listen on (0.0.0.0: every interface).")
    port: int = Field(9464, ge=1, le=65535, description="TCP port of /metrics.")


class RunConfig(StrictModel):
    """The daemon (`perfscore run`)."""

    pose_fps: float | None = Field(None, gt=0, le=120,
                                   description="Pose frames per second during a take; frames above it are skipped "
                                               "evenly and counted. null: every `pose.frame_stride`-th frame, as "
                                               "`analyze` does. Set per device profile (firmware_configs/).")
    live_rate_hz: float = Field(2.0, gt=0, le=30, description="How often the latest window is measured for `live` "
                                                              "(publish.live_max_rate_hz caps what is sent).")
    live_window_s: float = Field(8.0, ge=2, le=60, description="Length of the window `live` measures (seconds).")
    default_performer: str = Field("guest", pattern=PERFORMER_ID,
                                   description="Performer id of a take nobody named (--once without --performer, "
                                               "auto takes before any cmd/performer).")
    default_piece: str = Field("free practice", min_length=1, max_length=128,
                               description="Piece of a take whose piece was not named.")
    references_dir: ConfigPath | None = Field(None, description="Folder of the references a take may name "
                                                                "(`reference` in cmd/session/start): MIDI "
                                                                "files or dance recordings.")
    scorer: ConfigPath | list[ConfigPath] | None = Field(
        None, description="A learned scorer (models/scorer_*.onnx or .tflite, listed in models/manifest.json) "
                          "scoring every take beside the rubric: the session's `learned`. One file is followed "
                          "by its key's int8 TFLite, int8 ONNX and fp32 ONNX files when it is not usable; a "
                          "list is the chain to try in order (edge/model_chain.py). null: the rubric "
                          "only.")
    inference_threads: int = Field(1, ge=1, le=16, description="CPU threads of each ONNX Runtime session and "
                                                               "LiteRT interpreter (learned scorer, note "
                                                               "transcription, coach policy). MediaPipe's pose "
                                                               "has no thread setting: it uses its own pool. "
                                                               "Set per device profile.")
    results_queue: int = Field(4, ge=1, le=64, description="Ended takes waiting to be measured; when full the "
                                                           "next take waits to start.")
    takes: TakesConfig = TakesConfig()
    metrics: MetricsConfig = MetricsConfig()

