"""report.html: one self-contained page (inline CSS, JS and SVG) that opens from disk with no network.

A sortable ranking table, then a section per entry: its sub-scores with their explanations, the
timeline of sub-scores, where movement beats (or note onsets) fall against the music's beats, the
warnings, and for a failed entry the reason. Everything that comes from outside (file names,
categories, error messages, explanations) is escaped; a Content-Security-Policy forbids the page
any request at all.
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources

from ..scoring.result import SUBSCORES
from .outputs import Outcome
from .svg import beats_svg, legend_html, timeline_svg

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _num(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def render_report(ordered: list[Outcome], *, scorer_label: str) -> str:
    scored = sum(o.status == "ok" for o in ordered)
    failed = len(ordered) - scored
    head = (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>perfscore screening: {len(ordered)} entries</title><style>{_asset("report.css")}</style></head>')
    body = [
        "<body><h1>Screening report</h1>",
        f'<p class="meta">{len(ordered)} entries: {scored} scored, {failed} failed. Scored by {_e(scorer_label)}. '
        f'Sub-scores 0–100; an empty cell is a sub-score that does not apply. Click a column to sort.</p>',
        _table(ordered),
        *(_section(i, o) for i, o in enumerate(ordered, start=1)),
        f"<script>{_asset('report.js')}</script></body></html>\n",
    ]
    return head + "".join(body)


_COLUMNS = [("rank", "Rank", "num"), ("entry", "Entry", "text"), ("category", "Category", "text"),
            ("discipline", "Discipline", "text"), ("overall", "Overall", "num"), ("grade", "Grade", "text"),
            *((name, name.capitalize(), "num") for name in SUBSCORES),
            ("status", "Status", "text"), ("error", "Error", "text")]


def _table(ordered: list[Outcome]) -> str:
    head = "".join(f'<th data-key="{key}" data-type="{kind}" class="{kind}" scope="col">{label}</th>'
                   for key, label, kind in _COLUMNS)
    rows = []
    for i, o in enumerate(ordered, start=1):
        ok = o.status == "ok"
        grade = (o.rubric or {}).get("grade") if ok else None
        discipline = (o.record or {}).get("discipline")
        cells = [
            f'<td data-v="{_e(o.rank)}">{_e(o.rank)}</td>',
            f'<td class="text" data-v="{_e(o.entry.name)}"><a href="#e{i}">{_e(o.entry.name)}</a></td>',
            f'<td class="text" data-v="{_e(o.entry.category)}">{_e(o.entry.category)}</td>',
            f'<td class="text" data-v="{_e(discipline)}">{_e(discipline)}</td>',
            f'<td data-v="{_num(o.overall, 2)}">{_num(o.overall)}</td>',
            f'<td class="text" data-v="{_e(grade)}">{_e(grade)}</td>',
            *(f'<td data-v="{_num(o.subscore(n), 2) if ok else ""}">{_num(o.subscore(n)) if ok else ""}</td>'
              for n in SUBSCORES),
            f'<td class="text" data-v="{_e(o.status)}">{_e(o.status)}</td>',
            f'<td class="error" data-v="{_e(o.error)}">{_e(o.error)}</td>',
        ]
        rows.append(f'<tr class="{"ok" if ok else "failed"}" data-i="{i}">{"".join(cells)}</tr>')
    return (f'<div class="scroll"><table id="ranking"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _section(i: int, o: Outcome) -> str:
    record = o.record or {}
    result = record.get("result") or {}
    analysis = result.get("analysis") or {}
    rubric = o.rubric
    discipline = record.get("discipline")
    title = f"{o.rank}. " if o.rank else ""
    badge = f'<span class="badge{"" if o.status == "ok" else " failed"}">{_e(o.status)}</span>'
    facts = [f for f in (discipline, o.entry.category and f"category {o.entry.category}",
                         record.get("duration_s") and f"{record['duration_s']:.1f} s") if f]
    parts = [f'<section class="entry" id="e{i}"><h2>{_e(title)}{_e(o.entry.name)} {badge}</h2>',
             f'<p class="meta">{_e(" · ".join(facts))}</p>' if facts else ""]
    if o.status != "ok":
        parts.append(f'<p class="reason">Not ranked: {_e(o.error)}</p>')
    if rubric:
        if o.status == "ok":
            parts.append(f'<p>Overall <b>{_num(rubric.get("overall"))}</b>, grade <b>{_e(rubric.get("grade"))}</b></p>')
        parts.append(_subscores(rubric, result.get("learned")))
        parts.append("<h3>Sub-scores over time</h3>" + legend_html())
        parts.append(f'<div class="scroll">{timeline_svg(rubric, record.get("duration_s") or 0.0)}</div>')
        lower = "movement beats" if discipline == "dance" else "note onsets"
        parts.append(f"<h3>Music beats and {lower}</h3>")
        parts.append(f'<div class="scroll">{beats_svg(analysis, discipline)}</div>')
    warnings = o.warnings
    if warnings:
        parts.append('<ul class="warnings">' + "".join(f"<li>{_e(w)}</li>" for w in warnings) + "</ul>")
    if rubric:
        measurements = {n: s.get("measurements") for n, s in rubric.get("subscores", {}).items()}
        parts.append("<details><summary>Measurements</summary><pre>"
                     f"{_e(json.dumps(measurements, indent=1, ensure_ascii=False))}</pre></details>")
    parts.append("</section>")
    return "".join(parts)


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
        rows.append(f'<tr><td>{_e(name)}</td><td class="num">{_e(value)}</td>{learned_cell}'
                    f'<td>{_e(sub.get("explanation"))}</td></tr>')
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
