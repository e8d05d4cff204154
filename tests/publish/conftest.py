"""Fixtures: a real Mosquitto broker per test module, and a paho subscriber that records what arrives."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from .broker import MOSQUITTO, Broker

if not Path(MOSQUITTO).exists():   # scripts/bootstrap installs it with the dev extra
    pytest.skip(f"{MOSQUITTO} not installed (apt-get install mosquitto)", allow_module_level=True)


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = Broker(tmp_path_factory.mktemp("mosquitto")).start()
    yield b
    b.stop()


class Recorder:
    """A subscriber (MQTT 5) that keeps every message: (topic, decoded JSON or raw text, retain, properties)."""

    def __init__(self, port: int, topic: str, client_id: str | None = None, clean: bool = True):
        self.messages: list[tuple[str, object, bool, object]] = []
        self.cond = threading.Condition()
        self.topic = topic
        kwargs = {"protocol": mqtt.MQTTv311, "clean_session": clean} if client_id else {"protocol": mqtt.MQTTv5}
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or "", **kwargs)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.on_message = self._on_message
        self.subscribed = threading.Event()
        self.client.on_subscribe = lambda c, u, mid, codes, p: self.subscribed.set()
        self.client.reconnect_delay_set(1, 1)
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        assert self.subscribed.wait(10), f"subscriber could not subscribe to {topic}"

    def _on_message(self, client, userdata, msg):
        try:
            body = json.loads(msg.payload)
        except ValueError:
            body = msg.payload.decode("utf-8", "replace")
        with self.cond:
            self.messages.append((msg.topic, body, msg.retain, getattr(msg, "properties", None)))
            self.cond.notify_all()

    def on(self, topic_suffix: str) -> list:
        with self.cond:
            return [body for topic, body, _, _ in self.messages if topic.endswith(topic_suffix)]

    def wait_for(self, predicate, timeout: float = 10.0, what: str = "messages"):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; got {[(t, b) for t, b, _, _ in self.messages][-5:]}")
                self.cond.wait(left)

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def recorder(broker):
    made = []

    def make(topic: str = "perfscore/#", **kwargs) -> Recorder:
        r = Recorder(broker.port, topic, **kwargs)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()
