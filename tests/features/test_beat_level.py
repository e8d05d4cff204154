"""The beat a musician would tap, on generated polyphonic media with known beats (training/data/rhythm_renders.py).

Known answers that failed before the beat level had its own cues: a ragtime read at twice its tempo,
a drum-kit backing at twice its tempo, and a dance whose audio is half a beat late scoring full sync.
"""

import numpy as np
import pytest

from edge.config import Settings
from edge.features.audio import choose_beats_again, extract_audio_features
from edge.features.audio.tempo_level import (LevelCues, TempoLevel, band_fluxes, choose_level, log_gaussian,
                                             metrical_drop, motion_period)
from edge.features.notes import read_midi_meter

SETTINGS = Settings()


def _features(render):
    return extract_audio_features(render.audio, SETTINGS.audio)


def _f_measure(truth, beats):
    import mir_eval

    return mir_eval.beat.f_measure(mir_eval.beat.trim_beats(truth, 0.0), mir_eval.beat.trim_beats(beats, 0.0))


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    from training.data.rhythm_renders import render_piece

    out = tmp_path_factory.mktemp("rhythm")
    return {
        # Joplin's Maple Leaf Rag in 2/4: left-hand "oom-pah" eighths, syncopated right hand.
        "ragtime": render_piece(out, "joplin-maple-leaf", bpm=92, instrument="piano", max_bars=10),
        # A 6/8 song in four parts: the beat is the dotted quarter.
        "six_eight": render_piece(out, "lift-every-voice", bpm=58, instrument="piano", max_bars=10),
        # A slow chorale: 54 quarter notes a minute, eighth-note passing notes.
        "slow": render_piece(out, "chorale-bwv66.6", bpm=54, instrument="piano", max_bars=6),
    }


def test_ragtime_reads_its_written_beat_not_twice_it(renders):
    # The left hand's steady eighths won the level (184 BPM) until the chroma change across the beats and
    # the sounding subdivision were cues: chords change on the quarters, the eighths divide them.
    r = renders["ragtime"]
    f = _features(r)
    assert f.tempo_bpm == pytest.approx(92, rel=0.04)
    assert f.tempo_level is not None and 60 / f.tempo_level.period_s == pytest.approx(92, rel=0.04)


def test_reference_meter_settles_an_ambiguous_reading(renders):
    r = renders["ragtime"]
    f = _features(r)
    meter = read_midi_meter(r.reference_midi)
    assert (meter.numerator, meter.denominator) == (2, 4) and meter.beat_bpm == pytest.approx(92, abs=0.01)
    again = choose_beats_again(f, LevelCues(reference_period_s=60 / meter.beat_bpm))
    assert again.tempo_bpm == pytest.approx(92, rel=0.02)
    assert _f_measure(r.beats_s, again.beats_s) >= 0.9
    assert "reference" in again.tempo_level.scores
    # Nothing else moved: the reading without the reference is unchanged by asking again.
    assert np.array_equal(f.onsets_s, again.onsets_s)


def test_reference_overrides_even_a_contrary_reading(renders):
    # A reference that says the beat is the eighth (as a 2/8 file would) pulls the level to 184.
    f = _features(renders["ragtime"])
    doubled = choose_beats_again(f, LevelCues(reference_period_s=60 / 184))
    assert doubled.tempo_bpm == pytest.approx(184, rel=0.04)


def test_six_eight_reads_the_dotted_quarter(renders):
    r = renders["six_eight"]
    f = _features(r)
    assert f.tempo_bpm == pytest.approx(58, rel=0.04)
    assert _f_measure(r.beats_s, f.beats_s) >= 0.9
    meter = read_midi_meter(r.reference_midi)
    assert (meter.numerator, meter.denominator) == (6, 8)
    assert meter.beat_quarters == 1.5 and meter.beat_bpm == pytest.approx(58, abs=0.01)


def test_slow_chorale_reads_its_slow_beat(renders):
    r = renders["slow"]
    f = _features(r)
    assert f.tempo_bpm == pytest.approx(54, rel=0.04)
    assert _f_measure(r.beats_s, f.beats_s) >= 0.9
    assert not f.tempo_level.ambiguous and f.tempo_level.confidence > 0.6


@pytest.fixture(scope="module")
def backing(tmp_path_factory):
    from training.data.accompaniment import beat_grid, render_accompaniment

    beats = beat_grid(104, 12.0)
    audio, _ = render_accompaniment(beats, 12.0, scratch=tmp_path_factory.mktemp("backing"))
    return beats, audio


def test_drum_kit_with_hihat_eighths_reads_104_not_208(backing):
    beats, audio = backing
    f = extract_audio_features(audio, SETTINGS.audio)
    assert f.tempo_bpm == pytest.approx(104, rel=0.02)
    # On the kick and snare, not on the off-beat hi-hats.
    assert _f_measure(beats, f.beats_s) >= 0.95
    assert "bass" in f.tempo_level.cues and not f.tempo_level.ambiguous
    assert f.fluxes.low_share > 0.05


