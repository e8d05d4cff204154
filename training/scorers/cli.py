"""`perfscore train scorers` (learned scorers; see issue "Learned scorers")."""

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    pass
