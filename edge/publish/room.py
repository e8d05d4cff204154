"""A result that does not fit in the outbox (quota used up, or the state directory's disk full) is not
dropped: it waits in memory and is stored as soon as there is room (the broker took older rows, or
someone freed the disk). Meanwhile the box refuses new takes (`Publisher.accepting_takes`) and says
so in `health`, so at most the takes already running wait here.

Only a shutdown while the disk stays full loses such a result; it is logged with the take's id.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, TypeVar

from .outbox import OutboxFull

log = logging.getLogger(__name__)
T = TypeVar("T")


def deliver_when_room(send: Callable[[], T], *, what: str, stop: threading.Event,
                      beat: Callable[[], None] = lambda: None, retry_s: float = 1.0) -> T | None:
    """`send()` (which raises OutboxFull having stored nothing) until it succeeds; None only if `stop` was
    set while there was still no room. `beat` is called while waiting: waiting for room is not a hang."""
    waited_since: float | None = None
    while True:
        try:
            result = send()
        except OutboxFull as exc:
            if waited_since is None:
                waited_since = time.monotonic()
                log.error("%s waits in memory: %s", what, exc)
            if stop.is_set():
                log.error("%s is lost: shutting down while the outbox has no room (%s)", what, exc)
                return None
            beat()
            stop.wait(retry_s)
            continue
        if waited_since is not None:
            log.warning("%s stored in the outbox after waiting %.1f s for room", what,
                        time.monotonic() - waited_since)
        return result
