"""Recordings for the command-line tests, rendered once per session with the project's generators."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from training.data.dance import make_dance_clip
from training.data.mux import write_audio, write_video


def run_cli(*args: str, check_json: bool = False) -> subprocess.CompletedProcess:
    """The real `perfscore` command, as a user runs it."""
    proc = subprocess.run([sys.executable, "-m", "edge.cli.main", *args], capture_output=True, text=True,
                          timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    if check_json:
        assert proc.returncode == 0, proc.stderr
        proc.doc = json.loads(proc.stdout)
    return proc


@pytest.fixture(scope="session")
def dance(tmp_path_factory) -> dict:
    """One rendered dance (DeepMimic dance_b at 100 BPM, 7 s), muxed four ways."""
    folder = tmp_path_factory.mktemp("dance")
    clip = make_dance_clip(folder / "render.mp4", motion="dance_b", bpm=100, duration_s=7, seed=11, keep_frames=True)
    files = {"on_beat": clip.video_path}
    write = dict(fps=30, audio=clip.audio, sample_rate=clip.sample_rate)
    files["late_250ms"] = write_video(folder / "late_250ms.mp4", clip.frames, audio_offset_s=0.25, **write)
    files["audio_stream_late"] = write_video(folder / "audio_stream_late.mp4", clip.frames, audio_start_s=0.5, **write)
    files["no_audio"] = write_video(folder / "no_audio.mkv", clip.frames, fps=30)
    files["silent"] = write_video(folder / "silent.mp4", clip.frames, fps=30, audio=np.zeros_like(clip.audio),
                                  sample_rate=clip.sample_rate)
    files["one_frame"] = write_video(folder / "one_frame.mp4", clip.frames[:1], fps=30)
    files["music_only"] = write_audio(folder / "music.flac", clip.audio, clip.sample_rate)
    data = clip.video_path.read_bytes()
    files["truncated"] = folder / "truncated.mp4"
    files["truncated"].write_bytes(data[: len(data) // 2])
    files["empty"] = folder / "empty.mp4"
    files["empty"].write_bytes(b"")
    files["text"] = folder / "notes.mp4"
    files["text"].write_text("this is a shopping list, not a video\n")
    files["music_beats"] = clip.choreography.beat_times
    return files
