"""`perfscore screen … --dry-run`: what a run would do, and why, without scoring or writing anything.

It checks the options (models load, references exist), collects the entries exactly as a run does,
hashes every recording (about 1 s per GB) and looks up finished records in the output folder, read
only: the folder is not created, locked or changed. One line per entry and per file left out:

    action  entry                 detail
    score   under 12/ann.mp4      category under 12; 48.2 MB
    reuse   under 12/bob.mp4      finished in an earlier run: ok
    same    under 12/bob copy.mp4 identical to 'under 12/bob.mp4': scored once, result shared
    fail    under 12/cy.mp4       empty file (0 bytes)
    ignore  entries/notes.txt     not a recording (.txt)

`fail` is what a run records without scoring (missing, empty, unreadable files, a missing reference);
a file whose content is broken is only found out by scoring it, so it is listed as `score`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings
from . import keys
from .entries import collect
from .runner import ScreenOptions, _plan, check_options
from .store import ENTRIES, RECORD_SCHEMA, record_path

HEADER = ("action", "entry", "detail")


class _ReadOnlyRecords:
    """Store.load without side effects: a record that does not parse is only reported as missing."""

    def __init__(self, entries_dir: Path):
        self.entries_dir = entries_dir

    def load(self, key: str) -> dict | None:
        try:
            record = json.loads(record_path(self.entries_dir, key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        ok = isinstance(record, dict) and record.get("schema") == RECORD_SCHEMA and record.get("key") == key
        return record if ok else None


@dataclass
class DryRun:
    lines: list[tuple[str, str, str]] = field(default_factory=list)   # (action, entry or path, detail)
    to_score_bytes: int = 0

    def count(self, action: str) -> int:
        return sum(line[0] == action for line in self.lines)

    def text(self) -> str:
        return "".join("\t".join(line) + "\n" for line in [HEADER, *self.lines])

    def summary(self) -> str:
        entries = len(self.lines) - self.count("ignore")
        return (f"dry run: {entries} entries: {self.count('score')} to score ({self.to_score_bytes / 1e6:.1f} MB), "
                f"{self.count('reuse')} reused, {self.count('same')} identical to another, "
                f"{self.count('fail')} would fail; {self.count('ignore')} files ignored. Nothing was scored or written.")


def dry_run(options: ScreenOptions, settings: Settings) -> DryRun:
    check_options(options, settings)
    collected = collect(options.inputs, reference=options.reference, exclude=options.out_dir)
    scorer = keys.current_scorer(options.model)
    fingerprint = keys.run_fingerprint(settings, scorer)
    outcomes, tasks, waiting = _plan(collected, _ReadOnlyRecords(options.out_dir / ENTRIES), options, scorer,
                                     fingerprint)
    first_of = {}
    for task in tasks:
        entries = waiting[task.key]
        for entry in entries:
            first_of[entry.name] = entries[0]
    report = DryRun()
    for entry in collected.entries:
        outcome = outcomes.get(entry.name)
        if outcome is not None and outcome.reused:
            why = "ok" if outcome.status == "ok" else f"failed ({outcome.error}); not scored again"
            report.lines.append(("reuse", entry.name, f"finished in an earlier run: {why}"))
        elif outcome is not None:
            report.lines.append(("fail", entry.name, outcome.error or outcome.status))
        elif first_of[entry.name] is not entry:
            report.lines.append(("same", entry.name, f"identical to '{first_of[entry.name].name}': scored once, "
                                                     "result shared"))
        else:
            size = entry.path.stat().st_size
            report.to_score_bytes += size
            facts = [f"category {entry.category}" if entry.category else "",
                     f"reference {entry.reference}" if entry.reference else "", f"{size / 1e6:.1f} MB"]
            report.lines.append(("score", entry.name, "; ".join(f for f in facts if f)))
    report.lines += [("ignore", path, why) for path, why in collected.ignored]
    return report
