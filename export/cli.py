"""`perfscore export ...`: checkpoints → ONNX / TFLite in models/, with parity checks and manifest entries."""

from __future__ import annotations

import argparse

from . import coach_policy, scorers


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("export", help="export trained models for the box (needs the export extra)")
    export_sub = parser.add_subparsers(dest="export_command", metavar="WHAT", required=True)
    coach_policy.register(export_sub)
    scorers.register(export_sub)
