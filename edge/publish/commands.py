"""Commands to the box: parsed defensively, checked, dispatched to registered handlers, always answered.

A request on `{prefix}/{device}/cmd/{verb}` is a JSON object (edge/schemas/command.schema.json):
    {"id": "…", "args": {…}}    plus optional "schema" ("perfscore.command/1"), "ts", "device"
Every request gets one result (payloads.command_result) — an error result for bytes that are not
JSON, a payload over the size limit, an unknown verb, a missing or mistyped argument, or a handler
that refuses — and `handle` never raises: no message can take the box down.

Handlers run on the MQTT client's network thread: they must be quick (hand the work to the daemon's
own threads and return). A handler refuses with CommandError; any other exception is answered as
`internal` and logged with its traceback.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from . import payloads

log = logging.getLogger(__name__)

MAX_ID = 128
ENVELOPE_KEYS = {"schema", "id", "ts", "device", "args"}


class CommandError(Exception):
    """A handler's refusal, answered as an error result with `code` and this message."""

    def __init__(self, message: str, code: str = "refused"):
        if code not in payloads.ERROR_CODES:
            raise ValueError(f"unknown error code {code!r}")
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class Arg:
    """One argument of a command: its JSON type, whether it is required, and an optional pattern/choices."""
    type: type | tuple[type, ...] = str
    required: bool = True
    pattern: re.Pattern | None = None
    choices: tuple | None = None
    max_length: int = 256

    def check(self, name: str, value: Any) -> None:
        types = self.type if isinstance(self.type, tuple) else (self.type,)
        # JSON has one number type; a bool is not a number here, an int is a float.
        ok = any(isinstance(value, t) and not (isinstance(value, bool) and t is not bool) for t in types) \
            or (float in types and isinstance(value, int) and not isinstance(value, bool))
        if not ok:
            raise CommandError(f"args.{name}: expected {' or '.join(_json_type(t) for t in types)}, "
                               f"got {_json_type(type(value))}", "bad_request")
        if isinstance(value, str):
            if len(value) > self.max_length:
                raise CommandError(f"args.{name}: longer than {self.max_length} characters", "bad_request")
            if self.pattern is not None and not self.pattern.match(value):
                raise CommandError(f"args.{name}: {value[:64]!r} does not match {self.pattern.pattern}", "bad_request")
        if self.choices is not None and value not in self.choices:
            raise CommandError(f"args.{name}: must be one of {', '.join(map(str, self.choices))}", "bad_request")


# A performer argument: a pseudonymous id, never a name (the same rule as every payload).
PERFORMER = Arg(str, pattern=payloads.PERFORMER_ID)

Handler = Callable[[dict[str, Any]], Mapping[str, Any] | None]


@dataclass
class _Command:
    handler: Handler
    args: dict[str, Arg] = field(default_factory=dict)


class Commands:
    """The registry and parser of commands; `handle(verb, data)` turns any bytes into one result payload."""

    def __init__(self, device: str, max_bytes: int = 65536):
        self.device = device
        self.max_bytes = max_bytes
        self._commands: dict[str, _Command] = {}
        self.counts = {"handled": 0, "errors": 0}

    def register(self, verb: str, handler: Handler, args: Mapping[str, Arg] | None = None) -> None:
        from .topics import VERB, TopicError
        if not VERB.match(verb):
            raise TopicError(f"command verb {verb!r}: must be 1-3 levels of a-z, 0-9, '_', '-'")
        self._commands[verb] = _Command(handler, dict(args or {}))

    @property
    def verbs(self) -> list[str]:
        return sorted(self._commands)

    def handle(self, verb: str, data: bytes) -> dict[str, Any]:
        """The result payload for one request. Never raises."""
        request_id = None
        try:
            if len(data) > self.max_bytes:
                raise CommandError(f"payload of {len(data)} bytes is over the limit of {self.max_bytes}", "too_large")
            request = _parse(data)
            request_id = request.get("id") if isinstance(request.get("id"), str) and len(request["id"]) <= MAX_ID else None
            args = self._check_envelope(request)
            command = self._commands.get(verb)
            if command is None:
                known = ", ".join(self.verbs) or "none"
                raise CommandError(f"unknown command {verb[:64]!r} (this box knows: {known})", "unknown_verb")
            self._check_args(command, args)
            result = command.handler(args)
            self.counts["handled"] += 1
            return payloads.command_result(self.device, verb=verb, request_id=request_id, ok=True,
                                           result=None if result is None else payloads.jsonable(dict(result)))
        except CommandError as exc:
            code, message = exc.code, str(exc)
            log.warning("command %.80s (id %s) refused: %s: %s", verb, request_id, code, message)
        except Exception:   # a handler's bug: answer, log the traceback, stay up
            code, message = "internal", "the box could not carry out this command; see its log"
            log.exception("command %.80s (id %s) failed", verb, request_id)
        self.counts["errors"] += 1
        try:
            return payloads.command_result(self.device, verb=verb, request_id=request_id, ok=False,
                                           error_code=code, message=message)
        except Exception:   # e.g. a verb that is not valid UTF-8 for JSON: still answer
            log.exception("cannot build the error result of a command")
            return payloads.command_result(self.device, verb="?", request_id=None, ok=False,
                                           error_code="internal", message="unreadable command")

    def _check_envelope(self, request: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(request) - ENVELOPE_KEYS)
        if unknown:
            raise CommandError(f"unknown field(s) {', '.join(repr(k[:32]) for k in unknown[:5])}; "
                               f"a request has {', '.join(sorted(ENVELOPE_KEYS))}", "bad_request")
        if "id" in request and (not isinstance(request["id"], str) or not 0 < len(request["id"]) <= MAX_ID):
            raise CommandError(f"id: expected a string of 1-{MAX_ID} characters (a uuid)", "bad_request")
        if "schema" in request and request["schema"] != payloads.schema_name("command"):
            raise CommandError(f"schema: expected {payloads.schema_name('command')!r}", "bad_request")
        if "ts" in request and not isinstance(request["ts"], str):
            raise CommandError("ts: expected an RFC 3339 string", "bad_request")
        if "device" in request and request["device"] != self.device:
            raise CommandError(f"device: this is {self.device!r}, the request is for another box", "bad_request")
        args = request.get("args", {})
        if not isinstance(args, dict):
            raise CommandError(f"args: expected an object, got {_json_type(type(args))}", "bad_request")
        return args

    @staticmethod
    def _check_args(command: _Command, args: dict[str, Any]) -> None:
        unknown = sorted(set(args) - set(command.args))
        if unknown:
            raise CommandError(f"unknown argument(s) {', '.join(repr(k[:32]) for k in unknown[:5])}", "bad_request")
        for name, spec in command.args.items():
            if name in args:
                spec.check(name, args[name])
            elif spec.required:
                raise CommandError(f"args.{name}: required", "bad_request")


def _parse(data: bytes) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CommandError(f"payload is not UTF-8 ({exc.reason} at byte {exc.start})", "bad_json") from None
    try:
        request = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise CommandError("payload is nested too deeply", "bad_json") from None
    except ValueError as exc:
        raise CommandError(f"payload is not JSON ({str(exc)[:120]})", "bad_json") from None
    if not isinstance(request, dict):
        raise CommandError(f"payload is a JSON {_json_type(type(request))}; a request is an object", "bad_request")
    return request


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _json_type(t: type) -> str:
    return {str: "string", bool: "boolean", int: "integer", float: "number", dict: "object", list: "array",
            type(None): "null"}.get(t, t.__name__)
