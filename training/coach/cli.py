"""`perfscore train coach`: the whole comparison (simulator, DQN, baselines, statistics, plots).

Torch, gymnasium and SB3 are imported inside `run`, after checking the train extra is there,
so `perfscore --help` works on a box without them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "coach", help="train the practice-task policy (DQN) and compare it with baselines over seeds",
        description="Train the DQN and every baseline on simulated students, evaluate on held-out students, "
                    "write DIR/results.json, curves.json, report.md and plots.")
    parser.add_argument("action", nargs="?", choices=["tune", "ablation"],
                        help="tune: equal-budget Optuna tuning of dqn, ppo and q_learning on validation students "
                             "(training/coach/tuning.py) instead of the comparison; ablation: the leave-one-out "
                             "ablation from the tuned DQN (--from-tuned) on validation students "
                             "(training/coach/ablation.py); rerun with the same --out to resume")
    parser.add_argument("--seeds", type=int, default=None,
                        help="independent seeds (default 10; with tune: seeds per trial, default 2)")
    parser.add_argument("--episodes", type=int, default=None,
                        help="training episodes; one episode = a 10-task session for each of 50 students "
                             "(default 100; with tune: per seed of a trial, default 40)")
    parser.add_argument("--trials", type=int, default=10, help="with tune: Optuna trials per method (default 10)")
    parser.add_argument("--resume", type=Path, default=None, metavar="TUNING_JSON",
                        help="with tune: reload this tuning.json's trials (not rerun) and continue each method's "
                             "study up to --trials; same --seeds and --episodes as those trials")
    parser.add_argument("--tuned", type=Path, default=None, metavar="TUNING_JSON",
                        help="train dqn, ppo and q_learning with the best params of this tuning.json "
                             "(e.g. reports/coach/tuning/tuning.json) and add its trials to results.json")
    parser.add_argument("--from-tuned", type=Path, default=None, metavar="TUNING_JSON",
                        help="with ablation: the tuning.json whose best DQN (and PPO, the yardstick) it starts from")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="where results and plots go")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: CPU count)")
    parser.add_argument("--methods", default=None,
                        help="comma-separated methods (default: dqn,random,weakest_skill,rule_expert,q_learning,ppo,sb3_dqn; "
                             "also dqn_soft, the DQN with the soft target update, an ablation)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from edge.errors import PerfscoreError

    from ..cli import require_extra

    require_extra("train", "torch", "gymnasium", "stable_baselines3", "matplotlib")
    from .experiment import ALL_METHODS, KNOWN_METHODS, run_comparison

    if args.action == "tune":
        return run_tune(args)
    if args.action == "ablation":
        return run_ablation(args)
    args.seeds = 10 if args.seeds is None else args.seeds
    args.episodes = 100 if args.episodes is None else args.episodes
    if args.tuned is not None and not args.tuned.is_file():
        raise PerfscoreError(f"--tuned {args.tuned}: no such tuning file (run `perfscore train coach tune` first)")
    if args.seeds < 1:
        raise PerfscoreError(f"--seeds must be at least 1, got {args.seeds}")
    if args.episodes < 4:
        raise PerfscoreError(f"--episodes must be at least 4 (RVI needs two episodes in the second half), "
                             f"got {args.episodes}")
    if args.jobs is not None and args.jobs < 1:
        raise PerfscoreError(f"--jobs must be at least 1, got {args.jobs}")
    from ..cli import comma_choices

    methods = comma_choices(args.methods, KNOWN_METHODS, "--methods", what="unknown method(s)", default=ALL_METHODS)
    results = run_comparison(args.out, args.seeds, args.episodes, methods, args.jobs,
                             progress=lambda line: print(line, file=sys.stderr, flush=True),
                             command="perfscore train coach " + " ".join(sys.argv[sys.argv.index("coach") + 1:]
                                                                         if "coach" in sys.argv else []),
                             tuning=args.tuned)
    print(f"wrote {args.out / 'results.json'} ({results['run']['wall_time_s'] / 60:.1f} min)")
    return 0


def run_tune(args: argparse.Namespace) -> int:
    from edge.errors import PerfscoreError

    from ..cli import require_extra

    require_extra("train", "optuna")
    from .tuning import TUNED_METHODS, tune

    seeds = 2 if args.seeds is None else args.seeds
    episodes = 40 if args.episodes is None else args.episodes
    if args.trials < 1 or seeds < 1 or episodes < 1:
        raise PerfscoreError(f"tune: --trials, --seeds and --episodes must be at least 1, got {args.trials}, {seeds}, {episodes}")
    from ..cli import comma_choices

    methods = comma_choices(args.methods, TUNED_METHODS, "--methods", what="cannot tune", default=TUNED_METHODS)
    if args.resume is not None and not args.resume.is_file():
        raise PerfscoreError(f"tune: --resume {args.resume}: no such tuning file")
    try:
        tune(args.out, args.trials, seeds, episodes, methods,
             progress=lambda line: print(line, file=sys.stderr, flush=True), resume=args.resume)
    except ValueError as error:          # --resume trials run with another budget
        raise PerfscoreError(str(error)) from error
    print(f"wrote {args.out / 'tuning.json'}")
    return 0



def run_ablation(args: argparse.Namespace) -> int:
    from edge.errors import PerfscoreError

    from .ablation import run_tuned_ablation

    seeds = 10 if args.seeds is None else args.seeds
    episodes = 100 if args.episodes is None else args.episodes
    if args.from_tuned is None:
        raise PerfscoreError("ablation: --from-tuned TUNING_JSON is required (e.g. reports/coach/tuning/tuning.json)")
    if not args.from_tuned.is_file():
        raise PerfscoreError(f"ablation: --from-tuned {args.from_tuned}: no such tuning file "
                             f"(run `perfscore train coach tune` first)")
    if seeds < 1 or episodes < 1:
        raise PerfscoreError(f"ablation: --seeds and --episodes must be at least 1, got {seeds}, {episodes}")
    try:
        run_tuned_ablation(args.out, args.from_tuned, seeds, episodes,
                           progress=lambda line: print(line, file=sys.stderr, flush=True))
    except ValueError as error:          # a finished run with other settings in --out, or an incomplete tuning file
        raise PerfscoreError(str(error)) from error
    print(f"wrote {args.out / 'results.json'} and report.md")
    return 0
