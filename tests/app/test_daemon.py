"""`perfscore run` end to end: a shipped recording replayed through the live path, a real broker, real
MediaPipe. Every message validates against its schema; the session scores what `analyze` scores."""

from __future__ import annotations

import json
import signal
import time

from edge.config import Settings
from edge.publish import payloads
from edge.scoring import score_file

from .conftest import DANCE, MUSIC, validate

SUBSCORES = ("rhythm", "sync", "technique", "expression", "interpretation")


def _kind(topic: str) -> str:
    return topic.split("/", 2)[2]


def test_once_replay_publishes_the_contract_with_the_scores_of_analyze(broker, recorders, boxes, tmp_path):
    sub = recorders(broker.port)
    box = boxes(tmp_path, broker.url, f"replay:{DANCE}", "--once", "--performer", "p-042", "--piece", "on-beat")
    assert box.wait(60) == 0, "\n".join(box.lines[-20:])
    sub.wait_for(lambda r: r.on("/status") and r.on("/status")[-1]["state"] == "stopped", what="status stopped")

    kinds = [_kind(t) for t, *_ in sub.messages]
    assert kinds[0] == "status" and sub.on("/status")[0]["state"] == "online"
    for kind in ("live", "health", "session", "recommendation"):
        assert kind in kinds, kinds
    assert kinds.count("live") >= 5                     # a few a second over an 11 s take
    assert kinds.index("session") < kinds.index("recommendation") < len(kinds) - 1
    for topic, body, retain, _ in sub.messages:
        kind = _kind(topic)
        validate(kind, body)
        assert body["schema"] == payloads.schema_name(kind) and body["device"] == "demo"
        if kind in ("live", "health"):
            assert retain is False

    session = sub.on("/session")[0]
    take = session["take"]
    assert take["performer"] == "p-042" and take["piece"] == "on-beat"
    assert take["end_reason"] == "source_ended" and take["cut_short"] is False
    assert {m["name"] for m in session["models"]} >= {"pose_landmarker_full.task", "rubric"}
    lives = sub.on("/live")
    assert {live["take_id"] for live in lives} == {take["id"]}
    assert lives[-1]["person_present"] is True and lives[-1]["discipline"] == "dance"
    assert lives[-1]["subscores"]["sync"] is not None
    rec = sub.on("/recommendation")[0]
    assert rec["take_id"] == take["id"] and rec["performer"] == "p-042"
    health = sub.on("/health")[-1]
    assert health["capture"]["frames_dropped"] == 0 and health["pose"]["fps"] > 0
    # One ModelInfo shape for every loaded model; files carry their manifest sha256, only the rubric none.
    loaded = {m["name"]: m for m in health["models"]}
    assert set(loaded) >= {"pose_landmarker_full.task", "basic_pitch_nmp.onnx", "rubric", "coach_policy.onnx"}
    for name, model in loaded.items():
        assert set(model) == {"name", "version", "backend", "precision", "sha256"}
        assert (model["sha256"] is None) == (name == "rubric"), model
    assert rec["model"] in (None, loaded["coach_policy.onnx"])   # None until every skill is measured
    assert {m["name"]: m for m in session["models"]}["pose_landmarker_full.task"] == \
        loaded["pose_landmarker_full.task"]

    # The same file through the file path (after the daemon, so the replay had the CPU to itself).
    expected = score_file(DANCE, Settings()).rubric.to_dict()
    got = session["scores"]
    for name in SUBSCORES:
        want, have = expected["subscores"][name]["value"], got["subscores"][name]["value"]
        assert (want is None) == (have is None), name
        if want is not None:
            assert abs(want - have) <= 1.0, (name, want, have)
    assert abs(expected["overall"] - got["overall"]) <= 1.0


def test_results_wait_for_a_broker_that_comes_after_the_replay(broker, recorders, boxes, tmp_path):
    broker.stop()                         # the box starts with no broker at all
    box = boxes(tmp_path, broker.url, f"replay:{MUSIC}", "--once", "--speed", "4", "--performer", "p-7")
    session_id = box.wait_line(r"session ([0-9a-f-]{36}) published", timeout=60).group(1)
    box.wait_line(r"recommendation \S+ .*for p-7|recommendation .* for p-7", timeout=30)
    time.sleep(1.0)
    assert box.proc.poll() is None        # still waiting for the broker with the results on disk
    broker.start()
    assert box.wait(30) == 0, "\n".join(box.lines[-20:])
    sub = recorders(broker.port)          # subscribes after everything happened: retained messages
    sub.wait_for(lambda r: r.on("/session") and r.on("/recommendation"), what="retained results")
    session = sub.on("/session")[0]
    assert session["id"] == session_id and session["take"]["performer"] == "p-7"
    validate("session", session)
    validate("recommendation", sub.on("/recommendation")[0])
    assert sub.on("/status")[-1]["state"] == "stopped"


