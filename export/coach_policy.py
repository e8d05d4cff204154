"""`perfscore export coach` — placeholder until the coach lands."""

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    pass
