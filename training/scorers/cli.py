"""`perfscore train scorers ...`: corpus, cross-validated training, reports, domain gap, judges' marks.

    perfscore train scorers corpus --size full --out .cache/corpus/full        # ~4,000 labelled clips
    perfscore train scorers fit --corpus .cache/corpus/full --run .cache/scorers/full
    perfscore train scorers report --run .cache/scorers/full                   # reports/scorers + checkpoints
    perfscore train scorers domain-gap --corpus .cache/corpus/full             # real MediaPipe on rendered videos
    perfscore train scorers all                                                # the four above, timed
    perfscore train scorers explanations --out reports/scorers/round2/explanations.json   # deletion + pointing tests
    perfscore train scorers round2-fine --models lstm_hier,gru    # finer audio inputs: with vs without
    perfscore train scorers import-judges marks.csv --out .cache/corpus/venue  # a venue's judged recordings
    perfscore train scorers fit --corpus .cache/corpus/venue --init models/checkpoints --models gru

Torch and the data generators are imported inside each command, after checking the train extra,
so `perfscore --help` works on a box without them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from edge import PROJECT_ROOT

DEFAULT_CORPUS = PROJECT_ROOT / ".cache" / "corpus" / "full"
DEFAULT_RUN = PROJECT_ROOT / ".cache" / "scorers" / "full"
DEFAULT_REPORT = PROJECT_ROOT / "reports" / "scorers"
DEFAULT_CHECKPOINTS = PROJECT_ROOT / "models" / "checkpoints"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("scorers", help="learned scorers: corpus, training, evaluation, judges' marks",
                            description=__doc__.split("\n\n")[0])
    what = parser.add_subparsers(dest="scorers_command", metavar="STEP", required=True)

    p = what.add_parser("corpus", help="generate the labelled synthetic corpus (dance + music)")
    p.add_argument("--size", default="full", choices=("tiny", "small", "full"), help="corpus size (default full)")
    p.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    p.add_argument("--out", type=Path, default=DEFAULT_CORPUS, help="corpus folder (default .cache/corpus/full)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    p.set_defaults(run=_exit_code(run_corpus))

    p = what.add_parser("fit", help="5-fold cross-validated training of every architecture x fusion")
    p.add_argument("--corpus", type=Path, nargs="+", default=[DEFAULT_CORPUS], help="corpus folder(s)")
    p.add_argument("--run", dest="run_dir", type=Path, default=DEFAULT_RUN, help="where fold checkpoints and results go")
    p.add_argument("--models", default="all", help="comma-separated keys (cnn, gru_late, ...; default all 12)")
    p.add_argument("--folds", type=int, default=5, help="how many of the 5 folds to run (default 5)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--max-epochs", type=int, default=None, help="override the epoch limit")
    p.add_argument("--width", type=int, default=None, help="override the model width")
    p.add_argument("--init", type=Path, default=None,
                   help="fine-tune from checkpoints: a .pt file or a folder of <key>.pt (a venue's retraining)")
    p.set_defaults(run=_exit_code(run_fit))

    p = what.add_parser("report", help="aggregate a run into reports/scorers and the committed checkpoints")
    p.add_argument("--run", dest="run_dir", type=Path, default=DEFAULT_RUN, help="the training run to report")
    p.add_argument("--out", type=Path, default=DEFAULT_REPORT)
    p.add_argument("--checkpoints", type=Path, default=DEFAULT_CHECKPOINTS,
                   help="where the best fold model of each key is copied (default models/checkpoints)")
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the corpus, for its generation time")
    p.set_defaults(run=_exit_code(run_report))

    p = what.add_parser("domain-gap", help="render test-split dance clips, run the real MediaPipe, compare")
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    p.add_argument("--checkpoints", type=Path, default=DEFAULT_CHECKPOINTS)
    p.add_argument("--clips", type=int, default=30, help="test clips to render (default 30)")
    p.add_argument("--work", type=Path, default=PROJECT_ROOT / ".cache" / "domain_gap", help="rendered videos")
    p.add_argument("--out", type=Path, default=DEFAULT_REPORT)
    p.add_argument("--jobs", type=int, default=2)
    p.set_defaults(run=_exit_code(run_domain_gap))

    p = what.add_parser("observability", help="how visible each fault is in the features (simple statistics)")
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    p.add_argument("--out", type=Path, default=DEFAULT_REPORT)
    p.set_defaults(run=_exit_code(run_observability))

    p = what.add_parser("all", help="corpus + fit + report + domain-gap, with wall times")
    p.add_argument("--size", default="full", choices=("tiny", "small", "full"))
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--clips", type=int, default=30, help="domain-gap clips (default 30)")
    p.set_defaults(run=run_all)

    p = what.add_parser("round2", help="round 2 (issue 13): corpus, rubric pass, whole-take models, bootstrap CIs")
    p.add_argument("--corpus", type=Path, default=PROJECT_ROOT / ".cache" / "corpus" / "round2",
                   help="corpus folder, generated (and the rubric run on it) when incomplete")
    p.add_argument("--size", default="round2", choices=("tiny", "small", "round2", "full"),
                   help="corpus size when it must be generated (default round2: 8 dance / 4 music families x 8)")
    p.add_argument("--out", type=Path, default=DEFAULT_REPORT / "round2", help="report folder")
    p.add_argument("--work", type=Path, default=PROJECT_ROOT / ".cache" / "scorers" / "round2",
                   help="trained round-2 models (never models/)")
    p.add_argument("--models", default="gru,gru_hier", help="comma-separated: <arch> (window mean) or <arch>_hier")
    p.add_argument("--tasks", default="without_reference", help="comma-separated: without_reference, with_reference (the latter measures every clip "
                        "against its reference first: <corpus>/reference, resumable)")
    p.add_argument("--max-epochs", type=int, default=16)
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap replicates over test sources")
    p.add_argument("--jobs", type=int, default=1, help="worker processes for corpus and rubric pass (default 1)")
    p.add_argument("--seed", type=int, default=0, help="training seed (and bootstrap seed); default 0")
    p.set_defaults(run=_exit_code(run_round2))

    p = what.add_parser("round2-fine", help="round 2 with finer audio inputs (issue 13 item 3): fine pass over the "
                                           "music clips, each model trained with and without them, paired bootstrap")
    p.add_argument("--corpus", type=Path, default=PROJECT_ROOT / ".cache" / "corpus" / "round2",
                   help="round 2's corpus (generated already); the fine channels go to <corpus>/fine (resumable)")
    p.add_argument("--out", type=Path, default=DEFAULT_REPORT / "round2",
                   help="report folder: writes fine_inputs.json (fine_inputs_seedN.json with --seed N) and "
                        "README.md's Finer inputs section")
    p.add_argument("--work", type=Path, default=PROJECT_ROOT / ".cache" / "scorers" / "round2-fine",
                   help="trained models of both arms (never models/)")
    p.add_argument("--models", default="lstm_hier,gru", help="comma-separated: <arch> or <arch>_hier")
    p.add_argument("--max-epochs", type=int, default=16)
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap replicates over test sources")
    p.add_argument("--jobs", type=int, default=1, help="worker processes for the fine pass (default 1)")
    p.add_argument("--seed", type=int, default=0, help="training seed (and bootstrap seed); default 0")
    p.set_defaults(run=_exit_code(run_round2_fine))

    p = what.add_parser("explanations", help="deletion and pointing tests of the committed models' explanations")
    p.add_argument("--corpus", type=Path, default=PROJECT_ROOT / ".cache" / "corpus" / "round2",
                   help="a generated corpus (its test split's faulty clips and their clean siblings)")
    p.add_argument("--models", default="models/scorer_gru.onnx,models/scorer_transformer.onnx,"
                                       "models/scorer_lstm_hier.onnx", help="comma-separated committed model files")
    p.add_argument("--out", type=Path, default=DEFAULT_REPORT / "round2" / "explanations.json")
    p.add_argument("--draws", type=int, default=10, help="random draws of k seconds per clip (default 10)")
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap replicates over test sources")
    p.add_argument("--explainers", default="box",
                   help="comma-separated: box (the file's own explain(), the default), removal (a candidate: each "
                        "second cut out of the take)")
    p.add_argument("--limit", type=int, default=None, help="only the first N faulty test clips (a quick look)")
    p.add_argument("--trials", type=Path, default=PROJECT_ROOT / ".cache" / "scorers" / "explanations-trials.json",
                   help="per-clip trials (salient and random gains, fault seconds); ~2 MB, kept out of reports/")
    p.add_argument("--results", type=Path, default=None,
                   help="round 2's results.json to add the `explanations` block to (default: beside --out, if there)")
    p.set_defaults(run=_exit_code(run_explanations))

    p = what.add_parser("import-judges", help="a CSV of judges' marks -> a training corpus folder")
    p.add_argument("csv", type=Path, help="path,judge,rhythm,sync,technique,expression,interpretation,overall[,group]")
    p.add_argument("--out", type=Path, required=True, help="corpus folder to write")
    p.add_argument("--discipline", choices=("dance", "music"), default=None, help="default: detected per file")
    p.set_defaults(run=run_import)


def _exit_code(step):
    """The CLI wants an exit code; the steps return their results (run_all reuses them)."""
    def run(args) -> int:
        step(args)
        return 0
    return run


def _require() -> None:
    from ..cli import require_extra

    require_extra("train", "torch", "pybullet", "music21", "sklearn", "matplotlib")


def _bar(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="clip" if "corpus" in desc else "job", file=sys.stderr,
                dynamic_ncols=True)


def _pass_bar(desc: str):
    """(a bar, progress(done, total)) for a pass that learns its total as it goes."""
    bar = _bar(0, desc)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    return bar, progress


def run_corpus(args) -> dict:
    _require()
    from training.data.corpus_spec import SIZES, plan
    from training.data.corpus_store import generate

    recipes = plan(args.seed, SIZES[args.size])
    bar = _bar(len(recipes.specs), "corpus")
    timing = generate(recipes, args.out, jobs=args.jobs, progress=lambda done, n: (bar.update(done - bar.n)))
    bar.close()
    timing["command"] = f"perfscore train scorers corpus --size {args.size} --seed {args.seed} --out {args.out}"
    (Path(args.out) / "timing.json").write_text(json.dumps(timing, indent=1))
    print(f"wrote {timing['clips']} clips to {args.out} ({timing['wall_time_s'] / 60:.1f} min)")
    return timing


def _keys(text: str) -> tuple[str, ...]:
    from ..cli import comma_choices
    from .experiment import ALL_KEYS

    return ALL_KEYS if text == "all" else comma_choices(text, ALL_KEYS, "--models", what="unknown key(s)")


def run_fit(args) -> dict:
    _require()
    from .experiment import run_all as run_cv

    keys = _keys(args.models)
    overrides = {}
    if args.max_epochs:
        overrides["max_epochs"] = args.max_epochs
    if args.width:
        overrides["width"] = args.width
    if args.init:
        overrides["init"] = str(args.init)
    bar = _bar(len(keys) * args.folds, "training")

    def done(result):
        bar.update(1)
        bar.set_postfix_str(f"{result['key']} fold {result['fold']}: test acc {result['test']['accuracy']:.2f}")

    def planned(n: int) -> None:
        bar.total = n
        bar.refresh()

    timing = run_cv([str(c) for c in args.corpus], args.run_dir, keys, range(args.folds), args.jobs, overrides, done,
                    planned)
    bar.close()
    runs = Path(args.run_dir)
    runs.mkdir(parents=True, exist_ok=True)
    log = runs / "timing.json"
    history = json.loads(log.read_text()) if log.exists() else []
    history.append(timing | {"command": " ".join(["perfscore", "train", "scorers"] + sys.argv[sys.argv.index("fit"):])
                             if "fit" in sys.argv else "run_fit"})
    log.write_text(json.dumps(history, indent=1))
    print(f"trained {timing['jobs_run']} fold models into {args.run_dir} ({timing['wall_time_s'] / 60:.1f} min)")
    return timing


def run_report(args) -> dict:
    _require()
    from .report import write_reports

    results = write_reports(args.run_dir, args.out, args.checkpoints, args.corpus)
    print(f"wrote {args.out / 'results.json'}, {args.out / 'README.md'} and {len(results)} checkpoints in {args.checkpoints}")
    return results


def run_domain_gap(args) -> dict:
    _require()
    from .domain_gap import measure

    result = measure(args.corpus, args.checkpoints, args.clips, args.work, args.out, jobs=args.jobs,
                     progress=print)
    print(f"wrote {args.out / 'domain_gap.json'} ({result['wall_time_s'] / 60:.1f} min)")
    return result


def run_observability(args) -> dict:
    _require()
    from .observability import measure

    result = measure(args.corpus, args.out)
    print(f"wrote {args.out / 'observability.md'} ({len(result)} faults)")
    return result


def run_explanations(args) -> dict:
    from edge.errors import PerfscoreError

    from .explain_eval import EXPLAINERS, merge_into_results, run

    models = [Path(m) if Path(m).is_absolute() else PROJECT_ROOT / m for m in args.models.split(",") if m.strip()]
    missing = [str(m) for m in models if not m.is_file()]
    if not models or missing:
        raise PerfscoreError(f"--models: no model file {', '.join(missing) or '(none given)'}")
    explainers = tuple(e.strip() for e in args.explainers.split(",") if e.strip())
    unknown = [e for e in explainers if e not in EXPLAINERS]
    if unknown or not explainers:
        raise PerfscoreError(f"--explainers: unknown {', '.join(unknown) or '(none given)'}; "
                             f"choose from {', '.join(EXPLAINERS)}")

    def rel(path: Path) -> str:
        path = Path(path).resolve()
        return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)

    command = (f"perfscore train scorers explanations --corpus {rel(args.corpus)} --models {args.models} "
               f"--explainers {','.join(explainers)} --out {rel(args.out)} --draws {args.draws} "
               f"--bootstrap {args.bootstrap}")
    result = run(args.corpus, models, args.out, draws=args.draws, bootstrap=args.bootstrap, limit=args.limit,
                 command=command, explainers=explainers, trials=args.trials)
    for name, r in result["models"].items():
        rates = r["rates"]["all"]
        print(f"{name}: deletion " + ", ".join(f"{k} {v['rate']['value']:.1%}" for k, v in rates["deletion"].items())
              + "; pointing " + ", ".join(f"{k} {v['rate']['value']:.1%} (chance {v['chance']:.1%})"
                                          for k, v in rates["pointing"].items()))
    print(f"wrote {args.out} (per-clip trials: {args.trials})")
    results = args.results or Path(args.out).parent / "results.json"
    # A quick look (--limit) never overwrites the report's figures.
    if args.limit is None and merge_into_results(result, results):
        print(f"merged the explanations block into {results} and regenerated {results.parent / 'README.md'}")
    return result


def run_all(args) -> int:
    start = time.perf_counter()
    corpus = PROJECT_ROOT / ".cache" / "corpus" / args.size
    run = PROJECT_ROOT / ".cache" / "scorers" / args.size
    t0 = time.perf_counter()
    run_corpus(argparse.Namespace(size=args.size, seed=0, out=corpus, jobs=args.jobs))
    t1 = time.perf_counter()
    run_fit(argparse.Namespace(corpus=[corpus], run_dir=run, models="all", folds=5, jobs=args.jobs, max_epochs=None,
                               width=None, init=None))
    t2 = time.perf_counter()
    run_report(argparse.Namespace(run_dir=run, out=DEFAULT_REPORT, checkpoints=DEFAULT_CHECKPOINTS, corpus=corpus))
    t3 = time.perf_counter()
    run_domain_gap(argparse.Namespace(corpus=corpus, checkpoints=DEFAULT_CHECKPOINTS, clips=args.clips,
                                      work=PROJECT_ROOT / ".cache" / "domain_gap", out=DEFAULT_REPORT, jobs=args.jobs))
    t4 = time.perf_counter()
    walls = {"corpus_s": t1 - t0, "fit_s": t2 - t1, "report_s": t3 - t2, "domain_gap_s": t4 - t3,
             "total_s": time.perf_counter() - start}
    (DEFAULT_REPORT / "wall_time.json").write_text(json.dumps(walls, indent=1))
    print("wall times: " + ", ".join(f"{k} {v / 60:.1f} min" for k, v in walls.items()))
    return 0


def run_round2(args) -> dict:
    _require()
    import torch

    from training.data.corpus_spec import SIZES

    from .round2 import Round2Run, run_round2 as run
    from .round2_corpus import ROUND2_SIZE, prepare

    torch.set_num_threads(1)
    bar, progress = _pass_bar("corpus + rubric pass")

    timing = prepare(args.corpus, ROUND2_SIZE if args.size == "round2" else SIZES[args.size], jobs=args.jobs,
                     progress=progress)
    if "with_reference" in _tasks_r2(args.tasks):
        from .round2_reference import prepare_reference

        timing["reference"] = prepare_reference(args.corpus, ROUND2_SIZE if args.size == "round2" else SIZES[args.size],
                                                jobs=args.jobs, progress=progress)
    bar.close()
    command = (f"perfscore train scorers round2 --corpus {args.corpus} --size {args.size} --out {args.out} "
               f"--models {args.models} --tasks {args.tasks} --max-epochs {args.max_epochs} --bootstrap {args.bootstrap}"
               + (f" --seed {args.seed}" if args.seed else ""))
    r2 = Round2Run(Path(args.corpus), Path(args.out), Path(args.work), tuple(_keys_r2(args.models)),
                   _tasks_r2(args.tasks), args.max_epochs, args.bootstrap, seed=args.seed, command=command,
                   timings=timing)
    results = run(r2, log=lambda line: print(line, file=sys.stderr))
    print(f"wrote {Path(args.out) / 'results.json'} and README.md")
    return results


def run_round2_fine(args) -> dict:
    _require()
    import torch

    from .round2_fine import fine_results_name, prepare_fine, run_fine_experiment, write_fine_section

    torch.set_num_threads(1)
    bar, progress = _pass_bar("fine pass (music clips)")

    prepare_fine(args.corpus, jobs=args.jobs, progress=progress)
    bar.close()
    command = (f"perfscore train scorers round2-fine --corpus {args.corpus} --out {args.out} --models {args.models} "
               f"--max-epochs {args.max_epochs} --bootstrap {args.bootstrap}" + (f" --seed {args.seed}" if args.seed else ""))
    results = run_fine_experiment(Path(args.corpus), Path(args.out), Path(args.work), tuple(_keys_r2(args.models)),
                                  args.max_epochs, args.bootstrap, args.seed, command,
                                  log=lambda line: print(line, file=sys.stderr))
    write_fine_section(Path(args.out))
    print(f"wrote {Path(args.out) / fine_results_name(args.seed)} and README.md's Finer inputs section")
    return results


def _tasks_r2(text: str) -> tuple[str, ...]:
    from training.data.labels import TASKS

    from ..cli import comma_choices

    return comma_choices(text, TASKS, "--tasks", what="unknown task(s)")


def _keys_r2(text: str) -> list[str]:
    from edge.errors import PerfscoreError

    from .hierarchical import CONTEXTS
    from .models import ENCODERS
    from .round2 import parse_model

    keys = [k.strip() for k in text.split(",") if k.strip()]
    for k in keys:
        arch, context = parse_model(k)
        if arch not in ENCODERS or context not in CONTEXTS:
            raise PerfscoreError(f"--models: {k!r} is not <arch> or <arch>_hier with arch one of {', '.join(ENCODERS)}")
    return keys


def run_import(args) -> int:
    from ..cli import require_extra

    require_extra("train", "torch")
    from training.data.judges import import_judges

    summary = import_judges(args.csv, args.out, discipline=args.discipline,
                            progress=lambda i, n, p: print(f"[{i}/{n}] {p}", file=sys.stderr) if p else None)
    for failure in summary["failed"]:
        print(f"skipped {failure['path']}: {failure['error']}", file=sys.stderr)
    print(f"imported {summary['imported']} of {summary['recordings']} recordings into {args.out} "
          f"(splits {summary['splits']})")
    return 0 if summary["imported"] else 1
