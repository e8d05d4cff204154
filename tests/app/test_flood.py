"""10,000 generated bad (and a few good) commands against the running daemon: it answers what it can,
stays up, and answers a good command afterwards. The flood goes at QoS 0 in a tight loop."""

from __future__ import annotations

import json
import signal

import jsonschema
import paho.mqtt.client as mqtt
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.publish.test_commands import bad_payloads, json_values

from .conftest import SCHEMAS, ask

N = 10_000
VERBS = ["session/start", "session/stop", "performer", "mode", "reference", "session", "cmd/x/y", "Mode"]
daemon_requests = st.fixed_dictionaries({}, optional={
    "id": st.one_of(st.text(max_size=140), st.integers(), st.none()),
    "args": st.one_of(json_values, st.fixed_dictionaries({}, optional={
        "performer": st.one_of(st.sampled_from(["p-1", "Jane Doe", "", "x" * 65, "p/1"]), json_values),
        "mode": st.one_of(st.sampled_from(["auto", "manual", "AUTO", ""]), json_values),
        "piece": json_values, "discipline": st.one_of(st.sampled_from(["dance", "music", "opera"]), json_values),
        "reference": st.one_of(st.sampled_from(["../etc/passwd", "minuet.mid", "a" * 200]), json_values),
        "surprise": json_values})),
    "device": st.sampled_from(["demo", "other", 7]),
}).map(lambda v: json.dumps(v).encode())


def generate(n: int) -> list[tuple[str, bytes]]:
    made: list[tuple[str, bytes]] = []

    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(verb=st.sampled_from(VERBS), data=st.one_of(bad_payloads, daemon_requests))
    def collect(verb, data):
        made.append((verb, data))

    collect()
    return [made[i % len(made)] for i in range(n)]    # hypothesis may stop a little short of n


def _commands_seen(sub) -> int:
    healths = sub.on("/health")
    return healths[-1]["mqtt"]["commands"] if healths else 0


def test_ten_thousand_bad_commands_leave_the_daemon_answering(broker, recorders, boxes, tmp_path, long_music):
    payloads = generate(N)
    sub = recorders(broker.port)
    box = boxes(tmp_path, broker.url, f"replay:{long_music}", "--speed", "2")
    box.wait_line("box demo up")
    sub.wait_for(lambda r: r.on("/health"), timeout=20, what="health")

    flood = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    flood.connect("127.0.0.1", broker.port)
    flood.loop_start()
    try:
        for verb, data in payloads:
            flood.publish(f"perfscore/demo/cmd/{verb}", data, qos=0)
        # The box counts every message it took from the broker (health.mqtt.commands).
        sub.wait_for(lambda r: _commands_seen(r) >= N, timeout=90, what=f"the box to read {N} commands")
    finally:
        flood.disconnect()
        flood.loop_stop()

    assert box.proc.poll() is None, "\n".join(box.lines[-20:])
    final = ask(sub, "performer", {"performer": "p-final"}, "after-the-flood")
    assert final["ok"] and final["result"]["performer"] == "p-final"

    # Every request was answered, or its answer was dropped and counted, by the box: paho's queue of
    # unacknowledged messages is bounded, and under a flood the broker's acknowledgements queue up behind the
    # flood itself. (What reaches a subscriber is fewer still: the broker drops for slow subscribers too.)
    def accounted(r) -> bool:
        healths = [h["mqtt"] for h in r.on("/health") if h["mqtt"]["commands"] >= N + 1]
        return bool(healths) and healths[-1]["answered"] + healths[-1]["publish_dropped"] >= N + 1
    sub.wait_for(accounted, timeout=30, what="every command answered or counted as dropped")

    validator = jsonschema.Draft202012Validator(json.loads((SCHEMAS / "command_result.schema.json").read_text()))
    results = [b for t, b, _, _ in sub.messages if t.endswith("/result")]
    errors = 0
    for body in results:
        validator.validate(body)
        errors += not body["ok"]
    assert errors >= (len(results) - 1) * 0.8             # nearly all of it was bad

    box.signal(signal.SIGTERM)
    assert box.wait(60) == 0, "\n".join(box.lines[-20:])
    sub.wait_for(lambda r: r.on("/status")[-1]["state"] == "stopped", what="stopped")