def test_commands_start_and_stop_a_take_and_are_answered(broker, recorders, boxes, tmp_path):
    sub = recorders(broker.port)
    box = boxes(tmp_path, broker.url, f"replay:{DANCE}")
    sub.wait_for(lambda r: any(b["state"] == "online" for b in r.on("/status")), what="online")
    box.wait_line("box demo up")

    def command(verb: str, args: dict, request_id: str) -> dict:
        sub.client.publish(f"perfscore/demo/cmd/{verb}", json.dumps(payloads.command(args, request_id=request_id)),
                           qos=1)
        sub.wait_for(lambda r: any(b.get("request_id") == request_id for b in r.on(f"/cmd/{verb}/result")),
                     what=f"result of {verb} {request_id}")
        result = next(b for b in sub.on(f"/cmd/{verb}/result") if b.get("request_id") == request_id)
        validate("command_result", result)
        return result

    assert command("session/stop", {}, "r-0")["error"]["code"] == "refused"         # nothing runs yet
    named = command("session/start", {"performer": "Jane Doe"}, "r-1")              # a name, not an id
    assert named["ok"] is False and named["error"]["code"] == "bad_request"
    started = command("session/start", {"performer": "p-9", "piece": "kick", "discipline": "dance"}, "r-2")
    assert started["ok"] is True
    take_id = started["result"]["take_id"]
    assert command("session/start", {"performer": "p-9"}, "r-3")["error"]["code"] == "refused"  # one at a time
    sub.wait_for(lambda r: sum(b["take_id"] == take_id for b in r.on("/live")) >= 2, timeout=20, what="live")
    stopped = command("session/stop", {}, "r-4")
    assert stopped["ok"] is True and stopped["result"]["take_id"] == take_id
    sub.wait_for(lambda r: r.on("/session"), timeout=30, what="session")
    take = sub.on("/session")[0]["take"]
    assert take["id"] == take_id and take["end_reason"] == "stopped" and take["cut_short"] is False
    assert take["performer"] == "p-9" and take["discipline"] == "dance"
    sub.wait_for(lambda r: r.on("/recommendation"), timeout=20, what="recommendation")
    assert box.wait(40) == 0              # the replay ends: the box delivers and stops
    sub.wait_for(lambda r: r.on("/status")[-1]["state"] == "stopped", what="stopped")
    assert len(sub.on("/session")) == 1   # no take ran after the stop


def test_sigterm_mid_take_publishes_it_cut_short_and_says_stopped(broker, recorders, boxes, tmp_path):
    sub = recorders(broker.port)
    box = boxes(tmp_path, broker.url, f"replay:{MUSIC}", "--once", "--performer", "p-3")
    sub.wait_for(lambda r: len(r.on("/live")) >= 1, timeout=30, what="a live message")
    box.signal(signal.SIGTERM)
    assert box.wait(30) == 0, "\n".join(box.lines[-20:])
    sub.wait_for(lambda r: r.on("/session") and r.on("/status")[-1]["state"] == "stopped", what="session, stopped")
    session = sub.on("/session")[0]
    validate("session", session)
    assert session["take"]["cut_short"] is True and session["take"]["end_reason"] == "shutdown"
    assert session["scores"]["end_s"] < 10.0          # only what was captured: the 14 s file was not all there
    assert not sub.on("/recommendation")              # a partial take is not assessed


def test_results_in_the_outbox_survive_sigkill(broker, recorders, boxes, tmp_path):
    broker.stop()
    first = boxes(tmp_path / "a", broker.url, f"replay:{MUSIC}", "--once", "--speed", "4",
                  state_dir=tmp_path / "state")
    session_id = first.wait_line(r"session ([0-9a-f-]{36}) published", timeout=60).group(1)
    first.wait_line(r"recommendation .* for guest", timeout=30)
    first.kill()                          # SIGKILL: no chance to say anything
    broker.start()
    sub = recorders(broker.port)
    second = boxes(tmp_path / "b", broker.url, f"replay:{MUSIC}", "--once", "--speed", "4",
                   state_dir=tmp_path / "state")
    assert second.wait(60) == 0, "\n".join(second.lines[-20:])
    sub.wait_for(lambda r: len(r.on("/session")) >= 2, what="both sessions")
    ids = [s["id"] for s in sub.on("/session")]
    assert ids[0] == session_id and len(set(ids)) == 2       # the killed box's result first, then the new one
    assert len(sub.on("/recommendation")) == 2
