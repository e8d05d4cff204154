"""Progress on stderr for long work, only when someone is watching (a terminal)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator


@contextmanager
def frame_progress(label: str) -> Iterator[Callable[[int], None] | None]:
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(desc=label, unit="frame", file=sys.stderr, leave=False)
    try:
        yield lambda _index: bar.update(1)
    finally:
        bar.close()
