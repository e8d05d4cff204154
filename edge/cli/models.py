"""`perfscore models list|verify`: what is installed in models/ and which learned scorer and coach policy
each device profile would load; every sha256 checked against models/manifest.json.

Box side: reads the manifest and hashes files; no model is run, nothing heavier than pydantic is imported.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import exitcodes


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("models", help="list the installed models (and what each device profile loads); "
                                           "verify their sha256",
                            description=__doc__.splitlines()[0], epilog=exitcodes.EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", metavar="DIR", type=Path, default=None,
                        help="folder with manifest.json and the model files (default: models/)")
    what = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    lst = what.add_parser("list", help="each artefact (backend, precision, bytes, sha256 ok?) and, per device "
                                       "profile, the learned scorer its fallback chain resolves to")
    lst.add_argument("--profiles", metavar="DIR", type=Path, default=None,
                     help="folder of device profiles (default: firmware_configs/)")
    lst.add_argument("--json", action="store_true", help="one JSON document on stdout (schema perfscore.models/1)")
    ver = what.add_parser("verify", help="check every listed file's sha256; exit 1 naming each mismatch")
    ver.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    from ..models import inventory

    models_dir = args.models
    rows = inventory(models_dir)
    if args.models_command == "verify":
        bad = [r for r in rows if r["status"] == "mismatch"]
        if args.json:
            print(json.dumps({"schema": "perfscore.models-verify/1", "ok": not bad, "files": rows}, indent=1))
        else:
            for r in rows:
                print(f"{r['status']:<9} {r['file']}" + (f"  ({r['detail']})" if r.get("detail") else ""))
        for r in bad:
            import sys
            print(f"perfscore models verify: {r['file']}: {r['detail']}", file=sys.stderr)
        return exitcodes.FAILED if bad else exitcodes.OK
    profiles = profile_choices(args.profiles, models_dir)
    if args.json:
        print(json.dumps({"schema": "perfscore.models/1", "artifacts": rows, "profiles": profiles}, indent=1))
        return exitcodes.OK
    print(f"{'file':<36} {'backend':<16} {'precision':<13} {'bytes':>9}  sha256")
    for r in rows:
        print(f"{r['file']:<36} {r['backend']:<16} {r['precision'] or '-':<13} "
              f"{r['bytes'] if r['bytes'] is not None else '-':>9}  {r['status']}")
    print()
    print("device profile → learned scorer, coach policy (after the named file: int8 TFLite → fp16 TFLite → "
          "int8 ONNX → fp32 ONNX)")
    for p in profiles:
        print(f"{p['profile']:<18} {p['loads'] or 'nothing (rubric only)'}, {p['coach_policy']['loads'] or 'no policy'}")
        for s in p["skipped"] + p["coach_policy"]["skipped"]:
            print(f"{'':<18}   skipped {s['file']}: {s['reason']}")
    return exitcodes.OK


def profile_choices(profiles_dir: Path | None, models_dir: Path | None) -> list[dict]:
    """Per device profile: its chain and the file the box would load (looked up in `models_dir` by
    name when given, else where the profile points)."""
    from .. import PROJECT_ROOT
    from ..config import load_settings
    from ..models import MANIFEST
    from ..model_chain import expand_chain, resolve

    folder = Path(profiles_dir) if profiles_dir is not None else PROJECT_ROOT / "firmware_configs"
    manifest = Path(models_dir) / "manifest.json" if models_dir is not None else MANIFEST
    def choice(named) -> dict:
        chain = expand_chain(named)
        chosen = resolve(chain, manifest, models_dir)
        return {"chain": [p.name for p in chain], "loads": chosen.path.name if chosen.path else None,
                "skipped": [{"file": p.name, "reason": r} for p, r in chosen.skipped]}

    out = []
    for profile in sorted(folder.glob("*.yaml")):
        settings = load_settings([profile])
        # the learned scorer's choice at the top level (the schema's first form), the coach's policy beside it
        out.append({"profile": profile.stem, **choice(settings.run.scorer),
                    "coach_policy": choice(settings.coach.policy_path)})
    return out
