"""Device profiles (firmware_configs/): each loads through the real config loader (unknown keys refused),
its values fit together and fit the board, and the daemon built from it uses them — the queue bounds, the
outbox quota, the reconnect and reopen back-offs, the pose rate, the inference threads and the learned
scorer's backend and precision reach the objects that run."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from edge import PROJECT_ROOT
from edge.config import load_settings
from edge.errors import ConfigError

PROFILES = sorted((PROJECT_ROOT / "firmware_configs").glob("*.yaml"))
SAMPLE = PROJECT_ROOT / "samples" / "dance_on_beat.mp4"      # 30 fps video with sound
CORES = {"rpi4": 4, "rpi5": 4, "jetson-orin-nano": 6, "x86-dev": 2}   # the smallest board of each kind
# What each board's learned scorer runs on: its backend must be installed, its precision is the manifest's.
SCORER = {"rpi4": ("tflite", "int8-dynamic"), "rpi5": ("tflite", "int8-dynamic"),
          "jetson-orin-nano": ("onnxruntime", "fp32"), "x86-dev": ("onnxruntime", "fp32")}
# The coach's policy: LiteRT int8 on a Pi (within its 99 % action-agreement bound, models/manifest.json), ONNX fp32 elsewhere.
POLICY = {"rpi4": ("tflite", "int8"), "rpi5": ("tflite", "int8"),
          "jetson-orin-nano": ("onnxruntime", "fp32"), "x86-dev": ("onnxruntime", "fp32")}
BACKEND_MODULE = {"onnxruntime": "onnxruntime", "tflite": "ai_edge_litert"}
RECOVER_S = 5.0     # issue 11's target: results flow again ≤ 5 s after a fault clears


def test_there_is_a_profile_for_every_kind_and_a_test_knows_each():
    assert {p.stem for p in PROFILES} == set(CORES) == set(SCORER) == set(POLICY)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.stem)
def test_an_unknown_key_in_a_profile_is_refused_with_its_line(profile, tmp_path):
    # MediaPipe 1.2.2's Python API has no thread setting for pose: a `pose_threads` key would do nothing.
    bad = tmp_path / profile.name
    text = profile.read_text()
    bad.write_text(text.replace("run:\n", "run:\n  pose_threads: 2\n", 1))
    line = bad.read_text().splitlines().index("  pose_threads: 2") + 1
    with pytest.raises(ConfigError, match=rf"{bad}:{line}: run.pose_threads: unknown key"):
        load_settings([bad])


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.stem)
def test_profile_values_are_coherent(profile):
    from edge.models import verify_model
    from edge.publish.publisher import TAKE_RESERVE_BYTES
    from edge.sources.base import scaled_size

    s = load_settings([profile])
    kind = profile.stem
    cam, mic, cap, run, pub = s.capture.camera, s.capture.microphone, s.capture, s.run, s.publish
    assert s.device.kind == kind
    assert cam is not None and mic is not None, "a box has a camera and a microphone"
    # pose never asks for more frames than the camera gives; it sees at least its 256 px input
    assert run.pose_fps is None or run.pose_fps <= cam.fps
    assert min(scaled_size(cam.width, cam.height, cap.max_width)) >= 256
    # at least a second of video and two microphone reads wait for a consumer that falls behind
    assert cap.queue_size >= cam.fps
    assert cap.audio_buffer_s >= max(1.0, 2 * mic.chunk_frames / mic.sample_rate)
    assert mic.sample_rate >= s.audio.sample_rate, "capture is only resampled down"
    # room in the outbox for the results of every take that may be waiting, plus the next one
    assert pub.outbox_quota_bytes >= TAKE_RESERVE_BYTES * (run.results_queue + 1)
    # back on the broker and on a returning device within the fault table's target
    assert pub.reconnect_max_s + 1 <= RECOVER_S and cap.reopen_max_s <= 2
    # inference threads leave at least one core to MediaPipe's pose
    assert 1 <= run.inference_threads <= CORES[kind] - 1
    # the learned scorer is in the manifest with its sha256, its precision as planned, its backend installed
    backend, precision = SCORER[kind]
    entry = verify_model(run.scorer)
    assert entry["precision"] == precision
    assert entry["kind"] == ("tflite-scorer" if backend == "tflite" else "onnx-scorer")
    assert importlib.util.find_spec(BACKEND_MODULE[backend]) is not None, f"{backend} is not installed"
    # so is the coach's policy, trained on the window the box uses
    backend, precision = POLICY[kind]
    entry = verify_model(s.coach.policy_path)
    assert entry.get("precision", "fp32") == precision and entry["observation"]["window"] == s.coach.window
    assert entry["kind"] == ("tflite-policy" if backend == "tflite" else "onnx-policy")


@pytest.fixture(scope="module")
def camera_server():
    from tests.faults.harness import CameraServer
    from tests.publish.broker import free_port

    server = CameraServer(free_port())
    server.start()
    yield f"http://127.0.0.1:{server.port}/cam.mjpg"
    server.stop()


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.stem)
def test_the_daemon_built_from_a_profile_uses_it(profile, tmp_path, camera_server):
    from edge import models
    from edge.app import App
    from edge.scoring import _loaded_scorer

    s = load_settings([profile])
    kind = profile.stem
    app = App(s, f"replay:{SAMPLE}", device="demo", broker="mqtt://127.0.0.1:9", state_dir=tmp_path / "state",
              once=True)
    try:
        assert models.inference_threads() == s.run.inference_threads
        app.start()
        assert app._results.maxsize == s.run.results_queue
        buffer = app.source._buffer
        assert (buffer.video_frames, buffer.audio_seconds) == (s.capture.queue_size, s.capture.audio_buffer_s)
        assert app.publisher.outbox.quota_bytes == int(s.publish.outbox_quota_mb * 2**20)
        client = app.publisher.communicator._client
        assert (client._reconnect_min_delay, client._reconnect_max_delay) == (s.publish.reconnect_min_s,
                                                                             s.publish.reconnect_max_s)
        for _ in range(200):                       # the --once take starts with the source
            if app._take is not None:
                break
            app._stop.wait(0.02)
        take = app._take
        assert take is not None
        assert take._chooser.fps == s.run.pose_fps and take._estimator.fps == pytest.approx(
            min(30.0, s.run.pose_fps) if s.run.pose_fps else 30.0 / s.pose.frame_stride)
        # the learned scorer the sessions will carry: the profile's file, backend and precision
        scorer = _loaded_scorer(Path(s.run.scorer).resolve(), Path(s.run.scorer).stat().st_mtime_ns)
        assert (scorer.info.backend, scorer.info.precision) == SCORER[kind]
        if scorer.info.backend == "onnxruntime":
            _loaded_scorer.cache_clear()           # a session made with this profile's thread count
            scorer = _loaded_scorer(Path(s.run.scorer).resolve(), Path(s.run.scorer).stat().st_mtime_ns)
            assert scorer.session.get_session_options().intra_op_num_threads == s.run.inference_threads
        assert any(m["name"] == scorer.info.name and m["precision"] == SCORER[kind][1] for m in app._models())
        # the coach's policy the recommendations will carry: the profile's file, backend and precision
        for _ in range(250):
            if app._policy_model is not None:
                break
            app._stop.wait(0.02)
        policy = app._policy_model
        assert policy is not None and policy.name == Path(s.coach.policy_path).name
        assert (policy.backend, policy.precision) == POLICY[kind]
    finally:
        app.stop()
        _loaded_scorer.cache_clear()
        models.set_inference_threads(1)

    # the camera: its frames are scaled to the profile's width, a lost stream is reopened at its pace
    from edge.sources import open_source

    with open_source(f"camera:{camera_server}", s.model_copy(update={"capture": s.capture.model_copy(
            update={"microphone": None})})) as source:
        camera = source.sources[0]
        assert (camera.min_s, camera.max_s) == (s.capture.reopen_min_s, s.capture.reopen_max_s)
        assert camera.current.max_width == s.capture.max_width
        frame = next(iter(source))
        assert frame.image.shape[1] <= s.capture.max_width


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.stem)
def test_the_profile_microphone_opens_at_its_rate(profile):
    """tests/conftest.py makes an ALSA test microphone the default input (the profiles' `device: null`)."""
    pytest.importorskip("pyaudio")
    from edge.sources import open_source

    s = load_settings([profile])
    with open_source("mic:", s) as source:
        mic = source.sources[0].current
        assert (mic.sample_rate, mic.chunk_frames, mic.output_rate) == (
            s.capture.microphone.sample_rate, s.capture.microphone.chunk_frames, s.audio.sample_rate)
