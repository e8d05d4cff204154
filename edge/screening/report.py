"""The HTML report: `report.html`, an index of every entry, and `report/<page>.html`, one page per entry.

The index is one table (rank, rank in category, entry, category, discipline, scores, grade, status)
with a search box, category and discipline filters and sortable columns (report.js); it stays small
(well under 1 KB per entry), so a venue's thousand entries open in a browser at once. Everything
heavy (explanations, timelines, beat pictures, measurements) is on the entry's own page, which
links back to the index and to its neighbours in the ranking.

Every page is self-contained (inline CSS, JS and SVG) and opens from disk with no network: a
Content-Security-Policy forbids any request. Everything from outside (file names, categories, error
messages, explanations) is escaped. Page names are a hash of the entry's name, so a link to an
entry's page stays valid across runs; pages of entries no longer in the run are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
from html import escape
from importlib import resources
from pathlib import Path

from ..scoring.result import SUBSCORES
from .outputs import Outcome
from .store import write_atomically
from .svg import beats_key_html, beats_svg, timeline_svg

REPORT_HTML, PAGES_DIR = "report.html", "report"
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
DEFAULT_GRADES = {"A": 85.0, "B": 70.0, "C": 55.0, "D": 40.0}


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _num(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def page_name(entry_name: str) -> str:
    """The entry page's file name: stable across runs, safe on every file system, whatever the entry is called."""
    return hashlib.sha256(entry_name.encode("utf-8")).hexdigest()[:16] + ".html"


def _grade_thresholds(grades) -> dict[str, float]:
    if grades is None:
        return dict(DEFAULT_GRADES)
    if isinstance(grades, dict):
        return dict(grades)
    return {band: float(getattr(grades, band)) for band in DEFAULT_GRADES}


def write_report(out_dir: Path, ordered: list[Outcome], *, scorer_label: str, grades=None) -> None:
    """Entry pages first, then the index (so the index never links to a page not yet written)."""
    thresholds = _grade_thresholds(grades)
    pages = out_dir / PAGES_DIR
    pages.mkdir(parents=True, exist_ok=True)
    css = _asset("report.css")
    written = set()
    for i, o in enumerate(ordered):
        name = page_name(o.entry.name)
        prev = ordered[i - 1] if i > 0 else None
        nxt = ordered[i + 1] if i + 1 < len(ordered) else None
        _write_if_changed(pages / name, render_entry_page(o, prev, nxt, scorer_label=scorer_label,
                                                          grades=thresholds, css=css))
        written.add(name)
    for stale in pages.iterdir():
        if stale.name not in written and stale.is_file():
            stale.unlink(missing_ok=True)  # an entry of an earlier run, or a temporary file of a killed one
    write_atomically(out_dir / REPORT_HTML, render_index(ordered, scorer_label=scorer_label, grades=thresholds))


def _write_if_changed(path: Path, text: str) -> None:
    """Temporary file and rename (a reader never sees half a page), without an fsync per page: pages are
    rebuilt from the records by every run, so a page lost in a power cut costs nothing. A resumed run
    rewrites only the pages that changed."""
    data = text.encode("utf-8")
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except OSError:
        pass
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _head(title: str, css: str) -> str:
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{_e(title)}</title><style>{css}</style></head>')


def grade_badge(grade: str | None) -> str:
    """The letter itself, on its band's colour: the colour is never the only sign."""
    if not grade:
        return ""
    return f'<span class="grade g{_e(grade)}">{_e(grade)}</span>'


def grade_key_html(grades: dict[str, float]) -> str:
    bands = list(grades.items())
    parts = []
    for i, (band, lowest) in enumerate(bands):
        words = f"{lowest:g} to under {bands[i - 1][1]:g}" if i else f"{lowest:g} and above"
        parts.append(f"<span>{grade_badge(band)} {words}</span>")
    parts.append(f"<span>{grade_badge('E')} under {bands[-1][1]:g}</span>")
    return '<p class="legend grade-key">Grade bands of the overall score: ' + " ".join(parts) + "</p>"


# ---------------------------------------------------------------- index

_COLUMNS = [("rank", "Rank", "num"), ("category_rank", "In category", "num"), ("entry", "Entry", "text"),
            ("category", "Category", "text"), ("discipline", "Discipline", "text"),
            ("overall", "Overall", "num"), ("grade", "Grade", "text"),
            *((name, name.capitalize(), "num") for name in SUBSCORES),
            ("status", "Status", "text"), ("notes", "Error or notes", "text")]
