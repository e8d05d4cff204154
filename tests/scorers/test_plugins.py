"""Scoring a performance with a checkpoint (.pt), and the same model exported to ONNX on the box's plugin."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from edge.errors import ModelError
from edge.features.sequence import FeatureSequence
from edge.scoring.learned import load_scorer
from edge.scoring.learned.base import WindowScorer
from edge.scoring.learned.windows import window_starts
from edge.scoring.result import SUBSCORES
from training.scorers.checkpoint import load_checkpoint, save_checkpoint
from training.scorers.data import clips_from, feature_stats
from training.scorers.models import WindowModel


def sequence_of(corpus, discipline: str) -> FeatureSequence:
    i = next(k for k, e in enumerate(corpus.entries) if e["discipline"] == discipline)
    pose, audio = corpus.pose[i].astype(np.float32), corpus.audio[i].astype(np.float32)
    return FeatureSequence((np.arange(len(pose)) + 0.5) / 30, pose, audio)


@pytest.fixture(scope="module")
def checkpoints(tiny_corpus, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ckpt")
    mean, std = feature_stats(clips_from(tiny_corpus))
    paths = {}
    for arch, fusion in (("lstm", "early"), ("transformer", "hybrid")):
        torch.manual_seed(0)
        model = WindowModel(arch, fusion, width=16, mean=torch.from_numpy(mean), std=torch.from_numpy(std)).eval()
        key = arch if fusion == "early" else f"{arch}_{fusion}"
        paths[key] = save_checkpoint(model, folder / f"{key}.pt", trained={"note": "untrained, for the tests"})
    return paths


def test_checkpoint_round_trip_keeps_weights_and_refuses_other_files(checkpoints, tmp_path):
    model, data = load_checkpoint(checkpoints["lstm"])
    assert data["key"] == "lstm" and data["subscores"] == list(SUBSCORES)
    assert checkpoints["lstm"].stat().st_size < 1_000_000
    bad = tmp_path / "x.pt"
    torch.save({"hello": 1}, bad)
    with pytest.raises(ModelError, match="not a perfscore scorer checkpoint"):
        load_checkpoint(bad)


@pytest.mark.parametrize("discipline", ["dance", "music"])
def test_torch_checkpoint_scores_a_performance_with_explanations(tiny_corpus, checkpoints, discipline):
    scorer = load_scorer(checkpoints["lstm"])
    assert type(scorer).__name__ == "TorchScorer"
    seq = sequence_of(tiny_corpus, discipline)
    result = scorer.score(seq, discipline)
    assert set(result.subscores) == set(SUBSCORES)
    for name, sub in result.subscores.items():
        if name == "sync" and discipline == "music":
            assert sub.value is None
        else:
            assert 0.0 <= sub.value <= 100.0
        assert sub.model.name == "lstm" and sub.model.backend == "torch" and len(sub.model.sha256) == 64
    assert result.grade in "ABCDE" and 0 <= result.overall <= 100
    assert len(result.timeline) == len(window_starts(len(seq)))
    ex = result.explanation
    assert ex["method"] == "integrated_gradients" and len(ex["seconds"]) == int(np.ceil(len(seq) / 30))
    assert abs(sum(s["share"] for s in ex["seconds"]) - 1) < 0.01
    assert ("limbs" in ex) == (discipline == "dance")
    assert ex["top_notes"] and set(ex["grade_probabilities"]) == set("ABCDE")
    json.dumps(result.to_dict())


def test_onnx_export_matches_torch_and_the_box_plugin_scores_the_same(tiny_corpus, checkpoints, tmp_path, monkeypatch):
    from export.scorers import PARITY_TOLERANCE, export_one

    manifest = tmp_path / "manifest.json"
    entries = export_one(checkpoints["transformer_hybrid"], tmp_path, manifest_path=manifest)
    fp32 = tmp_path / "scorer_transformer_hybrid.onnx"
    assert entries[0]["file"] == fp32.name and entries[0]["metrics"]["parity_max_abs_diff"] <= PARITY_TOLERANCE
    listed = json.loads(manifest.read_text())["artifacts"]
    assert listed[fp32.name]["scorer"]["layout"] == "perfscore.scorer-input/1"

    monkeypatch.setattr(WindowScorer, "manifest_path", manifest)
    box = load_scorer(fp32)
    assert type(box).__name__ == "OnnxScorer"
    ref = load_scorer(checkpoints["transformer_hybrid"])
    for discipline in ("dance", "music"):
        seq = sequence_of(tiny_corpus, discipline)
        a, b = box.score(seq, discipline), ref.score(seq, discipline)
        for name in SUBSCORES:
            if a.value(name) is not None:
                assert abs(a.value(name) - b.value(name)) < 1e-3
        assert a.grade == b.grade
        # the box explains seconds by removal, attention models too (their attention failed the deletion test)
        assert a.explanation["method"].startswith("removal of each second") and a.explanation["signed"] is True
        assert a.subscores["rhythm"].model.backend == "onnxruntime"

    renamed = tmp_path / "unlisted.onnx"
    shutil.copyfile(fp32, renamed)
    with pytest.raises(ModelError, match="not listed"):
        load_scorer(renamed)


@pytest.fixture(scope="module")
def windows(tiny_corpus_dir):
    from export.calibration import calibration_windows, heldout_windows

    return calibration_windows(tiny_corpus_dir, 128), heldout_windows(tiny_corpus_dir, 128)


def test_int8_ships_only_within_its_parity_bounds_and_says_why_not(checkpoints, windows, tmp_path, monkeypatch):
    from export import parity
    from export.scorers import export_one

    calibration, heldout = windows
    assert calibration.shape[1:] == heldout.shape[1:] == (60, 72) and len(heldout) > 10
    manifest = tmp_path / "manifest.json"
    entries = {e["file"]: e for e in export_one(checkpoints["transformer_hybrid"], tmp_path, manifest,
                                                 calibration=calibration, heldout=heldout)}
    name = "scorer_transformer_hybrid.int8.onnx"
    listed = json.loads(manifest.read_text())
    if "dropped" in entries[name]:
        assert not (tmp_path / name).exists() and name not in listed["artifacts"]
        assert listed["not_shipped"][name]["attempts"]
    else:
        e = listed["artifacts"][name]
        assert e["precision"] in ("int8", "int8-dynamic") and e["bytes"] < entries["scorer_transformer_hybrid.onnx"]["bytes"]
        assert e["parity"]["mean_drift_points"] <= parity.MAX_MEAN_DRIFT
        assert e["parity"]["grade_agreement"] >= parity.MIN_GRADE_AGREEMENT
        tries = e["quantisation"]["attempts"]
        assert tries[-1]["verdict"] == "within bounds" and all(t.get("verdict") != "within bounds" for t in tries[:-1])
        # the box runs it, and it scores like fp32 within the bound
        monkeypatch.setattr(WindowScorer, "manifest_path", manifest)
        scores, logits, _ = load_scorer(tmp_path / name).run(heldout)
        assert scores.shape == (len(heldout), 5)

    # Bounds no artefact can meet: the int8 file leaves the manifest, with each try's figures and the reason.
    monkeypatch.setattr(parity, "MAX_MEAN_DRIFT", -1.0)
    entries = {e["file"]: e for e in export_one(checkpoints["transformer_hybrid"], tmp_path, manifest,
                                                 calibration=calibration, heldout=heldout)}
    listed = json.loads(manifest.read_text())
    assert "dropped" in entries[name] and not (tmp_path / name).exists()
    assert name not in listed["artifacts"] and "scorer_transformer_hybrid.onnx" in listed["artifacts"]
    reason = listed["not_shipped"][name]["reason"]
    assert "static QDQ int8" in reason and "dynamic int8" in reason and "mean drift" in reason


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_the_written_out_recurrent_layer_computes_what_torch_does(kind):
    from export.unrolled import unrolled_copy

    torch.manual_seed(1)
    model = WindowModel(kind, "hybrid", width=16).eval()
    copy, replaced = unrolled_copy(model)
    assert replaced == 2 and not any(isinstance(m, (torch.nn.GRU, torch.nn.LSTM)) for m in copy.modules())
    x = torch.randn(3, 60, 72)
    with torch.no_grad():
        for a, b in zip(model.outputs(x)[:2], copy.outputs(x)[:2]):
            assert torch.allclose(a, b, atol=1e-4)
    assert any(isinstance(m, (torch.nn.GRU, torch.nn.LSTM)) for m in model.modules())     # the original is kept


def test_integer_tflite_tensors_are_fed_and_read_through_their_scale():
    from edge.litert import from_output as _from_tensor, to_input as _to_tensor

    detail = {"dtype": np.int8, "quantization": (0.5, -3)}
    q = _to_tensor(np.array([[-1.0, 0.0, 2.0, 1000.0]], np.float32), detail)
    assert q.dtype == np.int8 and q.tolist() == [[-5, -3, 1, 127]]        # clipped to the int8 range
    assert _from_tensor(q, detail).tolist() == [[-1.0, 0.0, 2.0, 65.0]]
    assert _to_tensor(np.ones((1, 2)), {"dtype": np.float32, "quantization": (0.0, 0)}).dtype == np.float32


def test_the_box_side_never_imports_torch():
    code = ("import sys, edge.scoring.learned.onnx, edge.scoring.learned.tflite, edge.scoring.learned.base;"
            "bad = [m for m in ('torch', 'training', 'export', 'onnx') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
