"""How the box publishes: the MQTT broker, its credentials (by file or env name, never the secret itself),
TLS files, the on-disk outbox and the pace of `live` and `health` (docs/mqtt.md is the contract)."""

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from .base import ConfigPath, StrictModel

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"


SCHEMES = {"mqtt": (1883, False), "mqtts": (8883, True)}


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_broker_url(url: str) -> BrokerAddress:
    """`mqtt://HOST[:PORT]` (1883) or `mqtts://HOST[:PORT]` (TLS, 8883); ValueError saying what is wrong.
    Credentials in the URL are refused: they would end up in a YAML file or a process list."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"broker {url!r}: {exc}") from None
    if parts.scheme not in SCHEMES:
        raise ValueError(f"broker {url!r}: must start with mqtt:// or mqtts://")
    if parts.username or parts.password:
        raise ValueError(f"broker {url!r}: no user name or password in the URL; use publish.credentials_file "
                         "or the environment variables named by publish.username_env / publish.password_env")
    if not parts.hostname:
        raise ValueError(f"broker {url!r}: no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"broker {url!r}: only scheme, host and port are allowed")
    default_port, tls = SCHEMES[parts.scheme]
    return BrokerAddress(parts.hostname, port or default_port, tls)


def _default_state_dir() -> Path:
    """$XDG_STATE_HOME/perfscore (~/.local/state/perfscore)."""
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "perfscore"


class HomeAssistantConfig(StrictModel):
    """Home Assistant MQTT discovery (edge/publish/homeassistant.py): retained sensor configs for the overall,
    each sub-score, the grade and the recommended task, so the box shows up in Home Assistant by itself."""

    enabled: bool = Field(False, description="Publish the discovery configs (retained) when the box starts.")
    prefix: str = Field("homeassistant", pattern=r"^[A-Za-z0-9_.-]{1,64}$",
                        description="Home Assistant's discovery prefix (its MQTT integration's setting).")


class PublishConfig(StrictModel):
    """MQTT publishing. The box's id in every topic is `device.id`; topics are `{prefix}/{device.id}/…`."""

    broker: str = Field("mqtt://127.0.0.1:1883",
                        description="mqtt://HOST[:PORT] (1883) or mqtts://HOST[:PORT] (TLS, 8883); no credentials "
                                    "in the URL.")
    prefix: str = Field("perfscore", pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="First topic level.")
    client_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,64}$",
                                  description="MQTT client id; null = `perfscore-{device.id}`.")
    keepalive_s: int = Field(30, ge=5, le=600, description="MQTT keepalive: the broker declares the box "
                                                           "offline (Last Will) after 1.5x this without a packet.")
    reconnect_min_s: int = Field(1, ge=1, le=60, description="First wait before reconnecting; doubles each try.")
    reconnect_max_s: int = Field(30, ge=1, le=600, description="Longest wait between reconnection attempts.")
    credentials_file: ConfigPath | None = Field(None, description="File with two lines, user name and password "
                                                                  "(chmod 600); wins over the env variables.")
    username_env: str | None = Field("PERFSCORE_MQTT_USERNAME", pattern=ENV_NAME,
                                     description="Environment variable holding the MQTT user name.")
    password_env: str | None = Field("PERFSCORE_MQTT_PASSWORD", pattern=ENV_NAME,
                                     description="Environment variable holding the MQTT password.")
    ca_file: ConfigPath | None = Field(None, description="CA certificate(s) for mqtts://; null = the system's.")
    cert_file: ConfigPath | None = Field(None, description="Client certificate, when the broker wants one.")
    key_file: ConfigPath | None = Field(None, description="Client certificate's private key.")
    state_dir: ConfigPath = Field(default_factory=_default_state_dir,
                                  description="Where the outbox (outbox.sqlite) lives; kept across restarts.")
    outbox_quota_mb: float = Field(64.0, ge=1, description="Disk quota of the outbox (MiB). When full the box "
                                                           "refuses new takes and says so in `health`.")
    health_interval_s: float = Field(10.0, ge=1, le=3600, description="Seconds between `health` messages.")
    live_max_rate_hz: float = Field(5.0, gt=0, le=30, description="Most `live` messages per second (the newest "
                                                                  "value wins).")
    max_command_bytes: int = Field(65536, ge=1024, le=2**20, description="Larger command payloads are answered "
                                                                          "with a `too_large` error.")
    homeassistant: HomeAssistantConfig = HomeAssistantConfig()

    @field_validator("broker")
    @classmethod
    def _broker_url(cls, value: str) -> str:
        parse_broker_url(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "PublishConfig":
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be at least reconnect_min_s")
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together")
        return self

    @property
    def address(self) -> BrokerAddress:
        return parse_broker_url(self.broker)

    @property
    def outbox_quota_bytes(self) -> int:
        return int(self.outbox_quota_mb * 2**20)
