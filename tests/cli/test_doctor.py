"""`perfscore doctor`: the real command against a real broker, a real model folder (one file corrupted),
a served video standing in for a camera and ALSA's file plugin standing in for a microphone."""

from __future__ import annotations

import functools
import http.server
import json
import math
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import yaml

from edge import MODELS_DIR
from edge.doctor import check_temperature, check_throttling
from tests.publish.broker import MOSQUITTO, Broker

from .conftest import run_cli

NAMES = ["camera", "microphone", "broker", "models", "state_dir", "temperature", "throttling"]
SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["schema", "ok", "checks"],
    "properties": {
        "schema": {"const": "perfscore.doctor/1"},
        "ok": {"type": "boolean"},
        "checks": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["name", "status", "detail", "fix", "figures"],
            "properties": {"name": {"enum": NAMES}, "status": {"enum": ["ok", "fail", "skip"]},
                           "detail": {"type": "string", "minLength": 1},
                           "fix": {"type": ["string", "null"]}, "figures": {"type": "object"}},
            "if": {"properties": {"status": {"const": "fail"}}},
            "then": {"properties": {"fix": {"type": "string", "minLength": 10}}}}},
    },
}
needs_broker = pytest.mark.skipif(not Path(MOSQUITTO).exists(), reason="mosquitto not installed")


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    if not Path(MOSQUITTO).exists():
        pytest.skip("mosquitto not installed")
    b = Broker(tmp_path_factory.mktemp("mosquitto")).start()
    yield b
    b.stop()


