"""The daemon (App, in this process) on a microphone that goes away and comes back; prints one JSON line.

    python tests/faults/mic_box.py BROKER_URL STATE_DIR GONE_S

What is real: ALSA and PortAudio (PyAudio) with a capture device `testmic` (ALSA's `file` plugin serving a
raw PCM file, as in tests/conftest.py), MicrophoneSource, the reopen with back-off (edge/sources/retry.py),
LiveSource, the App with its take, outbox and MQTT to a real broker, `health`.
What is injected, at the PortAudio boundary, because ALSA's file device cannot vanish: while the device is
"gone", a running stream's read raises the error PortAudio raises for an unplugged USB microphone
(OSError -9999, Unanticipated host error) and opening it raises PortAudio's -9996 (Invalid input device).
Reads are paced to real time as a sound card's are (the file plugin is not paced).
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
RATE = 44100

from tests.conftest import use_alsa_test_microphone  # noqa: E402


def configure_alsa(folder: Path) -> None:
    """Before anything loads ALSA (it reads its configuration once per process)."""
    raw = folder / "mic.raw"
    t = np.arange(RATE * 60) / RATE
    tone = 0.3 * np.sin(2 * np.pi * 440 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 2 * t) ** 2)   # a pulsing A4
    raw.write_bytes((tone * 32767).astype("<i2").tobytes())
    use_alsa_test_microphone(folder, raw, RATE)


def main(broker: str, state_dir: str, gone_s: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="perfscore-mic-fault-"))
    configure_alsa(folder)
    import logging

    import pyaudio

    from edge.app import App
    from edge.config import load_settings

    gone = threading.Event()
    real_read, real_open = pyaudio.PyAudio.Stream.read, pyaudio.PyAudio.open

    def read(self, frames, exception_on_overflow=True):
        start = time.monotonic()
        if gone.is_set():
            raise OSError(-9999, "Unanticipated host error")
        data = real_read(self, frames, exception_on_overflow=exception_on_overflow)
        time.sleep(max(0.0, frames / RATE - (time.monotonic() - start)))    # a sound card's pace
        return data

    def open_(self, *args, **kwargs):
        if gone.is_set():
            raise OSError(-9996, "Invalid input device (no default output device)")
        return real_open(self, *args, **kwargs)

    pyaudio.PyAudio.Stream.read, pyaudio.PyAudio.open = read, open_

    sessions: list[tuple[str, str]] = []
    rx = re.compile(r"take (\S+): session ([0-9a-f-]{36}) published")

    class Sessions(logging.Handler):
        def emit(self, record):
            m = rx.search(record.getMessage())
            if m:
                sessions.append(m.groups())

    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    logging.getLogger("perfscore.run").addHandler(Sessions())
    layer = folder / "mic.yaml"
    layer.write_text(f"capture:\n  camera: null\n  microphone:\n    device: testmic\n    sample_rate: {RATE}\n"
                     "publish:\n  health_interval_s: 1\n")
    settings = load_settings([ROOT / "firmware_configs" / "x86-dev.yaml", layer])
    app = App(settings, "mic:", device="demo", broker=broker, state_dir=state_dir)
    app.start()
    out: dict = {}
    try:
        assert _until(lambda: app.audio_in > 20, 30), "no audio from the microphone"
        take = app._cmd_start({"performer": "p-1"})["take_id"]
        time.sleep(2)
        gone.set()
        gone_at = time.monotonic()
        mic = app.source.sources[0]
        reported = _until(lambda: any(d["state"] == "reconnecting"
                                      for d in app.health_figures({})["capture"]["devices"]), 10)
        time.sleep(max(0.0, gone_s - (time.monotonic() - gone_at)))
        chunks_then = app.audio_in
        gone.clear()
        back = time.monotonic()
        resumed = _until(lambda: app.audio_in > chunks_then, 30)
        devices = app.health_figures({})["capture"]["devices"]
        time.sleep(1)
        app._cmd_stop({})
        assert _until(lambda: any(t == take for t, _ in sessions), 60), "the take's session was not published"
        delivered = app.publisher.wait_delivered(30)
        out = {"take": take, "sessions": sessions, "resumed_s": None if resumed is None else round(resumed - back, 2),
               "reported_in_health_after_s": None if reported is None else round(reported - gone_at, 2),
               "devices": devices, "reopen_attempts": mic.attempts, "delivered": delivered}
    finally:
        app.stop()
    print(json.dumps(out), flush=True)


def _until(predicate, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(0.02)
    return None


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
