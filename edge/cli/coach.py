"""`perfscore coach ...`: feed assessments, get the next practice task, plan a curriculum path.

    perfscore coach assess P-042 --discipline music --piece bach-minuet \\
        --scores rhythm=70,technique=60,expression=55,interpretation=40,overall=62
    perfscore coach assess P-042 --result result.json     # a performance result from the box
    perfscore coach recommend P-042 [--json]
    perfscore coach path P-042 --modules modules.yaml [--json]
    perfscore coach prefer P-042 EP=2,CIT=1               # the performer's liked task types
    perfscore coach show P-042 [--json]
    perfscore coach practised P-042 EP                   # what the performer actually practised
    perfscore coach override P-042 CIT --note "recital next week"   # the teacher's next task
    perfscore coach history P-042 [--json]               # assessments, skills, tasks recommended and practised
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# Only names and file parsing at import time: `perfscore --help` must not load numpy, the
# scoring package or onnxruntime. The work is edge/coach/service.py's, imported by each command.
from ..coach.errors import CoachError
from ..coach.results import load_result, parse_time
from ..coach.vocabulary import ACTION_NAMES, ACTIONS, ASSESSED, DISCIPLINES, SKILLS
from . import exitcodes


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
    src.add_argument("--scores", help=f"NAME=VALUE,... with NAME in {', '.join(ASSESSED)}; VALUE 0–100 or none")
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

    p = coach_sub.add_parser("practised", help="record the task the performer actually practised since the "
                                               "latest assessment (else the recommended one is assumed)")
    common(p)
    p.add_argument("task", help=f"task type practised: {', '.join(ACTIONS)}")
    p.add_argument("--at", help="when, ISO 8601 (default: now, UTC)")
    p.set_defaults(run=run_practised)

    p = coach_sub.add_parser("override", help="a teacher's task for the next recommendation, instead of the policy's")
    common(p)
    p.add_argument("task", nargs="?", help=f"task type the next recommendation gives: {', '.join(ACTIONS)}")
    p.add_argument("--note", help="why (shown with the recommendation)")
    p.add_argument("--clear", action="store_true", help="drop an override that is still waiting")
    p.set_defaults(run=run_override)

    p = coach_sub.add_parser("history", help="assessments, skills, recommendations and what was practised")
    common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run_history)


def _coach(args: argparse.Namespace):
    from ..coach.service import Coach

    return Coach.from_config(args.settings.coach, store_path=args.store)


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


def _print_json(doc: dict) -> int:
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return exitcodes.OK


def _fmt_skills(values: dict) -> str:
    return "  ".join(f"{s} {'—' if values[s] is None else f'{values[s]:.0f}'}" for s in SKILLS)


def run_assess(args: argparse.Namespace) -> int:
    if args.result:
        result = load_result(args.result)
        discipline, piece = args.discipline or result.discipline, args.piece or result.piece
    else:
        result, discipline, piece = parse_scores(args.scores), args.discipline, args.piece
    if discipline is None:
        raise CoachError("--discipline: required (dance or music) unless the result says it")
    if piece is None:
        raise CoachError("--piece: required unless the result says it")
    at = parse_time(args.at, "--at") if args.at else None
    with _coach(args) as coach:
        stored = coach.assess(args.performer, result, piece=str(piece), discipline=discipline, at=at).stored
    measured = ", ".join(f"{s} {v:.0f}" for s, v in stored.skills.items() if v is not None) or "none"
    first = "first attempt at this piece" if stored.first_attempt else "piece seen before: no sight-reading measure"
    print(f"recorded {args.performer} on {stored.piece} ({first}); skills measured: {measured}")
    return exitcodes.OK


def run_recommend(args: argparse.Namespace) -> int:
    with _coach(args) as coach:
        rec = coach.recommend(args.performer)
    if args.json:
        return _print_json(rec.to_dict())
    lines = [f"Next task for {rec.performer} ({rec.discipline}): {rec.task.title}  [{rec.action}, {rec.action_name}]",
             f"  {rec.task.instruction}",
             f"Why: {rec.reason}",
             f"Skills (moving average of the last {coach.window}): {_fmt_skills(rec.state['moving_average'])}"]
    if rec.focus:
        lines.insert(2, f"  Within it: {rec.focus.text} ({rec.focus.subscore} {rec.focus.value:.0f} in the latest "
                        "assessment that measured it)")
    if rec.confidence:
        c = rec.confidence
        lines.append(f"Confidence {c.value:.2f} (margin {c.margin:.2f} over {c.runner_up}"
                     + ("; a close call" if c.close_call else "") + ")")
    if rec.feedback:
        lines.append("Feedback on the latest performance:")
        lines += [f"  {name:<15} {sentence}" for name, sentence in rec.feedback.items()]
    if rec.model:
        lines.append(f"Policy: {rec.model.name} (sha256 {rec.model.sha256[:12]}…, {rec.model.backend})")
    print("\n".join(lines))
    return exitcodes.OK


def run_path(args: argparse.Namespace) -> int:
    with _coach(args) as coach:
        path = coach.path(args.performer, args.modules)
    if args.json:
        return _print_json(path.to_dict())
    state = path.state
    lines = [f"Path for {args.performer} ({state.discipline}), θ = {path.theta:g}; skills {_fmt_skills(state.moving_average)}"]
    for i, step in enumerate(path.steps, 1):
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
    with _coach(args) as coach:
        prefs = coach.prefer(args.performer, weights)
    print(f"{args.performer} prefers " + ", ".join(f"{a} {v:.2f}" for a, v in prefs.items()))
    return exitcodes.OK


def run_show(args: argparse.Namespace) -> int:
    from ..coach.recommend import describe_pace

    with _coach(args) as coach:
        state = coach.show(args.performer)
    if args.json:
        return _print_json(state.to_dict())
    asm = "—" if state.asm is None else f"{state.asm:.1f}"
    print("\n".join([
        f"{state.performer} ({state.discipline}), {state.assessments} assessments",
        f"  last measured      {_fmt_skills(state.latest)}",
        f"  moving average     {_fmt_skills(state.moving_average)}   ASM {asm}",
        f"  forecast (next)    {_fmt_skills(state.forecast)}",
        "  measured ago       " + "  ".join(f"{s} {'—' if state.age[s] is None else state.age[s]}" for s in SKILLS)
        + " (assessments)" + (f"; stale: {', '.join(state.stale)}" if state.stale else "")
        + (f"; to measure again: {', '.join(state.expired)}" if state.expired else ""),
        f"  {describe_pace(state.lp)}",
        "  preferences        " + "  ".join(f"{a} {v:.2f}" for a, v in state.preferences.items()),
    ]))
    return exitcodes.OK


def run_practised(args: argparse.Namespace) -> int:
    at = parse_time(args.at, "--at") if args.at else None
    with _coach(args) as coach:
        done = coach.practised(args.performer, args.task, at=at, source="cli")
    after = f"after assessment #{done.after_assessment}" if done.after_assessment else "before any assessment"
    print(f"recorded: {args.performer} practised {done.action} ({ACTION_NAMES[done.action]}) {after}")
    return exitcodes.OK


def run_override(args: argparse.Namespace) -> int:
    if args.clear == (args.task is not None):
        raise CoachError("override: give a TASK, or --clear to drop the one waiting")
    with _coach(args) as coach:
        if args.clear:
            dropped = coach.clear_override(args.performer)
            print(f"{args.performer}: " + ("override dropped" if dropped else "no override was waiting"))
            return exitcodes.OK
        coach.override(args.performer, args.task, note=args.note)
    print(f"{args.performer}: the next recommendation will be {args.task} ({ACTION_NAMES[args.task]})"
          + (f", because: {args.note}" if args.note else ""))
    return exitcodes.OK


def _skill_cell(value) -> str:
    return "—" if value is None else f"{value:.0f}"


def run_history(args: argparse.Namespace) -> int:
    with _coach(args) as coach:
        doc = coach.history(args.performer).to_dict()
    if args.json:
        return _print_json(doc)
    head = f"{'#':>3}  {'date':<10}  {'piece':<16} {'1st':<3}  " + "  ".join(f"{s:>3}" for s in SKILLS) \
        + "  recommended  practised"
    lines = [f"{doc['performer']} ({doc['discipline']}): skills on the coach's scale (— not measured)", head]
    for row in doc["assessments"]:
        rec = row["recommended"]
        rec_text = "—" if rec is None else rec["action"] + ("*" if row["override"] else "")
        done = ",".join(p["action"] for p in row["practised"]) or "—"
        lines.append(f"{row['seq']:>3}  {row['ts'][:10]:<10}  {row['piece'][:16]:<16} {'yes' if row['first_attempt'] else '':<3}  "
                     + "  ".join(f"{_skill_cell(row['skills'][s]):>3}" for s in SKILLS)
                     + f"  {rec_text:<11}  {done}")
    state = doc["state"]
    lines.append("moving average  " + "  ".join(f"{s} {_skill_cell(state['moving_average'][s])}" for s in SKILLS)
                 + (f"   stale: {', '.join(state['stale'])}" if state["stale"] else "")
                 + (f"   to measure again: {', '.join(state['expired'])}" if state["expired"] else ""))
    if any(row["override"] for row in doc["assessments"]):
        lines.append("* the teacher's choice (override)")
    if doc["pending_override"]:
        o = doc["pending_override"]
        lines.append(f"override waiting for the next recommendation: {o['action']}" + (f" ({o['note']})" if o["note"] else ""))
    print("\n".join(lines))
    return exitcodes.OK