def test_half_a_beat_late_backing_puts_beats_half_a_beat_late(backing):
    beats, audio = backing
    half = 30.0 / 104
    late = np.concatenate([np.zeros(int(round(half * 44100)), np.float32), audio])
    f = extract_audio_features(late, SETTINGS.audio)
    inner = f.beats_s[(f.beats_s > 1.5) & (f.beats_s < 11.0)]
    offsets = inner - beats[np.argmin(np.abs(inner[:, None] - beats[None, :]), axis=1)]
    assert np.median(np.abs(offsets)) == pytest.approx(half, abs=0.03)


def test_low_band_sees_a_kick_and_not_a_hihat():
    sr, hop = 44100, 512
    t = np.arange(sr) / sr
    kick = (np.sin(2 * np.pi * 60 * t) * np.exp(-t / 0.1) * (t >= 0)).astype(np.float32)
    noise = np.random.default_rng(0).normal(0, 1, sr).astype(np.float32)
    hat = (noise * np.exp(-t / 0.02)).astype(np.float32)
    hat = np.convolve(hat, [1, -1], mode="same").astype(np.float32)      # high-passed: a hi-hat's hiss
    x = np.zeros(2 * sr, np.float32)
    x[sr // 2: sr // 2 + sr] += 0.5 * kick
    x[sr: 2 * sr] += 0.2 * hat
    fluxes = band_fluxes(x, sr, hop)
    low, full = fluxes.low, fluxes.full
    kick_frame, hat_frame = int(0.5 * sr / hop), int(1.0 * sr / hop)
    assert low[kick_frame - 2:kick_frame + 3].max() > 10 * low[hat_frame - 2:hat_frame + 3].max()
    assert full[hat_frame - 2:hat_frame + 3].max() > 0
    assert 0 < fluxes.low_share < 1


def test_metrical_drop_prefers_the_beat_over_its_half_and_double():
    # Accents: strong on every beat (4 frames apart), weak half-beats, nothing else.
    env = np.zeros(400)
    env[::8] = 1.0
    env[4::8] = 0.3
    beat, _ = metrical_drop(env, np.arange(0, 400, 8.0))
    half, _ = metrical_drop(env, np.arange(0, 400, 4.0))
    double, _ = metrical_drop(env, np.arange(0, 400, 16.0))
    assert beat > half + 0.3 and beat > double + 0.3
    _, contrast = metrical_drop(env, np.arange(4, 400, 8.0))     # the grid on the off-beats
    assert contrast < 0


def test_confidence_and_ambiguity_follow_the_margin():
    # Margins in units of the summed score (tempo_level.AMBIGUOUS_MARGIN = 0.25): 1.4 is clear, 0.03 is not.
    clear = choose_level({0.5: {"onsets": 1.6}, 0.25: {"onsets": 0.2}})
    close = choose_level({0.5: {"onsets": 0.50}, 0.25: {"onsets": 0.47}})
    assert isinstance(clear, TempoLevel) and clear.bpm == 120
    assert not clear.ambiguous and clear.confidence > 0.99 and clear.cues == ["onsets"]
    assert close.ambiguous and close.confidence < 0.5
    assert close.alternatives[0][0] == 0.25


def test_motion_period_needs_regular_movement_beats():
    rng = np.random.default_rng(1)
    steady = np.arange(0.5, 10, 0.577) + rng.normal(0, 0.01, 17)
    assert motion_period(steady) == pytest.approx(0.577, rel=0.03)
    assert motion_period(np.cumsum(rng.uniform(0.25, 1.2, 15))) is None
    assert log_gaussian(0.577, 0.577, 0.1) == 1.0


def test_read_midi_meter_defaults_and_errors(tmp_path):
    import mido

    from edge.errors import MediaError

    bare = mido.MidiFile()
    track = mido.MidiTrack()
    track.append(mido.Message("note_on", note=60, velocity=80, time=0))
    track.append(mido.Message("note_off", note=60, velocity=0, time=480))
    bare.tracks.append(track)
    bare.save(tmp_path / "bare.mid")
    meter = read_midi_meter(tmp_path / "bare.mid")
    assert (meter.quarter_bpm, meter.numerator, meter.denominator) == (120.0, 4, 4)
    (tmp_path / "junk.mid").write_text("not midi")
    with pytest.raises(MediaError, match="junk.mid"):
        read_midi_meter(tmp_path / "junk.mid")


# --- A dance to a drum-kit backing: sync on the beat and half a beat late ------------------------------

@pytest.fixture(scope="module")
def drum_dance(tmp_path_factory):
    from training.data.dance import make_dance_clip
    from training.data.mux import write_video

    folder = tmp_path_factory.mktemp("drum_dance")
    bpm = 104.0
    clip = make_dance_clip(folder / "on_beat.mp4", motion="dance_a", bpm=bpm, duration_s=10, seed=21,
                           keep_frames=True)
    late = write_video(folder / "half_beat_late.mp4", clip.frames, 30, audio=clip.audio,
                       sample_rate=clip.sample_rate, audio_offset_s=30.0 / bpm)
    return clip.video_path, late


def test_dance_sync_drops_when_the_drum_backing_is_half_a_beat_late(drum_dance):
    from edge.analysis import analyze
    from edge.scoring import score

    on_path, late_path = drum_dance
    on, late = analyze(on_path, SETTINGS), analyze(late_path, SETTINGS)
    assert on.audio.tempo_bpm == pytest.approx(104, rel=0.02)
    assert late.audio.tempo_bpm == pytest.approx(104, rel=0.02)
    sync_on = score(on, SETTINGS).rubric.value("sync")
    sync_late = score(late, SETTINGS).rubric.value("sync")
    assert sync_on >= 80, on.to_dict()["audio"]["tempo"]
    assert sync_late <= 30, late.to_dict()["audio"]["tempo"]
    assert on.beat_alignment > late.beat_alignment + 0.3
    tempo = on.to_dict()["audio"]["tempo"]
    assert tempo["bpm"] == pytest.approx(104, rel=0.02) and isinstance(tempo["ambiguous"], bool)


def test_harmonic_change_is_high_where_chords_change_and_low_between():
    from edge.features.audio.harmony import change_at, harmony_curves

    sr, t = 44100, np.arange(22050) / 44100
    # Half-second chords, each with its root two octaves down (the bass line): C F G C, twice.
    chords = [(60, 64, 67), (65, 69, 72), (67, 71, 74), (60, 64, 67)] * 2
    x = np.concatenate([sum(np.sin(2 * np.pi * 440 * 2 ** ((m - 69) / 12) * t) for m in (*c, c[0] - 24))
                        for c in chords]).astype(np.float32) * 0.2
    curves = harmony_curves(x, sr)
    changes = np.array([0.5, 1.0, 1.5, 2.5, 3.0, 3.5])        # chord boundaries (2.0 s repeats C: no change)
    for cum in (curves.harmony_cum, curves.bass_cum):
        assert change_at(cum, changes, 0.25).min() > 0.3
        assert change_at(cum, changes + 0.25, 0.25).max() < 0.05      # mid-chord
        assert change_at(cum, [2.0], 0.25)[0] < 0.05


def test_six_eight_organ_beat_falls_on_the_chord_changes_not_the_second_eighth(tmp_path):
    # Mozart K. 458/i in 6/8 on organ: the tied-over eighths made the onsets alone place the dotted-quarter
    # grid a third of a beat late (beat F 0.0 at the right tempo); the chord and bass changes mark the beat.
    from training.data.rhythm_renders import render_piece

    r = render_piece(tmp_path, "mozart-k458-1", bpm=76, instrument="organ", max_bars=12)
    f = _features(r)
    assert f.tempo_bpm == pytest.approx(76, rel=0.04)
    assert _f_measure(r.beats_s, f.beats_s) >= 0.9


def test_harmonic_change_across_beats_favours_the_beat_over_its_eighths():
    # The level cue (tempo_level.level_terms "harmony"): chords that change on every beat (0.5 s) change
    # across every beat of the beat grid, across only every other beat of its eighth-note grid.
    from edge.features.audio.harmony import harmonic_change, harmony_curves
    from edge.features.audio.tempo_level import level_terms

    sr, t = 44100, np.arange(22050) / 44100
    chords = [(60, 64, 67), (65, 69, 72), (67, 71, 74), (57, 60, 64)] * 3
    x = np.concatenate([sum(np.sin(2 * np.pi * 440 * 2 ** ((m - 69) / 12) * t) for m in (*c, c[0] - 24))
                        for c in chords]).astype(np.float32) * 0.2
    curves = harmony_curves(x, sr)
    beat, _ = harmonic_change(curves, np.arange(0.5, 5.6, 0.5), 0.5)
    eighth, _ = harmonic_change(curves, np.arange(0.5, 5.6, 0.25), 0.25)
    assert beat > 0.3 and eighth < 0.7 * beat
    on_beat = level_terms(0.5, 0.0, 0.0, 0.0, 0.5, LevelCues(), subdivision=0.5, harmony_change=beat)
    on_eighth = level_terms(0.25, 0.0, 0.0, 0.0, 0.5, LevelCues(), subdivision=0.0, harmony_change=eighth)
    assert on_beat["harmony"] > on_eighth["harmony"] and on_beat["subdivision"] > on_eighth["subdivision"]
