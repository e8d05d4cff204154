"""CameraSource through OpenCV on a real HTTP server; devices that are not there."""

from __future__ import annotations

import socket

import av
import numpy as np
import pytest

from edge.errors import MediaError
from edge.sources.camera import CameraSource, device_name

from .media import frame_image, square_x, write_media


@pytest.fixture(scope="module")
def served_clip(http_root):
    root, base = http_root
    write_media(root / "clip.mp4", seconds=1.0, audio_codec=None)
    return f"{base}/clip.mp4"


def test_http_url_yields_every_frame_in_rgb(served_clip):
    with CameraSource(served_clip, timestamps="stream") as camera:
        assert camera.info.has_video and not camera.info.has_audio
        assert (camera.info.width, camera.info.height) == (160, 120)
        frames = list(camera)
    assert [f.index for f in frames] == list(range(30))
    for frame in frames:
        assert frame.image.shape == (120, 160, 3) and frame.image.dtype == np.uint8
        assert abs(square_x(frame.image) - square_x(frame_image(frame.index, 160, 120))) <= 2
        assert frame.t == pytest.approx(frame.index / 30, abs=1e-3)   # the stream's own clock


def test_colour_channels_are_rgb(http_root):
    # OpenCV decodes to BGR; a pure red frame must come out red.
    root, base = http_root
    path = root / "red.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30, options={"qp": "0"})
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv444p"
        image = np.zeros((48, 64, 3), np.uint8)
        image[..., 0] = 220   # red
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    with CameraSource(f"{base}/red.mp4") as camera:
        (frame,) = list(camera)
    red, green, blue = frame.image.reshape(-1, 3).mean(axis=0)
    assert red > 180 and green < 40 and blue < 40


def test_clock_timestamps_increase_from_zero(served_clip):
    with CameraSource(served_clip) as camera:
        times = [f.t for f in camera]
    assert len(times) == 30 and 0 <= times[0] < 5 and all(b >= a for a, b in zip(times, times[1:]))


def test_max_width_scales_frames(served_clip):
    with CameraSource(served_clip, max_width=80) as camera:
        assert (camera.info.width, camera.info.height) == (80, 60)
        assert {f.image.shape for f in camera} == {(60, 80, 3)}


def test_live_stream_that_drops_is_an_error_not_an_end(dropping_stream):
    camera = CameraSource(dropping_stream)
    frames = []
    with pytest.raises(MediaError, match="stopped delivering frames") as error:
        for frame in camera:
            frames.append(frame)
    camera.close()
    assert 10 < len(frames) < 90     # what arrived before the drop was delivered
    assert dropping_stream in str(error.value)


def test_missing_device_path():
    with pytest.raises(MediaError, match="no such camera device") as error:
        CameraSource("/dev/video-perfscore-test")
    assert str(error.value).startswith("/dev/video-perfscore-test:")


def test_index_without_a_camera():
    with pytest.raises(MediaError, match="cannot open camera index 63") as error:
        CameraSource(63)
    assert str(error.value).startswith("camera 63:")


def test_unreachable_url_names_it():
    with socket.socket() as probe:           # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"rtsp://user:secret@127.0.0.1:{port}/stream"
    with pytest.raises(MediaError, match="cannot open the stream") as error:
        CameraSource(url, timeout_s=2)
    assert "secret" not in str(error.value) and f"127.0.0.1:{port}/stream" in str(error.value)


def test_device_names():
    assert device_name(0) == "camera 0"
    assert device_name("/dev/video2") == "/dev/video2"
    assert device_name("rtsp://a:b@cam/x") == "rtsp://a:***@cam/x"
