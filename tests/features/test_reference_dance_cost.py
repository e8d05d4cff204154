"""Bounded cost of the dance comparison: the cdist cost equals the old one, long inputs keep their results."""

import time
import tracemalloc

import numpy as np
import pytest
from scipy.signal import lfilter

from edge.features import reference_dance
from edge.features.dtw import dtw
from edge.features.landmarks import BODY, INDEX, N_LANDMARKS
from edge.features.pose import PoseTrack
from edge.features.reference_dance import compare_to_reference, pair_cost
from tests.motion import dancer_hitting


def old_align(ref, perf):
    """The cost and alignment before issue 9 (numpy broadcasting per joint into a full matrix), verbatim."""
    ra, rb = ref[:, BODY], perf[:, BODY]
    cost = np.zeros((len(ref), len(perf)), np.float32)
    for j in range(ra.shape[1]):
        diff = ra[:, None, j, :] - rb[None, :, j, :]
        cost += np.sqrt((diff ** 2).sum(-1))
    cost /= ra.shape[1]
    return cost, dtw(cost, band=max(len(ref), len(perf)) // 2)


def wandering_dancer(seconds, seed, fps=30.0, warp=None, noise=0.0):
    """Every landmark wanders smoothly around a standing skeleton (random walk pulled back, τ = 0.4 s);
    `warp(t)` gives the reference time danced at time t, `noise` adds landmark jitter (metres)."""
    rng = np.random.default_rng(seed)
    t_ref = np.arange(int(seconds * fps) + int(fps)) / fps
    base = np.zeros((N_LANDMARKS, 3))
    base[:, 1] = 0.75
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for name, (x, y) in (("shoulder", (0.2, 0.5)), ("elbow", (0.35, 0.25)), ("wrist", (0.45, 0.0)),
                             ("hip", (0.1, 0.0)), ("knee", (0.12, -0.45)), ("ankle", (0.12, -0.9))):
            base[INDEX[f"{side}_{name}"]] = (sign * x, y, 0.0)
    a = np.exp(-1.0 / (0.4 * fps))
    walk = lfilter([np.sqrt(1 - a * a)], [1, -a], rng.normal(size=(len(t_ref), N_LANDMARKS * 3)), axis=0)
    amplitude = np.full(N_LANDMARKS, 0.25)
    amplitude[[INDEX[k] for k in ("left_hip", "right_hip", "left_shoulder", "right_shoulder")]] = 0.04
    world_ref = base.reshape(-1) + np.repeat(amplitude, 3) * walk
    t = np.arange(int(seconds * fps)) / fps
    source = np.clip(warp(t) if warp else t, 0, t_ref[-1])
    world = np.stack([np.interp(source, t_ref, world_ref[:, k]) for k in range(world_ref.shape[1])], axis=1)
    world = world.reshape(len(t), N_LANDMARKS, 3) + np.random.default_rng(seed + 1).normal(0, noise, (len(t), N_LANDMARKS, 3))
    n = len(t)
    world = world.astype(np.float32)
    return PoseTrack(times=t, frame_index=np.arange(n), image=world.copy(), world=world,
                     visibility=np.ones((n, N_LANDMARKS), np.float32), present=np.ones(n, bool), fps=fps)


def test_cdist_cost_equals_the_old_broadcast_cost():
    rng = np.random.default_rng(3)
    ref = rng.normal(size=(37, N_LANDMARKS, 3)).astype(np.float32)
    perf = rng.normal(size=(52, N_LANDMARKS, 3)).astype(np.float32)
    old, _ = old_align(ref, perf)
    new = pair_cost(ref, perf)
    assert new.dtype == np.float32 and new.shape == (37, 52)
    np.testing.assert_allclose(new, old, rtol=1e-5, atol=1e-6)


def test_cost_of_one_joint_moved_is_its_distance_over_the_joint_count():
    pose = np.zeros((1, N_LANDMARKS, 3), np.float32)
    moved = pose.copy()
    moved[0, INDEX["left_wrist"]] = (0.3, 0.4, 0.0)    # 0.5 torso lengths away
    moved[0, INDEX["nose"]] = (9.0, 9.0, 9.0)          # not a BODY joint: ignored
    assert pair_cost(pose, moved)[0, 0] == pytest.approx(0.5 / len(BODY), rel=1e-6)


def test_row_blocks_give_the_same_cost_as_one_block(monkeypatch):
    rng = np.random.default_rng(4)
    ref, perf = rng.normal(size=(50, N_LANDMARKS, 3)), rng.normal(size=(40, N_LANDMARKS, 3))
    whole = pair_cost(ref, perf)
    monkeypatch.setattr(reference_dance, "BLOCK_CELLS", 7 * 40 + 3)   # 7 rows a block, the last one short
    np.testing.assert_array_equal(pair_cost(ref, perf), whole)


def test_alignment_of_short_recordings_equals_the_old_one():
    beats = np.arange(0.5, 8.0, 0.5)
    for perf in (dancer_hitting(beats * 1.2, arms=("left",)), dancer_hitting(beats, reach=0.5)):
        ref, _ = reference_dance._usable(dancer_hitting(beats, arms=("left",)))
        mine, _ = reference_dance._usable(perf)
        _, (old_path, old_distance) = old_align(ref, mine)
        path, distance = reference_dance._align(ref, mine)
        np.testing.assert_array_equal(path, old_path)
        assert distance == pytest.approx(old_distance, rel=1e-5)


def test_long_recordings_aligned_coarsely_and_refined_keep_the_full_rate_results(monkeypatch):
    """A 40 s performance that drifts ±0.6 s against its reference, aligned by the multiscale DTW (as
    3 min against 3 min is) instead of the full matrix: the same measurements."""
    reference = wandering_dancer(40.0, seed=21)
    performance = wandering_dancer(40.0, seed=21, warp=lambda t: t + 0.6 * np.sin(2 * np.pi * t / 15.0), noise=0.02)
    full = compare_to_reference(reference, performance)
    monkeypatch.setattr(reference_dance, "MAX_CELLS", 1200 * 1200 // 25)
    coarse = compare_to_reference(reference, performance)
    steps = np.diff(np.column_stack([coarse.path_times_s, coarse.path_lag_s]), axis=0)
    assert len(steps) and np.all(np.isfinite(steps))
    assert coarse.frames_compared == pytest.approx(full.frames_compared, rel=0.01)
    assert coarse.mean_error_deg == pytest.approx(full.mean_error_deg, rel=0.01)
    assert coarse.pose_distance == pytest.approx(full.pose_distance, rel=0.01)
    assert coarse.mean_lag_s == pytest.approx(full.mean_lag_s, abs=0.005)
    assert coarse.mirrored == full.mirrored is False
    # The lag follows the drift that was danced (reference time − performance time = 0.6 sin …).
    expected = -0.6 * np.sin(2 * np.pi * coarse.path_times_s / 15.0)
    assert np.median(np.abs(coarse.path_lag_s - expected)) < 1.5 / 30


def test_multiscale_path_is_a_warping_path(monkeypatch):
    reference = wandering_dancer(12.0, seed=5)
    performance = wandering_dancer(12.0, seed=5, warp=lambda t: 0.9 * t, noise=0.02)
    ref, _ = reference_dance._usable(reference)
    perf, _ = reference_dance._usable(performance)
    monkeypatch.setattr(reference_dance, "MAX_CELLS", 100)
    path, _ = reference_dance._align(ref, perf)
    assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (len(ref) - 1, len(perf) - 1)
    assert set(map(tuple, np.diff(path, axis=0))) <= {(1, 1), (1, 0), (0, 1)}
    full, _ = dtw(pair_cost(ref, perf))
    # The multiscale path stays within a few frames of the full-matrix one.
    assert np.abs(np.interp(np.arange(len(ref)), full[:, 0], full[:, 1])
                  - np.interp(np.arange(len(ref)), path[:, 0], path[:, 1])).max() <= 3


def test_three_minutes_against_three_minutes_in_bounded_memory_and_time():
    """Issue 9's bound: 5400 × 5400 frames (3 min at 30 fps each side) under 300 MB and 10 s on one core."""
    reference = wandering_dancer(180.0, seed=8)
    performance = wandering_dancer(180.0, seed=8, warp=lambda t: t + 0.5 * np.sin(2 * np.pi * t / 40.0), noise=0.02)
    tracemalloc.start()
    try:
        clock = time.process_time()
        result = compare_to_reference(reference, performance)
        cpu = time.process_time() - clock
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 300 * 2**20, f"peak {peak / 2**20:.0f} MB"
    assert cpu < 10.0
    assert abs(result.mean_lag_s) < 0.1 and not result.mirrored
