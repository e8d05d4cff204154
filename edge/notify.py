"""systemd's sd_notify protocol, spoken directly: one datagram per message to the unix socket in $NOTIFY_SOCKET.

The unit (systemd/perfscore.service) is `Type=notify` with `WatchdogSec=`: systemd waits for `READY=1`, shows
`STATUS=` lines in `systemctl status`, and restarts the daemon when `WATCHDOG=1` stops arriving within
$WATCHDOG_USEC. No library: the protocol is a datagram of `KEY=value` lines (a leading `@` in the socket
path means Linux's abstract namespace). Outside systemd ($NOTIFY_SOCKET unset) every call does nothing.

`Watchdog` pings only while every registered stage (capture, pose, scoring …) reports progress, so a stage
that hangs stops the pings and systemd restarts the box — a thread that merely stays alive proves nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import contextlib
import time
from typing import Callable, Iterable, Iterator, Mapping

log = logging.getLogger(__name__)


def _address(path: str) -> str | bytes:
    # "@name" is the abstract namespace: the kernel wants a leading NUL byte instead of the "@".
    return b"\0" + path[1:].encode() if path.startswith("@") else path


class Notifier:
    """Sends sd_notify messages to one socket; a Notifier without a socket is silent (not under systemd)."""

    def __init__(self, socket_path: str | None, watchdog_usec: int | None = None):
        self.socket_path = socket_path or None
        self.watchdog_usec = watchdog_usec
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Notifier":
        """From $NOTIFY_SOCKET and $WATCHDOG_USEC ($WATCHDOG_PID, when set, must be this process)."""
        usec: int | None = None
        raw = environ.get("WATCHDOG_USEC")
        pid = environ.get("WATCHDOG_PID")
        if raw and (not pid or pid == str(os.getpid())):
            try:
                usec = int(raw) if int(raw) > 0 else None
            except ValueError:
                log.warning("$WATCHDOG_USEC=%r is not a number of microseconds; no watchdog pings", raw)
        return cls(environ.get("NOTIFY_SOCKET"), usec)

    @property
    def enabled(self) -> bool:
        return self.socket_path is not None

    def send(self, **fields: str) -> bool:
        """One datagram of KEY=value lines; True if it was sent. A missing listener is logged, never raised:
        the daemon must not die because systemd went away."""
        if not self.enabled or not fields:
            return False
        message = "\n".join(f"{key}={value}" for key, value in fields.items()).encode()
        with self._lock:
            try:
                if self._sock is None:
                    self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.sendto(message, _address(self.socket_path))
                return True
            except OSError as exc:
                log.warning("sd_notify to %s failed: %s", self.socket_path, exc)
                return False

    def ready(self, status: str | None = None) -> bool:
        return self.send(READY="1", **({"STATUS": status} if status else {}))

    def status(self, text: str) -> bool:
        # One line: a newline would start a new KEY=value field.
        return self.send(STATUS=" ".join(str(text).split()))

    def stopping(self) -> bool:
        return self.send(STOPPING="1")

    def watchdog(self) -> bool:
        return self.send(WATCHDOG="1")

    def watchdog_interval(self) -> float | None:
        """Seconds between pings: half of $WATCHDOG_USEC (systemd's advice); None without a watchdog."""
        return self.watchdog_usec / 2e6 if self.watchdog_usec else None

    def close(self) -> None:
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None


class Watchdog:
    """Pings systemd only while every stage makes progress.

    Each stage calls `beat(name)` whenever it gets work done (a frame captured, a pose estimated, a window
    scored). `ping_if_alive()` sends WATCHDOG=1 only if every registered stage beat since the last ping
    (or since it was registered), then starts a new round. `run()` calls it every `interval` seconds.
    An idle stage must still beat (e.g. the scorer beats while it waits on an empty queue) — only a
    stuck one stops.
    """

    def __init__(self, notifier: Notifier, stages: Iterable[str] = (), clock: Callable[[], float] = time.monotonic):
        self.notifier = notifier
        self._clock = clock
        self._lock = threading.Lock()
        self._beaten: dict[str, bool] = {name: False for name in stages}
        self._last_beat: dict[str, float] = {name: clock() for name in self._beaten}
        self._busy_until: dict[str, float] = {}    # a stage inside one long piece of work (see `busy`)
        self.pings = 0
        self.missed: list[str] = []     # the stages that held back the last withheld ping

    def register(self, name: str) -> None:
        with self._lock:
            self._beaten.setdefault(name, False)
            self._last_beat.setdefault(name, self._clock())

    def beat(self, name: str) -> None:
        with self._lock:
            if name not in self._beaten:
                raise KeyError(f"watchdog stage {name!r} is not registered")
            self._beaten[name] = True
            self._last_beat[name] = self._clock()

    @contextlib.contextmanager
    def busy(self, name: str, allowed_s: float) -> Iterator[None]:
        """One long piece of work that cannot beat as it goes (measuring a whole take: minutes of audio on a
        Pi) counts as progress for up to `allowed_s`; past that the stage is hung and the pings stop."""
        with self._lock:
            if name not in self._beaten:
                raise KeyError(f"watchdog stage {name!r} is not registered")
            self._busy_until[name] = self._clock() + allowed_s
        try:
            yield
        finally:
            with self._lock:
                self._busy_until.pop(name, None)
            self.beat(name)

    def stalled(self) -> dict[str, float]:
        """Seconds since each stage's last beat (for `health` and STATUS= lines)."""
        now = self._clock()
        with self._lock:
            return {name: now - t for name, t in self._last_beat.items()}

    def ping_if_alive(self) -> bool:
        with self._lock:
            now = self._clock()
            missing = [name for name, beaten in self._beaten.items()
                       if not beaten and self._busy_until.get(name, now) <= now]
            if missing:
                self.missed = missing
                return False
            for name in self._beaten:
                self._beaten[name] = False
            self.missed = []
        sent = self.notifier.watchdog()
        self.pings += sent
        return sent

    def run(self, stop: threading.Event, interval: float | None = None) -> None:
        """Ping every `interval` s (default: the notifier's half of $WATCHDOG_USEC) until `stop` is set."""
        interval = interval or self.notifier.watchdog_interval()
        if not interval:
            return
        while not stop.wait(interval):
            if not self.ping_if_alive():
                log.warning("watchdog: no progress from %s; not pinging", ", ".join(self.missed) or "any stage")

    def start(self, stop: threading.Event, interval: float | None = None) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop, interval), name="watchdog", daemon=True)
        thread.start()
        return thread
