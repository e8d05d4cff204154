"""The leave-one-out ablation from the tuned DQN (training/coach/ablation.py): the variant list, resuming, the paired
statistics, and the CLI verb end to end on a tiny budget."""

import json
from pathlib import Path

import numpy as np
import pytest

from edge.cli.main import main
from training.coach import metrics
from training.coach.ablation import (BASELINE, SWITCHES_OFF, YARDSTICK, leave_one_out, paired_summary,
                                     run_tuned_ablation)

COMMITTED = Path("reports/coach/tuning/tuning.json")
DQN_BEST = {"learning_rate": 6e-4, "buffer_size": 50_000, "batch_size": 32, "target_update": "hard_250",
            "exploration_fraction": 0.4, "end_e": 0.05, "n_step": 5, "double": True, "dueling": True, "huber": True,
            "hidden": 64}
PPO_BEST = {"learning_rate": 8e-4, "n_steps": 256, "batch_size": 64, "ent_coef": 1e-4, "clip_range": 0.1,
            "n_epochs": 15, "hidden": 128}


def tuning_file(tmp_path: Path, dqn: dict = DQN_BEST, ppo: dict = PPO_BEST) -> Path:
    path = tmp_path / "tuning.json"
    path.write_text(json.dumps({"methods": {"dqn": {"best": {"params": dqn}}, "ppo": {"best": {"params": ppo}}}}))
    return path


@pytest.mark.parametrize("source", ["synthetic", "committed"])
def test_each_switch_is_turned_off_exactly_once(tmp_path, source):
    path = tuning_file(tmp_path) if source == "synthetic" else COMMITTED
    tuned = json.loads(path.read_text())["methods"]
    variants = leave_one_out(path)
    assert list(variants) == [BASELINE, "n_step_1", "no_double", "no_dueling", "mse", "dqn_round1", YARDSTICK]
    assert variants[BASELINE] == ("dqn", tuned["dqn"]["best"]["params"])
    assert variants[YARDSTICK] == ("ppo", tuned["ppo"]["best"]["params"])
    assert variants["dqn_round1"] == ("dqn", {})            # the Args defaults: round 1's method, every switch off
    base = variants[BASELINE][1]
    for switch, (name, off) in SWITCHES_OFF.items():
        method, params = variants[name]
        changed = {k for k in params if params[k] != base[k]}
        assert method == "dqn" and changed == {switch} and params[switch] == off
    # every switch is off in exactly one leave-one-out variant
    for switch, (_, off) in SWITCHES_OFF.items():
        assert sum(variants[n][1][switch] == off for n, _ in SWITCHES_OFF.values()) == 1


def test_a_switch_already_off_in_the_tuned_dqn_has_no_variant(tmp_path):
    variants = leave_one_out(tuning_file(tmp_path, dqn=DQN_BEST | {"huber": False, "n_step": 1}))
    assert "mse" not in variants and "n_step_1" not in variants and {"no_double", "no_dueling"} <= set(variants)


def test_a_tuning_file_without_ppo_is_refused(tmp_path):
    path = tmp_path / "tuning.json"
    path.write_text(json.dumps({"methods": {"dqn": {"best": {"params": DQN_BEST}}}}))
    with pytest.raises(ValueError, match="no best params for ppo"):
        leave_one_out(path)


# A fake runner with known answers: value = 250 + 3·seed + OFFSET + (seed odd) · SLOPE.
OFFSET = {BASELINE: 0.0, "n_step_1": -10.0, "no_double": 1.0, "no_dueling": -4.0, "mse": 0.5, "dqn_round1": -20.0,
          YARDSTICK: 5.0}
SLOPE = {BASELINE: 0.0, "n_step_1": 2.0, "no_double": -1.0, "no_dueling": 1.0, "mse": 0.0, "dqn_round1": 4.0,
         YARDSTICK: -2.0}


class FakeRunner:
    def __init__(self):
        self.calls = []

    def __call__(self, variant, method, params, seed, episodes):
        self.calls.append((variant, seed))
        return {"variant": variant, "method": method, "params": params, "seed": seed, "episodes": episodes,
                "validation_reward": 250 + 3 * seed + OFFSET[variant] + (seed % 2) * SLOPE[variant],
                "cpu_time_s": 1.0, "wall_time_s": 1.0}


