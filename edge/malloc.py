"""glibc's allocator, told how a box that runs for months allocates.

glibc gives each thread that allocates under contention its own arena (up to 8 per core) and keeps
the pages a thread freed in that thread's arena. The daemon's threads (capture, pipeline, live,
results, MediaPipe's and ONNX Runtime's own) each allocate and free a take's arrays in turn, so freed
memory piles up in many arenas and RSS climbs take after take although nothing is kept
(bench/daemon.py soak: RSS +58 % over 20 minutes with glibc's defaults). Two arenas and a trim after
each take keep it flat. Nothing here changes a result; on a libc without these calls it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os

log = logging.getLogger(__name__)

M_ARENA_MAX = -8      # <malloc.h>
ARENAS = 2


@functools.cache
def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim    # glibc only: musl and others have neither
    except (OSError, AttributeError):
        return None
    return libc


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's arenas (before the threads start; arenas made earlier stay). MALLOC_ARENA_MAX in
    the environment wins: an operator who set it knows their board. True when the cap is in force."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return True
    libc = _libc()
    if libc is None:
        log.debug("not glibc: arenas left as they are")
        return False
    return bool(libc.mallopt(M_ARENA_MAX, int(arenas)))


def release_free_memory() -> bool:
    """Give the pages no one uses back to the system (every arena's, not only the top of the heap).
    Called after a take is published: a few milliseconds, once per take."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False
