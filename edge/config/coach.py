"""Settings of the box's coach: where performers' assessments are kept, which policy runs.

Defaults (documented in docs/coach.md):
- store_path: $XDG_STATE_HOME/perfscore/coach.sqlite (~/.local/state/perfscore/coach.sqlite),
  state that must survive restarts and upgrades, outside the checkout.
- policy_path: models/coach_policy.onnx, verified against models/manifest.json; a device profile
  may name the fp16 TFLite file (LiteRT) and falls back along edge/model_chain.py's chain.
- window: W = 3 assessments for the moving average, learning pace and forecast. The policy was
  trained with this W; the box refuses a policy whose manifest entry says otherwise.
- theta: 0.75, the skill match at which a curriculum module is taken without a remedial first.
"""

import os
from pathlib import Path

from pydantic import Field

from .. import MODELS_DIR
from .base import ConfigPath, StrictModel


def _default_store() -> Path:
    """$XDG_STATE_HOME/perfscore/coach.sqlite (~/.local/state/perfscore/coach.sqlite)."""
    state_home = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return state_home / "perfscore" / "coach.sqlite"


class CoachConfig(StrictModel):
    store_path: ConfigPath = Field(default_factory=_default_store,
                                   description="SQLite file of performers' assessments (pseudonymous ids); kept across restarts.")
    policy_path: ConfigPath | list[ConfigPath] = Field(
        MODELS_DIR / "coach_policy.onnx",
        description="The Q-network (.onnx for ONNX Runtime, .tflite for LiteRT), listed in models/manifest.json with "
                    "its sha256. One file is followed by the int8/fp16 TFLite, int8 ONNX and fp32 ONNX files of the "
                    "same policy when it is not usable; a list is the chain to try in order (edge/model_chain.py).")
    window: int = Field(3, ge=2, le=20, description="Assessments in the moving average, LP and forecast.")
    theta: float = Field(0.75, gt=0, le=1, description="Skill match needed to take a curriculum module.")
