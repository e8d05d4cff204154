"""Home Assistant discovery from a real daemon (publish.homeassistant.enabled): retained sensor configs on
the broker, and each value template, rendered with Jinja2 the way Home Assistant renders it, gives the value
the box published in its real session and recommendation."""

from __future__ import annotations

import json

from jinja2.sandbox import ImmutableSandboxedEnvironment

from tests.publish.conftest import Recorder

SUBSCORES = ("rhythm", "sync", "technique", "expression", "interpretation")
# Home Assistant's MQTT sensor discovery: state_topic is required; unique_id and a device block with
# identifiers put it in the device registry; availability comes from the box's own status topic.
REQUIRED = {"name", "state_topic", "value_template", "unique_id", "device", "availability_topic",
            "availability_template", "payload_available", "payload_not_available"}


def render(template: str, payload: dict) -> str:
    env = ImmutableSandboxedEnvironment()        # Home Assistant renders templates in Jinja2's sandbox
    return env.from_string(template).render(value_json=payload, value=json.dumps(payload)).strip()


def test_retained_discovery_configs_render_the_published_values(take_run):
    s = take_run
    late = Recorder(s.broker.port, "homeassistant/#")       # subscribes after the run: retained only
    try:
        late.wait_for(lambda r: len(r.messages) >= 8, what="8 retained discovery configs")
        configs = {topic: (body, retain) for topic, body, retain, _ in late.messages}
    finally:
        late.close()
    whats = ["overall", "grade", *SUBSCORES, "recommended_task"]
    assert set(configs) == {f"homeassistant/sensor/demo/{w}/config" for w in whats}
    assert all(retain for _, retain in configs.values())

    session = s.sub.on("perfscore/demo/session")[-1]
    rec = s.sub.on("perfscore/demo/recommendation")[-1]
    scores = session["scores"]
    expected = {"overall": scores["overall"], "grade": scores["grade"], "recommended_task": rec["task"]["title"],
                **{n: scores["subscores"][n]["value"] for n in SUBSCORES}}
    statuses = {st["state"]: st for st in s.sub.on("perfscore/demo/status")}
    assert set(statuses) >= {"online", "stopped"}
    unique_ids = set()
    for what in whats:
        config, _ = configs[f"homeassistant/sensor/demo/{what}/config"]
        assert REQUIRED <= set(config), REQUIRED - set(config)
        assert config["device"]["identifiers"] == ["perfscore_demo"]
        assert config["availability_topic"] == "perfscore/demo/status"
        source = rec if what == "recommended_task" else session
        assert config["state_topic"] == f"perfscore/demo/{'recommendation' if source is rec else 'session'}"
        assert render(config["value_template"], source) == str(expected[what]), what
        if "json_attributes_template" in config:
            json.loads(render(config["json_attributes_template"], source))      # valid JSON attributes
        # Available while the box says online; its clean `stopped` (and the will's `offline`) is not.
        assert render(config["availability_template"], statuses["online"]) == config["payload_available"]
        assert render(config["availability_template"], statuses["stopped"]) == config["payload_not_available"]
        unique_ids.add(config["unique_id"])
    assert len(unique_ids) == len(whats)
    explanation = json.loads(render(configs["homeassistant/sensor/demo/sync/config"][0]["json_attributes_template"],
                                    session))["explanation"]
    assert explanation == scores["subscores"]["sync"]["explanation"]
