"""Settings of scoring: how sub-scores combine, where grade bands start, timeline windows.

Defaults and their reasons are in docs/scoring.md.
"""

from pydantic import Field, model_validator

from .base import StrictModel


class WeightsConfig(StrictModel):
    """Weights of the sub-scores in `overall`. Sub-scores that do not apply are left out and the
    remaining weights renormalised, so a music performance without reference is not punished for
    having no `sync` or `interpretation`."""

    rhythm: float = Field(0.25, ge=0)
    sync: float = Field(0.25, ge=0)
    technique: float = Field(0.25, ge=0)
    expression: float = Field(0.15, ge=0)
    interpretation: float = Field(0.10, ge=0)


class GradesConfig(StrictModel):
    """Lowest `overall` of each band; below the last band is E."""

    A: float = Field(85.0, ge=0, le=100)
    B: float = Field(70.0, ge=0, le=100)
    C: float = Field(55.0, ge=0, le=100)
    D: float = Field(40.0, ge=0, le=100)

    @model_validator(mode="after")
    def _descending(self):
        if not self.A > self.B > self.C > self.D:
            raise ValueError("grade thresholds must descend: A > B > C > D")
        return self


class ScoringConfig(StrictModel):
    weights: WeightsConfig = WeightsConfig()
    grades: GradesConfig = GradesConfig()
    window_s: float = Field(8.0, gt=1, description="Timeline window length.")
    hop_s: float = Field(4.0, gt=0, description="Timeline window step.")
