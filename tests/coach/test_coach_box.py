"""The box's side: sub-scores → skills, the store across restarts, progress, recommendation, path."""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
import torch

from edge.coach.calibration import skill_from_points as k
from edge.coach.curriculum import Module, build_path, load_modules, match
from edge.coach.errors import CoachError
from edge.coach.observation import OBS_DIM, OBSERVATION_VERSION
from edge.coach.policy import CoachPolicy
from edge.coach.progress import forecast, learning_pace, moving_average
from edge.coach.recommend import explain, recommend
from edge.coach.skills import skills_from_scores
from edge.coach.store import StudentStore
from edge.coach.student import student_state
from export.coach_policy import export_policy
from training.coach.dqn import QNetwork

T0 = datetime(2026, 3, 1, 17, 0, tzinfo=timezone.utc)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def test_subscores_map_to_skills_and_sight_reading_only_on_a_first_attempt():
    scores = {"rhythm": 70.0, "sync": 80.0, "technique": 60.0, "expression": 55.0, "interpretation": None,
              "overall": 64.0}
    # accuracy = mean(rhythm, sync, technique) = 70 rubric points = 44.5 on the skill scale (grade B ↔ the
    # intermediate cohort's mean); expression 55 points (grade C) = 32.25. The overall (64) is no skill.
    assert skills_from_scores(scores, first_attempt=True) == {"TP": None, "ME": 32.25, "SR": 44.5, "IS": None}
    assert skills_from_scores(scores, first_attempt=False) == {"TP": 44.5, "ME": 32.25, "SR": None, "IS": None}
    assert skills_from_scores({"rhythm": None, "technique": None, "expression": 50.0}, False)["TP"] is None


def test_progress_known_answers():
    series = [50.0, 52.0, 57.0, 60.0]
    assert moving_average(series, 3) == pytest.approx((52 + 57 + 60) / 3)
    assert learning_pace(series, 3) == pytest.approx(4.0)          # slope of 52, 57, 60 against 0, 1, 2
    assert forecast(series, 3) == pytest.approx(56.333333 + 4.0 * 2)  # the fitted line one step ahead
    assert learning_pace([50.0], 3) == 0.0
    assert forecast([99.0, 100.0], 3) == 100.0                       # clipped to the scale


def test_store_survives_restart_and_carries_skills_forward(tmp_path: Path):
    path = tmp_path / "coach.sqlite"
    with StudentStore(path) as store:
        a = store.add_assessment("p-042", "music", "minuet", {"technique": 60, "rhythm": 70, "expression": 50,
                                                                 "interpretation": 40, "overall": 62}, day(0))
        store.record_recommendation("p-042", day(0), "TE", None, "first")
        store.record_recommendation("p-042", day(0), "CIT", {"TE": 1.0, "EP": 2.0, "SRP": 0.5, "CIT": 3.0}, "asked again")
        assert store.recent_tasks("p-042") == []              # not practised yet: the next assessment will tell
        b = store.add_assessment("p-042", "music", "minuet", {"technique": 64, "rhythm": 70, "overall": 66}, day(1))
        store.set_preferences("p-042", {"EP": 3, "CIT": 1})
    assert a.first_attempt and not b.first_attempt
    with StudentStore(path) as store:                                # a new process would see the same
        history = store.history("p-042")
        # first attempt: accuracy 65 → SR; the rehearsed second attempt: accuracy 67 → TP
        assert [h.skills for h in history] == [{"TP": None, "ME": k(50), "SR": k(65), "IS": k(40)},
                                               {"TP": k(67), "ME": None, "SR": None, "IS": None}]
        assert history[1].ts == day(1)
        assert store.preferences("p-042") == {"TE": 0.0, "EP": 0.75, "SRP": 0.0, "CIT": 0.25}
        assert store.recent_tasks("p-042") == ["CIT"]          # the latest answer after assessment 1 counts once
        state = student_state("p-042", history, store.preferences("p-042"), store.recent_tasks("p-042"), 3)
    assert state.latest == {"TP": k(67), "ME": k(50), "SR": k(65), "IS": k(40)}    # carried, not invented
    assert state.age == {"TP": 0, "ME": 1, "SR": 1, "IS": 1}
    # every skill known from assessment 2 on: one complete row, so the averages are that row and LP is 0
    assert state.moving_average == pytest.approx({"TP": k(67), "ME": k(50), "SR": k(65), "IS": k(40)})
    assert state.lp == 0.0
    assert state.unmeasured == [] and state.stale == [] and state.expired == []


