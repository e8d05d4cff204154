"""Headless Chromium (Debian's chromium + chromium-driver) through Selenium, and the classroom page's
server in a thread: shared by tests/display and scripts/display_screenshots.py."""

from __future__ import annotations

import threading
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def available() -> str | None:
    """None when the browser can run here, else what is missing."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(path).exists():
            return f"{path} not installed (apt-get install {package})"
    return None


def chrome(width: int = 1280, height: int = 900):
    """A headless Chromium that keeps the page's console log (get_log('browser'))."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver's path is given: Selenium Manager (which would download one) is never asked.
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


class DisplayServer:
    """`perfscore display`'s server (edge/display/server.py) on a free loopback port, in a thread."""

    def __init__(self):
        from edge.display import make_server

        self.server = make_server("127.0.0.1", 0)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, name="display-server", daemon=True)
        self.thread.start()

    def page(self, broker_ws: str, device: str | None = None, **extra: str) -> str:
        from urllib.parse import urlencode

        query = {"broker": broker_ws, **({"device": device} if device else {}), **extra}
        return self.url + "?" + urlencode(query)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# What the page shows, read from the DOM the way a person reads the screen (text, not internal state).
PAGE_STATE_JS = r"""
var out = {};
document.querySelectorAll("section.box").forEach(function (b) {
  var text = function (s) { var e = b.querySelector(s); return e ? e.textContent.trim() : null; };
  var shown = function (s) { var e = b.querySelector(s); return !!e && !e.hidden; };
  var bars = {}, subs = {};
  b.querySelectorAll(".live .bar").forEach(function (li) {
    bars[li.dataset.name] = {value: li.querySelector(".value").textContent.trim(),
                             width: li.querySelector(".fill").style.width};
  });
  b.querySelectorAll(".result .sub").forEach(function (li) {
    subs[li.dataset.name] = {value: li.querySelector(".value").textContent.trim(),
                             explanation: li.querySelector(".explanation").textContent.trim()};
  });
  out[b.dataset.device] = {
    state: b.dataset.state, stale: b.classList.contains("stale"), status: text(".status-text"),
    status_symbol: text(".status .sym"), heard: text(".heard"),
    performer: text(".performer"), piece: text(".piece"),
    live: shown(".live"), live_stale: b.querySelector(".live").classList.contains("stale"),
    live_age: text(".live .age"), beat: b.querySelector(".beat").dataset.beat, beat_text: text(".beat-text"),
    beat_symbol: text(".beat-sym"), live_overall: text(".live-overall .value"), bars: bars,
    result: shown(".result"), overall: text(".result .overall"), grade: text(".result .grade"),
    result_age: text(".result .age"), subs: subs,
    next: shown(".next"), task: text(".next .task-title"), instruction: text(".next .instruction"),
    why: text(".next .why"), next_for: text(".next .for")
  };
});
return {boxes: out, connection: document.getElementById("connection").dataset.state,
        connection_text: document.getElementById("connection").textContent.trim()};
"""


def page_state(driver) -> dict:
    return driver.execute_script(PAGE_STATE_JS)


def wait_page(driver, predicate, timeout: float = 20.0, what: str = "the page", poll: float = 0.2) -> dict:
    """Poll the page until predicate(state) is true; the last state in the error otherwise."""
    deadline = time.monotonic() + timeout
    state = page_state(driver)
    while not predicate(state):
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out waiting for {what}; the page shows {state}")
        time.sleep(poll)
        state = page_state(driver)
    return state


def console_errors(driver) -> list[dict]:
    """Console entries of level SEVERE (errors) since the last call."""
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
