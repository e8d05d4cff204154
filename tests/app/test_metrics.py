"""The Prometheus exporter on its own (edge/publish/metrics.py): off by default, strict config, a clear
error for a busy port, and ERROR log lines counted by the part of the box that logged them. The daemon's
figures while it runs are scraped in tests/display/test_metrics_live.py."""

from __future__ import annotations

import logging
import socket
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from edge.app import App
from edge.config import Settings
from edge.errors import ConfigError
from edge.publish.metrics import MetricsExporter
from tests.publish.broker import free_port

from .conftest import MUSIC


def _scrape(exporter) -> dict:
    host, port = exporter.address
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


def test_off_by_default_and_strict():
    assert Settings().run.metrics.enabled is False
    with pytest.raises(ValidationError, match="path"):
        Settings.model_validate({"run": {"metrics": {"enabled": True, "path": "/m"}}})
    with pytest.raises(ValidationError):
        Settings.model_validate({"run": {"metrics": {"port": 70000}}})


def test_errors_are_counted_by_kind_and_a_busy_port_is_named(tmp_path):
    app = App(Settings(), f"replay:{MUSIC}", device="t1", state_dir=tmp_path)   # not started: no source, no broker
    exporter = MetricsExporter.start(app, "127.0.0.1", free_port())
    try:
        before = _scrape(exporter)
        assert before[("perfscore_frames_captured_total", ())] == 0
        assert before[("perfscore_models_loaded", ())] >= 3             # pose, transcription, rubric: on disk

        def _live_loop():                                            # logs as the daemon's live thread would
            logging.getLogger("perfscore.run").error("live window failed")

        _live_loop()
        logging.getLogger("edge.publish.mqtt").error("a command message could not be answered")
        logging.getLogger("perfscore.run").warning("not an error")
        after = _scrape(exporter)
        assert after[("perfscore_errors_total", (("kind", "live"),))] == 1
        assert after[("perfscore_errors_total", (("kind", "mqtt"),))] == 1    # by its logger, outside the map
        assert sum(v for k, v in after.items() if k[0] == "perfscore_errors_total") == 2

        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            with pytest.raises(ConfigError, match=rf"run.metrics: cannot serve /metrics on 127.0.0.1:{port}"):
                MetricsExporter.start(app, "127.0.0.1", port)
    finally:
        exporter.stop()
    logging.getLogger("perfscore.run").error("after stop")                   # the handler is gone
    assert exporter.errors.labels(kind="run")._value.get() == 0
