"""Which entries a run sees: folders (recursive), single files, manifests; names stable and unique."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.screening.entries import InputError, collect


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_folder_is_searched_recursively_and_names_are_relative(tmp_path):
    root = tmp_path / "entries"
    _touch(root / "b.mp4")
    _touch(root / "heat 2" / "a.mov")
    _touch(root / "heat 2" / "a.truth.json")   # sidecar files are not entries
    _touch(root / "c.weird")                    # an unknown format is an entry: it will be reported
    _touch(root / ".hidden.mp4")
    _touch(root / ".git" / "x.mp4")
    got = collect([root])
    assert [e.name for e in got.entries] == ["b.mp4", "c.weird", "heat 2/a.mov"]
    assert got.skipped == {".json": 1}


def test_output_folder_inside_the_input_is_not_scanned(tmp_path):
    _touch(tmp_path / "a.wav")
    _touch(tmp_path / "out" / "entries" / "zzz.wav")
    assert [e.name for e in collect([tmp_path], exclude=tmp_path / "out").entries] == ["a.wav"]


def test_manifest_paths_are_relative_to_it_and_references_override(tmp_path):
    _touch(tmp_path / "takes" / "one.wav")
    _touch(tmp_path / "score.mid")
    manifest = tmp_path / "m.csv"
    manifest.write_text("\ufeffentry,path,reference,category\nSolo 1,takes/one.wav,score.mid,under 12\n"
                        "Solo 2,takes/two.wav,,\n\n", encoding="utf-8")
    default = tmp_path / "default.mid"
    one, two = collect([manifest], reference=default).entries
    assert (one.name, one.path, one.reference, one.category) == \
           ("Solo 1", tmp_path / "takes" / "one.wav", tmp_path / "score.mid", "under 12")
    assert (two.path, two.reference, two.category) == (tmp_path / "takes" / "two.wav", default, None)


def test_same_file_twice_counts_once(tmp_path):
    f = _touch(tmp_path / "x.wav")
    assert len(collect([tmp_path, f]).entries) == 1


def test_duplicate_manifest_names_are_refused(tmp_path):
    manifest = tmp_path / "m.csv"
    _touch(tmp_path / "a.wav")
    _touch(tmp_path / "b.wav")
    manifest.write_text("entry,path\nsame,a.wav\nsame,b.wav\n")
    with pytest.raises(InputError, match="two entries are named 'same'"):
        collect([manifest])


def test_folder_without_recordings(tmp_path):
    _touch(tmp_path / "notes.txt")
    with pytest.raises(InputError, match="no recordings found"):
        collect([tmp_path])
