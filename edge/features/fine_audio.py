"""Fine audio channels: what a music fault looks like below the 30-fps model frame (issue 13, item 3).

The 72 model features (`sequence.py`) round every note onset to a 33 ms frame, average the level over
the frame and carry pitch as (MIDI − 60) / 24, so 8–42 ms of timing jitter, a few dB of phrase
dynamics and tens of cents of intonation are at or below what they resolve. These channels keep the
precise values `AudioFeatures` already measured, one row per model frame on the same timeline
(`sequence.FRAME_RATE`, frame centres (k + ½) / 30 s):

- `fine_onset`: 1 on the frame that holds a note onset (the onset's own frame, the same binning as
  `sequence.audio_features`' pooling);
- `onset_offset_ms`: on that frame, the onset's signed offset from the frame centre (−16.7 … +16.7 ms),
  0 elsewhere: with the frame index it gives the onset time to the onset detector's ~2 ms;
- `grid_deviation_ms`: on that frame, the onset's signed deviation from the nearest quarter-beat of a
  steady beat grid: the tracked beats (`AudioFeatures.beats_s`) smoothed by a straight line through the
  GRID_SPAN beats either side of each (the tracker snaps beats onto the played onsets, so its raw beats
  would carry the very jitter to be measured); 0 elsewhere or without two beats;
- `note_peak_db`: over a note's frames (onset to the next onset), the note's peak RMS level minus the
  median of the take's note peaks (0 before the first onset);
- `cents`: the held pitch's distance from its nearest semitone, in cents (mean over the frame's
  voiced pitch frames; 0 when unvoiced);
- `chroma_0` … `chroma_11`: the pitch-class content (C … B) of `audio.harmony` (edge/features/audio/
  harmony.py's log-compressed chroma of `chroma.audio_pitch_energy`, 25 frames a second), unit length
  per frame, the nearest chroma frame to each model frame; 0 where silent.

No torch here: the box computes exactly what training reads (training/scorers/round2_fine.py).
"""

from __future__ import annotations

import numpy as np

from .audio import AudioFeatures
from .sequence import frame_means, frame_of

FINE_NAMES = ("fine_onset", "onset_offset_ms", "grid_deviation_ms", "note_peak_db", "cents") + tuple(
    f"chroma_{k}" for k in range(12))
N_FINE = len(FINE_NAMES)
FINE_COLUMN = {name: i for i, name in enumerate(FINE_NAMES)}
CHROMA = slice(FINE_COLUMN["chroma_0"], FINE_COLUMN["chroma_0"] + 12)
GRID_DIVISIONS = 4           # quarter-beats: where melody notes fall (eighths and sixteenths at most tempi)
GRID_SPAN = 4                # beats either side of a beat in the line that smooths it (tempo may drift)
FINE_LAYOUT = "perfscore.fine-audio/1"


def steady_grid(beats: np.ndarray, span: int = GRID_SPAN) -> np.ndarray:
    """Each beat moved onto the least-squares line through it and its `span` neighbours on either side
    (beat time against beat index): played jitter is removed, a slow tempo change is kept."""
    beats = np.asarray(beats, float)
    if len(beats) < 3:
        return beats.copy()
    out = np.empty_like(beats)
    for k in range(len(beats)):
        lo, hi = max(0, k - span), min(len(beats), k + span + 1)
        idx = np.arange(lo, hi, dtype=float)
        slope, intercept = np.polyfit(idx, beats[lo:hi], 1)
        out[k] = slope * k + intercept
    return out


def grid_deviation_s(onsets: np.ndarray, beats: np.ndarray, divisions: int = GRID_DIVISIONS) -> np.ndarray:
    """Signed distance (s) of each onset from the nearest 1/`divisions` of a beat on the beat grid; the
    grid runs on past the first and last beat with their periods. NaN without two beats."""
    onsets = np.asarray(onsets, float)
    beats = np.asarray(beats, float)
    if len(beats) < 2:
        return np.full(len(onsets), np.nan)
    k = np.clip(np.searchsorted(beats, onsets, side="right") - 1, 0, len(beats) - 2)
    period = beats[k + 1] - beats[k]
    position = (onsets - beats[k]) / period * divisions
    return (position - np.round(position)) * period / divisions


