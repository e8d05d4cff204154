"""Screenshots of the classroom page from a real run, for docs/display.md:

    docs/display-live.png    during a take: live sub-score bars, the beat, who performs
    docs/display-after.png   after it: overall, grade, each sub-score's sentence, the next task

What runs is what tests/display drives: a private Mosquitto with a websockets listener, the page served by
`perfscore display`'s server in headless Chromium (1920x1080, a classroom TV), and `perfscore run --once`
replaying samples/dance_on_beat.mp4. For the second picture the box is started again (idle, no take) so
it is online and shows its last take, as a classroom screen would between two performers.

Run: .venv/bin/python scripts/display_screenshots.py      (about 40 s; needs mosquitto, chromium, chromium-driver)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.display.browser import DisplayServer, available, chrome, page_state, wait_page  # noqa: E402
from tests.publish.broker import Broker  # noqa: E402

DEVICE, PERFORMER, PIECE = "studio-1", "p-0042", "on-beat"
DANCE = ROOT / "samples" / "dance_on_beat.mp4"
IDLE = ROOT / "samples" / "music_violin.wav"      # a source for the idle restart (no take is started)


def daemon(tmp: Path, broker: Broker, source: str, *args: str) -> subprocess.Popen:
    conf = tmp / "box.yaml"
    conf.write_text("publish:\n  health_interval_s: 1\n")
    cmd = [sys.executable, "-m", "edge.cli.main", "--config", str(conf), "run", "--source", source,
           "--broker", broker.url, "--device", DEVICE, "--state-dir", str(tmp / "state"), *args]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(tmp / "box.log", "ab"),
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def shoot(driver, path: Path) -> None:
    driver.save_screenshot(str(path))
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> int:
    missing = available()
    if missing:
        print(f"display_screenshots: {missing}", file=sys.stderr)
        return 2
    out = ROOT / "docs"
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        (tmp / "mosquitto").mkdir()
        broker = Broker(tmp / "mosquitto", websockets=True).start()
        server = DisplayServer()
        driver = chrome(1920, 1080)
        box = None
        try:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
            driver.get(server.page(broker.ws_url))
            wait_page(driver, lambda st: st["connection"] == "connected", what="the page to connect")
            box = daemon(tmp, broker, f"replay:{DANCE}", "--once", "--performer", PERFORMER, "--piece", PIECE)

            def live_enough(st) -> bool:
                b = st["boxes"].get(DEVICE, {})
                return bool(b.get("live") and not b["live_stale"] and len(b["bars"]) >= 4 and b["beat"] != "unknown"
                            and b["live_overall"] not in (None, "—"))

            wait_page(driver, live_enough, timeout=90, poll=0.1, what="a live take")
            time.sleep(2.0)                 # a few windows in: the bars have moved
            wait_page(driver, live_enough, timeout=10, poll=0.1, what="still live")
            shoot(driver, out / "display-live.png")
            if box.wait(120) != 0:
                raise SystemExit(f"perfscore run failed: {(tmp / 'box.log').read_text()[-3000:]}")
            box = daemon(tmp, broker, f"replay:{IDLE}", "--speed", "0.25")      # back online, idle
            wait_page(driver, lambda st: st["boxes"].get(DEVICE, {}).get("status") == "Online"
                      and st["boxes"][DEVICE].get("next"), timeout=60, what="the box online with its last take")
            time.sleep(1.5)
            state = page_state(driver)["boxes"][DEVICE]
            shoot(driver, out / "display-after.png")
            print(f"shown: performer {state['performer']}, overall {state['overall']}, grade {state['grade']}, "
                  f"next task {state['task']!r}")
        finally:
            if box is not None and box.poll() is None:
                box.send_signal(signal.SIGTERM)
                box.wait(60)
            driver.quit()
            server.stop()
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
