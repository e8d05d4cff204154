"""The with-reference whole-take scorer on the box (issue 13): `perfscore analyze MEDIA --reference REF --model
models/scorer_gru_ref.onnx` builds the model's (W, 60, 98) input from the box's own comparison with the reference,
gives the torch checkpoint's scores on it, scores a wrong-note copy's interpretation lower, and refuses to score
without a reference, naming the model and what is missing.

Media: generated performances (fluidsynth) of two pieces on two instruments at two tempi, each with its written
score as the MIDI reference and a copy with 30 % wrong notes; pieces, instruments, tempi and seeds used nowhere
else in the scorer tests."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json

import numpy as np
import pytest

from edge import PROJECT_ROOT
from edge.config import load_settings
from edge.errors import ModelError
from edge.features.reference_frames import (COL, REFERENCE_NAMES, SUMMARY_NAMES, reference_frames,
                                            reference_inputs, reference_summary)
from edge.features.sequence import feature_sequence
from edge.models import sha256_of
from edge.scoring import score, score_file
from edge.scoring.learned import load_scorer
from edge.scoring.learned.performance import PERFORMANCE_REF_LAYOUT, PerformanceScorer, TakeReference, take_subscores
from edge.scoring.learned.windows import N_FEATURES, frames_of, stack_windows, window_starts
from edge.scoring.result import SUBSCORES

MODELS = PROJECT_ROOT / "models"
CHECKPOINT = MODELS / "checkpoints" / "round2" / "gru_ref.pt"
MANIFEST = json.loads((MODELS / "manifest.json").read_text())
FILES = sorted(n for n in MANIFEST["artifacts"] if n.startswith("scorer_gru_ref."))
PIECES = [dict(piece_id="bach-bwv403", instrument="flute", tempo_bpm=92.0, seed=5),
          dict(piece_id="mozart-k155-1", instrument="violin", tempo_bpm=126.0, seed=9)]


@pytest.fixture(scope="module", params=PIECES, ids=lambda p: p["piece_id"])
def takes(request, tmp_path_factory):
    """{clean, wrong}: each take's Scored (`analyze --reference score.mid --model scorer_gru_ref.onnx`)."""
    from training.data.music import make_music_clip
    from training.data.performance import CLEAN_EXPRESSIVE, Faults

    folder = tmp_path_factory.mktemp("ref-box")
    settings = load_settings()
    out = {}
    for stem, faults in (("clean", Faults()), ("wrong", Faults(wrong_note_rate=0.3))):
        make_music_clip(folder, stem=stem, faults=faults, expression=CLEAN_EXPRESSIVE, max_beats=16,
                        sample_rate=settings.audio.sample_rate, **request.param)
    for stem in ("clean", "wrong"):
        # both takes against the written score (the clean take's reference file: the same score)
        out[stem] = score_file(folder / f"{stem}.wav", settings, discipline="music",
                               reference=folder / "clean.ref.mid", model=MODELS / "scorer_gru_ref.onnx")
    out["folder"] = folder
    return out


@pytest.fixture(scope="module")
def torch_model():
    from training.scorers.checkpoint import load_performance_checkpoint

    return load_performance_checkpoint(CHECKPOINT)[0]


def box_windows(analysis) -> np.ndarray:
    """The box plugin's input for a take: what `PerformanceScorer.inputs` builds from the analysis."""
    scorer = load_scorer(MODELS / "scorer_gru_ref.onnx")
    sequence = feature_sequence(analysis.pose, analysis.audio, analysis.duration_s)
    frames = scorer.inputs(sequence, "music", TakeReference.of(analysis))
    return stack_windows(frames, window_starts(len(frames)))


def test_the_export_is_listed_with_the_reference_layout():
    assert "scorer_gru_ref.onnx" in FILES
    assert "scorer_gru_ref.int8.onnx" in FILES or MANIFEST["not_shipped"]["scorer_gru_ref.int8.onnx"]["reason"]
    for name in FILES:
        entry = MANIFEST["artifacts"][name]
        spec = entry["scorer"]
        assert spec["layout"] == PERFORMANCE_REF_LAYOUT and spec["task"] == "with_reference"
        # ONNX: any number of windows W; TFLite: a fixed MAX windows plus a mask (the manifest's max_windows)
        takes_windows = spec["max_windows"] if name.endswith(".tflite") else "W"
        assert entry["inputs"]["windows"]["shape"] == [takes_windows, 60, N_FEATURES + len(spec["reference_inputs"])] \
            == [takes_windows, 60, 98]
        assert spec["reference_inputs"] == list(REFERENCE_NAMES) + list(SUMMARY_NAMES)
        assert entry["provenance"]["checkpoint_sha256"] == sha256_of(CHECKPOINT)
        assert entry["parity"]["takes"] >= 100 and entry["parity"]["grade_agreement"] >= 0.98


