"""The deletion and pointing tests (training/scorers/explain_eval.py) on constructed cases with known answers,
and the sign the box's explanations now carry."""

import json

import numpy as np
import pytest

from edge.features.sequence import FRAME_RATE, POSE_DIM
from edge.scoring.learned.explain import summarize, window_saliency
from edge.scoring.learned.windows import stack_windows, window_starts
from training.scorers import explain_eval as ev

COLUMN = POSE_DIM + 3            # an audio column: the stub scores by its mean
SECONDS = 10
FAULTY_SECONDS = (2, 7)


def take(low_seconds=(), seed=0) -> np.ndarray:
    """Frames whose scoring column is 1, except 0 in `low_seconds` (the faults); other columns noise."""
    frames = np.random.default_rng(seed).normal(0, 0.3, (SECONDS * 30, 72)).astype(np.float32)
    frames[:, COLUMN] = 1.0
    for s in low_seconds:
        frames[s * 30:(s + 1) * 30, COLUMN] = 0.0
    return frames


def run_windows(windows: np.ndarray):
    """A window scorer whose every sub-score is 100 x the window's mean of COLUMN."""
    v = 100 * windows[:, :, COLUMN].mean(axis=1, keepdims=True)
    return np.repeat(v, 5, axis=1), np.zeros((len(windows), 5))


def explained(signed_seconds=None) -> ev.Explained:
    """The stub as a box model: overall = mean of window scores, explanation = the box's occlusion +
    summarize (baseline 0.5 for COLUMN, the corpus mean of a column that is 0 or 1)."""
    baseline = np.zeros(72, np.float32)
    baseline[COLUMN] = 0.5

    def overall(frames, discipline):
        return float(run_windows(stack_windows(frames, window_starts(len(frames))))[0].mean())

    def signed(frames, discipline):
        features, time, _ = window_saliency(run_windows, frames, baseline, lambda s: float(np.mean(s)), discipline)
        return ev.signed_of(summarize(features, frames, method="occlusion", discipline=discipline,
                                      time_saliency=time))

    return ev.Explained("stub", overall, signed_seconds or signed)


def test_the_box_explanation_is_signed_lost_seconds_are_the_faults():
    frames = take(FAULTY_SECONDS)
    baseline = np.zeros(72, np.float32)
    baseline[COLUMN] = 0.5
    features, time, _ = window_saliency(run_windows, frames, baseline, lambda s: float(np.mean(s)), "music")
    out = summarize(features, frames, method="occlusion", discipline="music", time_saliency=time, top=3)
    assert out["signed"] is True
    assert sorted(out["lost_seconds"]) == sorted(FAULTY_SECONDS)          # only the two faults lost points
    assert all(s not in FAULTY_SECONDS for s in out["gained_seconds"]) and len(out["gained_seconds"]) == 3
    signed = np.array([s["signed"] for s in out["seconds"]])
    assert (signed[list(FAULTY_SECONDS)] < 0).all() and (np.delete(signed, FAULTY_SECONDS) > 0).all()
    # magnitudes alone cannot tell them apart: every second moves the score by about as much
    assert abs(sum(s["share"] for s in out["seconds"]) - 1) < 0.01 and abs(signed).sum() == pytest.approx(1, abs=0.01)


def test_attention_explanations_say_they_carry_no_sign():
    frames = take()
    out = summarize(np.abs(frames), frames, method="attention (seconds, notes) + occlusion (limbs, audio features)")
    assert out["signed"] is False and out["lost_seconds"] == [] and "signed" not in out["seconds"][0]
    # the evaluator then ranks by magnitude (most salient first)
    assert np.argmin(ev.signed_of(out)) == int(np.argmax([s["share"] for s in out["seconds"]]))


def test_deletion_replaces_the_lost_seconds_and_beats_random_seconds():
    model, faulty, clean = explained(), take(FAULTY_SECONDS), take(seed=1)
    trial = ev.deletion_trial(model, faulty, clean, "music", np.random.default_rng(0), k_values=(1, 2, 3), draws=10)
    # each faulty second is half of two of the nine 2-s windows: 100 x 2 x 2 x 0.5 / 9 points
    assert trial["whole_gain"] == pytest.approx(100 * 2 / 9, abs=0.5)
    assert trial["k"][1]["salient"][0] in FAULTY_SECONDS
    assert sorted(trial["k"][2]["salient"]) == sorted(FAULTY_SECONDS)
    # both faults replaced: the whole gap to the clean take is closed
    assert trial["k"][2]["salient_gain"] == pytest.approx(trial["whole_gain"], abs=0.5)
    for k in (1, 2, 3):
        assert trial["k"][k]["passed"] and trial["k"][k]["salient_gain"] > trial["k"][k]["random_gain"] + 3


def test_deletion_with_an_uninformative_explanation_fails_the_test():
    """The same take explained by noise: the rate must drop far below the faithful explainer's."""
    noise = np.random.default_rng(5)
    liar = explained(lambda frames, d: noise.normal(size=int(np.ceil(len(frames) / FRAME_RATE))))
    faithful = explained()
    pairs = [({"id": f"c{i}", "discipline": "music", "group": f"p{i % 4}", "family": f"f{i}", "variant": 1},
              take((i % SECONDS, (i + 3) % SECONDS), seed=i), take(seed=100 + i)) for i in range(12)]
    good = ev.evaluate(faithful, pairs, k_values=(1,), draws=8, bootstrap=200)
    bad = ev.evaluate(liar, pairs, k_values=(1,), draws=8, bootstrap=200)
    assert good["rates"]["music"]["deletion"]["k1"]["rate"]["value"] == 1.0
    assert bad["rates"]["music"]["deletion"]["k1"]["rate"]["value"] <= 0.5
    ci = good["rates"]["all"]["deletion"]["k1"]["rate"]["ci95"]
    assert ci[0] <= 1.0 <= ci[1] + 1e-9 and good["rates"]["all"]["deletion"]["k1"]["rate"]["sources"] == 4


