"""Polyphonic renders with a known beat: whole music21 scores (every part, every chord note) on piano,
organ, strings or guitar, with or without a drum-kit backing, at a chosen tempo of the WRITTEN beat.

The written beat is the quarter note in 2/4, 3/4 and 4/4 and the dotted quarter in 6/8, 9/8 and 12/8
(what a musician counts and what a metronome mark names). Ground truth: the time of every written
beat from the first note to the last, straight from the score, so a tempo read at twice or half that
rate is a level error, not a different answer.

    render = render_piece(out_dir, "joplin-maple-leaf", bpm=92, instrument="piano", drums=False)
    render.audio, render.beats_s, render.reference_midi   # reference: the score with its tempo and metre
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import mido
import numpy as np

from edge.errors import PerfscoreError

from .accompaniment import accompaniment_parts
from .midi import Part, program_number, write_parts_midi
from .synth import render_midi, write_wav


@dataclass(frozen=True)
class ScorePiece:
    corpus_path: str
    title: str
    bpm_range: tuple[float, float]   # tempi of the written beat that suit the piece (its character, its note values)


# Public-domain compositions whose encodings ship with music21 10.5 (see docs/data.md for the corpus terms).
SCORES: dict[str, ScorePiece] = {
    # 4/4
    "chorale-bwv66.6": ScorePiece("bach/bwv66.6", "J. S. Bach, chorale BWV 66.6 (4 voices)", (56, 96)),
    "chorale-bwv26.6": ScorePiece("bach/bwv26.6", "J. S. Bach, chorale BWV 26.6 (4 voices)", (56, 96)),
    "chorale-bwv10.7": ScorePiece("bach/bwv10.7", "J. S. Bach, chorale BWV 10.7 (4 voices)", (56, 96)),
    "chorale-bwv254": ScorePiece("bach/bwv254", "J. S. Bach, chorale BWV 254 (4 voices)", (56, 96)),
    "chorale-bwv84.5": ScorePiece("bach/bwv84.5", "J. S. Bach, chorale BWV 84.5 (4 voices)", (56, 96)),
    "mozart-k545-1": ScorePiece("mozart/k545/movement1_exposition", "W. A. Mozart, Sonata K. 545, Allegro (piano)",
                                (110, 140)),
    "haydn-op74no1-1": ScorePiece("haydn/opus74no1/movement1", "J. Haydn, Op. 74/1, Allegro moderato", (100, 130)),
    "mozart-k458-3": ScorePiece("mozart/k458/movement3", "W. A. Mozart, K. 458, Adagio", (50, 64)),
    # 3/4
    "chorale-bwv145.5": ScorePiece("bach/bwv145.5", "J. S. Bach, chorale BWV 145.5 (3/4, 4 voices)", (80, 120)),
    "chorale-bwv269": ScorePiece("bach/bwv269", "J. S. Bach, chorale BWV 269 (3/4, 4 voices)", (80, 120)),
    "haydn-op74no1-3": ScorePiece("haydn/opus74no1/movement3", "J. Haydn, Op. 74/1, Menuetto (3/4)", (120, 180)),
    "mozart-k155-2": ScorePiece("mozart/k155/movement2", "W. A. Mozart, K. 155, Andante (3/4)", (60, 90)),
    "schumann-polonaise-1": ScorePiece("schumann_clara/polonaise_op1n1", "C. Schumann, Polonaise Op. 1/1 (piano)",
                                       (80, 110)),
    # 2/4
    "joplin-maple-leaf": ScorePiece("joplin/maple_leaf_rag", "S. Joplin, Maple Leaf Rag (piano, 2/4)", (80, 100)),
    "haydn-op74no1-4": ScorePiece("haydn/opus74no1/movement4", "J. Haydn, Op. 74/1, Finale (2/4)", (150, 200)),
    "mozart-k155-3": ScorePiece("mozart/k155/movement3", "W. A. Mozart, K. 155, Molto allegro (2/4)", (140, 190)),
    "beethoven-op18no1-4": ScorePiece("beethoven/opus18no1/movement4", "L. van Beethoven, Op. 18/1, Allegro (2/4)",
                                      (130, 180)),
    # 6/8 (written beat: the dotted quarter)
    "mozart-k458-1": ScorePiece("mozart/k458/movement1", "W. A. Mozart, K. 458 'Hunt', Allegro vivace (6/8)",
                                (70, 100)),
    "haydn-op1no1-1": ScorePiece("haydn/opus1no1/movement1", "J. Haydn, Op. 1/1, Presto (6/8)", (70, 100)),
    "beethoven-op59no3-2": ScorePiece("beethoven/opus59no3/movement2", "L. van Beethoven, Op. 59/3, Andante (6/8)",
                                      (50, 70)),
    "lift-every-voice": ScorePiece("johnson_j_r/lift_every_voice", "J. R. Johnson, Lift Every Voice (6/8)",
                                   (50, 76)),
}

# Fresh pieces: written down, with their tempo ranges (from each movement's marking and character), before
# any of them was rendered, and never looked at while a constant of the front-end was chosen. The bench
# reports them apart (bench/frontend_accuracy.py `--fresh`): music nobody on the project tuned to.
FRESH_SCORES: dict[str, ScorePiece] = {
    # 2/4
    "beethoven-op59no1-3": ScorePiece("beethoven/opus59no1/movement3", "L. van Beethoven, Op. 59/1, Adagio (2/4)",
                                      (50, 66)),
    "beethoven-op59no1-4": ScorePiece("beethoven/opus59no1/movement4", "L. van Beethoven, Op. 59/1, Thème russe (2/4)",
                                      (120, 160)),
    "haydn-op1no1-5": ScorePiece("haydn/opus1no1/movement5", "J. Haydn, Op. 1/1, Finale: Presto (2/4)", (150, 200)),
    "mozart-k458-4": ScorePiece("mozart/k458/movement4", "W. A. Mozart, K. 458, Allegro assai (2/4)", (140, 180)),
    "schumann-op41no1-1": ScorePiece("schumann_robert/opus41no1/movement1",
                                     "R. Schumann, Op. 41/1, Introduzione: Andante espressivo (2/4)", (60, 84)),
    "dichterliebe-2": ScorePiece("schumann_robert/dichterliebe_no2", "R. Schumann, Dichterliebe 2 (voice, piano; 2/4)",
                                 (60, 84)),
    # 3/4
    "beethoven-op18no1-1": ScorePiece("beethoven/opus18no1/movement1", "L. van Beethoven, Op. 18/1, Allegro con brio (3/4)",
                                      (150, 190)),
    "haydn-op1no1-2": ScorePiece("haydn/opus1no1/movement2", "J. Haydn, Op. 1/1, Menuet (3/4)", (110, 150)),
    "mozart-k156-3": ScorePiece("mozart/k156/movement3", "W. A. Mozart, K. 156, Tempo di Menuetto (3/4)", (110, 150)),
    "mozart-k80-1": ScorePiece("mozart/k80/movement1", "W. A. Mozart, K. 80, Adagio (3/4)", (50, 70)),
    "schubert-lindenbaum": ScorePiece("schubert/Lindenbaum", "F. Schubert, Der Lindenbaum (voice, piano; 3/4)",
                                      (80, 110)),
    "chopin-mazurka-6-2": ScorePiece("chopin/mazurka06-2", "F. Chopin, Mazurka Op. 6/2 (piano, 3/4)", (140, 180)),
    "schumann-polonaise-4": ScorePiece("schumann_clara/polonaise_op1n4", "C. Schumann, Polonaise Op. 1/4 (piano)",
                                       (90, 120)),
    # 4/4
    "mozart-k155-1": ScorePiece("mozart/k155/movement1", "W. A. Mozart, K. 155, Allegro (4/4)", (110, 140)),
    "mozart-k156-2": ScorePiece("mozart/k156/movement2", "W. A. Mozart, K. 156, Adagio (4/4)", (50, 70)),
    "handel-lascia": ScorePiece("handel/rinaldo/Lascia_chio_pianga", "G. F. Handel, Lascia ch'io pianga (4/4)",
                                (50, 70)),
    "corelli-op3no1-1": ScorePiece("corelli/opus3no1/1grave", "A. Corelli, Op. 3/1, Grave (4/4)", (50, 64)),
    "haydn-op1no1-3": ScorePiece("haydn/opus1no1/movement3", "J. Haydn, Op. 1/1, Adagio (4/4)", (50, 70)),
    "beethoven-op59no2-2": ScorePiece("beethoven/opus59no2/movement2", "L. van Beethoven, Op. 59/2, Molto adagio (4/4)",
                                      (50, 66)),
    # 6/8 (the dotted quarter)
    "beethoven-op59no2-1": ScorePiece("beethoven/opus59no2/movement1", "L. van Beethoven, Op. 59/2, Allegro (6/8)",
                                      (120, 160)),
    "schumann-op41no1-2": ScorePiece("schumann_robert/opus41no1/movement2", "R. Schumann, Op. 41/1, Scherzo (6/8)",
                                     (90, 120)),
    "clara-schumann-op17-3": ScorePiece("schumann_clara/opus17/movement3", "C. Schumann, Op. 17, Allegro (6/8)",
                                        (60, 90)),
    # 2/2 (the half note)
    "beethoven-op59no2-4": ScorePiece("beethoven/opus59no2/movement4", "L. van Beethoven, Op. 59/2, Presto (2/2)",
                                      (100, 140)),
    "mozart-k80-4": ScorePiece("mozart/k80/movement4", "W. A. Mozart, K. 80, Rondeau: Allegro (2/2)", (80, 110)),
}

INSTRUMENTS = {  # one General MIDI sound for every part
    "piano": 0, "organ": 19, "strings": 48, "guitar": 24,
}
COMPOUND = {6, 9, 12}   # numerators over 8 whose beat is the dotted quarter


@dataclass(frozen=True)
class ScoreNotes:
    piece_id: str
    onsets_q: np.ndarray        # quarter notes from the first bar line (a pickup starts after 0)
    durations_q: np.ndarray
    pitches: np.ndarray
    parts: np.ndarray           # index of the part each note is in
    numerator: int
    denominator: int

    @property
    def beat_q(self) -> float:
        """Quarter notes per written beat: 1.5 in 6/8, 9/8, 12/8; a quarter in x/4; an eighth in 3/8."""
        if self.denominator == 8:
            return 1.5 if self.numerator in COMPOUND else 0.5
        return 4.0 / self.denominator

    @property
    def beats_per_bar(self) -> int:
        return self.numerator // 3 if self.denominator == 8 and self.numerator in COMPOUND else self.numerator


@lru_cache(maxsize=32)
def load_score(piece_id: str, max_bars: int = 16) -> ScoreNotes:
    """Every note of the first `max_bars` bars of a catalogued score, in quarter notes from bar 1."""
    from music21 import meter

    from .scores import _parse

    piece = SCORES.get(piece_id) or FRESH_SCORES.get(piece_id)
    if piece is None:
        raise PerfscoreError(f"unknown score {piece_id!r}; known: {', '.join(sorted(SCORES | FRESH_SCORES))}")
    score = _parse(piece.corpus_path)
    signatures = list(score.flatten().getElementsByClass(meter.TimeSignature))
    if not signatures:
        raise PerfscoreError(f"score {piece_id!r} has no time signature")
    ts = signatures[0]
    bar_q = float(ts.barDuration.quarterLength)
    rows = []
    for k, part in enumerate(score.parts):
        for onset, element in _part_notes(part.stripTies(), bar_q):
            length = float(element.duration.quarterLength)
            if length <= 0 or onset >= max_bars * bar_q:
                continue
            for p in element.pitches:
                rows.append((onset, min(length, max_bars * bar_q - onset), p.midi, k))
    if not rows:
        raise PerfscoreError(f"score {piece_id!r}: no notes in its first {max_bars} bars")
    a = np.array(sorted(rows), float)
    return ScoreNotes(piece_id, a[:, 0], a[:, 1], a[:, 2].astype(int), a[:, 3].astype(int),
                      int(ts.numerator), int(ts.denominator))


def _part_notes(part, bar_q: float):
    """(onset in quarter notes, note) of one part, bar 1 at `bar_q` and a pickup's notes ending on that bar line.

    Each part is placed by its own bars: music21's encodings of a pickup bar differ between parts of
    one score (in Mozart's K. 155/iii the first violin's pickup bar is 1.5 quarters long and holds an
    eighth, the other parts' are 0.5), so offsets in the score would put the parts a quarter apart.
    """
    measures = list(part.getElementsByClass("Measure"))
    if not measures:
        raise PerfscoreError(f"part {part.id!r} has no bars")
    first = measures[0]
    content = [float(Fraction(n.offset)) + float(n.duration.quarterLength) for n in first.flatten().notesAndRests]
    pickup_end = max(content, default=0.0)
    is_pickup = first.duration.quarterLength < bar_q or (len(measures) > 1 and first.number == 0)
    full = measures[1:] if is_pickup else measures
    origin = float(Fraction(full[0].offset)) if full else 0.0
    for measure in measures:
        if is_pickup and measure is first:
            start = bar_q - pickup_end
        else:
            start = (bar_q if is_pickup else 0.0) + float(Fraction(measure.offset)) - origin
        for element in measure.flatten().notes:
            yield start + float(Fraction(element.offset)), element


@dataclass(frozen=True)
class Note:
    onset_s: float
    offset_s: float
    pitch: int
    velocity: int


@dataclass(frozen=True)
class RhythmRender:
    piece_id: str
    instrument: str
    drums: bool
    bpm: float                 # tempo of the written beat
    meter: str                 # "6/8"
    beats_s: np.ndarray        # every written beat from the first sounding beat to the last note
    downbeats_s: np.ndarray
    audio: np.ndarray          # mono float32
    sample_rate: int
    wav_path: Path
    reference_midi: Path       # the score at `bpm`, with its tempo and time signature


def written_beats(score: ScoreNotes, bpm: float, lead_in_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(beats, downbeats) in seconds: every written beat from the one at or before the first note
    (placed at `lead_in_s`) to the last before the music ends."""
    beat_s = 60.0 / bpm
    first = np.floor(score.onsets_q.min() / score.beat_q + 1e-9)
    last = np.ceil((score.onsets_q + score.durations_q).max() / score.beat_q - 1e-9)
    numbers = np.arange(first, last)
    beats = lead_in_s + (numbers - first) * beat_s
    down = beats[numbers % score.beats_per_bar == 0]
    return beats, down


def render_piece(out_dir: str | Path, piece_id: str, *, bpm: float, instrument: str = "piano", drums: bool = False,
                 max_bars: int = 12, seed: int = 0, sample_rate: int = 44100, lead_in_s: float = 0.5,
                 stem: str | None = None) -> RhythmRender:
    """Render the first `max_bars` bars of a score at `bpm` written beats per minute.

    Velocities vary a little at random (seed), with no metrical accent: the beat level has to come
    from the music's texture and its bass, not from an accent the renderer put there.
    """
    if instrument not in INSTRUMENTS:
        raise PerfscoreError(f"unknown instrument {instrument!r}; known: {', '.join(INSTRUMENTS)}")
    if not 30 <= bpm <= 300:
        raise PerfscoreError(f"tempo {bpm} BPM is outside 30-300")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = stem or f"{piece_id}-{instrument}-{bpm:g}{'-drums' if drums else ''}"
    score = load_score(piece_id, max_bars)
    rng = np.random.default_rng(seed)
    q_s = 60.0 / bpm / score.beat_q
    # Time 0 of the score sits so that the beat at or before the first note is at lead_in_s.
    t0 = lead_in_s - np.floor(score.onsets_q.min() / score.beat_q + 1e-9) * score.beat_q * q_s
    notes_by_part: dict[int, list[Note]] = {}
    for onset, length, pitch, part in zip(score.onsets_q, score.durations_q, score.pitches, score.parts):
        on = t0 + onset * q_s
        off = on + max(0.05, length * q_s * 0.95)        # a slight gap between repeated notes
        notes_by_part.setdefault(int(part), []).append(Note(on, off, int(pitch), int(rng.integers(68, 88))))
    program = program_number(INSTRUMENTS[instrument])
    parts = [Part(tuple(n), program=program, name=f"part {k}") for k, n in sorted(notes_by_part.items())]
    beats, downbeats = written_beats(score, bpm, lead_in_s)
    duration = float(t0 + (score.onsets_q + score.durations_q).max() * q_s) + 1.0
    if drums:
        phase = int(round((beats[0] - downbeats[0]) / (60.0 / bpm))) % score.beats_per_bar if len(downbeats) else 0
        backing = accompaniment_parts(beats, beats_per_bar=score.beats_per_bar, first_position=phase,
                                      compound=score.denominator == 8 and score.numerator in COMPOUND,
                                      bass=False)
        parts += backing
    midi = write_parts_midi(parts, out_dir / f"{stem}.mid")
    audio = render_midi(midi, sample_rate=sample_rate, duration_s=duration, gain=0.5)
    peak = float(np.max(np.abs(audio)))
    if peak > 0.95:
        audio = (audio * 0.95 / peak).astype(np.float32)
    wav = write_wav(out_dir / f"{stem}.wav", audio, sample_rate)
    reference = write_score_reference(score, out_dir / f"{stem}.ref.mid", bpm=bpm, program=program)
    return RhythmRender(piece_id, instrument, drums, float(bpm), f"{score.numerator}/{score.denominator}",
                        beats, downbeats, audio, sample_rate, wav, reference)


def write_score_reference(score: ScoreNotes, path: str | Path, *, bpm: float, program: int = 0,
                          ticks_per_beat: int = 480) -> Path:
    """The score as a reference MIDI: tick 0 = its first written beat, a quarter-note tempo and its time signature."""
    midi = mido.MidiFile(ticks_per_beat=ticks_per_beat)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm * score.beat_q)))
    track.append(mido.MetaMessage("time_signature", numerator=score.numerator, denominator=score.denominator))
    track.append(mido.Message("program_change", channel=0, program=program))
    start = np.floor(score.onsets_q.min() / score.beat_q + 1e-9) * score.beat_q
    events = []
    for onset, length, pitch in zip(score.onsets_q, score.durations_q, score.pitches):
        on = int(round((onset - start) * ticks_per_beat))
        off = int(round((onset - start + length) * ticks_per_beat))
        events.append((on, 1, mido.Message("note_on", channel=0, note=int(pitch), velocity=80)))
        events.append((off, 0, mido.Message("note_off", channel=0, note=int(pitch), velocity=0)))
    events.sort(key=lambda e: (e[0], e[1]))
    now = 0
    for tick, _, message in events:
        track.append(message.copy(time=tick - now))
        now = tick
    midi.save(str(path))
    return Path(path)
