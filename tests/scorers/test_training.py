"""A tiny model trained here learns what the rubric judges, on a motion it never saw."""

import numpy as np
import torch
from scipy.stats import spearmanr

from training.data.corpus_spec import DanceSpec, MusicSpec, plan, CorpusSize, split_of
from training.scorers.data import clips_from
from training.scorers.train import TrainConfig, predict, train_model

from .conftest import HELD_OUT_MOTION


def test_a_tiny_cnn_beats_a_constant_predictor_on_an_unseen_motion(dance_corpus):
    torch.manual_seed(0)
    train = clips_from(dance_corpus.select(lambda e: e["group"] != HELD_OUT_MOTION))
    held = clips_from(dance_corpus.select(lambda e: e["group"] == HELD_OUT_MOTION))
    assert len(train) == 96 and len(held) == 24
    cfg = TrainConfig("cnn", "early", width=24, max_epochs=25, patience=25, lr=3e-3, batch_clips=8,
                      windows_per_clip=4, seed=0)
    model, history = train_model(cfg, train, train)
    scores, _ = predict(model, held)
    constant = np.nanmean(train.targets, axis=0)          # the best a model that learned nothing can do
    rhythm, expression = 0, 3
    mae = np.mean(np.abs(np.clip(scores[:, rhythm], 0, 100) - held.targets[:, rhythm]))
    mae_constant = np.mean(np.abs(constant[rhythm] - held.targets[:, rhythm]))
    assert mae < 0.85 * mae_constant, (mae, mae_constant)
    assert spearmanr(scores[:, expression], held.targets[:, expression]).statistic > 0.3
    assert history["epochs"] == 25 and history["best_epoch"] > 1


def test_recipes_are_reproducible_and_splits_never_share_a_source():
    a = plan(3, CorpusSize(1, 1, 4), motions=("walk", "kick"), pieces=("bach-bwv66.6",))
    b = plan(3, CorpusSize(1, 1, 4), motions=("walk", "kick"), pieces=("bach-bwv66.6",))
    assert a.specs == b.specs
    assert plan(4, CorpusSize(1, 1, 4), motions=("walk",), pieces=()).specs != \
        plan(3, CorpusSize(1, 1, 4), motions=("walk",), pieces=()).specs
    assert all(s.faults == {} for s in a.specs if isinstance(s, DanceSpec) and s.variant == 0)
    assert all(set(s.faults) <= {"onset_offset_ms", "drift_ms_per_s"} for s in a.specs
               if isinstance(s, MusicSpec) and s.variant == 0)
    from training.data.corpus_pieces import ALL_PIECES
    from training.data.corpus_spec import MOTIONS

    splits = {}
    for discipline, groups in (("dance", MOTIONS), ("music", ALL_PIECES)):
        for g in groups:
            splits.setdefault(split_of(g, discipline), set()).add(g)
    seen = [g for groups in splits.values() for g in groups]
    assert len(seen) == len(set(seen)) and set(splits) == {"test", "fold0", "fold1", "fold2", "fold3", "fold4"}


def test_the_same_recipe_renders_the_same_features(tiny_corpus):
    from training.data.corpus_render import render

    p = plan(7, CorpusSize(1, 1, 3), motions=("dance_a",), pieces=("bach-bwv66.6",))
    for spec in (p.specs[1], p.specs[-1]):
        record = render(spec)
        i = [e["id"] for e in tiny_corpus.entries].index(spec.id)
        assert np.array_equal(record.sequence.pose.astype(np.float16), tiny_corpus.pose[i])
        assert np.array_equal(record.sequence.audio.astype(np.float16), tiny_corpus.audio[i])
        assert tiny_corpus.entries[i]["labels"]["grade"] == record.labels.grade


def test_a_venue_fine_tunes_a_committed_checkpoint(tiny_corpus_dir, tmp_path):
    from training.scorers.checkpoint import load_checkpoint, save_checkpoint
    from training.scorers.experiment import run_job
    from training.scorers.models import WindowModel

    torch.manual_seed(0)
    start = save_checkpoint(WindowModel("gru", "early", width=16).eval(), tmp_path / "gru.pt")
    fold = int(split_of("dance_a", "dance")[-1])
    result = run_job(("gru", fold, (str(tiny_corpus_dir),), str(tmp_path / "run"),
                      {"init": str(tmp_path), "max_epochs": 2}))
    assert result["init"] == str(tmp_path) and result["config"]["width"] == 16 and result["training"]["epochs"] == 2
    tuned, data = load_checkpoint(tmp_path / "run" / "jobs" / "gru" / f"fold{fold}.pt")
    before, _ = load_checkpoint(start)
    changed = [k for k, v in tuned.state_dict().items() if not torch.equal(v, before.state_dict()[k])]
    assert changed and data["trained"]["epochs"] == 2
