"""`perfscore display` and its static server: the page's files with the right types and headers, nothing
else; and the vendored mqtt.js is the very npm build scripts/vendor_mqtt_js recorded."""

from __future__ import annotations

import hashlib
import http.client
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from edge import PROJECT_ROOT
from edge.display import STATIC
from tests.publish.broker import free_port

from .browser import DisplayServer


@pytest.fixture(scope="module")
def server():
    s = DisplayServer()
    yield s
    s.stop()


def get(url: str) -> tuple[int, object, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_serves_the_page_and_its_files_with_types_and_a_strict_policy(server):
    status, headers, body = get(server.url + "?broker=ws://127.0.0.1:9001&password=secret")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'src="vendor/mqtt.min.js"' in body and b"http" not in body.split(b"<script")[1][:80]   # no CDN
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer" and headers["X-Content-Type-Options"] == "nosniff"
    for path, kind in (("display.js", "text/javascript"), ("display.css", "text/css"),
                       ("vendor/mqtt.min.js", "text/javascript"), ("vendor/mqtt.LICENSE.md", "text/plain")):
        status, headers, body = get(server.url + path)
        assert status == 200 and headers["Content-Type"].startswith(kind) and body, path


def test_nothing_outside_the_folder_no_listings_no_writes(server):
    assert get(server.url + "vendor/")[0] == 404
    assert get(server.url + "nothing.js")[0] == 404
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/../../server.py")          # raw, so the client does not normalise the path
    assert conn.getresponse().status == 404
    conn.request("POST", "/", body=b"x")
    assert conn.getresponse().status == 405
    conn.close()


def test_the_vendored_mqtt_js_is_the_recorded_npm_build():
    record = (STATIC / "vendor" / "mqtt.min.js.sha256").read_text().split()
    assert hashlib.sha256((STATIC / "vendor" / "mqtt.min.js").read_bytes()).hexdigest() == record[0]
    script = (PROJECT_ROOT / "scripts" / "vendor_mqtt_js").read_text()
    assert f"BUNDLE_SHA256={record[0]}" in script and "mqtt@5.16.0" in " ".join(record)
    assert "MIT License" in (STATIC / "vendor" / "mqtt.LICENSE.md").read_text()


def test_the_command_serves_until_interrupted_and_names_a_busy_port():
    port = free_port()
    cmd = [sys.executable, "-m", "edge.cli.main", "display", "--port", str(port)]
    # SIGINT's default action, as in a terminal: a test run started in the background (`pytest &`, nohup)
    # hands down an ignored SIGINT, and Python installs no Ctrl-C handler then.
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert f"http://127.0.0.1:{port}/" in proc.stdout.readline()
        status, _, body = get(f"http://127.0.0.1:{port}/")
        assert status == 200 and b"perfscore" in body
        busy = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
        assert busy.returncode == 2 and f"--port {port}: cannot listen" in busy.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
