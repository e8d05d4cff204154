"""The comparison with a reference as model input: per-frame channels and a take-level summary.

A learned scorer *with a reference* reads, beside the 72 frame features of `edge.features.sequence`,
what the box's own alignment measured (`reference_music.compare_to_midi`,
`reference_dance.compare_to_reference`), laid on the same 30-frames-a-second timeline so a 2-s
window carries the measurements of its own seconds:

- music (`REFERENCE_NAMES[0:5]`): every frame holds the state of the written note last due there
  (its aligned time: offset + tempo ratio × written onset): played, wrong or missed (one-hot), the
  note's |onset deviation| (per 100 ms) and its |cents| (per 100, played notes only). A window's
  mean is then the time-weighted share of its notes played, wrong, missed, and their mean errors.
- dance (`REFERENCE_NAMES[6:10]`): along the DTW path, the mean joint-angle error (per 45°), the lag
  against the take's median lag (s: phrase-scale timing against the choreography), per-step mirror
  evidence (direct minus mirrored pose distance over their sum: > 0 where the mirror image fits the
  reference better — a phrase danced mirrored) and the take's mirror flag.
- `covered`: 1 where the comparison says something about the frame.

`reference_summary` gives the take-level vector (`SUMMARY_NAMES`) a whole-take model reads once.
No torch here: the box builds the same input from its own comparison.
"""

from __future__ import annotations

import numpy as np

from .landmarks import BODY, MIRROR
from .pose import PoseTrack
from .pose_normalize import normalize
from .reference_dance import DanceComparison
from .reference_music import MusicComparison
from .rhythm import fill_short_gaps

REFERENCE_NAMES = ("note_played", "note_wrong", "note_missed", "note_onset_dev", "note_cents",
                   "dance_joint_error", "dance_lag", "dance_mirror_evidence", "dance_mirrored", "covered")
SUMMARY_NAMES = ("music_played_share", "music_wrong_share", "music_missed_share", "music_onset_dev_mean_abs",
                 "music_onset_dev_std", "music_cents_mean_abs", "music_note_f1", "music_log_tempo_ratio",
                 "dance_joint_error", "dance_pose_distance", "dance_mirrored", "dance_mirror_ratio",
                 "dance_mirror_share", "dance_lag_std", "dance_log_tempo_ratio", "is_dance")
N_REFERENCE = len(REFERENCE_NAMES)
N_SUMMARY = len(SUMMARY_NAMES)
COL = {n: i for i, n in enumerate(REFERENCE_NAMES)}
ERROR_SCALE_DEG = 45.0


def _hold(times: np.ndarray, event_times: np.ndarray) -> np.ndarray:
    """Index of the last event at or before each frame time (−1 before the first)."""
    return np.searchsorted(event_times, times, side="right") - 1


def music_frames(comparison: MusicComparison, times: np.ndarray) -> np.ndarray:
    out = np.zeros((len(times), N_REFERENCE), np.float32)
    notes = sorted(comparison.notes, key=lambda n: n.written_onset_s)
    if not notes:
        return out
    due = np.array([comparison.time_offset_s + comparison.tempo_ratio * n.written_onset_s for n in notes])
    k = _hold(times, due)
    # The last note holds for a mean inter-onset interval (a comparison keeps no written lengths).
    end = due[-1] + max(0.25, (due[-1] - due[0]) / max(len(notes) - 1, 1))
    inside = (k >= 0) & (times <= end)
    status = np.array([{"played": 0, "wrong": 1, "missed": 2}[n.status] for n in notes])
    dev = np.array([abs(n.onset_deviation_ms) / 100.0 if n.onset_deviation_ms is not None else 0.0 for n in notes])
    cents = np.array([abs(n.pitch_deviation_cents) / 100.0
                      if n.pitch_deviation_cents is not None and n.status == "played" else 0.0 for n in notes])
    idx = k[inside]
    rows = np.flatnonzero(inside)
    out[rows, status[idx]] = 1.0
    out[rows, COL["note_onset_dev"]] = np.minimum(dev[idx], 3.0)
    out[rows, COL["note_cents"]] = np.minimum(cents[idx], 3.0)
    out[rows, COL["covered"]] = 1.0
    return out


