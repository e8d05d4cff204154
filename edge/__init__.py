"""perfscore's box side: source → features → scoring → coach → publish.

Nothing in this package imports torch, tensorflow, onnx, `training` or `export`.
"""

from pathlib import Path

__version__ = "0.1.0"

# The checkout the box runs from; `models/` and `firmware_configs/` live beside `edge/`.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = PROJECT_ROOT / "models"
