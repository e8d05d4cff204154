"""The JSON payload of every topic, built from plain dicts the daemon passes (schemas in edge/schemas/).

Every payload starts with the same envelope:
    schema   "perfscore.<kind>/1"      which contract (and version) the rest follows
    id       a uuid4                   unique per message: QoS 1 is at-least-once, subscribers dedupe by it
    ts       RFC 3339 UTC, ms          when the box built the message
    device   the box's id
Performers appear only as pseudonymous ids (PERFORMER_ID); a value that does not match is refused, so a
name typed into a command can never reach a display or an integrator.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable, Literal, Mapping

from .topics import check_device_id

VERSION = 1
KINDS = ("status", "health", "live", "session", "recommendation", "command", "command_result")
# Same rule as the coach's store (edge/coach/store.py); tests/publish check they agree.
PERFORMER_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
STATES = ("online", "offline", "stopped")
END_REASONS = ("stopped", "source_ended", "idle", "max_length", "shutdown")
ERROR_CODES = ("bad_json", "bad_request", "too_large", "unknown_verb", "refused", "internal")
SUBSCORES = ("rhythm", "sync", "technique", "expression", "interpretation")


class PayloadError(ValueError):
    """A payload the contract does not allow (a name where a performer id belongs, a bad state …)."""


def schema_name(kind: str) -> str:
    return f"perfscore.{kind}/{VERSION}"


def now_rfc3339() -> str:
    return rfc3339(datetime.now(timezone.utc))


def rfc3339(moment: datetime | float) -> str:
    """UTC, millisecond precision, `Z` suffix; `moment` is a datetime or a Unix time in seconds."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(float(moment), timezone.utc)
    if moment.tzinfo is None:
        raise PayloadError(f"time {moment!r} has no time zone; pass UTC")
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def envelope(kind: str, device: str, **body: Any) -> dict[str, Any]:
    if kind not in KINDS:
        raise PayloadError(f"unknown payload kind {kind!r}")
    check_device_id(device)
    return {"schema": schema_name(kind), "id": str(uuid.uuid4()), "ts": now_rfc3339(), "device": device,
            **jsonable(body)}


def check_performer(performer: object) -> str:
    if not isinstance(performer, str) or not PERFORMER_ID.match(performer):
        raise PayloadError(f"performer {performer!r}: only pseudonymous ids are published "
                           "(1-64 letters, digits, '_', '.', '-'; never a name)")
    return performer


def jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars and arrays become numbers and lists, non-finite floats (JSON has
    none) become null, tuples lists, dataclass-like objects are refused rather than guessed."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):          # numpy scalar or array, without importing numpy here
        return jsonable(value.tolist())
    raise PayloadError(f"{type(value).__name__} value {value!r} cannot be published as JSON")


