"""Rhythm and sync: motion beats, the AIST++ beat-alignment score, onset deviation from the beat grid, tempo stability.

Beat alignment follows AI Choreographer (Li et al., ICCV 2021) as evaluated on AIST++: motion beats are
local minima of the mean joint speed; the score is the mean, over motion beats, of exp(−d² / 2σ²) where d
is the distance to the nearest music beat and σ is 3 frames at 60 fps (50 ms; the same time at any frame rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.ndimage import gaussian_filter1d
from scipy.signal import argrelextrema

from .audio.beats import beat_numbers, nearest_distance
from .landmarks import BODY
from .pose import PoseTrack
from .pose_normalize import normalize

MAX_GAP_S = 0.25  # frames without a person shorter than this are interpolated; longer gaps split the motion


@dataclass
class MotionSpeed:
    times: np.ndarray  # (N,) seconds
    speed: np.ndarray  # (N,) mean body-joint speed in torso lengths per second, smoothed; NaN in long gaps


def fill_short_gaps(values: np.ndarray, times: np.ndarray, max_gap_s: float = MAX_GAP_S) -> np.ndarray:
    """Linearly interpolate NaN rows in runs shorter than max_gap_s; leave longer runs NaN."""
    out = values.copy()
    missing = np.isnan(values.reshape(len(values), -1)).any(axis=1)
    if not missing.any() or missing.all():
        return out
    start = None
    for i in range(len(missing) + 1):
        if i < len(missing) and missing[i]:
            start = i if start is None else start
        elif start is not None:
            before, after = start - 1, i
            if before >= 0 and after < len(missing) and times[after] - times[before] <= max_gap_s + 1e-9:
                w = (times[start:after] - times[before]) / (times[after] - times[before])
                shape = (-1,) + (1,) * (values.ndim - 1)
                out[start:after] = values[before] + w.reshape(shape) * (values[after] - values[before])
            start = None
    return out


def motion_speed(track: PoseTrack, smoothing_s: float = 0.1) -> MotionSpeed:
    """Mean speed of the body joints (normalised world pose), smoothed with a Gaussian of σ = smoothing_s."""
    if len(track) < 3:
        return MotionSpeed(track.times, np.full(len(track), np.nan))
    pose = normalize(track.world)[:, BODY]
    pose = fill_short_gaps(pose, track.times)
    times, fps = track.times, track.fps
    if fps < SPEED_FPS:
        times, pose = _upsample(times, pose, SPEED_FPS)
        fps = SPEED_FPS
    velocity = np.gradient(pose, times, axis=0)
    speed = np.linalg.norm(velocity, axis=-1).mean(axis=1)
    sigma = smoothing_s * fps
    if sigma > 0:
        speed = _smooth_segments(speed, sigma)
    return MotionSpeed(times, speed)


SPEED_FPS = 30.0   # joint speed is measured at least this often, whatever rate pose ran at


def _upsample(times: np.ndarray, pose: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Poses on an even `fps` grid by a cubic spline through each run of known frames (gaps stay NaN).

    A box that runs pose at 10 fps sees a dancer's stop between its frames; speed minima taken at its
    frame times would be up to 50 ms off, as much as the beat-alignment σ (the spline puts them back)."""
    grid = np.arange(times[0], times[-1] + 0.5 / fps, 1.0 / fps)
    out = np.full((len(grid),) + pose.shape[1:], np.nan)
    known = np.isfinite(pose.reshape(len(pose), -1)).all(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], known.astype(int), [0]])))
    for start, stop in zip(edges[::2], edges[1::2]):
        inside = (grid >= times[start]) & (grid <= times[stop - 1])
        if stop - start >= 4:
            out[inside] = CubicSpline(times[start:stop], pose[start:stop], axis=0)(grid[inside])
        elif inside.any():
            nearest = np.abs(times[start:stop][None, :] - grid[inside][:, None]).argmin(axis=1)
            out[inside] = pose[start:stop][nearest]
    return grid, out


