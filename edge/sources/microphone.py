"""A live microphone through PyAudio (PortAudio): by device index or by part of its name.

Samples are read as 16-bit integers (what nearly every USB and I2S microphone delivers natively, so
no conversion happens in ALSA) and turned into mono float32 here; when the analysis rate differs
from the capture rate FFmpeg's resampler converts them.

Timestamps count samples from the first read (so chunks are exactly contiguous); the first one is
placed on the session's capture clock as "when the read returned − chunk length − input latency",
but never before the stream was started (the stream starts when iteration does). A late read is
not a loss (a sound server holds the samples through a stall); only reads that stay late move the
count (sample_clock.py).
"""

from __future__ import annotations

import logging
from typing import Iterator

import av
import numpy as np

from ..errors import MediaError
from ..native_stderr import native_stderr_to_log
from .base import AudioChunk, Item, Source, SourceInfo
from .device import CaptureClock, ReleaseGuard, SharedClockDevice, parse_device
from .sample_clock import SampleClock

log = logging.getLogger(__name__)


def _import_pyaudio():
    try:
        import pyaudio
    except ImportError:
        raise MediaError("microphone", "PyAudio is not installed: install the 'capture' extra "
                                       "(pip install 'perfscore[capture]'; it builds against apt's portaudio19-dev)") from None
    return pyaudio


def input_devices(pa) -> list[dict]:
    """PortAudio's devices that can record, as its info dicts."""
    devices = (pa.get_device_info_by_index(i) for i in range(pa.get_device_count()))
    return [d for d in devices if d.get("maxInputChannels", 0) > 0]


def _listing(devices: list[dict]) -> str:
    if not devices:
        return "no input devices found (no sound card, or no permission on /dev/snd)"
    return "available inputs: " + ", ".join(f"{d['index']} '{d['name']}'" for d in devices)


def find_input_device(pa, device: int | str | None) -> dict:
    """Resolve None (the default input), an index, or a case-insensitive name substring."""
    devices = input_devices(pa)
    device = parse_device(device)
    if device is None or device == "":
        try:
            return pa.get_default_input_device_info()
        except (OSError, IOError):
            raise MediaError("microphone", f"no default input device; {_listing(devices)}") from None
    if isinstance(device, int):
        for d in devices:
            if d["index"] == device:
                return d
        raise MediaError(f"microphone {device}", f"no such input device; {_listing(devices)}")
    wanted = device.lower()
    for d in devices:
        if wanted in d["name"].lower():
            return d
    raise MediaError(f"microphone '{device}'", f"no input device name contains '{device}'; {_listing(devices)}")


class MicrophoneSource(SharedClockDevice, Source):
    def __init__(self, device: int | str | None = None, *, sample_rate: int = 44100, chunk_frames: int = 1024,
                 output_rate: int | None = None, origin: float | None = None):
        pyaudio = _import_pyaudio()
        self.sample_rate = sample_rate
        self.chunk_frames = chunk_frames
        self.output_rate = output_rate or sample_rate
        self._clock = CaptureClock(origin)
        with native_stderr_to_log(log, "PortAudio start-up"):
            self._pa = pyaudio.PyAudio()
        self._stream = None
        try:
            found = find_input_device(self._pa, device)
            self.name = f"microphone '{found['name']}'"
            self._stream, self._channels = self._open(pyaudio, found)
            self._latency = float(self._stream.get_input_latency() or 0.0)
        except BaseException:
            self._pa.terminate()
            raise
        self._guard = ReleaseGuard(self._release)
        self._resampler = (av.AudioResampler(format="flt", layout="mono", rate=self.output_rate)
                           if self.output_rate != sample_rate else None)
        self.info = SourceInfo(name=self.name, has_video=False, has_audio=True, sample_rate=self.output_rate)
        self.sample_clock: SampleClock | None = None      # set when iteration starts the stream

    def _open(self, pyaudio, device: dict):
        """Mono if the device allows it, else its first two channels (mixed down later)."""
        last_error: Exception | None = None
        for channels in sorted({1, min(2, int(device["maxInputChannels"]))}):
            try:
                with native_stderr_to_log(log, "PortAudio start-up"):
                    # Not started yet: sound recorded before anyone reads would only overflow PortAudio's buffer.
                    stream = self._pa.open(format=pyaudio.paInt16, channels=channels, rate=self.sample_rate,
                                           input=True, input_device_index=device["index"],
                                           frames_per_buffer=self.chunk_frames, start=False)
                return stream, channels
            except (OSError, ValueError) as exc:
                last_error = exc
        raise MediaError(self.name, f"cannot record at {self.sample_rate} Hz (the device's default is "
                                    f"{device['defaultSampleRate']:g} Hz): {last_error}")

    def __iter__(self) -> Iterator[Item]:
        out_emitted = 0                  # samples handed out, at the output rate
        if not self._guard.begin_read():
            return
        try:
            self._stream.start_stream()
        finally:
            self._guard.end_read()
        # No sample can predate the start (a device that is not paced would otherwise seem to have).
        self.sample_clock = SampleClock(self.sample_rate, not_before=self._clock.now())
        while self._guard.begin_read():
            try:
                data = self._stream.read(self.chunk_frames, exception_on_overflow=False)
            except OSError as exc:
                self._guard.end_read()
                raise MediaError(self.name, f"recording failed: {exc}") from None
            if not self._guard.end_read():
                return
            read_at = self._clock.now()
            samples = np.frombuffer(data, "<i2").astype(np.float32) * (1.0 / 32768.0)
            if self._channels > 1:
                samples = samples.reshape(-1, self._channels).mean(axis=1, dtype=np.float32)
            lost_before = self.sample_clock.lost_s
            self.sample_clock.count(read_at, samples.size, self._latency)
            if self.sample_clock.lost_s > lost_before:
                log.warning("%s: %.2f s of samples lost (the reads fell further behind than the device holds); "
                            "the audio timeline moves on by as much", self.name, self.sample_clock.lost_s - lost_before)
            for block in self._to_output_rate(samples):
                yield AudioChunk(t=self.sample_clock.anchor + out_emitted / self.output_rate, samples=block,
                                 sample_rate=self.output_rate)
                out_emitted += block.size

    def _to_output_rate(self, samples: np.ndarray) -> list[np.ndarray]:
        if self._resampler is None:
            return [samples]
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = self.sample_rate
        return [out.to_ndarray().reshape(-1) for out in self._resampler.resample(frame) if out.samples]

    def _release(self) -> None:
        try:
            if self._stream is not None:
                self._stream.stop_stream()
                self._stream.close()
        finally:
            self._pa.terminate()

    def close(self) -> None:
        guard = getattr(self, "_guard", None)
        if guard is not None:
            guard.close()
