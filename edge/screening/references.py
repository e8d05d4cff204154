"""Dance references posed once per screening run, not once per entry.

Every entry of a dance run is compared with the same recording of the choreography; decoding it and
running MediaPipe on it for each entry would double the run's work. Before the workers start, the
screening process poses each distinct video reference once and keeps the PoseTrack in
`OUT/references/<reference sha256>-<run fingerprint>.npz`; each task carries that file's path and the
worker loads it (once per worker process) instead of decoding the reference. The file name holds the
reference's content hash and the run fingerprint (scorer code, pose model, settings), so a resumed run
reuses it and a changed pose model or setting poses again.

A reference that cannot be posed here gets no file: its entries decode it themselves, as without the
cache, and fail with the reference's own error.
"""

from __future__ import annotations

import json
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # importing this module stays cheap: the pool imports it before setting thread limits
    from ..features.pose import PoseTrack

REFERENCES = "references"
MIDI_SUFFIXES = {".mid", ".midi"}   # music references: nothing to pose
_ARRAYS = ("times", "frame_index", "image", "world", "visibility", "present")

log = logging.getLogger(__name__)

posed = 0   # references posed by this process (read by tests and the bench: once per run, not per entry)


def needs_pose(reference: str | Path | None) -> bool:
    return reference is not None and Path(reference).suffix.lower() not in MIDI_SUFFIXES


def cache_path(out_dir: Path, reference_sha256: str, fingerprint: str) -> Path:
    return out_dir / REFERENCES / f"{reference_sha256}-{fingerprint[:16]}.npz"


def prepare(references: dict[str, Path], out_dir: Path, fingerprint: str, settings) -> dict[str, str]:
    """Pose every video reference ({sha256: path}) not already cached; returns {sha256: cache file}."""
    ready = {}
    for sha, reference in references.items():
        target = cache_path(out_dir, sha, fingerprint)
        if not target.is_file():
            track = _pose(reference, settings)
            if track is None:
                continue
            try:
                save_track(target, track)
            except OSError as exc:  # disk full, read-only folder: entries decode the reference themselves
                log.warning("could not keep the poses of reference %s: %s", reference, exc.strerror or exc)
                continue
        ready[sha] = str(target)
    return ready


def _pose(reference: Path, settings) -> PoseTrack | None:
    global posed
    from ..analysis import read_recording

    try:
        _, track, _, _ = read_recording(reference, settings, want_audio=False)
    except Exception as exc:  # reported per entry by the workers, which meet the same error
        log.warning("reference %s could not be posed once for the run: %s", reference, exc)
        return None
    if track is None:          # no video stream: each entry reports that the reference is not a dance recording
        return None
    posed += 1
    return track


def save_track(path: Path, track: PoseTrack) -> None:
    """Written atomically (temporary file, rename): an interrupted run leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}.npz")
    meta = {"fps": track.fps, "width": track.width, "height": track.height, "model": track.model}
    try:
        np.savez(tmp, meta=np.array(json.dumps(meta)), **{name: getattr(track, name) for name in _ARRAYS})
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_track(path: str | Path) -> PoseTrack:
    from ..features.pose import PoseTrack

    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        arrays = {name: data[name] for name in _ARRAYS}
    return PoseTrack(**arrays, fps=meta["fps"], width=meta["width"], height=meta["height"], model=meta["model"])


@lru_cache(maxsize=2)
def cached_track(path: str) -> PoseTrack | None:
    """A worker scores many entries against one reference: load its poses once per process. None when
    the file is gone or unreadable (the entry then decodes the reference itself)."""
    try:
        return load_track(path)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("reference poses %s unusable, decoding the reference instead: %s", path, exc)
        return None
