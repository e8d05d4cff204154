"""Configuration: validated on load, errors name file, line and key; profiles; the reference doc is current."""

from pathlib import Path

import pytest

from edge import PROJECT_ROOT
from edge.config import Settings, load_settings
from edge.errors import ConfigError

PROFILES = sorted((PROJECT_ROOT / "firmware_configs").glob("*.yaml"))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_no_file_gives_the_documented_defaults():
    assert load_settings([]) == Settings()
    assert Settings().audio.sample_rate == 44100 and Settings().scoring.grades.A == 85


def test_unknown_key_names_file_line_and_key(tmp_path):
    path = write(tmp_path, "box.yaml", "pose:\n  frame_stride: 2\naudio:\n  hop_size: 256\n  sample_rat: 22050\n")
    with pytest.raises(ConfigError) as err:
        load_settings([path])
    assert str(err.value) == f"{path}:5: audio.sample_rat: unknown key"


def test_unknown_section_and_nested_key(tmp_path):
    path = write(tmp_path, "box.yaml", "capture:\n  camera:\n    fpss: 25\nmqtt_typo: {}\n")
    with pytest.raises(ConfigError) as err:
        load_settings([path])
    assert f"{path}:3: capture.camera.fpss: unknown key" in str(err.value)
    assert f"{path}:4: mqtt_typo: unknown key" in str(err.value)


def test_bad_value_says_what_is_wrong(tmp_path):
    path = write(tmp_path, "box.yaml", "\n\npose:\n  frame_stride: 0\n")
    with pytest.raises(ConfigError, match=r"box.yaml:4: pose.frame_stride: Input should be greater than or equal to 1"):
        load_settings([path])


def test_grade_bands_must_descend(tmp_path):
    path = write(tmp_path, "box.yaml", "scoring:\n  grades:\n    A: 60\n    B: 70\n")
    with pytest.raises(ConfigError, match="grade thresholds must descend"):
        load_settings([path])


def test_invalid_yaml_and_non_mapping(tmp_path):
    with pytest.raises(ConfigError, match=r"bad.yaml:2: invalid YAML: mapping values are not allowed here"):
        load_settings([write(tmp_path, "bad.yaml", "pose:\n  frame_stride: 1: 2\n")])
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_settings([write(tmp_path, "list.yaml", "- 1\n- 2\n")])
    with pytest.raises(ConfigError, match="cannot read config"):
        load_settings([tmp_path / "missing.yaml"])


def test_layers_override_key_by_key_and_paths_are_relative_to_their_file(tmp_path):
    (tmp_path / "profile").mkdir()
    profile = write(tmp_path / "profile", "base.yaml", "pose:\n  frame_stride: 2\n  model_path: my.task\n"
                                                       "audio:\n  hop_size: 256\n")
    local = write(tmp_path, "local.yaml", "pose:\n  frame_stride: 3\n")
    settings = load_settings([profile, local])
    assert settings.pose.frame_stride == 3                      # later file wins
    assert settings.audio.hop_size == 256                       # untouched keys survive
    assert settings.pose.model_path == tmp_path / "profile" / "my.task"


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.stem)
def test_every_device_profile_validates_and_names_its_kind(profile):
    assert load_settings([profile]).device.kind == profile.stem


def test_there_is_a_profile_for_every_device_kind():
    from typing import get_args

    from edge.config.device import DeviceKind

    assert {p.stem for p in PROFILES} == set(get_args(DeviceKind))


def test_configuration_reference_is_generated_from_the_code():
    import runpy

    render = runpy.run_path(str(PROJECT_ROOT / "scripts" / "config_reference.py"))["render"]
    assert (PROJECT_ROOT / "docs" / "configuration.md").read_text() == render(), \
        "docs/configuration.md is stale: run scripts/config_reference.py"
