"""A locked-down broker per test module (systemd/mosquitto/perfscore.conf + .acl) and paho clients."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from .secure_broker import MOSQUITTO, MOSQUITTO_PASSWD, SecureBroker, make_certificates

for tool in (MOSQUITTO, MOSQUITTO_PASSWD):
    if not Path(tool).exists():   # scripts/bootstrap installs mosquitto + mosquitto-clients with the dev extra
        pytest.skip(f"{tool} not installed (apt-get install mosquitto mosquitto-clients)", allow_module_level=True)
if shutil.which("openssl") is None:
    pytest.skip("the openssl command is not installed (apt-get install openssl)", allow_module_level=True)

USERS = {"box1": "pw-box1", "box2": "pw-box2", "display": "pw-display", "controller": "pw-controller",
         "homeassistant": "pw-homeassistant"}


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory, certs):
    b = SecureBroker(tmp_path_factory.mktemp("mosquitto"), USERS, certs).start()
    yield b
    b.stop()


class Client:
    """A paho client (MQTT 5, VERSION2 callbacks) that records the CONNACK and every message it receives."""

    def __init__(self, port: int, username: str | None = None, password: str | None = None, *,
                 ca_file: Path | None = None, transport: str = "tcp", timeout: float = 10.0):
        self.messages: list[tuple[str, bytes]] = []
        self.cond = threading.Condition()
        self.connack = threading.Event()
        self.reason = None
        self.acks: dict[int, object] = {}
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, transport=transport)
        if username is not None:
            self.c.username_pw_set(username, password)
        if ca_file is not None:
            self.c.tls_set(ca_certs=str(ca_file))
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.c.on_subscribe = lambda c, u, mid, codes, p: self._ack(mid, codes)
        self.c.on_publish = lambda c, u, mid, code, p: self._ack(mid, code)
        self.c.connect("127.0.0.1", port, keepalive=10)
        self.c.loop_start()
        self.connack.wait(timeout)

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.reason = reason_code
        self.connack.set()
        if reason_code.is_failure:
            client.disconnect()     # no reconnection attempts: the test reads the refusal

    def _on_message(self, client, userdata, msg):
        with self.cond:
            self.messages.append((msg.topic, msg.payload))
            self.cond.notify_all()

    def _ack(self, mid, codes):
        with self.cond:
            self.acks[mid] = codes
            self.cond.notify_all()

    @property
    def connected(self) -> bool:
        return self.reason is not None and not self.reason.is_failure

    def wait_ack(self, mid: int, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while mid not in self.acks:
                left = deadline - time.monotonic()
                assert left > 0, f"no acknowledgement for message {mid}"
                self.cond.wait(left)
            return self.acks[mid]

    def subscribe(self, topic: str):
        """Subscribe and return the granted reason codes (a refused filter is still 'granted' by 2.0.11)."""
        result, mid = self.c.subscribe(topic, qos=1)
        assert result == mqtt.MQTT_ERR_SUCCESS
        return self.wait_ack(mid)

    def publish(self, topic: str, payload: bytes | str, qos: int = 1):
        info = self.c.publish(topic, payload, qos=qos)
        return self.wait_ack(info.mid) if qos else None

    def got(self, topic: str) -> list[bytes]:
        with self.cond:
            return [p for t, p in self.messages if t == topic]

    def wait_for(self, topic: str, timeout: float = 10.0) -> bytes:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not any(t == topic for t, _ in self.messages):
                left = deadline - time.monotonic()
                assert left > 0, f"nothing arrived on {topic}; got {self.messages[-5:]}"
                self.cond.wait(left)
            return next(p for t, p in self.messages if t == topic)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


@pytest.fixture
def client(secure_broker):
    made: list[Client] = []

    def make(username: str | None = None, password: str | None = None, *, port: int | None = None, **kw) -> Client:
        if password is None and username in USERS:
            password = USERS[username]
        c = Client(port or secure_broker.port, username, password, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
