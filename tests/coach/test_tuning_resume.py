"""Continuing a tuning study (training/coach/tuning.py --resume): earlier trials are reloaded, never rerun."""

import json
from pathlib import Path

import pytest

from training.coach.tuning import TUNED_METHODS, tune, tune_method

pytest.importorskip("optuna")
COMMITTED = Path("reports/coach/tuning/tuning.json")


@pytest.mark.parametrize("method", TUNED_METHODS)
def test_the_committed_trials_reload_into_a_study_unchanged(method):
    block = json.loads(COMMITTED.read_text())["methods"][method]
    n = len(block["trials"])
    budget = block["budget"]
    again = tune_method(method, n, budget["seeds_per_trial"], budget["episodes_per_seed"], earlier=block["trials"])
    assert again["trials"] == block["trials"] and again["best"] == block["best"]      # nothing was rerun


def test_resume_continues_up_to_the_total_and_keeps_the_earlier_trials(tmp_path):
    first = tune(tmp_path / "a", trials=2, seeds=1, episodes=2, methods=("q_learning",), progress=lambda line: None)
    lines = []
    more = tune(tmp_path / "b", trials=3, seeds=1, episodes=2, methods=("q_learning",), progress=lines.append,
                resume=tmp_path / "a" / "tuning.json")
    old, new = first["methods"]["q_learning"], more["methods"]["q_learning"]
    assert json.loads(json.dumps(new["trials"][:2])) == json.loads(json.dumps(old["trials"]))
    assert [t["number"] for t in new["trials"]] == [0, 1, 2] and len(lines) == 1       # one new trial trained
    assert new["budget"]["trials"] == 3 and more["resumed_from"].endswith("tuning.json")
    assert new["best"]["value"] == max(t["value"] for t in new["trials"])


def test_resume_refuses_trials_run_with_another_budget(tmp_path):
    with pytest.raises(ValueError, match="30 episodes, not 2 × 40"):
        tune(tmp_path, trials=9, seeds=2, episodes=40, methods=("q_learning",), progress=lambda line: None,
             resume=COMMITTED)
