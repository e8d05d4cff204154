"""`perfscore train ...`, plugged into the box's CLI through the `perfscore.commands` entry point.

Nothing here imports torch at import time: `perfscore --help` must work on the box, where the
`train` extra is not installed; running a train command there says which extra to install.
"""

from __future__ import annotations

import argparse

from .coach import cli as coach_cli
from .scorers import cli as scorers_cli


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("train", help="train the coach's policy or the learned scorers (needs the train extra)")
    train_sub = parser.add_subparsers(dest="train_command", metavar="WHAT", required=True)
    coach_cli.register(train_sub)
    scorers_cli.register(train_sub)


def require_extra(extra: str, *modules: str) -> None:
    """Raise a clear error when an optional dependency of a workstation command is missing."""
    from edge.errors import PerfscoreError

    for name in modules:
        try:
            __import__(name)
        except ImportError:
            raise PerfscoreError(
                f"this command needs the '{extra}' extra ({name} is not installed): pip install -e '.[{extra}]'"
            ) from None


def comma_choices(text: str | None, known, option: str, *, what: str = "unknown value(s)",
                  default: tuple | None = None) -> tuple[str, ...]:
    """The values of a comma-separated option (`--methods a,b`), each one of `known`; `default` when the
    option is not given. A clear error names the option, what is wrong and the choices."""
    from edge.errors import PerfscoreError

    if not text and default is not None:
        return tuple(default)
    values = tuple(v.strip() for v in (text or "").split(",") if v.strip())
    unknown = [v for v in values if v not in known]
    if unknown or not values:
        raise PerfscoreError(f"{option}: {what} {', '.join(unknown) or repr(text)}; choose from {', '.join(known)}")
    return values
