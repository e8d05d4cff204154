"""The publish layer as the daemon uses it: one object that owns the topics, the outbox, the command
registry and the MQTT client, and turns the daemon's plain dicts into contract payloads.

    pub = Publisher(settings.publish, settings.device.id, state_dir=args.state_dir)
    pub.commands.register("session/start", start_take, {"performer": PERFORMER, "piece": Arg(str)})
    pub.start()
    pub.live(take_id=…, …)                   # QoS 0, latest only
    pub.session(take_id=…, scores=…, …)      # QoS 1, retained, committed to the outbox first
    pub.recommendation(recommendation=…, …)  # idem
    pub.health(capture=…, pose=…, …)         # every publish.health_interval_s
    pub.accepting_takes()                    # False when the outbox has no room for another take
    pub.wait_delivered(timeout)              # --once: everything acknowledged?
    pub.stop()                               # `stopped`, clean disconnect; waiting rows stay on disk
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .. import __version__
from ..config.publish import PublishConfig
from . import payloads
from .commands import Commands
from .connection import broker_address, check_tls_files, load_credentials
from .mqtt import Communicator, MqttCommunicator
from .outbox import Outbox
from .topics import Topics

# Room kept free for one more take's session and recommendation: a take is refused without it.
TAKE_RESERVE_BYTES = 2 * 2**20


class Publisher:
    def __init__(self, config: PublishConfig, device: str, *, state_dir: str | Path | None = None,
                 broker: str | None = None, communicator: Communicator | None = None):
        self.config = config
        self.device = device
        self.topics = Topics(device, config.prefix)
        self.outbox = Outbox(state_dir if state_dir is not None else config.state_dir, config.outbox_quota_bytes)
        self.commands = Commands(device, config.max_command_bytes)
        if communicator is None:
            username, password = load_credentials(config.credentials_file, config.username_env, config.password_env)
            check_tls_files(config.ca_file, config.cert_file, config.key_file)
            communicator = MqttCommunicator(
                broker_address(broker or config.broker), self.topics, self.outbox,
                client_id=config.client_id or f"perfscore-{device}", version=__version__,
                keepalive_s=config.keepalive_s, reconnect_min_s=config.reconnect_min_s,
                reconnect_max_s=config.reconnect_max_s, username=username, password=password,
                ca_file=config.ca_file, cert_file=config.cert_file, key_file=config.key_file,
                live_max_rate_hz=config.live_max_rate_hz)
        self.communicator = communicator
        self.communicator.subscribe_commands(self.commands.handle)
        self._started = time.monotonic()

    def start(self) -> None:
        self._started = time.monotonic()
        self.communicator.start()

    def stop(self, timeout: float = 5.0) -> None:
        try:
            self.communicator.stop(timeout)
        finally:
            self.outbox.close()

    # --- messages ----------------------------------------------------------------------------------
    def live(self, **fields: Any) -> dict[str, Any]:
        """payloads.live's fields; latest only, QoS 0, at most publish.live_max_rate_hz."""
        payload = payloads.live(self.device, **fields)
        self.communicator.publish_latest(self.topics.live, payload)
        return payload

    def session(self, **fields: Any) -> dict[str, Any]:
        """payloads.session's fields; durable (raises OutboxFull, having stored nothing, when it does not fit)."""
        payload = payloads.session(self.device, **fields)
        self.communicator.deliver(self.topics.session, payload, retain=True)
        return payload

    def recommendation(self, **fields: Any) -> dict[str, Any]:
        """payloads.recommendation's fields; durable like `session`."""
        payload = payloads.recommendation(self.device, **fields)
        self.communicator.deliver(self.topics.recommendation, payload, retain=True)
        return payload

    def health(self, **measured: Any) -> dict[str, Any]:
        """payloads.health with the outbox and MQTT figures filled in; QoS 0, not retained."""
        payload = payloads.health(self.device, uptime_s=round(time.monotonic() - self._started, 1),
                                  outbox=self.outbox.stats().to_dict(), mqtt=self.communicator.counters(),
                                  accepting_takes=self.accepting_takes(), **measured)
        self.communicator.publish(self.topics.health, payload, qos=0)
        return payload

    # --- state -------------------------------------------------------------------------------------
    def accepting_takes(self) -> bool:
        """Whether a new take may start: its results must fit in the outbox (its quota, and the disk)."""
        return self.outbox.has_room(TAKE_RESERVE_BYTES)

    def wait_delivered(self, timeout: float) -> bool:
        return self.communicator.wait_delivered(timeout)

    @property
    def connected(self) -> bool:
        return self.communicator.connected
