"""A real two-node Ray cluster on loopback for a test module: a head and a second node, one CPU each.

Ray replaces a `--node-ip-address` of 127.0.0.1 by the machine's routable address, but not another
loopback address: 127.0.0.2 keeps all of the cluster's traffic on loopback. Every process of the
cluster carries the cluster's own temporary folder on its command line (or is a child of one that
does): stopping kills exactly those, by PID (`ray stop` would stop every Ray on the machine).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

HOST = "127.0.0.2"
RAY = Path(sys.executable).with_name("ray")
# Small claims: the defaults (a share of the machine's memory per node) are meant for a real machine.
LIMITS = ("--num-cpus=1", "--memory=2000000000", "--object-store-memory=200000000", "--disable-usage-stats")


@dataclass
class Cluster:
    address: str
    temp: Path
    env: dict[str, str]

    def processes(self) -> list[psutil.Process]:
        found = {}
        for proc in psutil.process_iter(["cmdline"]):
            try:
                if any(str(self.temp) in part for part in proc.info["cmdline"] or ()):
                    found[proc.pid] = proc
                    for child in proc.children(recursive=True):
                        found[child.pid] = child
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return list(found.values())

    def stop(self) -> None:
        """SIGKILL: a graceful stop of each Ray daemon takes seconds, and nothing of it is kept."""
        procs = self.processes()
        for proc in procs:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(procs, timeout=10)
        shutil.rmtree(self.temp, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_cluster(extra_env: dict[str, str] | None = None, nodes: int = 2) -> Cluster:
    """A head and `nodes - 1` more nodes (bench/screen/run.py also starts a head alone)."""
    # Short: Ray's unix sockets live under it and a socket path may have at most 107 characters.
    temp = Path(tempfile.mkdtemp(prefix="psray-", dir="/tmp"))
    home = temp / "home"
    home.mkdir()
    # The drivers (perfscore screen) keep the test's environment; the nodes get a HOME of their own.
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **(extra_env or {})}
    port = _free_port()
    address = f"{HOST}:{port}"
    cluster = Cluster(address, temp, env)
    node_env = {**env, "HOME": str(home)}
    common = (f"--node-ip-address={HOST}", f"--temp-dir={temp / 'ray'}", *LIMITS)
    try:
        head = ("--head", f"--port={port}", "--include-dashboard=false")
        for args in (head, *[(f"--address={address}",)] * (nodes - 1)):
            # Output to a file: Ray's daemons inherit it and would hold a pipe open forever.
            with open(temp / "start.log", "a") as log:
                subprocess.run([str(RAY), "start", *args, *common], env=node_env, stdin=subprocess.DEVNULL,
                               stdout=log, stderr=subprocess.STDOUT, timeout=120, check=True)
        _wait_for_nodes(cluster, nodes)
    except BaseException:
        log = (temp / "start.log").read_text() if (temp / "start.log").exists() else ""
        cluster.stop()
        raise RuntimeError(f"the test Ray cluster did not start:\n{log[-3000:]}")
    return cluster


def _wait_for_nodes(cluster: Cluster, n: int, timeout: float = 60) -> None:
    probe = ("import ray, sys; ray.init(address=sys.argv[1], logging_level='ERROR', log_to_driver=False); "
             "print(sum(1 for node in ray.nodes() if node['Alive']))")
    deadline = time.monotonic() + timeout
    while True:
        out = subprocess.run([sys.executable, "-c", probe, cluster.address], env=cluster.env, capture_output=True,
                             text=True, timeout=120, stdin=subprocess.DEVNULL)
        if out.returncode == 0 and out.stdout.strip() == str(n):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{n} Ray nodes expected: {out.stdout} {out.stderr[-2000:]}")
        time.sleep(0.5)
