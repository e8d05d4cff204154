"""Per-frame feature sequences: what the learned scorers read, on the box and in training alike.

One row per model frame (30 per second) on the recording's timeline:
- pose (52): 17 body keypoints of the normalised world pose (hips at the origin, torso length 1),
  x, y, z each, and a person-present flag; zeros where no person was found;
- audio (20): onset envelope (scaled to unit peak), note-onset impulse, RMS level ((dBFS + 60) / 60,
  clipped to 0–1), pitch ((MIDI − 60) / 24, 0 when unvoiced), voiced flag, beat phase as sin and cos,
  13 MFCCs / 50.

Audio frames (86 per second) are pooled into each model frame: max for the envelope and onsets, mean
for the rest. `training/` builds its corpus through this very function, so what a model learned
from is computed here by the same code that runs on the box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio import AudioFeatures
from .landmarks import INDEX
from .pose import PoseTrack
from .pose_normalize import normalize
from .rhythm import fill_short_gaps

FRAME_RATE = 30.0
KEYPOINTS = tuple(INDEX[n] for n in (
    "nose", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
))
POSE_DIM = len(KEYPOINTS) * 3 + 1
AUDIO_DIM = 7 + 13
POSE_NAMES = tuple(f"{n}_{axis}" for n in (
    "nose", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index") for axis in "xyz") + ("person_present",)
AUDIO_NAMES = ("onset_envelope", "note_onset", "loudness", "pitch", "voiced", "beat_phase_sin",
               "beat_phase_cos") + tuple(f"mfcc_{k}" for k in range(13))
# Where things are in a model frame (pose, then audio): the person-present flag, each audio feature.
N_KEYPOINTS = len(KEYPOINTS)
PRESENT = POSE_DIM - 1
COLUMN = {name: POSE_DIM + i for i, name in enumerate(AUDIO_NAMES)}


@dataclass
class FeatureSequence:
    times: np.ndarray   # (T,) seconds, frame centres
    pose: np.ndarray    # (T, POSE_DIM) float32
    audio: np.ndarray   # (T, AUDIO_DIM) float32

    def window(self, start_s: float, seconds: float) -> "FeatureSequence":
        sel = (self.times >= start_s) & (self.times < start_s + seconds)
        return FeatureSequence(self.times[sel], self.pose[sel], self.audio[sel])

    def __len__(self) -> int:
        return len(self.times)


def frame_times(duration_s: float) -> np.ndarray:
    """Model-frame centres of a take: (k + ½) / FRAME_RATE for every whole frame."""
    return (np.arange(int(np.floor(duration_s * FRAME_RATE))) + 0.5) / FRAME_RATE


def frame_of(t: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Index of the model frame whose span [centre − ½ frame, centre + ½ frame) holds each time (−1 or
    len(times) outside)."""
    return np.searchsorted(times - 0.5 / FRAME_RATE, np.asarray(t, float), side="right") - 1


def frame_means(bins: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Mean of `values` per model frame (`bins` from frame_of; outside ones ignored), 0 where none fell."""
    valid = (bins >= 0) & (bins < n)
    counts = np.bincount(bins[valid], minlength=n)
    sums = np.bincount(bins[valid], weights=values[valid], minlength=n)
    return np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)


def pose_features(track: PoseTrack | None, times: np.ndarray, mirror: bool = False) -> np.ndarray:
    out = np.zeros((len(times), POSE_DIM), np.float32)
    if track is None or len(track) == 0 or track.person_frames == 0:
        return out
    pose = fill_short_gaps(normalize(track.world, mirror=mirror), track.times)[:, KEYPOINTS]
    flat = pose.reshape(len(track), -1)
    ok = np.isfinite(flat).all(axis=1)
    if ok.sum() == 0:
        return out
    # Nearest analysed frame for each model frame (pose may have been estimated on every n-th frame).
    idx = np.clip(np.searchsorted(track.times, times), 0, len(track) - 1)
    prev = np.clip(idx - 1, 0, len(track) - 1)
    idx = np.where(np.abs(track.times[prev] - times) < np.abs(track.times[idx] - times), prev, idx)
    near = np.abs(track.times[idx] - times) <= 1.5 / FRAME_RATE
    rows = near & ok[idx]
    out[rows, :-1] = flat[idx[rows]]
    out[rows, -1] = 1.0
    return out


def audio_features(audio: AudioFeatures | None, times: np.ndarray) -> np.ndarray:
    out = np.zeros((len(times), AUDIO_DIM), np.float32)
    if audio is None or len(audio.frame_times) == 0:
        return out
    n = len(audio.frame_times)
    env = audio.onset_envelope[:n] / (np.max(audio.onset_envelope[:n]) + 1e-9)
    onset = np.zeros(n, np.float32)
    frames = np.clip(np.searchsorted(audio.frame_times, audio.onsets_s), 0, n - 1)
    onset[frames] = 1.0
    loud = np.clip((audio.rms_dbfs[:n] + 60.0) / 60.0, 0.0, 1.0)
    midi = audio.f0_midi()[:n]
    voiced = np.isfinite(midi).astype(np.float32)
    pitch = np.where(voiced > 0, (np.nan_to_num(midi) - 60.0) / 24.0, 0.0)
    phase = _beat_phase(audio.beats_s, audio.frame_times)
    mfcc = audio.mfcc[:n] / 50.0
    per_hop = np.column_stack([env, onset, loud, pitch, voiced, np.sin(phase), np.cos(phase), mfcc]).astype(np.float32)
    # Pool the ~86 audio frames per second into model frames.
    bins = frame_of(audio.frame_times, times)
    valid = (bins >= 0) & (bins < len(times))
    for col in (0, 1):
        np.maximum.at(out[:, col], bins[valid], per_hop[valid, col])
    for col in range(2, AUDIO_DIM):
        out[:, col] = frame_means(bins, per_hop[:, col], len(times))
    return out


def _beat_phase(beats: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Position between the surrounding beats as an angle (0 on a beat); 0 where there are no beats."""
    if len(beats) < 2:
        return np.zeros(len(times))
    k = np.clip(np.searchsorted(beats, times, side="right") - 1, 0, len(beats) - 2)
    frac = (times - beats[k]) / (beats[k + 1] - beats[k])
    return 2 * np.pi * np.clip(frac, 0.0, 1.0)


def feature_sequence(pose: PoseTrack | None, audio: AudioFeatures | None, duration_s: float,
                     mirror: bool = False) -> FeatureSequence:
    """The model-input sequence of a whole recording."""
    times = frame_times(duration_s)
    return FeatureSequence(times, pose_features(pose, times, mirror), audio_features(audio, times))