def test_the_box_input_is_the_frames_then_the_comparison_as_training_built_it(takes):
    """72 frame features of edge.features, then the reference channels and summary laid out as
    round2_reference.reference_task_clips laid them out for training (reference_inputs)."""
    for stem in ("clean", "wrong"):
        analysis = takes[stem].analysis
        sequence = feature_sequence(analysis.pose, analysis.audio, analysis.duration_s)
        windows = box_windows(analysis)
        frames = frames_of(sequence, "music")
        comparison = analysis.reference
        want = np.concatenate([frames, reference_inputs(reference_frames(comparison, sequence.times),
                                                        reference_summary(comparison))], axis=1)
        np.testing.assert_array_equal(windows, stack_windows(want, window_starts(len(want))))
    # the wrong notes the box heard are in the input: more of the take's time held by a wrong note
    wrong, clean = (box_windows(takes[s].analysis)[..., N_FEATURES + COL["note_wrong"]].mean()
                    for s in ("wrong", "clean"))
    assert wrong > clean + 0.1


@pytest.mark.parametrize("name", FILES)
def test_the_plugin_gives_the_torch_models_scores_and_wrong_notes_lose_interpretation(name, takes, torch_model):
    import torch

    from training.scorers.hierarchical import PerformanceExport

    entry = MANIFEST["artifacts"][name]
    # the manifest's own tolerance: fp32 within its parity tolerance, int8 within its largest drift on test takes
    bound = (entry["metrics"].get("parity_tolerance_points", 0.01) if entry["precision"] == "fp32"
             else entry["parity"]["max_drift_points"])
    scorer = load_scorer(MODELS / name)
    assert isinstance(scorer, PerformanceScorer) and scorer.needs_reference
    interpretation = {}
    for stem in ("clean", "wrong"):
        windows = box_windows(takes[stem].analysis)
        with torch.no_grad():
            expected = PerformanceExport(torch_model)(torch.from_numpy(windows)).numpy()[0]
        got = scorer.run(windows)[0][0]
        a, b = (take_subscores(v, "music", "with_reference") for v in (got, expected))
        assert a["interpretation"] is not None and a["sync"] is None
        for k in a:
            assert (a[k] is None) == (b[k] is None)
            if a[k] is not None:
                assert abs(a[k] - b[k]) <= bound + 1e-4, (stem, k, a[k], b[k])
        interpretation[stem] = a["interpretation"]
        if name == "scorer_gru_ref.onnx":
            # `analyze --reference --model` reported what the plugin computes on that input
            learned = takes[stem].learned
            assert [learned.value(k) for k in SUBSCORES] == [a[k] for k in SUBSCORES]
            assert learned.value("interpretation") is not None and learned.subscores["interpretation"].model.name == "gru_ref"
    assert interpretation["wrong"] < interpretation["clean"] - 5.0


def test_the_checkpoint_scores_like_its_export_with_the_reference(takes):
    """`analyze --reference --model models/checkpoints/round2/gru_ref.pt` (the train extra): torch in the same plugin."""
    settings = load_settings()
    pt = score(takes["wrong"].analysis, settings, discipline="music", model=CHECKPOINT).learned
    box = takes["wrong"].learned
    assert pt.grade == box.grade and pt.overall == pytest.approx(box.overall, abs=0.01)
    assert pt.value("interpretation") == pytest.approx(box.value("interpretation"), abs=0.01)


@pytest.mark.parametrize("model", [MODELS / "scorer_gru_ref.onnx", CHECKPOINT], ids=["onnx", "pt"])
def test_without_a_reference_the_model_refuses_naming_itself_and_the_missing_reference(model, takes):
    settings = load_settings()
    alone = dataclasses.replace(takes["clean"].analysis, reference=None)
    with pytest.raises(ModelError, match=f"{model.name}: this model \\(gru_ref, task with_reference\\) needs "
                                         "--reference.*no reference was given"):
        score(alone, settings, discipline="music", model=model)


def test_analyze_without_reference_says_so_on_the_command_line(takes):
    from edge.cli.main import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["analyze", str(takes["folder"] / "clean.wav"), "--discipline", "music",
                     "--model", str(MODELS / "scorer_gru_ref.onnx")])
    assert code != 0
    assert "scorer_gru_ref.onnx" in err.getvalue() and "needs --reference" in err.getvalue()


