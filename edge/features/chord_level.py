"""The level of the chord a played note belongs to, from the pitches the score says are sounding.

A chord's dynamic is what its pitches sound like together, but the attack's broadband energy also
carries whatever else starts there: a kick or a snare under some chords and not others put the drums
into the dynamics (on a piano chorale over a drum kit, up to 3.6 dB on a chord; 0.8 dB with the comb). Drums spread
their energy over the whole spectrum; a chord's energy sits at its partials. So a note's level is the
energy, over the 100 ms after its onset, at the first partials (a harmonic comb) of every key sounding
then: the written notes that start with it or are still held (each on the key it was played, a wrong
note on its wrong key; a missed note has none) — the chord as the listener hears it, with the drums'
share limited to the few semitone bands the comb reads.
"""

from __future__ import annotations

import numpy as np

from . import chroma as ch

PARTIALS = (0, 12, 19, 24)   # semitones above a key of its first four partials, where a piano's,
                             # organ's or string's energy mostly is; higher ones are weak and crowded
WITH_S = 0.03                # a written note starting this soon after still belongs to the chord
LEVEL_FRAMES = 5             # 100 ms after the onset: the attack's loudest frame


def comb_bins(keys) -> np.ndarray:
    """Pitch bins (columns of chroma.audio_pitch_energy) of the comb of `keys` (MIDI), each bin once:
    an octave's upper note shares its partials with the lower note's even ones."""
    bins = {int(k) + h - ch.LOWEST for k in keys for h in PARTIALS}
    return np.array(sorted(b for b in bins if 0 <= b <= ch.HIGHEST - ch.LOWEST), int)


def chord_levels(written_onsets: np.ndarray, written_offsets: np.ndarray, played_keys: list[int | None],
                 performed_onsets: list[float | None], energy: np.ndarray, start_s: float) -> list[float | None]:
    """Level (dB) of each note's chord at its performed onset; None where the note was not heard.

    written_onsets / written_offsets: the score's notes (seconds, written time); played_keys: the key
    each was played on (None if missed); performed_onsets: where each was heard (None if missed);
    energy: (frames, pitches) from chroma.audio_pitch_energy, its first frame at start_s."""
    on = np.asarray(written_onsets, float)
    off = np.asarray(written_offsets, float)
    if not len(on) == len(off) == len(played_keys) == len(performed_onsets):
        raise ValueError("chord_levels: onsets, offsets, played keys and performed onsets differ in length")
    keys = np.array([k if k is not None else -1 for k in played_keys], int)
    out: list[float | None] = []
    for n, t in enumerate(performed_onsets):
        f = int(round((t - start_s) * ch.FRAME_RATE)) if t is not None else -1
        if not 0 <= f < len(energy):
            out.append(None)
            continue
        sounding = (on <= on[n] + WITH_S) & (off > on[n] + WITH_S) & (keys >= 0)
        sounding[n] = keys[n] >= 0
        bins = comb_bins(keys[sounding])
        if len(bins) == 0:
            out.append(None)
            continue
        out.append(float(10 * np.log10(energy[f:f + LEVEL_FRAMES][:, bins].sum(axis=1).max() + 1e-12)))
    return out
