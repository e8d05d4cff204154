"""Saliency of a learned score, mapped back to seconds, limbs and joints, audio features and notes.

Whatever produced the per-frame, per-feature saliency — integrated gradients (torch checkpoints),
a Transformer's attention, or occlusion (the box's ONNX/TFLite plugins, which have no gradients) —
`summarize` turns a (T, 72) array of attributions over the whole performance into the result's
`explanation`: shares of the total absolute attribution per second, per limb and joint, per audio
feature group and per note heard (a note = from one detected onset to the next, named by its pitch).
Seconds also carry a sign (`signed`, `lost_seconds`, `gained_seconds`): a second whose attribution is
negative lost points, one whose attribution is positive gained them; attention has no sign.

`occlusion` is the gradient-free method for features: a group of features (a limb, an audio group)
is replaced by a baseline and the change in the predicted overall is that group's saliency (signed:
positive = the group raised the score). Seconds are judged by `removal_time`: each second is cut out
of the take and the take scored again. Filling a second with the training corpus's mean instead made a
music take's silent lead-in look like the second that lost the most points (the deletion test of
training/scorers/explain_eval.py: 23–55 % for music against 79–90 % with removal, most models).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ...features.sequence import AUDIO_NAMES, FRAME_RATE, KEYPOINTS, POSE_DIM
from ...features.landmarks import LANDMARK_NAMES
from .windows import WINDOW_FRAMES, stack_windows, window_starts

JOINTS = tuple(LANDMARK_NAMES[k] for k in KEYPOINTS)           # the 17 keypoints of the pose stream
LIMB_JOINTS = {
    "head": ("nose",),
    "torso": ("left_shoulder", "right_shoulder", "left_hip", "right_hip"),
    "left_arm": ("left_elbow", "left_wrist"),
    "right_arm": ("right_elbow", "right_wrist"),
    "left_leg": ("left_knee", "left_ankle", "left_heel", "left_foot_index"),
    "right_leg": ("right_knee", "right_ankle", "right_heel", "right_foot_index"),
}
AUDIO_GROUPS = {
    "onsets": ("onset_envelope", "note_onset"),
    "loudness": ("loudness",),
    "pitch": ("pitch", "voiced"),
    "beat": ("beat_phase_sin", "beat_phase_cos"),
    "timbre": tuple(f"mfcc_{k}" for k in range(13)),
}
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def joint_columns(joint: str) -> list[int]:
    k = JOINTS.index(joint)
    return [3 * k, 3 * k + 1, 3 * k + 2]


def limb_columns(limb: str) -> list[int]:
    return [c for j in LIMB_JOINTS[limb] for c in joint_columns(j)]


def audio_columns(group: str) -> list[int]:
    return [POSE_DIM + AUDIO_NAMES.index(n) for n in AUDIO_GROUPS[group]]


def note_name(midi: float) -> str:
    m = int(round(midi))
    return f"{NOTE_NAMES[m % 12]}{m // 12 - 1}"


def notes_of(frames: np.ndarray) -> list[tuple[int, int, float | None]]:
    """(first frame, end frame, MIDI pitch or None) of each note heard: onset to next onset."""
    onset_col, pitch_col, voiced_col = (POSE_DIM + AUDIO_NAMES.index(n) for n in ("note_onset", "pitch", "voiced"))
    starts = np.flatnonzero(frames[:, onset_col] > 0.5)
    notes = []
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else len(frames)
        voiced = frames[s:e, voiced_col] > 0.5
        pitch = float(np.median(frames[s:e, pitch_col][voiced]) * 24 + 60) if voiced.any() else None
        notes.append((int(s), int(e), pitch))
    return notes


def _shares(values: dict[str, float]) -> dict[str, float]:
    total = sum(values.values())
    return {k: round(v / total, 4) if total > 0 else 0.0 for k, v in values.items()}


def summarize(saliency: np.ndarray, frames: np.ndarray, *, method: str, target: str = "overall",
              discipline: str = "dance", top: int = 3, extra: dict | None = None,
              time_saliency: np.ndarray | None = None) -> dict:
    """(T, 72) attributions over the performance's frames → the explanation dict.

    `time_saliency` (T, 72), when given, is used for seconds and notes instead (occlusion measures
    features and time separately)."""
    a = np.abs(np.nan_to_num(np.asarray(saliency, np.float64)))
    at = a if time_saliency is None else np.abs(np.nan_to_num(np.asarray(time_saliency, np.float64)))
    n = len(a)
    per_frame = at.sum(axis=1)
    seconds = int(np.ceil(n / FRAME_RATE))
    sec = np.array([per_frame[int(k * FRAME_RATE):int((k + 1) * FRAME_RATE)].sum() for k in range(seconds)])
    total = float(per_frame.sum())
    sec_share = sec / total if total > 0 else np.zeros_like(sec)
    # Signed: what a second did to the score (positive raised it, negative lost points), as a share of the
    # total absolute attribution. Attention says only how much a second mattered, never which way.
    signed = not method.startswith("attention")
    st = np.nan_to_num(np.asarray(saliency if time_saliency is None else time_saliency, np.float64)).sum(axis=1)
    sec_signed = np.array([st[int(k * FRAME_RATE):int((k + 1) * FRAME_RATE)].sum() for k in range(seconds)])
    sec_signed = sec_signed / total if (signed and total > 0) else np.zeros_like(sec)
    out = {
        "method": method,
        "target": target,
        "seconds": [{"start_s": float(k), "end_s": float(min(k + 1, n / FRAME_RATE)), "share": round(float(s), 4),
                     **({"signed": round(float(v), 4)} if signed else {})}
                    for k, (s, v) in enumerate(zip(sec_share, sec_signed))],
        "top_seconds": [int(k) for k in np.argsort(-sec_share)[:top]],
        "signed": signed,
        "lost_seconds": [int(k) for k in np.argsort(sec_signed, kind="stable")[:top] if sec_signed[k] < 0],
        "gained_seconds": [int(k) for k in np.argsort(-sec_signed, kind="stable")[:top] if sec_signed[k] > 0],
        "modalities": _shares({"pose": float(a[:, :POSE_DIM].sum()), "audio": float(a[:, POSE_DIM:].sum())}),
        "audio_features": _shares({g: float(a[:, audio_columns(g)].sum()) for g in AUDIO_GROUPS}),
    }
    if discipline == "dance":
        out["limbs"] = _shares({limb: float(a[:, limb_columns(limb)].sum()) for limb in LIMB_JOINTS})
        out["joints"] = _shares({j: float(a[:, joint_columns(j)].sum()) for j in JOINTS})
        out["top_limbs"] = sorted(out["limbs"], key=out["limbs"].get, reverse=True)[:top]
    audio_total = float(at[:, POSE_DIM:].sum())
    notes = []
    for s, e, pitch in notes_of(frames):
        share = float(at[s:e, POSE_DIM:].sum()) / audio_total if audio_total > 0 else 0.0
        notes.append({"onset_s": round(s / FRAME_RATE, 3), "end_s": round(e / FRAME_RATE, 3),
                      "pitch_midi": None if pitch is None else round(pitch, 2),
                      "note": None if pitch is None else note_name(pitch), "share": round(share, 4)})
    out["top_notes"] = sorted(notes, key=lambda x: -x["share"])[:5]
    if extra:
        out.update(extra)
    return out


def attention_time(attention: np.ndarray, starts: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Attention over each window's frames (W, 60) → saliency per performance frame and feature (T, F),
    shared evenly over the features (attention says when, not what)."""
    spread = np.repeat(attention[..., None], frames.shape[1], axis=2) / frames.shape[1]
    return spread_windows(spread, starts, len(frames))


