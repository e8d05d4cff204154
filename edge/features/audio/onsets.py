"""Note onsets: aubio's spectral-flux onsets, completed and checked by the pitch track, placed on the attack.

Measured on fluidsynth renders of a Bach chorale melody (bench/onsets.py), no single aubio onset
function serves every instrument: energy misses bowed and blown notes, spectral flux fires inside
sustained clarinet and trumpet notes and misses slurred violin notes. Performances here are
monophonic and pitched, so the detector combines what aubio hears with what the pitch track says:

1. candidates: aubio's onsets (spectral flux by default) plus the starts of held pitch changes
   (slurs, where the level hardly moves);
2. a candidate is kept when it starts a note: the pitch just after differs from the pitch just before
   by at least half a semitone (or follows silence), or the level rises by 3 dB or more;
3. each onset is moved, within 50 ms, to where the level of the next 5.8 ms rises most over the level
   of the 5.8 ms before (`refine_onsets`).
   aubio reports attacks late by an amount that depends on the attack (+11 ms for a 5 ms attack,
   +40 ms for a 40 ms one) and spectral flux also fires early (by ~14 ms on a click); after this
   step all of these are within ±2 ms.

aubio's own silence gate tests only the hop in which a peak is confirmed, a hop or two after the
attack; after a short click followed by digital silence it throws every onset away. It is turned off
and ours is used instead: an onset counts when the sound just after it is above the silence threshold.
"""

from __future__ import annotations

import aubio
import numpy as np

PITCH_ONSET_LAG_S = 0.03   # a held pitch is recognised ~30 ms after the note starts (YIN needs a window)
MERGE_S = 0.06             # a pitch-change onset this close to an aubio onset is the same onset
# Windows (seconds relative to a candidate) that decide whether it starts a note. They are narrow, so
# that the end of one note (its release, where spectral flux also fires) is not taken for the next note.
PITCH_BEFORE = (-0.08, -0.01)
PITCH_AFTER = (0.02, 0.08)     # must be mostly voiced: a note follows, not the gap before one
LEVEL_BEFORE = (-0.08, -0.03)  # clear of the attack even when the candidate is 25 ms late
LEVEL_AFTER = (0.0, 0.04)