def test_resume_skips_finished_runs_and_the_statistics_are_paired_by_seed(tmp_path):
    tuning, out = tuning_file(tmp_path), tmp_path / "ablation"
    first = FakeRunner()
    run_tuned_ablation(out, tuning, seeds=2, episodes=7, progress=lambda line: None, runner=first)
    assert first.calls == [(v, s) for s in (0, 1) for v in OFFSET]          # seed by seed: complete pairs first
    again = FakeRunner()
    doc = run_tuned_ablation(out, tuning, seeds=3, episodes=7, progress=lambda line: None, runner=again)
    assert again.calls == [(v, 2) for v in OFFSET]                         # only seed 2 is new
    saved = json.loads((out / "results.json").read_text())
    assert saved == json.loads(json.dumps(doc)) and saved["seeds"] == [0, 1, 2] and len(saved["runs"]) == 21

    summary = saved["summary"]
    for variant in OFFSET:
        if variant == BASELINE:
            assert "minus_dqn_tuned" not in summary[variant]
            continue
        diffs = [OFFSET[variant] + (s % 2) * SLOPE[variant] for s in (0, 1, 2)]
        got = summary[variant]["minus_dqn_tuned"]["mean_difference"]
        assert got["mean"] == pytest.approx(np.mean(diffs)) and got["per_seed"] == pytest.approx(diffs)
    gap = summary[BASELINE]["minus_ppo_tuned"]["mean_difference"]["mean"]
    assert gap == pytest.approx(-np.mean([OFFSET[YARDSTICK] + (s % 2) * SLOPE[YARDSTICK] for s in (0, 1, 2)]))
    # Holm over the six comparisons with the tuned DQN, as metrics.holm does for the comparison's tables
    raw = {v: e["minus_dqn_tuned"]["p_t"] for v, e in summary.items() if e.get("minus_dqn_tuned", {}).get("p_t")}
    assert len(raw) == 5        # mse differs by a constant: no t-test, as metrics.paired_comparison decides
    assert {v: summary[v]["minus_dqn_tuned"]["p_t_holm"] for v in raw} == pytest.approx(metrics.holm(raw))
    report = (out / "report.md").read_text()
    assert report.count("\n| ") == 8 and "− Double DQN" in report and "3 seeds × 7 episodes" in report


def test_a_run_cut_short_mid_seed_keeps_its_runs_and_pairs_only_finished_seeds(tmp_path):
    tuning, out = tuning_file(tmp_path), tmp_path / "ablation"
    fake = FakeRunner()

    def cut_at_seed1_no_double(variant, method, params, seed, episodes):
        if (variant, seed) == ("no_double", 1):
            raise KeyboardInterrupt
        return fake(variant, method, params, seed, episodes)

    with pytest.raises(KeyboardInterrupt):
        run_tuned_ablation(out, tuning, seeds=2, episodes=7, progress=lambda line: None, runner=cut_at_seed1_no_double)
    saved = json.loads((out / "results.json").read_text())
    assert len(saved["runs"]) == 7 + 2 and saved["seeds"] == [0] and saved["unfinished_seeds"] == [1]
    assert all(e["validation_reward"]["n"] == 1 for e in saved["summary"].values())
    resumed = FakeRunner()
    doc = run_tuned_ablation(out, tuning, seeds=2, episodes=7, progress=lambda line: None, runner=resumed)
    assert resumed.calls == [(v, 1) for v in list(OFFSET)[2:]] and doc["seeds"] == [0, 1]
    assert doc["unfinished_seeds"] == []


def test_resume_refuses_runs_made_with_other_settings(tmp_path):
    out = tmp_path / "ablation"
    run_tuned_ablation(out, tuning_file(tmp_path), seeds=1, episodes=7, progress=lambda line: None,
                       runner=FakeRunner())
    changed = tuning_file(tmp_path, dqn=DQN_BEST | {"learning_rate": 1e-3})
    with pytest.raises(ValueError, match=r"results\.json holds a dqn_tuned run"):
        run_tuned_ablation(out, changed, seeds=2, episodes=7, progress=lambda line: None, runner=FakeRunner())


def test_the_cli_verb_runs_every_variant_for_real(tmp_path, capsys):
    out = tmp_path / "ablation"
    code = main(["train", "coach", "ablation", "--seeds", "1", "--episodes", "3",
                 "--from-tuned", str(tuning_file(tmp_path)), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    saved = json.loads((out / "results.json").read_text())
    assert {r["variant"] for r in saved["runs"]} == set(OFFSET) and saved["episodes"] == 3
    assert all(np.isfinite(r["validation_reward"]) and r["validation_reward"] > 0 for r in saved["runs"])


def test_the_cli_verb_names_a_missing_tuning_file(tmp_path, capsys):
    assert main(["train", "coach", "ablation", "--out", str(tmp_path / "x")]) != 0
    assert "--from-tuned" in capsys.readouterr().err
    assert main(["train", "coach", "ablation", "--from-tuned", str(tmp_path / "nope.json"),
                 "--out", str(tmp_path / "x")]) != 0
    assert "nope.json" in capsys.readouterr().err