def note_peaks_db(onsets: np.ndarray, level_db: np.ndarray, level_times: np.ndarray, end_s: float,
                  half_window_s: float = 0.0) -> np.ndarray:
    """Peak level (dB) of each note: the maximum of `level_db` (RMS windows centred at `level_times`,
    `half_window_s` either side) over the windows that lie inside the note, from its onset to the next
    onset (or end_s); a window reaching into the next note would read that note's attack."""
    ends = np.append(onsets[1:], end_s)
    peaks = np.full(len(onsets), np.nan)
    for i, (a, b) in enumerate(zip(onsets, ends)):
        inside = level_db[(level_times - half_window_s >= a) & (level_times + half_window_s <= b)]
        if not len(inside):            # a note shorter than one window: the windows centred in it
            inside = level_db[(level_times >= a) & (level_times < max(b, a + 1e-3))]
        if len(inside):
            peaks[i] = float(inside.max())
    return peaks


def cents_off(midi: np.ndarray) -> np.ndarray:
    """Cents of each (fractional) MIDI pitch from its nearest semitone, −50 … +50; NaN stays NaN."""
    return 100.0 * (midi - np.round(midi))


def chroma_at(audio: AudioFeatures, times: np.ndarray) -> np.ndarray:
    """(T, 12) unit-length chroma of `audio.harmony` at the model frames (nearest chroma frame)."""
    out = np.zeros((len(times), 12), np.float32)
    curves = audio.harmony
    if curves is None or len(curves.harmony_cum) < 2:
        return out
    per_frame = np.diff(curves.harmony_cum, axis=0)              # (frames, 12): one chroma frame each
    k = np.round((times - audio.start_s) * curves.frame_rate).astype(int)
    inside = (k >= 0) & (k < len(per_frame))
    rows = per_frame[k[inside]]
    norm = np.linalg.norm(rows, axis=1, keepdims=True)
    out[inside] = np.where(norm > 1e-9, rows / np.maximum(norm, 1e-12), 0.0)
    return out


def fine_frames(audio: AudioFeatures | None, times: np.ndarray) -> np.ndarray:
    """(T, N_FINE) float32 fine channels at model-frame centres `times` (see the module doc)."""
    out = np.zeros((len(times), N_FINE), np.float32)
    if audio is None or len(times) == 0 or audio.silent:
        return out
    onsets = np.sort(np.asarray(audio.onsets_s, float))
    frames = frame_of(onsets, times)
    grid = grid_deviation_s(onsets, steady_grid(audio.beats_s))
    seen = set()
    for t, f, g in zip(onsets, frames, grid):
        if not 0 <= f < len(times) or f in seen:    # two onsets in one frame: the first one
            continue
        seen.add(int(f))
        out[f, FINE_COLUMN["fine_onset"]] = 1.0
        out[f, FINE_COLUMN["onset_offset_ms"]] = 1000.0 * (t - times[f])
        out[f, FINE_COLUMN["grid_deviation_ms"]] = 0.0 if np.isnan(g) else 1000.0 * g
    if len(onsets):
        # rms_dbfs[k] is the RMS of samples [k·hop, (k + 2)·hop) (audio/loudness.py): centred at (k + 1)·hop.
        hop_s = audio.hop / audio.sample_rate
        level_times = audio.start_s + (np.arange(len(audio.rms_dbfs)) + 1) * hop_s
        peaks = note_peaks_db(onsets, audio.rms_dbfs, level_times, audio.start_s + audio.duration_s, hop_s)
        ok = np.isfinite(peaks)
        if ok.any():
            relative = np.where(ok, peaks - np.median(peaks[ok]), 0.0)
            note = np.searchsorted(onsets, times, side="right") - 1       # the note sounding at each frame
            playing = note >= 0
            out[playing, FINE_COLUMN["note_peak_db"]] = relative[note[playing]]
    cents = cents_off(audio.f0_midi())
    m = min(len(cents), len(audio.f0_times))
    voiced = np.isfinite(cents[:m])
    out[:, FINE_COLUMN["cents"]] = frame_means(frame_of(audio.f0_times[:m][voiced], times), cents[:m][voiced],
                                               len(times))
    out[:, CHROMA] = chroma_at(audio, times)
    return out
