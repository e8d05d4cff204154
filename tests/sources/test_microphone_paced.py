"""MicrophoneSource on a paced device: a real PulseAudio server's null sink, read through ALSA's pulse plugin.

The ALSA `file` test device (conftest) hands out samples as fast as they are read; a sound server paces
them in real time and holds them while the reader is busy, as PulseAudio or PipeWire does on a Raspberry
Pi. The server is started by the fixture on a socket in a temporary folder and stopped by its PID.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import SYSTEM_ALSA_CONF

pytest.importorskip("pyaudio", reason="the 'capture' extra (PyAudio) is not installed")
PULSEAUDIO = shutil.which("pulseaudio")
if PULSEAUDIO is None or not glob.glob("/usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so"):
    # scripts/bootstrap installs both with the dev extra
    pytest.skip("PulseAudio or ALSA's pulse plugin is not installed (apt-get install pulseaudio "
                "libasound2-plugins)", allow_module_level=True)

RATE = 44100
BLOCK = 1024


@pytest.fixture(scope="module")
def paced_microphone(tmp_path_factory):
    """Environment for a process whose ALSA device `pulsemic` records a PulseAudio null sink's monitor."""
    folder = tmp_path_factory.mktemp("pulse")
    socket = folder / "native"
    (folder / "daemon.pa").write_text(
        f"load-module module-null-sink sink_name=studio rate={RATE} channels=1\n"
        f"load-module module-native-protocol-unix auth-anonymous=1 socket={socket}\n")
    (folder / "asound.conf").write_text(
        f'pcm.pulsemic {{ type pulse; server "unix:{socket}"; device "studio.monitor" }}\n')
    env = {**os.environ, "HOME": str(folder), "XDG_RUNTIME_DIR": str(folder)}
    log = open(folder / "pulseaudio.log", "w")
    server = subprocess.Popen([PULSEAUDIO, "-n", "-F", str(folder / "daemon.pa"), "--daemonize=no",
                               "--exit-idle-time=-1", "--use-pid-file=no", "--log-target=stderr"],
                              env=env, stdout=log, stderr=log)
    try:      # stopped by its PID however the start or the tests end
        deadline = time.monotonic() + 20
        while not socket.exists():
            assert server.poll() is None, (folder / "pulseaudio.log").read_text()
            assert time.monotonic() < deadline, "PulseAudio did not open its socket in 20 s"
            time.sleep(0.05)
        yield {**env, "ALSA_CONFIG_PATH": f"{SYSTEM_ALSA_CONF}:{folder / 'asound.conf'}"}
    finally:
        server.terminate()
        server.wait(10)
        log.close()


READER = """
import json, sys, time
from edge.sources.microphone import MicrophoneSource

stall_after_s, stall_s, total_s = map(float, sys.argv[1:4])
origin = time.monotonic()
mic = MicrophoneSource("pulsemic", sample_rate=%d, chunk_frames=%d, origin=origin)
chunks, counted, stalled_at = [], 0, None
for chunk in mic:
    chunks.append([chunk.t, chunk.samples.size, time.monotonic() - origin])
    counted += chunk.samples.size
    if stalled_at is None and counted >= stall_after_s * %d:
        stalled_at = time.monotonic() - origin
        time.sleep(stall_s)                  # the box busy elsewhere: nobody reads
    if counted >= total_s * %d:
        break
latency = mic._latency
mic.close()
print(json.dumps({"chunks": chunks, "stalled_at": stalled_at, "losses": mic.sample_clock.losses,
                  "latency": latency}))
""" % (RATE, BLOCK, RATE, RATE)


def record(env, stall_after_s: float, stall_s: float, total_s: float) -> dict:
    done = subprocess.run([sys.executable, "-c", READER, str(stall_after_s), str(stall_s), str(total_s)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_stall_of_the_reader_does_not_move_the_audio_timeline(paced_microphone):
    """The reader sleeps 0.6 s after 1 s of audio; the server holds what is recorded meanwhile. Every chunk
    keeps its place on the capture clock: the chunks stay contiguous, the ones read just after the stall
    were recorded during it, and at the end the audio is as current as it was before (re-anchoring at
    the late read put the whole rest of the take 0.6 s late against the camera)."""
    out = record(paced_microphone, stall_after_s=1.0, stall_s=0.6, total_s=3.0)
    chunks, latency = out["chunks"], out["latency"]
    t0 = chunks[0][0]
    for k, (t, size, _) in enumerate(chunks):
        assert size == BLOCK and t == pytest.approx(t0 + k * BLOCK / RATE, abs=1e-9)
    assert out["losses"] == 0
    # How far each chunk's end is behind the moment it was handed out: the stall adds to it while the
    # backlog drains, then it is back where it was.
    behind = [got - (t + size / RATE) for t, size, got in chunks]
    first_after = next(k for k, (_, _, got) in enumerate(chunks) if got > out["stalled_at"])
    assert behind[first_after] > 0.5                                   # the stall happened
    assert chunks[first_after][0] < out["stalled_at"] + 0.05           # recorded before the stall ended
    settled = sorted(behind[:first_after - 1])[len(behind[:first_after - 1]) // 2]
    assert -0.02 <= settled <= latency + 0.1
    # The last 20 chunks (0.46 s), read well after the backlog was drained, are as current as before it.
    assert sorted(behind[-20:])[10] == pytest.approx(settled, abs=0.06)