COLUMN_KEYS = [key for key, _, _ in _COLUMNS]


def _options(values: list[str | None], one: str, many: str, element_id: str) -> str:
    present = sorted({v for v in values if v}, key=str.lower)
    options = [f'<option value="">all {many}</option>']
    options += [f'<option value="{_e(v)}">{_e(v)}</option>' for v in present]
    if any(not v for v in values):
        options.append(f'<option value="" data-none="1">(no {one})</option>')
    return f'<select id="{element_id}" aria-label="{one}">{"".join(options)}</select>'


def render_index(ordered: list[Outcome], *, scorer_label: str, grades: dict[str, float] | None = None) -> str:
    grades = grades or dict(DEFAULT_GRADES)
    scored = sum(o.status == "ok" for o in ordered)
    failed = len(ordered) - scored
    controls = (
        '<div class="controls" role="search">'
        '<label>Search <input id="search" type="search" placeholder="entry, category, error…" '
        'autocomplete="off"></label> '
        f'<label>Category {_options([o.entry.category for o in ordered], "category", "categories", "category")}</label> '
        f'<label>Discipline {_options([o.discipline for o in ordered], "discipline", "disciplines", "discipline")}</label> '
        f'<span id="shown" aria-live="polite">{len(ordered)} of {len(ordered)} entries shown</span></div>')
    body = [
        "<body><h1>Screening report</h1>",
        f'<p class="meta">{len(ordered)} entries: {scored} scored, {failed} failed. Scored by {_e(scorer_label)}. '
        f'Sub-scores 0–100; an empty cell is a sub-score that does not apply. Click a column heading to sort '
        f'(again to reverse); click an entry for its page.</p>',
        grade_key_html(grades),
        controls,
        _table(ordered),
        f"<script>{_asset('report.js')}</script></body></html>\n",
    ]
    return _head(f"perfscore screening: {len(ordered)} entries", _asset("report.css")) + "".join(body)


