"""The coach service (edge/coach/service.py) that `perfscore coach` and the daemon share: known answers."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from edge import MODELS_DIR
from edge.coach import observation, skills, vocabulary
from edge.coach.errors import CoachError
from edge.coach.policy import CoachPolicy
from edge.coach.service import STORE_FILE, Coach
from edge.coach.store import StudentStore
from edge.config.coach import CoachConfig
from edge.scoring.result import ModelInfo, ScoreResult, SubScore
from tests.coach.shipped import shipped_reason_words

SHIPPED = MODELS_DIR / "coach_policy.onnx"
needs_policy = pytest.mark.skipif(not SHIPPED.exists(), reason="models/coach_policy.onnx not exported yet")
T0 = datetime(2026, 3, 1, 17, 0, tzinfo=timezone.utc)
RUBRIC = ModelInfo(name="rubric", version="test", backend="python")


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def music_result(rhythm: float, technique: float, expression: float, interpretation: float,
                 overall: float) -> ScoreResult:
    """A score result as the rubric makes one, with a sentence per sub-score."""
    def sub(value, sentence):
        return SubScore(value, sentence, {"example_ms": 1.0}, RUBRIC)

    return ScoreResult("music", {
        "rhythm": sub(rhythm, f"Onsets wander by {100 - rhythm:.0f} ms from the beat."),
        "sync": sub(None, "Music has no movement to sync."),
        "technique": sub(technique, "Notes sit 12 cents from the nearest semitone on average."),
        "expression": sub(expression, "Notes range over 18 dB of loudness."),
        "interpretation": sub(interpretation, "Time is kept evenly with some shaping."),
    }, overall, "C", 0.0, 30.0)


@pytest.fixture()
def coach(tmp_path: Path):
    with Coach(tmp_path / "coach.sqlite", policy_path=SHIPPED, window=3) as c:
        yield c


@needs_policy
def test_weak_rhythm_gets_the_task_the_policy_ranks_first(coach):
    # A first attempt (sight-reading), then the same piece twice (technique): rhythm 30 and technique 40
    # make an accuracy of 35 points = 17.5 on the skill scale (35/40 of the beginner's 20), so TP and SR
    # are 17.5; expression 70 points → ME 44.5; interpretation 65 → IS 32.25 + 10/15 · 12.25 = 40.4167.
    # Every skill is known from the second assessment; the two complete rows are equal, so LP = 0.
    for i in range(3):
        coach.assess("p-042", music_result(30, 40, 70, 65, 60), piece="piece", at=day(i))
    rec = coach.recommend("p-042", at=day(3))
    # The observation written out by hand from those numbers (edge/coach/observation.py's layout).
    obs = np.array([0.175, 0.445, 0.175, 0.404167, 0.5, 0.25, 0.25, 0.25, 0.25, 0, 0, 0, 0], np.float32)
    assert coach.show("p-042").observation() == pytest.approx(obs, abs=1e-6)
    q = CoachPolicy(SHIPPED, window=3).q_values(obs)
    assert rec.action == vocabulary.ACTIONS[int(np.argmax(q))]
    assert rec.q_values == pytest.approx(dict(zip(vocabulary.ACTIONS, q.tolist())), abs=1e-5)
    assert "Technical proficiency is the weakest skill (TP 18 vs ASM 30)" in rec.reason
    assert "learning pace is flat (+0.0" in rec.reason
    # the latest assessment's sentences travel with the recommendation; sync did not apply
    assert rec.feedback == {"rhythm": "Onsets wander by 70 ms from the beat.",
                            "technique": "Notes sit 12 cents from the nearest semitone on average.",
                            "expression": "Notes range over 18 dB of loudness.",
                            "interpretation": "Time is kept evenly with some shaping."}


@needs_policy
def test_the_recommendation_is_recorded_and_becomes_a_recent_task(coach):
    for i in range(3):
        coach.assess("p-1", {"rhythm": 50 + i, "technique": 55, "expression": 60, "interpretation": 45,
                             "overall": 58}, piece="etude", discipline="music", at=day(i))
    rec = coach.recommend("p-1", at=day(3))
    again = coach.recommend("p-1", at=day(3))                 # asking twice: same answer, recorded once
    assert again.action == rec.action and again.q_values == rec.q_values
    rows = coach.store.db.execute("SELECT action, q_values, reason FROM recommendations WHERE performer = 'p-1'"
                                  ).fetchall()
    assert len(rows) == 1
    assert rows[0][0] == rec.action and json.loads(rows[0][1]) == rec.q_values and rows[0][2] == rec.reason
    state = coach.assess("p-1", {"rhythm": 60}, piece="etude", discipline="music", at=day(4)).state
    assert state.recent_tasks == [rec.action]               # the next observation sees it


def test_a_score_result_as_analyze_json_prints_it_is_accepted(tmp_path):
    result = music_result(72, 64, 55, 48, 61)
    as_printed = json.loads(json.dumps(result.to_dict()))      # `analyze --json` prints this under "scores"
    analyze_doc = {"schema": "perfscore.analysis/1", "file": "take.wav", "scores": as_printed, "warnings": []}
    for i, given in enumerate([as_printed, analyze_doc, result]):
        with Coach(tmp_path / f"s{i}.sqlite") as coach:
            assessed = coach.assess("p-7", given, piece="minuet", at=day(0))
            assert assessed.stored.discipline == "music"        # from the result
            assert assessed.stored.scores == {"rhythm": 72.0, "sync": None, "technique": 64.0, "expression": 55.0,
                                              "interpretation": 48.0, "overall": 61.0}
            # a first attempt: SR = accuracy = mean(technique 64, rhythm 72) = 68 points; the overall (61)
            # is no skill. On the skill scale: 68 → 32.25 + 13/15 · 12.25, 55 → 32.25, 48 → 20 + 8/15 · 12.25
            assert assessed.state.latest == pytest.approx({"TP": None, "ME": 32.25, "SR": 42.866667,
                                                           "IS": 26.533333})
            assert assessed.stored.feedback["expression"] == "Notes range over 18 dB of loudness."
            assert coach.store.history("p-7")[0].feedback == assessed.stored.feedback     # kept in the store


@pytest.mark.parametrize("performer", ["Jane Doe", "jane.doe@example.com", "Zoë", "p/../1", "", "x" * 65, 42])
def test_a_name_or_bad_characters_are_refused_before_anything_is_stored(coach, performer):
    with pytest.raises(CoachError, match="pseudonymous token") as err:
        coach.assess(performer, {"rhythm": 70}, piece="x", discipline="music", at=day(0))
    assert repr(performer) in str(err.value)
    for call in (coach.recommend, coach.show, lambda p: coach.prefer(p, {"EP": 1})):
        with pytest.raises(CoachError, match="pseudonymous token"):
            call(performer)
    assert coach.store.db.execute("SELECT COUNT(*) FROM performers").fetchone()[0] == 0


def test_bad_results_name_what_is_wrong(coach):
    with pytest.raises(CoachError, match="discipline: required"):
        coach.assess("p-1", {"rhythm": 70}, piece="x")
    with pytest.raises(CoachError, match="piece: required"):
        coach.assess("p-1", {"rhythm": 70}, discipline="music")
    with pytest.raises(CoachError, match="sub-score 'tempo': unknown"):
        coach.assess("p-1", {"tempo": 70}, piece="x", discipline="music")
    with pytest.raises(CoachError, match="not scored"):
        coach.assess("p-1", {"file": "a.wav", "scores": None}, piece="x", discipline="music")
    with pytest.raises(CoachError, match="ts 'soon': not an ISO 8601"):
        coach.assess("p-1", {"rhythm": 70, "ts": "soon"}, piece="x", discipline="music")
    with pytest.raises(CoachError, match="no assessments"):
        coach.recommend("p-1")


def test_an_unmeasured_skill_needs_no_policy(tmp_path):
    with Coach(tmp_path / "s.sqlite", policy_path=tmp_path / "absent.onnx") as coach:
        coach.assess("d-7", {"rhythm": 70, "sync": 65, "technique": 60, "expression": 50, "overall": 61},
                     piece="combo", discipline="dance", at=day(0))
        rec = coach.recommend("d-7")
        # a first attempt measures sight-reading, not technique: TP comes first
        assert rec.action == "TE" and rec.q_values is None and rec.model is None
        assert coach._policy is None                               # never loaded


@needs_policy
def test_to_dict_carries_what_a_recommendation_message_needs(coach):
    for i in range(3):
        coach.assess("p-9", music_result(60, 62, 50, 55, 58), piece="p0", at=day(i))
    doc = json.loads(json.dumps(coach.recommend("p-9").to_dict()))      # JSON as it is
    assert doc["performer"] == "p-9" and doc["discipline"] == "music"
    assert doc["action"] in vocabulary.ACTIONS and doc["action_name"] == vocabulary.ACTION_NAMES[doc["action"]]
    assert doc["task"]["title"] and doc["task"]["instruction"]
    assert set(doc["q_values"]) == set(vocabulary.ACTIONS) and shipped_reason_words() in doc["reason"]
    assert doc["feedback"]["expression"] == "Notes range over 18 dB of loudness."
    assert doc["model"]["name"] == "coach_policy.onnx" and len(doc["model"]["sha256"]) == 64


def test_from_config_keeps_the_store_in_the_state_directory(tmp_path):
    config = CoachConfig(store_path=tmp_path / "elsewhere.sqlite", window=4, theta=0.6)
    with Coach.from_config(config, state_dir=tmp_path / "state") as coach:
        coach.assess("p-1", {"rhythm": 70}, piece="x", discipline="music", at=day(0))
        assert (coach.window, coach.theta) == (4, 0.6)
    assert (tmp_path / "state" / STORE_FILE).exists() and not (tmp_path / "elsewhere.sqlite").exists()
    with Coach.from_config(config, state_dir=tmp_path / "state") as coach:             # a restart
        assert coach.show("p-1").latest["SR"] == 44.5            # rhythm 70 points on a first attempt


def test_a_schema_1_store_keeps_its_assessments_and_gains_feedback(tmp_path):
    path = tmp_path / "old.sqlite"
    with StudentStore(path) as store:
        store.add_assessment("p-1", "music", "x", {"rhythm": 70}, day(0))
    db = sqlite3.connect(path)                       # what a store written before feedback looked like
    db.executescript("ALTER TABLE assessments DROP COLUMN feedback; PRAGMA user_version=1;")
    db.close()
    with Coach(path) as coach:
        assert coach.show("p-1").latest["SR"] == 44.5
        coach.assess("p-1", music_result(60, 60, 60, 60, 60), piece="y", at=day(1))
        assert [h.feedback is None for h in coach.store.history("p-1")] == [True, False]
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 3


def test_the_light_vocabulary_is_the_scoring_contract():
    """The coach names sub-scores and disciplines without importing the scoring package: same names."""
    from typing import get_args

    from edge.scoring import result

    assert vocabulary.ASSESSED == (*result.SUBSCORES, "overall") == skills.SUBSCORES
    assert vocabulary.DISCIPLINES == get_args(result.Discipline) == skills.DISCIPLINES
    assert observation.ACTIONS is vocabulary.ACTIONS and observation.SKILLS is vocabulary.SKILLS


def test_the_coach_service_loads_no_measuring_stack():
    """`perfscore coach …` and the daemon's coach stage need the student model, not features or scoring."""
    import subprocess
    import sys

    from edge import PROJECT_ROOT

    probe = "import sys, edge.coach.service, edge.cli.coach; print(' '.join(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    loaded = set(run.stdout.split())
    assert not {m for m in loaded if m.startswith(("edge.features", "edge.analysis", "edge.scoring", "edge.sources",
                                                    "scipy", "cv2", "av", "mediapipe", "onnxruntime", "torch"))}
