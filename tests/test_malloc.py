"""edge/malloc.py on this machine's glibc: the cap takes, and a trim gives freed pages back."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from edge import malloc

pytestmark = pytest.mark.skipif(malloc._libc() is None, reason="not glibc")

# Eight threads each allocate 400 arrays of 64 KiB (below glibc's mmap threshold: they land in the
# threads' arenas), wait until all have, then keep every 20th and free the rest, as a take's arrays
# come and go. The kept ones pin the heaps' tops, so only a trim of every arena hands the freed middle back.
CHILD = r"""
import json, sys, threading
import numpy as np
from edge import malloc
capped = malloc.limit_arenas(2) if sys.argv[1] == "cap" else None

def rss():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS:")).split()[1]) * 1024

kept = []
everyone = threading.Barrier(8)
def work():
    arrays = [np.ones(8192) for _ in range(400)]
    everyone.wait()
    kept.extend(arrays[::20])
threads = [threading.Thread(target=work) for _ in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
before = rss()
trimmed = malloc.release_free_memory()
print(json.dumps({"before": before, "after": rss(), "trimmed": trimmed, "capped": capped}))
"""


def _child(mode: str) -> dict:
    env = {"PATH": "/usr/bin:/bin"}      # no MALLOC_ARENA_MAX from the caller
    out = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True, env=env,
                         timeout=60, check=True)
    return json.loads(out.stdout)


def test_a_trim_gives_back_what_the_threads_freed():
    got = _child("default")
    freed = 8 * 380 * 64 * 1024          # 190 MiB allocated and freed
    assert got["trimmed"] is True
    assert got["before"] - got["after"] > 0.5 * freed, got


def test_the_cap_takes_and_the_trim_still_works_with_two_arenas():
    got = _child("cap")
    assert got["capped"] is True
    assert got["before"] - got["after"] > 0.5 * 8 * 380 * 64 * 1024, got


def test_an_operators_malloc_arena_max_is_left_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert malloc.limit_arenas() is True
