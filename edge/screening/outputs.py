"""results.csv and results.jsonl, rebuilt from every finished entry at the end of each run.

Deterministic by construction: rows ordered by overall (highest first), ties by entry name; failed
entries last, by name; numbers with two decimals; nothing about time or the output folder's path.

The CSV's first eleven columns are the original contract and keep their places; columns added later
are appended after them (`category`, `discipline`, `category_rank`), so scripts that read columns by
position keep working.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from ..scoring.result import SUBSCORES
from .entries import Entry

CSV_HEADER = ("rank", "entry", "overall", "grade", *SUBSCORES, "status", "error",
              "category", "discipline", "category_rank")
JSONL_SCHEMA = "perfscore.screen.result/1"


@dataclass
class Outcome:
    """One entry's fate in this run: its record (scored now or reused), or a failure without one."""
    entry: Entry
    status: str                       # "ok" or "failed"
    error: str | None = None
    error_kind: str | None = None
    record: dict | None = None
    reused: bool = False
    rank: int | None = None
    category_rank: int | None = None  # rank among the entries of the same category (no category is one group)
    asked_discipline: str | None = None  # the run's --discipline: shown when no record says more

    @property
    def discipline(self) -> str | None:
        """As judged (detected or asked); for an entry that failed before that, what the run asked for."""
        record = self.record or {}
        return record.get("discipline") or record.get("discipline_asked") or self.asked_discipline

    @property
    def rubric(self) -> dict | None:
        result = (self.record or {}).get("result")
        return result["rubric"] if result else None

    @property
    def overall(self) -> float | None:
        return self.rubric["overall"] if self.rubric and self.status == "ok" else None

    @property
    def warnings(self) -> list[str]:
        """The recording's warnings, then the screening's own notes on how it was judged."""
        record = self.record or {}
        analysis = (record.get("result") or {}).get("analysis") or {}
        return list(analysis.get("warnings") or []) + list(record.get("notes") or [])

    def subscore(self, name: str) -> float | None:
        sub = (self.rubric or {}).get("subscores", {}).get(name)
        return sub["value"] if sub else None


def ranked(outcomes: list[Outcome]) -> list[Outcome]:
    """Order for every output, with `rank` set on scored entries (1 = best; ties broken by name)."""
    scored = sorted((o for o in outcomes if o.overall is not None), key=lambda o: (-o.overall, o.entry.name))
    unranked = sorted((o for o in outcomes if o.overall is None and o.status == "ok"), key=lambda o: o.entry.name)
    failed = sorted((o for o in outcomes if o.status != "ok"), key=lambda o: o.entry.name)
    in_category: dict[str, int] = {}
    for rank, outcome in enumerate(scored, start=1):
        outcome.rank = rank
        group = outcome.entry.category or ""
        in_category[group] = outcome.category_rank = in_category.get(group, 0) + 1
    for outcome in unranked + failed:
        outcome.rank = outcome.category_rank = None
    return scored + unranked + failed


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def results_csv(ordered: list[Outcome]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for o in ordered:
        ok = o.status == "ok"
        writer.writerow([
            "" if o.rank is None else o.rank, o.entry.name, _num(o.overall),
            ((o.rubric or {}).get("grade") or "") if ok else "",
            *(_num(o.subscore(name)) if ok else "" for name in SUBSCORES),
            o.status, o.error or "",
            o.entry.category or "", o.discipline or "", "" if o.category_rank is None else o.category_rank,
        ])
    return out.getvalue()


def result_document(o: Outcome) -> dict[str, Any]:
    """Everything about one entry: the row's values, the full rubric result (measurements, explanations,
    timeline), the learned scores, the analysis, and who scored it."""
    record = o.record or {}
    result = record.get("result") or {}
    return {
        "schema": JSONL_SCHEMA,
        "rank": o.rank,
        "entry": o.entry.name,
        "path": str(o.entry.path),
        "category": o.entry.category,
        "category_rank": o.category_rank,
        "reference": str(o.entry.reference) if o.entry.reference else None,
        "status": o.status,
        "error": o.error,
        "error_kind": o.error_kind,
        "discipline": o.discipline,
        "overall": o.overall,
        "grade": (o.rubric or {}).get("grade") if o.status == "ok" else None,
        "subscores": {name: o.subscore(name) for name in SUBSCORES},
        "duration_s": record.get("duration_s"),
        "scorer": record.get("scorer"),
        "key": record.get("key"),
        "sha256": record.get("content_sha256"),
        "reference_sha256": record.get("reference_sha256"),
        "rubric": result.get("rubric"),
        "learned": result.get("learned"),
        "analysis": result.get("analysis"),
        "warnings": o.warnings,
        "elapsed_s": record.get("elapsed_s"),
        "cpu_s": record.get("cpu_s"),
        "traceback": record.get("traceback"),
    }


def results_jsonl(ordered: list[Outcome]) -> str:
    return "".join(json.dumps(result_document(o), ensure_ascii=False) + "\n" for o in ordered)
