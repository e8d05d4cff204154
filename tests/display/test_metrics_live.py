"""Prometheus /metrics scraped while a real daemon replays a take (run.metrics.enabled; conftest.py scrapes
every 0.3 s): the counters move with the take, the histogram fills, the take is counted once it ends."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict:
    """(sample name, sorted labels) -> value."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_move_while_the_daemon_runs(take_run):
    scrapes = [samples(text) for _, text in take_run.scrapes]
    assert len(scrapes) >= 10, f"only {len(scrapes)} scrapes during the run"
    first, last = scrapes[0], scrapes[-1]
    frames = [s[("perfscore_frames_captured_total", ())] for s in scrapes]
    assert frames == sorted(frames) and frames[-1] > frames[0] > -1 and frames[-1] >= 250   # 11 s at 30 fps
    posed = [s[("perfscore_frames_posed_total", ())] for s in scrapes]
    assert posed[-1] > posed[0]
    assert max(s.get(("perfscore_fps", (("stage", "capture"),)), 0) for s in scrapes) > 10
    # Drops (a busy machine drops a few frames): a counter, and what `health` reported is no more than it.
    dropped = [s[("perfscore_capture_dropped_total", (("stream", "video"),))] for s in scrapes]
    assert dropped == sorted(dropped)
    health = take_run.sub.on("perfscore/demo/health")
    assert health and max(h["capture"]["frames_dropped"] for h in health) <= dropped[-1]
    # The live latency histogram: one observation per live message the daemon sent.
    count = [s.get(("perfscore_live_latency_seconds_count", ()), 0) for s in scrapes]
    assert count[0] < count[-1] and count[-1] == last[("perfscore_live_sent_total", ())]
    assert 0 < last[("perfscore_live_latency_seconds_sum", ())] / count[-1] < 10
    assert last[("perfscore_live_latency_seconds_bucket", (("le", "+Inf"),))] == count[-1]
    # The take, counted when it ended (the source ended: --once), and nothing before it.
    assert ("perfscore_takes_total", (("reason", "source_ended"),)) not in first
    assert last[("perfscore_takes_total", (("reason", "source_ended"),))] == 1
    # Models: the ones the box loaded, with their sha256.
    names = {dict(k[1])["name"]: dict(k[1]) for k in last if k[0] == "perfscore_model_info"}
    assert {"pose_landmarker_full.task", "rubric"} <= set(names)
    assert len(names["pose_landmarker_full.task"]["sha256"]) == 64
    assert last[("perfscore_models_loaded", ())] == len(names)
    # The outbox and the broker connection (the very last scrapes may fall while the box shuts them down).
    connected = [s for s in scrapes if s.get(("perfscore_mqtt_connected", ())) == 1]
    assert len(connected) >= len(scrapes) - 3
    assert all(("perfscore_outbox_depth", ()) in s and ("perfscore_outbox_free_bytes", ()) in s for s in connected)
    assert not [k for k in last if k[0] == "perfscore_errors_total" and last[k] > 0]
    box_errors = [line for line in take_run.box.lines if line.startswith("ERROR")]
    assert not box_errors, box_errors
