"""The box feeds the policy what it learned on (calibration, sight-reading, stale skills, what was practised),
and what a teacher needs (history, focus, confidence, override): known answers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import jsonschema
import numpy as np
import pytest

from edge import MODELS_DIR, PROJECT_ROOT
from edge.cli.main import main
from edge.coach.calibration import ANCHORS, points_from_skill, skill_from_points
from edge.coach.errors import CoachError
from edge.coach.recommend import CLOSE_CALL_MARGIN, confidence_of
from edge.coach.service import Coach
from edge.coach.store import StudentStore
from edge.coach.student import student_state
from edge.publish import payloads

SHIPPED = MODELS_DIR / "coach_policy.onnx"
needs_policy = pytest.mark.skipif(not SHIPPED.exists(), reason="models/coach_policy.onnx not exported yet")
T0 = datetime(2026, 3, 1, 17, 0, tzinfo=timezone.utc)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


# ---- calibration: rubric points → the simulator's skill scale ------------------------------------------

def test_calibration_anchors_are_the_grade_thresholds_and_the_simulators_cohort_means():
    from edge.config.scoring import GradesConfig
    from training.coach.students import START_MEAN

    grades = GradesConfig()
    cohort = {c: float(np.mean(START_MEAN[c])) for c in START_MEAN}
    assert cohort == {"beginner": 20.0, "intermediate": 44.5, "advanced": 68.5}
    assert ANCHORS == ((0.0, 0.0), (grades.D, cohort["beginner"]),
                       (grades.C, (cohort["beginner"] + cohort["intermediate"]) / 2),
                       (grades.B, cohort["intermediate"]), (grades.A, cohort["advanced"]), (100.0, 100.0))


def test_calibration_known_values_monotone_and_invertible():
    assert skill_from_points(0) == 0.0 and skill_from_points(100) == 100.0
    assert skill_from_points(20) == 10.0                       # half of D's 40 points → half of 20
    assert skill_from_points(62.5) == pytest.approx(32.25 + 7.5 / 15 * 12.25)
    assert skill_from_points(92.5) == pytest.approx(68.5 + 7.5 / 15 * 31.5)
    grid = np.linspace(0, 100, 1001)
    skills = np.array([skill_from_points(x) for x in grid])
    assert np.all(np.diff(skills) > 0)                          # strictly increasing: ranks are kept
    assert np.allclose([points_from_skill(s) for s in skills], grid)
    with pytest.raises(ValueError, match="outside 0–100"):
        skill_from_points(101)


# ---- the box's observation against the simulator's, from real rubric results --------------------------

@pytest.fixture(scope="module")
def rubric_results(tmp_path_factory) -> list[tuple[str, dict]]:
    """Four real performances scored by the rubric against their score: a piece at sight, the same piece
    rehearsed, a second piece at sight (another instrument, tempo and faults), then rehearsed."""
    from training.coach.box_check import rubric_results as generate

    return generate(tmp_path_factory.mktemp("coach-rubric"))


def test_box_observation_equals_the_simulators_for_the_same_history(tmp_path, rubric_results):
    from training.coach.box_check import box_view, simulator_view

    state = box_view(tmp_path / "coach.sqlite", rubric_results)
    box = state.observation()
    # the same history by hand, through the simulator's own Classroom.observation (box_check.py: accuracy =
    # mean(rhythm, technique), SR at sight and TP rehearsed, the calibration anchors written out, last value carried)
    simulated, rows = simulator_view(rubric_results)
    assert state.recent_tasks == ["TE", "EP", "SRP"]
    assert state.recent_sources == ["practised", "recommended", "practised"]
    assert box == pytest.approx(simulated, abs=1e-6)
    assert state.moving_average == pytest.approx(dict(zip(("TP", "ME", "SR", "IS"), np.mean(rows, axis=0)[0])))
    # no overall in any skill, nothing left on the rubric's own scale
    overall = [r["overall"] for _, r in rubric_results]
    assert not any(np.isclose(box[2] * 100, overall))
    assert state.age == {"TP": 0, "ME": 0, "SR": 1, "IS": 0}
    # what round 1 fed the policy for the same history (SR = overall, raw points) is far from it
    subs = rubric_results[-1][1]["subscores"]
    raw_tp = (subs["rhythm"]["value"] + subs["technique"]["value"]) / 200
    assert abs(raw_tp - box[0]) > 0.05


# ---- stale and expired skills ------------------------------------------------------------------------

def _without_interpretation(store: StudentStore, start: int, n: int) -> None:
    """New pieces (sight-reading) and the etude again (technique) by turns, never against a reference."""
    for i in range(start, start + n):
        piece = f"new-{i}" if i % 2 == 0 else "etude"
        store.add_assessment("p-2", "music", piece, {"rhythm": 72, "technique": 66, "expression": 61}, day(i))


@needs_policy
def test_a_stale_skill_is_said_and_an_expired_one_is_measured_again(tmp_path):
    from edge.coach.policy import CoachPolicy
    from edge.coach.recommend import recommend

    policy = CoachPolicy(SHIPPED, window=3)
    with StudentStore(tmp_path / "s.sqlite") as store:
        store.add_assessment("p-2", "music", "etude", {"rhythm": 70, "technique": 66, "expression": 60,
                                                       "interpretation": 50}, day(0))
        store.add_assessment("p-2", "music", "etude", {"rhythm": 71, "technique": 66, "expression": 60,
                                                       "interpretation": 50}, day(1))
        _without_interpretation(store, 2, 3)          # IS last measured 3 assessments ago: stale (W ≤ age < 2W)
        state = student_state("p-2", store.history("p-2"), store.preferences("p-2"), [], 3)
        assert state.age["IS"] == 3 and state.stale == ["IS"] and state.expired == []
        rec = recommend(state, policy)
        assert rec.q_values is not None and rec.confidence.stale == ["IS"]
        assert "Interpretative skill was last measured 3 assessments ago" in rec.reason
        _without_interpretation(store, 5, 3)
        state = student_state("p-2", store.history("p-2"), store.preferences("p-2"), [], 3)
    assert state.age["IS"] == 6 and state.expired == ["IS"]
    rec = recommend(state, policy)
    assert rec.action == "CIT" and rec.q_values is None and rec.confidence is None
    assert "was last measured 6 assessments ago" in rec.reason and "reference" in rec.reason
    with pytest.raises(ValueError, match="measure first: IS"):
        state.observation()


# ---- what was practised: the store, the CLI verb and the daemon's command -------------------------------

def perfscore(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_practised_replaces_the_assumed_recommendation_one_per_interval(tmp_path):
    with StudentStore(tmp_path / "s.sqlite") as store:
        for i in range(4):
            store.add_assessment("p-3", "music", "x", {"rhythm": 60 + i}, day(i))
            store.record_recommendation("p-3", day(i + 0.1), "TE", None, "r")
        store.record_practised("p-3", "CIT", day(1.5), "cli")
        store.record_practised("p-3", "EP", day(1.6), "mqtt")            # the later report of the interval counts
        store.record_practised("p-3", "SRP", day(3.5), "cli")            # after the latest: not yet in the window
        assert store.recent_practice("p-3") == [("TE", "recommended"), ("EP", "practised"), ("TE", "recommended")]
        done = store.practised("p-3")
    assert [(p.action, p.source, p.after_assessment > 0) for p in done] == [
        ("CIT", "cli", True), ("EP", "mqtt", True), ("SRP", "cli", True)]


def test_cli_practised_override_and_history(capsys, tmp_path):
    store = str(tmp_path / "coach.sqlite")
    for i, piece in enumerate(["sonata", "sonata"]):
        code, _, err = perfscore(capsys, "coach", "assess", "p-4", "--store", store, "--discipline", "music",
                                 "--piece", piece, "--at", f"2026-03-0{i + 1}T17:00:00Z", "--scores",
                                 "rhythm=70,technique=55,expression=62,interpretation=48")
        assert code == 0, err
        if i == 0:
            code, out, _ = perfscore(capsys, "coach", "practised", "p-4", "EP", "--store", store,
                                     "--at", "2026-03-01T18:00:00Z")
            assert code == 0 and "practised EP (expressive practice) after assessment #1" in out
    code, out, _ = perfscore(capsys, "coach", "override", "p-4", "SRP", "--note", "exam has sight-reading",
                             "--store", store)
    assert code == 0 and "next recommendation will be SRP" in out
    code, out, err = perfscore(capsys, "coach", "recommend", "p-4", "--store", store, "--json")
    assert code == 0, err
    rec = json.loads(out)
    assert rec["action"] == "SRP" and rec["override"]["note"] == "exam has sight-reading"
    assert rec["reason"].startswith("Teacher's choice: sight-reading practice (exam has sight-reading).")
    # SRP trains SR; SR was last measured on the first attempt, where technique (55) was below rhythm (70)
    assert rec["focus"]["subscore"] == "technique" and rec["focus"]["text"] == "focus on pitch accuracy (intonation)"
    again = json.loads(perfscore(capsys, "coach", "recommend", "p-4", "--store", store, "--json")[1])
    assert again["action"] == "SRP"                                   # same assessment, same answer

    code, out, _ = perfscore(capsys, "coach", "history", "p-4", "--store", store, "--json")
    doc = json.loads(out)
    rows = doc["assessments"]
    assert [r["first_attempt"] for r in rows] == [True, False]
    assert rows[0]["practised"] == [{"action": "EP", "ts": "2026-03-01T18:00:00Z", "source": "cli"}]
    assert rows[1]["recommended"]["action"] == "SRP" and rows[1]["override"]["action"] == "SRP"
    assert rows[0]["skills"]["SR"] == pytest.approx(skill_from_points(62.5)) and rows[0]["skills"]["TP"] is None
    assert rows[1]["skills"]["TP"] == pytest.approx(skill_from_points(62.5)) and rows[1]["skills"]["SR"] is None
    assert doc["pending_override"] is None
    code, out, _ = perfscore(capsys, "coach", "history", "p-4", "--store", store)
    lines = out.splitlines()
    assert code == 0 and lines[1].split()[:3] == ["#", "date", "piece"]
    assert lines[2].split() == ["1", "2026-03-01", "sonata", "yes", "—", "38", "38", "27", "—", "EP"]
    assert lines[3].split() == ["2", "2026-03-02", "sonata", "38", "38", "—", "27", "SRP*", "—"]
    assert "* the teacher's choice (override)" in out

    # the next assessment goes back to the policy (the override was for one recommendation)
    perfscore(capsys, "coach", "assess", "p-4", "--store", store, "--discipline", "music", "--piece", "sonata",
              "--at", "2026-03-03T17:00:00Z", "--scores", "rhythm=71,technique=56,expression=62,interpretation=48")
    if SHIPPED.exists():
        rec = json.loads(perfscore(capsys, "coach", "recommend", "p-4", "--store", store, "--json")[1])
        assert rec["override"] is None and "Teacher" not in rec["reason"]


@pytest.mark.parametrize("argv, message", [
    (["practised", "p-1", "XX"], "task type 'XX': unknown"),
    (["practised", "Jane Doe", "TE"], "pseudonymous"),
    (["override", "p-1"], "give a TASK, or --clear"),
    (["override", "p-1", "TE", "--clear"], "give a TASK, or --clear"),
    (["history", "nobody"], "no assessments"),
])
def test_bad_input_to_the_new_verbs_gives_one_line(capsys, tmp_path, argv, message):
    code, _, err = perfscore(capsys, "coach", *argv, "--store", str(tmp_path / "s.sqlite"))
    assert code == 1 and message in err and err.count("\n") == 1


def test_the_daemon_records_practice_and_overrides_by_command(tmp_path):
    from edge.app import App
    from edge.config import Settings
    from edge.publish import CommandError

    app = App(Settings(), "file:/dev/null", device="box-1", state_dir=tmp_path)
    assert app._cmd_practised({"performer": "p-5", "task": "CIT"}) == {"performer": "p-5", "task": "CIT",
                                                                       "after_assessment": 0}
    app._cmd_override({"performer": "p-5", "task": "EP", "note": "concert"})
    with pytest.raises(CommandError, match="pseudonymous"):
        app._cmd_practised({"performer": "Jane Doe", "task": "CIT"})
    with Coach(tmp_path / "coach.sqlite") as coach:          # the daemon's store, as the results thread opens it
        assert [p.action for p in coach.store.practised("p-5")] == ["CIT"]
        assert coach.store.override_for_next("p-5").note == "concert"


# ---- confidence and the payload ---------------------------------------------------------------------------

def test_confidence_is_the_q_margin_against_the_measured_close_call_threshold(tmp_path):
    with StudentStore(tmp_path / "s.sqlite") as store:
        store.add_assessment("p-6", "music", "x", {"rhythm": 60, "technique": 60, "expression": 60,
                                                   "interpretation": 60}, day(0))
        state = student_state("p-6", store.history("p-6"), store.preferences("p-6"), [], 3)
    close = confidence_of({"TE": 9.10, "EP": 9.07, "SRP": 8.0, "CIT": 8.9}, state)
    assert close.runner_up == "EP" and close.margin == pytest.approx(0.03) and close.close_call
    assert close.value == pytest.approx(0.03 / (0.03 + CLOSE_CALL_MARGIN))
    clear = confidence_of({"TE": 9.4, "EP": 9.05, "SRP": 8.0, "CIT": 8.9}, state)
    assert not clear.close_call and clear.value == pytest.approx(0.35 / (0.35 + CLOSE_CALL_MARGIN))
    # The threshold is measured for the policy the box ships and kept in its manifest entry: the largest
    # margin on the grid at which taking the runner-up costs at most 1 % of the reward.
    measured = json.loads((PROJECT_ROOT / "reports" / "coach" / "close_call.json").read_text())
    shipped = json.loads((PROJECT_ROOT / "models" / "manifest.json").read_text())["artifacts"]["coach_policy.onnx"]
    assert measured["checkpoint"] == shipped["provenance"]["checkpoint"]
    free = [row["threshold"] for row in measured["grid"]
            if row["reward_lost_per_episode"] <= 0.01 * measured["grid"][0]["reward_per_episode"]]
    assert shipped["scores"]["close_call_margin"] == max(free) < measured["grid"][-1]["threshold"]
    # the default for a policy file without one is a tuned DQN's, measured the same way
    dqn = json.loads((PROJECT_ROOT / "reports" / "coach" / "close_call_dqn_seed0.json").read_text())
    assert CLOSE_CALL_MARGIN == max(row["threshold"] for row in dqn["grid"]
                                    if row["reward_lost_per_episode"] <= 0.01 * dqn["grid"][0]["reward_per_episode"])
    # a policy's own margin is the one the box uses
    wide = confidence_of({"TE": 9.4, "EP": 9.05, "SRP": 8.0, "CIT": 8.9}, state, threshold=1.0)
    assert wide.close_call and wide.value == pytest.approx(0.35 / 1.35)


def _schema() -> dict:
    return json.loads((PROJECT_ROOT / "edge" / "schemas" / "recommendation.schema.json").read_text())


@needs_policy
def test_the_recommendation_payload_carries_focus_confidence_override_and_stays_compatible(tmp_path):
    score = {"discipline": "music", "overall": 60.0, "grade": "C", "subscores": {
        "rhythm": {"value": 80.0, "explanation": "Steady."}, "sync": {"value": None, "explanation": "n/a"},
        "technique": {"value": 45.0, "explanation": "Notes sit 30 cents flat."},
        "expression": {"value": 60.0, "explanation": "Some dynamics."},
        "interpretation": {"value": 55.0, "explanation": "Most notes right."}}}
    with Coach(tmp_path / "coach.sqlite") as coach:
        for i in range(3):
            coach.assess("p-7", score, piece="minuet", at=day(i))
        coach.override("p-7", "TE", note="scales week")
        rec = coach.recommend("p-7").to_dict()
    p = payloads.recommendation("studio-3", recommendation=rec, take_id="t1", scores=score)
    jsonschema.Draft202012Validator(_schema()).validate(json.loads(payloads.encode(p)))
    assert p["focus"] == {"skill": "TP", "subscore": "technique", "value": 45.0,
                          "text": "focus on pitch accuracy (intonation)"}
    assert p["override"]["action"] == "TE" and p["override"]["policy_action"] in ("TE", "EP", "SRP", "CIT")
    assert set(p["confidence"]) == {"value", "margin", "runner_up", "close_call", "stale"}
    assert p["confidence"]["margin"] == pytest.approx(
        sorted(rec["q_values"].values())[-1] - sorted(rec["q_values"].values())[-2])
    # a message from before these fields (as an older box sends, or a retained one) still validates
    old = {k: v for k, v in p.items() if k not in ("focus", "confidence", "override")}
    jsonschema.Draft202012Validator(_schema()).validate(json.loads(payloads.encode(old)))
    old_rec = {k: v for k, v in rec.items() if k not in ("focus", "confidence", "override")}
    legacy = payloads.recommendation("studio-3", recommendation=old_rec, take_id=None)
    assert legacy["focus"] is None and legacy["confidence"] is None and legacy["override"] is None


def test_focus_in_dance_words(tmp_path):
    from edge.coach.recommend import focus_of

    with StudentStore(tmp_path / "s.sqlite") as store:
        store.add_assessment("d-1", "dance", "combo", {"rhythm": 80, "sync": 40, "technique": 70, "expression": 50},
                             day(0))
        history = store.history("d-1")
    assert focus_of("SRP", "dance", history).text == "focus on landing on the beat"     # sync 40 is the weakest
    assert focus_of("EP", "dance", history).text == "focus on dynamics in your movement"
    assert focus_of("TE", "dance", history) is None            # TP not measured on a first attempt
    assert focus_of("CIT", "dance", history) is None           # no interpretation without a reference
    with pytest.raises(CoachError, match="task type 'XX'"):
        with StudentStore(tmp_path / "s.sqlite") as store:
            store.set_override("d-1", "XX", day(1))
