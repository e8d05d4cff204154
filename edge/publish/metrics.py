"""Prometheus `/metrics` for the daemon (run.metrics; off by default): the figures of `health`, scrapeable.

    exporter = MetricsExporter.start(app, host, port)   # its own registry and HTTP thread
    exporter.live_latency.observe(seconds)              # the live thread, per `live` message sent
    exporter.take_ended(reason)                         # the pipeline thread, per take
    exporter.stop()

Most figures are read from the App when Prometheus scrapes (a collector), so nothing on the capture or pose
path does extra work. Errors are counted by a logging handler on the daemon's loggers: every ERROR the box
logs is one `perfscore_errors_total{kind}`, kind naming the part of the box that failed.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from ..errors import ConfigError

log = logging.getLogger(__name__)

# `live` latency (capture to publish) is a few hundred ms on a Pi; seconds mean an overloaded box.
LATENCY_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
# Which part of the box an ERROR log line comes from (the function that logged it) -> kind.
ERROR_KINDS = {"_pipeline_loop": "source", "_live_loop": "live", "_results_loop": "take", "_publish_take": "take",
               "_health_loop": "health", "_models": "models", "_shutdown_services": "shutdown",
               "_record_acks": "mqtt_refused", "_drain_loop": "outbox", "_on_connect": "mqtt_connect",
               "_on_message": "command", "stop": "mqtt"}
WATCHED_LOGGERS = ("perfscore.run", "edge.publish")


class _ErrorCounter(logging.Handler):
    def __init__(self, counter: Counter):
        super().__init__(level=logging.ERROR)
        self.counter = counter

    def emit(self, record: logging.LogRecord) -> None:
        self.counter.labels(kind=ERROR_KINDS.get(record.funcName, record.name.rsplit(".", 1)[-1])).inc()


class _AppCollector:
    """Reads the App's counters and `health` figures at scrape time."""

    def __init__(self, app):
        self.app = app
        self.state: dict = {}          # health_figures' counters between scrapes (fps since the last scrape)

    def describe(self):
        return []                      # dynamic: registered without checking names up front

    def collect(self):
        app = self.app
        try:
            f = app.health_figures(self.state)
        except Exception:             # a scrape must never take the box down
            log.exception("metrics: health figures")
            return
        cap, pose = f["capture"], f["pose"]
        yield _counter("perfscore_frames_captured", "Video frames captured.", cap["frames"])
        yield _counter("perfscore_audio_chunks_captured", "Audio chunks captured.", cap["audio_chunks"])
        yield _counter("perfscore_frames_posed", "Frames the pose model ran on.", pose["frames"])
        yield _counter("perfscore_frames_skipped", "Frames skipped by plan (above run.pose_fps).",
                       pose["frames_skipped"])
        dropped = CounterMetricFamily("perfscore_capture_dropped", "Captured items dropped because the box "
                                      "was behind (bounded capture buffer).", labels=["stream"])
        dropped.add_metric(["video"], cap["frames_dropped"])
        dropped.add_metric(["audio"], cap["audio_chunks_dropped"])
        yield dropped
        fps = GaugeMetricFamily("perfscore_fps", "Frames per second since the previous scrape.", labels=["stage"])
        for stage, value in (("capture", cap["fps"]), ("pose", pose["fps"])):
            if value is not None:
                fps.add_metric([stage], value)
        yield fps
        yield _gauge("perfscore_pose_target_fps", "run.pose_fps (0: every pose.frame_stride-th frame).",
                     pose["target_fps"] or 0)
        queues = GaugeMetricFamily("perfscore_queue_depth", "Items waiting in the box's queues.", labels=["queue"])
        for name, depth in f["queues"].items():
            queues.add_metric([name], depth)
        yield queues
        yield _counter("perfscore_live_sent", "`live` windows measured and handed to the publisher.",
                       app.live_sent)
        for name, value, what in (("cpu_percent", f["cpu_percent"], "CPU use of the process since the last scrape "
                                   "(100 = one core)."), ("temperature_celsius", f["temperature_c"], "SoC temperature."),
                                  ("resident_memory_bytes", f["rss_bytes"], "Resident set size.")):
            if value is not None:
                yield _gauge(f"perfscore_{name}", what, value)
        models = GaugeMetricFamily("perfscore_model_info", "Models the box loaded (1 each).",
                                   labels=["name", "backend", "precision", "sha256"])
        for m in f["models"]:
            models.add_metric([m["name"], m["backend"] or "", m["precision"] or "", m["sha256"] or ""], 1)
        yield models
        yield _gauge("perfscore_models_loaded", "How many models the box loaded.", len(f["models"]))
        yield from self._publisher()

    def _publisher(self):
        pub = self.app.publisher
        if pub is None:
            return
        try:
            stats = pub.outbox.stats()
            counts = pub.communicator.counters()
        except Exception:             # the outbox is closed while the box stops
            return
        yield _gauge("perfscore_outbox_depth", "Results waiting on disk for the broker.", stats.depth)
        yield _gauge("perfscore_outbox_bytes", "Bytes the outbox uses.", stats.bytes)
        yield _gauge("perfscore_outbox_free_bytes", "Bytes left in the outbox quota.", stats.free_bytes)
        if stats.oldest_age_s is not None:
            yield _gauge("perfscore_outbox_oldest_age_seconds", "Age of the oldest waiting result.",
                         stats.oldest_age_s)
        yield _gauge("perfscore_mqtt_connected", "1 while connected to the broker.", int(bool(counts["connected"])))
        yield _gauge("perfscore_accepting_takes", "1 while the outbox has room for another take.",
                     int(pub.accepting_takes()))
        mqtt = CounterMetricFamily("perfscore_mqtt_events", "MQTT client events (publish.mqtt in `health`).",
                                   labels=["event"])
        for name, value in counts.items():
            if isinstance(value, int) and not isinstance(value, bool):
                mqtt.add_metric([name], value)
        yield mqtt


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


class MetricsExporter:
    def __init__(self, app, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        self.live_latency = Histogram("perfscore_live_latency_seconds", "From capture of a window's last frame "
                                      "or chunk to its `live` message.", buckets=LATENCY_BUCKETS,
                                      registry=self.registry)
        self.takes = Counter("perfscore_takes", "Takes that ended, by end reason.", ["reason"],
                             registry=self.registry)
        self.errors = Counter("perfscore_errors", "ERROR lines the box logged, by the part that failed.", ["kind"],
                              registry=self.registry)
        self.registry.register(_AppCollector(app))
        self._handler = _ErrorCounter(self.errors)
        self._server = self._thread = None
        self.address: tuple[str, int] | None = None

    @classmethod
    def start(cls, app, host: str, port: int) -> "MetricsExporter":
        exporter = cls(app)
        try:
            exporter._server, exporter._thread = start_http_server(port, host, registry=exporter.registry)
        except OSError as exc:
            raise ConfigError(f"run.metrics: cannot serve /metrics on {host}:{port} ({exc.strerror or exc})") from None
        exporter.address = exporter._server.server_address[:2]
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).addHandler(exporter._handler)
        log.info("Prometheus metrics on http://%s:%d/metrics", host, port)
        return exporter

    def take_ended(self, reason: str) -> None:
        self.takes.labels(reason=reason).inc()

    def stop(self) -> None:
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).removeHandler(self._handler)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def start_metrics(app, config: Any) -> MetricsExporter | None:
    """The exporter for run.metrics, or None when it is off."""
    if not config.enabled:
        return None
    return MetricsExporter.start(app, config.host, config.port)
