"""A polyphonic performance (piano, organ, ensemble) against its MIDI score.

1. Alignment: chroma + chroma-onset features of the audio and of the score's piano roll, 50 per
   second, aligned by multiscale DTW (edge.features.chroma, edge.features.dtw.dtw_multiscale) — the
   method of Müller's Sync Toolbox, in memory linear in the length.
2. Note checking with basic-pitch's note model (edge.features.transcription): each written note is
   looked for on its own key around its aligned time. Played: the key sounds there (mean note
   posterior over the note's first part ≥ PLAYED). Wrong: it does not, but a neighbouring key (±1–2
   semitones) that the score does not have there starts and sounds. Missed: neither.
3. A played note's onset is the peak of its key's onset posterior near the aligned time; its level is
   its chord's (dB: the energy after its onset at the first partials of the keys the score has sounding
   there, edge.features.chord_level — drums barely reach them); its cents come from the interpolated
   spectral peak of its partials over its middle (a sustained note; piano too: its partials hold their
   pitch while they decay).
4. Timing against a time map as for single lines (Theil–Sen through written vs performed onsets).
"""

from __future__ import annotations

import numpy as np

from . import chroma as ch
from .chord_level import chord_levels
from .dtw import dtw_multiscale
from .notes import Notes
from .transcription import FPS, LOWEST_KEY, Posteriors, decode_notes, posteriors, to_model_rate

PLAYED = 0.25           # mean note posterior over a note's first part: the key sounds (the upper note
                        # of an octave reads 0.2–0.3: the model hears it as the lower note's partial)
OCTAVE_ONSET = 0.6      # the upper note of a written octave: played when its own onset fires this high …
OCTAVE_PRESENCE = 0.1   # … and its key sounds at least this much
RESTRUCK_ONSET = 0.3    # a key already sounding just before must show a new onset to count as played
NEIGHBOUR_S = 0.15      # a written key starting this close is no wrong note
WRONG_ONSET = 0.3       # a neighbouring key must also start (onset posterior) to count as a wrong note
SEARCH_S = 0.08         # the aligned time may be this far off (DTW frames are 20 ms; attacks vary)
ONSET_WINDOW_S = 0.12   # performed onset: onset-posterior peak this close to the aligned time
MIN_ONSET = 0.15        # below this onset posterior peak, the aligned time stands as the onset
SURE_ONSET = 0.7        # an onset-posterior peak this high is taken as the onset; below, the attack is measured
ATTACK_WINDOW = 1024     # samples (46 ms) of the attack measurement's spectra …
ATTACK_HOP = 128         # … every 5.8 ms
ATTACK_FRACTION = 0.2    # the attack starts where the partials' amplitude is this far up its rise
ATTACK_SEARCH_S = 0.08   # steepest rise this close to the aligned time
MARGIN_FRAMES = 25       # silence (0.5 s) around both sides of the alignment
HARMONICS = (12, 19, 24, 28, 31)   # semitones above a note where its partials fool a transcriber


def is_polyphonic(notes: Notes, min_overlap_s: float = 0.05) -> bool:
    """A reference is polyphonic when notes sound together: at least 2 notes (and 5 %) start while
    another note still sounds for min_overlap_s or more (legato overlaps of a line are shorter)."""
    if len(notes) < 2:
        return False
    order = np.argsort(notes.onsets, kind="stable")
    on, off = notes.onsets[order], notes.offsets[order]
    running_end = np.maximum.accumulate(off)
    overlapping = on[1:] < running_end[:-1] - min_overlap_s
    count = int(np.sum(overlapping))
    return count >= max(2, int(np.ceil(0.05 * len(notes))))


def _sounding_span(energy: np.ndarray, floor_db: float = 50.0) -> tuple[int, int]:
    """First and last frame within floor_db of the loudest frame."""
    level = 10 * np.log10(energy.sum(axis=1) + 1e-12)
    loud = np.flatnonzero(level > level.max() - floor_db)
    if len(loud) == 0:
        raise ValueError("nothing audible was heard: cannot compare with the reference")
    return int(loud[0]), int(loud[-1])


