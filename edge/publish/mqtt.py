"""The box's MQTT client: one small base class, one paho implementation (after Frigate's comms/).

Three ways to publish, one per kind of message in the contract (docs/mqtt.md):
- `deliver`: durable. The message goes into the on-disk outbox first (committed before `deliver`
  returns); a drainer thread publishes waiting rows in order whenever the client is connected and deletes
  each row only when the broker acknowledges its packet (PUBACK, QoS 1). A broker outage, a network
  outage or a killed process loses nothing; a row may be sent twice only if its acknowledgement was not
  yet recorded, which is why subscribers dedupe by `id`.
- `publish_latest`: live values. One slot per topic holds the newest message; an older one not yet
  sent is replaced and counted as dropped. Sent at QoS 0 at most `live_max_rate_hz`, never while
  disconnected, never once older than LIVE_STALE_S.
- `publish`: best effort now (status, health, command results), through paho's bounded queue.

paho's own queue is memory and dies with the process, so it is bounded (QUEUE_BOUND): it is never the
outbox. Status: `online` (retained) on every connect, `offline` as the Last Will, `stopped` on `stop()`.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Callable, Mapping

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from . import payloads
from ..config.publish import BrokerAddress
from .outbox import Outbox
from .topics import Topics

log = logging.getLogger(__name__)

WINDOW = 8            # outbox rows handed to paho and not yet acknowledged
QUEUE_BOUND = 64      # paho's in-memory queue of QoS>0 messages (outbox window + status + command results)
LIVE_STALE_S = 2.0    # a live value this old is not worth showing any more
IDLE_WAIT_S = 0.5     # the drainer's longest sleep when nothing wakes it

CommandCallback = Callable[[str, bytes], Mapping[str, Any]]


class Communicator(ABC):
    """What the daemon needs from a transport. A test double or another protocol implements the same."""

    @abstractmethod
    def start(self) -> None:
        """Connect in the background (and keep reconnecting); returns at once."""

    @abstractmethod
    def stop(self, timeout: float = 5.0) -> None:
        """Say `stopped`, disconnect cleanly; undelivered outbox rows stay on disk for the next start."""

    @abstractmethod
    def publish(self, topic: str, payload: Mapping[str, Any], qos: int = 0, retain: bool = False) -> bool:
        """Best effort now; False when it could not be handed to the network (counted)."""

    @abstractmethod
    def deliver(self, topic: str, payload: Mapping[str, Any], retain: bool = False) -> int:
        """Durably, through the outbox, QoS 1; raises OutboxFull when it does not fit. Returns the row's seq."""

    @abstractmethod
    def publish_latest(self, topic: str, payload: Mapping[str, Any]) -> None:
        """Latest-only, QoS 0 (live values)."""

    @abstractmethod
    def subscribe_commands(self, callback: CommandCallback) -> None:
        """`callback(verb, payload bytes)` returns the result payload, published on cmd/{verb}/result."""

    @property
    @abstractmethod
    def connected(self) -> bool: ...

    @abstractmethod
    def counters(self) -> dict[str, Any]:
        """Figures for `health` (connected, reconnects, drops …)."""

    def wait_delivered(self, timeout: float) -> bool:
        """True once nothing waits for the broker; False at the timeout."""
        return True