def test_a_reference_the_box_could_not_compare_is_named_in_the_refusal(takes):
    """A comparison that failed (its reason in the analysis's warnings) is not zero-filled: the refusal says why."""
    settings = load_settings()
    failed = dataclasses.replace(takes["clean"].analysis, reference=None,
                                 warnings=["reference clean.ref.mid: no notes in part 'flute'"])
    with pytest.raises(ModelError, match="needs --reference.*no notes in part 'flute'"):
        score(failed, settings, discipline="music", model=MODELS / "scorer_gru_ref.onnx")


def test_a_dance_take_gets_the_input_training_built_mirror_evidence_included(monkeypatch):
    """A corpus recipe with a mirrored phrase, measured against its family's reference take the way the
    with-reference training set was (round2_reference.measure_clip); the box plugin, given that analysis
    (its comparison and both pose tracks), builds the same 26 reference inputs — per-step mirror evidence
    and the take summary included."""
    import edge.analysis
    from training.data.corpus_spec import dance_family
    from training.scorers.round2_reference import measure_clip

    clean = dance_family(11, "dance_b", 0, 1)[0]
    phrase = tuple(range(4, 9))
    spec = dataclasses.replace(clean, id=clean.id + "-phrase", faults={"mirror_beats": phrase})
    seen, measure = [], edge.analysis.measure

    def keep(*args, **kwargs):
        seen.append(measure(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(edge.analysis, "measure", keep)
    measured = measure_clip(spec)
    analysis = seen[-1]
    assert analysis.reference_pose is not None          # the analysis keeps the poses it compared against
    scorer = load_scorer(MODELS / "scorer_gru_ref.onnx")
    sequence = feature_sequence(analysis.pose, analysis.audio, analysis.duration_s)
    frames = scorer.inputs(sequence, "dance", TakeReference.of(analysis))
    np.testing.assert_allclose(frames[:, N_FEATURES:], reference_inputs(measured.frames, measured.summary),
                               atol=1e-6)
    # known answer: the mirror evidence is high where the phrase was danced mirrored
    times = sequence.times
    beats = spec.first_beat_s + 60.0 / spec.bpm * np.array([phrase[0], phrase[-1] + 1])
    inside = (times >= beats[0]) & (times < beats[1])
    ev = frames[:, N_FEATURES + COL["dance_mirror_evidence"]]
    assert ev[inside].mean() > ev[~inside].mean() + 0.3
    result = scorer.score(sequence, "dance", reference=TakeReference.of(analysis))
    assert result.value("interpretation") is not None and result.value("sync") is not None


def test_with_reference_checkpoints_load_with_their_layout_and_export_to_onnx(tmp_path):
    """Both contexts of the with-reference model: the checkpoint records performance-ref-1, loads back to the
    same outputs (a file written before the layout said so loads by its task), and the ONNX export takes any
    number of 98-wide windows with torch's scores."""
    import torch

    from export.scorers_round2 import export_take_onnx, onnx_scores, torch_scores
    from training.scorers.checkpoint import load_performance_checkpoint, save_performance_checkpoint
    from training.scorers.round2_reference import make_reference_model

    torch.manual_seed(3)
    f = 98
    rng = np.random.default_rng(3)
    takes = [(rng.normal(size=(n, f)).astype(np.float32), "music") for n in (45, 200, 371)]
    for context in ("hier", "mean"):
        model = make_reference_model("gru", context, 16, 0.0, np.zeros(f, np.float32), np.ones(f, np.float32)).eval()
        if context == "mean":
            torch.nn.init.normal_(model.correction[-1].weight)
        path = save_performance_checkpoint(model, tmp_path / f"{context}.pt", key=f"t_{context}", task="with_reference",
                                           labels="perfscore.rubric-labels/2")
        loaded, data = load_performance_checkpoint(path)
        assert data["layout"] == PERFORMANCE_REF_LAYOUT
        np.testing.assert_array_equal(torch_scores(loaded, takes), torch_scores(model, takes))
        legacy = torch.load(path, weights_only=False)
        legacy["layout"] = "perfscore.scorer-input/performance-1"
        torch.save(legacy, tmp_path / "legacy.pt")
        assert load_performance_checkpoint(tmp_path / "legacy.pt")[1]["layout"] == PERFORMANCE_REF_LAYOUT
        onnx = tmp_path / f"{context}.onnx"
        export_take_onnx(loaded, onnx, stack_windows(takes[0][0], window_starts(len(takes[0][0]))))
        np.testing.assert_allclose(onnx_scores(onnx, takes), torch_scores(model, takes), atol=0.01)
    bad = torch.load(path, weights_only=False)
    bad["task"] = "with_score"
    torch.save(bad, tmp_path / "bad.pt")
    with pytest.raises(ModelError, match="bad.pt: task 'with_score'"):
        load_performance_checkpoint(tmp_path / "bad.pt")
