"""systemd/perfscore.service: systemd's own parser finds nothing wrong, the directives issue 11 asks for
are there, and its ExecStart= is a command line `perfscore` accepts. (systemd is not PID 1 here, so the
unit cannot be started; `systemd-analyze verify` works offline — FACTS.md.)"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edge import PROJECT_ROOT

UNIT = PROJECT_ROOT / "systemd" / "perfscore.service"
SYSUSERS = PROJECT_ROOT / "systemd" / "perfscore.sysusers"
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze not installed")
# The shipped ExecStart= names /opt/perfscore/…, absent on a test machine.
ABSENT_BINARY = re.compile(r"(is not executable|not found)", re.I)


def directives(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def verify(path: Path) -> list[str]:
    # The exit status is 0 even for unknown keys and bad values: what matters is what it prints.
    proc = subprocess.run([ANALYZE, "verify", "--man=no", str(path)], capture_output=True, text=True, timeout=60)
    return [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]


@needs_analyze
def test_systemd_finds_no_unknown_key_or_bad_value():
    complaints = [line for line in verify(UNIT) if not ABSENT_BINARY.search(line)]
    assert complaints == []


@needs_analyze
def test_with_an_existing_executable_verify_is_silent(tmp_path):
    script = Path(sys.executable).parent / "perfscore"
    if not script.exists():
        pytest.skip("the perfscore console script is not installed in this venv")
    copy = tmp_path / "perfscore.service"
    copy.write_text(UNIT.read_text().replace("/opt/perfscore/.venv/bin/perfscore", str(script)))
    assert verify(copy) == []


@needs_analyze
def test_the_probe_sees_an_unknown_key_and_a_bad_value(tmp_path):
    broken = tmp_path / "perfscore.service"
    broken.write_text(UNIT.read_text().replace("WatchdogSec=30", "WatchdogSec=thirty\nProtectHomes=yes"))
    said = "\n".join(verify(broken))
    assert "Unknown key 'ProtectHomes'" in said and "thirty" in said


def test_the_unit_asks_for_what_the_box_needs():
    d = directives(UNIT.read_text())
    one = {key: values[-1] for key, values in d.items()}
    assert one["Type"] == "notify" and one["Restart"] == "on-failure"
    assert 10 <= int(one["WatchdogSec"]) <= 120
    assert one["StateDirectory"] == "perfscore" and one["User"] == "perfscore"
    assert set(one["SupplementaryGroups"].split()) == {"video", "audio"}
    for key, value in {"ProtectSystem": "strict", "ProtectHome": "yes", "NoNewPrivileges": "yes",
                       "PrivateTmp": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
                       "ProtectControlGroups": "yes", "CapabilityBoundingSet": ""}.items():
        assert one[key] == value, key
    assert set(one["RestrictAddressFamilies"].split()) == {"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"}
    # Cameras and microphones are devices: a private /dev would hide them.
    assert "PrivateDevices" not in d and "DevicePolicy" not in d
    # Secrets by credential or environment file, never on the command line or in Environment=.
    assert one["LoadCredential"].startswith("mqtt:/etc/perfscore/")
    assert not any(re.search(r"pass|secret|token", v, re.I) for v in d.get("Environment", []))
    assert "password" not in one["ExecStart"].lower()


def test_exec_start_is_a_command_line_perfscore_accepts():
    from edge.cli.main import build_parser

    d = directives(UNIT.read_text())
    argv = shlex.split(d["ExecStart"][-1])
    assert argv[0] == "/opt/perfscore/.venv/bin/perfscore"
    profile_env = [v for v in d["Environment"] if v.startswith("PERFSCORE_PROFILE=")][-1].split("=", 1)[1]
    args = build_parser().parse_args([a.replace("${PERFSCORE_PROFILE}", profile_env) for a in argv[1:]])
    assert args.command == "run" and args.state_dir == "/var/lib/perfscore" and args.source == "camera:"
    assert args.config[-1] == "/etc/perfscore/box.yaml"
    profile = Path(args.config[0].replace("/opt/perfscore", str(PROJECT_ROOT)))
    assert profile.is_file(), f"the default PERFSCORE_PROFILE names no file in firmware_configs/: {profile}"


def test_sysusers_creates_the_user_with_camera_and_microphone_groups():
    lines = [line.split() for line in SYSUSERS.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert ["u", "perfscore"] == lines[0][:2]
    assert {tuple(line[:3]) for line in lines if line[0] == "m"} == {("m", "perfscore", "video"),
                                                                   ("m", "perfscore", "audio")}