def test_store_rejects_bad_input_with_the_reason(tmp_path: Path):
    with StudentStore(tmp_path / "s.sqlite") as store:
        with pytest.raises(CoachError, match="pseudonymous"):
            store.add_assessment("Jane Doe", "music", "x", {"technique": 50}, day(0))
        with pytest.raises(CoachError, match="outside 0–100"):
            store.add_assessment("p-1", "music", "x", {"technique": 150}, day(0))
        with pytest.raises(CoachError, match="unknown"):
            store.add_assessment("p-1", "music", "x", {"tempo": 50}, day(0))
        with pytest.raises(CoachError, match="dance only"):
            store.add_assessment("p-1", "music", "x", {"sync": 50}, day(0))
        with pytest.raises(CoachError, match="discipline"):
            store.add_assessment("p-1", "ballet", "x", {"technique": 50}, day(0))
        store.add_assessment("p-1", "dance", "x", {"technique": 50}, day(2))
        with pytest.raises(CoachError, match="time order"):
            store.add_assessment("p-1", "dance", "y", {"technique": 50}, day(1))
        assert len(store.history("p-1")) == 1                       # the refused ones left nothing behind
    (tmp_path / "junk.sqlite").write_bytes(b"not a database, just bytes" * 100)
    with pytest.raises(CoachError, match="cannot open"):
        StudentStore(tmp_path / "junk.sqlite")


@pytest.fixture(scope="module")
def trained_like_policy(tmp_path_factory) -> tuple[Path, Path]:
    """A real exported policy (small random network) with its own manifest."""
    tmp = tmp_path_factory.mktemp("policy")
    torch.manual_seed(1)
    ckpt = tmp / "dqn_seed0.pt"
    torch.save({"state_dict": QNetwork(OBS_DIM, 4).state_dict(), "obs_dim": OBS_DIM, "n_actions": 4, "hidden": 64,
                "observation_version": OBSERVATION_VERSION, "window": 3, "seed": 0}, ckpt)
    export_policy(ckpt, tmp / "coach_policy.onnx", manifest_path=tmp / "manifest.json")
    return tmp / "coach_policy.onnx", tmp / "manifest.json"


def weakest_is_flat_lp(store: StudentStore) -> None:
    # two first attempts (SR 60 points), then two rehearsed ones (TP 71): ME 62, IS 40–41 points. Every
    # skill is known from the third on, and the two complete rows are equal: IS is weakest
    # (41 points = 20.8 on the skill scale), LP = 0
    for i, (tech, interp) in enumerate([(60, 40), (60, 40), (71, 41), (71, 41)]):
        store.add_assessment("p-042", "music", "minuet" if i else "sonatina",
                             {"technique": tech, "rhythm": tech, "expression": 62, "interpretation": interp,
                              "overall": 60}, day(i))


def test_weakest_is_with_flat_lp_gets_a_recommendation_with_its_reason(tmp_path, trained_like_policy):
    onnx_path, manifest = trained_like_policy
    with StudentStore(tmp_path / "s.sqlite") as store:
        weakest_is_flat_lp(store)
        state = student_state("p-042", store.history("p-042"), store.preferences("p-042"), [], 3)
    assert abs(state.lp) < 0.5
    policy = CoachPolicy(onnx_path, window=3, manifest_path=manifest)
    rec = recommend(state, policy)
    q = policy.q_values(state.observation())
    assert rec.action == ["TE", "EP", "SRP", "CIT"][int(np.argmax(q))]
    assert rec.q_values == pytest.approx(dict(zip(["TE", "EP", "SRP", "CIT"], q.tolist())))
    assert "interpretative skill is the weakest" in rec.reason.lower() and "IS 21 " in rec.reason
    assert "learning pace is flat" in rec.reason
    assert rec.task.title in {"Scales and arpeggios", "A piece with varying dynamics", "Sight-read a new piece",
                              "A personal interpretation"}
    assert rec.model.sha256 == policy.entry["sha256"] and rec.to_dict()["model"]["backend"] == "onnxruntime"


