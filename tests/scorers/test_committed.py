"""The committed learned scorers: every checkpoint has its exported model in the manifest, the
report covers every architecture and fusion, and `perfscore analyze --model` scores a real
recording with them (the sample dance, on the beat and with its audio 250 ms late)."""

import json
import subprocess
import sys

import pytest

from edge import MODELS_DIR, PROJECT_ROOT
from edge.models import load_manifest, verify_model
from edge.scoring.result import GRADES, SUBSCORES
from training.scorers.experiment import ALL_KEYS

CHECKPOINTS = MODELS_DIR / "checkpoints"
SAMPLES = PROJECT_ROOT / "samples"


def test_every_architecture_and_fusion_has_a_checkpoint_and_a_verified_onnx_model():
    manifest = load_manifest()["artifacts"]
    assert sorted(p.stem for p in CHECKPOINTS.glob("*.pt")) == sorted(ALL_KEYS)
    for key in ALL_KEYS:
        entry = verify_model(MODELS_DIR / f"scorer_{key}.onnx")          # raises on a sha256 mismatch
        assert entry["provenance"]["checkpoint"] == f"models/checkpoints/{key}.pt"
        assert entry["scorer"]["key"] == key and f"scorer_{key}.onnx" in manifest


def test_the_report_has_every_model_in_the_papers_layout():
    results = json.loads((PROJECT_ROOT / "reports" / "scorers" / "results.json").read_text())
    for key in ("cnn", "lstm", "gru", "transformer", *ALL_KEYS):
        r = results[key]
        for metric in ("accuracy", "precision", "recall", "f1"):
            assert 0.0 <= r[metric] <= 1.0, (key, metric)
        for name in SUBSCORES:
            assert r["subscores"][name]["mae"] >= 0 and -1 <= r["subscores"][name]["spearman"] <= 1
    assert (PROJECT_ROOT / "reports" / "scorers" / "domain_gap.md").exists()


def _learned(media, model, *config):
    done = subprocess.run([sys.executable, "-m", "edge.cli.main", *config, "analyze", str(media), "--model", str(model),
                           "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["learned"]


@pytest.fixture(scope="module")
def on_beat():
    return _learned(SAMPLES / "dance_on_beat.mp4", MODELS_DIR / "scorer_gru.onnx")


def test_analyze_with_the_committed_model_puts_learned_scores_and_explanations_beside_the_rubric(on_beat):
    assert set(on_beat["subscores"]) == set(SUBSCORES) and on_beat["grade"] in GRADES
    assert 0 <= on_beat["overall"] <= 100
    explanation = on_beat["explanation"]
    assert abs(sum(s["share"] for s in explanation["seconds"]) - 1.0) < 0.01
    assert explanation["seconds"][-1]["end_s"] == pytest.approx(on_beat["end_s"], abs=1.0)
    assert set(explanation["modalities"]) == {"pose", "audio"}


def test_the_box_model_and_its_checkpoint_agree_on_a_real_recording(on_beat):
    from_checkpoint = _learned(SAMPLES / "dance_on_beat.mp4", CHECKPOINTS / "gru.pt")
    for name in SUBSCORES:
        assert from_checkpoint["subscores"][name]["value"] == pytest.approx(on_beat["subscores"][name]["value"], abs=0.5)


def test_audio_250ms_late_lowers_the_learned_sync(on_beat):
    shifted = _learned(SAMPLES / "dance_shifted_250ms.mp4", MODELS_DIR / "scorer_gru.onnx")
    assert on_beat["subscores"]["sync"]["value"] > shifted["subscores"]["sync"]["value"] + 10


def test_the_learned_overall_follows_the_boxes_configured_weights(on_beat, tmp_path):
    config = tmp_path / "box.yaml"
    config.write_text("scoring:\n  weights: {rhythm: 0, sync: 0, technique: 0, expression: 1, interpretation: 0}\n")
    only_expression = _learned(SAMPLES / "dance_on_beat.mp4", MODELS_DIR / "scorer_gru.onnx", "--config", str(config))
    assert only_expression["overall"] == pytest.approx(only_expression["subscores"]["expression"]["value"], abs=0.01)
    assert only_expression["overall"] != pytest.approx(on_beat["overall"], abs=0.5)