def align(reference: Notes, energy: np.ndarray, audio_start_s: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Map written time to performed time: (written grid times, performed times, DTW cost).

    Both sides get MARGIN_FRAMES of silence around their notes: the audio's quiet lead-in then aligns
    with the score's silence instead of being forced onto its first chord (which pulled a first chord
    held under a fermata 0.2–0.5 s early)."""
    first, last = _sounding_span(energy)
    a = max(first - MARGIN_FRAMES, 0)
    b = min(last + MARGIN_FRAMES, len(energy) - 1)
    perf = ch.features(ch.chroma(energy[a:b + 1]), ch.chroma_onsets(energy[a:b + 1]))
    ref_start = float(reference.onsets.min()) - MARGIN_FRAMES / ch.FRAME_RATE
    n_ref = int(np.ceil((float(reference.offsets.max()) - ref_start) * ch.FRAME_RATE)) + 1 + MARGIN_FRAMES
    roll, onsets = ch.score_pitch_energy(reference, ref_start, n_ref)
    ref = ch.features(ch.chroma(roll), ch.chroma_onsets(onsets, is_onset=True))
    del roll, onsets
    path, cost = dtw_multiscale(ref, perf, ch.distance, coarse_distance=ch.chroma_distance)
    # Each written frame's performed time: the first performance frame it is aligned with.
    rows, first = np.unique(path[:, 0], return_index=True)      # the path visits every row, in order
    first_j = path[first, 1]
    written = ref_start + np.arange(n_ref) / ch.FRAME_RATE
    performed = audio_start_s + (a + first_j) / ch.FRAME_RATE
    return written, performed, cost


def _presence(post: Posteriors, key: int, t: float, length_s: float) -> tuple[float, float]:
    """Best mean note posterior of `key` over `length_s` starting within ±SEARCH_S of t, and its start."""
    k = key - LOWEST_KEY
    if not 0 <= k < 88:
        return 0.0, t
    f = int(round((t - post.start_s) * FPS))
    span = max(int(round(length_s * FPS)), 3)
    s = int(round(SEARCH_S * FPS))
    lo, hi = max(f - s, 0), min(f + s + span, len(post.note))
    if hi - lo < span:
        return 0.0, t
    seg = post.note[lo:hi, k]
    means = np.convolve(seg, np.ones(span) / span, mode="valid")
    best = int(np.argmax(means))
    return float(means[best]), post.start_s + (lo + best) / FPS


def _before(post: Posteriors, key: int, t: float) -> float:
    """Mean note posterior of `key` over the 150–30 ms before t: was it already sounding?"""
    k = key - LOWEST_KEY
    f = int(round((t - post.start_s) * FPS))
    a, b = max(f - 13, 0), max(f - 3, 0)
    return float(post.note[a:b, k].mean()) if 0 <= k < 88 and b > a else 0.0


def _onset(post: Posteriors, key: int, t: float, window_s: float) -> tuple[float | None, float]:
    """The onset-posterior peak of `key` within ±window_s of t (sub-frame, parabolic) and its height."""
    k = key - LOWEST_KEY
    f = int(round((t - post.start_s) * FPS))
    w = max(int(round(window_s * FPS)), 1)
    lo, hi = max(f - w, 0), min(f + w + 1, len(post.onset))
    if not 0 <= k < 88 or hi <= lo:
        return None, 0.0
    seg = post.onset[lo:hi, k]
    p = int(np.argmax(seg))
    height = float(seg[p])
    if height < MIN_ONSET:
        return None, height
    frac = 0.0
    if 0 < p < len(seg) - 1:
        den = seg[p - 1] - 2 * seg[p] + seg[p + 1]
        frac = float(np.clip(0.5 * (seg[p - 1] - seg[p + 1]) / den, -0.5, 0.5)) if den < 0 else 0.0
    return post.start_s + (lo + p + frac) / FPS, height


def _attack(x: np.ndarray, start_s: float, key: int, t: float, window_s: float) -> float | None:
    """Where `key`'s attack starts near t: on the amplitude of its first three partials (46 ms window,
    5.8 ms hop, read only around this note), from the lowest point before the steepest rise within
    ±window_s of t, the time it first gets ATTACK_FRACTION of the way up to the peak that follows.
    The start of the rise, not its steepest point: an organ's or a string section's low notes take
    100–250 ms to speak, the high ones 30 ms, and the steepest point moves with that. None without a
    clear rise (a re-struck note that the instrument does not let fall in between)."""
    c = int(round((t - start_s) * ch.SAMPLE_RATE))
    w = int(round(window_s * ch.SAMPLE_RATE))
    a, b = c - w - ATTACK_WINDOW // 2 - 30 * ATTACK_HOP, c + w + ATTACK_WINDOW // 2 + 40 * ATTACK_HOP
    seg = x[max(a, 0):max(min(b, len(x)), 0)]
    seg = np.concatenate([np.zeros(max(-a, 0), np.float32), seg, np.zeros(b - a - max(-a, 0) - len(seg), np.float32)])
    frames = np.lib.stride_tricks.sliding_window_view(seg, ATTACK_WINDOW)[::ATTACK_HOP] * _hann(ATTACK_WINDOW)
    spec = np.abs(np.fft.rfft(frames, axis=1))
    f0 = 440.0 * 2 ** ((key - 69) / 12)
    power = np.zeros(len(frames))
    for h in (1, 2, 3):
        k = int(round(h * f0 * ATTACK_WINDOW / ch.SAMPLE_RATE))
        if k >= spec.shape[1] - 2:
            break
        power += spec[:, max(k - 1, 0):k + 2].sum(axis=1) ** 2
    amp = np.sqrt(power)
    times = start_s + (a + ATTACK_WINDOW / 2 + np.arange(len(amp)) * ATTACK_HOP) / ch.SAMPLE_RATE
    rise = np.diff(amp)
    inside = np.flatnonzero(np.abs(times[1:] - t) <= window_s)
    if len(inside) == 0:
        return None
    p = int(inside[np.argmax(rise[inside])])
    lo = max(p - 30, 0) + int(np.argmin(amp[max(p - 30, 0):p + 1]))
    hi = p + int(np.argmax(amp[p:p + 40]))
    base, top = amp[lo], amp[hi]
    if top < 1.5 * base or top <= 0:
        return None
    level = base + ATTACK_FRACTION * (top - base)
    k = lo + int(np.argmax(amp[lo:hi + 1] >= level))
    if k == lo:
        return float(times[k])
    f = (level - amp[k - 1]) / max(amp[k] - amp[k - 1], 1e-12)
    return float(times[k - 1] + f * (times[k] - times[k - 1]))


def _hann(n: int) -> np.ndarray:
    return np.hanning(n).astype(np.float32)


def _cents(x: np.ndarray, start_s: float, key: float, t0: float, t1: float) -> float | None:
    """Deviation (cents) of a note's partials from equal temperament between t0 and t1, from the
    interpolated peaks of a zero-padded spectrum near the first four harmonics; None if no clear peak."""
    a, b = int((t0 - start_s) * ch.SAMPLE_RATE), int((t1 - start_s) * ch.SAMPLE_RATE)
    a, b = max(a, 0), min(b, len(x))
    if b - a < 0.08 * ch.SAMPLE_RATE:
        return None
    seg = x[a:b] * np.hanning(b - a)
    n_fft = 1 << int(np.ceil(np.log2(max(4 * (b - a), 16384))))
    mag = np.abs(np.fft.rfft(seg, n_fft))
    hz_per_bin = ch.SAMPLE_RATE / n_fft
    f0 = 440.0 * 2 ** ((key - 69) / 12)
    estimates, weights = [], []
    for h in (1, 2, 3, 4):
        f = h * f0
        if f > 0.45 * ch.SAMPLE_RATE:
            break
        lo, hi = int(f * 2 ** (-0.5 / 12) / hz_per_bin), int(f * 2 ** (0.5 / 12) / hz_per_bin) + 1
        band = mag[lo:hi]
        if len(band) < 3:
            continue
        p = int(np.argmax(band))
        if p == 0 or p == len(band) - 1 or band[p] < 3 * np.median(band):
            continue                           # no peak inside ±50 cents: not this partial
        la, lb, lc = np.log(band[p - 1:p + 2] + 1e-12)
        shift = 0.5 * (la - lc) / (la - 2 * lb + lc) if (la - 2 * lb + lc) < 0 else 0.0
        freq = (lo + p + shift) * hz_per_bin
        estimates.append(1200 * np.log2(freq / f))
        weights.append(band[p])
    if not estimates:
        return None
    return float(estimates[int(np.argmax(weights))])


def _mistuned(post: Posteriors, x: np.ndarray, start_s: float, key: int, t: float, length: float,
              presence: float, others: set[int]) -> bool:
    """A note played out of tune (15–50 cents) splits the transcriber's belief between two keys. It counts
    as played when the two keys together sound and the spectrum has a partial of this key 15–50 cents off
    (a wrong note a semitone away has none within 50 cents). When a partial of another note sounding
    then (`others`: written keys) could fall there, the deviation must also lean towards the stronger
    neighbouring key, as the transcriber's split belief says it does."""
    below, _ = _presence(post, key - 1, t, length)
    above, _ = _presence(post, key + 1, t, length)
    if presence + max(below, above) < PLAYED:
        return False
    cents = _cents(x, start_s, key, t + 0.03, t + 0.03 + max(length, 0.12))
    if cents is None or abs(cents) < 15:
        return False
    masked = any(key - k in HARMONICS for k in others)
    return not masked or (cents > 0) == (above > below)