def _table(ordered: list[Outcome]) -> str:
    head = "".join(f'<th data-key="{key}" data-type="{kind}" class="{kind}" scope="col" tabindex="0">{label}</th>'
                   for key, label, kind in _COLUMNS)
    rows = []
    for o in ordered:
        ok = o.status == "ok"
        grade = (o.rubric or {}).get("grade") if ok else None
        warnings = o.warnings
        notes = o.error or (f"⚠ {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else "")
        title = f' title="{_e(chr(10).join(warnings))}"' if warnings and not o.error else ""
        cells = [
            f"<td>{_e(o.rank)}</td>",
            f"<td>{_e(o.category_rank)}</td>",
            f'<td class="text"><a href="{PAGES_DIR}/{page_name(o.entry.name)}">{_e(o.entry.name)}</a></td>',
            f'<td class="text">{_e(o.entry.category)}</td>',
            f'<td class="text">{_e(o.discipline)}</td>',
            f'<td data-v="{_num(o.overall, 2)}">{_num(o.overall)}</td>',
            f'<td class="text" data-v="{_e(grade)}">{grade_badge(grade)}</td>',
            *(f'<td data-v="{_num(o.subscore(n), 2) if ok else ""}">{_num(o.subscore(n)) if ok else ""}</td>'
              for n in SUBSCORES),
            f'<td class="text">{"ok" if ok else "✗ " + _e(o.status)}</td>',
            f'<td class="{"error" if o.error else "notes"}"{title}>{_e(notes)}</td>',
        ]
        rows.append(f'<tr class="{"ok" if ok else "failed"}" data-category="{_e(o.entry.category)}" '
                    f'data-discipline="{_e(o.discipline)}">{"".join(cells)}</tr>')
    return (f'<div class="scroll"><table id="ranking"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>'
            '<p id="nothing" class="note" hidden>No entry matches the search and filters.</p>')


# ---------------------------------------------------------------- entry pages

def _label(o: Outcome | None, rel: str) -> str:
    if o is None:
        return ""
    rank = f"{o.rank}. " if o.rank else ""
    return f'<a href="{page_name(o.entry.name)}" rel="{rel}">{_e(rank)}{_e(o.entry.name)}</a>'


def render_entry_page(o: Outcome, prev: Outcome | None, nxt: Outcome | None, *, scorer_label: str,
                      grades: dict[str, float], css: str) -> str:
    record = o.record or {}
    result = record.get("result") or {}
    analysis = result.get("analysis") or {}
    rubric = o.rubric
    discipline = o.discipline
    nav = " · ".join(p for p in (f'<a href="../{REPORT_HTML}" rel="index">↑ all entries</a>',
                                 prev and f"← {_label(prev, 'prev')}", nxt and f"{_label(nxt, 'next')} →") if p)
    title = f"{o.rank}. " if o.rank else ""
    badge = f'<span class="badge{"" if o.status == "ok" else " failed"}">{"" if o.status == "ok" else "✗ "}' \
            f'{_e(o.status)}</span>'
    category = None
    if o.entry.category:
        category = f"category {o.entry.category}" + (f" (rank {o.category_rank} in it)" if o.category_rank else "")
    facts = [f for f in (category, discipline, record.get("duration_s") and f"{record['duration_s']:.1f} s",
                         f"scored by {scorer_label}") if f]
    parts = [f'<body class="entry-page"><nav>{nav}</nav>',
             f'<h1 id="entry">{_e(title)}<span class="name">{_e(o.entry.name)}</span> {badge}</h1>',
             f'<p class="meta">{_e(" · ".join(facts))}</p>']
    if o.status != "ok":
        parts.append(f'<p class="reason">Not ranked: {_e(o.error)}</p>')
    if rubric:
        if o.status == "ok":
            parts.append(f'<p class="overall">Overall <b id="overall">{_num(rubric.get("overall"))}</b>, grade '
                         f'{grade_badge(rubric.get("grade"))}</p>')
        parts.append(grade_key_html(grades))
        parts.append(_subscores(rubric, result.get("learned")))
        parts.append("<h2>Sub-scores over time</h2><p class=\"note\">One strip per sub-score (0 at its foot, 100 "
                     "at its top), a point per scoring window; a gap is a window where it does not apply. The "
                     "number after the name is the whole performance's score.</p>")
        parts.append(f'<div class="scroll">{timeline_svg(rubric, record.get("duration_s") or 0.0, grades)}</div>')
        lower = "movement beats" if discipline == "dance" else "note onsets"
        parts.append(f"<h2>Music beats and {lower}</h2>")
        parts.append(beats_key_html(analysis, discipline))
        parts.append(f'<div class="scroll">{beats_svg(analysis, discipline)}</div>')
    warnings = o.warnings
    if warnings:
        parts.append('<h2>Warnings</h2><ul class="warnings">' + "".join(f"<li>{_e(w)}</li>" for w in warnings)
                     + "</ul>")
    if rubric:
        measurements = {n: s.get("measurements") for n, s in rubric.get("subscores", {}).items()}
        parts.append("<details><summary>Measurements</summary><pre>"
                     f"{_e(json.dumps(measurements, indent=1, ensure_ascii=False))}</pre></details>")
    parts.append("</body></html>\n")
    return _head(f"{title}{o.entry.name} — perfscore screening", css) + "".join(parts)


def _subscores(rubric: dict, learned: dict | None) -> str:
    subs = rubric.get("subscores", {})
    learned_subs = (learned or {}).get("subscores", {})
    head = "<tr><th>Sub-score</th><th>Rubric</th>" + ("<th>Learned</th>" if learned else "") + "<th>Why</th></tr>"
    rows = []
    for name in SUBSCORES:
        sub = subs.get(name)
        if sub is None:
            continue
        value = "does not apply" if sub.get("value") is None else _num(sub["value"])
        learned_cell = ""
        if learned:
            lv = (learned_subs.get(name) or {}).get("value")
            learned_cell = f'<td class="num">{_num(lv) if lv is not None else "–"}</td>'
        rows.append(f'<tr data-subscore="{_e(name)}"><td>{_e(name)}</td><td class="num">{_e(value)}</td>'
                    f'{learned_cell}<td>{_e(sub.get("explanation"))}</td></tr>')
    if learned:
        rows.append(f'<tr><td>overall</td><td class="num">{_num(rubric.get("overall"))}</td>'
                    f'<td class="num">{_num(learned.get("overall"))}</td><td>learned scorer: '
                    f'{_e(_model_name(learned))}</td></tr>')
    return f'<table class="subscores">{head}{"".join(rows)}</table>'


def _model_name(learned: dict) -> str:
    for sub in (learned.get("subscores") or {}).values():
        model = sub.get("model")
        if model:
            return f"{model.get('name')} {model.get('version')} ({model.get('backend')})"
    return "model"
