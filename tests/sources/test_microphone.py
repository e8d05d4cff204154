"""MicrophoneSource through real PyAudio on an ALSA test device (the `file` plugin, see conftest)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from edge.errors import MediaError

pytest.importorskip("pyaudio", reason="the 'capture' extra (PyAudio) is not installed")

from edge.sources.microphone import MicrophoneSource  # noqa: E402

from tests.conftest import ALSA_RATE, SYSTEM_ALSA_CONF  # noqa: E402
from .media import dominant_hz  # noqa: E402


def read_seconds(source, seconds):
    chunks, total = [], 0
    for chunk in source:
        chunks.append(chunk)
        total += chunk.samples.size
        if total >= seconds * chunk.sample_rate:
            break
    source.close()
    return chunks


def test_reads_exactly_what_the_device_delivers(alsa_microphone):
    # A counter signal: every sample is distinct, so a lost or repeated block would show.
    known = ((np.arange(ALSA_RATE) % 20000) - 10000) / 32768
    alsa_microphone(known)
    chunks = read_seconds(MicrophoneSource(None, sample_rate=ALSA_RATE, chunk_frames=1024), 0.9)
    samples = np.concatenate([c.samples for c in chunks])
    assert all(c.samples.dtype == np.float32 and c.sample_rate == ALSA_RATE for c in chunks)
    np.testing.assert_allclose(samples, known[: samples.size], atol=1.5 / 32768)
    # Timestamps count samples: chunk k starts exactly k×1024 samples after the first.
    for k, chunk in enumerate(chunks):
        assert chunk.t == pytest.approx(chunks[0].t + k * 1024 / ALSA_RATE, abs=1e-9)


def test_tone_resampled_to_the_analysis_rate(alsa_microphone):
    t = np.arange(2 * ALSA_RATE) / ALSA_RATE
    alsa_microphone(0.5 * np.sin(2 * np.pi * 440 * t))
    chunks = read_seconds(MicrophoneSource("default", sample_rate=ALSA_RATE, output_rate=22050), 1.5)
    samples = np.concatenate([c.samples for c in chunks])
    assert {c.sample_rate for c in chunks} == {22050}
    assert dominant_hz(samples[: 22050], 22050) == pytest.approx(440, abs=3)
    assert np.abs(samples).max() == pytest.approx(0.5, abs=0.03)


def test_device_by_name_is_case_insensitive(alsa_microphone):
    with MicrophoneSource("TESTMIC", sample_rate=ALSA_RATE) as mic:
        assert mic.info.name == "microphone 'testmic'" and mic.info.has_audio and not mic.info.has_video


def test_unknown_name_lists_the_inputs(alsa_microphone):
    with pytest.raises(MediaError, match=r"no input device name contains 'usb'; available inputs: .*'testmic'"):
        MicrophoneSource("usb")


def test_unknown_index_lists_the_inputs(alsa_microphone):
    with pytest.raises(MediaError, match=r"^microphone 99: no such input device; available inputs: .*'default'"):
        MicrophoneSource(99)


def test_no_sound_card_at_all(tmp_path):
    """In a fresh process that sees only the system's ALSA configuration (this machine has no card)."""
    code = """
import sys
from edge.errors import MediaError
from edge.sources.microphone import MicrophoneSource
try:
    MicrophoneSource()
except MediaError as exc:
    print(exc)
    sys.exit(0)
print("an input device exists")
"""
    env = {**os.environ, "HOME": str(tmp_path), "ALSA_CONFIG_PATH": SYSTEM_ALSA_CONF}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60).stdout
    if "an input device exists" in out:
        pytest.skip("this machine has a real input device")
    assert "microphone: no default input device; no input devices found" in out


def test_missing_pyaudio_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyaudio", None)    # makes `import pyaudio` fail
    with pytest.raises(MediaError, match=r"install the 'capture' extra"):
        MicrophoneSource()
