"""Settings of the box's coach (student store, policy). Filled in by the coach work."""

from .base import StrictModel


class CoachConfig(StrictModel):
    pass
