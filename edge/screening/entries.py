"""What to screen: entries from files, folders (recursive) and CSV manifests (`entry,path[,reference,category]`).

Entry names are what the venue sees in every output, so they must be unique and must not depend
on where the command was started: a file found in a folder is named by its path inside that
folder, a file given on its own by its file name, a manifest row by its `entry` cell.

An entry's category (age group, style: what a jury ranks within) is a manifest's `category` cell, or
for a file found in a folder the first folder level under that folder (`entries/under 12/a.mp4` is in
`under 12`); a file at the top of a folder or given on its own has none.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST_SUFFIX = ".csv"
MANIFEST_REQUIRED = ("entry", "path")
MANIFEST_OPTIONAL = ("reference", "category")

# Files that sit beside recordings in a venue's folder and are never performances. Everything else
# found in a folder is an entry, so a recording in a format nobody expected is reported as
# unsupported rather than silently left out.
NOT_RECORDINGS = {
    ".json", ".jsonl", ".npz", ".csv", ".tsv", ".txt", ".md", ".rst", ".yaml", ".yml", ".html", ".htm",
    ".log", ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".mid", ".midi", ".jpg", ".jpeg", ".png", ".gif",
    ".bmp", ".webp", ".svg", ".ico", ".srt", ".vtt", ".sf2", ".zip",
}


class InputError(Exception):
    """A bad command line or manifest: nothing is screened (exit code 2)."""


@dataclass(frozen=True)
class Entry:
    name: str                      # unique, shown in results
    path: Path                     # the recording
    reference: Path | None = None  # per-entry reference (manifest) or the run's --reference
    category: str | None = None    # a venue's label (age group, style); results also rank within it


@dataclass
class Collected:
    entries: list[Entry]
    skipped: Counter               # suffix -> how many non-recording files were left out of folders
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (path, why) of everything left out


def collect(inputs: list[str | Path], *, reference: Path | None = None, exclude: Path | None = None) -> Collected:
    """Entries of every input, in a stable order (sorted by name). `exclude` is a folder never scanned
    (the output folder, when it sits inside an input folder)."""
    entries: list[Entry] = []
    skipped: Counter = Counter()
    ignored: list[tuple[str, str]] = []
    excluded = exclude.resolve() if exclude is not None else None
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            entries += _from_folder(path, reference, excluded, skipped, ignored)
        elif path.suffix.lower() == MANIFEST_SUFFIX and path.is_file():
            entries += read_manifest(path, reference)
        elif path.exists() or path.is_symlink():
            entries.append(Entry(path.name, path, reference))
        else:
            raise InputError(f"{path}: no such file or folder")
    entries = _unique(entries, ignored)
    if not entries:
        raise InputError("no recordings found in " + ", ".join(str(p) for p in inputs))
    return Collected(sorted(entries, key=lambda e: e.name), skipped, ignored)


def _from_folder(folder: Path, reference: Path | None, excluded: Path | None, skipped: Counter,
                 ignored: list[tuple[str, str]]) -> list[Entry]:
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        hidden = [i for i, part in enumerate(rel.parts) if part.startswith(".")]
        if hidden:
            # hidden files and folders (.DS_Store, .git, editors' swap files); a folder is named once
            if hidden[0] == len(rel.parts) - 1:
                ignored.append((str(path), "hidden folder" if path.is_dir() else "hidden file"))
            continue
        if excluded is not None and (path.resolve() == excluded or excluded in path.resolve().parents):
            if path.resolve() == excluded:
                ignored.append((str(path), "the output folder (--out)"))
            continue
        if path.is_dir():
            continue
        if path.suffix.lower() in NOT_RECORDINGS:
            skipped[path.suffix.lower()] += 1
            ignored.append((str(path), f"not a recording ({path.suffix.lower()})"))
            continue
        category = rel.parts[0] if len(rel.parts) > 1 else None
        found.append(Entry(rel.as_posix(), path, reference, category))
    return found


def read_manifest(path: Path, default_reference: Path | None = None) -> list[Entry]:
    """Rows of a CSV manifest; paths are relative to the manifest's folder."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel writes a byte-order mark
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read manifest: {exc}") from None
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in MANIFEST_REQUIRED if c not in columns]
    unknown = [c for c in columns if c not in MANIFEST_REQUIRED + MANIFEST_OPTIONAL]
    if missing or unknown:
        problems = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + \
                   ([f"unknown column(s) {', '.join(unknown)}"] if unknown else [])
        raise InputError(f"{path}:1: {'; '.join(problems)} (columns: entry,path and optional reference,category)")
    base = path.parent
    entries = []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(row.values()):
            continue
        if not row.get("entry") or not row.get("path"):
            raise InputError(f"{path}:{line}: 'entry' and 'path' must not be empty")
        ref = row.get("reference")
        entries.append(Entry(row["entry"], base / row["path"], base / ref if ref else default_reference,
                             row.get("category") or None))
    return entries


def _unique(entries: list[Entry], ignored: list[tuple[str, str]]) -> list[Entry]:
    """The same file reached twice (a folder and a file in it) counts once; two files with one name is an error."""
    by_name: dict[str, Entry] = {}
    for entry in entries:
        seen = by_name.get(entry.name)
        if seen is None:
            by_name[entry.name] = entry
        elif _same_file(seen.path, entry.path):
            ignored.append((str(entry.path), f"given twice: already entry '{seen.name}'"))
            continue
        else:
            raise InputError(f"two entries are named '{entry.name}' ({seen.path} and {entry.path}); "
                             "name them in a manifest (entry,path)")
    return list(by_name.values())


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