def check_notes(reference: Notes, written: np.ndarray, performed: np.ndarray, post: Posteriors,
                energy: np.ndarray, x: np.ndarray, audio_start_s: float, tempo_ratio: float) -> list[dict]:
    """Status, onset, level and cents of each written note (dicts, in the reference's order)."""
    aligned_on = np.interp(reference.onsets, written, performed)
    aligned_off = np.interp(reference.offsets, written, performed)
    keys = np.round(reference.pitches).astype(int)
    octave_below = [set(keys[np.abs(reference.onsets - on) < 0.03]) for on in reference.onsets]
    out, played_keys = [], []
    for n, (on, pitch) in enumerate(zip(reference.onsets, reference.pitches)):
        key = int(round(pitch))
        t = float(aligned_on[n])
        length = float(np.clip((aligned_off[n] - t) * 0.6, 0.06, 0.25))
        presence, start = _presence(post, key, t, length)
        row = {"status": "missed", "onset": None, "pitch": None, "cents": None, "level_db": None}
        onset_height = _onset(post, key, t, ONSET_WINDOW_S)[1]
        sounding = presence >= PLAYED and (_before(post, key, t) < PLAYED or onset_height >= RESTRUCK_ONSET)
        if not sounding and (key - 12) in octave_below[n]:
            # The upper note of a written octave: the model hears much of it as the lower note's second
            # partial (note posterior 0.15–0.3), but its own onset still fires (0.65–0.8 played, ≤ 0.5
            # when the upper note was left out or played wrong, on the rag and chorale renders).
            sounding = presence >= OCTAVE_PRESENCE and onset_height >= OCTAVE_ONSET
        if sounding or _mistuned(post, x, audio_start_s, key, t, length, presence,
                                 set(keys[(aligned_on <= t + 0.05) & (aligned_off > t)]) - {key}):
            row |= {"status": "played", "pitch": float(key)}
            played_key = key
        else:
            # A neighbouring key the score does not hold around here, starting and sounding: a wrong note.
            near = np.abs(aligned_on - t) < NEIGHBOUR_S
            written_keys = set(np.round(reference.pitches[near | ((aligned_on <= t) & (aligned_off > t))]).astype(int))
            played_key = None
            best = 0.0
            for k in (key - 1, key + 1, key - 2, key + 2):
                if k in written_keys:
                    continue
                p, s = _presence(post, k, t, length)
                o, height = _onset(post, k, s, ONSET_WINDOW_S)
                if p >= PLAYED and height >= WRONG_ONSET and p > best:
                    played_key, best, start = k, p, s
            if played_key is not None:
                row |= {"status": "wrong", "pitch": float(played_key)}
        if played_key is not None:
            # The model's onset where it is sure (a struck key: within a few ms); else where the key's
            # partials start to rise (sustained instruments, whose onsets the model spreads by 50 ms and more).
            onset, height = _onset(post, played_key, t, ONSET_WINDOW_S)
            if height < SURE_ONSET:
                rise = _attack(x, audio_start_s, played_key, t, ATTACK_SEARCH_S)
                onset = rise if rise is not None else onset
            onset = onset if onset is not None else t
            row["onset"] = onset
            held = max(aligned_off[n] - onset, 0.0)
            cents = _cents(x, audio_start_s, played_key, onset + min(0.05, 0.25 * held),
                           onset + min(0.05, 0.25 * held) + min(0.4, 0.6 * held))
            row["cents"] = cents
            if row["status"] == "played" and cents is not None:
                row["pitch"] = key + cents / 100.0
        out.append(row)
        played_keys.append(played_key)
    # Level: the chord's, at the partials of the keys the score has sounding there (chord_level: a
    # note's own pitch energy mostly tells its register; the attack's broadband energy carries drums).
    levels = chord_levels(reference.onsets, reference.offsets, played_keys, [r["onset"] for r in out],
                          energy, audio_start_s)
    for row, level in zip(out, levels):
        row["level_db"] = level
    return out


