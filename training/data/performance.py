"""Turn a melody in beats into a performance in seconds, with seeded faults and expression.

The result carries its own ground truth: every sounding note (onset, offset, pitch in MIDI units
with cents as the fraction, velocity) and what was done to it (wrong, which score note), the
notes that were left out, and the time at which every score beat fell.

Order of effects on a note's onset: tempo map (tempo x rubato x instability) -> constant offset
-> drift (lateness growing with time) -> per-note jitter.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from edge.errors import PerfscoreError

from .scores import Melody


@dataclass(frozen=True)
class Faults:
    onset_offset_ms: float = 0.0      # every note this much late (negative: early)
    onset_jitter_ms: float = 0.0      # std of a random per-note timing error (clipped at 3 std)
    drift_ms_per_s: float = 0.0       # lateness that grows with time: rushing/dragging against a click
    tempo_instability: float = 0.0    # std of the per-beat log-tempo random walk (0.05 ~ 5 %)
    wrong_note_rate: float = 0.0      # fraction of notes played one or two semitones off
    missed_note_rate: float = 0.0     # fraction of notes left out
    detune_cents: float = 0.0         # the whole performance sharp (+) or flat (-)
    pitch_jitter_cents: float = 0.0   # std of a random per-note intonation error
    flat_dynamics: bool = False       # every note at the same velocity, whatever the expression


@dataclass(frozen=True)
class Expression:
    dynamics: float = 0.0             # depth (MIDI velocity) of the swell over each phrase
    rubato: float = 0.0               # 0.3: the last beats of a phrase slow to 30 % longer beats
    rubato_beats: float = 2.0         # how many beats before a phrase end the slowing starts
    velocity: int = 80                # base MIDI velocity
    articulation: float = 0.92        # sounding fraction of each notated duration


CLEAN_EXPRESSIVE = Expression(dynamics=30.0, rubato=0.3)
MECHANICAL = Expression()


@dataclass(frozen=True)
class PerformedNote:
    onset_s: float
    offset_s: float
    pitch: float                      # MIDI number; 69.25 is A4 25 cents sharp
    velocity: int
    score_index: int                  # index into melody.notes
    wrong: bool = False               # pitch deliberately not the score's


@dataclass(frozen=True)
class Performance:
    melody: Melody
    tempo_bpm: float
    notes: tuple[PerformedNote, ...]
    missed: tuple[int, ...]           # score indices of notes left out
    beat_times_s: np.ndarray          # time of score beat k (tempo map + offset + drift, no jitter)
    lead_in_s: float
    faults: Faults
    expression: Expression
    seed: int
    extra: dict = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return max(n.offset_s for n in self.notes)

    def truth(self) -> dict:
        """JSON-ready ground truth."""
        return {
            "piece_id": self.melody.piece_id,
            "title": self.melody.title,
            "tempo_bpm": self.tempo_bpm,
            "lead_in_s": self.lead_in_s,
            "seed": self.seed,
            "faults": asdict(self.faults),
            "expression": asdict(self.expression),
            "beat_times_s": [round(float(t), 6) for t in self.beat_times_s],
            "missed_score_indices": list(self.missed),
            "notes": [asdict(n) for n in self.notes],
        }


def _tempo_map(melody: Melody, tempo_bpm: float, faults: Faults, expression: Expression,
               rng: np.random.Generator, resolution: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Score position (beats) -> nominal time (s) on a fine grid, integrating the local beat length."""
    n_beats = int(np.ceil(melody.duration_beats)) + 2
    grid = np.arange(n_beats * resolution + 1) / resolution
    beat_len = np.full(grid.shape, 60.0 / tempo_bpm)

    if expression.rubato > 0:
        for note in melody.notes:
            if not note.phrase_end:
                continue
            end = note.onset_beats + note.duration_beats
            start = end - expression.rubato_beats
            inside = (grid >= start) & (grid < end)
            ramp = (grid[inside] - start) / expression.rubato_beats
            beat_len[inside] *= 1.0 + expression.rubato * ramp ** 2

    if faults.tempo_instability > 0:
        # A mean-reverting random walk of log tempo, one step per beat, interpolated in between.
        walk = np.zeros(n_beats + 1)
        for k in range(1, walk.size):
            walk[k] = 0.7 * walk[k - 1] + rng.normal(0.0, faults.tempo_instability)
        beat_len *= np.exp(np.interp(grid, np.arange(walk.size), walk))

    times = np.concatenate([[0.0], np.cumsum((beat_len[1:] + beat_len[:-1]) / 2) / resolution])
    return grid, times


