"""`perfscore train coach` end to end on a tiny budget: the results.json contract, plots, reproducibility."""

import json
from pathlib import Path

import pytest

from edge.cli.main import main

REQUIRED = ("dqn", "random", "weakest_skill", "rule_expert", "q_learning", "ppo")


@pytest.mark.slow
def test_train_coach_writes_the_results_contract(tmp_path: Path, capsys):
    out = tmp_path / "run"
    code = main(["train", "coach", "--seeds", "2", "--episodes", "4", "--jobs", "2", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    results = json.loads((out / "results.json").read_text())
    assert results["seeds"] == 2 and results["episodes"] == 4
    for method in REQUIRED:
        for metric in ("cumulative_reward", "rvi", "esi", "reward_penalty_ratio"):
            stat = results[method][metric]
            assert isinstance(stat["mean"], float) and isinstance(stat["ci95"], float) and stat["ci95"] >= 0
            assert len(stat["per_seed"]) == 2
    assert set(results["significance"]["dqn_vs"]) == set(REQUIRED) - {"dqn"}
    assert "dqn_minus_sb3_dqn" in results["cross_check"]
    assert all(len(c) == 4 for runs in json.loads((out / "curves.json").read_text())["curves"].values()
               for c in runs.values())
    for name in ("learning_curves.png", "rvi_esi.png", "report.md", "checkpoints/dqn_seed1.pt"):
        assert (out / name).stat().st_size > 0
    report = (out / "report.md").read_text()
    assert report.count("\n| ") >= 7 and "Tabular Q-learning" in report


def test_same_command_same_numbers(tmp_path: Path, capsys):
    runs = []
    for name in ("a", "b"):
        code = main(["train", "coach", "--seeds", "1", "--episodes", "4", "--jobs", "1",
                     "--methods", "dqn,q_learning,random", "--out", str(tmp_path / name)])
        assert code == 0, capsys.readouterr().err
        runs.append(json.loads((tmp_path / name / "jobs.json").read_text()))
    strip = lambda jobs: [{k: v for k, v in j.items() if k not in ("wall_time_s", "cpu_time_s")} for j in jobs]  # noqa: E731
    assert strip(runs[0]) == strip(runs[1])


def test_bad_arguments_are_one_line_errors(tmp_path: Path, capsys):
    assert main(["train", "coach", "--seeds", "0", "--out", str(tmp_path)]) == 1
    assert "--seeds must be at least 1" in capsys.readouterr().err
    assert main(["train", "coach", "--episodes", "2", "--out", str(tmp_path)]) == 1
    assert "--episodes must be at least 4" in capsys.readouterr().err
    assert main(["train", "coach", "--methods", "dqn,alphazero", "--out", str(tmp_path)]) == 1
    assert "unknown method(s) alphazero" in capsys.readouterr().err