class MqttCommunicator(Communicator):
    def __init__(self, broker: BrokerAddress, topics: Topics, outbox: Outbox, *, client_id: str,
                 version: str, keepalive_s: int = 30, reconnect_min_s: int = 1, reconnect_max_s: int = 30,
                 username: str | None = None, password: str | None = None, ca_file: Path | None = None,
                 cert_file: Path | None = None, key_file: Path | None = None, live_max_rate_hz: float = 5.0):
        self.broker, self.topics, self.outbox = broker, topics, outbox
        self.client_id, self.version, self.keepalive_s = client_id, version, keepalive_s
        self._live_interval = 1.0 / live_max_rate_hz
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self._client.reconnect_delay_set(reconnect_min_s, reconnect_max_s)
        self._client.max_queued_messages_set(QUEUE_BOUND)
        self._client.max_inflight_messages_set(QUEUE_BOUND)
        if username is not None:
            self._client.username_pw_set(username, password)
        if broker.tls:
            self._client.tls_set(ca_certs=str(ca_file) if ca_file else None,
                                 certfile=str(cert_file) if cert_file else None,
                                 keyfile=str(key_file) if key_file else None)
        self._set_will()
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish
        self._client.on_message = self._on_message
        self._client.on_socket_open = _no_delay

        self._connected = False
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._acks: queue.SimpleQueue = queue.SimpleQueue()   # (mid, reason code) from paho's thread
        self._inflight: dict[int, int] = {}                   # mid -> outbox seq (drainer thread only)
        self._sent_upto = 0                                   # highest seq handed to paho
        self._latest: dict[str, tuple[bytes, float]] = {}     # topic -> (payload, monotonic time put)
        self._latest_sent: dict[str, float] = {}
        self._latest_lock = threading.Lock()
        self._command_callback: CommandCallback | None = None
        self._drainer: threading.Thread | None = None
        self._counts = {"connects": 0, "disconnects": 0, "delivered": 0, "refused": 0, "live_sent": 0,
                        "live_dropped": 0, "publish_dropped": 0, "commands": 0,
                        "answered": 0}

    # --- the base class's interface -----------------------------------------------------------------
    def start(self) -> None:
        log.info("connecting to %s as %s", self.broker, self.client_id)
        self._client.connect_async(self.broker.host, self.broker.port, keepalive=self.keepalive_s)
        self._client.loop_start()   # paho's thread connects, and reconnects with reconnect_delay_set's backoff
        self._drainer = threading.Thread(target=self._drain_loop, name="outbox-drainer", daemon=True)
        self._drainer.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._drainer is not None:
            self._drainer.join(timeout)
        if self._connected:
            info = self._client.publish(self.topics.status, self._status("stopped"), qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError) as exc:   # lost the connection meanwhile: the will says offline
                log.warning("could not publish status 'stopped': %s", exc)
        self._client.disconnect()
        self._client.loop_stop()
        self._connected = False
        log.info("disconnected from %s", self.broker)

    def publish(self, topic: str, payload: Mapping[str, Any], qos: int = 0, retain: bool = False,
                properties: Properties | None = None) -> bool:
        if not self._connected and qos == 0:
            self._counts["publish_dropped"] += 1
            return False
        info = self._client.publish(topic, payloads.encode(payload), qos=qos, retain=retain, properties=properties)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            self._counts["publish_dropped"] += 1
            log.warning("dropped a message to %s: %s", topic, mqtt.error_string(info.rc))
            return False
        return True

    def deliver(self, topic: str, payload: Mapping[str, Any], retain: bool = False) -> int:
        seq = self.outbox.put(topic, payloads.encode(payload), qos=1, retain=retain)
        self._wake.set()
        return seq

    def publish_latest(self, topic: str, payload: Mapping[str, Any]) -> None:
        data = payloads.encode(payload)
        with self._latest_lock:
            if topic in self._latest:
                self._counts["live_dropped"] += 1
            self._latest[topic] = (data, time.monotonic())
        self._wake.set()

    def subscribe_commands(self, callback: CommandCallback) -> None:
        self._command_callback = callback

    @property
    def connected(self) -> bool:
        return self._connected

    def counters(self) -> dict[str, Any]:
        return {"connected": self._connected, "broker": str(self.broker), "inflight": len(self._inflight),
                **self._counts}

    def wait_delivered(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            if self.outbox.stats().depth == 0:
                return True
            if time.monotonic() >= deadline:
                return False
            self._wake.set()
            time.sleep(0.05)

    # --- paho's callbacks (its network thread; never raise) ------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("broker %s refused the connection: %s", self.broker, reason_code)
            return
        self._connected = True
        self._counts["connects"] += 1
        log.info("connected to %s", self.broker)
        client.publish(self.topics.status, self._status("online"), qos=1, retain=True)
        # No local echo of our own results; retained messages on cmd/ are never replayed as commands.
        options = SubscribeOptions(qos=1, noLocal=True, retainHandling=SubscribeOptions.RETAIN_DO_NOT_SEND)
        client.subscribe(self.topics.commands, options=options)
        self._wake.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        was = self._connected
        self._connected = False
        if self._stopping.is_set():
            return
        self._counts["disconnects"] += int(was)
        log.warning("lost the broker %s (%s); reconnecting, results wait in the outbox", self.broker, reason_code)
        self._set_will()   # a fresh id for the next connection's will

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self._acks.put((mid, reason_code))
        self._wake.set()

    def _on_message(self, client, userdata, message) -> None:
        try:
            verb = self.topics.verb_of(message.topic)
            if verb is None or self._command_callback is None or message.retain:
                return
            self._counts["commands"] += 1
            reply = self._command_callback(verb, bytes(message.payload))
            self._answer(verb, reply, getattr(message, "properties", None))
        except Exception:
            log.exception("a command message could not be answered")

    def _answer(self, verb: str, reply: Mapping[str, Any], request_props: Properties | None) -> None:
        """On cmd/{verb}/result, with the request's correlation data; also on its MQTT 5 response topic."""
        props = None
        correlation = getattr(request_props, "CorrelationData", None)
        if correlation is not None:
            props = Properties(PacketTypes.PUBLISH)
            props.CorrelationData = correlation
        if self.publish(self.topics.command_result(verb), reply, qos=1, properties=props):
            self._counts["answered"] += 1      # handed to the client; the rest are in publish_dropped
        response_topic = getattr(request_props, "ResponseTopic", None)
        if response_topic:
            try:
                self.publish(response_topic, reply, qos=1, properties=props)
            except ValueError as exc:   # a wildcard or empty topic: the result topic has the answer anyway
                log.warning("response topic %.80r refused: %s", response_topic, exc)

    # --- the drainer thread ------------------------------------------------------------------------
    def _drain_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._next_wait())
            self._wake.clear()
            try:
                self._record_acks()
                if self._connected and not self._stopping.is_set():
                    self._send_pending()
                    self._send_latest()
            except Exception:   # the drainer must outlive any one bad row or database hiccup
                log.exception("outbox drainer")
                time.sleep(IDLE_WAIT_S)
        self._record_acks()

    def _record_acks(self) -> None:
        while True:
            try:
                mid, reason = self._acks.get_nowait()
            except queue.Empty:
                return
            seq = self._inflight.pop(mid, None)
            if seq is None:
                continue   # status, health, live or a command result: not an outbox row
            if getattr(reason, "is_failure", False):
                # Refused for good (not authorised, too large): resending would not help; keep it visible.
                self.outbox.refuse(seq, str(reason))
                self._counts["refused"] += 1
                log.error("broker refused outbox row %d: %s; kept on disk, not resent", seq, reason)
            else:
                self.outbox.ack(seq)
                self._counts["delivered"] += 1

    def _send_pending(self) -> None:
        room = WINDOW - len(self._inflight)
        if room <= 0:
            return
        for row in self.outbox.pending(after=self._sent_upto, limit=room):
            try:
                info = self._client.publish(row.topic, row.payload, qos=row.qos, retain=row.retain)
            except ValueError as exc:   # a row no broker can take (bad topic): set aside, not retried forever
                self.outbox.refuse(row.seq, str(exc))
                self._sent_upto = row.seq
                continue
            if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
                return   # paho's bounded queue is full; try again when acknowledgements free it
            # NO_CONN: paho keeps QoS 1 messages and sends them when it reconnects; track the mid as sent.
            self._inflight[info.mid] = row.seq
            self._sent_upto = row.seq

    def _send_latest(self) -> None:
        now = time.monotonic()
        with self._latest_lock:
            for topic, (_, put) in list(self._latest.items()):
                if now - put > LIVE_STALE_S:
                    del self._latest[topic]
                    self._counts["live_dropped"] += 1
            due = [(topic, data) for topic, (data, _) in self._latest.items()
                   if now - self._latest_sent.get(topic, -1e9) >= self._live_interval]
            for topic, _ in due:
                del self._latest[topic]
        for topic, data in due:
            info = self._client.publish(topic, data, qos=0)
            self._latest_sent[topic] = now
            self._counts["live_sent" if info.rc == mqtt.MQTT_ERR_SUCCESS else "live_dropped"] += 1

    def _next_wait(self) -> float:
        with self._latest_lock:
            if not self._latest or not self._connected:
                return IDLE_WAIT_S
            now = time.monotonic()
            soonest = min(self._latest_sent.get(t, -1e9) + self._live_interval for t in self._latest)
        return min(IDLE_WAIT_S, max(0.0, soonest - now))

    # --- status ------------------------------------------------------------------------------------
    def _status(self, state: str) -> bytes:
        return payloads.encode(payloads.status(self.topics.device, state, version=self.version,
                                               client_id=self.client_id))

    def _set_will(self) -> None:
        self._client.will_set(self.topics.status, self._status("offline"), qos=1, retain=True)


def _no_delay(client, userdata, sock) -> None:
    """Small packets (live values, PUBACKs) go out at once: Nagle's algorithm plus the peer's delayed ACK
    would hold them for tens of milliseconds, and paho does not set TCP_NODELAY itself."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):   # not a TCP socket (e.g. a websocket wrapper): nothing to tune
        pass
