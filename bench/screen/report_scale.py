"""The screening report at a venue's scale: bytes and opening time in headless Chromium, 100 and 1,000 entries.

    .venv/bin/python bench/screen/report_scale.py                  # writes bench/results/report_scale.json
    .venv/bin/python bench/screen/report_scale.py --sizes 100 --no-old

Entries are generated records of 3-minute performances (tests/screening/records.py: the shape and size
of real worker records; nothing is scored). For each size it writes the report as `perfscore screen`
does (report.html, the index, and report/<page>.html per entry) and measures:

  bytes        of the index, and per entry page (mean, max) and in all
  write_s      time to render and write the whole report
  open_s       the index's load time in Chromium (navigation start to the end of the load event),
               median of --repeats cold opens (a fresh browser profile each), and one entry page's

and, unless --no-old, the same for the old single-page layout (one report.html with a section per entry,
rendered by the code of commit OLD_COMMIT, taken from git) and the ratios old / new. Target: the index
of 1,000 entries opens in <= 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from edge.screening.outputs import ranked  # noqa: E402
from edge.screening.report import page_name, write_report  # noqa: E402
from screening import browser  # noqa: E402
from screening.records import make_outcomes  # noqa: E402

OLD_COMMIT = "5b877219b2156cb9da21f2f7afe03360d5683d4d"  # the last commit with the single-page report
TARGET_OPEN_S = 3.0


def old_renderer(folder: Path):
    """render_report of the single-page layout, loaded from git (None when git or the commit is missing)."""
    package = folder / "oldreport"
    package.mkdir(parents=True)
    for name in ("report.py", "svg.py", "report.css", "report.js"):
        try:
            text = subprocess.run(["git", "show", f"{OLD_COMMIT}:edge/screening/{name}"], cwd=REPO, check=True,
                                  capture_output=True, text=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
        text = text.replace("from ..scoring.result import", "from edge.scoring.result import")
        (package / name).write_text(text.replace("from .outputs import", "from edge.screening.outputs import"))
    (package / "__init__.py").write_text("")
    sys.path.insert(0, str(folder))
    from oldreport.report import render_report

    return render_report


def open_s(path: Path, repeats: int, scratch: Path) -> list[float]:
    times = []
    for i in range(repeats):
        driver = browser.start(scratch / f"profile-{time.monotonic_ns()}-{i}")
        try:
            times.append(round(browser.open_timed(driver, path), 3))
        finally:
            driver.quit()
    return times


def measure(n: int, repeats: int, with_old: bool, scratch: Path) -> dict:
    ordered = ranked(make_outcomes(n, duration_s=180.0))
    out = scratch / f"new-{n}"
    clock = time.perf_counter()
    write_report(out, ordered, scorer_label="bench")
    write_s = time.perf_counter() - clock
    pages = sorted((out / "report").iterdir(), key=lambda p: p.stat().st_size)
    page_bytes = [p.stat().st_size for p in pages]
    index_open = open_s(out / "report.html", repeats, scratch)
    scored = next(o for o in ordered if o.status == "ok" and o.discipline == "dance")
    entry_open = open_s(out / "report" / page_name(scored.entry.name), repeats, scratch)
    result = {
        "entries": n,
        "new": {"index_bytes": (out / "report.html").stat().st_size,
                "index_bytes_per_entry": round((out / "report.html").stat().st_size / n),
                "page_bytes_mean": round(statistics.mean(page_bytes)), "page_bytes_max": max(page_bytes),
                "total_bytes": (out / "report.html").stat().st_size + sum(page_bytes),
                "write_s": round(write_s, 2),
                "index_open_s": statistics.median(index_open), "index_open_runs_s": index_open,
                "entry_page_open_s": statistics.median(entry_open), "entry_page_open_runs_s": entry_open},
    }
    result["meets_target"] = result["new"]["index_open_s"] <= TARGET_OPEN_S
    render_old = old_renderer(scratch / f"old-code-{n}") if with_old else None
    if render_old is not None:
        old = scratch / f"old-{n}.html"
        clock = time.perf_counter()
        old.write_text(render_old(ordered, scorer_label="bench"), encoding="utf-8")
        old_write = time.perf_counter() - clock
        old_open = open_s(old, 1, scratch)  # one open: a minute each at 1,000 entries
        result["old_single_page"] = {"bytes": old.stat().st_size, "write_s": round(old_write, 2),
                                     "open_s": old_open[0]}
        result["ratio_old_to_new"] = {
            "bytes_to_open": round(old.stat().st_size / result["new"]["index_bytes"], 1),
            "open_time": round(old_open[0] / result["new"]["index_open_s"], 1)}
        sys.modules.pop("oldreport.report", None), sys.modules.pop("oldreport.svg", None)
        sys.modules.pop("oldreport", None)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-old", action="store_true", help="skip the old single-page layout")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "report_scale.json")
    args = parser.parse_args()
    why = browser.missing()
    if why:
        sys.exit(f"report_scale: {why}")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="report-scale-") as tmp:
        runs = [measure(n, args.repeats, not args.no_old, Path(tmp)) for n in args.sizes]
    chromium = subprocess.run([browser.CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    document = {
        "bench": "screen/report_scale", "target": f"index of 1,000 entries opens in <= {TARGET_OPEN_S} s",
        "entry_duration_s": 180.0, "browser": chromium, "machine": platform.machine(), "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()], "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    for run in runs:
        new = run["new"]
        line = (f"{run['entries']} entries: index {new['index_bytes'] / 1e6:.2f} MB opens in {new['index_open_s']:.2f} s; "
                f"entry page {new['page_bytes_mean'] / 1e3:.0f} KB opens in {new['entry_page_open_s']:.2f} s")
        if "old_single_page" in run:
            old = run["old_single_page"]
            line += f"; old single page {old['bytes'] / 1e6:.1f} MB opened in {old['open_s']:.1f} s"
        print(line)
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
