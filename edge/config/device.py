"""Which box this is. The id appears in every MQTT topic and payload."""

import socket
from typing import Literal

from pydantic import Field

from .base import StrictModel

DeviceKind = Literal["rpi4", "rpi5", "jetson-orin-nano", "x86-dev"]


class DeviceConfig(StrictModel):
    id: str = Field(default_factory=socket.gethostname, pattern=r"^[A-Za-z0-9_.-]{1,64}$",
                    description="Box id used in topics; defaults to the host name.")
    kind: DeviceKind = "x86-dev"
