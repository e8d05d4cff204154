"""Pose on real photos through the real MediaPipe PoseLandmarker and the .task the repo ships."""

import numpy as np
import pytest

from edge.config.features import PoseConfig
from edge.errors import ModelError
from edge.features.landmarks import INDEX, MIRROR, N_LANDMARKS
from edge.features.pose import PoseEstimator
from edge.features.pose_normalize import joint_angles, normalize
from edge.sources.base import VideoFrame


def _track(images, fps=30.0, **config):
    with PoseEstimator(PoseConfig(**config), fps=fps) as estimator:
        for i, image in enumerate(images):
            estimator.add(VideoFrame(t=i / fps, index=i, image=image))
        return estimator.track()


def test_full_body_photo_gives_33_plausible_landmarks(photo_full_body):
    track = _track([photo_full_body])
    assert track.present.tolist() == [True]
    assert track.image.shape == (1, N_LANDMARKS, 3) and track.world.shape == (1, N_LANDMARKS, 3)
    lm = track.image[0]
    # Anatomy, in image coordinates (y grows downwards): head above shoulders above hips above ankles.
    assert lm[INDEX["nose"], 1] < lm[INDEX["left_shoulder"], 1] < lm[INDEX["left_hip"], 1] < lm[INDEX["left_ankle"], 1]
    assert np.all((lm[:, :2] > -0.1) & (lm[:, :2] < 1.1))
    assert np.nanmin(track.visibility[0, [INDEX["left_shoulder"], INDEX["right_hip"]]]) > 0.5
    # World landmarks are metres around the hips: a person is 1–2.2 m from head to ankle.
    height = track.world[0, INDEX["nose"], 1] - track.world[0, INDEX["left_ankle"], 1]
    assert 0.9 < abs(height) < 2.2


def test_upper_body_photo_finds_face_and_shoulders(photo_upper_body):
    track = _track([photo_upper_body])
    assert track.person_frames == 1
    lm = track.image[0]
    assert lm[INDEX["nose"], 1] < lm[INDEX["left_shoulder"], 1]
    assert track.visibility[0, INDEX["nose"]] > 0.9


def test_photo_without_person_is_a_marked_frame_not_a_dropped_one(photo_full_body, photo_no_person):
    track = _track([photo_full_body, photo_no_person, photo_full_body])
    assert len(track) == 3
    assert track.present.tolist() == [True, False, True]
    assert np.isnan(track.image[1]).all() and np.isnan(track.world[1]).all()
    assert track.times.tolist() == pytest.approx([0, 1 / 30, 2 / 30])


def test_grayscale_frames_are_accepted_as_rgb(photo_full_body):
    gray = np.repeat(photo_full_body.mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2)
    assert _track([gray]).person_frames == 1


def test_tampered_model_is_refused(tmp_path):
    from edge import MODELS_DIR

    fake = tmp_path / "pose_landmarker_full.task"
    data = bytearray((MODELS_DIR / "pose_landmarker_full.task").read_bytes())
    data[-10] ^= 0xFF
    fake.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match the manifest"):
        PoseEstimator(PoseConfig(model_path=fake), fps=30)


def test_missing_model_names_the_path(tmp_path):
    with pytest.raises(ModelError, match="model file not found"):
        PoseEstimator(PoseConfig(model_path=tmp_path / "nope.task"), fps=30)


def test_normalised_pose_is_centred_scaled_and_mirrorable(photo_full_body):
    track = _track([photo_full_body])
    norm = normalize(track.world)
    hips = norm[0, [INDEX["left_hip"], INDEX["right_hip"]]].mean(axis=0)
    shoulders = norm[0, [INDEX["left_shoulder"], INDEX["right_shoulder"]]].mean(axis=0)
    np.testing.assert_allclose(hips, 0, atol=1e-5)
    assert np.linalg.norm(shoulders) == pytest.approx(1.0, abs=1e-5)
    # Scale invariance: the same pose twice as big normalises to the same thing.
    np.testing.assert_allclose(normalize(track.world * 2.0), norm, atol=1e-5)
    mirrored = normalize(track.world, mirror=True)
    np.testing.assert_allclose(mirrored[0, INDEX["left_wrist"], 0], -norm[0, INDEX["right_wrist"], 0], atol=1e-6)
    # Mirroring twice is the identity; a mirrored pose keeps its joint angles (left and right swapped).
    assert [MIRROR[m] for m in MIRROR] == list(range(N_LANDMARKS))
    names, angles = joint_angles(norm)
    _, mirrored_angles = joint_angles(mirrored)
    left, right = names.index("left_knee"), names.index("right_knee")
    assert mirrored_angles[0, left] == pytest.approx(angles[0, right], abs=1e-4)


def test_joint_angle_of_a_right_angle():
    points = np.zeros((1, N_LANDMARKS, 3))
    points[0, INDEX["left_shoulder"]] = [0, 1, 0]
    points[0, INDEX["left_elbow"]] = [0, 0, 0]
    points[0, INDEX["left_wrist"]] = [1, 0, 0]
    names, angles = joint_angles(points)
    assert angles[0, names.index("left_elbow")] == pytest.approx(90.0)
