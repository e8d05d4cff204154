"""Home Assistant discovery payloads from the builders (edge/publish/homeassistant.py), on the contract's
example payloads (edge/publish/examples.py); the real daemon's configs are in tests/display."""

from __future__ import annotations

import json

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import ValidationError

from edge.config import Settings
from edge.publish import payloads
from edge.publish.examples import examples
from edge.publish.homeassistant import config_topic, discovery_configs
from edge.publish.topics import Topics


def render(template: str, payload: dict) -> str:
    return ImmutableSandboxedEnvironment().from_string(template).render(value_json=payload).strip()


def test_a_config_per_sensor_under_the_prefix_with_safe_object_ids():
    configs = discovery_configs(Topics("studio.3", "school"), "ha")
    assert set(configs) == {f"ha/sensor/studio_3/{w}/config" for w in
                            ("overall", "grade", *payloads.SUBSCORES, "recommended_task")}
    for topic, config in configs.items():
        assert config["availability_topic"] == "school/studio.3/status"
        assert config["state_topic"] in ("school/studio.3/session", "school/studio.3/recommendation")
        assert config["unique_id"] == "perfscore_studio_3_" + topic.split("/")[3]
        assert config["device"]["identifiers"] == ["perfscore_studio.3"]
        json.dumps(config)                                   # plain JSON
    assert config_topic("homeassistant", "a.b", "grade") == "homeassistant/sensor/a_b/grade/config"


def test_templates_give_the_example_values_and_none_where_a_take_was_not_scored():
    ex = examples()
    session, rec = ex["session"], ex["recommendation"]
    configs = {t.split("/")[3]: c for t, c in discovery_configs(Topics("studio-3")).items()}
    assert render(configs["overall"]["value_template"], session) == "74.6"
    assert render(configs["grade"]["value_template"], session) == "C"
    assert render(configs["sync"]["value_template"], session) == "72.5"
    assert render(configs["interpretation"]["value_template"], session) == "None"     # not measured
    assert render(configs["recommended_task"]["value_template"], rec) == "Technique drills"
    attrs = json.loads(render(configs["recommended_task"]["json_attributes_template"], rec))
    assert attrs["instruction"] == rec["task"]["instruction"] and attrs["performer"] == "p-0042"
    unscored = {**session, "scores": None}
    for what in ("overall", "grade", *payloads.SUBSCORES):
        assert render(configs[what]["value_template"], unscored) == "None", what
    will = payloads.status("studio-3", "offline", version="0.1.0")
    assert render(configs["grade"]["availability_template"], will) == "offline"


def test_discovery_is_off_by_default_and_its_config_is_strict():
    assert Settings().publish.homeassistant.enabled is False
    with pytest.raises(ValidationError, match="discovery"):
        Settings.model_validate({"publish": {"homeassistant": {"enabled": True, "discovery": "x"}}})
    with pytest.raises(ValidationError, match="prefix"):
        Settings.model_validate({"publish": {"homeassistant": {"prefix": "home/assistant"}}})
