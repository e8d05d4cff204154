"""The page against the shipped, locked-down Mosquitto (systemd/mosquitto/perfscore.conf + .acl via
tests/broker/secure_broker.py): it logs in as the read-only `display` user from its query string and shows
a box's retained contract payloads; a wrong password shows the broker's refusal, and no box."""

from __future__ import annotations

import json
import time

import paho.mqtt.client as mqtt
import pytest

from edge.config.publish import PublishConfig
from edge.publish import Publisher
from edge.publish.examples import DEVICE, examples
from edge.publish.homeassistant import publish_discovery
from tests.broker.secure_broker import SecureBroker, make_certificates

from .browser import console_errors, page_state, wait_page


@pytest.fixture(scope="module")
def secure(tmp_path_factory):
    folder = tmp_path_factory.mktemp("secure-display")
    users = {DEVICE: "box-pw", "display": "display-pw"}
    users["homeassistant"] = "ha-pw"
    broker = SecureBroker(folder, users, make_certificates(folder / "certs"))    # the shipped ACL, unchanged
    broker.start()
    # The box (user = its device id) leaves its retained status, session and recommendation.
    box = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"seed-{DEVICE}")
    box.username_pw_set(DEVICE, users[DEVICE])
    box.connect("127.0.0.1", broker.port)
    box.loop_start()
    ex = examples()
    for kind in ("status", "session", "recommendation"):
        box.publish(f"perfscore/{DEVICE}/{kind}", json.dumps(ex[kind]), qos=1, retain=True).wait_for_publish(10)
    yield broker, ex
    box.disconnect()
    box.loop_stop()
    broker.stop()


def test_the_display_user_from_the_query_string_sees_the_box(secure, studio):
    broker, ex = secure
    url = studio.server.page(f"ws://127.0.0.1:{broker.ws_port}", username="display", password="display-pw")
    studio.driver.get(url)
    state = wait_page(studio.driver, lambda st: st["boxes"].get(DEVICE, {}).get("next"), what="the box's results")
    box = state["boxes"][DEVICE]
    assert box["overall"] == "74.6" and box["grade"] == ex["session"]["scores"]["grade"]
    assert box["task"] == ex["recommendation"]["task"]["title"] and box["status"] == "Online"
    assert not console_errors(studio.driver)


def test_a_wrong_password_is_said_on_the_page(secure, studio):
    broker, _ = secure
    studio.driver.get(studio.server.page(f"ws://127.0.0.1:{broker.ws_port}", username="display", password="nope"))
    state = wait_page(studio.driver, lambda st: st["connection"] == "offline", what="the refusal")
    assert "Not authorized" in state["connection_text"] or "Bad user name or password" in state["connection_text"], \
        state["connection_text"]
    assert page_state(studio.driver)["boxes"] == {}
    console_errors(studio.driver)     # a refused websocket may log; read and drop it so later tests start clean


def test_the_shipped_acl_lets_the_box_announce_itself_to_home_assistant(secure, tmp_path):
    broker, _ = secure
    creds = tmp_path / "box.credentials"
    creds.write_text(f"{DEVICE}\nbox-pw\n")
    creds.chmod(0o600)
    ha = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="homeassistant")
    ha.username_pw_set("homeassistant", "ha-pw")
    got: dict[str, bytes] = {}
    ha.on_message = lambda c, u, m: got.__setitem__(m.topic, m.payload)
    ha.on_connect = lambda c, u, f, rc, p: c.subscribe([("homeassistant/#", 1), (f"perfscore/{DEVICE}/session", 1)])
    ha.connect("127.0.0.1", broker.port)
    ha.loop_start()
    pub = Publisher(PublishConfig(broker=f"mqtt://127.0.0.1:{broker.port}", credentials_file=creds), DEVICE,
                    state_dir=tmp_path / "state")
    try:
        pub.start()
        assert publish_discovery(pub, "homeassistant") == 8
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and sum(t.startswith("homeassistant/") for t in got) < 8:
            time.sleep(0.05)
    finally:
        pub.stop()
        ha.disconnect()
        ha.loop_stop()
    configs = {t: json.loads(p) for t, p in got.items() if t.startswith("homeassistant/")}
    assert len(configs) == 8 and f"perfscore/{DEVICE}/session" in got     # and it reads the scores
    assert all(c["availability_topic"] == f"perfscore/{DEVICE}/status" for c in configs.values())