def spread_windows(per_window: np.ndarray, starts: np.ndarray, n_frames: int) -> np.ndarray:
    """Window attributions (W, 60, F) → performance frames (T, F): summed where windows overlap and
    divided by the number of windows, as the performance's prediction is their mean."""
    out = np.zeros((max(n_frames, WINDOW_FRAMES), per_window.shape[2]), np.float64)
    for w, s in zip(per_window, starts):
        out[s:s + WINDOW_FRAMES] += w[:len(out) - s]
    return out[:n_frames] / len(starts)


Runner = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


EXPLAIN_MAX_SPANS = 60     # a long take is cut in spans of several seconds: at most this many re-scorings


def removal_time(overall_without: Callable[[int, int], float], base: float, n_frames: int, n_columns: int,
                 columns: np.ndarray, max_spans: int = EXPLAIN_MAX_SPANS) -> tuple[np.ndarray, int]:
    """Time saliency (T, n_columns) and the span in seconds: each span's change of the predicted overall
    when it is cut out of the take (`overall_without(lo, hi)`: the overall without frames lo:hi), spread
    evenly over its frames and `columns`. Positive: the span raised the score; negative: it lost points."""
    seconds = int(np.ceil(n_frames / FRAME_RATE))
    span = max(1, int(np.ceil(seconds / max_spans)))
    time = np.zeros((n_frames, n_columns), np.float64)
    for k in range(0, seconds, span):
        lo, hi = int(k * FRAME_RATE), min(n_frames, int((k + span) * FRAME_RATE))
        if hi - lo >= n_frames:
            continue                  # nothing would be left to score
        time[lo:hi, columns] += (base - overall_without(lo, hi)) / (max(hi - lo, 1) * len(columns))
    return time, span


