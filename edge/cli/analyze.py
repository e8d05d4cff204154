"""`perfscore analyze MEDIA`: every measurement of one recording, with units."""

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("analyze", help="measure one recording (pose, audio, rhythm, sync)")
    parser.add_argument("media")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError
