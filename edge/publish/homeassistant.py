"""Home Assistant MQTT discovery: retained sensor configs that make a box appear in Home Assistant.

    {ha_prefix}/sensor/{node}/{what}/config      node = the device id, '.' becomes '_'
    what: overall, grade, rhythm, sync, technique, expression, interpretation, recommended_task

The device id is Home Assistant's node id (its optional topic level), so one ACL pattern lets each box
announce its own sensors and no other box's (systemd/mosquitto/perfscore.acl: homeassistant/sensor/%u/#).

Each sensor reads the contract's own retained topics (docs/mqtt.md): the scores from `session`, the task from
`recommendation`, through a `value_template` on the JSON payload; it is available while `status` says online
(the Last Will makes it unavailable). Nothing new is published for Home Assistant besides these configs.
A template renders `None` where the payload has no value (a take that was not scored, a sub-score not
measured): Home Assistant's MQTT sensor takes that as "unknown".
"""

from __future__ import annotations

import re
from typing import Any

from .. import __version__
from .payloads import SUBSCORES
from .topics import Topics

_OBJECT = re.compile(r"[^A-Za-z0-9_-]")   # Home Assistant's object ids allow only these


def node_id(device: str) -> str:
    return _OBJECT.sub("_", device)


def object_id(device: str, what: str) -> str:
    return f"{node_id(device)}_{what}"


def config_topic(ha_prefix: str, device: str, what: str) -> str:
    return f"{ha_prefix}/sensor/{node_id(device)}/{what}/config"


def _device_block(device: str) -> dict[str, Any]:
    return {"identifiers": [f"perfscore_{device}"], "name": f"perfscore {device}", "manufacturer": "perfscore",
            "model": "perfscore box", "sw_version": __version__}


def _score_template(path: str) -> str:
    """`value_json.scores.<path>`, or None when the take was not scored or the value is missing."""
    return ("{% set s = value_json.scores %}"
            "{{ s." + path + " if s and s." + path + " is not none else None }}")


def discovery_configs(topics: Topics, ha_prefix: str = "homeassistant") -> dict[str, dict[str, Any]]:
    """Config topic -> discovery payload, for every sensor of the box `topics.device`."""
    device = topics.device
    common = {
        "device": _device_block(device),
        "origin": {"name": "perfscore", "sw_version": __version__},
        "availability_topic": topics.status,
        # `status` is JSON; `stopped` (clean exit) is as unavailable as the Last Will's `offline`.
        "availability_template": "{{ 'online' if value_json.state == 'online' else 'offline' }}",
        "payload_available": "online",
        "payload_not_available": "offline",
        "qos": 1,
    }
    sensors: dict[str, dict[str, Any]] = {
        "overall": {"name": "Overall score", "state_topic": topics.session,
                    "value_template": _score_template("overall"), "unit_of_measurement": "points",
                    "state_class": "measurement", "icon": "mdi:star-circle"},
        "grade": {"name": "Grade", "state_topic": topics.session, "value_template": _score_template("grade"),
                  "icon": "mdi:alphabetical-variant"},
    }
    for name in SUBSCORES:
        sub = f"subscores.{name}"
        sensors[name] = {
            "name": f"{name.capitalize()} score", "state_topic": topics.session,
            "value_template": ("{% set s = value_json.scores %}"
                               "{{ s." + sub + ".value if s and s." + sub + " and s." + sub
                               + ".value is not none else None }}"),
            "unit_of_measurement": "points", "state_class": "measurement", "icon": "mdi:chart-bar",
            # The one-sentence explanation behind the number, as an attribute.
            "json_attributes_topic": topics.session,
            "json_attributes_template": ("{% set s = value_json.scores %}"
                                         "{{ {'explanation': s." + sub + ".explanation if s and s." + sub
                                         + " else None} | tojson }}"),
        }
    sensors["recommended_task"] = {
        "name": "Recommended task", "state_topic": topics.recommendation,
        "value_template": "{{ value_json.task.title }}", "icon": "mdi:school",
        "json_attributes_topic": topics.recommendation,
        "json_attributes_template": ("{{ {'performer': value_json.performer, 'instruction': value_json.task.instruction,"
                                     " 'reason': value_json.reason} | tojson }}"),
    }
    out = {}
    for what, sensor in sensors.items():
        out[config_topic(ha_prefix, device, what)] = {
            **sensor, **common, "unique_id": f"perfscore_{object_id(device, what)}"}
    return out


def publish_discovery(publisher, ha_prefix: str) -> int:
    """Hand every config to the client, retained, QoS 1 (paho sends them once connected). Returns how many."""
    configs = discovery_configs(publisher.topics, ha_prefix)
    for topic, payload in configs.items():
        publisher.communicator.publish(topic, payload, qos=1, retain=True)
    return len(configs)


__all__ = ["config_topic", "discovery_configs", "node_id", "object_id", "publish_discovery"]
