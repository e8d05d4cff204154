"""`perfscore screen INPUT... --out DIR`: score a folder of recorded entries offline, rank them, report.

docs/screening.md has the details: inputs, outputs, the resume key, failure reasons.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from . import exitcodes

EPILOG = """outputs in DIR:
  results.csv     rank,entry,overall,grade,rhythm,sync,technique,expression,interpretation,status,error,
                  category,discipline,category_rank
                  (failed entries last, with the reason; an empty sub-score does not apply)
  results.jsonl   one JSON object per entry: everything (measurements, explanations, timelines, scorer)
  report.html     index of all entries: search, category filter, sorting; opens from disk, no network
  report/         one page per entry: sub-scores, timelines, beats, warnings
  entries/        one file per finished entry; a rerun with the same DIR reuses them (resume)

progress: a bar when stderr is a terminal; otherwise a line every 5 % of the entries and at least
every 60 s (for logs); --quiet prints neither (the summary line and errors still go to stderr).

exit codes:
  0    every entry was scored
  1    the results could not be written (disk full, DIR removed); finished entries are kept
  2    usage or configuration error (nothing was scored)
  3    some entries failed (reasons in results.csv); the others were scored
  130  interrupted (Ctrl-C or SIGTERM); finished entries are kept, run again to finish
"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "screen", help="score and rank a folder of recorded entries (offline batch)",
        description="Score recorded entries in parallel, rank them and write results.csv, results.jsonl and "
                    "report.html into DIR. Resumable: a rerun with the same DIR scores only what is not "
                    "finished. Broken files are recorded with their reason and the run goes on.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="a recording, a folder (searched recursively) or a CSV manifest with columns "
                             "entry,path and optional reference,category (paths relative to the manifest)")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder (created if needed)")
    parser.add_argument("--discipline", choices=("dance", "music"),
                        help="judge every entry as this; default: detected per recording (a person in most "
                             "frames = dance)")
    parser.add_argument("--reference", type=Path, metavar="REF",
                        help="a MIDI score (music) or a recording of the choreography (dance) for every entry; "
                             "a manifest's reference column overrides it")
    parser.add_argument("--workers", type=int, metavar="N", help="parallel scoring processes (default: number of cores)")
    parser.add_argument("--model", type=Path, metavar="CKPT",
                        help="also score with this learned model; its scores go to results.jsonl ('learned')")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="give up on an entry after this long (default: no limit)")
    parser.add_argument("--engine", choices=("local", "ray"), default="local",
                        help="local: worker processes on this machine (default); ray: Ray tasks on a cluster of "
                             "machines (needs the 'ray' extra; docs/screening.md)")
    parser.add_argument("--ray-address", metavar="ADDR",
                        help="with --engine ray: the cluster's head, HOST:PORT as `ray start --head` printed "
                             "(default: $RAY_ADDRESS, else a one-machine Ray started for this run)")
    parser.add_argument("--dry-run", action="store_true",
                        help="list what would be scored, reused or left out and why (tab-separated on stdout); "
                             "scores nothing and writes nothing; exit 0, or 2 on a usage error")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress bar or progress lines; only the summary line and errors")
    parser.set_defaults(run=run)


class _TerminalProgress:
    """Entries done, failed and the ETA on stderr, only when a person is watching."""

    def __init__(self):
        self.bar = None
        self.failed = 0

    def start(self, total: int, reused: int) -> None:
        if not sys.stderr.isatty() or total == 0:
            return
        from tqdm import tqdm

        desc = f"screen ({reused} reused)" if reused else "screen"
        self.bar = tqdm(total=total, desc=desc, unit="entry", file=sys.stderr, dynamic_ncols=True)
        self.bar.set_postfix(failed=0)

    def advance(self, failed: bool) -> None:
        self.failed += failed
        if self.bar is not None:
            self.bar.set_postfix(failed=self.failed, refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _progress(quiet: bool):
    from ..screening.progress import LogProgress
    from ..screening.runner import Progress

    if quiet:
        return Progress()
    return _TerminalProgress() if sys.stderr.isatty() else LogProgress(sys.stderr)


def _dry_run(options, settings) -> int:
    from ..screening.dryrun import dry_run
    from ..screening.entries import InputError

    try:
        report = dry_run(options, settings)
    except InputError as exc:
        print(f"perfscore screen: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    sys.stdout.write(report.text())
    print(report.summary(), file=sys.stderr)
    return exitcodes.OK


def _terminate_as_interrupt(signum, frame):
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from ..screening.entries import InputError
    from ..screening.runner import ScreenOptions, default_workers, screen

    options = ScreenOptions(inputs=args.inputs, out_dir=args.out, discipline=args.discipline,
                            reference=args.reference, model=args.model,
                            workers=args.workers if args.workers is not None else default_workers(),
                            timeout_s=args.timeout, engine=args.engine, ray_address=args.ray_address)
    if args.dry_run:
        return _dry_run(options, args.settings)
    previous = signal.signal(signal.SIGTERM, _terminate_as_interrupt)  # `kill` stops as cleanly as Ctrl-C
    try:
        summary = screen(options, args.settings, _progress(args.quiet))
    except InputError as exc:
        print(f"perfscore screen: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    except OSError as exc:  # the outputs could not be written (disk full, folder removed mid-run)
        print(f"perfscore screen: cannot write results to {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return exitcodes.FAILED
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(summary.line(args.out), file=sys.stderr)
    if summary.interrupted:
        return exitcodes.INTERRUPTED
    return exitcodes.PARTIAL if summary.failed else exitcodes.OK
