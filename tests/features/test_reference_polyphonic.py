"""Polyphonic music against its MIDI score: known answers on FluidSynth renders of music21 pieces.

Chorales in four voices (piano, organ, strings) and a piano rag, each played clean (with phrase
dynamics and rubato) and with one fault at a time. The clean take must rank above every faulty copy on
the rubric's overall score, the transcription must find the notes played, and wrong and missed notes
must be counted at about the rate they were put in.
"""

from __future__ import annotations

import mido
import mir_eval
import numpy as np
import pytest

from edge.analysis import analyze
from edge.config import Settings
from edge.errors import MediaError
from edge.features.dtw import dtw, dtw_multiscale
from edge.features.notes import read_midi
from edge.features.reference_polyphonic import is_polyphonic
from edge.scoring.rubric import score_analysis
from training.data.performance import CLEAN_EXPRESSIVE, Faults
from training.data.polyphonic import make_polyphonic_clip

CASES = {   # (piece, instrument, beats): short excerpts keep the suite fast
    "chorale_piano": ("bach-bwv66.6", "piano", 16),
    "chorale_organ": ("bach-bwv269", "organ", 16),
    "chorale_strings": ("bach-bwv40.8", "strings", 16),
    "rag_piano": ("joplin-maple-leaf", "piano", 16),
}
FAULTS = {
    "wrong": Faults(wrong_note_rate=0.2),
    "missed": Faults(missed_note_rate=0.2),
    "jitter": Faults(onset_jitter_ms=40.0),
    "flat": Faults(flat_dynamics=True),
    "detuned": Faults(detune_cents=35.0),
    "unsteady": Faults(tempo_instability=0.08),
}
SEED = 7


def _known_gap(case, reason):
    """A case that does not meet its target yet (issue 9): strict, so it is noticed when it starts passing."""
    return pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=reason))


ORGAN_ONSETS = ("organ and string onsets: a note's measured onset is off by ~45 ms (sd) on the clean take, its chord's median by "
                "~26 ms (low pipes speak 70–120 ms late, re-struck held notes show no attack), so the clean take's timing "
                "and tempo spread read worse than the jittered and unsteady takes'")
STRINGS_MISSED = ("strings: 6 of 13 missed notes found (4 more read as wrong) since the alignment pads both sides "
                  "with silence (it was 7 before)")


@pytest.fixture(scope="session")
def takes(tmp_path_factory):
    """{case: {take: (clip, analysis, overall score)}} for the clean take and every fault."""
    settings = Settings()
    root = tmp_path_factory.mktemp("polyphonic")
    out = {}
    for case, (piece, instrument, beats) in CASES.items():
        out[case] = {}
        for take, faults in {"clean": Faults(), **FAULTS}.items():
            clip = make_polyphonic_clip(root / case, piece_id=piece, instrument=instrument, max_beats=beats,
                                        faults=faults, expression=CLEAN_EXPRESSIVE, seed=SEED, stem=take)
            reference = root / case / "clean.ref.mid"   # the same score for every take
            analysis = analyze(clip.wav_path, settings, reference=reference)
            scored = score_analysis(analysis, settings, "music")
            out[case][take] = (clip, analysis, scored)
    return out


@pytest.mark.parametrize("case", ["chorale_piano", "chorale_strings", _known_gap("chorale_organ", ORGAN_ONSETS),
                                  "rag_piano"])
def test_clean_ranks_above_every_faulty_copy(takes, case):
    clean = takes[case]["clean"][2].overall
    below = {take: round(takes[case][take][2].overall, 1) for take in FAULTS}
    assert all(clean > score for score in below.values()), f"clean {clean:.1f} vs {below}"


@pytest.mark.parametrize("case", ["chorale_piano", "rag_piano"])
def test_clean_piano_notes_are_transcribed(takes, case):
    clip, analysis, _ = takes[case]["clean"]
    truth = read_midi(clip.midi_path)
    heard = analysis.reference.transcribed
    _, _, f1, _ = mir_eval.transcription.precision_recall_f1_overlap(
        truth.intervals(), truth.hz(), heard.intervals(), heard.hz(), onset_tolerance=0.05, offset_ratio=None)
    assert f1 >= 0.85
    assert analysis.reference.polyphonic and analysis.reference.summary()["note_f1"] >= 0.85


@pytest.mark.parametrize("case", ["chorale_piano", "chorale_organ", _known_gap("chorale_strings", STRINGS_MISSED),
                                  "rag_piano"])
