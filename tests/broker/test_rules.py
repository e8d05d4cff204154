"""Every rule of the shipped broker configuration (systemd/mosquitto/perfscore.conf + perfscore.acl),
proved against a real Mosquitto 2.0.11 with real paho clients.

A refused PUBLISH is dropped silently by Mosquitto (the publisher even gets its PUBACK). To prove a message
was *not* delivered, a marker is published after the refused message has been acknowledged (so the broker
has already routed — or dropped — it): once the marker arrives, anything routed before it would have too.
"""

from __future__ import annotations

import json
import socket

import paho.mqtt.client as mqtt
import psutil
import pytest

from .conftest import USERS


def _marker(controller, topic="perfscore/box1/cmd/marker") -> None:
    """Publish a marker as the controller and wait until the controller's own subscription gets it."""
    controller.publish(topic, b"marker")
    controller.wait_for(topic)


def _watcher(client):
    """The controller, allowed to read everything, subscribed to everything."""
    c = client("controller")
    assert c.connected, c.reason
    c.subscribe("perfscore/#")
    return c


# --- who gets in ----------------------------------------------------------------------------------------
def test_anonymous_is_refused_on_every_listener(client, secure_broker, certs):
    plain = client()
    tls = client(port=secure_broker.tls_port, ca_file=certs["ca.crt"])
    ws = client(port=secure_broker.ws_port, transport="websockets")
    for c in (plain, tls, ws):
        assert c.reason is not None and c.reason.is_failure and not c.connected
        assert c.reason.getName() in ("Not authorized", "Bad user name or password"), c.reason


def test_wrong_password_and_unknown_user_are_refused(client):
    wrong = client("box1", "pw-box2")
    stranger = client("mallory", "pw-box1")
    for c in (wrong, stranger):
        assert c.reason is not None and c.reason.is_failure, c.reason
    assert client("box1").connected          # the right password does get in (the refusals mean something)


# --- displays read, never write --------------------------------------------------------------------------
def test_a_display_cannot_publish_a_command_or_anything_else(client):
    watcher = _watcher(client)
    display = client("display")
    assert display.connected
    for topic in ("perfscore/box1/cmd/session/start", "perfscore/box1/session", "perfscore/display/live",
                  "perfscore/display/cmd/x", "elsewhere/topic"):
        display.publish(topic, json.dumps({"performer": "p-1"}))
    _marker(watcher)
    assert [t for t, _ in watcher.messages] == ["perfscore/box1/cmd/marker"]


def test_a_display_reads_what_boxes_publish_but_not_their_commands(client):
    display = client("display")
    display.subscribe("perfscore/#")
    box1 = client("box1")
    box1.publish("perfscore/box1/session", b'{"overall": 71}')
    assert display.wait_for("perfscore/box1/session") == b'{"overall": 71}'
    controller = client("controller")
    controller.publish("perfscore/box1/cmd/session/stop", b"{}")   # acknowledged, so already routed …
    box1.publish("perfscore/box1/live", b"after")                   # … before this marker
    display.wait_for("perfscore/box1/live")
    assert "perfscore/box1/cmd/session/stop" not in [t for t, _ in display.messages]


def test_a_display_reads_over_websockets(client, secure_broker):
    display = client("display", port=secure_broker.ws_port, transport="websockets")
    assert display.connected, display.reason
    display.subscribe("perfscore/+/status")
    client("box2").publish("perfscore/box2/status", b"online")
    assert display.wait_for("perfscore/box2/status") == b"online"


# --- boxes stay in their own subtree ----------------------------------------------------------------------
def test_a_box_cannot_publish_under_another_box_id(client):
    watcher = _watcher(client)
    box1 = client("box1")
    for topic in ("perfscore/box2/session", "perfscore/box2/status", "perfscore/box2/cmd/session/start",
                  "perfscore/box10/session", "perfscore/box1x/session", "other/box1/session"):
        box1.publish(topic, b"forged")
    box1.publish("perfscore/box1/session", b"mine")          # its own subtree: delivered
    assert watcher.wait_for("perfscore/box1/session") == b"mine"
    _marker(watcher)
    assert sorted(t for t, _ in watcher.messages) == ["perfscore/box1/cmd/marker", "perfscore/box1/session"]


