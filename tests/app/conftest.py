"""`perfscore run` in its own process against a real Mosquitto (tests/publish/broker.py), on shipped samples."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import jsonschema
import pytest

from edge import PROJECT_ROOT
from tests.publish.broker import MOSQUITTO, Broker
from tests.publish.conftest import Recorder

if not Path(MOSQUITTO).exists():
    pytest.skip(f"{MOSQUITTO} not installed (apt-get install mosquitto)", allow_module_level=True)

DANCE = PROJECT_ROOT / "samples" / "dance_on_beat.mp4"     # 11 s, 30 fps, one dancer on the beat
MUSIC = PROJECT_ROOT / "samples" / "music_violin.wav"      # 14 s, no video: cheap to replay fast
SCHEMAS = PROJECT_ROOT / "edge" / "schemas"


def validate(kind: str, payload: dict) -> None:
    schema = json.loads((SCHEMAS / f"{kind}.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(payload)


class Box:
    """One `perfscore run` process; its stderr (the log) is read by a thread and kept."""

    def __init__(self, tmp: Path, broker_url: str, source: str, *args: str, state_dir: Path | None = None,
                 config: str = ""):
        tmp.mkdir(parents=True, exist_ok=True)
        self.state_dir = state_dir or tmp / "state"
        conf = tmp / "box.yaml"
        conf.write_text("publish:\n  reconnect_min_s: 1\n  reconnect_max_s: 1\n  health_interval_s: 1\n" + config)
        cmd = [sys.executable, "-m", "edge.cli.main", "--config", str(conf), "run", "--source", source,
               "--broker", broker_url, "--device", "demo", "--state-dir", str(self.state_dir), *args]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        self.lines: list[str] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_line(self, pattern: str, timeout: float = 60.0) -> re.Match:
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        exited_at = None
        with self._cond:
            while True:
                found = next((m for m in map(rx.search, self.lines) if m), None)
                if found:
                    return found
                now = time.monotonic()
                if exited_at is None and self.proc.poll() is not None:
                    exited_at = now            # the reader may still hold its last lines: one more second
                if now >= deadline or (exited_at is not None and now - exited_at > 1.0):
                    raise AssertionError(f"no log line /{pattern}/; exit {self.proc.poll()}; log:\n"
                                         + "\n".join(self.lines[-30:]))
                self._cond.wait(0.25)

    def signal(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def wait(self, timeout: float = 60.0) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("perfscore run did not exit; log:\n" + "\n".join(self.lines[-30:])) from None

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


@pytest.fixture
def boxes():
    made: list[Box] = []

    def make(*args, **kwargs) -> Box:
        box = Box(*args, **kwargs)
        made.append(box)
        return box

    yield make
    for box in made:
        box.kill()


@pytest.fixture
def broker(tmp_path_factory):
    b = Broker(tmp_path_factory.mktemp("mosquitto")).start()
    yield b
    b.stop()


@pytest.fixture
def recorders():
    made: list[Recorder] = []

    def make(port: int, topic: str = "perfscore/#") -> Recorder:
        r = Recorder(port, topic)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


@pytest.fixture(scope="session")
def generated_music(tmp_path_factory):
    """Two renders (a flute minuet-like chorale, a clarinet chorale at another tempo), trimmed to sound."""
    from .media import music

    folder = tmp_path_factory.mktemp("daemon-music")
    return {"flute": music(folder, piece_id="bach-bwv57.8", instrument="flute", tempo_bpm=104, max_beats=40),
            "clarinet": music(folder, piece_id="bach-bwv145.5", instrument="clarinet", tempo_bpm=84,
                              max_beats=28)}


@pytest.fixture(scope="session")
def silence_then_music(generated_music, tmp_path_factory):
    """6 s quiet room, 12 s flute, 10 s quiet, 6 s clarinet, 4 s quiet (38 s, audio only)."""
    from .media import fit, layout, silence

    path = tmp_path_factory.mktemp("daemon-media") / "silence_then_music.wav"
    return layout(path, [silence(6, 1), fit(generated_music["flute"], 12), silence(10, 2),
                         fit(generated_music["clarinet"], 6), silence(4, 3)])


@pytest.fixture(scope="session")
def long_music(generated_music, tmp_path_factory):
    """Music without a break for 240 s (the two renders alternating, looped), audio only."""
    from .media import fit, layout

    parts = [fit(generated_music["flute"], 20), fit(generated_music["clarinet"], 20)] * 6
    return layout(tmp_path_factory.mktemp("daemon-media") / "long_music.wav", parts)


def ask(sub: Recorder, verb: str, args: dict, request_id: str, device: str = "demo", timeout: float = 10.0) -> dict:
    """Send one command as an integrator would and return its validated result."""
    from edge.publish import payloads

    sub.client.publish(f"perfscore/{device}/cmd/{verb}", json.dumps(payloads.command(args, request_id=request_id)),
                       qos=1)
    sub.wait_for(lambda r: any(b.get("request_id") == request_id for b in r.on(f"/cmd/{verb}/result")),
                 timeout=timeout, what=f"result of {verb} {request_id}")
    result = next(b for b in sub.on(f"/cmd/{verb}/result") if b.get("request_id") == request_id)
    validate("command_result", result)
    return result
