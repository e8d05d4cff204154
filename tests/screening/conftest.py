"""Session fixtures: generated entries (rendered once per session) and full `perfscore screen` runs.

Every run is a real subprocess of the real CLI with real MediaPipe, as a venue would start it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .media import Run, make_dance_entries, make_music_entries, make_polyphonic_entries

REPO = Path(__file__).resolve().parents[2]


def screen_command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "edge.cli.main", "screen", *map(str, args)]


def run_screen(*args: str | Path, out: Path, timeout: float = 600) -> Run:
    proc = subprocess.run(screen_command(*args, "--out", out), cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env=os.environ.copy())
    return Run(proc.returncode, proc.stderr, out)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screen-media")


@pytest.fixture(scope="session")
def dance_folder(media_dir) -> Path:
    folder = media_dir / "dance"
    make_dance_entries(folder)
    return folder


@pytest.fixture(scope="session")
def music_manifest(media_dir) -> Path:
    return make_music_entries(media_dir / "music")


@pytest.fixture(scope="session")
def dance_run(dance_folder, tmp_path_factory) -> Run:
    """The venue's run: a folder of dance entries mixed with broken files, two workers."""
    return run_screen(dance_folder, "--discipline", "dance", "--workers", "2",
                      out=tmp_path_factory.mktemp("dance-run") / "out")


@pytest.fixture(scope="session")
def music_run(music_manifest, tmp_path_factory) -> Run:
    """Music entries named by a manifest, each against the score's reference MIDI."""
    return run_screen(music_manifest, "--discipline", "music", "--workers", "2",
                      out=tmp_path_factory.mktemp("music-run") / "out")


@pytest.fixture(scope="session")
def polyphonic_run(media_dir, tmp_path_factory) -> Run:
    """Polyphonic entries (a keyboard piece; a chorale over a drum kit) with their scores, two workers."""
    manifest = make_polyphonic_entries(media_dir / "polyphonic")
    return run_screen(manifest, "--discipline", "music", "--workers", "2",
                      out=tmp_path_factory.mktemp("polyphonic-run") / "out")
