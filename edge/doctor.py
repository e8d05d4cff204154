"""`perfscore doctor`: what is wrong with this box, one check per line, each with the fix to try.

Checks (in this order, each bounded in time so a hung device cannot hang the doctor):
    camera        opens and delivers frames at the profile's rate (capture.camera.fps)
    microphone    delivers audio, with its level (RMS and peak, dBFS)
    broker        accepts the configured credentials (TLS with publish.ca_file for mqtts://) and a
                  publish/receive round trip on `{prefix}/{device}/cmd/doctor/result` works — a topic the
                  box's ACL lets it both write and read, and that a running daemon ignores (a result)
    models        every artefact of models/manifest.json is there and its sha256 matches
    state_dir     the state directory is writable and has room for the outbox quota (publish.outbox_quota_mb)
    temperature   CPU temperature, where the board reports one (/sys/class/thermal)
    throttling    under-voltage and throttling, where `vcgencmd get_throttled` exists (Raspberry Pi)

A check is `ok`, `fail` or `skip` (not configured here, or the board does not report it). The doctor
passes when nothing fails.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

OK, FAIL, SKIP = "ok", "fail", "skip"
HOT_C = 80.0        # Raspberry Pi firmware starts soft throttling at 80 °C (85 °C hard)
# `vcgencmd get_throttled` bits: now (0-3) and since boot (16-19).
THROTTLE_BITS = {0: "under-voltage", 1: "ARM frequency capped", 2: "throttled", 3: "soft temperature limit"}


@dataclass
class Check:
    name: str
    status: str                     # ok | fail | skip
    detail: str                     # what was measured or what went wrong
    fix: str | None = None          # what to try (failures and skips)
    figures: dict[str, Any] = field(default_factory=dict)

    def line(self, width: int = 11) -> str:
        text = f"{self.status.upper():4}  {self.name:<{width}} {self.detail}"
        return text + (f" → {self.fix}" if self.fix and self.status != OK else "")


@dataclass
class Report:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.status != FAIL for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "perfscore.doctor/1", "ok": self.ok, "checks": [asdict(c) for c in self.checks]}

    def text(self) -> str:
        failed = [c.name for c in self.checks if c.status == FAIL]
        tail = "all checks passed" if not failed else f"{len(failed)} check(s) failed: {', '.join(failed)}"
        return "\n".join([*(c.line() for c in self.checks), tail])


def _bounded(name: str, fn: Callable[[], Check], timeout_s: float, fix: str) -> Check:
    """Run one check in a daemon thread; a device that hangs fails the check instead of the doctor."""
    box: list[Check] = []

    def target():
        try:
            box.append(fn())
        except Exception as exc:   # a check's own bug or an unexpected driver error: report it, go on
            box.append(Check(name, FAIL, f"{exc.__class__.__name__}: {exc}", fix))

    thread = threading.Thread(target=target, name=f"doctor-{name}", daemon=True)
    thread.start()
    thread.join(timeout_s)
    return box[0] if box else Check(name, FAIL, f"no answer within {timeout_s:g} s (the device hangs)", fix)


# --- camera -------------------------------------------------------------------------------------------
CAMERA_FIX = ("plug the camera in and check `ls /dev/video*` and `v4l2-ctl --list-devices`; the daemon's user "
              "must be in the `video` group; set capture.camera.device in /etc/perfscore/box.yaml")


def check_camera(settings, seconds: float = 2.0) -> Check:
    camera = settings.capture.camera
    if camera is None:
        return Check("camera", SKIP, "no camera configured (capture.camera: null)")
    from .errors import MediaError
    from .sources.camera import CameraSource

    try:
        source = CameraSource(camera.device, width=camera.width, height=camera.height, fps=camera.fps,
                              max_width=settings.capture.max_width, timeout_s=5.0)
    except MediaError as exc:
        return Check("camera", FAIL, str(exc), CAMERA_FIX)
    arrivals: list[float] = []
    size = None
    try:
        start = time.monotonic()
        for item in source:
            arrivals.append(time.monotonic())
            size = item.image.shape[1::-1]
            if arrivals[-1] - start >= seconds:
                break
    except MediaError as exc:
        return Check("camera", FAIL, f"{exc} after {len(arrivals)} frame(s)", CAMERA_FIX)
    finally:
        source.close()
    if len(arrivals) < 2:
        return Check("camera", FAIL, f"{source.name}: opened, but delivered {len(arrivals)} frame(s)", CAMERA_FIX)
    fps = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    figures = {"fps": round(fps, 1), "target_fps": camera.fps, "width": size[0], "height": size[1]}
    detail = f"{source.name}: {fps:.1f} fps at {size[0]}×{size[1]} (profile asks {camera.fps:g} fps)"
    if fps < 0.8 * camera.fps:
        return Check("camera", FAIL, detail, "more light (auto-exposure lowers the rate in the dark), a USB 2+ "
                     "port, or lower capture.camera.fps/width/height in the profile", figures)
    return Check("camera", OK, detail, figures=figures)


# --- microphone ---------------------------------------------------------------------------------------
MIC_FIX = ("plug the microphone in and check `arecord -l`; the daemon's user must be in the `audio` group; "
           "set capture.microphone.device (an index or part of its name) in /etc/perfscore/box.yaml")


def check_microphone(settings, seconds: float = 1.0) -> Check:
    mic = settings.capture.microphone
    if mic is None:
        return Check("microphone", SKIP, "no microphone configured (capture.microphone: null)")
    import numpy as np

    from .errors import MediaError
    from .sources.microphone import MicrophoneSource

    try:
        source = MicrophoneSource(mic.device, sample_rate=mic.sample_rate, chunk_frames=mic.chunk_frames)
    except MediaError as exc:
        return Check("microphone", FAIL, str(exc), MIC_FIX)
    chunks = []
    try:
        got = 0
        for item in source:
            chunks.append(item.samples)
            got += len(item.samples)
            if got >= seconds * item.sample_rate:
                break
    except MediaError as exc:
        return Check("microphone", FAIL, f"{exc}", MIC_FIX)
    finally:
        source.close()
    if not chunks:
        return Check("microphone", FAIL, f"{source.name}: opened, but delivered no audio", MIC_FIX)
    audio = np.concatenate(chunks).astype(np.float64)
    rms, peak = float(np.sqrt(np.mean(audio**2))), float(np.max(np.abs(audio)))
    db = lambda x: round(20 * math.log10(x), 1) if x > 0 else None   # noqa: E731
    figures = {"seconds": round(len(audio) / source.output_rate, 2), "rms_dbfs": db(rms), "peak_dbfs": db(peak)}
    if peak == 0:
        return Check("microphone", FAIL, f"{source.name}: delivers only digital silence", "unmute it and raise "
                     "the capture gain (`alsamixer`, F4 for capture), or pick another input", figures)
    detail = f"{source.name}: level {figures['rms_dbfs']} dBFS RMS, peak {figures['peak_dbfs']} dBFS"
    return Check("microphone", OK, detail, figures=figures)


# --- broker -------------------------------------------------------------------------------------------
def check_broker(settings, device: str, broker: str | None = None, timeout_s: float = 5.0) -> Check:
    import paho.mqtt.client as mqtt

    from .errors import ConfigError
    from .publish.connection import broker_address, check_tls_files, load_credentials
    from .publish.topics import Topics

    config = settings.publish
    fix = ("check publish.broker, the credentials (publish.credentials_file or $PERFSCORE_MQTT_USERNAME/"
           "$PERFSCORE_MQTT_PASSWORD; the user name is the device id), and the broker's ACL "
           "(systemd/mosquitto/perfscore.acl); the broker's log (/var/log/mosquitto/mosquitto.log) says why it refused")
    try:
        address = broker_address(broker or config.broker)
        username, password = load_credentials(config.credentials_file, config.username_env, config.password_env)
        check_tls_files(config.ca_file, config.cert_file, config.key_file)
        topic = Topics(device, config.prefix).command_result("doctor")
    except (ConfigError, ValueError) as exc:   # ValueError: a device id that cannot be a topic level
        return Check("broker", FAIL, str(exc), fix)
    who = f"{address} as {username or 'anonymous'}"
    nonce = uuid.uuid4().hex
    connack: dict[str, Any] = {}
    events = {name: threading.Event() for name in ("connack", "subscribed", "received")}
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"perfscore-doctor-{device}-{nonce[:8]}",
                         protocol=mqtt.MQTTv5)
    if username is not None:
        client.username_pw_set(username, password)
    if address.tls:
        client.tls_set(ca_certs=str(config.ca_file) if config.ca_file else None,
                       certfile=str(config.cert_file) if config.cert_file else None,
                       keyfile=str(config.key_file) if config.key_file else None)

    def on_connect(c, userdata, flags, reason_code, properties):
        connack["reason"] = reason_code
        events["connack"].set()
        if not reason_code.is_failure:
            c.subscribe(topic, qos=1)

    def on_message(c, userdata, message):
        if message.payload == nonce.encode():
            events["received"].set()

    client.on_connect = on_connect
    client.on_subscribe = lambda *a: events["subscribed"].set()
    client.on_message = on_message
    started = time.monotonic()
    try:
        client.connect(address.host, address.port, keepalive=10)
    except (OSError, ValueError) as exc:   # refused, unreachable, TLS verification (ssl errors are OSErrors)
        return Check("broker", FAIL, f"{who}: cannot connect ({exc})", fix)
    client.loop_start()
    try:
        if not events["connack"].wait(timeout_s):
            return Check("broker", FAIL, f"{who}: no answer within {timeout_s:g} s", fix)
        reason = connack["reason"]
        if reason.is_failure:
            return Check("broker", FAIL, f"{who}: refused ({reason})", fix)
        if not events["subscribed"].wait(timeout_s):
            return Check("broker", FAIL, f"{who}: connected, but the subscription was not acknowledged", fix)
        sent = time.monotonic()
        client.publish(topic, nonce, qos=1)
        # Mosquitto drops what the ACL forbids without telling the publisher: only the echo proves it passed.
        if not events["received"].wait(timeout_s):
            return Check("broker", FAIL, f"{who}: connected, but a message to {topic} did not come back "
                                         f"(the ACL forbids writing or reading it?)", fix)
        figures = {"broker": str(address), "user": username, "connect_ms": round((sent - started) * 1000, 1),
                   "round_trip_ms": round((time.monotonic() - sent) * 1000, 1)}
        return Check("broker", OK, f"{who}: round trip on {topic} in {figures['round_trip_ms']} ms",
                     figures=figures)
    finally:
        client.disconnect()
        client.loop_stop()


# --- models -------------------------------------------------------------------------------------------
def check_models(models_dir: Path | None = None) -> Check:
    from . import MODELS_DIR
    from .errors import ModelError
    from .models import load_manifest, verify_model

    models_dir = Path(models_dir or MODELS_DIR)
    manifest_path = models_dir / "manifest.json"
    fix = (f"restore the files from the release (`git -C /opt/perfscore checkout -- models/`, or reinstall); "
           f"never edit {manifest_path.name} to match a file")
    try:
        names = sorted(load_manifest(manifest_path).get("artifacts", {}))
    except ModelError as exc:
        return Check("models", FAIL, str(exc), fix)
    bad = []
    for name in names:
        try:
            verify_model(models_dir / name, manifest_path)
        except ModelError as exc:
            bad.append((name, str(exc)))
    figures = {"checked": len(names), "failed": [name for name, _ in bad]}
    if bad:
        detail = f"{len(bad)} of {len(names)} do not match: " + "; ".join(reason for _, reason in bad)
        return Check("models", FAIL, detail, fix, figures)
    return Check("models", OK, f"{len(names)} of {len(names)} match {manifest_path}", figures=figures)


# --- state directory ----------------------------------------------------------------------------------
def check_state_dir(state_dir: Path, quota_bytes: int) -> Check:
    state_dir = Path(state_dir)
    fix_perm = (f"create it for the daemon's user (`install -d -o perfscore {state_dir}`; the unit's "
                "StateDirectory= does this) or point publish.state_dir / --state-dir elsewhere")
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        probe = state_dir / f".doctor-{uuid.uuid4().hex}"
        with open(probe, "wb") as fh:
            fh.write(b"perfscore doctor\n")
            fh.flush()
            os.fsync(fh.fileno())
        probe.unlink()
    except OSError as exc:
        return Check("state_dir", FAIL, f"{state_dir}: not writable ({exc.strerror or exc})", fix_perm)
    outbox = state_dir / "outbox.sqlite"
    used = outbox.stat().st_size if outbox.exists() else 0
    free = shutil.disk_usage(state_dir).free
    needed = max(0, quota_bytes - used)
    mib = lambda b: f"{b / 2**20:.0f} MiB"   # noqa: E731
    figures = {"path": str(state_dir), "free_bytes": free, "outbox_bytes": used, "quota_bytes": quota_bytes}
    detail = f"{state_dir}: writable, {mib(free)} free, outbox {mib(used)} of a {mib(quota_bytes)} quota"
    if free < needed:
        return Check("state_dir", FAIL, detail + f" — {mib(needed - free)} short",
                     "free space on that file system, or lower publish.outbox_quota_mb", figures)
    return Check("state_dir", OK, detail, figures=figures)


# --- temperature and throttling -----------------------------------------------------------------------
def check_temperature(thermal_root: Path = Path("/sys/class/thermal")) -> Check:
    zones = {}
    for zone in sorted(Path(thermal_root).glob("thermal_zone*")):
        try:
            kind = (zone / "type").read_text().strip() if (zone / "type").exists() else zone.name
            zones[kind] = int((zone / "temp").read_text().strip()) / 1000.0
        except (OSError, ValueError):
            continue
    if not zones:
        return Check("temperature", SKIP, f"this board reports no temperature ({thermal_root} has no zone)")
    # The CPU's zone when it is named (cpu-thermal on a Pi, cpu-thermal/CPU-therm on a Jetson), else the hottest.
    cpu = [v for k, v in zones.items() if "cpu" in k.lower()]
    temp = max(cpu or zones.values())
    figures = {"cpu_c": temp, "zones": zones}
    if temp >= HOT_C:
        return Check("temperature", FAIL, f"CPU at {temp:.1f} °C (throttling starts at {HOT_C:g} °C)",
                     "a heatsink and fan, airflow around the box, or a lower run.pose_fps", figures)
    return Check("temperature", OK, f"CPU at {temp:.1f} °C", figures=figures)


def check_throttling(vcgencmd: str | None = None) -> Check:
    vcgencmd = vcgencmd or shutil.which("vcgencmd")
    if not vcgencmd:
        return Check("throttling", SKIP, "vcgencmd not found (only Raspberry Pi firmware reports throttling)")
    try:
        out = subprocess.run([vcgencmd, "get_throttled"], capture_output=True, text=True, timeout=5).stdout
        flags = int(out.strip().split("=", 1)[1], 16)
    except (OSError, subprocess.SubprocessError, IndexError, ValueError) as exc:
        return Check("throttling", SKIP, f"`vcgencmd get_throttled` gave no answer ({exc})")
    now = [text for bit, text in THROTTLE_BITS.items() if flags & (1 << bit)]
    since = [text for bit, text in THROTTLE_BITS.items() if flags & (1 << (bit + 16))]
    figures = {"flags": hex(flags), "now": now, "since_boot": since}
    fix = "the official power supply (5 V 3 A on a Pi 4, 5 V 5 A on a Pi 5), a short cable, and cooling"
    if now:
        return Check("throttling", FAIL, f"now: {', '.join(now)} ({hex(flags)})", fix, figures)
    if since:
        return Check("throttling", OK, f"not now; since boot: {', '.join(since)} ({hex(flags)})", fix, figures)
    return Check("throttling", OK, f"none ({hex(flags)})", figures=figures)


# --- all of them --------------------------------------------------------------------------------------
def run_checks(settings, *, device: str | None = None, broker: str | None = None, state_dir: Path | None = None,
               models_dir: Path | None = None, thermal_root: Path = Path("/sys/class/thermal"),
               vcgencmd: str | None = None) -> Report:
    device = device or settings.device.id
    state = Path(state_dir) if state_dir is not None else Path(settings.publish.state_dir)
    checks = [
        _bounded("camera", lambda: check_camera(settings), 15.0, CAMERA_FIX),
        _bounded("microphone", lambda: check_microphone(settings), 15.0, MIC_FIX),
        _bounded("broker", lambda: check_broker(settings, device, broker), 20.0, "check the broker"),
        check_models(models_dir),
        check_state_dir(state, settings.publish.outbox_quota_bytes),
        check_temperature(thermal_root),
        check_throttling(vcgencmd),
    ]
    return Report(checks)