def _smooth_segments(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing within each run of finite values (NaN gaps are not smeared across)."""
    out = np.full_like(x, np.nan)
    finite = np.isfinite(x)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], finite.astype(int), [0]])))
    for start, stop in zip(edges[::2], edges[1::2]):
        out[start:stop] = gaussian_filter1d(x[start:stop], sigma, mode="nearest")
    return out


def motion_beats(speed: MotionSpeed) -> np.ndarray:
    """Times of local minima of joint speed: the moments a dancer 'hits' a position.

    Each minimum is placed between frames by the parabola through it and its two neighbours, so the
    times do not depend on the pose rate: at 10 fps a frame-time minimum is up to 50 ms off, as much as
    the beat-alignment σ, and scores would change with the device's pose rate."""
    s = np.where(np.isfinite(speed.speed), speed.speed, np.inf)
    minima = argrelextrema(s, np.less)[0]
    minima = minima[(minima > 0) & (minima < len(s) - 1)]
    if len(minima) == 0:
        return np.zeros(0)
    left, mid, right = s[minima - 1], s[minima], s[minima + 1]
    curvature = left - 2 * mid + right
    shift = np.zeros(len(minima))
    ok = np.isfinite(curvature) & (curvature > 0)
    shift[ok] = np.clip(0.5 * (left[ok] - right[ok]) / curvature[ok], -0.5, 0.5)   # in frames
    t = speed.times
    step = np.where(shift >= 0, t[np.minimum(minima + 1, len(t) - 1)] - t[minima], t[minima] - t[minima - 1])
    return t[minima] + shift * step


def beat_alignment(motion: np.ndarray, music: np.ndarray, sigma_s: float = 3 / 60,
                   span: tuple[float, float] | None = None) -> float | None:
    """AIST++ beat-alignment score in [0, 1]; None without motion beats or music beats.

    `span` restricts motion beats to the time the music covers (a motion beat before the audio starts
    has no music to align with).
    """
    if len(music) == 0:
        return None
    if span is not None:
        motion = motion[(motion >= span[0]) & (motion <= span[1])]
    if len(motion) == 0:
        return None
    d = nearest_distance(motion, music)
    return float(np.mean(np.exp(-(d ** 2) / (2 * sigma_s ** 2))))


def smoothed_grid(beats: np.ndarray, half_window: int = 4) -> np.ndarray:
    """Each beat moved onto a line fitted through its ±half_window neighbours (local steady tempo).

    Beats are placed on onsets, so measuring onsets against raw beats would read zero by construction;
    the local fit is where a steady player would have put them.
    """
    if len(beats) < 4:
        return beats
    n = beat_numbers(beats)
    out = np.empty_like(beats)
    for k in range(len(beats)):
        lo, hi = max(0, k - half_window), min(len(beats), k + half_window + 1)
        slope, intercept = np.polyfit(n[lo:hi], beats[lo:hi], 1)
        out[k] = intercept + slope * n[k]
    return out


def onset_deviation(onsets: np.ndarray, beats: np.ndarray, subdivisions: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(onset times, signed deviation in s of each from the nearest point of the beat grid cut into
    `subdivisions`). Onsets outside the first and last beat are not measured (no grid there)."""
    grid = smoothed_grid(beats)
    if len(grid) < 2 or len(onsets) == 0:
        return np.zeros(0), np.zeros(0)
    fractions = np.arange(subdivisions) / subdivisions
    points = (grid[:-1, None] + np.diff(grid)[:, None] * fractions[None, :]).ravel()
    points = np.append(points, grid[-1])
    inside = onsets[(onsets >= grid[0] - 0.5 * (grid[1] - grid[0]) / subdivisions)
                    & (onsets <= grid[-1] + 0.5 * (grid[-1] - grid[-2]) / subdivisions)]
    if len(inside) == 0:
        return np.zeros(0), np.zeros(0)
    return inside, nearest_distance(inside, points)
