"""The coach's user-facing errors (one line each, naming the input and what is wrong)."""

from ..errors import PerfscoreError


class CoachError(PerfscoreError):
    """Bad input to the coach: a performer id, a score, a timestamp, a modules file."""
