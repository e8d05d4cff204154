"""Corpus → training examples: per-clip frames, labels, augmentation and window batches.

Augmentation (training only, per clip, seeded):
- temporal scaling by s in [0.9, 1.1]: frames resampled; the time-valued fault sizes (dance
  offset and jitter, music onset jitter) are scaled by s and the labels recomputed with the rubric,
  so the label stays true to what the stretched performance shows;
- pitch shift by −2…+2 semitones: the pitch channel moves where voiced (labels unchanged);
- pose mirroring (dance): left and right keypoints swapped and x negated, as
  `edge.features.pose_normalize.normalize(mirror=True)` does (labels unchanged: a mirrored
  dance is the same dance seen in a mirror).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.features.sequence import COLUMN, KEYPOINTS, POSE_DIM, PRESENT
from edge.features.landmarks import MIRROR
from edge.scoring.learned.windows import WINDOW_FRAMES, model_frames, stack_windows, window_starts
from edge.scoring.result import GRADES, SUBSCORES
from training.data.corpus_store import Corpus
from training.data.labels import label

ONSET, PITCH, VOICED = COLUMN["note_onset"], COLUMN["pitch"], COLUMN["voiced"]
_NEAREST = [ONSET, VOICED, PRESENT]
TIME_SIZES = {"dance": ("timing_offset_s", "timing_jitter_s"), "music": ("onset_jitter_ms",)}


def _mirror_columns() -> tuple[np.ndarray, np.ndarray]:
    position = {lm: i for i, lm in enumerate(KEYPOINTS)}
    order = [position[MIRROR[lm]] for lm in KEYPOINTS]
    cols = np.array([3 * k + a for k in order for a in range(3)] + [POSE_DIM - 1])
    sign = np.ones(POSE_DIM, np.float32)
    sign[0:POSE_DIM - 1:3] = -1.0
    return cols, sign


MIRROR_COLS, MIRROR_SIGN = _mirror_columns()


@dataclass
class Clips:
    """Frames and labels of a set of performances, ready to window."""
    frames: list[np.ndarray]        # (T, 72) float16
    targets: np.ndarray             # (N, 5) 0–100, NaN where not applicable
    grades: np.ndarray              # (N,) band index
    disciplines: list[str]
    sizes: list[dict]
    synthetic: np.ndarray           # (N,) bool: labels follow the rubric (augmentation may relabel)
    entries: list[dict]

    def __len__(self) -> int:
        return len(self.frames)


def relabelled(entry: dict) -> tuple[np.ndarray, int]:
    """Labels of a synthetic record recomputed from its fault sizes (the rubric may have changed since
    the corpus was generated); a judged record's labels as stored."""
    if entry.get("source", "synthetic") == "synthetic" and entry.get("sizes"):
        lab = label(entry["discipline"], entry["sizes"])
        return lab.vector(), lab.grade_index
    subs = entry["labels"]["subscores"]
    return (np.array([np.nan if subs.get(n) is None else subs[n] for n in SUBSCORES], np.float32),
            GRADES.index(entry["labels"]["grade"]))


def clips_from(corpus: Corpus) -> Clips:
    frames, targets, grades = [], [], []
    for entry, pose, audio in zip(corpus.entries, corpus.pose, corpus.audio):
        frames.append(model_frames(pose, audio, entry["discipline"]))
        t, g = relabelled(entry)
        targets.append(t)
        grades.append(g)
    return Clips(frames, np.array(targets, np.float32), np.array(grades, np.int64),
                 [e["discipline"] for e in corpus.entries], [e.get("sizes") or {} for e in corpus.entries],
                 np.array([e.get("source", "synthetic") == "synthetic" for e in corpus.entries]), corpus.entries)


