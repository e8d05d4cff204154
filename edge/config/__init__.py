"""Configuration: pydantic models that reject unknown keys, loaded from layered YAML files."""

from .loader import load_settings
from .settings import Settings

__all__ = ["Settings", "load_settings"]
