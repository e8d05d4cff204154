"""One real studio for the display, Home Assistant and Prometheus tests (shared: the daemon run is the
expensive part): Mosquitto with a websockets listener, the page in headless Chromium, and `perfscore run`
replaying a shipped dance recording as one take with Home Assistant discovery and /metrics switched on.

While the daemon runs, the fixture records what the page shows (every 0.25 s) and what /metrics says
(every 0.3 s), so the tests can assert on the take as it happened, not only on its end."""

from __future__ import annotations

import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.app.conftest import DANCE, Box
from tests.publish.broker import MOSQUITTO, Broker, free_port
from tests.publish.conftest import Recorder

from .browser import DisplayServer, available, chrome, console_errors, page_state, wait_page

missing = available() or (None if Path(MOSQUITTO).exists() else f"{MOSQUITTO} not installed")
if missing:
    pytest.skip(missing, allow_module_level=True)

PERFORMER, PIECE = "p-042", "on-beat"


@dataclass
class Studio:
    broker: Broker
    server: DisplayServer
    driver: object
    sub: Recorder                      # everything the broker carried ('#'), as the test's own subscriber
    tmp: Path
    metrics_url: str
    box: Box | None = None
    snapshots: list = field(default_factory=list)     # page states while the take ran
    scrapes: list = field(default_factory=list)       # (monotonic time, /metrics text)
    errors: list = field(default_factory=list)        # browser console errors seen so far

    def page(self, **kwargs) -> str:
        return self.server.page(self.broker.ws_url, **kwargs)

    def console_errors(self) -> list:
        self.errors += console_errors(self.driver)
        return self.errors


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.read().decode()


@pytest.fixture(scope="session")
def studio(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("studio")
    (tmp / "mosquitto").mkdir()
    broker = Broker(tmp / "mosquitto", websockets=True).start()
    server = DisplayServer()
    driver = chrome(1920, 1080)
    sub = Recorder(broker.port, "#")
    s = Studio(broker, server, driver, sub, tmp, metrics_url=f"http://127.0.0.1:{free_port()}/metrics")
    try:
        yield s
    finally:
        if s.box is not None:
            s.box.kill()
        sub.close()
        driver.quit()
        server.stop()
        broker.stop()


@pytest.fixture(scope="session")
def take_run(studio):
    """The page open on every box; `perfscore run --once` replays the dance at real time: live windows,
    then the session and the recommendation. Returns the studio once the box has stopped cleanly."""
    s = studio
    s.driver.get(s.page())
    wait_page(s.driver, lambda st: st["connection"] == "connected", what="the page to connect")
    port = int(s.metrics_url.split(":")[2].split("/")[0])
    config = (f"  homeassistant:\n    enabled: true\nrun:\n  metrics:\n    enabled: true\n    port: {port}\n")
    s.box = Box(s.tmp / "demo", s.broker.url, f"replay:{DANCE}", "--once", "--performer", PERFORMER,
                "--piece", PIECE, config=config)
    done = threading.Event()

    def scraper():
        while not done.is_set() and s.box.proc.poll() is None:
            try:
                s.scrapes.append((time.monotonic(), scrape(s.metrics_url)))
            except OSError:
                pass                      # not listening yet, or already stopped
            done.wait(0.3)

    thread = threading.Thread(target=scraper, daemon=True)
    thread.start()
    try:
        while s.box.proc.poll() is None:
            s.snapshots.append(page_state(s.driver))
            time.sleep(0.25)
    finally:
        done.set()
        thread.join(5)
    assert s.box.wait(60) == 0, "\n".join(s.box.lines[-30:])
    s.sub.wait_for(lambda r: r.on("/recommendation") and r.on("/status")[-1]["state"] == "stopped",
                   timeout=20, what="recommendation and status stopped")
    return s