def mirror_evidence(reference: PoseTrack, performance: PoseTrack, comparison: DanceComparison) -> np.ndarray:
    """Per DTW step: (direct − mirrored distance) / their sum of the performance frame against the aligned
    reference frame, BODY joints in torso lengths. > 0: the mirror image fits better there."""
    steps = len(comparison.path_times_s)
    if steps == 0:
        return np.zeros(0, np.float32)
    ref = fill_short_gaps(normalize(reference.world), reference.times)[:, BODY]
    perf_raw = fill_short_gaps(normalize(performance.world), performance.times)
    perf, mirrored = perf_raw[:, BODY], perf_raw[:, list(MIRROR)][:, BODY] * np.array([-1.0, 1.0, 1.0], np.float32)
    if comparison.mirrored:          # the comparison aligned the mirror image: "direct" is the mirrored one
        perf, mirrored = mirrored, perf
    p_idx = np.clip(np.searchsorted(performance.times, comparison.path_times_s), 0, len(performance) - 1)
    r_idx = np.clip(np.searchsorted(reference.times, comparison.path_times_s - comparison.path_lag_s),
                    0, len(reference) - 1)
    direct = np.linalg.norm(ref[r_idx] - perf[p_idx], axis=-1).mean(-1)
    flipped = np.linalg.norm(ref[r_idx] - mirrored[p_idx], axis=-1).mean(-1)
    evidence = (direct - flipped) / (direct + flipped + 1e-6)
    return np.nan_to_num(evidence, nan=0.0).astype(np.float32)


def dance_frames(comparison: DanceComparison, times: np.ndarray, evidence: np.ndarray | None = None) -> np.ndarray:
    out = np.zeros((len(times), N_REFERENCE), np.float32)
    t = np.asarray(comparison.path_times_s, float)
    if len(t) == 0:
        return out
    order = np.argsort(t, kind="stable")
    t = t[order]
    err = np.nanmean(comparison.path_errors_deg, axis=1)[order] / ERROR_SCALE_DEG
    lag = np.asarray(comparison.path_lag_s, float)[order]
    lag = lag - np.median(lag)
    ev = np.zeros(len(t)) if evidence is None or len(evidence) != len(order) else evidence[order]
    inside = (times >= t[0] - 0.5 / 30) & (times <= t[-1] + 0.5 / 30)
    rows = np.flatnonzero(inside)
    # Steps sharing a performance frame (DTW holds it while the reference moves on) are averaged.
    bins = np.clip(np.searchsorted(times[rows] - 0.5 / 30, t, side="right") - 1, 0, len(rows) - 1)
    counts = np.bincount(bins, minlength=len(rows)).astype(float)
    for col, values in (("dance_joint_error", np.nan_to_num(err)), ("dance_lag", np.clip(lag, -2, 2)),
                        ("dance_mirror_evidence", ev)):
        sums = np.bincount(bins, weights=values, minlength=len(rows))
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        # Frames the path skipped take the neighbouring step's value.
        have = np.flatnonzero(counts > 0)
        mean = np.interp(np.arange(len(rows)), have, mean[have])
        out[rows, COL[col]] = mean
    out[rows, COL["dance_mirrored"]] = float(comparison.mirrored)
    out[rows, COL["covered"]] = 1.0
    return out


def reference_frames(comparison: MusicComparison | DanceComparison | None, times: np.ndarray,
                     mirror: np.ndarray | None = None) -> np.ndarray:
    """(T, N_REFERENCE) channels on the model frames' `times` (edge.features.sequence); zeros without a
    comparison. `mirror`: `mirror_evidence` of a dance comparison (its channel stays 0 without it)."""
    times = np.asarray(times, float)
    if comparison is None:
        return np.zeros((len(times), N_REFERENCE), np.float32)
    if isinstance(comparison, MusicComparison):
        return music_frames(comparison, times)
    if isinstance(comparison, DanceComparison):
        return dance_frames(comparison, times, mirror)
    raise TypeError(f"not a reference comparison: {type(comparison).__name__}")


