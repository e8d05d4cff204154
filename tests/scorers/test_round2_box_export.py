"""`perfscore export scorers --round2` on a small whole-take checkpoint and a generated corpus: the files, their
manifest entries (performance layout, parity on held-out takes) and the box's plugin scoring like torch."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from edge.errors import ModelError
from edge.features.sequence import FeatureSequence
from edge.scoring.learned import load_scorer
from edge.scoring.learned.base import WindowScorer
from edge.scoring.learned.performance import PERFORMANCE_LAYOUT, PerformanceScorer
from edge.scoring.learned.windows import frames_of, stack_windows, window_starts


@pytest.fixture(scope="module")
def checkpoint(tiny_corpus, tmp_path_factory):
    from training.scorers.checkpoint import save_performance_checkpoint
    from training.scorers.data import clips_from, feature_stats
    from training.scorers.hierarchical import make_model

    mean, std = feature_stats(clips_from(tiny_corpus))
    torch.manual_seed(0)
    model = make_model("gru", "hier", 16, 0.1, torch.from_numpy(mean), torch.from_numpy(std)).eval()
    return save_performance_checkpoint(model, tmp_path_factory.mktemp("r2") / "gru_hier.pt", key="gru_hier",
                                       task="without_reference", labels="test labels", trained={"note": "untrained"})


def test_checkpoint_round_trip_and_other_files_refused(checkpoint, tmp_path):
    from training.scorers.checkpoint import load_performance_checkpoint

    model, data = load_performance_checkpoint(checkpoint)
    assert (data["key"], data["task"], data["config"]["context"]) == ("gru_hier", "without_reference", "hier")
    assert data["layout"] == PERFORMANCE_LAYOUT and data["config"]["width"] == 16
    bad = tmp_path / "x.pt"
    torch.save({"format": "something else"}, bad)
    with pytest.raises(ModelError, match=f"{bad}: not a perfscore whole-take scorer checkpoint"):
        load_performance_checkpoint(bad)


def test_export_writes_the_performance_layout_and_the_plugin_scores_like_torch(checkpoint, tiny_corpus,
                                                                                tiny_corpus_dir, tmp_path, monkeypatch):
    from export import parity
    from export.scorers_round2 import FP32_TOLERANCE, export_performance
    from training.scorers.checkpoint import load_performance_checkpoint
    from training.scorers.hierarchical import PerformanceExport

    manifest = tmp_path / "manifest.json"
    entries = {e["file"]: e for e in export_performance(checkpoint, tmp_path, manifest, corpus=tiny_corpus_dir)}
    listed = json.loads(manifest.read_text())
    fp32 = listed["artifacts"]["scorer_gru_hier.onnx"]
    assert fp32["scorer"]["layout"] == PERFORMANCE_LAYOUT and fp32["inputs"]["windows"]["shape"] == ["W", 60, 72]
    assert fp32["parity"]["takes"] >= 2 and fp32["parity"]["max_drift_points"] <= FP32_TOLERANCE
    int8 = "scorer_gru_hier.int8.onnx"
    if "dropped" in entries[int8]:
        assert int8 not in listed["artifacts"] and listed["not_shipped"][int8]["attempts"]
    else:
        assert listed["artifacts"][int8]["parity"]["mean_drift_points"] <= parity.MAX_MEAN_DRIFT
        assert listed["artifacts"][int8]["parity"]["grade_agreement"] >= parity.MIN_GRADE_AGREEMENT

    monkeypatch.setattr(WindowScorer, "manifest_path", manifest)
    box = load_scorer(tmp_path / "scorer_gru_hier.onnx")
    assert isinstance(box, PerformanceScorer) and box.info.backend == "onnxruntime"
    model, _ = load_performance_checkpoint(checkpoint)
    lengths = set()
    for i, e in enumerate(tiny_corpus.entries[:6]):       # takes of different lengths: W is dynamic
        pose, audio = tiny_corpus.pose[i].astype(np.float32), tiny_corpus.audio[i].astype(np.float32)
        seq = FeatureSequence((np.arange(len(pose)) + 0.5) / 30, pose, audio)
        for seconds in (None, 4):          # the whole take and its first 4 s: W is dynamic
            frames = frames_of(seq, e["discipline"])[:None if seconds is None else seconds * 30]
            windows = stack_windows(frames, window_starts(len(frames)))
            lengths.add(len(windows))
            with torch.no_grad():
                expected = PerformanceExport(model)(torch.from_numpy(windows)).numpy()
            assert np.abs(box.run(windows)[0] - expected).max() <= FP32_TOLERANCE
    assert len(lengths) >= 2