def extra_notes(transcribed: Notes, reference: Notes, checked: list[dict]) -> Notes:
    """Transcribed notes that no written note explains, leaving out the partials of played notes
    (an octave, a twelfth … above a note that starts with it) that the transcriber mistakes for notes."""
    explained = [(r["onset"], round(r["pitch"])) for r in checked if r["onset"] is not None]
    keep = []
    for i, (on, pitch) in enumerate(zip(transcribed.onsets, transcribed.pitches)):
        same = any(abs(on - o) < 0.1 and p == pitch for o, p in explained)
        ghost = any(abs(on - o) < 0.06 and (pitch - p) in HARMONICS for o, p in explained)
        if not same and not ghost:
            keep.append(i)
    k = np.array(keep, int)
    return Notes(transcribed.onsets[k], transcribed.offsets[k], transcribed.pitches[k], transcribed.velocities[k])


def analyse(reference: Notes, samples: np.ndarray, sample_rate: int, audio_start_s: float = 0.0):
    """Everything the comparison needs from the audio: (checked notes, transcription, extra notes,
    written→performed time map, DTW cost, tempo ratio of the alignment)."""
    x = to_model_rate(samples, sample_rate)
    energy = ch.audio_pitch_energy(x)
    written, performed, cost = align(reference, energy, audio_start_s)
    span = written[-1] - written[0]
    ratio = float((performed[-1] - performed[0]) / span) if span > 0 else 1.0
    post = posteriors(x, ch.SAMPLE_RATE, start_s=audio_start_s)
    checked = check_notes(reference, written, performed, post, energy, x, audio_start_s, ratio)
    transcribed = decode_notes(post)
    extra = extra_notes(transcribed, reference, checked)
    return checked, transcribed, extra, (written, performed), cost, ratio
