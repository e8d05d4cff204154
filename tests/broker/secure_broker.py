"""Mosquitto started from the shipped systemd/mosquitto/perfscore.conf and perfscore.acl, installed as
conf.d/perfscore.conf under a main file like Debian's. Only what a test machine must change is swapped:
ports (free loopback ports), file paths (a temporary folder), the TLS and websockets listeners bound to
loopback (`lo`: the only bind a 2.0.11 websockets listener obeys), and `user root` in the main file (no drop
to the `mosquitto` user, who could not read the test's files). Users are made with the real
`mosquitto_passwd -b`; certificates with the openssl CLI."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

from edge import PROJECT_ROOT
from tests.publish.broker import MOSQUITTO, free_port

CONF = PROJECT_ROOT / "systemd" / "mosquitto" / "perfscore.conf"
ACL = PROJECT_ROOT / "systemd" / "mosquitto" / "perfscore.acl"
MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd"


def make_certificates(folder: Path, server_names: str = "IP:127.0.0.1,DNS:localhost") -> dict[str, Path]:
    """A CA and a server certificate it signed (P-256 keys: fast), as a real deployment would make them."""
    folder.mkdir(parents=True, exist_ok=True)
    f = {name: folder / name for name in ("ca.key", "ca.crt", "server.key", "server.csr", "server.crt", "san.ext")}

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", str(f["ca.key"]), "-out", str(f["ca.crt"]), "-days", "2",
            "-subj", "/CN=perfscore test CA")
    openssl("req", *ec, "-keyout", str(f["server.key"]), "-out", str(f["server.csr"]), "-subj", "/CN=localhost")
    f["san.ext"].write_text(f"subjectAltName={server_names}\nbasicConstraints=CA:FALSE\n"
                            "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", str(f["server.csr"]), "-CA", str(f["ca.crt"]), "-CAkey", str(f["ca.key"]),
            "-CAcreateserial", "-out", str(f["server.crt"]), "-days", "2", "-extfile", str(f["san.ext"]))
    return f


class SecureBroker:
    """The shipped configuration on free loopback ports: .port (plain, `lo`), .tls_port, .ws_port."""

    def __init__(self, folder: Path, users: dict[str, str], certs: dict[str, Path]):
        self.folder = folder
        self.port, self.tls_port, self.ws_port = free_port(), free_port(), free_port()
        self.passwd = folder / "perfscore.passwd"
        for i, (user, password) in enumerate(users.items()):
            # -c creates the file (first user only), -b takes the password from the command line.
            flags = ["-c", "-b"] if i == 0 else ["-b"]
            subprocess.run([MOSQUITTO_PASSWD, *flags, str(self.passwd), user, password], check=True,
                           capture_output=True, timeout=30)
        self.acl = folder / "perfscore.acl"
        self.acl.write_text(ACL.read_text())
        (folder / "persist").mkdir(exist_ok=True)
        (folder / "conf.d").mkdir(exist_ok=True)
        (folder / "conf.d" / "perfscore.conf").write_text(self.adapt(CONF.read_text(), certs))
        # The shipped file goes to conf.d/, included by a main file like Debian's /etc/mosquitto/mosquitto.conf
        # (which sets persistence and the log destination).
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(f"persistence true\npersistence_location {folder / 'persist'}/\nlog_dest stderr\n"
                             f"user root\ninclude_dir {folder / 'conf.d'}\n")
        self.log = folder / "mosquitto.log"
        self.proc: subprocess.Popen | None = None

    def adapt(self, text: str, certs: dict[str, Path]) -> str:
        swaps = {
            r"^listener 1883 127.0.0.1$": f"listener {self.port} 127.0.0.1",
            r"^listener 8883$": f"listener {self.tls_port} 127.0.0.1",
            r"^listener 9001$": f"listener {self.ws_port} lo",
            r"^password_file .*$": f"password_file {self.passwd}",
            r"^acl_file .*$": f"acl_file {self.acl}",
            r"^certfile .*$": f"certfile {certs['server.crt']}",
            r"^keyfile .*$": f"keyfile {certs['server.key']}",
        }
        for pattern, replacement in swaps.items():
            text, n = re.subn(pattern, replacement, text, flags=re.M)
            assert n == 1, f"{CONF}: expected one line matching {pattern!r}, found {n}"
        return text

    def start(self, timeout: float = 10.0) -> "SecureBroker":
        log = open(self.log, "ab")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        waiting = [self.port, self.tls_port, self.ws_port]
        while waiting and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited ({self.proc.returncode}): {self.log.read_text()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", waiting[0]), timeout=0.2).close()
                waiting.pop(0)
            except OSError:
                time.sleep(0.02)
        if waiting:
            raise RuntimeError(f"mosquitto did not listen on {waiting}: {self.log.read_text()[-3000:]}")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
