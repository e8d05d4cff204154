"""Equal-budget tuning (training/coach/tuning.py) and the checkpoints the box can run whichever method wins."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from training.coach import checkpoints
from training.coach.env import CoachEnv
from training.coach.students import heldout_profiles, training_profiles
from training.coach.tuning import SPACES, TUNED_METHODS, best_params, dqn_settings, q_settings, train_policy, tune

pytest.importorskip("optuna")


@pytest.fixture(scope="module")
def tuned(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("tuning")
    doc = tune(out, trials=2, seeds=1, episodes=2, progress=lambda line: None)
    return out, doc


def test_every_trial_is_saved_with_params_values_and_cpu_time(tuned):
    out, doc = tuned
    saved = json.loads((out / "tuning.json").read_text())
    assert saved == json.loads(json.dumps(doc))          # what tune() returns is what it wrote
    assert set(saved["methods"]) == set(TUNED_METHODS)
    for method, block in saved["methods"].items():
        assert len(block["trials"]) == 2
        for trial in block["trials"]:
            assert set(trial["params"]) == set(SPACES[method])
            assert np.isfinite(trial["value"]) and trial["value"] > 0       # a validation episode's reward
            assert trial["seeds"] == [0] and trial["cpu_time_s"] > 0
        best = max(block["trials"], key=lambda t: t["value"])
        assert block["best"] == {"number": best["number"], "params": best["params"], "value": best["value"]}
    assert best_params(out / "tuning.json") == {m: b["best"]["params"] for m, b in saved["methods"].items()}


def test_the_dqn_and_ppo_budgets_are_equal(tuned):
    _, doc = tuned
    budgets = {m: b["budget"] for m, b in doc["methods"].items()}
    assert budgets["dqn"] == budgets["ppo"] == budgets["q_learning"] == {
        "trials": 2, "seeds_per_trial": 1, "episodes_per_seed": 2, "env_steps": 2 * 1 * 2 * 500}


def test_params_become_training_settings():
    dqn = dqn_settings({"target_update": "soft_0.02", "exploration_fraction": 0.25, "n_step": 3, "dueling": True},
                       seed=1, episodes=10)
    assert (dqn.tau, dqn.target_network_frequency, dqn.exploration_steps, dqn.n_step, dqn.dueling) == \
        (0.02, 1, 1250, 3, True)
    assert dqn_settings({"target_update": "hard_250"}, 0, 10).target_network_frequency == 250
    q = q_settings({"asm_bands": "30,45,60,75", "exploration_fraction": 0.5}, episodes=4)
    assert q.asm_bands == (30.0, 45.0, 60.0, 75.0) and q.exploration_steps == 1000
    with pytest.raises(ValueError, match="unknown method"):
        train_policy("sarsa", {}, 0, 1)


def test_a_ppo_actor_checkpoint_acts_as_sb3_ppo_does(tmp_path: Path):
    from stable_baselines3.common.utils import obs_as_tensor

    from training.coach.sb3_agents import train_ppo

    torch.set_num_threads(1)
    model = train_ppo(CoachEnv(training_profiles(0)), 600, seed=0, n_steps=256, batch_size=64, hidden=32)
    checkpoints.save(tmp_path / "ppo_seed0.pt", "ppo_actor", checkpoints.ppo_actor(model), 32, 3, 0, 1, {"hidden": 32})
    actor = checkpoints.load(tmp_path / "ppo_seed0.pt")
    env = CoachEnv(heldout_profiles(0))
    obs = np.array([env.reset(seed=s)[0] for s in range(64)], dtype=np.float32)
    with torch.no_grad():
        logits = actor(torch.from_numpy(obs)).numpy()
        sb3_logits = model.policy.get_distribution(obs_as_tensor(obs, "cpu")).distribution.logits.numpy()
    # SB3 normalises logits (log-softmax): the same up to a per-row constant, so the same argmax
    np.testing.assert_allclose(logits - logits.max(axis=1, keepdims=True),
                               sb3_logits - sb3_logits.max(axis=1, keepdims=True), atol=1e-5)
    np.testing.assert_array_equal(logits.argmax(axis=1), model.predict(obs, deterministic=True)[0])


def test_a_dueling_dqn_checkpoint_round_trips(tmp_path: Path):
    from training.coach.dqn import DuelingQNetwork

    torch.manual_seed(0)
    net = DuelingQNetwork(13, 4, 128)
    args = dqn_settings({"dueling": True, "hidden": 128}, 0, 1)
    checkpoints.save(tmp_path / "dqn_seed0.pt", "dqn", net, 128, 3, 0, 1, args)
    loaded = checkpoints.load(tmp_path / "dqn_seed0.pt")
    x = torch.rand(8, 13)
    assert isinstance(loaded, DuelingQNetwork)
    assert torch.equal(loaded(x), net(x))


def test_a_comparison_merged_from_pieces_equals_the_run_in_one_piece(tmp_path: Path, tuned):
    from training.coach.experiment import merge_runs, run_comparison

    quiet = dict(seeds=2, episodes=4, jobs=1, progress=lambda line: None)
    whole = run_comparison(tmp_path / "whole", methods=("random", "rule_expert"), **quiet)
    run_comparison(tmp_path / "a", methods=("random",), **quiet)
    run_comparison(tmp_path / "b", methods=("rule_expert",), **quiet)
    merged = merge_runs([tmp_path / "a", tmp_path / "b"], tmp_path / "merged", tuning=tuned[0] / "tuning.json")
    for m in ("random", "rule_expert"):
        assert merged[m]["cumulative_reward"] == whole[m]["cumulative_reward"]
    assert "significance" not in merged          # no DQN among these pieces: nothing to compare it with
    assert set(merged["tuning"]["methods"]) == set(TUNED_METHODS)
    with pytest.raises(ValueError, match="more than one piece"):
        merge_runs([tmp_path / "a", tmp_path / "whole"], tmp_path / "bad")
