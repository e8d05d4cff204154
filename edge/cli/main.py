"""`perfscore`: the single entry point.

Subcommands of the box live in edge/cli/; workstation subcommands (`train`, `export`) plug in
through the `perfscore.commands` entry-point group, so the box never imports them.

Building the parser imports argparse and the subcommand modules only; each subcommand imports what
it measures with (numpy, scipy, MediaPipe, PyAV, aubio, onnxruntime, pydantic) when it runs, so
`perfscore --help` and `--version` answer at once (tests/cli/test_startup.py, bench/cli_startup.py).
"""

from __future__ import annotations

import argparse
import logging
import sys
from importlib.metadata import entry_points

from .. import __version__
from ..errors import ConfigError, PerfscoreError
from . import analyze, coach, display, doctor, exitcodes, models, run, screen

BUILTIN = [analyze, coach, screen, run, display, doctor, models]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="perfscore",
        description="Score dance and music performances on the box, offline or live.",
        epilog=exitcodes.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"perfscore {__version__}")
    parser.add_argument("--config", action="append", default=[], metavar="FILE",
                        help="YAML config; repeat to layer a device profile and local overrides")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in BUILTIN:
        module.register(sub)
    for ep in entry_points(group="perfscore.commands"):
        ep.load()(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.verbose < 2:
        # FFmpeg's own complaints reach us through PyAV's "libav" loggers; what they mean for the file is
        # already in our one-line error or in the result's warnings.
        logging.getLogger("libav").setLevel(logging.CRITICAL)
    try:
        from ..config import load_settings   # pydantic and YAML: only once a command runs

        args.settings = load_settings(args.config)
        return args.run(args)
    except PerfscoreError as exc:
        print(f"perfscore {args.command}: {exc}", file=sys.stderr)
        return exitcodes.USAGE if isinstance(exc, ConfigError) else exitcodes.FAILED
    except BrokenPipeError:  # `perfscore analyze --json x | head`: the reader left; not an error of ours
        sys.stderr.close()
        return exitcodes.OK
    except KeyboardInterrupt:
        print(f"perfscore {args.command}: interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