def reference_inputs(frames: np.ndarray, summary: np.ndarray) -> np.ndarray:
    """(T, N_REFERENCE) channels and the (N_SUMMARY,) take summary → (T, N_REFERENCE + N_SUMMARY): the
    summary repeated on every frame, so a take's windows carry it and the model input stays one
    (W, 60, F) array. A with-reference model reads these after the 72 frame features, in training
    (training/scorers/round2_reference.py) and on the box (edge/scoring/learned/performance.py) alike."""
    return np.concatenate([np.asarray(frames, np.float32),
                           np.broadcast_to(np.asarray(summary, np.float32), (len(frames), len(summary)))], axis=1)


def comparison_inputs(comparison: MusicComparison | DanceComparison, times: np.ndarray,
                      reference_pose: PoseTrack | None = None, performance_pose: PoseTrack | None = None
                      ) -> np.ndarray:
    """The (T, N_REFERENCE + N_SUMMARY) reference input of a take from the box's comparison, on the
    feature frames' `times`. A dance comparison's mirror evidence needs both pose tracks; without them
    that channel (and the summary's mirror share) stays 0."""
    mirror = None
    if isinstance(comparison, DanceComparison) and reference_pose is not None and performance_pose is not None:
        mirror = mirror_evidence(reference_pose, performance_pose, comparison)
    return reference_inputs(reference_frames(comparison, times, mirror), reference_summary(comparison, mirror))


def reference_summary(comparison: MusicComparison | DanceComparison, mirror: np.ndarray | None = None) -> np.ndarray:
    """(N_SUMMARY,) take-level measurements of the comparison (SUMMARY_NAMES; the other discipline's 0)."""
    s = np.zeros(N_SUMMARY, np.float32)
    col = {n: i for i, n in enumerate(SUMMARY_NAMES)}
    if isinstance(comparison, MusicComparison):
        n = max(len(comparison.notes), 1)
        counts = comparison.counts()
        dev = np.array([x.onset_deviation_ms for x in comparison.notes if x.onset_deviation_ms is not None])
        cents = np.array([abs(x.pitch_deviation_cents) for x in comparison.notes
                          if x.pitch_deviation_cents is not None and x.status == "played"])
        s[col["music_played_share"]] = counts["played"] / n
        s[col["music_wrong_share"]] = counts["wrong"] / n
        s[col["music_missed_share"]] = counts["missed"] / n
        s[col["music_onset_dev_mean_abs"]] = np.abs(dev).mean() / 100.0 if len(dev) else 0.0
        s[col["music_onset_dev_std"]] = dev.std() / 100.0 if len(dev) else 0.0
        s[col["music_cents_mean_abs"]] = cents.mean() / 100.0 if len(cents) else 0.0
        s[col["music_note_f1"]] = comparison.note_f1
        s[col["music_log_tempo_ratio"]] = np.log(max(comparison.tempo_ratio, 1e-3))
        return s
    if isinstance(comparison, DanceComparison):
        s[col["dance_joint_error"]] = comparison.mean_error_deg / ERROR_SCALE_DEG
        s[col["dance_pose_distance"]] = comparison.pose_distance
        s[col["dance_mirrored"]] = float(comparison.mirrored)
        direct = comparison.pose_distance
        s[col["dance_mirror_ratio"]] = comparison.mirrored_distance / direct if direct > 1e-6 else 1.0
        s[col["dance_mirror_share"]] = float(np.mean(mirror > 0)) if mirror is not None and len(mirror) else 0.0
        s[col["dance_lag_std"]] = float(np.std(comparison.path_lag_s)) if len(comparison.path_lag_s) else 0.0
        s[col["dance_log_tempo_ratio"]] = np.log(max(comparison.tempo_ratio, 1e-3))
        s[col["is_dance"]] = 1.0
        return s
    raise TypeError(f"not a reference comparison: {type(comparison).__name__}")
