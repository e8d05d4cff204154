"""A private Mosquitto broker for tests: a free loopback port, a generated config, stopped by its PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

MOSQUITTO = "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    def __init__(self, folder: Path, persistent: bool = False, websockets: bool = False):
        self.folder = folder
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true", "log_dest stderr",
                 "log_type error", "log_type warning", "log_type notice", "user root",
                 "set_tcp_nodelay true"]
        if persistent:
            # Keeps a subscriber's session (clean_session=False) across a restart, as a real deployment would.
            lines += ["persistence true", f"persistence_location {folder}/", "autosave_interval 0"]
        else:
            lines.append("persistence false")
        # For browser pages (mqtt.js): a websockets listener bound by interface name, the only bind 2.0.11 obeys.
        self.ws_port = free_port() if websockets else None
        self.ws_url = f"ws://127.0.0.1:{self.ws_port}" if websockets else None
        if websockets:
            lines += [f"listener {self.ws_port} lo", "protocol websockets"]
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text("\n".join(lines) + "\n")
        self.log = folder / "mosquitto.log"

    def start(self, timeout: float = 10.0) -> "Broker":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        log = open(self.log, "ab")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited ({self.proc.returncode}): {self.log.read_text()[-2000:]}")
            try:
                for port in (self.port, self.ws_port):
                    if port is not None:
                        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"mosquitto did not listen on {self.port}: {self.log.read_text()[-2000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            self.proc.wait(10)
