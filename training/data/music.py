"""One call from a corpus piece to files: performance MIDI + WAV, reference (score) MIDI, truth JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .midi import program_number, write_performance_midi, write_score_midi
from .performance import MECHANICAL, Expression, Faults, Performance, perform
from .scores import load_melody
from .synth import render_midi, write_wav


@dataclass(frozen=True)
class MusicClip:
    performance: Performance
    audio: np.ndarray            # mono float32
    sample_rate: int
    wav_path: Path
    midi_path: Path              # what was played (faults and all)
    reference_midi_path: Path    # the score at its nominal tempo
    truth_path: Path


def make_music_clip(out_dir: str | Path, *, piece_id: str = "bach-bwv66.6", instrument: str | int = "violin",
                    tempo_bpm: float | None = None, max_beats: float | None = None, faults: Faults = Faults(),
                    expression: Expression = MECHANICAL, seed: int = 0, sample_rate: int = 44100,
                    lead_in_s: float = 0.5, reverb: bool = False, stem: str = "music") -> MusicClip:
    """Perform `piece_id` with the given faults/expression, render it on `instrument`, write
    `{stem}.wav`, `{stem}.mid`, `{stem}.ref.mid` and `{stem}.truth.json` into `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    melody = load_melody(piece_id, max_beats=max_beats)
    performance = perform(melody, tempo_bpm=tempo_bpm, faults=faults, expression=expression,
                          seed=seed, lead_in_s=lead_in_s)
    program = program_number(instrument)
    midi_path = write_performance_midi(performance.notes, out_dir / f"{stem}.mid", program=program,
                                       name=melody.title)
    reference_path = write_score_midi(melody, out_dir / f"{stem}.ref.mid", tempo_bpm=performance.tempo_bpm,
                                      program=program)
    audio = render_midi(midi_path, sample_rate=sample_rate, reverb=reverb,
                        duration_s=performance.duration_s + 1.0)
    wav_path = write_wav(out_dir / f"{stem}.wav", audio, sample_rate)
    truth = performance.truth() | {"instrument": instrument, "gm_program": program, "sample_rate": sample_rate,
                                   "first_downbeat_beats": melody.first_downbeat,
                                   "beats_per_bar": melody.beats_per_bar}
    truth_path = out_dir / f"{stem}.truth.json"
    truth_path.write_text(json.dumps(truth, indent=1))
    return MusicClip(performance, audio, sample_rate, wav_path, midi_path, reference_path, truth_path)
