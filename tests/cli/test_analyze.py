"""`perfscore analyze` end to end: the real command on rendered recordings with known answers."""

import json

import jsonschema
import numpy as np
import pytest

from edge import PROJECT_ROOT
from tests.cli.conftest import run_cli

SCHEMA = json.loads((PROJECT_ROOT / "edge/schemas/analysis.schema.json").read_text())


def analyze_json(path, *extra):
    doc = run_cli("analyze", str(path), "--json", *extra, check_json=True).doc
    jsonschema.validate(doc, SCHEMA)
    return doc


def test_json_has_the_documented_fields_and_known_answers(dance):
    doc = analyze_json(dance["on_beat"])
    assert doc["duration_s"] == pytest.approx(7.0, abs=0.1)
    assert doc["video"]["fps"] == pytest.approx(30.0)
    assert doc["video"]["frames"] == 210
    assert doc["video"]["person_frames"] >= 200  # MediaPipe finds the rendered dancer in ≥ 95 % of frames
    assert doc["audio"]["sample_rate"] == 44100
    assert doc["audio"]["tempo_bpm"] == pytest.approx(100, abs=1)
    truth = dance["music_beats"]
    found = np.array(doc["audio"]["beats_s"])
    inside = truth[(truth > found.min() - 0.05) & (truth < found.max() + 0.05)]
    assert len(inside) >= len(truth) - 2 and np.max(np.abs(found[:, None] - inside[None]).min(axis=0)) < 0.03
    assert len(doc["audio"]["onsets_s"]) >= len(truth)
    assert 0 <= doc["rhythm"]["beat_alignment"] <= 1
    assert doc["reference"] is None and doc["warnings"] == []
    assert doc["scores"]["discipline"] == "dance"


def test_on_beat_audio_aligns_better_than_audio_250ms_late(dance):
    on = analyze_json(dance["on_beat"])
    late = analyze_json(dance["late_250ms"])
    assert on["rhythm"]["beat_alignment"] > 0.5
    assert on["rhythm"]["beat_alignment"] > late["rhythm"]["beat_alignment"] + 0.3
    # The music itself is the same, only later: same tempo, beats 250 ms later.
    assert late["audio"]["tempo_bpm"] == pytest.approx(on["audio"]["tempo_bpm"], abs=0.5)
    assert np.median(np.array(late["audio"]["beats_s"][:5]) - np.array(on["audio"]["beats_s"][:5])) == pytest.approx(0.25, abs=0.02)
    assert on["scores"]["subscores"]["sync"]["value"] > late["scores"]["subscores"]["sync"]["value"]


def test_audio_stream_starting_half_a_second_late_stays_aligned(dance):
    on = analyze_json(dance["on_beat"])
    late = analyze_json(dance["audio_stream_late"])
    # AAC's 1024 priming samples start the stream 23 ms before its first heard sample at 0.5 s.
    assert late["audio"]["start_s"] == pytest.approx(0.5, abs=0.03)
    assert late["video"]["start_s"] == pytest.approx(0.0, abs=0.001)
    shift = np.array(late["audio"]["beats_s"][:6]) - np.array(on["audio"]["beats_s"][:6])
    assert np.median(shift) == pytest.approx(0.5, abs=0.015)


def test_audio_only_recording_has_no_video_section(dance):
    doc = analyze_json(dance["music_only"])
    assert doc["video"] is None
    assert doc["rhythm"]["beat_alignment"] is None
    assert doc["audio"]["tempo_bpm"] == pytest.approx(100, abs=1)
    assert doc["scores"]["discipline"] == "music"


@pytest.mark.parametrize("name, warning", [
    ("no_audio", "no audio stream"),
    ("silent", "audio is silent"),
    ("one_frame", "1 frame"),
])
def test_unmeasurable_recordings_say_why_and_measure_the_rest(dance, name, warning):
    doc = analyze_json(dance[name])
    assert any(warning in w for w in doc["warnings"]), doc["warnings"]
    assert doc["rhythm"]["beat_alignment"] is None
    if name == "silent":
        assert doc["audio"]["tempo_bpm"] is None and doc["audio"]["beats_s"] == []
    else:  # written without an audio stream
        assert doc["audio"] is None
    if name == "one_frame":
        assert doc["video"]["frames"] == 1
    else:
        assert doc["video"]["person_frames"] > 200  # the picture is measured even when the sound is not


@pytest.mark.parametrize("name, reason", [
    ("empty", "empty file (0 bytes)"),
    ("text", "not a recording"),
])
def test_unreadable_files_exit_1_with_one_line_naming_the_file(dance, name, reason):
    proc = run_cli("analyze", str(dance[name]))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(dance[name]) in lines[0] and reason in lines[0], proc.stderr


def test_missing_file(tmp_path):
    proc = run_cli("analyze", str(tmp_path / "nope.mp4"))
    assert proc.returncode == 1 and "nope.mp4: file not found" in proc.stderr


def test_truncated_file_is_measured_as_far_as_it_goes_or_named(dance):
    proc = run_cli("analyze", str(dance["truncated"]), "--json")
    if proc.returncode == 0:
        doc = json.loads(proc.stdout)
        assert any("cut short" in w or "stopped" in w for w in doc["warnings"]), doc["warnings"]
        assert doc["duration_s"] < 7.0
    else:
        assert proc.returncode == 1 and str(dance["truncated"]) in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_human_output_has_units(dance):
    out = run_cli("analyze", str(dance["on_beat"])).stdout
    for unit in ("BPM", "fps", "Hz", "dBFS", "ms", "AIST++"):
        assert unit in out


def test_music_against_its_reference(tmp_path):
    from training.data.music import make_music_clip
    from training.data.performance import Faults

    clip = make_music_clip(tmp_path, piece_id="handel-lascia", instrument="flute", tempo_bpm=90, max_beats=24,
                           faults=Faults(detune_cents=25), seed=5)
    doc = analyze_json(clip.wav_path, "--reference", str(clip.reference_midi_path))
    ref = doc["reference"]
    assert ref["kind"] == "music"
    assert ref["pitch_deviation_cents"]["mean"] == pytest.approx(25, abs=5)
    assert ref["note_recall"] > 0.8
    assert doc["scores"]["subscores"]["interpretation"]["value"] is not None


def test_dance_against_a_recording_of_the_choreography():
    # The sample with its audio 250 ms late has the very same moves: zero joint error, not mirrored;
    # the reference is read for its poses only.
    samples = PROJECT_ROOT / "samples"
    doc = analyze_json(samples / "dance_on_beat.mp4", "--reference", str(samples / "dance_shifted_250ms.mp4"))
    ref = doc["reference"]
    assert ref["kind"] == "dance" and ref["mirrored"] is False
    assert ref["mean_joint_angle_error_deg"] < 1.0 and ref["tempo_ratio"] == pytest.approx(1.0, abs=0.02)
    assert ref["mirrored_pose_distance"] > ref["pose_distance"] + 0.1


def test_bad_config_exits_2_naming_file_line_and_key(tmp_path, dance):
    config = tmp_path / "box.yaml"
    config.write_text("pose:\n  frame_stride: 1\naudio:\n  sample_rat: 22050\n")
    proc = run_cli("--config", str(config), "analyze", str(dance["on_beat"]))
    assert proc.returncode == 2
    assert f"{config}:4: audio.sample_rat: unknown key" in proc.stderr
