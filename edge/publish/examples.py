"""One example payload per topic, built by the payload builders themselves (docs/mqtt.md shows these,
and tests/publish validate them against edge/schemas/, so the contract's examples cannot drift).

Ids and times are fixed so the document is reproducible; everything else comes from the builders.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from ..coach.recommend import CLOSE_CALL_MARGIN
from ..models import ModelInfo
from . import payloads

DEVICE = "studio-3"
_T0 = datetime(2026, 11, 30, 17, 5, 0, tzinfo=timezone.utc)
_TAKE = "take-20261130-170500"
# ModelInfo (edge/models.py) as every payload carries it: name, version, backend, precision, sha256.
_RUBRIC = ModelInfo("rubric", "2.0", "python", "fp64").to_dict()
_POSE = ModelInfo("pose_landmarker_full.task", None, "mediapipe-tasks", "fp32",
                  "5d1b6f6a5b0c2d6f4b8e9f7b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d").to_dict()
_NOTES = ModelInfo("basic_pitch_nmp.onnx", None, "onnxruntime", "fp32",
                   "8e2f1c0d9b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e").to_dict()
_POLICY = ModelInfo("coach_policy.onnx", None, "onnxruntime", "fp32",
                    "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0").to_dict()


def _score() -> dict[str, Any]:
    """The shape of ScoreResult.to_dict() (edge/scoring/result.py), as `analyze --json` prints it."""
    def sub(value, sentence, **measurements):
        return {"value": value, "explanation": sentence, "measurements": measurements, "model": _RUBRIC}

    return {"discipline": "dance", "start_s": 0.0, "end_s": 62.4, "overall": 74.6, "grade": "C",
            "subscores": {
                "rhythm": sub(81.0, "Your steps kept a steady pulse; a few landed early in the fast section.",
                              tempo_bpm=118.2, beat_interval_cv=0.06),
                "sync": sub(72.5, "Most accents hit the beat; they drifted about a tenth of a second late near the end.",
                            beat_alignment=0.61, mean_offset_ms=94.0),
                "technique": sub(70.3, "Arm extensions were full; turns lost balance twice.",
                                 pose_stability=0.82, person_frames=1870),
                "expression": sub(76.0, "Your movement grew with the music's crescendos.", motion_dynamics_db=9.5),
                "interpretation": sub(None, "No reference performance was given, so interpretation was not scored."),
            },
            "timeline": [], "explanation": None}


def _recommendation() -> dict[str, Any]:
    """The shape of edge.coach's Recommendation.to_dict()."""
    q = {"TE": 1.84, "EP": 1.52, "SRP": 1.31, "CIT": 1.12}
    return {"performer": "p-0042", "discipline": "dance", "action": "TE", "action_name": "technical exercise",
            "task": {"action": "TE", "title": "Technique drills",
                     "instruction": "Drill the basic steps, turns and placements slowly, then to the music's tempo."},
            "q_values": q,
            "reason": "technical exercise trains technical proficiency and has the highest Q-value (expected long-run "
                      "gain): TE 1.84, EP 1.52, SRP 1.31, CIT 1.12. Technical proficiency is the weakest skill "
                      "(TP 68 vs ASM 73); learning pace is rising (+1.2 ASM points per assessment).",
            "state": {"assessments": 7, "moving_average": {"TP": 68.0, "ME": 76.0, "SR": 71.0, "IS": 77.0},
                      "asm": 73.0, "lp": 1.2, "forecast": {"TP": 69.5, "ME": 76.8, "SR": 72.0, "IS": 77.3},
                      "preferences": {"TE": 0.25, "EP": 0.25, "SRP": 0.25, "CIT": 0.25},
                      "recent_tasks": ["EP", "TE", "CIT"], "recent_sources": ["practised", "recommended", "practised"],
                      "age": {"TP": 1, "ME": 0, "SR": 0, "IS": 2}, "stale": [], "expired": []},
            "model": _POLICY,
            "focus": {"skill": "TP", "subscore": "technique", "value": 70.3, "text": "focus on balance and steady lines"},
            "confidence": {"margin": 0.32, "runner_up": "EP", "value": 0.32 / (0.32 + CLOSE_CALL_MARGIN), "close_call": False,
                           "stale": []},
            "override": None,
            "feedback": {name: sub["explanation"] for name, sub in _score()["subscores"].items()
                         if sub["value"] is not None}}


