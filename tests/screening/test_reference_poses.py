"""A dance reference is decoded and posed once per screening run, not once per entry, with the same results.

Real MediaPipe on the session's generated dances; the reference is the clean take's own recording.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from edge import pipeline
from edge.config import Settings
from edge.screening import keys, references
from edge.screening.runner import ScreenOptions, screen
from edge.screening.worker import Task, score_task

SETTINGS = Settings()


@pytest.fixture(scope="module")
def reference(dance_folder) -> Path:
    return dance_folder.parent / "truth" / "kick_clean.mp4"


@pytest.fixture
def decodes(monkeypatch) -> list[str]:
    """Names of the files the pipeline (edge/pipeline.py: `drain`, the one place media is decoded and
    posed, for entries and references alike) reads in this process."""
    calls: list[str] = []
    real = pipeline.drain

    def counting(source, *args, **kwargs):
        calls.append(Path(source.info.name).name)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(pipeline, "drain", counting)
    return calls


def _task(entry: Path, reference: Path) -> Task:
    return Task(key="k", path=str(entry), reference=str(reference), discipline="dance", model=None,
                content_sha256=keys.file_sha256(entry), reference_sha256=keys.file_sha256(reference), scorer={})


def _comparable(record: dict) -> dict:
    """A record without what depends on the machine's speed."""
    record = json.loads(json.dumps(record, default=str))
    for name in ("elapsed_s", "cpu_s"):
        record.pop(name, None)
    record["result"]["analysis"].pop("timings_s")
    return record


@pytest.fixture(scope="module")
def uncached_jitter(dance_folder, reference) -> dict:
    """The jittered take scored the way `perfscore score --reference` does: decoding the reference itself."""
    return score_task(_task(dance_folder / "kick_jitter.mp4", reference), SETTINGS, None)


def test_precomputed_reference_poses_give_the_same_record_without_decoding_the_reference(
        dance_folder, reference, uncached_jitter, decodes, tmp_path):
    assert uncached_jitter["status"] == "ok", uncached_jitter["error"]
    assert uncached_jitter["result"]["analysis"]["reference"]["kind"] == "dance"
    task = _task(dance_folder / "kick_jitter.mp4", reference)
    ready = references.prepare({task.reference_sha256: reference}, tmp_path, "f" * 64, SETTINGS)
    assert decodes == ["kick_clean.mp4"]                  # posed once, here
    decodes.clear()
    with_poses = score_task(replace(task, reference_poses=ready[task.reference_sha256]), SETTINGS, None)
    assert decodes == ["kick_jitter.mp4"]                 # the entry only, not the reference
    assert _comparable(with_poses) == _comparable(uncached_jitter)


def test_dance_reference_is_posed_once_per_run_for_every_entry_and_kept_for_resuming(
        dance_folder, reference, uncached_jitter, tmp_path, monkeypatch):
    # Resuming reuses results only while the scoring code is unchanged: hold its hash still, so work on
    # the code in the same tree during the test does not count as a new scorer.
    monkeypatch.setattr(keys, "code_sha256", lambda learned=False: "c0de" * 16)
    entries = [dance_folder / name for name in ("kick_clean.mp4", "kick_jitter.mp4", "kick_shifted.mp4")]
    out = tmp_path / "out"
    options = ScreenOptions(inputs=[str(p) for p in entries], out_dir=out, discipline="dance",
                            reference=reference, workers=2)
    before = references.posed
    summary = screen(options, SETTINGS)
    assert (summary.entries, summary.scored) == (3, 3)
    assert references.posed - before == 1                 # 3 entries, one reference: posed once
    kept = list((out / "references").glob("*.npz"))
    assert len(kept) == 1 and kept[0].name.startswith(keys.file_sha256(reference))
    records = {r["content_sha256"]: r for r in
               (json.loads(p.read_text()) for p in (out / "entries").glob("*.json"))}
    for record in records.values():
        timings = record["result"]["analysis"]["timings_s"]
        # The workers compared with the kept poses: the reference stage costs a fraction of posing one take.
        assert timings["reference"] < 0.25 * timings["pose"], timings
        assert record["result"]["analysis"]["reference"]["kind"] == "dance"
    jitter = records[keys.file_sha256(entries[1])]
    assert _comparable(jitter)["result"] == _comparable(uncached_jitter)["result"]

    # Resumed with one more entry: the kept poses serve it; the reference is not posed again.
    stamp = kept[0].stat().st_mtime_ns
    more = dance_folder.parent / "truth" / "kick_clean.mkv"   # the clean take remuxed: another file
    again = screen(replace(options, inputs=options.inputs + [str(more)]), SETTINGS)
    assert (again.entries, again.reused, again.scored) == (4, 3, 4)
    assert references.posed - before == 1
    assert kept[0].stat().st_mtime_ns == stamp


def test_kept_poses_load_as_they_were_saved(tmp_path):
    from tests.motion import dancer_hitting

    track = dancer_hitting(np.arange(0.5, 3.0, 0.5))
    track.present[3] = False
    track.world[3] = np.nan
    track.model = {"name": "pose_landmarker_lite", "sha256": "ab" * 32}
    path = tmp_path / "references" / "x.npz"
    references.save_track(path, track)
    loaded = references.load_track(path)
    for name in ("times", "frame_index", "image", "world", "visibility", "present"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(track, name))
    assert (loaded.fps, loaded.width, loaded.height, loaded.model) == (track.fps, track.width, track.height, track.model)
    assert [p.name for p in path.parent.iterdir()] == ["x.npz"]     # no temporary left beside it


def test_a_reference_without_video_is_not_kept(tmp_path):
    from .media import write_silence

    audio_only = write_silence(tmp_path / "choreography.wav", 1.0)   # entries then fail as without the cache
    before = references.posed
    ready = references.prepare({"a" * 64: audio_only}, tmp_path, "f" * 64, SETTINGS)
    assert ready == {} and references.posed == before
    assert not (tmp_path / "references").exists() or not any((tmp_path / "references").iterdir())
