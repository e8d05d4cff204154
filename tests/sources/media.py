"""Synthetic recordings written with PyAV, whose content the tests know exactly.

Video: a white square moving left to right on a dark background, one step per frame.
Audio: an optional steady tone plus short loud clicks at chosen audio-stream times.
Stream start offsets are real: the first packet of a late stream carries a non-zero pts.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

LAYOUTS = {1: "mono", 2: "stereo"}
CLICK_S = 0.004  # a 4 ms burst: sharp enough to time, long enough to survive lossy codecs


def frame_image(index: int, width: int, height: int) -> np.ndarray:
    image = np.full((height, width, 3), 16, np.uint8)
    side = max(4, height // 4)
    x = (index * 4) % max(1, width - side)
    image[height // 2 - side // 2: height // 2 + side // 2, x: x + side] = 255
    return image


def audio_signal(seconds: float, rate: int, tone_hz: float | None, clicks: tuple[float, ...]) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    signal = np.zeros(t.size, np.float32)
    if tone_hz:
        signal += (0.25 * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32)
    for at in clicks:
        start = int(round(at * rate))
        signal[start: start + int(CLICK_S * rate)] = 0.9
    return signal


def write_media(
    path: str | Path,
    *,
    seconds: float = 1.0,
    video_codec: str | None = "libx264",
    audio_codec: str | None = "aac",
    fps: int = 30,
    size: tuple[int, int] = (160, 120),
    frames: int | None = None,
    sample_rate: int = 44100,
    channels: int = 1,
    tone_hz: float | None = 440.0,
    clicks: tuple[float, ...] = (),
    audio_start: float = 0.0,
    video_start: float = 0.0,
    options: dict[str, str] | None = None,
    codec_options: dict[str, str] | None = None,
    cover_art: bool = False,
) -> Path:
    """Write a recording. `frames` overrides seconds×fps for the video; times are stream-relative."""
    path = Path(path)
    with av.open(str(path), "w", options=options or {}) as container:
        video = audio = None
        if video_codec:
            fast = {"deadline": "realtime", "cpu-used": "8"} if video_codec.startswith("libvpx") else {}
            video = container.add_stream(video_codec, rate=fps, options={**fast, **(codec_options or {})})
            video.width, video.height = size
            video.pix_fmt = "yuvj420p" if video_codec == "mjpeg" else "yuv420p"
            video.time_base = Fraction(1, fps)
        if audio_codec:
            if audio_codec in ("libopus", "opus"):
                sample_rate = 48000  # the only rate Opus encodes natively
            if audio_codec == "vorbis":
                channels = 2  # FFmpeg's native Vorbis encoder is experimental and stereo-only
            audio = container.add_stream(audio_codec, rate=sample_rate,
                                         options={"strict": "experimental"} if audio_codec == "vorbis" else {})
            audio.layout = LAYOUTS[channels]
        if cover_art:  # an album picture, as mp3/flac taggers add: a one-frame "video" stream
            picture = container.add_stream("mjpeg", rate=1)
            picture.width, picture.height, picture.pix_fmt = 64, 64, "yuvj420p"
            picture.disposition = av.stream.Disposition.attached_pic
            art = av.VideoFrame.from_ndarray(frame_image(0, 64, 64), format="rgb24")
            art.pts = 0
            for packet in [*picture.encode(art), *picture.encode()]:
                container.mux(packet)
        if video is not None:
            first = round(video_start * fps)
            for i in range(frames if frames is not None else round(seconds * fps)):
                frame = av.VideoFrame.from_ndarray(frame_image(i, *size), format="rgb24")
                frame.pts = first + i
                for packet in video.encode(frame):
                    container.mux(packet)
            for packet in video.encode():
                container.mux(packet)
        if audio is not None:
            signal = audio_signal(seconds, sample_rate, tone_hz, clicks)
            first = round(audio_start * sample_rate)
            for pos in range(0, signal.size, 1024):
                block = np.repeat(signal[pos: pos + 1024].reshape(1, -1), channels, axis=0)
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block), format="fltp", layout=LAYOUTS[channels])
                frame.sample_rate = sample_rate
                frame.pts = first + pos
                frame.time_base = Fraction(1, sample_rate)
                for packet in audio.encode(frame):
                    container.mux(packet)
            for packet in audio.encode():
                container.mux(packet)
    return path


# ---- reading back what was written ------------------------------------------------------------

def square_x(image: np.ndarray) -> int:
    """Left edge of the white square (the brightest columns)."""
    columns = image[..., 1].astype(np.float32).mean(axis=0)
    return int(np.argmax(columns > (columns.max() + columns.min()) / 2))


def first_click(chunks, threshold: float = 0.6) -> float | None:
    """Timeline time of the first sample louder than `threshold` (tone peaks stay below 0.3)."""
    for chunk in chunks:
        loud = np.flatnonzero(np.abs(chunk.samples) > threshold)
        if loud.size:
            return chunk.t + loud[0] / chunk.sample_rate
    return None


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1.0 / rate)[np.argmax(spectrum)])
