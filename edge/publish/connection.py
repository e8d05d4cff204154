"""Where the broker is and how to log in: a URL, credentials from a file or the environment, TLS files.

The configuration holds only file paths and environment variable names, never a secret: a password
comes from `credentials_file` (two lines: user name, password — systemd's LoadCredential= or a file
only the box's user can read) or from the environment variables it names.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Mapping

from ..config.publish import BrokerAddress, parse_broker_url
from ..errors import ConfigError

log = logging.getLogger(__name__)


def broker_address(url: str) -> BrokerAddress:
    """The broker of a `--broker` override or a config value; ConfigError saying what is wrong."""
    try:
        return parse_broker_url(url)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def load_credentials(credentials_file: Path | None, username_env: str | None, password_env: str | None,
                     environ: Mapping[str, str] = os.environ) -> tuple[str | None, str | None]:
    """(user name, password): from the file when one is configured, else from the environment, else
    (None, None) for an anonymous connection (only a test broker allows that)."""
    if credentials_file is not None:
        try:
            text = Path(credentials_file).read_text(encoding="utf-8")
            mode = Path(credentials_file).stat().st_mode
        except OSError as exc:
            raise ConfigError(f"{credentials_file}: cannot read the MQTT credentials ({exc.strerror})") from None
        lines = text.splitlines()
        if len(lines) < 2 or not lines[0].strip():
            raise ConfigError(f"{credentials_file}: expected two lines, the MQTT user name then the password")
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            log.warning("%s: readable by other users; chmod 600 it", credentials_file)
        return lines[0].strip(), lines[1]
    username = environ.get(username_env) if username_env else None
    password = environ.get(password_env) if password_env else None
    if password and not username:
        raise ConfigError(f"${password_env} is set but ${username_env} is not: the broker needs both")
    return username or None, password or None


def check_tls_files(*paths: Path | None) -> None:
    for path in paths:
        if path is not None and not Path(path).is_file():
            raise ConfigError(f"{path}: TLS file not found")
