"""What the tests need to know about the shipped coach policy (models/manifest.json)."""

from __future__ import annotations

import json

from edge import MODELS_DIR


def shipped_reason_words() -> str:
    """How the shipped policy's reason names its scores: a DQN's Q-values or a PPO actor's preferences."""
    entry = json.loads((MODELS_DIR / "manifest.json").read_text())["artifacts"]["coach_policy.onnx"]
    return {"q_values": "highest Q-value", "preferences": "strongest preference"}[entry["scores"]["meaning"]]
