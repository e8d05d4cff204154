"""Write the licence table of docs/dependencies.md from the installed packages' own metadata.

Run: .venv/bin/python scripts/licence_table.py   (tests/test_licences.py checks the table is current
and that every runtime dependency's licence may be combined with the project's GPL-3.0-or-later)

The table lists the box's runtime dependencies (pyproject `dependencies`), each with the licence its
distribution declares (License-Expression, else the License field, else the trove classifiers), and
the model files shipped in models/ with the licence models/manifest.json records for them.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "dependencies.md"
BEGIN, END = "<!-- licence-table:begin -->", "<!-- licence-table:end -->"


def runtime_requirements() -> list[tuple[str, str]]:
    """(distribution name, pinned version) of every runtime dependency in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = []
    for spec in project["dependencies"]:
        name, _, version = re.split(r"\s*(==)\s*", spec.split(";")[0].strip(), maxsplit=1)
        pins.append((name, version))
    return pins


def declared_licence(name: str) -> str:
    """The licence a distribution declares about itself, in its own words, shortened to one line."""
    meta = metadata.metadata(name)
    expression = meta.get("License-Expression")
    if expression:
        return expression.strip()
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    text = (meta.get("License") or "").strip()
    if text and len(text) <= 80 and "\n" not in text:
        return text + (f" ({'; '.join(classifiers)})" if classifiers else "")
    return "; ".join(classifiers) or "UNKNOWN"


def model_licences() -> list[tuple[str, str]]:
    """(licence, the shipped model files under it), from models/manifest.json."""
    artifacts = json.loads((ROOT / "models" / "manifest.json").read_text())["artifacts"]
    by_licence: dict[str, list[str]] = {}
    for path, entry in sorted(artifacts.items()):
        by_licence.setdefault(entry.get("licence", "UNKNOWN"), []).append(path)
    return [(licence, paths) for licence, paths in sorted(by_licence.items())]


# Licences that may be combined with GPL-3.0-or-later in one distributed work (FSF's list of
# GPL-compatible licences): permissive ones, MPL-2.0 (section 3.3), Apache-2.0 (with GPLv3 only), GPLv3+.
COMPATIBLE = ("BSD", "MIT", "Apache", "MPL-2.0", "Zlib", "0BSD", "CC0", "ISC", "PSF", "Python Software Foundation",
              "GPLv3", "GPL-3.0", "GPL version 3", "LGPL")


def gpl3_compatible(licence: str) -> bool:
    """Every alternative joined by AND must be compatible; of alternatives joined by OR, one is enough."""
    terms = re.split(r"\s+AND\s+|;\s*", licence.replace("(", " ").replace(")", " "))
    return all(any(any(ok in choice for ok in COMPATIBLE) for choice in re.split(r"\s+OR\s+", term))
               for term in terms if term.strip())


def render() -> str:
    lines = ["| package | version | licence (as the package declares it) |", "|---|---|---|"]
    for name, version in runtime_requirements():
        lines.append(f"| {name} | {version} | {declared_licence(name)} |")
    lines += ["", "| shipped models (models/manifest.json) | licence |", "|---|---|"]
    lines += [f"| {', '.join(f'`{p}`' for p in paths)} | {licence} |" for licence, paths in model_licences()]
    return "\n".join(lines)


def current_doc(table: str) -> str:
    text = DOC.read_text()
    start, stop = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + table + "\n" + text[stop:]


if __name__ == "__main__":
    DOC.write_text(current_doc(render()))
    print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
