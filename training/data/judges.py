"""Real judges' marks → the scorer corpus format, so a venue can train on its past competitions.

Input: a CSV with the header `path,judge,rhythm,sync,technique,expression,interpretation,overall`
(one row per judge per recording; marks 0–100; an empty cell is a mark the judge did not give,
e.g. `sync` for music). An optional extra column `group` names what must stay in one split (the
piece, the performer, the competition round); without it each recording is its own group.
Relative paths are relative to the CSV's folder.

For every recording: each sub-score's label is the mean of the judges' marks for it; `overall` is
the mean of the judges' overalls (or, where none gave one, the contract's weighted mean of the
sub-score labels); the grade band follows from `overall` with the configured thresholds. The
recording goes through the box's own analysis (`edge.analysis.analyze`: MediaPipe pose and the
audio features) and `feature_sequence`, exactly as `perfscore analyze` would see it. Splits:
about one group in six goes to `test`, the rest to the five folds, by a hash of the group name.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from edge.errors import PerfscoreError
from edge.scoring.result import SUBSCORES

from .corpus_spec import stable_int
from .labels import label_from_marks

HEADER = ("path", "judge", *SUBSCORES, "overall")


@dataclass
class Marks:
    path: Path
    group: str
    judges: list[str]
    marks: dict[str, list[float]]       # sub-score or "overall" -> marks given
    discipline: str | None = None


def _number(text: str, where: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise PerfscoreError(f"{where}: {text!r} is not a number") from None
    if not 0.0 <= value <= 100.0:
        raise PerfscoreError(f"{where}: {value} is outside 0–100")
    return value


def read_marks(csv_path: str | Path) -> list[Marks]:
    """Rows grouped by recording, in first-seen order; errors name the file, line and column."""
    csv_path = Path(csv_path)
    try:
        handle = csv_path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise PerfscoreError(f"{csv_path}: judges' CSV not found") from None
    with handle:
        reader = csv.DictReader(handle)
        header = tuple(h.strip() for h in (reader.fieldnames or ()))
        missing = [h for h in HEADER if h not in header]
        if missing:
            raise PerfscoreError(f"{csv_path}: line 1: missing column(s) {', '.join(missing)}; "
                                 f"expected {','.join(HEADER)}[,group]")
        by_path: dict[Path, Marks] = {}
        for line, row in enumerate(reader, start=2):
            row = {k.strip(): (v or "") for k, v in row.items() if k is not None}
            if not row["path"].strip():
                raise PerfscoreError(f"{csv_path}: line {line}: empty path")
            path = Path(row["path"].strip())
            path = path if path.is_absolute() else (csv_path.parent / path)
            entry = by_path.setdefault(path, Marks(path, row.get("group", "").strip() or path.stem, [],
                                                   defaultdict(list)))
            entry.judges.append(row["judge"].strip())
            given = 0
            for name in (*SUBSCORES, "overall"):
                value = _number(row[name], f"{csv_path}: line {line}, column {name}")
                if value is not None:
                    entry.marks[name].append(value)
                    given += 1
            if given == 0:
                raise PerfscoreError(f"{csv_path}: line {line}: judge {row['judge']!r} gave no mark")
    if not by_path:
        raise PerfscoreError(f"{csv_path}: no rows below the header")
    return list(by_path.values())


def labels_of(m: Marks, discipline: str):
    """The judges' mean marks; music has no sync, so a sync mark on a music entry is dropped before an
    overall is derived from the sub-scores."""
    means = {n: (float(np.mean(m.marks[n])) if m.marks.get(n) else None) for n in SUBSCORES}
    if discipline != "dance":
        means["sync"] = None
    overall = float(np.mean(m.marks["overall"])) if m.marks.get("overall") else None
    return label_from_marks(means, overall)


def split_for(group: str) -> str:
    h = stable_int(group)
    return "test" if h % 6 == 0 else f"fold{(h // 6) % 5}"


def import_judges(csv_path: str | Path, out: str | Path, *, discipline: str | None = None, settings=None,
                  progress: Callable[[int, int, str], None] | None = None) -> dict:
    """Analyse every recording of the CSV and write it, with its judged labels, as a corpus folder."""
    import json

    from edge.analysis import analyze
    from edge.config import Settings
    from edge.features.sequence import feature_sequence
    from edge.scoring import check_scorable, detect_discipline

    from .corpus_render import Record
    from .corpus_store import FORMAT, write_shard

    settings = settings or Settings()
    rows = read_marks(csv_path)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    records, splits, failed = [], [], []
    for i, m in enumerate(rows):
        if progress:
            progress(i, len(rows), str(m.path))
        try:
            analysis = analyze(m.path, settings)
            kind = discipline or detect_discipline(analysis)
            check_scorable(analysis, kind)
        except PerfscoreError as exc:
            failed.append({"path": str(m.path), "error": str(exc)})
            continue
        labels = labels_of(m, kind)
        sequence = feature_sequence(analysis.pose, analysis.audio, analysis.duration_s)
        meta = {"source_path": str(m.path), "judges": m.judges,
                "marks": dict(m.marks), "duration_s": analysis.duration_s}
        records.append(Record(f"judged-{i:05d}-{m.path.stem}", kind, m.group, m.group, i, sequence, labels, {}, meta))
        splits.append(split_for(m.group))
    if progress:
        progress(len(rows), len(rows), "")
    from .corpus_store import SHARD_SIZE

    for k in range(0, len(records), SHARD_SIZE):
        write_shard(out / f"shard-{k // SHARD_SIZE:05d}.npz", records[k:k + SHARD_SIZE], splits[k:k + SHARD_SIZE],
                    source="judges")
    summary = {"format": FORMAT, "source": "judges", "csv": str(csv_path), "recordings": len(rows),
               "imported": len(records), "failed": failed, "splits": {s: splits.count(s) for s in sorted(set(splits))}}
    (out / "plan.json").write_text(json.dumps(summary, indent=1))
    return summary
