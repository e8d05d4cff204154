"""A venue's report at scale, in real headless Chromium: 1,000 generated 3-minute entries (records made
directly, nothing scored). The index opens within 3 s; search, the category and discipline filters and
sorting work in the browser; an entry's page shows that entry's figures, with keys, and nothing told
by colour alone."""

from __future__ import annotations

import pytest

from edge.screening.outputs import ranked, results_csv
from edge.screening.report import page_name, write_report

from . import browser
from .records import make_outcomes

N_ENTRIES = 1000
OPEN_LIMIT_S = 3.0

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=browser.missing() or "")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report-scale")
    ordered = ranked(make_outcomes(N_ENTRIES, duration_s=180.0))
    write_report(out, ordered, scorer_label="perfscore test, rubric 2.0")
    (out / "results.csv").write_text(results_csv(ordered), encoding="utf-8")
    return out, ordered


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    d = browser.start(tmp_path_factory.mktemp("chromium-profile"))
    yield d
    d.quit()


VISIBLE = ("return Array.from(document.querySelectorAll('#ranking tbody tr'))"
           ".filter(r => !r.hidden).map(r => r.cells[2].textContent);")


def _visible(driver) -> list[str]:
    return driver.execute_script(VISIBLE)


def _type(driver, text: str) -> None:
    box = driver.find_element("id", "search")
    box.clear()
    if text:
        box.send_keys(text)
    else:  # clear() sets the value without an input event
        driver.execute_script("arguments[0].dispatchEvent(new Event('input'));", box)


