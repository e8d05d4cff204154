"""Commands: every request answered once, errors for anything malformed, and thousands of generated bad
payloads (hypothesis) leave the box alive and answering — directly and through a real broker."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time

import jsonschema
import paho.mqtt.client as mqtt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge import PROJECT_ROOT
from edge.config.publish import PublishConfig
from edge.publish import PERFORMER, Arg, CommandError, Commands, Publisher

RESULT_SCHEMA = jsonschema.Draft202012Validator(
    json.loads((PROJECT_ROOT / "edge" / "schemas" / "command_result.schema.json").read_text()))
MAX_BYTES = 2048
VERBS = ["session/start", "ping", "boom", "nope", "a/b/c", "Session/Start", "x" * 40, "result/x"]
KNOWN = {"session/start", "ping", "boom"}


def register(commands: Commands) -> None:
    def start(args):
        if args["performer"] == "p-busy":
            raise CommandError("a take is already running")
        return {"take_id": "take-1", "performer": args["performer"]}

    commands.register("session/start", start, {"performer": PERFORMER, "piece": Arg(str),
                                               "discipline": Arg(str, choices=("dance", "music")),
                                               "max_s": Arg(float, required=False)})
    commands.register("ping", lambda args: {"pong": True})
    commands.register("boom", lambda args: 1 / 0)     # a handler's bug


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                           max_leaves=12)
request_like = st.fixed_dictionaries({}, optional={
    "id": st.one_of(st.text(max_size=200), st.integers(), st.none(), st.lists(st.text(), max_size=2)),
    "args": st.one_of(json_values, st.fixed_dictionaries({}, optional={
        "performer": st.one_of(st.sampled_from(["p-1", "Anna Müller", "", "p-busy"]), json_values),
        "piece": json_values, "discipline": st.one_of(st.sampled_from(["dance", "music", "opera"]), json_values),
        "max_s": st.one_of(st.booleans(), st.floats(allow_nan=False), st.integers(), st.text(max_size=3)),
        "extra": json_values})),
    "schema": st.sampled_from(["perfscore.command/1", "perfscore.command/2", 3]),
    "device": st.sampled_from(["cmdbox", "other-box", None]),
    "ts": st.one_of(st.text(max_size=30), st.integers()),
    "surprise": json_values,
})
bad_payloads = st.one_of(
    st.binary(max_size=200),                                            # not even text
    json_values.map(lambda v: json.dumps(v).encode()),                  # JSON, but rarely an object
    request_like.map(lambda v: json.dumps(v).encode()),                 # objects with wrong or missing parts
    st.integers(1, 400).map(lambda n: b"[" * n + b"]" * n),             # deep nesting
    st.integers(MAX_BYTES + 1, 3 * MAX_BYTES).map(lambda n: b" " * n),  # oversized
    st.sampled_from([b"NaN", b'{"id": NaN}', b"\xff\xfe{", b"", b'{"id": "a"', b"{}" * 3]),
)


def check_answer(verb: str, data: bytes, result: dict) -> None:
    RESULT_SCHEMA.validate(result)
    assert result["verb"] == verb
    unreadable = object()
    try:
        # The contract's payloads are UTF-8 JSON (RFC 8259 §8.1). json.loads(bytes) would also guess UTF-16
        # or UTF-32 from leading NULs: b"\x000" reads as 0 there, as the box rightly does not.
        request = json.loads(data.decode("utf-8"), parse_constant=lambda c: 1 / 0)   # NaN/Infinity are not JSON
    except (ValueError, ZeroDivisionError, RecursionError):        # UnicodeDecodeError is a ValueError
        request = unreadable
    if isinstance(request, dict) and isinstance(request.get("id"), str) and 0 < len(request["id"]) <= 128 \
            and len(data) <= MAX_BYTES:
        assert result["request_id"] == request["id"]
    if result["ok"]:
        assert verb in {"session/start", "ping"} and isinstance(request, dict) and len(data) <= MAX_BYTES
        if verb == "session/start":
            assert request["args"]["performer"] not in ("Anna Müller", "p-busy")
    else:
        code = result["error"]["code"]
        if len(data) > MAX_BYTES:
            assert code == "too_large"
        elif request is unreadable:
            assert code == "bad_json"
        elif verb not in KNOWN:
            assert code in ("unknown_verb", "bad_request")
        elif verb == "boom" and code == "internal":
            assert "log" in result["error"]["message"]


@settings(max_examples=2000, deadline=None, database=None)
@given(verb=st.sampled_from(VERBS), data=bad_payloads)
def test_any_payload_gets_one_well_formed_answer(verb, data):
    commands = Commands("cmdbox", max_bytes=MAX_BYTES)
    register(commands)
    check_answer(verb, data, commands.handle(verb, data))


def test_known_answers():
    commands = Commands("cmdbox", max_bytes=MAX_BYTES)
    register(commands)

    def ask(verb, body):
        return commands.handle(verb, json.dumps(body).encode())

    ok = ask("session/start", {"id": "r1", "args": {"performer": "p-7", "piece": "minuet", "discipline": "music"}})
    assert ok["ok"] and ok["request_id"] == "r1" and ok["result"] == {"take_id": "take-1", "performer": "p-7"}
    named = ask("session/start", {"id": "r2", "args": {"performer": "Anna Müller", "piece": "m", "discipline": "music"}})
    assert named["error"]["code"] == "bad_request" and "performer" in named["error"]["message"]
    assert "Anna" in named["error"]["message"]   # echoed only to the requester's result, never published elsewhere
    busy = ask("session/start", {"id": "r3", "args": {"performer": "p-busy", "piece": "m", "discipline": "dance"}})
    assert busy["error"] == {"code": "refused", "message": "a take is already running"}
    typed = ask("session/start", {"args": {"performer": "p-1", "piece": "m", "discipline": "dance", "max_s": True}})
    assert typed["error"]["code"] == "bad_request" and "max_s: expected number, got boolean" in typed["error"]["message"]
    assert ask("session/start", {"args": {"performer": "p-1", "piece": "m", "discipline": "dance", "max_s": 30}})["ok"]
    missing = ask("session/start", {"args": {"performer": "p-1"}})
    assert missing["error"]["message"] == "args.piece: required"
    unknown = ask("dance/now", {"id": "r4"})
    assert unknown["error"]["code"] == "unknown_verb" and "ping" in unknown["error"]["message"]
    other = ask("ping", {"device": "other-box"})
    assert other["error"]["code"] == "bad_request" and "another box" in other["error"]["message"]
    assert ask("boom", {"id": "r5"})["error"]["code"] == "internal"
    assert commands.handle("ping", b"x" * (MAX_BYTES + 1))["error"]["code"] == "too_large"
    # UTF-8 only: a NUL before "0" is not the number 0 (json.loads(bytes) would read it as UTF-16)
    assert commands.handle("nope", b"\x000")["error"]["code"] == "bad_json"
    assert commands.handle("ping", '{"id": "r6"}'.encode("utf-16"))["error"]["code"] == "bad_json"
    with pytest.raises(ValueError, match="command verb"):
        commands.register("Bad Verb", lambda a: None)


# ---- through a real broker -------------------------------------------------------------------------

class Requester:
    """An MQTT 5 client that sends a command with correlation data and waits for its result."""

    def __init__(self, port: int):
        self.results: dict[bytes, list] = {}
        self.cond = threading.Condition()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        self.client.on_socket_open = lambda c, u, sock: sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.client.subscribe([("perfscore/cmdbox/cmd/#", 1), ("replies/#", 1)])
        assert subscribed.wait(5)
        self.counter = itertools.count()

    def _on_message(self, client, userdata, msg):
        if not msg.topic.endswith("/result") and not msg.topic.startswith("replies/"):
            return   # our own requests
        corr = getattr(msg.properties, "CorrelationData", None)
        with self.cond:
            self.results.setdefault(corr, []).append((msg.topic, json.loads(msg.payload)))
            self.cond.notify_all()

    def ask(self, verb: str, data: bytes, response_topic: str | None = None, expect: int = 1, timeout: float = 5):
        corr = str(next(self.counter)).encode()
        props = Properties(PacketTypes.PUBLISH)
        props.CorrelationData = corr
        if response_topic:
            props.ResponseTopic = response_topic
        self.client.publish(f"perfscore/cmdbox/cmd/{verb}", data, qos=1, properties=props)
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.results.get(corr, [])) >= expect, timeout), \
                f"no answer to {verb} {data[:80]!r}"
            return self.results[corr]

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture(scope="module")
def box(broker, tmp_path_factory):
    pub = Publisher(PublishConfig(broker=broker.url, max_command_bytes=MAX_BYTES), "cmdbox",
                    state_dir=tmp_path_factory.mktemp("cmdbox"))
    register(pub.commands)
    pub.start()
    requester = Requester(broker.port)
    # The box connects and subscribes in the background: a ping sent before that is lost, so ask until
    # one is answered.
    deadline = time.monotonic() + 30
    while True:
        try:
            requester.ask("ping", b"{}", timeout=1)
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
    yield pub, requester
    requester.close()
    pub.stop()


@settings(max_examples=1000, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(verb=st.sampled_from(VERBS), data=bad_payloads)
def test_generated_bad_payloads_over_mqtt_each_get_an_answer(box, verb, data):
    pub, requester = box
    [(topic, result)] = requester.ask(verb, data)
    assert topic == f"perfscore/cmdbox/cmd/{verb}/result"
    check_answer(verb, data, result)


def test_alive_and_answering_after_the_flood(box):
    pub, requester = box
    answers = requester.ask("session/start", json.dumps(
        {"id": "after-flood", "args": {"performer": "p-9", "piece": "gigue", "discipline": "music"}}).encode(),
        response_topic="replies/me", expect=2)
    by_topic = dict(answers)
    assert set(by_topic) == {"perfscore/cmdbox/cmd/session/start/result", "replies/me"}   # MQTT 5 response topic too
    for result in by_topic.values():
        assert result["ok"] and result["request_id"] == "after-flood" and result["result"]["take_id"] == "take-1"
    counters = pub.communicator.counters()
    assert pub.connected and counters["connects"] == 1 and counters["commands"] >= 1000
    assert pub.commands.counts["errors"] >= 500