def encode(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON; NaN is refused (jsonable has already made it null)."""
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


# --- one builder per topic ------------------------------------------------------------------------

def status(device: str, state: Literal["online", "offline", "stopped"], *, version: str,
           client_id: str | None = None) -> dict[str, Any]:
    """Retained on `status`. For `offline` (the Last Will) `ts` is when the box connected: the broker
    sends the will when it notices the loss, which the box cannot stamp."""
    if state not in STATES:
        raise PayloadError(f"status {state!r}: must be one of {', '.join(STATES)}")
    return envelope("status", device, state=state, version=version, client_id=client_id)


def health(device: str, *, uptime_s: float, outbox: Mapping[str, Any], mqtt: Mapping[str, Any],
           accepting_takes: bool, models: Iterable[Mapping[str, Any]] = (),
           capture: Mapping[str, Any] | None = None, pose: Mapping[str, Any] | None = None,
           queues: Mapping[str, int] | None = None, live_latency_ms: Mapping[str, Any] | None = None,
           cpu_percent: float | None = None, temperature_c: float | None = None,
           rss_bytes: int | None = None) -> dict[str, Any]:
    """Every N s. `outbox` is Outbox.stats().to_dict(), `mqtt` the communicator's counters; the rest is
    what the daemon measures (None where a figure is not readable on this box, e.g. temperature)."""
    return envelope("health", device, uptime_s=uptime_s, accepting_takes=accepting_takes,
                    capture=dict(capture or {}), pose=dict(pose or {}), queues=dict(queues or {}),
                    live_latency_ms=dict(live_latency_ms or {}), outbox=dict(outbox), mqtt=dict(mqtt),
                    cpu_percent=cpu_percent, temperature_c=temperature_c, rss_bytes=rss_bytes,
                    models=[_model(m) for m in models])


def live(device: str, *, take_id: str, performer: str | None, discipline: str, t_s: float,
         captured_at: datetime | float, subscores: Mapping[str, float | None], overall: float | None,
         beat_alignment: float | None, tempo_bpm: float | None, person_present: bool | None) -> dict[str, Any]:
    """QoS 0 a few times a second during a take: the latest window. `t_s` is the window's end in take
    time, `captured_at` when its last frame or chunk was captured (subscribers measure latency with it)."""
    return envelope("live", device, take_id=take_id, performer=None if performer is None else check_performer(performer),
                    discipline=discipline, t_s=t_s, captured_at=rfc3339(captured_at),
                    subscores={name: subscores.get(name) for name in SUBSCORES if name in subscores},
                    overall=overall, beat_alignment=beat_alignment, tempo_bpm=tempo_bpm,
                    person_present=person_present)


def session(device: str, *, take_id: str, performer: str | None, discipline: str, piece: str | None,
            started_at: datetime | float, ended_at: datetime | float, end_reason: str, cut_short: bool,
            scores: Mapping[str, Any] | None, models: Iterable[Mapping[str, Any]],
            learned: Mapping[str, Any] | None = None, reference: str | None = None,
            warnings: Iterable[str] = ()) -> dict[str, Any]:
    """QoS 1, retained, through the outbox. `scores` is ScoreResult.to_dict() — the `scores` of
    `perfscore analyze --json` — and `learned` its learned counterpart; `models` every model that made it
    (pose, scorers): ModelInfo dicts with their sha256. `cut_short`: the take ended before its media did."""
    if end_reason not in END_REASONS:
        raise PayloadError(f"end_reason {end_reason!r}: must be one of {', '.join(END_REASONS)}")
    take = {"id": take_id, "performer": None if performer is None else check_performer(performer),
            "discipline": discipline, "piece": piece, "reference": reference,
            "started_at": rfc3339(started_at), "ended_at": rfc3339(ended_at), "end_reason": end_reason,
            "cut_short": bool(cut_short)}
    return envelope("session", device, take=take, scores=scores, learned=learned,
                    models=[_model(m) for m in models], warnings=list(warnings))


def recommendation(device: str, *, recommendation: Mapping[str, Any], take_id: str | None,
                   scores: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """QoS 1, retained, through the outbox. `recommendation` is edge.coach's Recommendation.to_dict()
    (Coach.recommend); `scores` the take's score dict, which gives each feedback sentence its value
    (and the sentences themselves when the recommendation carries none)."""
    rec = recommendation
    task = rec["task"]
    subs = (scores or {}).get("subscores") or {}
    sentences = rec.get("feedback") or {name: sub.get("explanation") for name, sub in subs.items()
                                        if sub.get("value") is not None}
    feedback = {name: {"value": (subs.get(name) or {}).get("value"), "sentence": sentence}
                for name, sentence in sentences.items() if name in SUBSCORES and sentence}
    # focus, confidence and override were added later (optional in the schema: older messages stay valid)
    focus = rec.get("focus")
    confidence = rec.get("confidence")
    override = rec.get("override")
    return envelope("recommendation", device, performer=check_performer(rec["performer"]),
                    discipline=rec["discipline"], take_id=take_id,
                    task={"action": rec["action"], "name": rec["action_name"], "title": task["title"],
                          "instruction": task["instruction"]},
                    reason=rec["reason"], q_values=rec.get("q_values"), student=rec.get("state") or {},
                    feedback=feedback, model=None if rec.get("model") is None else _model(rec["model"]),
                    focus=None if focus is None else {k: focus.get(k) for k in ("skill", "subscore", "value", "text")},
                    confidence=None if confidence is None else {
                        k: confidence.get(k) for k in ("value", "margin", "runner_up", "close_call", "stale")},
                    override=None if override is None else {k: override.get(k) for k in ("action", "note", "policy_action")})


def command_result(device: str, *, verb: str, request_id: str | None, ok: bool,
                   result: Mapping[str, Any] | None = None, error_code: str | None = None,
                   message: str | None = None) -> dict[str, Any]:
    """The answer to one command, on `cmd/{verb}/result`. `request_id` is the request's `id` (null when
    the request had none or could not be read)."""
    if ok:
        error = None
    else:
        if error_code not in ERROR_CODES:
            raise PayloadError(f"error code {error_code!r}: must be one of {', '.join(ERROR_CODES)}")
        error = {"code": error_code, "message": message or error_code}
    return envelope("command_result", device, verb=verb, request_id=request_id, ok=bool(ok),
                    result=dict(result) if ok and result is not None else None, error=error)


def command(args: Mapping[str, Any] | None = None, *, request_id: str | None = None) -> dict[str, Any]:
    """A command request as an integrator sends it to `cmd/{verb}` (the topic names the box and the verb)."""
    return {"schema": schema_name("command"), "id": request_id or str(uuid.uuid4()), "ts": now_rfc3339(),
            "args": jsonable(dict(args or {}))}


def _model(info: Any) -> dict[str, Any]:
    """A ModelInfo (edge/models.py) or its dict."""
    keys = ("name", "version", "backend", "precision", "sha256")
    if hasattr(info, "to_dict"):
        info = info.to_dict()
    if not isinstance(info, Mapping) or not isinstance(info.get("name"), str):
        raise PayloadError(f"model {info!r}: needs at least a name")
    return {k: info.get(k) for k in keys}
