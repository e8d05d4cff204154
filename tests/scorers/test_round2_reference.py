"""Round 2 with a reference (issue 13): the box's alignment measurements as model inputs.

Known answers from the generator: wrong notes raise the wrong-note share the box measures against the
score, a mirrored phrase raises the mirror evidence where it was danced, a take danced wholly mirrored
sets the mirror flag; the with-reference labels judge interpretation; a clip the box cannot compare
is recorded with its reason and left out, never zero-filled."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from edge.features.reference_frames import COL, N_REFERENCE, N_SUMMARY, SUMMARY_NAMES, reference_frames
from edge.features.reference_music import MusicComparison, NoteComparison
from edge.features.notes import Notes
from edge.scoring.result import SUBSCORES

INTERP = SUBSCORES.index("interpretation")
SUMMARY = {n: i for i, n in enumerate(SUMMARY_NAMES)}


def _family(discipline: str):
    from training.data.corpus_spec import dance_family, music_family
    from training.data.scores import load_melody

    if discipline == "dance":
        return dance_family(3, "dance_a", 0, 1)[0]
    melody = load_melody("folk-lanigans-ball")
    return music_family(3, "folk-lanigans-ball", 0, 1, np.array([n.onset_beats for n in melody.notes]),
                        melody.duration_beats)[0]


@pytest.fixture(scope="module")
def music_pair():
    from training.scorers.round2_reference import measure_clip

    clean = _family("music")
    wrong = dataclasses.replace(clean, id=clean.id + "-wrong", faults={**clean.faults, "wrong_note_rate": 0.3})
    return measure_clip(clean), measure_clip(wrong)


@pytest.fixture(scope="module")
def dance_clips():
    from training.scorers.round2_reference import measure_clip

    clean = _family("dance")
    n_beats = int(np.floor((clean.duration_s - clean.first_beat_s) * clean.bpm / 60.0)) + 1
    phrase = tuple(range(6, 12))
    mirrored = dataclasses.replace(clean, id=clean.id + "-phrase", faults={"mirror_beats": phrase})
    whole = dataclasses.replace(clean, id=clean.id + "-whole", faults={"mirror_beats": tuple(range(n_beats))})
    beats = clean.first_beat_s + 60.0 / clean.bpm * np.array([phrase[0], phrase[-1] + 1])
    return measure_clip(clean), measure_clip(mirrored), measure_clip(whole), beats


def test_wrong_notes_raise_the_wrong_note_share_the_box_measures(music_pair):
    clean, wrong = music_pair
    assert clean.frames.shape[1] == N_REFERENCE and clean.summary.shape == (N_SUMMARY,)
    assert wrong.summary[SUMMARY["music_wrong_share"]] >= clean.summary[SUMMARY["music_wrong_share"]] + 0.15
    assert wrong.summary[SUMMARY["music_played_share"]] < clean.summary[SUMMARY["music_played_share"]]
    # per frame too: more of the take's time is held by a wrong note
    assert wrong.frames[:, COL["note_wrong"]].mean() > clean.frames[:, COL["note_wrong"]].mean() + 0.1
    # and the rubric given the reference loses interpretation points for them
    assert wrong.rubric["interpretation"] < clean.rubric["interpretation"]
    assert clean.summary[SUMMARY["is_dance"]] == 0.0


def test_a_mirrored_phrase_shows_where_it_was_danced_and_a_mirrored_take_sets_the_flag(dance_clips):
    clean, phrase, whole, (start, stop) = dance_clips
    times = (np.arange(len(phrase.frames)) + 0.5) / 30.0
    inside = (times >= start) & (times < stop)
    ev = COL["dance_mirror_evidence"]
    assert phrase.frames[inside, ev].mean() > clean.frames[inside, ev].mean() + 0.3
    assert phrase.frames[inside, ev].mean() > phrase.frames[~inside, ev].mean() + 0.3
    assert phrase.summary[SUMMARY["dance_mirror_share"]] > clean.summary[SUMMARY["dance_mirror_share"]] + 0.1
    assert clean.summary[SUMMARY["dance_mirrored"]] == 0.0 and whole.summary[SUMMARY["dance_mirrored"]] == 1.0
    assert whole.frames[:, COL["dance_mirrored"]].max() == 1.0 and clean.frames[:, COL["dance_mirrored"]].max() == 0.0
    assert phrase.rubric["interpretation"] < clean.rubric["interpretation"]


def test_music_channels_hold_each_notes_state_until_the_next_is_due():
    """A hand-made comparison: notes due at 1, 2, 3 s (offset 1, tempo ratio 1): played, wrong, missed."""
    notes = [NoteComparison(0.0, 60, 1.0, 20.0, 5.0, "played"), NoteComparison(1.0, 62, 2.0, -40.0, 200.0, "wrong"),
             NoteComparison(2.0, 64, None, None, None, "missed")]
    comparison = MusicComparison(notes, 1.0, 1.0, "fitted", 0.5, 0.5, 0.5, 0.6, 0.3, 0.1,
                                 Notes(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0)))
    times = (np.arange(150) + 0.5) / 30.0
    f = reference_frames(comparison, times)
    at = lambda t: f[int(t * 30)]                                      # noqa: E731
    assert at(0.5)[COL["covered"]] == 0.0                              # before the first note is due
    assert at(1.5)[COL["note_played"]] == 1 and at(1.5)[COL["note_onset_dev"]] == pytest.approx(0.2)
    assert at(1.5)[COL["note_cents"]] == pytest.approx(0.05)
    assert at(2.5)[COL["note_wrong"]] == 1 and at(2.5)[COL["note_cents"]] == 0.0   # a wrong note's cents are not intonation
    assert at(3.5)[COL["note_missed"]] == 1
    assert at(4.5)[COL["covered"]] == 0.0                              # after the last note's span
    assert reference_frames(None, times).sum() == 0


def _store_and_corpus(n_bad: int = 1):
    from training.data.corpus_store import Corpus
    from training.data.labels import dance_fault_sizes
    from training.scorers.round2_reference import ReferenceStore

    entries, pose, audio, rows, frames = [], [], [], {}, {}
    for i in range(4):
        sizes = dance_fault_sizes({"mirror_beats": (2, 3, 4)} if i else {}, 16)
        entries.append({"id": f"dance-x-000-v{i}", "source": "synthetic", "discipline": "dance", "group": "x",
                        "family": "dance-x-000", "variant": i, "split": "test", "sizes": sizes})
        pose.append(np.zeros((90, 52), np.float16))
        audio.append(np.zeros((90, 20), np.float16))
        if i < 4 - n_bad:
            rows[entries[-1]["id"]] = {"id": entries[-1]["id"], "rubric": {}, "summary": [0.5] * N_SUMMARY}
            frames[entries[-1]["id"]] = np.full((90, N_REFERENCE), 0.25, np.float16)
        else:
            rows[entries[-1]["id"]] = {"id": entries[-1]["id"], "error": "ValueError: no comparison with the reference"}
    return Corpus(entries, pose, audio), ReferenceStore(rows, frames)


def test_with_reference_labels_judge_interpretation_and_without_do_not():
    from training.scorers.round2 import task_clips
    from training.scorers.round2_reference import reference_task_clips

    corpus, store = _store_and_corpus()
    with_ref = reference_task_clips(corpus, store)
    without = task_clips(corpus, visible_only=True)
    assert np.isfinite(with_ref.targets[:, INTERP]).all() and np.isnan(without.targets[:, INTERP]).all()
    assert with_ref.targets[1, INTERP] < with_ref.targets[0, INTERP]        # the mirrored phrase costs interpretation
    assert with_ref.frames[0].shape == (90, 72 + N_REFERENCE + N_SUMMARY) and without.frames[0].shape == (90, 72)


def test_a_failed_measurement_is_recorded_with_its_reason_and_left_out(tmp_path, monkeypatch):
    from training.scorers import round2_reference as r
    from training.scorers.round2_reference import load_reference, reference_task_clips

    ok = r.Measured("dance-x-000-v0", np.full((90, N_REFERENCE), 0.5), np.zeros(N_SUMMARY), {"overall": 80.0}, {})

    def fake(spec, settings=None):
        if spec.id.endswith("v1"):
            raise ValueError("no comparison with the reference: too few frames with a person")
        return dataclasses.replace(ok, id=spec.id)

    monkeypatch.setattr(r, "measure_clip", fake)
    Spec = dataclasses.make_dataclass("Spec", ["id"])
    r._chunk((0, [Spec(f"dance-x-000-v{i}") for i in range(4)], str(tmp_path)))
    store = load_reference(tmp_path)
    assert store.failed() == {"dance-x-000-v1": "ValueError: no comparison with the reference: too few frames "
                                                "with a person"}
    assert "dance-x-000-v1" not in store.frames and "dance-x-000-v1" not in store.rubric_rows()
    corpus, _ = _store_and_corpus(0)
    clips = reference_task_clips(corpus, store)
    assert [e["id"] for e in clips.entries] == ["dance-x-000-v0", "dance-x-000-v2", "dance-x-000-v3"]
    assert clips.excluded == {"dance-x-000-v1": store.failed()["dance-x-000-v1"]}


def test_reference_models_read_the_reference_inputs():
    """Changing only the reference channels changes the with-reference model's scores (both contexts)."""
    import torch

    from training.scorers.round2_reference import make_reference_model

    torch.manual_seed(0)
    f = 72 + N_REFERENCE + N_SUMMARY
    x = torch.randn(2, 3, 60, f)
    mask = torch.ones(2, 3, dtype=torch.bool)
    for context in ("hier", "mean"):
        model = make_reference_model("gru", context, 16, 0.0, np.zeros(f, np.float32), np.ones(f, np.float32)).eval()
        if context == "mean":       # its correction starts at zero: give it weights to read
            torch.nn.init.normal_(model.correction[-1].weight)
        y = x.clone()
        y[..., 72:] += 1.0
        with torch.no_grad():
            assert model(x, mask).shape == (2, 5)
            assert (model(x, mask) - model(y, mask)).abs().max() > 1e-3
