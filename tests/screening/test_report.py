"""The report of real runs: report.html (the index, a row per entry) and report/<page>.html (a page per
entry), self-contained, escaped, sortable in a real browser. tests/screening/test_report_scale.py opens
a generated 1,000-entry report in Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from edge.screening.report import page_name

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class _Page(HTMLParser):
    """Rows of the ranking table (cells as text), entry sections, and every URL the page mentions."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.sections: list[str] = []
        self.urls: list[str] = []
        self.svgs = 0
        self.csp = None
        self._in_ranking = self._in_tbody = self._in_cell = False
        self._in_h1 = False
        self.h1: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.urls += [v for k, v in attrs if k in ("src", "href", "action", "xlink:href") and v]
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp = a.get("content")
        if tag == "table":
            self._in_ranking = a.get("id") == "ranking"
        if tag == "tbody" and self._in_ranking:
            self._in_tbody = True
        elif tag == "tr" and self._in_tbody:
            self.rows.append([])
        elif tag == "td" and self._in_tbody:
            self._in_cell = True
            self.rows[-1].append("")
        elif tag == "section":
            self.sections.append(a.get("id"))
        elif tag == "svg" and a.get("class") in ("timeline", "beats"):  # not the keys' little glyphs
            self.svgs += 1
        elif tag == "h1" and a.get("id") == "entry":
            self._in_h1 = True
            self.h1.append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_ranking = self._in_tbody = False
        elif tag == "td":
            self._in_cell = False
        elif tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_cell:
            self.rows[-1][-1] += data
        if self._in_h1:
            self.h1[-1] += data


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _entries(run) -> list[str]:
    return [json.loads(line)["entry"] for line in (run.out / "results.jsonl").read_text().splitlines()]


def _pages(run) -> dict[str, str]:
    return {name: (run.out / "report" / page_name(name)).read_text(encoding="utf-8") for name in run.rows()}


# Columns of the index: rank, in category, entry, category, discipline, overall, grade, 5 sub-scores, status, notes
ENTRY, CATEGORY, SYNC, STATUS, NOTES = 2, 3, 8, 12, 13


@pytest.mark.parametrize("which", ["dance_run", "music_run"])
def test_one_row_and_one_page_per_entry(request, which):
    run = request.getfixturevalue(which)
    page = _parse((run.out / "report.html").read_text(encoding="utf-8"))
    entries = _entries(run)
    assert [row[ENTRY] for row in page.rows] == entries == list(run.rows())
    assert page.sections == [] and page.svgs == 0, "the index carries no per-entry details"
    docs = {d["entry"]: d for d in map(json.loads, (run.out / "results.jsonl").read_text().splitlines())}
    for row, (name, csv_row) in zip(page.rows, run.rows().items()):
        assert row[0] == csv_row["rank"] and row[1] == csv_row["category_rank"]
        assert row[CATEGORY] == csv_row["category"] and row[4] == csv_row["discipline"]
        assert row[STATUS] == ("ok" if csv_row["status"] == "ok" else "✗ failed")
        warnings = len(docs[name]["warnings"])
        assert row[NOTES] == (csv_row["error"] or (f"⚠ {warnings} warning{'s' * (warnings != 1)}" if warnings else ""))
    pages = _pages(run)
    assert sorted(p.name for p in (run.out / "report").iterdir()) == sorted(page_name(n) for n in entries)
    for name, html in pages.items():
        entry_page = _parse(html)
        assert entry_page.h1 and name in entry_page.h1[0]
        doc = docs[name]
        # A timeline for every entry that has one, and a beat picture for every entry with a result.
        assert entry_page.svgs == bool(doc["rubric"] and doc["rubric"]["timeline"]) + (doc["rubric"] is not None)


def test_report_needs_no_network(dance_run):
    for html in [(dance_run.out / "report.html").read_text(encoding="utf-8"), *_pages(dance_run).values()]:
        page = _parse(html)
        assert page.csp and "default-src 'none'" in page.csp
        assert page.urls and all("://" not in url and not url.startswith("/") for url in page.urls), page.urls
    index = _parse((dance_run.out / "report.html").read_text(encoding="utf-8"))
    assert all((dance_run.out / url).is_file() for url in index.urls), "every link leads to a page of the report"


def test_names_from_users_are_escaped(music_run):
    html = (music_run.out / "report.html").read_text(encoding="utf-8")
    pages = "".join(_pages(music_run).values())
    for text in (html, pages):
        assert "<script>alert(1)</script>" not in text and '<b>"Evil"' not in text
    page = _parse(html)
    assert ['<b>"Evil" & co</b>' == row[ENTRY] for row in page.rows].count(True) == 1
    assert any(row[CATEGORY] == "<script>alert(1)</script>" for row in page.rows)  # the category, shown as text


def test_failed_entry_pages_give_the_reason(dance_run):
    pages = _pages(dance_run)
    for name, row in dance_run.rows().items():
        if row["status"] == "failed":
            assert f"Not ranked: {row['error']}".replace("'", "&#x27;").replace('"', "&quot;") in pages[name]


def _dump_dom(report: Path, fragment: str, profile: Path) -> str:
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         "--dump-dom", report.resolve().as_uri() + fragment],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_table_sorts_in_a_real_browser(dance_run, tmp_path):
    report = dance_run.out / "report.html"
    rows = dance_run.rows()
    by_sync = _parse(_dump_dom(report, "#sort=-sync", tmp_path / "p1")).rows
    synced = [r[ENTRY] for r in by_sync if r[SYNC]]
    assert synced == sorted(synced, key=lambda n: -float(rows[n]["sync"]))
    assert all(not r[SYNC] for r in by_sync[len(synced):]), "empty cells sort last"
    by_name = _parse(_dump_dom(report, "#sort=entry", tmp_path / "p2")).rows
    assert [r[ENTRY] for r in by_name] == sorted(rows, key=str.lower)
    assert len(by_name) == len(rows)
