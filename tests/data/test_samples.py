"""The committed samples are what samples/README.md says they are (scripts/make_samples.py made them)."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from training.data.midi import read_midi_notes
from training.data.mux import stream_starts
from training.data.synth import read_wav

from .helpers import energy_onsets, match

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
DANCES = ("dance_on_beat", "dance_shifted_250ms", "dance_audio_stream_late")


def _audio(path: Path) -> tuple[np.ndarray, float]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=44100)
        first, chunks = None, []
        for frame in container.decode(stream):
            first = float(frame.pts * frame.time_base) if first is None else first
            chunks += [f.to_ndarray().ravel() for f in resampler.resample(frame)]
    return np.concatenate(chunks), first


def _truth(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.truth.json").read_text())


def test_samples_are_all_there_and_small():
    names = [f"{d}.mp4" for d in DANCES] + [f"{d}.truth.json" for d in DANCES] + [
        "dance_on_beat.truth.npz", "music_violin.wav", "music_violin.ref.mid", "music_violin.mid",
        "music_violin.truth.json", "README.md"]
    for name in names:
        assert (SAMPLES / name).is_file(), name
        assert name in (SAMPLES / "README.md").read_text() or name.endswith((".truth.json", ".npz")) or name == "README.md"
    assert sum(p.stat().st_size for p in SAMPLES.iterdir()) < 5_000_000


def test_dance_samples_have_the_declared_format_and_beats():
    truth = _truth("dance_on_beat")
    assert truth["beat_times_s"] == pytest.approx(list(0.5 + 0.5 * np.arange(21)))
    assert truth["kinematic_beats_s"] == truth["beat_times_s"]
    with av.open(str(SAMPLES / "dance_on_beat.mp4")) as container:
        video = container.streams.video[0]
        assert (video.codec_context.name, video.width, video.height, float(video.average_rate)) == ("h264", 640, 480, 30.0)
        assert sum(1 for _ in container.decode(video)) == 330
    starts = {name: stream_starts(SAMPLES / f"{name}.mp4") for name in DANCES}
    assert starts["dance_on_beat"] == {"video": 0.0, "audio": 0.0}
    assert starts["dance_shifted_250ms"] == {"video": 0.0, "audio": 0.0}
    assert starts["dance_audio_stream_late"]["audio"] == pytest.approx(0.5 - 1024 / 44100, abs=1e-4)


@pytest.mark.parametrize("name, shift", [("dance_on_beat", 0.0), ("dance_shifted_250ms", 0.25), ("dance_audio_stream_late", 0.5)])
def test_music_beats_are_heard_where_the_truth_says(name, shift):
    audio, first = _audio(SAMPLES / f"{name}.mp4")
    heard = first + energy_onsets(audio, 44100, floor_db=-45)
    beats = np.array(_truth(name)["audio_beat_times_s"])
    assert beats == pytest.approx(0.5 + shift + 0.5 * np.arange(21))
    assert np.abs(match(beats, heard)).max() < 0.004


def test_shifted_sample_is_the_same_soundtrack_250ms_later():
    on, _ = _audio(SAMPLES / "dance_on_beat.mp4")
    late, _ = _audio(SAMPLES / "dance_shifted_250ms.mp4")
    n = int(0.25 * 44100)
    assert np.abs(late[:n - 2048]).max() < 1e-3                       # padded silence (AAC ringing aside)
    segment = slice(44100, 8 * 44100)
    assert np.corrcoef(on[segment], late[segment.start + n:segment.stop + n])[0, 1] > 0.99


def test_violin_sample_matches_its_midi_and_reference():
    audio, rate = read_wav(SAMPLES / "music_violin.wav")
    truth = _truth("music_violin")
    assert rate == 22050 and 10.0 < audio.size / rate < 15.5
    assert truth["instrument"] == "violin" and truth["tempo_bpm"] == 84.0
    played = read_midi_notes(SAMPLES / "music_violin.mid")
    assert [n.onset_s for n in played] == pytest.approx([n["onset_s"] for n in truth["notes"]], abs=3e-4)
    assert [n.pitch for n in played] == pytest.approx([n["pitch"] for n in truth["notes"]])
    score = read_midi_notes(SAMPLES / "music_violin.ref.mid")
    assert [n.pitch for n in score] == [n["pitch"] for n in truth["notes"]]
    assert score[4].onset_s == pytest.approx(3 * 60 / 84)              # beat 3 at a steady 84 BPM
    # Silent before the first note-on, sounding during the notes.
    first = truth["notes"][0]["onset_s"]
    assert np.abs(audio[: int((first - 0.005) * rate)]).max() < 1e-4
    assert np.sqrt(np.mean(audio[int(first * rate):int(10 * rate)] ** 2)) > 0.02