def test_candidate_seconds_stop_at_the_shorter_take():
    faulty, clean = take(), take()[:200]                      # a music sibling 6.7 s long
    assert list(ev.candidate_seconds(faulty, clean)) == list(range(7))
    out = ev.replace_seconds(faulty, clean, [6])
    assert np.array_equal(out[180:200], clean[180:200]) and np.array_equal(out[200:], faulty[200:])


def test_dance_fault_spans_follow_the_beat_grid():
    meta = {"bpm": 120.0, "first_beat_s": 1.0,
            "faults": {"freeze_beats": [4], "mirror_beats": [10, 12], "timing_offset_s": 0.1}}
    spans = ev.dance_fault_spans(meta)
    # beat k at 1.0 + 0.5 k + 0.1: the freeze is the interval leading into beat 4 (2.6–3.1 s)
    assert spans["freeze"] == [pytest.approx((2.6, 3.1))]
    assert ev.fault_seconds(spans["freeze"], 10) == {2, 3}
    assert ev.fault_seconds(spans["mirror"], 10) == {5, 6, 7}              # 5.6–6.6 and 6.6–7.6 s
    trial = ev.pointing_trial(np.array([0.1, 0, 0, -0.3, 0, 0, -0.1, 0, 0, 0]), spans, 10)
    assert trial["freeze"]["hit"] and not trial["mirror"]["hit"]
    assert trial["freeze"]["chance"] == pytest.approx(0.2) and trial["mirror"]["chance"] == pytest.approx(0.3)


def test_music_wrong_notes_are_found_by_performing_the_recipe_again():
    from training.data.corpus_spec import music_family
    from training.data.scores import load_melody

    full = load_melody("bach-bwv66.6")
    onsets = np.array([n.onset_beats for n in full.notes])
    specs = music_family(3, "bach-bwv66.6", 0, 8, onsets, full.duration_beats)
    spec = next(s for s in specs if s.faults.get("wrong_note_rate"))
    meta = {**spec.__dict__}
    spans = ev.music_fault_spans(meta)["wrong_notes"]
    assert spans and all(0 <= lo < hi for lo, hi in spans)
    clean_meta = {**specs[0].__dict__}
    assert ev.music_fault_spans(clean_meta) == {}


def test_cli_names_a_missing_model_file(tmp_path, capsys):
    from edge.cli.main import main

    code = main(["train", "scorers", "explanations", "--models", str(tmp_path / "nope.onnx"),
                 "--out", str(tmp_path / "x.json")])
    assert code != 0 and "nope.onnx" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_cli_names_an_unknown_explainer(tmp_path, capsys):
    from edge.cli.main import main

    code = main(["train", "scorers", "explanations", "--models", "models/scorer_gru.onnx", "--explainers", "shap",
                 "--out", str(tmp_path / "x.json")])
    assert code != 0 and "shap" in capsys.readouterr().err


def test_removal_explainer_finds_the_faulty_seconds():
    model = ev.removal_explainer(explained())
    signed = model.signed_seconds(take(FAULTY_SECONDS), "music")
    assert sorted(np.argsort(signed)[:2]) == sorted(FAULTY_SECONDS) and (signed[list(FAULTY_SECONDS)] < 0).all()


def test_committed_models_end_to_end_on_a_rendered_corpus(tiny_corpus_dir, tmp_path):
    """The shipped window scorer and whole-take scorer through run(): real files, real test-split siblings
    (the tiny corpus's test piece), the results.json block and the README section."""
    from pathlib import Path
    import shutil

    root = Path(__file__).resolve().parents[2]
    models = [root / "models" / "scorer_gru.onnx", root / "models" / "scorer_lstm_hier.onnx"]
    shutil.copy(root / "reports" / "scorers" / "round2" / "results.json", tmp_path / "results.json")
    result = ev.run(tiny_corpus_dir, models, tmp_path / "explanations.json", draws=3, bootstrap=50,
                    explainers=("box", "removal"), command="perfscore train scorers explanations")
    pairs = ev.faulty_with_siblings(tiny_corpus_dir)
    assert result["faulty_test_clips"] == len(pairs) > 0
    assert all(e["split"] == "test" and e["variant"] != 0 for e, _, _ in pairs)
    assert set(result["models"]) == {"scorer_gru.onnx", "scorer_gru.onnx+removal", "scorer_lstm_hier.onnx",
                                     "scorer_lstm_hier.onnx+removal"}
    box = result["models"]["scorer_lstm_hier.onnx"]
    assert box["explanation"] == {"method": "removal of each second (time) + occlusion (limbs, audio features) "
                                            "over the whole take", "signed": True}
    rate = box["rates"]["all"]["deletion"]["k1"]["rate"]
    assert 0 <= rate["value"] <= 1 and rate["clips"] == len(pairs)
    trials = json.loads((tmp_path / "explanations-trials.json").read_text())["scorer_gru.onnx"]
    assert len(trials) == len(pairs) and all(len(t["deletion"]["k"]["1"]["salient"]) == 1 for t in trials)
    assert ev.merge_into_results(result, tmp_path / "results.json")
    merged = json.loads((tmp_path / "results.json").read_text())
    assert merged["explanations"]["models"]["scorer_gru.onnx"]["rates"]["all"]["deletion_k2"]["value"] is not None
    readme = (tmp_path / "README.md").read_text()
    assert "## Explanations" in readme and "scorer_lstm_hier.onnx+removal" in readme
