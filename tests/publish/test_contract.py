"""The MQTT contract: schemas are valid, every example payload (built by the code) validates against its
schema, docs/mqtt.md shows exactly those examples, and real scoring/coach output fits the contract."""

from __future__ import annotations

import json
import math
import runpy
import uuid

import jsonschema
import numpy as np
import pytest

from edge import PROJECT_ROOT
from edge.publish import payloads
from edge.publish.examples import SCHEMA_OF, examples
from edge.publish.payloads import PayloadError

SCHEMAS = PROJECT_ROOT / "edge" / "schemas"
KINDS = ("status", "health", "live", "session", "recommendation", "command", "command_result")
SCRIPT = runpy.run_path(str(PROJECT_ROOT / "scripts" / "mqtt_reference.py"))


def schema(kind: str) -> dict:
    return json.loads((SCHEMAS / f"{kind}.schema.json").read_text())


def validate(kind: str, payload: dict) -> None:
    jsonschema.Draft202012Validator(schema(kind)).validate(json.loads(payloads.encode(payload)))


@pytest.mark.parametrize("kind", KINDS)
def test_schemas_are_valid_2020_12_and_share_the_envelope(kind):
    s = schema(kind)
    jsonschema.Draft202012Validator.check_schema(s)
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema" and s["$id"] == f"perfscore.{kind}/1"
    if kind != "command":   # what the box sends: the same four envelope fields, all required
        envelope = {k: v for k, v in s["properties"].items() if k in ("id", "ts", "device")}
        assert envelope == {k: v for k, v in schema("status")["properties"].items() if k in ("id", "ts", "device")}
        assert s["properties"]["schema"] == {"const": f"perfscore.{kind}/1"}
        assert {"schema", "id", "ts", "device"} <= set(s["required"])


def test_every_example_validates_against_its_schema():
    for suffix, payload in examples().items():
        validate(SCHEMA_OF[suffix], payload)


def test_the_doc_shows_the_current_examples():
    doc = (PROJECT_ROOT / "docs" / "mqtt.md").read_text()
    assert SCRIPT["current_doc"](SCRIPT["render"](), doc) == doc, \
        "docs/mqtt.md's examples are stale: run scripts/mqtt_reference.py"
    for suffix in ("status", "health", "live", "session", "recommendation", "cmd/{verb}", "cmd/{verb}/result"):
        assert f"{{device}}/{suffix}`" in doc   # every topic is in the table


def test_session_scores_are_the_analyze_contract():
    """`session.scores` is what `analyze --json` prints: the same score and sub-score definitions."""
    analysis = json.loads((SCHEMAS / "analysis.schema.json").read_text())
    session = schema("session")
    for name in ("score", "subscore"):
        assert session["$defs"][name] == analysis["$defs"][name], f"session.schema.json's {name} drifted from analysis"


def test_envelope_fields():
    p = payloads.status("box-1", "online", version="0.1.0")
    assert p["schema"] == "perfscore.status/1" and p["device"] == "box-1"
    assert uuid.UUID(p["id"]).version == 4 and p["id"] != payloads.status("box-1", "online", version="x")["id"]
    assert p["ts"].endswith("Z") and len(p["ts"]) == len("2026-11-30T17:05:00.000Z")


def test_a_real_score_result_makes_a_valid_session():
    from edge.config.scoring import ScoringConfig
    from edge.scoring.result import ModelInfo, ScoreResult, SubScore, grade_of, overall_score

    cfg = ScoringConfig()
    model = ModelInfo("rubric", "1", "python")
    subs = {"rhythm": SubScore(np.float64(83.25), "Steady.", {"ioi_cv": np.float32(0.05), "bad": float("nan")}, model),
            "sync": SubScore(None, "Music has no movement to sync.", {}, model),
            "technique": SubScore(70.0, "Clean.", {"cents": [np.int64(3), 4]}, model)}
    overall = overall_score(subs, cfg.weights)
    window = ScoreResult("music", dict(subs), overall, grade_of(overall, cfg.grades), 0.0, 4.0)
    result = ScoreResult("music", subs, overall, grade_of(overall, cfg.grades), 0.0, 12.0, timeline=[window])
    p = payloads.session("box-1", take_id="t1", performer="p-7", discipline="music", piece="minuet",
                         started_at=1_790_000_000.0, ended_at=1_790_000_012.0, end_reason="source_ended",
                         cut_short=False, scores=result.to_dict(), models=[vars(model)])
    validate("session", p)
    # numpy values became plain numbers, NaN became null (JSON has no NaN)
    rhythm = p["scores"]["subscores"]["rhythm"]
    assert rhythm["measurements"]["bad"] is None and math.isclose(rhythm["measurements"]["ioi_cv"], 0.05, rel_tol=1e-6)
    assert p["scores"]["subscores"]["technique"]["measurements"]["cents"] == [3, 4]
    assert p["take"]["started_at"] == "2026-09-21T14:13:20.000Z"


def test_a_real_coach_recommendation_makes_a_valid_recommendation(tmp_path):
    from edge.coach.service import Coach

    score = examples()["session"]["scores"]
    with Coach(tmp_path / "coach.sqlite") as coach:
        coach.assess("p-0042", score, piece="waltz", discipline="dance")
        rec = coach.recommend("p-0042")
    p = payloads.recommendation("studio-3", recommendation=rec.to_dict(), take_id="t1", scores=score)
    validate("recommendation", p)
    assert p["performer"] == "p-0042" and p["task"]["action"] == rec.action and p["reason"] == rec.reason
    assert p["feedback"]["rhythm"] == {"value": 81.0, "sentence": score["subscores"]["rhythm"]["explanation"]}


def test_performer_ids_only_never_names():
    assert payloads.PERFORMER_ID.pattern == __import__("edge.coach.store", fromlist=["x"]).PERFORMER_ID.pattern
    for bad in ("Anna Müller", "anna@example.org", "", "x" * 65, 42, "a/b"):
        with pytest.raises(PayloadError, match="pseudonymous"):
            payloads.live("box-1", take_id="t", performer=bad, discipline="dance", t_s=1.0, captured_at=0.0,
                          subscores={}, overall=None, beat_alignment=None, tempo_bpm=None, person_present=None)
    rec = examples()["recommendation"]
    with pytest.raises(PayloadError, match="pseudonymous"):
        payloads.recommendation("box-1", take_id=None, scores=None,
                                recommendation={"performer": "Anna Müller", "discipline": "dance", "action": "TE",
                                                "action_name": "x", "task": rec["task"], "reason": "r"})


def test_bad_values_are_refused_with_the_reason():
    with pytest.raises(PayloadError, match="status 'asleep'"):
        payloads.status("box-1", "asleep", version="1")
    with pytest.raises(PayloadError, match="end_reason"):
        payloads.session("box-1", take_id="t", performer=None, discipline="dance", piece=None, started_at=0.0,
                         ended_at=1.0, end_reason="bored", cut_short=False, scores=None, models=[])
    with pytest.raises(PayloadError, match="cannot be published as JSON"):
        payloads.envelope("health", "box-1", thing=object())
    with pytest.raises(ValueError, match="device id"):
        payloads.status("box/1", "online", version="1")
