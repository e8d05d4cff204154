"""Errors that name the input and what is wrong with it.

The CLI prints `str(error)` as one line and exits non-zero; batch runs record it and carry on.
"""

from __future__ import annotations

from pathlib import Path


class PerfscoreError(Exception):
    """Base for errors the user can act on (no traceback is shown for these)."""


class MediaError(PerfscoreError):
    """A recording or device that cannot be read, or that has nothing to measure."""

    def __init__(self, source: str | Path, reason: str):
        self.source = str(source)
        self.reason = reason
        super().__init__(f"{self.source}: {reason}")


class ConfigError(PerfscoreError):
    """A configuration file that does not validate. The message names file, line and key."""


class ModelError(PerfscoreError):
    """A model file that is missing, does not match its manifest, or cannot be loaded."""


class NotScorable(MediaError):
    """A readable recording that lacks what its discipline is judged on (no person for dance, no sound)."""
