"""Beats and tempo with aubio's beat tracker, and a tempo read off the beats themselves.

aubio's `get_bpm()` quantises the beat period to whole analysis hops (±1–2 BPM at 120 BPM with
11.6 ms hops). Fitting a line through the beat times against their beat numbers averages that
quantisation away: on a click track the fit reads within 0.05 BPM. The fit is a robust one, so a
few beats placed on off-beat notes do not tilt it.
"""

from __future__ import annotations

from typing import Callable

import aubio
import numpy as np
from scipy.stats import siegelslopes

from .harmony import HarmonyCurves, harmonic_change
from .tempo_level import (BandFluxes, LevelCues, TempoLevel, candidate_periods, choose_level, envelope_periods, level_terms,
                          low_weight, metrical_drop, normalise, periodicity, strength_at)


def track_beats(x: np.ndarray, sample_rate: int, hop: int, window: int | None = None) -> np.ndarray:
    """Beat times in seconds from the start of x."""
    tracker = aubio.tempo("default", window or 4 * hop, hop, sample_rate)
    tracker.set_silence(float("-inf"))  # our own silence handling is upstream (see onsets.py)
    beats = []
    for i in range(len(x) // hop):
        if tracker(x[i * hop:(i + 1) * hop])[0]:
            beats.append(tracker.get_last_s())
    return np.array(beats, float)


def settled_period(beats: np.ndarray) -> float | None:
    """aubio's beat period once it has locked: the median interval of the second half of its beats."""
    if len(beats) < 4:
        return None
    ibi = np.diff(beats)
    return float(np.median(ibi[len(ibi) // 2:]))


def place_beats(envelope: np.ndarray, period_frames: float, tightness: float = 100.0) -> np.ndarray:
    """Frames of beats that sit on strong envelope peaks about one period apart (Ellis 2007, dynamic programming).

    aubio's own beats fall on its hop grid, drift by a hop per few beats and re-lock with jumps of
    tens of ms; placing beats on the whole envelope at aubio's tempo keeps them on the onsets.
    """
    env = envelope / (envelope.std() + 1e-9)
    offsets = np.arange(-int(round(2 * period_frames)), -int(round(period_frames / 2)) + 1)
    penalty = -tightness * np.log(-offsets / period_frames) ** 2
    score = env.astype(np.float64).copy()
    previous = np.full(len(env), -1)
    for i in range(len(env)):
        candidates = i + offsets
        valid = candidates >= 0
        if not valid.any():
            continue
        total = score[candidates[valid]] + penalty[valid]
        best = int(np.argmax(total))
        if total[best] > 0:
            score[i] += total[best]
            previous[i] = candidates[valid][best]
    # End on the best-scoring frame of the last period, then follow the chain back.
    tail = max(0, len(env) - int(round(period_frames)))
    beat = tail + int(np.argmax(score[tail:]))
    frames = []
    while beat >= 0:
        frames.append(beat)
        beat = previous[beat]
    return np.array(frames[::-1])


# Beat placement (Ellis 2007): how strongly intervals are held to the period, and how much a confirmed
# note onset outweighs aubio's raw envelope. ONSET_WEIGHT was chosen on fluidsynth renders of a Bach
# chorale on six instruments with rubato, tempo drift and jitter. TIGHTNESS 400 (was 100) on the
# development renders of bench/frontend_accuracy.py: a loose chain followed the syncopated right hand
# of a ragtime and the off-beat bow strokes of strings (beat F 0.77 → 0.82 with the detrended fluxes).
TIGHTNESS = 400.0
ONSET_WEIGHT = 10.0
# Spectral fluxes lose their slowly varying part (a moving mean over this many seconds) before use:
# bowed strings and organ make a steady carpet of small flux between note starts, which hid their
# beats (mean flux on the written beats / on the half-beats, organ and string renders: 1.35 → 4.4).
DETREND_S = 0.46
# Phase: a grid is tried on its beats and a third, a half and two thirds of a period later; the phase
# with the most accent (onsets + PHASE_W_LOW × low band) and harmonic change (PHASE_W_HARMONY × all
# pitches + PHASE_W_BASS × bass register, harmony.py) on its beats wins. Chosen on the development
# renders (beat F at the written level 0.90 → 0.97; held-out renders unchanged at 0.87): onsets alone
# put the beat on the second eighth of a 6/8 organ bar and on the syncopations of a ragtime.
PHASE_SHIFTS = (0.0, 1 / 3, 1 / 2, 2 / 3)
PHASE_W_LOW = 2.0
PHASE_W_HARMONY = 2.0
PHASE_W_BASS = 1.0
# With the reference's notes the chosen grid's phase is where they fall on the most accent
# (`_reference_phase`), if the level is within this many octaves of the reference's written beat (±20 %,
# as REFERENCE_OCTAVES).
REFERENCE_PHASE_OCTAVES = 0.26
# The reference moves the audio's phase only if its notes fit another phase this much better. Chosen on
# the development renders (bench rows + --tuning, with the reference): margins 0, 0.02, 0.05, 0.1 gave
# beat F 0.921, 0.921, 0.906, 0.906 (0.906 without the notes); the largest that keeps the gain.
REFERENCE_PHASE_MARGIN = 0.02
# ... and only to a phase whose beats the audio itself gives at least this share of the accent and harmonic
# change of its own choice (`_phase_value`). The moves that helped (6/8 quartets whose re-struck beats
# are quieter than the eighth before them; the generated 6/8 of tests/features/test_beat_phase.py) went to
# phases at 0.78–0.97 of it. Where notes fill every half-beat, they fit a grid half a beat off about as
# well, and a noisy room tipped them: Schumann's polonaise on strings with a kit, at 35 dB SNR (a held-out
# piece), moved from its right phase (beat F 0.99) to one at 0.31 of it (F 0.0). Nothing else on the
# bench moved (as rendered, the tuning renders, the room at 20 dB).
REFERENCE_PHASE_AUDIO_SHARE = 0.5
SNAP_S = 0.03   # 2.5 hops: the chain's beats are on the 11.6 ms hop grid, onsets to within a few ms


def note_envelope(onsets: np.ndarray, envelope: np.ndarray, hop_s: float) -> np.ndarray:
    """aubio's envelope (unit std) plus a one-hop Gaussian at every confirmed note onset."""
    env = envelope / (envelope.std() + 1e-9)
    frames = np.arange(len(envelope))
    for t in onsets:
        env = env + ONSET_WEIGHT * np.exp(-0.5 * ((frames - t / hop_s) / 1.0) ** 2)
    return env


ACF_RESOLUTION = 0.005   # s: lag step of the onset train's autocorrelation


def onset_acf(onsets: np.ndarray, resolution: float = ACF_RESOLUTION) -> np.ndarray:
    """Autocorrelation of the onset train (onsets blurred by ±10 ms), one value per `resolution` of lag."""
    bins = np.zeros(int(np.ceil((onsets.max() - onsets.min()) / resolution)) + 1)
    bins[np.round((onsets - onsets.min()) / resolution).astype(int)] = 1.0
    bins = np.convolve(bins, np.exp(-0.5 * (np.arange(-6, 7) / 2.0) ** 2), mode="same")
    return np.correlate(bins, bins, mode="full")[len(bins) - 1:]


def onset_periods(onsets: np.ndarray, min_period: float, max_period: float, resolution: float = ACF_RESOLUTION,
                  n_peaks: int = 3) -> list[float]:
    """The strongest periodicities of the onset train: peaks of its autocorrelation between the bounds."""
    if len(onsets) < 4:
        return []
    acf = onset_acf(onsets, resolution)
    lo, hi = int(min_period / resolution), min(int(max_period / resolution), len(acf) - 2)
    peaks = [k for k in range(max(lo, 1), hi + 1) if acf[k] >= acf[k - 1] and acf[k] > acf[k + 1] and acf[k] > 0]
    peaks.sort(key=lambda k: -acf[k])
    return [k * resolution for k in peaks[:n_peaks]]


def refine_beats(beats: np.ndarray, onsets: np.ndarray, envelope: np.ndarray, hop_s: float, *,
                 max_bpm: float = 220.0, min_bpm: float = 40.0, start_s: float = 0.0,
                 fluxes: BandFluxes | None = None, cues: LevelCues | None = None, harmony: HarmonyCurves | None = None
                 ) -> tuple[np.ndarray, TempoLevel | None]:
    """From aubio's beats to the beat a musician would tap, each beat on its onset; and how that level was chosen.

    - Candidates: aubio's tracker prefers 60–130 BPM (a 180 BPM click is tracked at 90, a 40 BPM one at 80)
      and loses sparse legato melodies; the candidates are its settled period, the strongest periodicities
      of the note onsets and of the low band, and their metrical relatives (×⅓, ×½, ×2, ×3).
    - Level: each candidate is turned into beats and scored by metrical strength on the full and the
      low-band accents, the envelope's periodicity at the period and at its half or third, the chroma
      change across its beats, a tempo prior, and the reference's and the dancer's periods when known
      (tempo_level.py). Fitting the onsets alone favoured the faster level (a ragtime at 92 BPM read 184).
    - Placement: beats at that period over aubio's envelope plus the confirmed note onsets plus the low
      band (`place_beats`, `note_envelope`): kick, bass and chord roots pull the grid onto the strong
      beats rather than the hi-hat's off-beats; a grid whose half-beats are stronger than its beats is
      moved by half a period; then the grid's phase (on the beat, ⅓, ½ or ⅔ of a period later) is the
      one where accents and, when `harmony` is given, changes of harmony and bass line concentrate; with
      the reference's notes (`cues.reference_onsets_beats`), the chosen grid, if it is near the
      reference's written beat, moves to the phase where those notes fall on the most accent.
    - Snap: beats are on the hop grid (11.6 ms); a beat with an onset within 30 ms is moved onto it
      (onsets are accurate to a few ms). A wider reach pulled beats onto syncopations.
    """
    lo, hi = 60.0 / max_bpm, 60.0 / min_bpm
    if len(onsets) < 2:
        return beats, None
    notes = normalise(note_envelope(onsets - start_s, envelope, hop_s))
    n = len(notes)
    span = max(3, int(round(DETREND_S / hop_s)))
    bass, spectral, kick = (_fitted(_detrended(getattr(fluxes, band, None), span), n)
                            for band in ("low", "full", "kick"))
    full = notes + spectral
    weight = low_weight(fluxes.low_share if fluxes is not None else 0.0)
    # The low band's beat marker: the kick where a drum kit drives it (a house or disco bass plays on the
    # off-beats, a shuffle's on the swung eighth), the bass line where none does.
    kit = fluxes.kit if fluxes is not None else 0.0
    low = kit * kick + (1.0 - kit) * bass
    accent = full + 2.0 * weight * low
    # Bases in order of trust: a near-duplicate of an earlier base is dropped (candidate_periods).
    bases = [cues.reference_period_s] if cues is not None and cues.reference_period_s else []
    aubio_period = settled_period(beats)
    bases += [] if aubio_period is None else [aubio_period]
    bases += onset_periods(onsets - start_s, lo, hi)
    bases += [k * hop_s for k in envelope_periods(accent, lo / hop_s, hi / hop_s)]
    candidates = candidate_periods(bases, lo, hi)
    if not candidates:
        return beats, None
    scored, placed_by_period = {}, {}
    for period in candidates:
        frames = place_beats(accent, period / hop_s, tightness=TIGHTNESS).astype(float)
        drop_full, _ = metrical_drop(full, frames)
        drop_low, _ = metrical_drop(low, frames)
        _, contrast = metrical_drop(accent, frames)
        if contrast < 0:       # the grid sits on the off-beats: move it onto the beats
            frames = frames + period / hop_s / 2
            frames = frames[frames < n]
        if harmony is not None:
            frames = _best_phase(frames, period, hop_s, n, full, low, weight, harmony)
        drop_full, _ = metrical_drop(full, frames)
        drop_low, _ = metrical_drop(low, frames)
        beat_frames = period / hop_s
        subdivision = max(periodicity(accent, beat_frames / 2), periodicity(accent, beat_frames / 3))
        change = harmonic_change(harmony, frames * hop_s, period)[0] if harmony is not None else 0.0
        scored[period] = level_terms(period, drop_full, drop_low, weight, periodicity(accent, beat_frames),
                                     cues or LevelCues(), subdivision=subdivision, harmony_change=change)
        placed_by_period[period] = frames
    level = choose_level(scored)
    period = level.period_s
    frames = placed_by_period[period]
    # The reference's notes place the chosen grid; they do not vote on the level (moved onto a phase
    # its accents contradict, the right level scored as off the beat and lost to its half).
    if cues is not None and cues.reference_onsets_beats is not None and cues.reference_period_s \
            and abs(np.log2(period / cues.reference_period_s)) < REFERENCE_PHASE_OCTAVES:
        frames = _reference_phase(frames, period, hop_s, n, accent, cues.reference_onsets_beats,
                                  lambda grid: _phase_value(grid, period, hop_s, full, low, weight, harmony))
    placed = start_s + frames * hop_s
    # No beats beyond the music: the chain ends on its best frame in the last period, which may be silence.
    placed = placed[(placed >= onsets.min() - 0.2 * period) & (placed <= onsets.max() + 0.2 * period)]
    # Off the hop grid onto an onset only within SNAP_S: a reach of 20 % of a period pulled beats onto
    # syncopations and off-beat figuration (a 92 BPM ragtime read 96).
    return _snap(placed, onsets, min(SNAP_S, 0.2 * period)), level


def _best_phase(frames: np.ndarray, period: float, hop_s: float, n: int, full: np.ndarray, low: np.ndarray,
                weight: float, harmony: HarmonyCurves) -> np.ndarray:
    """The grid shifted by the fraction of a period whose beats carry the most accent and harmonic change."""
    best, best_frames = -np.inf, frames
    for shift in PHASE_SHIFTS:
        shifted = frames + shift * period / hop_s
        shifted = shifted[(shifted >= 0) & (shifted < n)]
        if len(shifted) < 2:
            continue
        value = _phase_value(shifted, period, hop_s, full, low, weight, harmony)
        if value > best + 1e-9:
            best, best_frames = value, shifted
    return best_frames


def _phase_value(frames: np.ndarray, period: float, hop_s: float, full: np.ndarray, low: np.ndarray,
                 weight: float, harmony: HarmonyCurves | None) -> float:
    """How much accent and harmonic change a grid's beats carry (what `_best_phase` maximises)."""
    change, bass = harmonic_change(harmony, frames * hop_s, period) if harmony is not None else (0.0, 0.0)
    return float(strength_at(full, frames).mean() + PHASE_W_LOW * weight * strength_at(low, frames).mean()
                 + PHASE_W_HARMONY * change + PHASE_W_BASS * bass)


def _reference_phase(frames: np.ndarray, period: float, hop_s: float, n: int, accent: np.ndarray,
                     reference_beats: np.ndarray, audio_value: Callable[[np.ndarray], float] | None = None
                     ) -> np.ndarray:
    """The grid shifted by the fraction of a period at which the reference's notes, laid on the grid's
    beats, fall on the most accent.

    The reference's notes (in written beats) are mapped onto the audio through the grid itself (beat k
    of the grid = written beat k + k0), so tempo drift does not pull them apart; every whole-beat offset
    k0 that keeps at least 90 % of the notes inside the grid is tried and the best counts (with half of
    them inside, a few notes that happened to sit on loud ones outscored the true placement).

    Why: strings and organ re-striking a held pitch on the beat make little flux, while the eighth before
    it that moves to a new pitch makes a lot; the audio alone then puts a 6/8 grid on the third eighth
    (Haydn's Op. 1/1 on strings: beat F 0.0 at the right tempo). The reference says its notes fall on
    the beat and the third eighth, not on the third eighth and the second. Not solved by it: a pickup
    eighth before every downbeat chord played as loud as the chord, under running eighths (Haydn's
    Op. 74/1 finale on strings), where both phases fit the notes within a few per cent.

    `audio_value` (grid → the accent and harmonic change on its beats) keeps the grid off phases the
    audio clearly rules out (REFERENCE_PHASE_AUDIO_SHARE).
    """
    beats = np.sort(np.asarray(reference_beats, float))
    if len(beats) < 4 or len(frames) < 4:
        return frames
    own = audio_value(frames) if audio_value is not None else 0.0
    best, best_frames, kept = -np.inf, frames, -np.inf
    for shift in PHASE_SHIFTS:
        grid = frames + shift * period / hop_s
        grid = grid[(grid >= 0) & (grid < n)]
        if len(grid) < 4:
            continue
        if shift != 0.0 and audio_value is not None and audio_value(grid) < REFERENCE_PHASE_AUDIO_SHARE * own:
            continue     # the audio's own accents and harmony say clearly that the beat is not there
        index = np.arange(len(grid))
        first, last = int(np.floor(beats.min())), int(np.ceil(beats.max()))
        for k0 in range(-last, len(grid) - first):
            position = beats + k0
            inside = (position >= 0) & (position <= len(grid) - 1)
            if inside.sum() < max(4, 0.9 * len(beats)):
                continue
            value = strength_at(accent, np.interp(position[inside], index, grid)).mean()
            if shift == 0.0:
                kept = max(kept, value)
            if value > best + 1e-9:
                best, best_frames = value, grid
    # A reference whose notes fill every half-beat (running eighths) fits either phase about as well:
    # then the audio's own phase stays.
    return best_frames if best > kept * (1.0 + REFERENCE_PHASE_MARGIN) else frames


def _detrended(flux: np.ndarray | None, span: int) -> np.ndarray | None:
    """The flux above its moving mean over `span` frames (rectified): attacks, not the sustained level."""
    if flux is None or not len(flux):
        return flux
    from scipy.ndimage import uniform_filter1d

    flux = np.asarray(flux, np.float64)
    return np.maximum(0.0, flux - uniform_filter1d(flux, span))


def _fitted(flux: np.ndarray | None, n: int) -> np.ndarray:
    """A flux in units of its typical peak, cut or padded to n frames (zeros if there is none)."""
    if flux is None or not len(flux) or flux.max() <= 0:
        return np.zeros(n)
    flux = normalise(flux[:n])
    return np.pad(flux, (0, n - len(flux)))


def nearest_distance(times: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Signed distance from each time to the nearest target (time − target); ties go to the earlier."""
    targets = np.sort(targets)
    idx = np.clip(np.searchsorted(targets, times), 1, len(targets) - 1)
    left, right = targets[idx - 1], targets[idx]
    return np.where(np.abs(times - left) <= np.abs(times - right), times - left, times - right)


def _snap(times: np.ndarray, onsets: np.ndarray, tolerance: float) -> np.ndarray:
    """Move each time onto the nearest onset if one is within `tolerance`."""
    if len(onsets) == 0 or len(times) == 0:
        return times
    d = nearest_distance(times, onsets)
    return np.where(np.abs(d) <= tolerance, times - d, times)


def beat_numbers(beats: np.ndarray) -> np.ndarray:
    """Number each beat, counting a beat the tracker skipped (a gap of ~2 periods) as two."""
    if len(beats) < 2:
        return np.arange(len(beats))
    ibi = np.diff(beats)
    period = np.median(ibi)
    steps = np.maximum(1, np.round(ibi / period)).astype(int)
    return np.concatenate([[0], np.cumsum(steps)])


def fit_grid(beats: np.ndarray) -> tuple[float, float] | None:
    """(first beat time, period) of a steady grid through the beats; None if < 4 beats.

    Siegel's repeated medians rather than least squares: in dotted rhythms a few beats land on an
    off-beat note, and least squares lets those few tilt the line (a 72 BPM Adagio read as 73.1);
    the repeated median ignores up to half the beats being off and equals least squares on a steady grid.
    """
    if len(beats) < 4:
        return None
    period, start = siegelslopes(beats, beat_numbers(beats))
    return float(start), float(period)


def tempo_bpm(beats: np.ndarray) -> float | None:
    grid = fit_grid(beats)
    return 60.0 / grid[1] if grid and grid[1] > 0 else None


def tempo_cv(beats: np.ndarray) -> float | None:
    """Coefficient of variation of inter-beat intervals (0 = perfectly steady); None if < 3 beats."""
    if len(beats) < 3:
        return None
    ibi = np.diff(beats) / np.diff(beat_numbers(beats))  # a skipped beat is not an unsteady one
    return float(np.std(ibi) / np.mean(ibi))
