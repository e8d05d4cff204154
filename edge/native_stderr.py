"""Native libraries (MediaPipe, TFLite, ALSA, JACK) print start-up chatter straight to file descriptor 2.

The CLI's stderr is for our own one-line errors, so that chatter is captured and passed to logging at
DEBUG (`perfscore -vv` shows it). Redirecting fd 2 is process-wide, hence the lock.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()


@contextmanager
def native_stderr_to_log(log: logging.Logger, what: str) -> Iterator[None]:
    with _lock, tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            noise = sink.read().decode(errors="replace").strip()
            if noise:
                log.debug("%s:\n%s", what, noise)