def test_a_box_announces_only_itself_to_home_assistant_and_no_one_else_announces(client):
    """The shipped ACL, unchanged, carries Home Assistant discovery: box1 writes its own sensor configs
    (homeassistant/sensor/box1/…), not another box's nor outside the sensor tree; displays, the controller
    and Home Assistant itself write none; Home Assistant reads them and the boxes' retained topics."""
    ha = client("homeassistant")
    assert ha.connected, ha.reason
    ha.subscribe("homeassistant/#")
    ha.subscribe("perfscore/+/session")
    box1 = client("box1")
    for topic in ("homeassistant/sensor/box2/overall/config", "homeassistant/sensor/box10/overall/config",
                  "homeassistant/sensor/box1x/overall/config", "homeassistant/binary_sensor/box1/x/config",
                  "homeassistant/sensor/box1_overall/config"):
        box1.publish(topic, b"forged")
    for name in ("display", "controller", "homeassistant"):
        client(name).publish(f"homeassistant/sensor/{name}/overall/config", b"forged")
    box1.publish("perfscore/box1/session", b'{"overall": 70}')
    box1.publish("homeassistant/sensor/box1/overall/config", b"mine")     # published last: the marker
    assert ha.wait_for("homeassistant/sensor/box1/overall/config") == b"mine"
    assert ha.wait_for("perfscore/box1/session") == b'{"overall": 70}'
    assert sorted(t for t, _ in ha.messages) == ["homeassistant/sensor/box1/overall/config", "perfscore/box1/session"]


def test_a_box_reads_only_its_own_commands(client):
    box1 = client("box1")
    for topic in ("perfscore/box1/cmd/#", "perfscore/box2/cmd/#", "perfscore/#", "#"):
        box1.subscribe(topic)        # 2.0.11 grants the subscription, then filters every message by the ACL
    controller = client("controller")
    client("box2").publish("perfscore/box2/session", b"box2's result")
    controller.publish("perfscore/box2/cmd/session/start", b'{"performer": "p-2"}')
    controller.publish("perfscore/box1/cmd/session/start", b'{"performer": "p-1"}')
    # box1's own command was published last (after the others were acknowledged): it is the marker.
    assert box1.wait_for("perfscore/box1/cmd/session/start") == b'{"performer": "p-1"}'
    assert {t for t, _ in box1.messages} == {"perfscore/box1/cmd/session/start"}


def test_a_user_name_with_wildcards_gets_nothing(client, secure_broker, tmp_path):
    """Mosquitto denies every topic to a user whose name holds + or # when %u patterns are in use; a
    box id never does (edge/publish/topics.py), so a '+' user can never widen a pattern."""
    from edge.publish.topics import TopicError, check_device_id

    with pytest.raises(TopicError):
        check_device_id("box+")


# --- the network surface -----------------------------------------------------------------------------------
def _routable_ipv4() -> str | None:
    for addrs in psutil.net_if_addrs().values():
        for a in addrs:
            if a.family == socket.AF_INET and not a.address.startswith("127."):
                return a.address
    return None


def test_lo_listeners_are_not_reachable_from_the_network(secure_broker):
    """`listener PORT lo` binds loopback only — also for the websockets listener, which ignores a bind
    *address* in 2.0.11 (the config says so)."""
    address = _routable_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    for port in (secure_broker.port, secure_broker.ws_port):
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=1).close()
        socket.create_connection(("127.0.0.1", port), timeout=1).close()   # but loopback does answer


def test_a_websockets_listener_ignores_its_bind_address(tmp_path):
    """What the config warns about, measured on the installed Mosquitto: `listener P 127.0.0.1` with
    `protocol websockets` answers on the network address too. If a Mosquitto update fixes this, this test
    fails and the warning in perfscore.conf and docs/deployment.md can go."""
    import subprocess
    import time

    from tests.publish.broker import MOSQUITTO, free_port

    address = _routable_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    mqtt_port, ws_port = free_port(), free_port()
    conf = tmp_path / "ws.conf"
    conf.write_text(f"allow_anonymous false\nuser root\nlog_dest stderr\npersistence false\n"
                    f"listener {mqtt_port} 127.0.0.1\nlistener {ws_port} 127.0.0.1\nprotocol websockets\n")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", ws_port), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else ""
                time.sleep(0.05)
        socket.create_connection((address, ws_port), timeout=1).close()      # reachable from the network
        with pytest.raises(OSError):
            socket.create_connection((address, mqtt_port), timeout=1).close()  # the MQTT listener obeys its bind
    finally:
        proc.terminate()
        proc.wait(10)
