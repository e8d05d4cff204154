"""Topic names of the MQTT contract (docs/mqtt.md), built from a prefix and the box's id.

    {prefix}/{device}/status | health | live | session | recommendation
    {prefix}/{device}/cmd/{verb}            commands to the box (a verb may have levels: session/start)
    {prefix}/{device}/cmd/{verb}/result     the box's answer to one command
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# One topic level: no MQTT wildcards or separators, nothing a shell or an ACL pattern would trip on.
_LEVEL = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# A verb: one to three lower-case levels (`performer`, `session/start`).
VERB = re.compile(r"^[a-z0-9_-]{1,32}(/[a-z0-9_-]{1,32}){0,2}$")
RESULT = "result"


class TopicError(ValueError):
    """A device id, prefix or verb that cannot be part of a topic."""


def check_level(value: object, what: str) -> str:
    """`value` if it is one safe topic level; TopicError naming `what` otherwise."""
    if not isinstance(value, str) or not _LEVEL.match(value):
        raise TopicError(f"{what} {value!r}: must be 1-64 characters of letters, digits, '_', '.', '-' "
                         "(no '/', '+', '#' or spaces)")
    return value


def check_device_id(device: object) -> str:
    return check_level(device, "device id")


@dataclass(frozen=True)
class Topics:
    device: str
    prefix: str = "perfscore"

    def __post_init__(self):
        check_level(self.prefix, "topic prefix")
        check_device_id(self.device)

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.device}"

    @property
    def status(self) -> str:
        return f"{self.base}/status"

    @property
    def health(self) -> str:
        return f"{self.base}/health"

    @property
    def live(self) -> str:
        return f"{self.base}/live"

    @property
    def session(self) -> str:
        return f"{self.base}/session"

    @property
    def recommendation(self) -> str:
        return f"{self.base}/recommendation"

    @property
    def commands(self) -> str:
        """The subscription filter for every command (verbs may have more than one level)."""
        return f"{self.base}/cmd/#"

    def command(self, verb: str) -> str:
        if not VERB.match(verb):
            raise TopicError(f"command verb {verb!r}: must be 1-3 levels of a-z, 0-9, '_', '-'")
        return f"{self.base}/cmd/{verb}"

    def command_result(self, verb: str) -> str:
        """The answer topic of `verb`, as received (an unknown verb is answered on its own topic too)."""
        return f"{self.base}/cmd/{verb}/{RESULT}"

    def verb_of(self, topic: str) -> str | None:
        """The verb of a command topic; None for a topic that is not a command to this box (a result, another box)."""
        head = f"{self.base}/cmd/"
        if not topic.startswith(head):
            return None
        verb = topic[len(head):]
        if not verb or verb == RESULT or verb.endswith("/" + RESULT):
            return None
        return verb
