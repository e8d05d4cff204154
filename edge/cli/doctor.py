"""`perfscore doctor`: checks camera, microphone, broker, models, state directory, temperature (edge/doctor.py)."""

from __future__ import annotations

import argparse

from . import exitcodes


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "doctor", help="check camera, microphone, broker, models, disk and temperature; say what to fix",
        description="Check what the box needs, one line per check with the fix to try: the camera delivers "
                    "frames at the profile's rate, the microphone delivers audio (with its level), the broker "
                    "accepts the configured credentials and a publish/receive round trip works, every model "
                    "matches models/manifest.json, the state directory is writable with room for the outbox "
                    "quota, CPU temperature and throttling where the board reports them. Exit 0 when no check "
                    "fails, 1 otherwise. Run it as the daemon's user (sudo -u perfscore …) to see its rights.",
        epilog=exitcodes.EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout (schema perfscore.doctor/1)")
    parser.add_argument("--broker", metavar="URL", help="mqtt://HOST[:PORT] or mqtts://… (default: publish.broker)")
    parser.add_argument("--device", metavar="ID", help="the box's id in topics (default: device.id)")
    parser.add_argument("--state-dir", metavar="DIR", help="the daemon's state directory (default: publish.state_dir)")
    parser.add_argument("--models", metavar="DIR", help="folder with manifest.json and the models (default: models/)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from ..doctor import run_checks

    report = run_checks(args.settings, device=args.device, broker=args.broker,
                        state_dir=Path(args.state_dir) if args.state_dir else None,
                        models_dir=Path(args.models) if args.models else None)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.text())
    return exitcodes.OK if report.ok else exitcodes.FAILED