def aubio_onsets(x: np.ndarray, sample_rate: int, hop: int, *, method: str, threshold: float,
                 window: int | None = None, min_interval_s: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """aubio's onset detection function per hop (the envelope) and its picked onsets (s)."""
    detector = aubio.onset(method, window or 4 * hop, hop, sample_rate)
    detector.set_threshold(threshold)
    detector.set_silence(float("-inf"))
    detector.set_minioi_s(min_interval_s)
    n_hops = len(x) // hop
    envelope = np.zeros(n_hops, np.float32)
    onsets = []
    for i in range(n_hops):
        if detector(x[i * hop:(i + 1) * hop])[0]:
            onsets.append(detector.get_last_s())
        envelope[i] = detector.get_descriptor()
    return envelope, np.array(onsets, float)


def pitch_change_onsets(f0_midi: np.ndarray, f0_times: np.ndarray, hold_frames: int = 4) -> np.ndarray:
    """Times where a new rounded pitch starts and holds for `hold_frames` frames (~46 ms)."""
    rounded = np.round(f0_midi)
    onsets, previous = [], np.nan
    for k in range(len(rounded) - hold_frames + 1):
        held = rounded[k:k + hold_frames]
        if np.isfinite(held).all() and np.all(held == held[0]):
            if held[0] != previous:
                onsets.append(f0_times[k])
            previous = held[0]
        elif k > 0 and not np.isfinite(rounded[k]) and not np.isfinite(rounded[k - 1]):
            previous = np.nan  # two unvoiced frames end the note; the same pitch again is a new note
    return np.array(onsets) - PITCH_ONSET_LAG_S


def _window(values: np.ndarray, times: np.ndarray, t: float, span: tuple[float, float]) -> np.ndarray:
    return values[(times >= t + span[0]) & (times < t + span[1])]


def starts_a_note(t: float, f0_midi: np.ndarray, f0_times: np.ndarray, loudness_db: np.ndarray,
                  loudness_times: np.ndarray, *, semitones: float = 0.5, rise_db: float = 3.0) -> bool:
    """A new pitch follows (after a different pitch or after silence), or the level rises by rise_db."""
    before = _window(f0_midi, f0_times, t, PITCH_BEFORE)
    after = _window(f0_midi, f0_times, t, PITCH_AFTER)
    if len(after) and np.isfinite(after).mean() >= 0.6:
        pitch_after = np.nanmedian(after)
        if np.isfinite(before).sum() < 2 or abs(pitch_after - np.nanmedian(before)) >= semitones:
            return True
    level_before = _window(loudness_db, loudness_times, t, LEVEL_BEFORE)
    level_after = _window(loudness_db, loudness_times, t, LEVEL_AFTER)
    return level_after.max(initial=-np.inf) - level_before.max(initial=-np.inf) >= rise_db


def refine_onsets(x: np.ndarray, sample_rate: int, onsets: np.ndarray, *, before_s: float = 0.05,
                  after_s: float = 0.05, window: int = 256, step: int = 32,
                  min_rise_db: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """Move each onset to where the sound rises most: the point t that maximises the level of the
    `window` samples after t over the level of the `window` samples before it (5.8 ms each at 44.1 kHz,
    on a 0.7 ms grid). Comparing two whole windows, rather than the slope of a short envelope, keeps
    a bass note's own waveform (one cycle is longer than a short window) from looking like attacks.

    Returns the refined times and the rise there (dB). An onset with no rise of `min_rise_db` stays.
    """
    if len(onsets) == 0:
        return onsets, np.zeros(0)
    energy = np.concatenate([[0.0], np.cumsum(np.square(x, dtype=np.float64))])
    refined, strength = onsets.copy(), np.zeros(len(onsets))
    for k, t in enumerate(onsets):
        lo = max(int((t - before_s) * sample_rate), window)
        hi = min(int((t + after_s) * sample_rate), len(x) - window)
        if hi <= lo:
            continue
        at = np.arange(lo, hi, step)
        after = energy[at + window] - energy[at]
        before = energy[at] - energy[at - window]
        rise = 10.0 * np.log10((after + 1e-9) / (before + 1e-9))
        best = int(np.argmax(rise))
        if rise[best] >= min_rise_db:
            refined[k], strength[k] = at[best] / sample_rate, rise[best]
    return refined, strength


def detect_onsets(x: np.ndarray, sample_rate: int, hop: int, *, f0_midi: np.ndarray, f0_times: np.ndarray,
                  loudness_db: np.ndarray, method: str = "specflux", threshold: float = 0.3,
                  silence_dbfs: float = -60.0, min_interval_s: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Return (aubio's onset envelope per hop, note onset times in seconds from the start of x)."""
    # aubio's own minimum interval is short: its onset on the release of a note must not mask the
    # attack of the next one 40 ms later; releases are rejected below, and near-duplicates at the end.
    envelope, heard = aubio_onsets(x, sample_rate, hop, method=method, threshold=threshold, min_interval_s=0.02)
    loudness_times = (np.arange(len(loudness_db)) + 1) * hop / sample_rate  # centre of each 2-hop RMS frame

    def confirmed(times) -> list[float]:
        return [t for t in times if starts_a_note(t, f0_midi, f0_times, loudness_db, loudness_times)]

    kept = confirmed(heard)
    # A pitch change near a confirmed aubio onset is that onset (aubio times attacks better than YIN).
    kept += confirmed([p for p in pitch_change_onsets(f0_midi, f0_times)
                       if not kept or np.min(np.abs(np.asarray(kept) - p)) > MERGE_S])
    kept = np.sort(np.asarray(kept, float))
    onsets, _ = refine_onsets(x, sample_rate, kept)
    if len(onsets):
        # Silence gate: the ~35 ms after an onset must be louder than silence.
        frames = np.clip((onsets * sample_rate / hop).astype(int), 0, len(loudness_db) - 1)
        onsets = onsets[np.array([loudness_db[f:f + 3].max(initial=-np.inf) for f in frames]) > silence_dbfs]
    # Two onsets refined onto the same attack, or closer than min_interval_s, are one onset.
    if len(onsets) > 1:
        onsets = np.sort(onsets)
        onsets = onsets[np.concatenate([[True], np.diff(onsets) >= min_interval_s])]
    return envelope, onsets
