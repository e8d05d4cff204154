"""`perfscore run`: the daemon. Parses, then hands everything to edge/app.py (docs/daemon.md)."""

from __future__ import annotations

import argparse
import logging

from . import exitcodes


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "run", help="the daemon: capture, score live, publish over MQTT",
        description="Run the box: capture from a camera/microphone (or replay a file), score takes as they "
                    "happen, publish live scores, session results and recommendations over MQTT (docs/mqtt.md). "
                    "Takes start and stop by command (cmd/session/start, cmd/session/stop), automatically "
                    "(run.takes.auto), or with --once the whole source is one take. SIGTERM finishes the "
                    "running take (marked cut short), publishes it and exits.",
        epilog=exitcodes.EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", metavar="SPEC", default="camera:",
                        help="camera:[N], mic:[N], replay:PATH, a file or an rtsp/http URL (default: camera:)")
    parser.add_argument("--broker", metavar="URL", help="mqtt://HOST[:PORT] or mqtts://… (default: publish.broker)")
    parser.add_argument("--device", metavar="ID", help="the box's id in topics (default: device.id)")
    parser.add_argument("--state-dir", metavar="DIR",
                        help="outbox and coach store, kept across restarts (default: publish.state_dir)")
    parser.add_argument("--once", action="store_true",
                        help="the whole source is one take; exit 0 once it is scored and delivered")
    parser.add_argument("--performer", metavar="ID",
                        help="the current pseudonymous performer id (the --once take's; automatic takes'; "
                             "cmd/performer changes it). Default: run.default_performer")
    parser.add_argument("--piece", metavar="NAME", help="with --once: the piece performed")
    parser.add_argument("--discipline", choices=("dance", "music"), help="with --once: how to judge the take")
    parser.add_argument("--reference", metavar="REF", help="with --once: a MIDI file or a dance recording")
    parser.add_argument("--speed", type=float, default=1.0, help="pace of replay:PATH (default 1.0 = real time)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import signal

    from pydantic import ValidationError

    from ..app import App
    from ..config.device import DeviceConfig
    from ..config.publish import parse_broker_url
    from ..errors import ConfigError

    if args.verbose == 0:
        logging.getLogger().setLevel(logging.INFO)     # a daemon says what it does (journald keeps it)
    settings = args.settings
    try:
        if args.device:
            DeviceConfig(id=args.device)
        if args.broker:
            parse_broker_url(args.broker)
    except (ValidationError, ValueError) as exc:
        raise ConfigError(f"--device/--broker: {exc}") from None
    if args.speed <= 0:
        raise ConfigError("--speed must be positive")
    if args.performer:
        from ..publish.payloads import PERFORMER_ID

        if not PERFORMER_ID.match(args.performer):
            raise ConfigError(f"--performer {args.performer!r}: a pseudonymous id (letters, digits, _ . -), never a name")
    app = App(settings, args.source, device=args.device, broker=args.broker, state_dir=args.state_dir,
              once=args.once, speed=args.speed, performer=args.performer, piece=args.piece,
              discipline=args.discipline, reference=args.reference)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: app.request_stop())
    try:
        app.start()
        code = app.wait()
    finally:
        app.stop()
    return code or app.exit_code