def examples() -> dict[str, dict[str, Any]]:
    """Topic suffix (as in docs/mqtt.md) -> example payload."""
    score = _score()
    out = {
        "status": payloads.status(DEVICE, "online", version="0.1.0", client_id=f"perfscore-{DEVICE}"),
        "health": payloads.health(
            DEVICE, uptime_s=3600.0, accepting_takes=True,
            capture={"fps": 30.0, "frames_dropped": 0, "audio_chunks_dropped": 0,
                     "devices": [{"name": "camera 0", "state": "ok", "reconnects": 0, "gone_s": None,
                                  "gone_s_total": 0.0, "last_error": None},
                                 {"name": "microphone 'USB Audio'", "state": "ok", "reconnects": 1,
                                  "gone_s": None, "gone_s_total": 4.2,
                                  "last_error": "microphone 'USB Audio': recording failed: "
                                                                "[Errno -9999] Unanticipated host error"}]},
            pose={"fps": 15.0, "target_fps": 15.0, "frames_skipped": 54000},
            queues={"frames": 1, "audio": 0, "windows": 0}, live_latency_ms={"p50": 140.0, "p95": 310.0},
            outbox={"depth": 0, "oldest_age_s": None, "bytes": 0, "quota_bytes": 67108864, "refused": 0,
                    "free_bytes": 67108864, "disk_free_bytes": 5368709120},
            mqtt={"connected": True, "broker": "mqtts://broker.studio.lan:8883", "inflight": 0, "connects": 1,
                  "disconnects": 0, "delivered": 24, "refused": 0, "live_sent": 2870, "live_dropped": 12,
                  "publish_dropped": 0, "commands": 26, "answered": 26},
            cpu_percent=61.5, temperature_c=58.4, rss_bytes=412_000_000, models=[_POSE, _NOTES, _RUBRIC, _POLICY]),
        "live": payloads.live(DEVICE, take_id=_TAKE, performer="p-0042", discipline="dance", t_s=31.5,
                              captured_at=_T0.timestamp() + 31.5,
                              subscores={"rhythm": 80.2, "sync": 70.9, "technique": 69.0, "expression": 75.1},
                              overall=73.8, beat_alignment=0.58, tempo_bpm=118.2, person_present=True),
        "session": payloads.session(DEVICE, take_id=_TAKE, performer="p-0042", discipline="dance",
                                    piece="Ballroom waltz, routine B", started_at=_T0,
                                    ended_at=_T0.timestamp() + 62.4, end_reason="stopped", cut_short=False,
                                    scores=score, models=[_POSE, _RUBRIC]),
        "recommendation": payloads.recommendation(DEVICE, recommendation=_recommendation(), take_id=_TAKE,
                                                  scores=score),
        "cmd/session/start": payloads.command({"performer": "p-0042", "piece": "Ballroom waltz, routine B",
                                               "discipline": "dance"}),
        "cmd/session/start/result": payloads.command_result(DEVICE, verb="session/start", request_id=None, ok=True,
                                                            result={"take_id": _TAKE}),
        "cmd/session/stop/result": payloads.command_result(
            DEVICE, verb="session/stop", request_id=None, ok=False, error_code="refused",
            message="no take is running"),
    }
    # Fixed ids and times, so the document does not change on every run.
    for n, (name, payload) in enumerate(out.items()):
        payload["id"] = str(uuid.UUID(int=0x5E55_0000_0000_4000_8000_0000_0000_0000 + n))
        payload["ts"] = payloads.rfc3339(_T0.timestamp() + 63 + n)
    out["cmd/session/start/result"]["request_id"] = out["cmd/session/start"]["id"]
    return out


SCHEMA_OF = {"status": "status", "health": "health", "live": "live", "session": "session",
             "recommendation": "recommendation", "cmd/session/start": "command",
             "cmd/session/start/result": "command_result", "cmd/session/stop/result": "command_result"}
