"""Fixtures for source tests: generated recordings, a local HTTP server, an ALSA test microphone."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from .media import write_media


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def make_media(media_dir):
    """write_media with caching: the same arguments give the same file, written once per session."""
    made: dict[str, Path] = {}

    def make(name: str, **kwargs) -> Path:
        if name not in made:
            made[name] = write_media(media_dir / name, **kwargs)
        return made[name]

    return make


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def http_root(tmp_path_factory):
    """(directory, base URL) of a real HTTP server on a free loopback port."""
    root = tmp_path_factory.mktemp("http")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


from tests.conftest import ALSA_RATE


@pytest.fixture
def alsa_microphone():
    """A test microphone named `testmic` (also the default input): ALSA's `file` plugin serves a raw
    PCM file as a capture device (FACTS.md). It is configured for the whole test session by
    tests/conftest.py, through ALSA_CONFIG_PATH, before anything loads ALSA: ALSA reads its
    configuration once per process, and importing mediapipe already does. The slave format is pinned
    to 16-bit mono at ALSA_RATE so the file's bytes reach PortAudio unconverted. Reads are not paced
    in real time. Returns a function writing the samples the microphone will deliver.
    """
    raw = Path(os.environ["PERFSCORE_TEST_MIC_RAW"])

    def serve(samples: np.ndarray) -> Path:
        raw.write_bytes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
        return raw

    serve(np.zeros(ALSA_RATE, np.float32))
    return serve


class _LiveStreamHandler(http.server.BaseHTTPRequestHandler):
    """Streams half a file like a live camera (no length), then drops the connection (`/drop/...`)
    or keeps it open sending nothing until the test session ends (`/stall/...`)."""

    root: Path
    released: threading.Event

    def log_message(self, *args):
        pass

    def do_GET(self):
        mode, name = self.path.strip("/").split("/", 1)
        data = (self.root / name).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "video/mp2t")
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        if mode == "stall":
            self.released.wait()
        self.close_connection = True


@pytest.fixture(scope="session")
def live_stream(tmp_path_factory):
    """Base URL of live MPEG-TS streams over HTTP (like an IP camera's) that fail after ~1.5 s of
    video: f"{base}/drop/cam.ts" hangs up, f"{base}/stall/cam.ts" goes silent."""
    root = tmp_path_factory.mktemp("live")
    write_media(root / "cam.ts", seconds=3.0, audio_codec=None)
    released = threading.Event()
    handler = type("Handler", (_LiveStreamHandler,), {"root": root, "released": released})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    released.set()
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def dropping_stream(live_stream):
    return f"{live_stream}/drop/cam.ts"
