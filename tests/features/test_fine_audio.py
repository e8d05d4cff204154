"""Fine audio channels (edge.features.fine_audio) against generated signals whose answer is known."""

import numpy as np
import pytest

from edge.config.features import AudioConfig
from edge.features.audio import extract_audio_features
from edge.features.fine_audio import CHROMA, FINE_COLUMN, N_FINE, fine_frames, grid_deviation_s, steady_grid
from edge.features.sequence import FRAME_RATE, feature_sequence, frame_of, frame_times
from training.data.signals import tone_at, tones_at_onsets

CONFIG = AudioConfig()
SR = CONFIG.sample_rate
ONSET, OFFSET, LEVEL, CENTS = (FINE_COLUMN[n] for n in ("fine_onset", "onset_offset_ms", "note_peak_db", "cents"))


def channels(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    duration = len(x) / SR
    times = frame_times(duration)
    return fine_frames(extract_audio_features(x, CONFIG), times), times


@pytest.fixture(scope="module")
def sub_frame_take():
    """16 plucked notes whose onsets sit at known, different places inside their 33 ms frames."""
    rng = np.random.default_rng(11)
    frames = 15 + np.cumsum(rng.integers(9, 18, 16))                 # 0.3–0.6 s apart
    offsets_ms = rng.uniform(-15.0, 15.0, 16)                        # inside the frame, away from its edges
    onsets = (frames + 0.5) / FRAME_RATE + offsets_ms / 1000.0
    x = tones_at_onsets(onsets, rng.integers(55, 80, 16), onsets[-1] + 1.0, SR)
    return onsets, offsets_ms, frames, x


def test_onset_offset_inside_the_frame_reads_within_two_ms(sub_frame_take):
    onsets, offsets_ms, frames, x = sub_frame_take
    fine, times = channels(x)
    assert np.flatnonzero(fine[:, ONSET] > 0).tolist() == frames.tolist()     # each onset on its own frame
    read = fine[frames, OFFSET]
    assert np.max(np.abs(read - offsets_ms)) < 2.0
    # Between onsets the channel says nothing.
    rest = np.setdiff1d(np.arange(len(times)), frames)
    assert np.all(fine[rest, OFFSET] == 0) and np.all(fine[rest, ONSET] == 0)


def test_the_fine_timeline_is_the_model_frames():
    x = tone_at(69, 0, 2.0, SR)
    fine, times = channels(x)
    sequence = feature_sequence(None, extract_audio_features(x, CONFIG), len(x) / SR)
    assert fine.shape == (len(sequence), N_FINE)
    assert np.array_equal(times, sequence.times)
    assert frame_of(np.array([times[3] - 0.016, times[3] + 0.016]), times).tolist() == [3, 3]


@pytest.mark.parametrize("cents", [30, -22])
@pytest.mark.parametrize("midi", [57, 76])
def test_a_detuned_tone_reads_its_cents(midi, cents):
    fine, _ = channels(tone_at(midi, cents, 1.5, SR, harmonics=(1.0, 0.5, 0.3)))
    voiced = fine[:, CENTS] != 0
    assert voiced.mean() > 0.8
    assert np.median(fine[voiced, CENTS]) == pytest.approx(cents, abs=5)


def test_unvoiced_frames_read_zero_cents():
    x = np.concatenate([np.zeros(SR // 2, np.float32), tone_at(69, 30, 1.0, SR)])
    fine, times = channels(x)
    assert np.all(fine[times < 0.4, CENTS] == 0)


def test_a_note_six_db_louder_reads_plus_six():
    onsets = 0.3 + 0.45 * np.arange(9)
    pitches = [60, 62, 64, 65, 67, 65, 64, 62, 60]
    loud = 4
    quiet = [i for i in range(9) if i != loud]
    duration = onsets[-1] + 0.8
    x = tones_at_onsets(onsets[quiet], np.array(pitches)[quiet], duration, SR, amplitude=0.15)
    x = x + tones_at_onsets(onsets[[loud]], [pitches[loud]], duration, SR, amplitude=0.30)   # +6.02 dB
    fine, times = channels(x)
    level = fine[:, LEVEL]
    during = lambda i: (times >= onsets[i] + 0.05) & (times < onsets[i] + 0.35)
    assert np.median(level[during(loud)]) == pytest.approx(6.02, abs=1.0)
    for i in quiet:
        assert np.median(level[during(i)]) == pytest.approx(0.0, abs=1.0)
    assert np.all(level[times < onsets[0] - 0.02] == 0)          # before the first note


def test_chroma_names_the_pitch_class_and_is_unit_length():
    fine, times = channels(tone_at(62, 0, 1.5, SR, harmonics=(1.0, 0.4, 0.2)))    # D4: pitch class 2
    middle = (times > 0.3) & (times < 1.2)
    chroma = fine[middle][:, CHROMA]
    assert np.all(np.argmax(chroma, axis=1) == 2)
    assert np.allclose(np.linalg.norm(chroma, axis=1), 1.0, atol=1e-4)


def test_silence_and_no_audio_give_zeros():
    times = frame_times(1.0)
    assert not fine_frames(None, times).any()
    fine, _ = channels(np.zeros(SR, np.float32))
    assert fine.shape == (30, N_FINE) and not fine.any()


def test_grid_deviation_from_a_steady_beat_grid():
    beats = 0.5 + 0.6 * np.arange(12)                       # 100 BPM
    # On a beat, on an eighth, on a sixteenth, and 25 ms late / 18 ms early of a subdivision.
    onsets = np.array([beats[2], beats[3] + 0.3, beats[5] + 0.15, beats[7] + 0.025, beats[8] + 0.3 - 0.018])
    assert grid_deviation_s(onsets, beats) * 1000 == pytest.approx([0, 0, 0, 25, -18], abs=1e-6)
    assert np.isnan(grid_deviation_s(onsets, beats[:1])).all()


def test_the_steady_grid_keeps_a_late_beat_late():
    # The tracker snaps a beat onto a note played 30 ms late: the smoothed grid keeps that note late
    # (by 30 × 8/9 ms: the beat is one of the 9 the line runs through).
    beats = 0.5 + 0.6 * np.arange(12)
    played = beats.copy()
    played[6] += 0.030
    smooth = steady_grid(played)
    assert grid_deviation_s(np.array([played[6]]), smooth)[0] * 1000 == pytest.approx(30 * 8 / 9, abs=0.1)
    assert np.allclose(steady_grid(beats), beats)            # a steady grid stays where it is


def test_training_time_scaling_keeps_each_onset_time_exact():
    # round2_fine.time_scale_fine stretches a take by s as training's augmentation does: every onset must land
    # where its precise time × s falls, with the offset inside its new frame, and grid deviations × s.
    from training.scorers.round2_fine import pitch_shift_fine, time_scale_fine

    onsets_s = np.array([0.3431, 0.8107, 1.2659, 1.7902])
    times = frame_times(2.0)
    fine = np.zeros((len(times), N_FINE), np.float32)
    f = frame_of(onsets_s, times)
    fine[f, ONSET], fine[f, OFFSET] = 1.0, 1000 * (onsets_s - times[f])
    fine[f, FINE_COLUMN["grid_deviation_ms"]] = [10.0, -20.0, 0.0, 5.0]
    fine[:, CHROMA.start + 2] = 1.0
    for s in (0.9, 1.07):
        n = int(round(len(times) * s))
        out = time_scale_fine(fine, s, n)
        new_times = frame_times(n / FRAME_RATE)
        k = np.flatnonzero(out[:, ONSET] > 0)
        assert len(k) == len(onsets_s)
        assert new_times[k] + out[k, OFFSET] / 1000 == pytest.approx(onsets_s * s, abs=1e-5)
        assert out[k, FINE_COLUMN["grid_deviation_ms"]] == pytest.approx(np.array([10.0, -20.0, 0.0, 5.0]) * s, abs=1e-4)
    assert np.argmax(pitch_shift_fine(fine, -3)[:, CHROMA], axis=1).tolist() == [11] * len(times)   # D − 3 = B


@pytest.mark.parametrize("key", ["lstm_hier", "gru"])
def test_the_fine_models_read_the_block(key):
    # round2_fine.make_fine_model: round 2's model whose window encoder also reads the fine channels.
    torch = pytest.importorskip("torch")
    from training.scorers.round2 import parse_model
    from training.scorers.round2_fine import make_fine_model

    torch.manual_seed(0)
    arch, context = parse_model(key)
    model = make_fine_model(arch, context, 16, 0.0).eval()
    x = torch.randn(2, 3, 60, 72 + N_FINE)
    mask = torch.ones(2, 3, dtype=torch.bool)
    y = x.clone()
    y[..., 72 + OFFSET] += 10.0                     # only the onset offsets change
    with torch.no_grad():
        a, b = model(x, mask), model(y, mask)
    assert a.shape == (2, 5)
    assert (a - b).abs().max() > 1e-4
