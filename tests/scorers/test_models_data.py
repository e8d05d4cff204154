"""Window models and the training data path: shapes, fusion behaviour, augmentation, windows."""

import numpy as np
import pytest
import torch

from edge.features.sequence import POSE_DIM
from edge.scoring.learned.windows import stack_windows, window_starts
from training.scorers.data import ONSET, PITCH, VOICED, mirror_pose, pitch_shift, tiled_starts, time_scale
from training.scorers.models import ENCODERS, FUSIONS, PRESENT, WindowModel, n_parameters


def windows(n=3, person=True, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.5, (n, 60, 72)).astype(np.float32)
    x[..., PRESENT] = 1.0 if person else 0.0
    if not person:
        x[..., :POSE_DIM] = 0.0
    return torch.from_numpy(x)


@pytest.mark.parametrize("arch", ENCODERS)
@pytest.mark.parametrize("fusion", FUSIONS)
def test_every_model_is_small_and_maps_windows_to_scores_and_grades(arch, fusion):
    torch.manual_seed(0)
    model = WindowModel(arch, fusion).eval()
    scores, logits = model(windows())
    assert scores.shape == (3, 5) and logits.shape == (3, 5)
    assert 5_000 < n_parameters(model) < 100_000
    has_attention = arch == "transformer" or fusion == "hybrid"
    assert (model.last_attention is not None) == has_attention
    if has_attention:
        assert model.last_attention.shape == (3, 60)


@pytest.mark.parametrize("fusion", ["late", "hybrid"])
def test_music_windows_are_judged_without_the_pose_stream(fusion):
    torch.manual_seed(0)
    model = WindowModel("gru", fusion).eval()
    quiet = windows(person=False)
    noisy = quiet.clone()
    noisy[..., :PRESENT] = torch.randn_like(noisy[..., :PRESENT])     # pose values, but no person flag
    with torch.no_grad():
        assert torch.allclose(model(quiet)[0], model(noisy)[0], atol=1e-5)
        dance = windows(person=True)
        moved = dance.clone()
        moved[..., :PRESENT] += 0.5 * torch.randn_like(moved[..., :PRESENT])   # a constant shift would not do:
        assert not torch.allclose(model(dance)[0], model(moved)[0], atol=1e-4)    # posture is window-relative


def test_box_windows_cover_the_performance_every_second():
    starts = window_starts(200)
    assert list(starts) == [0, 30, 60, 90, 120, 140]
    frames = np.arange(200 * 72, dtype=np.float32).reshape(200, 72)
    w = stack_windows(frames, starts)
    assert w.shape == (6, 60, 72) and np.array_equal(w[-1], frames[140:])
    short = stack_windows(frames[:45], window_starts(45))
    assert short.shape == (1, 60, 72) and np.all(short[0, 45:] == 0)
    rng = np.random.default_rng(0)
    tiles = tiled_starts(200, rng)
    assert len(tiles) == 3 and np.all(np.diff(tiles) == 60) and tiles[-1] + 60 <= 200


def test_augmentations_keep_what_they_must():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (300, 72)).astype(np.float32)
    x[:, PRESENT] = 1.0
    x[:, ONSET] = 0.0
    x[[10, 50, 120, 290], ONSET] = 1.0
    x[:, VOICED] = (np.arange(300) % 2).astype(np.float32)
    slow = time_scale(x, 1.1)
    assert len(slow) == 330 and slow[:, ONSET].sum() == 4 and set(np.flatnonzero(slow[:, ONSET])) == {11, 55, 132, 319}
    assert set(np.unique(slow[:, VOICED])) <= {0.0, 1.0}
    twice = mirror_pose(mirror_pose(x))
    assert np.allclose(twice, x)
    once = mirror_pose(x)
    # left wrist (keypoint 5) and right wrist (6) swap, x negated
    assert np.allclose(once[:, 15:18] * [-1, 1, 1], x[:, 18:21])
    shifted = pitch_shift(x, 2)
    voiced = x[:, VOICED] > 0.5
    assert np.allclose(shifted[voiced, PITCH] - x[voiced, PITCH], 2 / 24) and np.array_equal(shifted[~voiced], x[~voiced])
