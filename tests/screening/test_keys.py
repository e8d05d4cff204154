"""The resume key changes with everything that changes a score, and with nothing else."""

from __future__ import annotations

import shutil

from edge.config import Settings
from edge.screening import keys

from .conftest import run_screen


def _fingerprint(**sections) -> str:
    settings = Settings.model_validate(sections)
    return keys.run_fingerprint(settings, keys.current_scorer(None))


def test_scoring_settings_change_the_key_and_the_box_identity_does_not():
    base = _fingerprint()
    assert _fingerprint(scoring={"window_s": 6.0}) != base
    assert _fingerprint(audio={"onset_threshold": 0.4}) != base
    assert _fingerprint(capture={"max_width": 640}) != base   # frames are scaled before pose
    assert _fingerprint(device={"id": "venue-laptop"}) == base
    assert _fingerprint(capture={"queue_size": 8}) == base    # live capture only


def test_scorer_version_and_code_are_in_the_key():
    settings = Settings()
    scorer = keys.current_scorer(None)
    bumped = keys.Scorer(scorer.perfscore, scorer.rubric + ".1", scorer.code_sha256)
    edited = keys.Scorer(scorer.perfscore, scorer.rubric, "0" * 64)
    prints = {keys.run_fingerprint(settings, s) for s in (scorer, bumped, edited)}
    assert len(prints) == 3


def test_entry_key_depends_on_content_reference_and_discipline():
    run = "f" * 64
    base = keys.entry_key("a" * 64, None, None, run)
    assert base == keys.entry_key("a" * 64, None, None, run)
    assert len({base, keys.entry_key("b" * 64, None, None, run), keys.entry_key("a" * 64, "c" * 64, None, run),
                keys.entry_key("a" * 64, None, "music", run), keys.entry_key("a" * 64, None, None, "e" * 64)}) == 5


def test_a_renamed_recording_is_not_scored_again(tmp_path, music_manifest):
    first = tmp_path / "take.wav"
    shutil.copy(music_manifest.parent / "lascia_jitter.wav", first)
    out = tmp_path / "out"
    assert run_screen(first, out=out).code == 0
    renamed = tmp_path / "moved" / "Solo 7 - final.wav"
    renamed.parent.mkdir()
    first.rename(renamed)
    again = run_screen(renamed, out=out)
    assert again.code == 0 and "1 reused from earlier runs" in again.stderr
    assert again.rows()["Solo 7 - final.wav"]["status"] == "ok"
