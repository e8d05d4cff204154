"""Polyphonic transcription with basic-pitch's note model (Spotify, Apache-2.0; models/basic_pitch_nmp.onnx).

The network takes 2-s windows of 22 050 Hz audio (43 844 samples) and gives, per 256-sample frame
(86 frames a second) and piano key (A0 … C8), the probability that a note sounds (`note`) and that
one starts (`onset`). Windows overlap; the middle frames of each are kept so that every frame has
context on both sides. Notes are decoded here (not with basic-pitch's Python package, which pulls
TensorFlow): a note starts at a peak of the onset posterior above a threshold and lasts while the
note posterior stays above another.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import MODELS_DIR
from .audio.resample import resample
from .notes import Notes

MODEL_PATH = MODELS_DIR / "basic_pitch_nmp.onnx"
INPUT = "serving_default_input_2:0"
OUTPUTS = ["StatefulPartitionedCall:1", "StatefulPartitionedCall:2"]   # note, onset (as basic-pitch reads them)
SAMPLE_RATE = 22050
HOP = 256                     # samples per output frame
FPS = SAMPLE_RATE / HOP       # 86.13 frames a second
WINDOW = 43844                # samples per network input (2 s less one hop)
WINDOW_FRAMES = 172
EDGE = 15                     # frames dropped at each side of a window (no context there)
KEEP = 142                    # frames kept per window: the window hop is KEEP frames
LOWEST_KEY = 21               # A0: output column 0
ONSET_THRESHOLD = 0.5
FRAME_THRESHOLD = 0.3
MIN_NOTE_S = 0.06
GAP_FRAMES = 8                # a note survives this many frames (93 ms) below the frame threshold


@dataclass
class Posteriors:
    """Frame-wise output on one timeline: frame k is at start_s + k / FPS."""

    note: np.ndarray     # (T, 88) probability that key sounds
    onset: np.ndarray    # (T, 88) probability that key starts
    start_s: float

    @property
    def times(self) -> np.ndarray:
        return self.start_s + np.arange(len(self.note)) / FPS


@lru_cache(maxsize=2)
def _session(path: str):
    import onnxruntime as ort

    from ..errors import ModelError
    from ..models import inference_threads, verify_model

    verify_model(path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = inference_threads()   # the other cores run pose (as edge.models.onnx_session)
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = False  # the arena keeps its high-water mark (~100 MB here) for the process's life
    try:
        return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for unreadable graphs
        raise ModelError(f"{path}: ONNX Runtime cannot load it ({exc.__class__.__name__}: {exc})") from None


def to_model_rate(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    return resample(samples, sample_rate, SAMPLE_RATE)


def posteriors(samples: np.ndarray, sample_rate: int, *, start_s: float = 0.0, model_path: Path = MODEL_PATH,
               batch: int = 1) -> Posteriors:
    """Run the network over the whole signal. Memory: the two (frames, 88) outputs and a few windows,
    whatever the length (each window is cut from the signal with its padding, not from a padded copy)."""
    session = _session(str(model_path))
    x = to_model_rate(samples, sample_rate)
    # Window w starts EDGE frames before its first kept frame, so that the first kept frame is sample 0.
    pad = EDGE * HOP
    n_frames = max(int(np.ceil(len(x) / HOP)), 1)
    starts = list(range(-pad, n_frames * HOP - pad, KEEP * HOP))
    note = np.empty((n_frames, 88), np.float32)
    onset = np.empty((n_frames, 88), np.float32)
    for b in range(0, len(starts), batch):
        chunk = np.stack([_window(x, s) for s in starts[b:b + batch]])[..., None]
        frames, onsets = session.run(OUTPUTS, {INPUT: chunk})
        f0 = b * KEEP
        kept = min(len(chunk) * KEEP, n_frames - f0)
        note[f0:f0 + kept] = frames[:, EDGE:EDGE + KEEP].reshape(-1, 88)[:kept]
        onset[f0:f0 + kept] = onsets[:, EDGE:EDGE + KEEP].reshape(-1, 88)[:kept]
    return Posteriors(note, onset, start_s)


def _window(x: np.ndarray, start: int) -> np.ndarray:
    """WINDOW samples of x from `start` (may be negative or run past the end: zeros there)."""
    out = np.zeros(WINDOW, np.float32)
    a, b = max(start, 0), min(start + WINDOW, len(x))
    if b > a:
        out[a - start:b - start] = x[a:b]
    return out


def decode_notes(post: Posteriors, *, onset_threshold: float = ONSET_THRESHOLD,
                 frame_threshold: float = FRAME_THRESHOLD, min_note_s: float = MIN_NOTE_S) -> Notes:
    """Notes from the posteriors. Velocity holds the note's peak `note` posterior (0–1), not a level."""
    onset, note = post.onset, post.note
    t = post.times
    # Peaks of the onset posterior along time, per key.
    padded = np.pad(onset, ((1, 1), (0, 0)))
    peak = (onset >= onset_threshold) & (onset >= padded[:-2]) & (onset > padded[2:])
    rows = []
    min_frames = max(1, int(round(min_note_s * FPS)))
    for key in range(88):
        starts = np.flatnonzero(peak[:, key])
        for n, s in enumerate(starts):
            stop = starts[n + 1] if n + 1 < len(starts) else len(note)
            # The note lasts until the frame posterior has stayed low for GAP_FRAMES frames.
            active = note[s:stop, key] >= frame_threshold
            end, low = s, 0
            for k, on in enumerate(active):
                if on:
                    end, low = s + k, 0
                else:
                    low += 1
                    if low > GAP_FRAMES:
                        break
            if end - s + 1 < min_frames:
                continue
            rows.append((t[s], t[min(end + 1, len(t) - 1)], key + LOWEST_KEY, float(note[s:end + 1, key].max())))
    if not rows:
        return Notes(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
    rows.sort()
    a = np.array(rows, float)
    return Notes(a[:, 0], a[:, 1], a[:, 2], a[:, 3])