def test_wrong_and_missed_notes_are_counted_at_the_rate_put_in(takes, case):
    written = len(takes[case]["clean"][1].reference.notes)
    clean = takes[case]["clean"][1].reference.counts()
    assert clean["wrong"] + clean["missed"] <= 0.12 * written
    for take, status in (("wrong", "wrong"), ("missed", "missed")):
        clip, analysis, scored = takes[case][take]
        injected = len(clip.performance.missed) if take == "missed" else sum(n.wrong for n in clip.performance.notes)
        found = analysis.reference.counts()[status]
        assert 0.5 * injected <= found <= 1.5 * injected + 2, f"{take}: {found} found, {injected} put in"
        sentence = scored.subscores["interpretation"].explanation   # which notes were played: docs/scoring.md
        assert f"of {written} written notes played" in sentence and f"{found} {status}" in sentence


def test_detuning_reads_in_cents(takes):
    cents = takes["chorale_piano"]["detuned"][1].reference.summary()["pitch_deviation_cents"]["mean"]
    assert cents == pytest.approx(35, abs=8)
    clean = takes["chorale_piano"]["clean"][1].reference.summary()["pitch_deviation_cents"]["mean"]
    assert abs(clean) < 8


@pytest.mark.parametrize("case", ["chorale_piano", "rag_piano", _known_gap("chorale_strings", ORGAN_ONSETS),
                                  _known_gap("chorale_organ", ORGAN_ONSETS)])
def test_timing_jitter_widens_the_onset_deviations(takes, case):
    clean = takes[case]["clean"][2].subscores["rhythm"].measurements["onset_deviation_std_ms"]
    jitter = takes[case]["jitter"][2].subscores["rhythm"].measurements["onset_deviation_std_ms"]
    assert jitter > clean + 10


def test_a_melody_stays_on_the_monophonic_path(takes):
    melody = read_midi(takes["chorale_piano"]["clean"][0].reference_midi_path)
    top = melody.pitches == np.maximum.reduceat(melody.pitches, np.unique(melody.onsets, return_index=True)[1])[
        np.searchsorted(np.unique(melody.onsets), melody.onsets)]
    assert is_polyphonic(melody)
    assert not is_polyphonic(type(melody)(melody.onsets[top], melody.onsets[top] + 0.2, melody.pitches[top],
                                          melody.velocities[top]))


def _two_part_file(path):
    """Melody on channel 1 (track 1), chords on channel 2 (track 2), drums on channel 10 (track 3)."""
    midi = mido.MidiFile(ticks_per_beat=480)
    for name, channel, notes in (("melody", 0, [(0, 72), (480, 74)]), ("chords", 1, [(0, 60), (0, 64), (0, 67)]),
                                 ("drums", 9, [(0, 36), (480, 38)])):
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
        events = sorted([(t, 1, p) for t, p in notes] + [(t + 400, 0, p) for t, p in notes])
        now = 0
        for t, on, p in events:
            track.append(mido.Message("note_on" if on else "note_off", channel=channel, note=p, velocity=80 if on else 0,
                                      time=t - now))
            now = t
        midi.tracks.append(track)
    midi.save(path)
    return path


def test_reference_part_chooses_a_track_or_channel_and_drums_are_left_out(tmp_path):
    path = _two_part_file(tmp_path / "parts.mid")
    every = read_midi(path)
    assert sorted(every.pitches) == [60, 64, 67, 72, 74] and 9 not in every.channels
    assert list(read_midi(path, part="track:0").pitches) == [72, 74]
    assert list(read_midi(path, part="melody").pitches) == [72, 74]
    assert list(read_midi(path, part="channel:2").pitches) == [60, 64, 67]
    with pytest.raises(MediaError, match="no notes in part 'track:2'"):
        read_midi(path, part="track:2")          # the drum track: nothing to play
    with pytest.raises(MediaError, match="not found"):
        read_midi(path, part="viola")


def test_multiscale_dtw_matches_full_dtw_and_stays_in_a_band():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(900, 12))
    warp = np.clip(np.cumsum(rng.uniform(0.5, 1.6, 1100)) * 900 / np.sum(rng.uniform(0.5, 1.6, 1100)), 0, 899)
    y = x[warp.astype(int)] + 0.05 * rng.normal(size=(1100, 12))

    def dist(a, b):
        return np.sqrt(np.maximum((a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None] - 2 * a @ b.T, 0))

    full_path, full_cost = dtw(dist(x, y))
    path, cost = dtw_multiscale(x, y, dist, coarsest=100)
    assert cost == pytest.approx(full_cost, rel=1e-6)
    assert len(path) == len(full_path) and np.all(path == full_path)
