"""Which box this is. The id appears in every MQTT topic and payload."""

import socket
from typing import Literal

from pydantic import Field

from .base import StrictModel

DeviceKind = Literal["rpi4", "rpi5", "jetson-orin-nano", "x86-dev"]


def _host_name() -> str:
    """the host name."""
    return socket.gethostname()


class DeviceConfig(StrictModel):
    """Which box this is."""

    id: str = Field(default_factory=_host_name, pattern=r"^[A-Za-z0-9_.-]{1,64}$",
                    description="Box id used in topics; defaults to the host name.")
    kind: DeviceKind = Field("x86-dev", description="Device profile; firmware_configs/ has one YAML per kind.")
