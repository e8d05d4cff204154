"""Round 2 (issue 13): visible-only labels, the rubric's calibration, the source bootstrap, heads that match
the labels, whole-take models, and the rubric pass re-rendering the very clip the corpus holds."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge.config.scoring import GradesConfig, WeightsConfig
from edge.scoring.result import SUBSCORES, grade_of, overall_score
from training.data.labels import REFERENCE_ONLY, label

INTERP = SUBSCORES.index("interpretation")


# ---------------------------------------------------------------- visible-only labels

DANCE = {"timing_offset_s": 0.05, "timing_jitter_s": 0.03, "amplitude_loss": 0.2, "freeze_fraction": 0.1,
         "mirror_fraction": 0.0, "jerkiness": 0.3, "pose_deviation_deg": 0.0}
MUSIC = {"onset_jitter_ms": 20.0, "tempo_instability": 0.02, "wrong_note_rate": 0.0, "missed_note_rate": 0.0,
         "detune_cents": 10.0, "pitch_jitter_cents": 5.0, "flat_dynamics": 0.3, "no_rubato": 0.2}


@pytest.mark.parametrize("discipline,sizes,fault,size", [
    ("dance", DANCE, "mirror_fraction", 0.4), ("dance", DANCE, "pose_deviation_deg", 25.0),
    ("music", MUSIC, "wrong_note_rate", 0.3), ("music", MUSIC, "missed_note_rate", 0.3)])
def test_visible_only_labels_ignore_reference_only_faults(discipline, sizes, fault, size):
    assert fault in REFERENCE_ONLY
    before = label(discipline, sizes, visible_only=True)
    after = label(discipline, sizes | {fault: size}, visible_only=True)
    np.testing.assert_array_equal(before.vector(), after.vector())
    assert before.overall == after.overall and before.grade == after.grade
    assert np.isnan(after.vector()[INTERP])
    # ...while the with-a-reference labels do lose points for it
    assert label(discipline, sizes | {fault: size}).overall < label(discipline, sizes).overall


def test_visible_only_labels_follow_visible_faults_and_the_contract():
    clean = label("music", MUSIC, visible_only=True)
    jittery = label("music", MUSIC | {"onset_jitter_ms": 60.0}, visible_only=True)
    assert jittery.subscores["rhythm"] < clean.subscores["rhythm"]
    subs = {k: (None if np.isnan(v) else v) for k, v in jittery.subscores.items()}
    assert jittery.overall == pytest.approx(overall_score(subs, WeightsConfig()))
    assert jittery.grade == grade_of(jittery.overall, GradesConfig())
    # without interpretation the other four keep their with-reference values
    full = label("music", MUSIC | {"onset_jitter_ms": 60.0})
    for name in ("rhythm", "technique", "expression"):
        assert jittery.subscores[name] == full.subscores[name]


# ---------------------------------------------------------------- calibration

def _rows(values, name="rhythm"):
    return [{name: float(v)} for v in values]


def test_calibration_is_monotone_and_refuses_test_clips():
    from training.scorers.calibrate import RubricCalibration

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, 200)
    y = np.full((200, 5), np.nan)
    y[:, 0] = np.clip(100 - 0.01 * (100 - x) ** 2 + rng.normal(0, 5, 200), 0, 100)   # increasing, noisy
    cal = RubricCalibration.fit(_rows(x), y, ["music"] * 200, ["fold1"] * 200)
    grid = cal.apply(_rows(np.linspace(-20, 120, 300)), ["music"] * 300)[:, 0]
    assert np.all(np.diff(grid) >= 0) and grid.min() >= 0 and grid.max() <= 100
    assert np.isnan(cal.apply(_rows([50.0]), ["music"])[0, 1])                  # sync: not judged, not invented
    assert cal.apply([{"rhythm": None}], ["music"])[0, 0] == pytest.approx(np.nanmean(y[:, 0]))
    with pytest.raises(ValueError, match="test"):
        RubricCalibration.fit(_rows(x), y, ["music"] * 200, ["fold1"] * 199 + ["test"])


def test_round2_fits_the_rubric_calibration_on_training_folds_only(tmp_path):
    """Training-fold clips: rubric value = label (45–100 here); test clips: rubric value = 145 − label, the
    same range reversed. Had the test clips shaped the map, it would not be the identity on their values."""
    from training.data.corpus_store import Corpus
    from training.scorers.round2 import TaskClips, rubric_block, task_targets

    entries, rubric = [], []
    rng = np.random.default_rng(1)
    for i in range(120):
        split = "test" if i % 3 == 0 else f"fold{i % 5}"
        sizes = {"onset_jitter_ms": float(rng.uniform(0, 60))}
        e = {"id": f"c{i}", "discipline": "music", "group": f"p{i % 7}", "family": f"f{i}", "variant": 0,
             "split": split, "sizes": sizes, "source": "synthetic"}
        r = float(task_targets(e)[0])
        rubric.append({"id": e["id"], "rhythm": r if split != "test" else 145.0 - r, "technique": 80.0,
                       "expression": 70.0, "interpretation": None, "sync": None})
        entries.append(e)
    (tmp_path / "rubric").mkdir()
    (tmp_path / "rubric" / "rubric-00000.json").write_text(json.dumps(rubric))
    corpus = Corpus(entries, [None] * len(entries), [None] * len(entries))
    test_entries = [e for e in entries if e["split"] == "test"]
    test = TaskClips([], np.array([task_targets(e) for e in test_entries]), test_entries, True)
    scores, info = rubric_block(tmp_path, corpus, True, test)
    assert info["fit_clips"] == 80
    given = np.array([r["rhythm"] for r in rubric if r["id"] in {e["id"] for e in test_entries}])
    # identity on the training folds' range: the calibrated test value is the test clip's own rubric value
    inside = (given >= 47) & (given <= 98)
    assert inside.sum() > 25
    np.testing.assert_allclose(scores[inside, 0], given[inside], atol=2.5)
    assert np.isnan(scores[:, INTERP]).all()


# ---------------------------------------------------------------- the bootstrap over sources

def _entries(groups: dict[str, int], discipline="music"):
    out = []
    for g, n in groups.items():
        out += [{"id": f"{g}{i}", "discipline": discipline, "group": g, "family": f"{g}-fam", "variant": i}
                for i in range(n)]
    return out


def test_bootstrap_resamples_whole_sources_not_clips():
    from training.scorers.bootstrap import replicates, with_ci

    entries = _entries({"A": 10, "B": 1})            # one source of 10 clips, one of 1
    value = np.array([0.0] * 10 + [1.0])
    only_a = 0
    means = []
    for idx, weight in replicates(entries, n=4000, seed=3):
        counts = np.bincount(idx, minlength=11)
        assert len(set(counts[:10])) == 1            # source A is in whole or not at all
        assert len(idx) == 10 * counts[0] + counts[10]
        np.testing.assert_array_equal(weight, counts)
        only_a += counts[10] == 0
        means.append({"mean": float(value[idx].mean())})
    assert only_a / 4000 == pytest.approx(0.25, abs=0.03)   # two sources drawn with replacement: P(A, A) = 1/4
    ci = with_ci({"mean": float(value.mean())}, means)["mean"]["ci95"]
    # the replicate means can only be 0 (A, A), 1/11 (A, B) or 1 (B, B): the interval spans 0 to 1,
    # where a clip bootstrap would have given about [0, 0.27]
    assert ci == [0.0, 1.0]


def test_bootstrap_keeps_disciplines_apart_and_pairs_follow_their_source():
    from training.scorers.bootstrap import Evaluation, bootstrap

    entries = _entries({"A": 3, "B": 3}, "music") + _entries({"M": 3}, "dance")
    targets = np.full((9, 5), np.nan)
    targets[:, 0] = [90, 60, 40] * 3
    targets[6:, 1] = 80.0
    targets[:, 2:4] = 80.0
    good = targets.copy()
    bad = targets.copy()
    bad[:, 0] = [40, 60, 90] * 3                      # every clean/faulty pair the wrong way round
    per_model, paired = bootstrap({"good": Evaluation(entries, targets, good), "bad": Evaluation(entries, targets, bad)},
                                  entries, n=200, seed=0,
                                  paired=lambda rep: {"d": rep["good"]["overall_mae"] - rep["bad"]["overall_mae"]})
    assert per_model["good"]["overall_mae"]["value"] == 0.0
    assert per_model["good"]["clean_above_faulty"]["value"] == 1.0
    assert per_model["bad"]["clean_above_faulty"]["value"] == 0.0
    assert per_model["good"]["band_accuracy"]["ci95"] == [1.0, 1.0]
    assert paired["d"]["value"] < 0 and paired["d"]["share_below_zero"] == 1.0


# ---------------------------------------------------------------- heads that match the labels

def test_grade_is_the_grade_of_the_predicted_overall_for_every_prediction():
    from training.scorers.round2 import performance_results

    rng = np.random.default_rng(5)
    entries = _entries({"A": 40}, "music") + _entries({"M": 40}, "dance")
    targets = np.zeros((80, 5))
    targets[:40, SUBSCORES.index("sync")] = np.nan
    targets[:, INTERP] = np.nan                                           # the without-a-reference task
    scores = rng.uniform(-10, 110, (80, 5))
    for row, e, s in zip(performance_results(entries, targets, scores), entries, scores):
        subs = {n: float(np.clip(v, 0, 100)) for n, v in zip(SUBSCORES, s)}
        subs["interpretation"] = None
        if e["discipline"] == "music":
            subs["sync"] = None
        overall = overall_score(subs, WeightsConfig())
        assert row["overall"] == pytest.approx(overall, abs=1e-3)
        assert row["grade"] == grade_of(row["overall"], GradesConfig())
        assert row["subscores"]["interpretation"] is None


def test_whole_take_models_have_one_output_per_subscore_and_ignore_padding():
    import torch

    from training.scorers.hierarchical import make_model, pad_performances, performance_input
    from training.scorers.models import WindowModel

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    long, short = rng.normal(size=(330, 72)).astype(np.float32), rng.normal(size=(150, 72)).astype(np.float32)
    x, mask = pad_performances([performance_input(long), performance_input(short)])
    assert mask.sum(1).tolist() == [10, 4]
    for context in ("mean", "hier"):
        model = make_model("gru", context, 16, 0.0).eval()
        with torch.no_grad():
            both = model(x, mask)
            alone = model(*pad_performances([performance_input(short)]))
        assert both.shape == (2, 5)
        torch.testing.assert_close(both[1], alone[0], atol=1e-4, rtol=1e-4)   # padding changes nothing
    window = make_model("gru", "mean", 16, 0.0).eval()
    assert isinstance(window.window, WindowModel)
    with torch.no_grad():
        per_window, _ = window.window(torch.from_numpy(performance_input(short)))
        torch.testing.assert_close(window(*pad_performances([performance_input(short)]))[0], per_window.mean(0))


# ---------------------------------------------------------------- the rubric pass

def test_rubric_pass_measures_the_very_clip_the_corpus_holds():
    """The captured pose track and samples give back the corpus's features bit for bit, and the box's
    rubric scores them without a reference (no interpretation)."""
    from edge.features.audio import extract_audio_features
    from edge.features.sequence import feature_sequence
    from training.data.corpus_render import AUDIO, render
    from training.data.corpus_spec import CorpusSize, plan
    from training.scorers.rubric_eval import _capturing, rubric_scores

    specs = plan(5, CorpusSize(1, 1, 2), motions=("walk",), pieces=("folk-lanigans-ball",)).specs
    for spec in (specs[1], specs[2]):
        with _capturing() as seen:
            record = render(spec)
        again = feature_sequence(seen.get("track"), extract_audio_features(seen["samples"], AUDIO), seen["duration"])
        np.testing.assert_array_equal(again.pose, record.sequence.pose)
        np.testing.assert_array_equal(again.audio, record.sequence.audio)
    scores = rubric_scores(specs[2])
    assert scores["interpretation"] is None and scores["sync"] is None
    assert all(0 <= scores[n] <= 100 for n in ("rhythm", "technique", "expression"))
    assert scores["grade"] == grade_of(scores["overall"], GradesConfig())


def test_hierarchical_model_exports_to_onnx_for_takes_of_any_length(tmp_path):
    import torch

    from training.scorers.hierarchical import export_onnx, make_model

    torch.manual_seed(1)
    rng = np.random.default_rng(2)
    model = make_model("gru", "hier", 16, 0.0)
    takes = [rng.normal(size=(t, 72)).astype(np.float32) for t in (300, 95, 620)]
    assert export_onnx(model, tmp_path / "hier.onnx", takes) < 1e-3      # scores on the 0–100 scale