def time_scale(frames: np.ndarray, s: float) -> np.ndarray:
    """Resample (T, F) frames as if the performance were s times slower (s > 1: longer)."""
    t = len(frames)
    n = max(2, int(round(t * s)))
    pos = np.clip(np.arange(n) / s, 0, t - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, t - 1)
    w = (pos - lo)[:, None].astype(np.float32)
    x = frames.astype(np.float32)
    out = (1 - w) * x[lo] + w * x[hi]
    near = np.where(w[:, 0] < 0.5, lo, hi)
    out[:, _NEAREST] = x[near][:, _NEAREST]
    # An onset impulse must survive resampling exactly once: place each where it moved to.
    out[:, ONSET] = 0.0
    onsets = np.flatnonzero(x[:, ONSET] > 0.5)
    out[np.clip(np.round(onsets * s).astype(int), 0, n - 1), ONSET] = 1.0
    return out


def mirror_pose(frames: np.ndarray) -> np.ndarray:
    out = frames.astype(np.float32).copy()
    out[:, :POSE_DIM] = out[:, MIRROR_COLS] * MIRROR_SIGN
    return out


def pitch_shift(frames: np.ndarray, semitones: int) -> np.ndarray:
    out = frames.astype(np.float32).copy()
    voiced = out[:, VOICED] > 0.5
    out[voiced, PITCH] += semitones / 24.0
    return out


def augment(clips: Clips, i: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    x = clips.frames[i].astype(np.float32)
    target, grade = clips.targets[i], int(clips.grades[i])
    discipline = clips.disciplines[i]
    if clips.synthetic[i] and rng.random() < 0.5:
        s = float(rng.uniform(0.9, 1.1))
        x = time_scale(x, s)
        sizes = dict(clips.sizes[i])
        for key in TIME_SIZES[discipline]:
            sizes[key] = sizes.get(key, 0.0) * s
        lab = label(discipline, sizes)
        target, grade = lab.vector(), lab.grade_index
    if rng.random() < 0.5:
        x = pitch_shift(x, int(rng.choice([-2, -1, 1, 2])))
    if discipline == "dance" and rng.random() < 0.5:
        x = mirror_pose(x)
    return x, target, grade


def tiled_starts(n_frames: int, rng: np.random.Generator | None) -> np.ndarray:
    """Training windows: non-overlapping, tiling the clip from a random phase."""
    k = max(1, n_frames // WINDOW_FRAMES)
    slack = max(0, n_frames - k * WINDOW_FRAMES)
    phase = int(rng.integers(0, slack + 1)) if rng is not None else 0
    return phase + WINDOW_FRAMES * np.arange(k)


def batch(clips: Clips, index: np.ndarray, rng: np.random.Generator | None, train: bool,
          per_clip: int | None = None):
    """Windows of the clips in `index`: (W, 60, 72) float32, (W,) clip position, targets, grades.

    Training tiles each (augmented) clip from a random phase and keeps `per_clip` of those windows
    at random (all when None); evaluation uses the box's windows (every second,
    `edge.scoring.learned.windows.window_starts`)."""
    windows, owner, targets, grades = [], [], [], []
    for j, i in enumerate(index):
        if train:
            x, t, g = augment(clips, int(i), rng)
            starts = tiled_starts(len(x), rng)
            if per_clip is not None and len(starts) > per_clip:
                starts = np.sort(rng.choice(starts, size=per_clip, replace=False))
        else:
            x, t, g = clips.frames[int(i)].astype(np.float32), clips.targets[int(i)], int(clips.grades[int(i)])
            starts = window_starts(len(x))
        windows.append(stack_windows(x, starts))
        owner += [j] * len(starts)
        targets.append(t)
        grades.append(g)
    return (np.concatenate(windows), np.array(owner), np.array(targets, np.float32), np.array(grades, np.int64))


def feature_stats(clips: Clips) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std over all frames (pose channels over dance frames only; the
    person-present flag is left as it is)."""
    allf = np.concatenate([f.astype(np.float64) for f in clips.frames])
    dance = [f for f, d in zip(clips.frames, clips.disciplines) if d == "dance"]
    mean, std = allf.mean(0), allf.std(0)
    if dance:
        d = np.concatenate([f.astype(np.float64) for f in dance])[:, :POSE_DIM]
        mean[:POSE_DIM], std[:POSE_DIM] = d.mean(0), d.std(0)
    mean[PRESENT], std[PRESENT] = 0.0, 1.0        # a 0/1 flag stays 0/1
    return mean.astype(np.float32), np.maximum(std, 1e-3).astype(np.float32)