def test_the_reason_says_when_the_choice_is_close(tmp_path):
    with StudentStore(tmp_path / "s.sqlite") as store:
        weakest_is_flat_lp(store)
        state = student_state("p-042", store.history("p-042"), store.preferences("p-042"), [], 3)
    close = explain({"TE": 8.29, "EP": 8.25, "SRP": 8.42, "CIT": 8.38}, state)
    assert close.startswith("sight-reading practice trains sight-reading and has the highest Q-value")
    assert "SRP 8.42, CIT 8.38, TE 8.29, EP 8.25." in close
    assert "A close call: creative interpretation task (CIT) is only 0.04 behind" in close
    # the threshold is an absolute margin (0.05 reward units by default), not 2 % of Q: 0.12 on Q ≈ 9 is clear
    clear = explain({"TE": 9.0, "EP": 8.5, "SRP": 8.4, "CIT": 9.12}, state)
    assert "close call" not in clear and clear.startswith("creative interpretation task trains interpretative skill")
    # a PPO actor's scores are preferences, read against the margin measured for it
    ppo = explain({"TE": 1.2, "EP": 0.1, "SRP": 2.0, "CIT": 1.5}, state, threshold=1.0, meaning="preferences")
    assert ppo.startswith("sight-reading practice trains sight-reading and is the coach's strongest preference")
    assert "Q-value" not in ppo and "A close call: creative interpretation task (CIT) is only 0.50 behind" in ppo


def test_an_unmeasured_skill_is_assessed_first_not_guessed(tmp_path):
    with StudentStore(tmp_path / "s.sqlite") as store:
        store.add_assessment("d-7", "dance", "combo-1", {"technique": 60, "rhythm": 70, "sync": 65,
                                                         "expression": 50, "overall": 61}, day(0))
        state = student_state("d-7", store.history("d-7"), store.preferences("d-7"), [], 3)
    rec = recommend(state, policy=None)                       # the policy is not even needed
    # a first attempt: TP is not measured either (that takes a rehearsed attempt) and comes first
    assert rec.action == "TE" and rec.q_values is None and rec.confidence is None
    assert "played before" in rec.reason
    with StudentStore(tmp_path / "s.sqlite") as store:
        store.add_assessment("d-7", "dance", "combo-1", {"technique": 62, "rhythm": 70, "sync": 65,
                                                         "expression": 50, "overall": 61}, day(1))
        state = student_state("d-7", store.history("d-7"), store.preferences("d-7"), [], 3)
    rec = recommend(state, policy=None)
    assert rec.task.title == "An improvisation"
    assert "not been measured" in rec.reason and "reference" in rec.reason


def test_curriculum_path_known_answer():
    modules = [Module(id="m1", title="Minuet", requires={"TP": 50, "ME": 40}),
               Module(id="m2", title="Sonatina", requires={"TP": 70, "ME": 60, "IS": 60})]
    skills = {"TP": 55.0, "ME": 45.0, "SR": 30.0, "IS": 20.0}
    assert match(skills, modules[1].requires) == pytest.approx((55 + 45 + 20) / 190)
    steps = build_path(skills, modules, "music")
    # m1: fully met → taken. m2: (55+45+20)/190 = 0.63 < 0.75 → remedial IS first (gap 40, the largest):
    # (55+45+60)/190 = 0.84 ≥ 0.75 → take m2 without further remedials.
    assert [(s.kind, s.module, s.skill) for s in steps] == [("module", "m1", None), ("remedial", "m2", "IS"),
                                                           ("module", "m2", None)]
    assert steps[1].target == 60 and "A personal interpretation".lower() in steps[1].title.lower()
    assert steps[2].match == pytest.approx(160 / 190)


def test_curriculum_counts_an_unassessed_skill_as_zero_and_says_so():
    steps = build_path({"TP": 80.0, "ME": 80.0, "SR": None, "IS": 80.0},
                       [Module(id="read", title="Reading", requires={"SR": 50, "TP": 50})], "dance")
    assert steps[0].kind == "remedial" and steps[0].skill == "SR" and "not assessed" in steps[0].note
    assert "learn a new combination" in steps[0].title


def test_modules_file_errors_name_the_file_and_key(tmp_path):
    bad = tmp_path / "modules.yaml"
    bad.write_text("modules:\n  - id: a\n    title: A\n    requires: {TP: 150}\n")
    with pytest.raises(CoachError, match=r"modules.yaml: modules\.0\.requires"):
        load_modules(bad)
    bad.write_text("modules:\n  - id: a\n    title: A\n    requires: {XX: 50}\n")
    with pytest.raises(CoachError, match="modules.yaml"):
        load_modules(bad)
    bad.write_text("modules:\n  - id: a\n    title: A\n    needs: {TP: 50}\n")
    with pytest.raises(CoachError, match="unknown key"):
        load_modules(bad)