def _velocities(melody: Melody, faults: Faults, expression: Expression) -> np.ndarray:
    n = len(melody.notes)
    if faults.flat_dynamics or expression.dynamics == 0:
        return np.full(n, expression.velocity, dtype=float)
    velocity = np.empty(n)
    start = 0
    for i, note in enumerate(melody.notes):
        if note.phrase_end or i == n - 1:
            phrase = np.arange(start, i + 1)
            position = (phrase - start + 0.5) / phrase.size
            # An arch over the phrase: softer at both ends, loudest in the middle.
            velocity[phrase] = expression.velocity + expression.dynamics * (np.sin(np.pi * position) - 0.5)
            start = i + 1
    downbeat = np.array([abs(((nt.onset_beats - melody.first_downbeat) / melody.beats_per_bar) % 1) < 1e-6
                         for nt in melody.notes])
    return velocity + 0.2 * expression.dynamics * downbeat


def _choose(rng: np.random.Generator, pool: np.ndarray, rate: float, what: str) -> np.ndarray:
    if not 0.0 <= rate <= 1.0:
        raise PerfscoreError(f"{what} must be between 0 and 1, got {rate}")
    k = int(round(rate * pool.size))
    return np.sort(rng.choice(pool, size=k, replace=False)) if k else np.array([], dtype=int)


def perform(melody: Melody, *, tempo_bpm: float | None = None, faults: Faults = Faults(),
            expression: Expression = MECHANICAL, seed: int = 0, lead_in_s: float = 0.5) -> Performance:
    """A seeded rendition of `melody`: beat 0 of the score falls at `lead_in_s` (before offsets)."""
    tempo = float(tempo_bpm or melody.tempo_bpm)
    if not 20 <= tempo <= 400:
        raise PerfscoreError(f"tempo {tempo} BPM is outside 20-400")
    if not 0 < expression.articulation <= 1:
        raise PerfscoreError(f"articulation must be in (0, 1], got {expression.articulation}")
    rng = np.random.default_rng(seed)
    # Separate streams so that changing one fault does not reshuffle the others.
    rng_tempo, rng_pick, rng_time, rng_pitch = (np.random.default_rng(s) for s in rng.integers(0, 2**32, 4))

    grid, times = _tempo_map(melody, tempo, faults, expression, rng_tempo)

    def late(t_nominal: np.ndarray) -> np.ndarray:
        return lead_in_s + t_nominal + faults.onset_offset_ms / 1e3 + faults.drift_ms_per_s / 1e3 * t_nominal

    n = len(melody.notes)
    index = np.arange(n)
    missed = _choose(rng_pick, index, faults.missed_note_rate, "missed_note_rate")
    wrong = _choose(rng_pick, np.setdiff1d(index, missed), faults.wrong_note_rate, "wrong_note_rate")

    onset_beats = np.array([nt.onset_beats for nt in melody.notes])
    end_beats = onset_beats + np.array([nt.duration_beats for nt in melody.notes])
    onset_nominal = np.interp(onset_beats, grid, times)
    length = (np.interp(end_beats, grid, times) - onset_nominal) * expression.articulation
    jitter = np.clip(rng_time.normal(0.0, faults.onset_jitter_ms / 1e3, n),
                     -3 * faults.onset_jitter_ms / 1e3, 3 * faults.onset_jitter_ms / 1e3)
    onsets = late(onset_nominal) + jitter
    cents = faults.detune_cents + rng_pitch.normal(0.0, faults.pitch_jitter_cents, n) \
        if faults.pitch_jitter_cents > 0 else np.full(n, faults.detune_cents)
    shifts = rng_pitch.choice([-2, -1, 1, 2], size=n)
    velocity = np.clip(np.round(_velocities(melody, faults, expression)), 1, 127).astype(int)

    missed_set, wrong_set = set(missed.tolist()), set(wrong.tolist())
    notes = []
    for i, nt in enumerate(melody.notes):
        if i in missed_set:
            continue
        is_wrong = i in wrong_set
        pitch = nt.pitch + (int(shifts[i]) if is_wrong else 0) + cents[i] / 100.0
        notes.append(PerformedNote(round(float(onsets[i]), 6), round(float(onsets[i] + length[i]), 6),
                                   round(float(pitch), 4), int(velocity[i]), i, bool(is_wrong)))
    if not notes:
        raise PerfscoreError(f"every note of {melody.piece_id!r} was dropped (missed_note_rate={faults.missed_note_rate})")
    notes.sort(key=lambda x: (x.onset_s, x.score_index))
    beat_times = late(np.interp(np.arange(int(np.floor(melody.duration_beats)) + 1), grid, times))
    return Performance(melody, tempo, tuple(notes), tuple(int(i) for i in missed), beat_times,
                       lead_in_s, faults, expression, seed)


def reference(melody: Melody, *, tempo_bpm: float | None = None, lead_in_s: float = 0.5) -> Performance:
    """The score at a steady tempo with no faults and no expression: what a performance is compared to."""
    return perform(melody, tempo_bpm=tempo_bpm, faults=Faults(), expression=MECHANICAL,
                   seed=0, lead_in_s=lead_in_s)
