"""The rubric's identity in every result, and in screening's resume key: change it when a formula changes."""

from ..result import ModelInfo

RUBRIC_VERSION = "2.0"   # 2.0: one meaning per sub-score (docs/scoring.md)
RUBRIC_MODEL = ModelInfo(name="rubric", version=RUBRIC_VERSION, backend="python", precision="fp64")
