"""MIDI files and FluidSynth audio carry the performance's truth: times, cents, silence where none."""

from __future__ import annotations

import json

import mido
import numpy as np
import pytest

from edge.errors import PerfscoreError
from training.data.midi import read_midi_notes, write_performance_midi, write_score_midi
from training.data.music import make_music_clip
from training.data.performance import Expression, Faults, PerformedNote, perform
from training.data.scores import load_melody
from training.data.synth import find_soundfont, read_wav, render_midi

from .helpers import energy_onsets, f0_hz, match


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    melody = load_melody("bach-bwv269", max_beats=40)
    faults = Faults(onset_offset_ms=30, onset_jitter_ms=12, wrong_note_rate=0.15, missed_note_rate=0.1,
                    detune_cents=18, pitch_jitter_cents=6)
    perf = perform(melody, tempo_bpm=96, faults=faults, seed=11)
    path = write_performance_midi(perf.notes, tmp_path_factory.mktemp("midi") / "faulty.mid", program="flute")
    return melody, perf, path


def test_performance_midi_reads_back_as_the_truth(faulty):
    melody, perf, path = faulty
    back = read_midi_notes(path)
    assert len(back) == len(perf.notes) == len(melody.notes) - round(0.1 * len(melody.notes))
    for got, want in zip(back, perf.notes):
        assert got.onset_s == pytest.approx(want.onset_s, abs=0.00026)        # 0.5 ms ticks
        assert got.offset_s == pytest.approx(want.offset_s, abs=0.00026)
        assert got.pitch == pytest.approx(want.pitch, abs=0.0005)             # 0.05 cent
        assert got.velocity == want.velocity
    # Bent notes need their own channels; the drum channel is never used.
    assert len({n.channel for n in back}) > 1 and 9 not in {n.channel for n in back}
    programs = {m.program for m in mido.MidiFile(path) if m.type == "program_change"}
    assert programs == {73}


def test_score_midi_is_the_score_at_the_nominal_tempo(tmp_path):
    melody = load_melody("bach-bwv66.6", max_beats=16)
    back = read_midi_notes(write_score_midi(melody, tmp_path / "ref.mid", tempo_bpm=80))
    assert [n.pitch for n in back] == [n.pitch for n in melody.notes]
    assert [n.onset_s for n in back] == pytest.approx([n.onset_beats * 60 / 80 for n in melody.notes], abs=1e-6)


def test_midi_input_errors_name_the_problem(tmp_path):
    note = PerformedNote(0.1, 0.5, 60.0, 80, 0)
    with pytest.raises(PerfscoreError, match="unknown instrument 'kazoo'"):
        write_performance_midi([note], tmp_path / "x.mid", program="kazoo")
    with pytest.raises(PerfscoreError, match="note at 0.5 s ends at 0.4 s"):
        write_performance_midi([PerformedNote(0.5, 0.4, 60.0, 80, 0)], tmp_path / "x.mid")
    with pytest.raises(PerfscoreError, match="not a readable MIDI file"):
        (tmp_path / "bad.mid").write_bytes(b"not midi")
        read_midi_notes(tmp_path / "bad.mid")


def test_missing_soundfont_says_which_package(tmp_path, monkeypatch):
    import training.data.synth as synth

    monkeypatch.setattr(synth, "DEFAULT_SOUNDFONT", tmp_path / "nope.sf2")
    with pytest.raises(PerfscoreError, match="fluid-soundfont-gm"):
        find_soundfont()


@pytest.mark.parametrize("sample_rate, tolerance_ms", [(44100, 3.5), (22050, 4.5)])
def test_fluidsynth_onsets_sit_on_the_truth(tmp_path, sample_rate, tolerance_ms):
    # Piano, detached notes: every attack is sharp, so a plain energy detector finds each one.
    clip = make_music_clip(tmp_path, piece_id="bach-bwv66.6", instrument="piano", max_beats=16, tempo_bpm=72,
                           expression=Expression(articulation=0.45), faults=Faults(onset_jitter_ms=15),
                           seed=3, sample_rate=sample_rate)
    audio, rate = read_wav(clip.wav_path)
    assert rate == sample_rate and np.sqrt(np.mean(audio ** 2)) > 0.01
    truth = np.array([n.onset_s for n in clip.performance.notes])
    found = energy_onsets(audio, rate)
    assert len(found) == len(truth)
    errors_ms = match(truth, found) * 1000
    assert np.abs(errors_ms).max() < tolerance_ms, errors_ms
    # Silence before the first note: nothing sounds before the truth says so.
    assert np.abs(audio[: int((truth[0] - 0.003) * rate)]).max() < 1e-4


def test_violin_speaks_later_than_its_note_on(tmp_path):
    # A known answer about FluidR3's bowed violin (docs/data.md): its attack takes time to be heard.
    clip = make_music_clip(tmp_path, piece_id="bach-bwv66.6", instrument="violin", max_beats=16, tempo_bpm=72,
                           expression=Expression(articulation=0.45), seed=3, sample_rate=44100)
    truth = np.array([n.onset_s for n in clip.performance.notes])
    lag_ms = match(truth, energy_onsets(clip.audio, 44100)) * 1000
    assert np.all((-4 < lag_ms) & (lag_ms < 30)) and lag_ms.mean() > 4, lag_ms


def test_rendering_is_deterministic_and_violin_clip_files_agree(tmp_path):
    a = make_music_clip(tmp_path / "a", piece_id="mozart-k80-1", instrument="violin", max_beats=12, seed=5,
                        faults=Faults(wrong_note_rate=0.2), sample_rate=22050)
    b = make_music_clip(tmp_path / "b", piece_id="mozart-k80-1", instrument="violin", max_beats=12, seed=5,
                        faults=Faults(wrong_note_rate=0.2), sample_rate=22050)
    assert a.wav_path.read_bytes() == b.wav_path.read_bytes()
    truth = json.loads(a.truth_path.read_text())
    assert truth["sample_rate"] == 22050 and truth["gm_program"] == 40
    assert [n["pitch"] for n in truth["notes"]] == [n.pitch for n in a.performance.notes]
    assert sum(n["wrong"] for n in truth["notes"]) == round(0.2 * len(a.performance.melody.notes))
    assert read_midi_notes(a.reference_midi_path)[0].pitch == a.performance.melody.notes[0].pitch


@pytest.mark.parametrize("program, cents", [("piano", 0.0), ("piano", 25.0), ("violin", -40.0), ("clarinet", 12.0)])
def test_pitch_bends_are_heard(tmp_path, program, cents):
    note = PerformedNote(0.2, 2.2, 69 + cents / 100, 90, 0)
    midi = write_performance_midi([note], tmp_path / "tone.mid", program=program)
    audio = render_midi(midi, sample_rate=44100)
    heard = 1200 * np.log2(f0_hz(audio[int(0.7 * 44100):int(1.7 * 44100)], 44100, 380, 500) / 440)
    # FluidR3's own samples are tuned within a few cents; the bend itself is exact.
    assert heard == pytest.approx(cents, abs=5.0)


def test_the_box_reads_bends_with_the_range_the_file_sets(tmp_path):
    # Written with a 12-semitone bend range (RPN 0): read with the default 2, 40 cents would read as 6.7.
    notes = [PerformedNote(0.1, 0.5, 60.4, 80, 0), PerformedNote(0.6, 0.9, 62.0, 80, 1)]
    path = write_performance_midi(notes, tmp_path / "wide.mid", bend_range=12)
    back = read_midi_notes(path)
    assert [n.pitch for n in back] == pytest.approx([60.4, 62.0], abs=0.002)
