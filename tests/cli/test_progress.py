"""Progress bars only when a person watches stderr (a terminal); journald and pipes get none (issue 10)."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios

import numpy as np
import pytest

from edge import PROJECT_ROOT
from edge.cli.progress import frame_progress
from edge.cli.screen import _TerminalProgress
from training.data.mux import write_video


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_frame_bar_when_stderr_is_not_a_terminal(monkeypatch):
    captured = io.StringIO()
    monkeypatch.setattr(sys, "stderr", captured)
    with frame_progress("analyze x.mp4") as on_frame:
        assert on_frame is None
    assert captured.getvalue() == ""


def test_a_frame_bar_on_a_terminal(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with frame_progress("analyze x.mp4") as on_frame:
        for i in range(5):
            on_frame(i)
    assert "analyze x.mp4" in terminal.getvalue() and "frame" in terminal.getvalue()


@pytest.mark.parametrize("stream, shown", [(io.StringIO, False), (_Terminal, True)])
def test_screen_progress_follows_the_terminal_too(monkeypatch, stream, shown):
    err = stream()
    monkeypatch.setattr(sys, "stderr", err)
    progress = _TerminalProgress()
    progress.start(total=3, reused=0)
    progress.advance(failed=False)
    progress.close()
    assert ("screen" in err.getvalue()) is shown


@pytest.fixture(scope="module")
def tiny_video(tmp_path_factory):
    """1.5 s of plain frames: enough frames for a bar to draw, quick to analyse."""
    frames = [np.full((120, 160, 3), 40 + 3 * i, np.uint8) for i in range(45)]
    return write_video(tmp_path_factory.mktemp("progress") / "tiny.mp4", frames, fps=30)


def _analyze(video, stderr) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edge.cli.main", "analyze", str(video), "--json"], cwd=PROJECT_ROOT,
                          stdout=subprocess.PIPE, stderr=stderr, timeout=300)


def test_analyze_draws_a_bar_on_a_terminal_and_none_into_a_pipe(tiny_video):
    piped = _analyze(tiny_video, subprocess.PIPE)
    assert piped.returncode == 0, piped.stderr
    assert b"frame" not in piped.stderr and b"\r" not in piped.stderr

    leader, follower = pty.openpty()           # stderr is a real terminal here
    # 80 columns: a fresh pty says 0, and tqdm would draw the bar 0 characters wide
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    try:
        on_tty = _analyze(tiny_video, follower)
        os.close(follower)
        follower = None
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:                     # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        if follower is not None:
            os.close(follower)
        os.close(leader)
    assert on_tty.returncode == 0
    assert b"analyze" in drawn and b"frame" in drawn
