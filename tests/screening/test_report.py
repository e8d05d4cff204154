"""report.html: one self-contained page with a row and a section per entry, escaped, sortable in a real browser."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

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
        self._in_h2 = False
        self.h2: list[str] = []

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
        elif tag == "svg":
            self.svgs += 1
        elif tag == "h2":
            self._in_h2 = True
            self.h2.append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_ranking = self._in_tbody = False
        elif tag == "td":
            self._in_cell = False
        elif tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_cell:
            self.rows[-1][-1] += data
        if self._in_h2:
            self.h2[-1] += data


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _entries(run) -> list[str]:
    return [json.loads(line)["entry"] for line in (run.out / "results.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("which", ["dance_run", "music_run"])
def test_one_row_and_one_section_per_entry(request, which):
    run = request.getfixturevalue(which)
    page = _parse((run.out / "report.html").read_text(encoding="utf-8"))
    entries = _entries(run)
    assert [row[1] for row in page.rows] == entries == list(run.rows())
    assert len(page.sections) == len(entries)
    for row, (name, csv_row) in zip(page.rows, run.rows().items()):
        assert row[0] == csv_row["rank"] and row[-2] == csv_row["status"] and row[-1] == csv_row["error"]
    docs = [json.loads(line) for line in (run.out / "results.jsonl").read_text().splitlines()]
    with_timeline = sum(bool(d["rubric"] and d["rubric"]["timeline"]) for d in docs)
    assert with_timeline >= sum(r["status"] == "ok" for r in run.rows().values())
    # A timeline for every entry that has one, and a beat picture for every entry with a result.
    assert page.svgs == with_timeline + sum(d["rubric"] is not None for d in docs)


def test_report_needs_no_network(dance_run):
    page = _parse((dance_run.out / "report.html").read_text(encoding="utf-8"))
    assert page.csp and "default-src 'none'" in page.csp
    assert page.urls and all(url.startswith("#") for url in page.urls), page.urls


def test_names_from_users_are_escaped(music_run):
    html = (music_run.out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and '<b>"Evil"' not in html
    page = _parse(html)
    assert ['<b>"Evil" & co</b>' == row[1] for row in page.rows].count(True) == 1
    assert any(row[2] == "<script>alert(1)</script>" for row in page.rows)  # the category, shown as text


def test_failed_entry_sections_give_the_reason(dance_run):
    html = (dance_run.out / "report.html").read_text(encoding="utf-8")
    for name, row in dance_run.rows().items():
        if row["status"] == "failed":
            assert f"Not ranked: {row['error']}".replace("'", "&#x27;").replace('"', "&quot;") in html


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
    synced = [r[1] for r in by_sync if r[7]]
    assert synced == sorted(synced, key=lambda n: -float(rows[n]["sync"]))
    assert all(not r[7] for r in by_sync[len(synced):]), "empty cells sort last"
    by_name = _parse(_dump_dom(report, "#sort=entry", tmp_path / "p2")).rows
    assert [r[1] for r in by_name] == sorted(rows, key=str.lower)
    assert len(by_name) == len(rows)