def window_saliency(run: Runner, frames: np.ndarray, baseline: np.ndarray, overall_of: Callable[[np.ndarray], float],
                    discipline: str) -> tuple[np.ndarray, np.ndarray, int]:
    """A window scorer's (features, time, span in seconds), each saliency (T, 72): feature groups by
    occlusion, seconds by removal (the take's overall is the mean of its windows' scores)."""
    windows = stack_windows(frames, window_starts(len(frames)))
    features = occlusion(run, windows, len(frames), baseline, overall_of, discipline)

    def without(lo, hi):
        cut = np.concatenate([frames[:lo], frames[hi:]])
        return overall_of(run(stack_windows(cut, window_starts(len(cut))))[0].mean(axis=0))

    columns = np.arange(frames.shape[1]) if discipline == "dance" else np.arange(POSE_DIM, frames.shape[1])
    time, span = removal_time(without, overall_of(run(windows)[0].mean(axis=0)), len(frames), frames.shape[1],
                              columns)
    return features, time, span


def occlusion(run: Runner, windows: np.ndarray, n_frames: int, baseline: np.ndarray, overall_of: Callable[[np.ndarray], float], discipline: str) -> np.ndarray:
    """Gradient-free saliency of feature groups, (T, 72): each limb's (dance) and audio group's change of
    the predicted overall when it is set to `baseline` in every window, spread evenly over its columns and
    all frames (so a limb's joints share its value evenly)."""
    groups: list[list[int]] = [audio_columns(g) for g in AUDIO_GROUPS]
    if discipline == "dance":
        groups += [limb_columns(limb) for limb in LIMB_JOINTS]
    # Every variant changes every window (batched in one call).
    changed: list[tuple[int, int, np.ndarray]] = []          # (variant, window, modified window)
    for g, cols in enumerate(groups):
        for i in range(len(windows)):
            v = windows[i].copy()
            v[:, cols] = baseline[cols]
            changed.append((g, i, v))
    base_scores, _ = run(windows)
    new_scores, _ = run(np.stack([v for _, _, v in changed])) if changed else (np.zeros((0, 5)), None)
    per_variant = np.repeat(base_scores[None], len(groups), axis=0)
    for (variant, i, _), row in zip(changed, new_scores):
        per_variant[variant, i] = row
    base = overall_of(base_scores.mean(axis=0))
    drops = np.array([base - overall_of(p.mean(axis=0)) for p in per_variant])
    features = np.zeros((n_frames, windows.shape[2]), np.float64)
    for d, cols in zip(drops, groups):
        features[:, cols] += d / (n_frames * len(cols))
    return features
