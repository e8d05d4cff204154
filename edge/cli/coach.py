"""`perfscore coach ...`: feed assessments, get the next practice task, plan a curriculum path.

    perfscore coach assess P-042 --discipline music --piece bach-minuet \\
        --scores rhythm=70,technique=60,expression=55,interpretation=40,overall=62
    perfscore coach assess P-042 --result result.json     # a performance result from the box
    perfscore coach recommend P-042 [--json]
    perfscore coach path P-042 --modules modules.yaml [--json]
    perfscore coach prefer P-042 EP=2,CIT=1               # the performer's liked task types
    perfscore coach show P-042 [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from ..coach.curriculum import build_path, load_modules
from ..coach.errors import CoachError
from ..coach.observation import ACTIONS, SKILLS
from ..coach.recommend import describe_pace, recommend
from ..coach.skills import DISCIPLINES, SUBSCORES
from ..coach.store import StudentStore
from ..coach.student import student_state
from . import exitcodes

_SCORE_KEYS = ("scores", "sub_scores", "subscores")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("coach", help="performers' progress and their next practice task",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    coach_sub = parser.add_subparsers(dest="coach_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("performer", help="pseudonymous performer id (letters, digits, _ . -)")
        p.add_argument("--store", type=Path, default=None, help="student store (default: config coach.store_path)")

    p = coach_sub.add_parser("assess", help="record one performance's sub-scores for a performer")
    common(p)
    p.add_argument("--discipline", choices=DISCIPLINES, help="dance or music (or from --result)")
    p.add_argument("--piece", help="piece id; the first assessment of a piece also measures sight-reading")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--scores", help=f"NAME=VALUE,... with NAME in {', '.join(SUBSCORES)}; VALUE 0–100 or none")
    src.add_argument("--result", type=Path, help="a performance result JSON with its sub-scores")
    p.add_argument("--at", help="when it was performed, ISO 8601 (default: now, UTC)")
    p.set_defaults(run=run_assess)

    p = coach_sub.add_parser("recommend", help="the next practice task, with the policy's reason")
    common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run_recommend)

    p = coach_sub.add_parser("path", help="a personalised path through curriculum modules")
    common(p)
    p.add_argument("--modules", type=Path, required=True, help="YAML or JSON file of modules (docs/coach.md)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run_path)

    p = coach_sub.add_parser("prefer", help="set the performer's liked task types (weights, normalised)")
    common(p)
    p.add_argument("weights", help=f"TASK=WEIGHT,... with TASK in {', '.join(ACTIONS)}, e.g. EP=2,CIT=1")
    p.set_defaults(run=run_prefer)

    p = coach_sub.add_parser("show", help="the performer's skills, learning pace and forecast")
    common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run_show)


def _store(args: argparse.Namespace) -> StudentStore:
    return StudentStore(args.store or args.settings.coach.store_path)


def _state(store: StudentStore, performer: str, window: int):
    history = store.history(performer)
    if not history:
        raise CoachError(f"performer {performer}: no assessments in {store.path}; add one with `perfscore coach assess`")
    return student_state(performer, history, store.preferences(performer), store.recent_tasks(performer), window)


def parse_pairs(text: str, what: str) -> dict[str, str]:
    pairs = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise CoachError(f"{what}: {item!r} is not NAME=VALUE")
        pairs[name.strip()] = value.strip()
    if not pairs:
        raise CoachError(f"{what}: empty")
    return pairs


def parse_scores(text: str) -> dict[str, float | None]:
    scores: dict[str, float | None] = {}
    for name, value in parse_pairs(text, "--scores").items():
        if value.lower() in ("none", "null", "-"):
            scores[name] = None
            continue
        try:
            scores[name] = float(value)
        except ValueError:
            raise CoachError(f"--scores: {name}={value!r} is not a number") from None
    return scores


def parse_time(text: str | None) -> datetime:
    if text is None:
        return datetime.now(timezone.utc)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CoachError(f"--at {text!r}: not an ISO 8601 date and time (e.g. 2026-03-01T17:30:00Z)") from None


def _score_result(doc: dict) -> dict | None:
    """The scoring contract (edge/scoring/result.py) inside what the box writes: the result itself, an
    `analyze --json` document (`scores`), or a `screen` results.jsonl record (`rubric`)."""
    for candidate in (doc, doc.get("scores"), doc.get("rubric")):
        if isinstance(candidate, dict) and isinstance(candidate.get("subscores"), dict):
            return candidate
    return None


def read_result(path: Path) -> dict:
    """Sub-scores, discipline (and piece, ts if present) from a performance result JSON: a ScoreResult,
    `perfscore analyze --json` output, one line of `perfscore screen`'s results.jsonl, or a plain
    object of sub-scores (numbers, null, or objects with a `value`)."""
    try:
        text = path.read_text(encoding="utf-8")
        doc = json.loads(text.splitlines()[0] if path.suffix == ".jsonl" else text)
    except OSError as exc:
        raise CoachError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, IndexError) as exc:
        raise CoachError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise CoachError(f"{path}: expected a JSON object with sub-scores")
    result = _score_result(doc)
    container = result["subscores"] if result else next(
        (doc[k] for k in _SCORE_KEYS if isinstance(doc.get(k), dict)), doc)
    if result is not None:
        container = {**container, "overall": result.get("overall")}
    scores = {}
    for name in SUBSCORES:
        value = container.get(name)
        if isinstance(value, dict):
            value = value.get("value", value.get("score"))
        if name in container:
            scores[name] = value
    if not scores:
        raise CoachError(f"{path}: no sub-scores found (expected some of {', '.join(SUBSCORES)})")
    discipline = (result or {}).get("discipline") or doc.get("discipline")
    return {"scores": scores, "discipline": discipline, "piece": doc.get("piece", doc.get("piece_id")),
            "ts": doc.get("ts")}


def run_assess(args: argparse.Namespace) -> int:
    if args.result:
        found = read_result(args.result)
        scores = found["scores"]
        discipline = args.discipline or found["discipline"]
        piece = args.piece or found["piece"]
        at = args.at or found["ts"]
    else:
        scores, discipline, piece, at = parse_scores(args.scores), args.discipline, args.piece, args.at
    if discipline is None:
        raise CoachError("--discipline: required (dance or music) unless the result says it")
    if piece is None:
        raise CoachError("--piece: required unless the result says it")
    with _store(args) as store:
        stored = store.add_assessment(args.performer, discipline, str(piece), scores, parse_time(at))
    measured = ", ".join(f"{s} {v:.0f}" for s, v in stored.skills.items() if v is not None) or "none"
    first = "first attempt at this piece" if stored.first_attempt else "piece seen before: no sight-reading measure"
    print(f"recorded {args.performer} on {stored.piece} ({first}); skills measured: {measured}")
    return exitcodes.OK


def _fmt_skills(values: dict) -> str:
    return "  ".join(f"{s} {'—' if values[s] is None else f'{values[s]:.0f}'}" for s in SKILLS)


def run_recommend(args: argparse.Namespace) -> int:
    coach = args.settings.coach
    with _store(args) as store:
        state = _state(store, args.performer, coach.window)
        from ..coach.policy import CoachPolicy   # onnxruntime loads only when a policy is needed

        policy = None if state.unmeasured else CoachPolicy(coach.policy_path, coach.window)
        rec = recommend(state, policy)
        store.record_recommendation(args.performer, datetime.now(timezone.utc), rec.action, rec.q_values, rec.reason)
    if args.json:
        json.dump(rec.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return exitcodes.OK
    lines = [f"Next task for {rec.performer} ({rec.discipline}): {rec.task.title}  [{rec.action}, {rec.action_name}]",
             f"  {rec.task.instruction}",
             f"Why: {rec.reason}",
             f"Skills (moving average of the last {coach.window}): {_fmt_skills(state.moving_average)}"]
    if rec.model:
        lines.append(f"Policy: {rec.model['name']} (sha256 {rec.model['sha256'][:12]}…, {rec.model['backend']})")
    print("\n".join(lines))
    return exitcodes.OK


def run_path(args: argparse.Namespace) -> int:
    coach = args.settings.coach
    modules = load_modules(args.modules)
    with _store(args) as store:
        state = _state(store, args.performer, coach.window)
    steps = build_path(state.moving_average, modules, state.discipline, coach.theta)
    if args.json:
        json.dump({"performer": args.performer, "theta": coach.theta, "skills": state.moving_average,
                   "path": [s.to_dict() for s in steps]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return exitcodes.OK
    lines = [f"Path for {args.performer} ({state.discipline}), θ = {coach.theta:g}; skills {_fmt_skills(state.moving_average)}"]
    for i, step in enumerate(steps, 1):
        tag = "module  " if step.kind == "module" else "remedial"
        note = f"  ({step.note})" if step.note else ""
        lines.append(f"{i:2d}. {tag} {step.title}  [match {step.match:.2f}]{note}")
    print("\n".join(lines))
    return exitcodes.OK


def run_prefer(args: argparse.Namespace) -> int:
    weights = {}
    for name, value in parse_pairs(args.weights, "weights").items():
        try:
            weights[name] = float(value)
        except ValueError:
            raise CoachError(f"weights: {name}={value!r} is not a number") from None
    with _store(args) as store:
        prefs = store.set_preferences(args.performer, weights)
    print(f"{args.performer} prefers " + ", ".join(f"{a} {v:.2f}" for a, v in prefs.items()))
    return exitcodes.OK


def run_show(args: argparse.Namespace) -> int:
    coach = args.settings.coach
    with _store(args) as store:
        state = _state(store, args.performer, coach.window)
    if args.json:
        json.dump({"performer": state.performer, "discipline": state.discipline, "assessments": state.assessments,
                   "latest": state.latest, "moving_average": state.moving_average, "asm": state.asm, "lp": state.lp,
                   "forecast": state.forecast, "preferences": state.preferences, "recent_tasks": state.recent_tasks},
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
        return exitcodes.OK
    asm = "—" if state.asm is None else f"{state.asm:.1f}"
    print("\n".join([
        f"{state.performer} ({state.discipline}), {state.assessments} assessments",
        f"  last measured      {_fmt_skills(state.latest)}",
        f"  moving average     {_fmt_skills(state.moving_average)}   ASM {asm}",
        f"  forecast (next)    {_fmt_skills(state.forecast)}",
        f"  {describe_pace(state.lp)}",
        "  preferences        " + "  ".join(f"{a} {v:.2f}" for a, v in state.preferences.items()),
    ]))
    return exitcodes.OK
