"""`perfscore --help` and `--version` load no measuring stack (issue 10: they answer at once on a Pi).

What is imported is asserted, not how long it takes (bench/cli_startup.py times it): the heavy modules
below cost seconds on a Raspberry Pi, and each is only needed by the subcommand that measures with it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from edge import PROJECT_ROOT, __version__

# Top-level packages a bare `perfscore --help` must not import.
HEAVY = {"numpy", "scipy", "cv2", "av", "aubio", "mediapipe", "onnxruntime", "ai_edge_litert", "mido",
         "mir_eval", "paho", "pydantic", "yaml", "tqdm", "torch", "tensorflow", "onnx", "gymnasium",
         "stable_baselines3", "pybullet", "music21", "sklearn", "matplotlib"}
# The box's own heavy layers: measuring, scoring, sources, config (pydantic), the coach's numpy side.
HEAVY_EDGE = ("edge.features", "edge.analysis", "edge.scoring", "edge.sources", "edge.screening", "edge.config",
              "edge.coach.observation", "edge.coach.policy", "edge.coach.service", "edge.publish")


def _command() -> list[str]:
    """The installed console script run by this interpreter (so -X works), else the module."""
    script = Path(sys.executable).parent / "perfscore"
    return [sys.executable, "-X", "importtime", *([str(script)] if script.exists() else ["-m", "edge.cli.main"])]


def _run(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    proc = subprocess.run([*_command(), *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    # -X importtime writes one line per imported module to stderr: "import time: self | cumulative | name"
    imported = {m.group(1) for m in re.finditer(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", proc.stderr, re.M)}
    assert imported, proc.stderr[-2000:]                     # the probe itself works
    return proc, imported


def _heavy(imported: set[str]) -> set[str]:
    return ({m for m in imported if m.split(".")[0] in HEAVY}
            | {m for m in imported if m.startswith(HEAVY_EDGE)})


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_no_heavy_module(flag):
    proc, imported = _run(flag)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _heavy(imported) == set()
    if flag == "--version":
        assert proc.stdout.strip() == f"perfscore {__version__}"
    else:
        for command in ("analyze", "screen", "coach", "train", "export"):
            assert re.search(rf"^\s+{command}\s", proc.stdout, re.M), proc.stdout
        # the workstation plugins registered through their entry points, still without torch
        assert {"training.coach.cli", "training.scorers.cli", "export.coach_policy", "export.scorers"} <= imported


def test_subcommand_help_also_stays_light():
    proc, imported = _run("coach", "assess", "--help")
    assert proc.returncode == 0 and "--discipline {dance,music}" in proc.stdout
    assert "rhythm, sync, technique, expression, interpretation, overall" in " ".join(proc.stdout.split())
    assert _heavy(imported) == set()


def test_the_probe_would_see_a_heavy_import():
    """The same probe on a command that measures does list the stack (so the assertions above can fail)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import edge.cli.analyze as a, edge.analysis"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    imported = {m.group(1) for m in re.finditer(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", proc.stderr, re.M)}
    assert {"numpy", "scipy", "edge.features"} <= imported