def _choose(driver, element_id: str, label: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", element_id)).select_by_visible_text(label)


def _click_heading(driver, key: str) -> None:
    driver.find_element("css selector", f'#ranking th[data-key="{key}"]').click()


def test_index_of_1000_entries_opens_within_3_s(report, driver):
    out, ordered = report
    index = out / "report.html"
    seconds = browser.open_timed(driver, index)
    assert seconds <= OPEN_LIMIT_S, f"report.html of {N_ENTRIES} entries took {seconds:.2f} s to open"
    assert index.stat().st_size < 1000 * N_ENTRIES, "the index stays under 1 KB per entry"
    assert _visible(driver) == [o.entry.name for o in ordered]
    assert driver.find_element("id", "shown").text == f"{N_ENTRIES} of {N_ENTRIES} entries shown"
    # The grade key names every band in words next to its letter.
    key = driver.find_element("css selector", ".grade-key").text
    for words in ("A 85 and above", "B 70 to under 85", "C 55 to under 70", "D 40 to under 55", "E under 40"):
        assert words in key.replace("\n", " "), key


def test_search_category_and_discipline_filters(report, driver):
    out, ordered = report
    browser.open_timed(driver, out / "report.html")
    _type(driver, "entry 0042")
    assert _visible(driver) == ["heat 1/entry 0042.mp4"]
    _type(driver, "HEAT 3/")   # case does not matter
    assert _visible(driver) == [o.entry.name for o in ordered if o.entry.name.startswith("heat 3/")]
    _type(driver, "")
    _choose(driver, "category", "adult solo")
    adult = [o for o in ordered if o.entry.category == "adult solo"]
    assert _visible(driver) == [o.entry.name for o in adult]
    assert driver.find_element("id", "shown").text == f"{len(adult)} of {N_ENTRIES} entries shown"
    in_category = driver.execute_script(
        "return Array.from(document.querySelectorAll('#ranking tbody tr')).filter(r => !r.hidden)"
        ".map(r => r.cells[1].textContent);")
    scored = sum(o.rank is not None for o in adult)
    assert in_category == [str(i) for i in range(1, scored + 1)] + [""] * (len(adult) - scored)
    _type(driver, "heat 2/ENTRY 05")    # every word must match, with the category filter still on
    expected = [o.entry.name for o in adult if "heat 2/entry" in o.entry.name and "05" in o.entry.name]
    assert expected and _visible(driver) == expected
    _type(driver, "")
    _choose(driver, "category", "(no category)")
    assert _visible(driver) == [o.entry.name for o in ordered if o.entry.category is None]
    _choose(driver, "category", "all categories")
    _choose(driver, "discipline", "music")
    assert _visible(driver) == [o.entry.name for o in ordered if o.discipline == "music"]
    _choose(driver, "discipline", "all disciplines")
    _type(driver, "no such entry")
    assert _visible(driver) == [] and driver.find_element("id", "nothing").is_displayed()


def test_sorting_and_the_view_in_the_address(report, driver):
    out, ordered = report
    browser.open_timed(driver, out / "report.html")
    _choose(driver, "category", "duo & trio")
    duo = [o for o in ordered if o.entry.category == "duo & trio"]
    order = {o.entry.name: i for i, o in enumerate(ordered)}

    def by_sync(descending: bool) -> list[str]:
        with_sync = [o for o in duo if o.subscore("sync") is not None and o.status == "ok"]
        with_sync.sort(key=lambda o: (-round(o.subscore("sync"), 2) if descending else round(o.subscore("sync"), 2),
                                      order[o.entry.name]))
        return [o.entry.name for o in with_sync] + [o.entry.name for o in duo if o not in with_sync]

    _click_heading(driver, "sync")       # a score: highest first; empty cells (music, failed) last
    assert _visible(driver) == by_sync(descending=True)
    _click_heading(driver, "sync")
    assert _visible(driver) == by_sync(descending=False)
    _click_heading(driver, "entry")
    assert _visible(driver) == sorted((o.entry.name for o in duo), key=str.lower)
    assert driver.execute_script("return location.hash") == "#sort=entry&category=duo%20%26%20trio"
    driver.refresh()                      # the view is kept in the address
    assert _visible(driver) == sorted((o.entry.name for o in duo), key=str.lower)
    _click_heading(driver, "rank")
    assert _visible(driver) == [o.entry.name for o in duo]


def _beat_bands(record: dict) -> dict[str, int]:
    """Movement beats by their distance to the nearest music beat: within 50 ms, 50–100 ms, beyond."""
    analysis = record["result"]["analysis"]
    beats = analysis["audio"]["beats_s"]
    counts = {"on": 0, "near": 0, "far": 0}
    for t in analysis["rhythm"]["motion_beats_s"]:
        off = min(abs(t - b) for b in beats)
        counts["on" if off <= 0.05 else "near" if off <= 0.10 else "far"] += 1
    return counts


def test_an_entry_page_shows_its_entry(report, driver):
    out, ordered = report
    browser.open_timed(driver, out / "report.html")
    entry = next(o for o in ordered[4:] if o.status == "ok" and o.discipline == "dance")
    driver.find_element("link text", entry.entry.name).click()
    assert driver.current_url.endswith("/report/" + page_name(entry.entry.name))
    seconds = driver.execute_script("const n = performance.getEntriesByType('navigation')[0];"
                                    "return (n.loadEventEnd - n.startTime) / 1000;")
    assert seconds <= OPEN_LIMIT_S
    assert driver.find_element("id", "entry").text.startswith(f"{entry.rank}. {entry.entry.name}")
    assert driver.find_element("id", "overall").text == f"{entry.overall:.1f}"
    for name, sub in entry.rubric["subscores"].items():
        cells = driver.find_elements("css selector", f'tr[data-subscore="{name}"] td')
        assert cells[1].text == (f"{sub['value']:.1f}" if sub["value"] is not None else "does not apply")
    meta = driver.find_element("css selector", "p.meta").text
    assert f"category {entry.entry.category} (rank {entry.category_rank} in it)" in meta and "dance" in meta

    # Timelines: one labelled strip per sub-score and the overall; no two strips share a pixel row, and
    # every line stays inside its own strip, so overlapping values cannot hide one another.
    strips = driver.execute_script(
        "return Array.from(document.querySelectorAll('svg.timeline rect.strip')).map(r => {"
        "  const b = r.getBBox(); return [b.y, b.y + b.height]; });")
    labels = [e.text for e in driver.find_elements("css selector", "svg.timeline .series-label")]
    assert [label.split()[0] for label in labels] == ["rhythm", "sync", "technique", "expression", "interpretation",
                                                      "overall"]
    assert labels[-1] == f"overall {entry.overall:.0f}"
    assert all(a[1] < b[0] for a, b in zip(strips, strips[1:]))
    lines = driver.execute_script(
        "return Array.from(document.querySelectorAll('svg.timeline polyline.series')).map(p => {"
        "  const b = p.getBBox(); return [p.classList[1], b.y, b.y + b.height]; });")
    assert {name for name, _, _ in lines} == {label.split()[0] for label in labels}
    for name, top, bottom in lines:
        strip = strips[[label.split()[0] for label in labels].index(name)]
        assert strip[0] - 0.01 <= top and bottom <= strip[1] + 0.01, (name, top, bottom, strip)

    # Beats: each band has its own shape and its count in words in the key.
    expected = _beat_bands(entry.record)
    assert all(expected.values()), expected
    key = driver.find_element("css selector", ".beats-key").text
    for band, words in (("on", "on the beat (within 50 ms)"), ("near", "near the beat (50–100 ms)"),
                        ("far", "off the beat (more than 100 ms)")):
        assert f"{words}: {expected[band]}" in key, key
        shapes = driver.execute_script(
            f"return Array.from(document.querySelectorAll('svg.beats .glyph.{band}'))"
            ".map(g => g.tagName + (g.getAttribute('d') || '').replace(/[^MLZ]/g, ''));")
        assert len(shapes) == expected[band]
        assert set(shapes) == {{"on": "circle", "near": "pathMLLZ", "far": "pathMLML"}[band]}
    assert driver.find_element("css selector", "p.overall .grade").text == entry.rubric["grade"]

    driver.find_element("link text", "↑ all entries").click()
    assert driver.current_url.endswith("/report.html")


def test_a_failed_entry_page_gives_its_reason(report, driver):
    out, ordered = report
    failed = next(o for o in ordered if o.status != "ok")
    browser.open_timed(driver, out / "report" / page_name(failed.entry.name))
    assert driver.find_element("css selector", ".reason").text == f"Not ranked: {failed.error}"
    assert driver.find_elements("css selector", "svg.timeline") == []
