"""The round-2 whole-take scorer on the box: the committed exports give the torch checkpoint's scores on a take's
windows built by edge.features, `analyze --model` reports what the plugin computes, and bad files are named."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from edge import PROJECT_ROOT
from edge.config import load_settings
from edge.errors import ModelError
from edge.features.sequence import FeatureSequence
from edge.models import sha256_of
from edge.scoring.learned import load_scorer
from edge.scoring.learned.base import WindowScorer
from edge.scoring.learned.performance import PERFORMANCE_LAYOUT, PerformanceScorer, take_subscores
from edge.scoring.learned.windows import frames_of, stack_windows, window_starts
from edge.scoring.result import SUBSCORES, grade_of

MODELS = PROJECT_ROOT / "models"
CHECKPOINT = MODELS / "checkpoints" / "round2" / "lstm_hier.pt"
# every file of the model the manifest ships (an int8 file over its parity bound is under not_shipped instead)
FILES = sorted(n for n in json.loads((MODELS / "manifest.json").read_text())["artifacts"]
               if n.startswith("scorer_lstm_hier."))


def manifest_entry(name: str) -> dict:
    return json.loads((MODELS / "manifest.json").read_text())["artifacts"][name]


def sequences(corpus) -> list[tuple[FeatureSequence, str]]:
    """One take of each discipline of the tiny generated corpus (edge.features pose and audio streams)."""
    out = []
    for discipline in ("dance", "music"):
        i = next(k for k, e in enumerate(corpus.entries) if e["discipline"] == discipline)
        pose, audio = corpus.pose[i].astype(np.float32), corpus.audio[i].astype(np.float32)
        out.append((FeatureSequence((np.arange(len(pose)) + 0.5) / 30, pose, audio), discipline))
    return out


@pytest.fixture(scope="module")
def torch_model():
    from training.scorers.checkpoint import load_performance_checkpoint

    return load_performance_checkpoint(CHECKPOINT)


def test_every_variant_is_shipped_or_says_why_not():
    manifest = json.loads((MODELS / "manifest.json").read_text())
    assert {"scorer_lstm_hier.onnx", "scorer_lstm_hier.tflite"} <= set(FILES)
    for variant in ("int8.onnx", "int8.tflite"):
        name = f"scorer_lstm_hier.{variant}"
        assert name in FILES or manifest["not_shipped"][name]["reason"].startswith("no int8 variant within")


@pytest.mark.parametrize("name", FILES)
def test_committed_export_gives_the_checkpoints_scores(name, tiny_corpus, torch_model):
    import torch

    from training.scorers.hierarchical import PerformanceExport

    entry = manifest_entry(name)
    assert entry["scorer"]["layout"] == PERFORMANCE_LAYOUT and entry["scorer"]["task"] == "without_reference"
    assert entry["provenance"]["checkpoint_sha256"] == sha256_of(CHECKPOINT)
    # the tolerance is the manifest's own: fp32 within its parity tolerance, int8 within its largest drift on test takes
    bound = (entry["metrics"].get("parity_tolerance_points", 0.01) if entry["precision"] == "fp32"
             else entry["parity"]["max_drift_points"])
    scorer = load_scorer(MODELS / name)
    assert isinstance(scorer, PerformanceScorer)
    model, _ = torch_model
    for seq, discipline in sequences(tiny_corpus):
        frames = frames_of(seq, discipline)
        windows = stack_windows(frames, window_starts(len(frames)))
        with torch.no_grad():
            expected = PerformanceExport(model)(torch.from_numpy(windows)).numpy()[0]
        got = scorer.run(windows)[0][0]
        a, b = take_subscores(got, discipline, "without_reference"), take_subscores(expected, discipline,
                                                                                     "without_reference")
        drift = [abs(a[k] - b[k]) for k in a if a[k] is not None]
        assert max(drift) <= bound + 1e-6, (name, discipline, drift)


def test_the_plugin_assembles_one_result_with_the_grade_of_its_overall(tiny_corpus):
    settings = load_settings()
    scorer = load_scorer(MODELS / "scorer_lstm_hier.onnx")
    for seq, discipline in sequences(tiny_corpus):
        result = scorer.score(seq, discipline, settings.scoring)
        assert result.value("interpretation") is None and "without_reference" in result.subscores["interpretation"].explanation
        assert (result.value("sync") is None) == (discipline == "music")
        frames = frames_of(seq, discipline)
        raw = scorer.run(stack_windows(frames, window_starts(len(frames))))[0][0]
        for k, name in enumerate(SUBSCORES):
            if result.value(name) is not None:
                assert result.value(name) == pytest.approx(float(np.clip(raw[k], 0, 100)))
        judged = [n for n in SUBSCORES if result.value(n) is not None]
        weights = np.array([getattr(settings.scoring.weights, n) for n in judged])
        assert result.overall == pytest.approx(float(weights @ [result.value(n) for n in judged] / weights.sum()))
        assert result.grade == grade_of(result.overall, settings.scoring.grades)
        assert result.timeline == [] and any("interpretation not judged" in n for n in result.explanation["notes"])
        ex = result.explanation
        assert ex["method"].startswith("removal of each second") and len(ex["seconds"]) == int(np.ceil(len(frames) / 30))
        assert ("limbs" in ex) == (discipline == "dance")
        json.dumps(result.to_dict())


def test_analyze_with_the_model_reports_what_the_plugin_computes(tmp_path):
    """A generated clarinet phrase (fluidsynth) through `perfscore analyze --model`, against the plugin called
    on the same recording's feature sequence."""
    import argparse

    from edge.cli import analyze
    from edge.features.sequence import feature_sequence
    from edge.pipeline import analyze_source
    from edge.sources import open_source
    from training.data.midi import Part, program_number, write_parts_midi
    from training.data.synth import render_midi, write_wav

    settings = load_settings()
    from training.data.rhythm_renders import Note

    notes = tuple(Note(0.5 + 0.4 * k, 0.5 + 0.4 * k + 0.35, 60 + (0, 2, 4, 5, 7, 9, 11, 12)[k % 8], 80)
                  for k in range(20))
    midi = write_parts_midi([Part(notes, program=program_number("clarinet"))], tmp_path / "phrase.mid")
    wav = write_wav(tmp_path / "phrase.wav", render_midi(midi, sample_rate=settings.audio.sample_rate),
                    settings.audio.sample_rate)
    model = MODELS / "scorer_lstm_hier.onnx"
    args = argparse.Namespace(media=str(wav), settings=settings, reference=None, discipline="music",
                              model=str(model), json=True)
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert analyze.run(args) == 0
    learned = json.loads(buf.getvalue())["learned"]
    with open_source(str(wav), settings) as source:
        analysis = analyze_source(source, settings)
    direct = load_scorer(model).score(feature_sequence(analysis.pose, analysis.audio, analysis.duration_s), "music",
                                      settings.scoring)
    for name in SUBSCORES:
        want = direct.value(name)
        assert learned["subscores"][name]["value"] == (None if want is None else round(want, 2))
    assert learned["grade"] == grade_of(learned["overall"], settings.scoring.grades) == direct.grade
    assert learned["subscores"]["rhythm"]["model"]["name"] == "lstm_hier"


