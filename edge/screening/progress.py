"""Progress lines for logs: what a screening run prints on stderr when no one watches a terminal.

A run of a thousand entries goes for hours under cron, systemd or `nohup … 2> log`; a progress bar
there is noise (or nothing), so this prints whole lines instead:

    screen: 0/840 entries to score (160 reused from earlier runs); a line every 5 % and at least every 60 s
    screen: 42/840 done (5 %), 1 failed; 0:07:02 elapsed, about 2:13:40 left
    screen: finished 840/840 (100 %), 12 failed; 2:20:41 elapsed

A line is printed whenever another 5 % of the entries is finished, and at least every 60 s while the
run goes on (from a timer thread), so a log that stops growing means the run stopped.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Callable, TextIO

STEP_PERCENT = 5.0
EVERY_S = 60.0


def _clock_text(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class LogProgress:
    """The runner's Progress (start, advance, close), as lines on a stream."""

    def __init__(self, stream: TextIO | None = None, *, every_s: float = EVERY_S, step_percent: float = STEP_PERCENT,
                 clock: Callable[[], float] = time.monotonic, timer: bool = True):
        self.stream = stream if stream is not None else sys.stderr
        self.every_s, self.step = every_s, step_percent
        self.clock, self.timer = clock, timer
        self.total = self.done = self.failed = 0
        self._started = self._last_line = 0.0
        self._next_percent = step_percent
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, total: int, reused: int) -> None:
        self.total = total
        self._started = self.clock()
        again = f" ({reused} reused from earlier runs)" if reused else ""
        self._print(f"screen: 0/{total} entries to score{again}; a line every {self.step:g} % "
                    f"and at least every {self.every_s:g} s")
        if self.timer and total:
            self._thread = threading.Thread(target=self._heartbeat, name="screen-progress", daemon=True)
            self._thread.start()

    def advance(self, failed: bool) -> None:
        with self._lock:
            self.done += 1
            self.failed += bool(failed)
            percent = 100.0 * self.done / self.total if self.total else 100.0
            if percent + 1e-9 < self._next_percent or self.done >= self.total:
                return  # the last entry is reported by close()
            while self._next_percent <= percent + 1e-9:
                self._next_percent += self.step
        self._print(self._status())

    def tick(self) -> None:
        """Print a line if none was printed for `every_s` (the timer thread calls this)."""
        if self.clock() - self._last_line >= self.every_s:
            self._print(self._status())

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.total:
            word = "finished" if self.done >= self.total else "stopped at"
            self._print(f"screen: {word} {self.done}/{self.total} ({self._percent()} %), {self.failed} failed; "
                        f"{_clock_text(self.clock() - self._started)} elapsed")

    def _percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 100

    def _status(self) -> str:
        elapsed = self.clock() - self._started
        left = f", about {_clock_text(elapsed / self.done * (self.total - self.done))} left" if self.done else ""
        return (f"screen: {self.done}/{self.total} done ({self._percent()} %), {self.failed} failed; "
                f"{_clock_text(elapsed)} elapsed{left}")

    def _heartbeat(self) -> None:
        while not self._stop.wait(min(self.every_s, 1.0)):
            self.tick()

    def _print(self, line: str) -> None:
        with self._lock:
            self._last_line = self.clock()
            print(line, file=self.stream, flush=True)
