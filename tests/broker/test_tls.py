"""The box's own connection code over the broker's TLS listener: edge/publish (PublishConfig →
connection.load_credentials / check_tls_files → MqttCommunicator) with a CA and a credentials file the
test makes, exactly as a deployed box is configured (docs/deployment.md)."""

from __future__ import annotations

import json
import ssl
import time

import pytest

from edge.config.publish import PublishConfig
from edge.errors import ConfigError
from edge.publish.publisher import Publisher

from .conftest import USERS
from .secure_broker import make_certificates


def _credentials(folder, user: str, password: str):
    path = folder / "mqtt.credentials"
    path.write_text(f"{user}\n{password}\n")
    path.chmod(0o600)
    return path


def _publisher(secure_broker, tmp_path, ca_file, user="box1", password=None) -> Publisher:
    config = PublishConfig(broker=f"mqtts://127.0.0.1:{secure_broker.tls_port}", ca_file=ca_file,
                           credentials_file=_credentials(tmp_path, user, password or USERS[user]),
                           reconnect_min_s=1, reconnect_max_s=1, state_dir=tmp_path / "state")
    return Publisher(config, user, state_dir=tmp_path / "state")


def _wait(predicate, timeout=10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_the_box_works_over_tls_with_the_ca_it_is_given(secure_broker, certs, client, tmp_path):
    controller = client("controller")
    controller.subscribe("perfscore/#")
    pub = _publisher(secure_broker, tmp_path, certs["ca.crt"])
    pub.commands.register("ping", lambda args: {"pong": True})
    pub.start()
    try:
        assert _wait(lambda: pub.connected), (tmp_path / "x", secure_broker.log.read_text()[-1500:])
        assert controller.wait_for("perfscore/box1/status")                     # birth, over TLS
        # A result the box must deliver (outbox first, QoS 1) …
        seq = pub.communicator.deliver("perfscore/box1/session", {"id": "s-1", "overall": 80}, retain=True)
        assert seq and json.loads(controller.wait_for("perfscore/box1/session"))["id"] == "s-1"
        assert pub.wait_delivered(10)
        # … and a command it reads over the same TLS connection, answered under its own prefix.
        controller.publish("perfscore/box1/cmd/ping", json.dumps({"id": "req-7"}))
        answer = json.loads(controller.wait_for("perfscore/box1/cmd/ping/result"))
        assert answer["ok"] is True and answer["request_id"] == "req-7" and answer["result"] == {"pong": True}
    finally:
        pub.stop()


def test_a_broker_certificate_from_another_ca_is_refused(secure_broker, client, tmp_path):
    stranger = make_certificates(tmp_path / "other-ca")
    pub = _publisher(secure_broker, tmp_path, stranger["ca.crt"])
    pub.start()
    try:
        assert not _wait(lambda: pub.connected, timeout=3)
        # A client trusting that CA fails at the handshake: the refusal is TLS verification, nothing else.
        with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
            client("box1", port=secure_broker.tls_port, ca_file=stranger["ca.crt"], timeout=3)
    finally:
        pub.stop()


def test_a_wrong_password_over_tls_is_refused(secure_broker, certs, tmp_path):
    pub = _publisher(secure_broker, tmp_path, certs["ca.crt"], password="not-it")
    pub.start()
    try:
        assert not _wait(lambda: pub.connected, timeout=3)
        assert pub.communicator.counters()["connects"] == 0
    finally:
        pub.stop()


def test_a_missing_ca_file_is_a_config_error_naming_it(secure_broker, tmp_path):
    with pytest.raises(ConfigError, match="nowhere/ca.crt: TLS file not found"):
        _publisher(secure_broker, tmp_path, tmp_path / "nowhere" / "ca.crt")