def _listed(tmp_path, monkeypatch, path, **scorer) -> None:
    """`path` listed in a test manifest as a whole-take scorer (the committed entry's spec, changed by `scorer`)."""
    entry = dict(manifest_entry("scorer_lstm_hier.onnx" if path.suffix == ".onnx" else "scorer_lstm_hier.tflite"))
    entry["scorer"] = dict(entry["scorer"], **scorer)
    entry["sha256"] = sha256_of(path)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"artifacts": {path.name: entry}}))
    monkeypatch.setattr(WindowScorer, "manifest_path", manifest)


def test_a_corrupt_model_file_is_refused_naming_it(tmp_path, monkeypatch):
    bad = tmp_path / "scorer_broken.onnx"
    bad.write_bytes((MODELS / "scorer_lstm_hier.onnx").read_bytes()[:5000])
    _listed(tmp_path, monkeypatch, bad)
    with pytest.raises(ModelError, match=f"{bad}: ONNX Runtime cannot load it"):
        load_scorer(bad)
    changed = tmp_path / "scorer_changed.onnx"
    shutil.copyfile(MODELS / "scorer_lstm_hier.onnx", changed)
    _listed(tmp_path, monkeypatch, changed)
    with changed.open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match=f"{changed}: sha256 .* does not match"):
        load_scorer(changed)


@pytest.mark.parametrize("window_model", ["scorer_cnn.onnx", "scorer_cnn.tflite"])
def test_a_window_model_listed_as_whole_take_is_refused_naming_it(window_model, tmp_path, monkeypatch):
    wrong = tmp_path / window_model.replace("cnn", "mislabelled")
    shutil.copyfile(MODELS / window_model, wrong)
    _listed(tmp_path, monkeypatch, wrong)
    with pytest.raises(ModelError, match=f"{wrong}: .*{PERFORMANCE_LAYOUT}"):
        load_scorer(wrong)


def test_a_take_longer_than_the_tflite_file_holds_is_refused_with_the_way_out():
    scorer = load_scorer(MODELS / "scorer_lstm_hier.tflite")
    m = scorer.spec["max_windows"]
    with pytest.raises(ModelError, match="use the .onnx file"):
        scorer.run(np.zeros((m + 1, 60, 72), np.float32))


def test_the_checkpoint_scores_like_its_export(tiny_corpus):
    """`analyze --model models/checkpoints/round2/lstm_hier.pt` (the train extra): the same plugin, torch running it."""
    pt, box = load_scorer(CHECKPOINT), load_scorer(MODELS / "scorer_lstm_hier.onnx")
    assert isinstance(pt, PerformanceScorer) and pt.info.backend == "torch"
    for seq, discipline in sequences(tiny_corpus):
        a, b = pt.score(seq, discipline), box.score(seq, discipline)
        assert a.grade == b.grade and a.overall == pytest.approx(b.overall, abs=0.01)


def test_the_box_runs_the_whole_take_model_without_torch():
    import subprocess
    import sys

    code = ("import sys, numpy as np\n"
            "from edge.scoring.learned import load_scorer\n"
            "from edge.features.sequence import FeatureSequence\n"
            "s = load_scorer('models/scorer_lstm_hier.onnx')\n"
            "seq = FeatureSequence(np.arange(150) / 30, np.zeros((150, 52), np.float32), np.zeros((150, 20), np.float32))\n"
            "r = s.score(seq, 'music')\n"
            "bad = [m for m in ('torch', 'training', 'export', 'onnx') if m in sys.modules]\n"
            "print(bad, r.grade); sys.exit(1 if bad or r.grade is None else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
