"""Publishing: the MQTT contract (docs/mqtt.md), an on-disk outbox, commands (after Frigate's comms/).

    topics      topic names from a prefix and the box's id
    payloads    the JSON payload of every topic (schemas in edge/schemas/)
    outbox      SQLite (WAL) outbox: results wait on disk until the broker acknowledges them
    commands    defensive parsing and dispatch of cmd/{verb}, always answered on cmd/{verb}/result
    connection  broker URL, credentials from a file or the environment, TLS files
    mqtt        Communicator (the base) and MqttCommunicator (paho): birth, Last Will, backoff, drainer
    publisher   Publisher: all of the above as the daemon uses it
    examples    one example payload per topic (docs/mqtt.md and the schema tests use them)
"""

from .commands import PERFORMER, Arg, CommandError, Commands
from .mqtt import Communicator, MqttCommunicator
from .outbox import Outbox, OutboxError, OutboxFull, OutboxStats
from .payloads import PayloadError
from .publisher import TAKE_RESERVE_BYTES, Publisher
from .topics import TopicError, Topics

__all__ = ["Arg", "CommandError", "Commands", "Communicator", "MqttCommunicator", "Outbox", "OutboxError",
           "OutboxFull", "OutboxStats", "PERFORMER", "PayloadError", "Publisher", "TAKE_RESERVE_BYTES",
           "TopicError", "Topics"]