@pytest.fixture(scope="module")
def camera_url(tmp_path_factory):
    """A recording served over HTTP on loopback: the camera source opens URLs like a network camera."""
    from tests.sources.media import write_media

    root = tmp_path_factory.mktemp("http")
    write_media(root / "cam.mp4", seconds=3.0, audio_codec=None, fps=30, size=(320, 240))
    handler = functools.partial(type("Quiet", (http.server.SimpleHTTPRequestHandler,),
                                     {"log_message": lambda *a: None}), directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cam.mp4"
    server.shutdown()
    server.server_close()


def alsa_env(folder: Path, samples: np.ndarray | None) -> dict[str, str]:
    """The environment of a process whose only microphone is `testmic`, playing `samples` (16-bit mono,
    44.1 kHz) through ALSA's file plugin (FACTS.md); None: the machine's own ALSA configuration (the
    session's test microphone of tests/conftest.py removed)."""
    env = dict(os.environ)
    env.pop("PERFSCORE_TEST_MIC_RAW", None)
    env.pop("ALSA_CONFIG_PATH", None)
    if samples is None:
        return env
    raw = folder / "mic.raw"
    raw.write_bytes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    (folder / "asound.conf").write_text(f"""
pcm.!default {{ type plug; slave {{ pcm "testmic"; format S16_LE; rate 44100; channels 1 }} }}
pcm.testmic {{ type file; slave.pcm "null"; file "/dev/null"; infile "{raw}"; format "raw" }}
""")
    env["ALSA_CONFIG_PATH"] = f"/usr/share/alsa/alsa.conf:{folder / 'asound.conf'}"
    return env


def doctor(folder: Path, config: dict, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    path = folder / "box.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run([sys.executable, "-m", "edge.cli.main", "--config", str(path), "doctor", *args],
                          capture_output=True, text=True, timeout=120, env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def config(tmp_path: Path, broker_url: str, camera=None, microphone=None, **publish) -> dict:
    return {"device": {"id": "box-7"},
            "capture": {"camera": camera, "microphone": microphone},
            "publish": {"broker": broker_url, "state_dir": str(tmp_path / "state"), **publish}}


def by_name(doc: dict) -> dict[str, dict]:
    jsonschema.validate(doc, SCHEMA)
    assert [c["name"] for c in doc["checks"]] == NAMES
    return {c["name"]: c for c in doc["checks"]}


@pytest.fixture
def models_copy(tmp_path) -> Path:
    """The shipped models folder, linked file by file, with one model replaced by a corrupted copy."""
    folder = tmp_path / "models"
    folder.mkdir()
    for f in MODELS_DIR.iterdir():
        if f.is_file():
            (folder / f.name).symlink_to(f)
    victim = folder / "coach_policy.onnx"
    data = bytearray((MODELS_DIR / victim.name).read_bytes())
    data[len(data) // 2] ^= 0xFF                       # one flipped byte, same size
    victim.unlink()
    victim.write_bytes(bytes(data))
    return folder


# --- the machine as it is: no camera, no microphone ---------------------------------------------------------
@needs_broker
def test_without_camera_or_microphone_it_says_so_and_exits_1(tmp_path, broker):
    cfg = config(tmp_path, broker.url, camera={"device": "/dev/video-perfscore-absent"},
                 microphone={"device": "usb-mic-that-is-not-here"})
    proc = doctor(tmp_path, cfg, env=alsa_env(tmp_path, None))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = {line.split()[1]: line for line in proc.stdout.splitlines() if line.split()[0] in ("OK", "FAIL", "SKIP")}
    assert list(lines) == NAMES, proc.stdout
    assert lines["camera"].startswith("FAIL") and "/dev/video-perfscore-absent" in lines["camera"]
    assert "no such camera device" in lines["camera"] and "→ plug the camera in" in lines["camera"]
    assert lines["microphone"].startswith("FAIL") and "usb-mic-that-is-not-here" in lines["microphone"]
    assert "→ plug the microphone in" in lines["microphone"]
    assert lines["broker"].startswith("OK") and "round trip on perfscore/box-7/cmd/doctor/result" in lines["broker"]
    assert lines["models"].startswith("OK") and lines["state_dir"].startswith("OK")
    assert proc.stdout.strip().endswith("2 check(s) failed: camera, microphone")


@pytest.mark.skipif(bool(list(Path("/dev").glob("video*"))), reason="this machine has a camera")
def test_the_default_camera_on_a_machine_without_one(tmp_path):
    cfg = config(tmp_path, "mqtt://127.0.0.1:9")
    del cfg["capture"]                                        # the defaults: camera 0, the default input
    proc = doctor(tmp_path, cfg, "--json", env=alsa_env(tmp_path, None))
    checks = by_name(json.loads(proc.stdout))
    assert proc.returncode == 1
    assert checks["camera"]["status"] == "fail" and "cameras present: none found" in checks["camera"]["detail"]
    assert checks["broker"]["status"] == "fail" and "Connection refused" in checks["broker"]["detail"]


# --- everything present ---------------------------------------------------------------------------------------
@needs_broker
def test_all_pass_with_a_camera_a_microphone_and_a_broker(tmp_path, broker, camera_url):
    pytest.importorskip("pyaudio", reason="the microphone needs the capture extra")
    t = np.arange(2 * 44100) / 44100
    tone = 0.5 * np.sin(2 * np.pi * 441 * t)              # a whole number of periods per 0.1 s
    cfg = config(tmp_path, broker.url, camera={"device": camera_url, "fps": 30},
                 microphone={"device": "testmic", "sample_rate": 44100})
    proc = doctor(tmp_path, cfg, "--json", env=alsa_env(tmp_path, tone))
    doc = json.loads(proc.stdout)
    checks = by_name(doc)
    assert proc.returncode == 0 and doc["ok"], json.dumps(doc, indent=1)
    assert checks["camera"]["figures"]["width"] == 320 and checks["camera"]["figures"]["fps"] >= 24
    mic = checks["microphone"]["figures"]
    # A sine of amplitude 0.5: RMS 0.5/√2 = −9.03 dBFS, peak −6.02 dBFS (16-bit quantisation moves neither).
    assert mic["rms_dbfs"] == pytest.approx(20 * math.log10(0.5 / math.sqrt(2)), abs=0.2)
    assert mic["peak_dbfs"] == pytest.approx(20 * math.log10(0.5), abs=0.2)
    assert checks["broker"]["figures"]["round_trip_ms"] < 5000


def test_a_silent_microphone_fails_with_the_fix(tmp_path):
    pytest.importorskip("pyaudio", reason="the microphone needs the capture extra")
    cfg = config(tmp_path, "mqtt://127.0.0.1:9", microphone={"device": "testmic", "sample_rate": 44100})
    checks = by_name(json.loads(doctor(tmp_path, cfg, "--json", env=alsa_env(tmp_path, np.zeros(44100))).stdout))
    assert checks["microphone"]["status"] == "fail" and "digital silence" in checks["microphone"]["detail"]
    assert "alsamixer" in checks["microphone"]["fix"]
    assert checks["camera"]["status"] == "skip"              # capture.camera: null is not a failure


# --- models, disk ------------------------------------------------------------------------------------------
def test_a_corrupted_model_fails_the_models_check_by_name(tmp_path, models_copy):
    proc = doctor(tmp_path, config(tmp_path, "mqtt://127.0.0.1:9"), "--json", "--models", str(models_copy),
                  env=alsa_env(tmp_path, None))
    checks = by_name(json.loads(proc.stdout))
    models = checks["models"]
    assert proc.returncode == 1 and models["status"] == "fail"
    assert models["figures"]["failed"] == ["coach_policy.onnx"]
    assert "coach_policy.onnx: sha256" in models["detail"] and "does not match" in models["detail"]
    assert models["figures"]["checked"] == len(json.loads((MODELS_DIR / "manifest.json").read_text())["artifacts"])
    text = doctor(tmp_path, config(tmp_path, "mqtt://127.0.0.1:9"), "--models", str(models_copy)).stdout
    assert any(line.startswith("FAIL  models") and "coach_policy.onnx" in line for line in text.splitlines())


def test_the_shipped_models_pass(tmp_path):
    checks = by_name(json.loads(doctor(tmp_path, config(tmp_path, "mqtt://127.0.0.1:9"), "--json").stdout))
    assert checks["models"]["status"] == "ok" and checks["models"]["figures"]["failed"] == []


def test_state_dir_not_writable_or_too_small_for_the_quota(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    cfg = config(tmp_path, "mqtt://127.0.0.1:9")
    bad = by_name(json.loads(doctor(tmp_path, cfg, "--json", "--state-dir", str(blocker / "state")).stdout))
    assert bad["state_dir"]["status"] == "fail" and "not writable" in bad["state_dir"]["detail"]
    free = shutil.disk_usage(tmp_path).free
    cfg["publish"]["outbox_quota_mb"] = 2 * free / 2**20          # twice the free space of this disk
    small = by_name(json.loads(doctor(tmp_path, cfg, "--json").stdout))["state_dir"]
    assert small["status"] == "fail" and "short" in small["detail"] and "outbox_quota_mb" in small["fix"]


# --- temperature and throttling (no such sensors here: a sysfs tree and a vcgencmd the test writes) --------------
def test_temperature_from_sysfs(tmp_path):
    assert check_temperature(tmp_path / "none").status == "skip"
    root = tmp_path / "thermal"
    for zone, kind, milli in (("thermal_zone0", "cpu-thermal", 84500), ("thermal_zone1", "gpu-thermal", 90000)):
        (root / zone).mkdir(parents=True)
        (root / zone / "type").write_text(kind + "\n")
        (root / zone / "temp").write_text(f"{milli}\n")
    hot = check_temperature(root)
    assert hot.status == "fail" and hot.figures["cpu_c"] == 84.5 and "84.5 °C" in hot.detail and hot.fix
    (root / "thermal_zone0" / "temp").write_text("51234\n")
    assert check_temperature(root).status == "ok" and check_temperature(root).figures["cpu_c"] == 51.234


@pytest.mark.parametrize("flags, status, words", [
    ("0x0", "ok", ["none"]),
    ("0x50000", "ok", ["since boot: under-voltage, throttled"]),
    ("0x50005", "fail", ["now: under-voltage, throttled"]),
])
def test_throttling_from_vcgencmd(tmp_path, flags, status, words):
    fake = tmp_path / "vcgencmd"
    fake.write_text(f"#!/bin/sh\n[ \"$1\" = get_throttled ] && echo throttled={flags}\n")
    fake.chmod(0o755)
    check = check_throttling(str(fake))
    assert check.status == status and all(w in check.detail for w in words), check
    assert check_throttling(str(tmp_path / "absent")).status == "skip"


def test_doctor_help_stays_light():
    from .test_startup import _heavy, _run

    proc, imported = _run("doctor", "--help")
    assert proc.returncode == 0 and "--json" in proc.stdout
    assert _heavy(imported) == set()
