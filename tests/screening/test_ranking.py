"""The clean performance ranks above each copy of it with one known degradation."""

from __future__ import annotations

import pytest

from .media import DANCE_DEGRADED, DRUM_BACKED_DEGRADED, MUSIC_DEGRADED, POLYPHONIC_DEGRADED


def _explain(rows: dict, clean: str, degraded: str) -> str:
    cols = ("overall", "rhythm", "sync", "technique", "expression", "interpretation")
    return "; ".join(f"{name}: " + ", ".join(f"{c}={rows[name][c] or '-'}" for c in cols)
                     for name in (clean, degraded))


@pytest.mark.parametrize("degradation", sorted(DANCE_DEGRADED))
def test_clean_dance_ranks_above_degraded_copy(dance_run, degradation):
    rows = dance_run.rows()
    degraded = DANCE_DEGRADED[degradation]
    clean, copy = rows["kick_clean.mp4"], rows[degraded]
    assert clean["status"] == copy["status"] == "ok", _explain(rows, "kick_clean.mp4", degraded)
    assert int(clean["rank"]) < int(copy["rank"]), \
        f"{degradation} ranks above the clean dance: " + _explain(rows, "kick_clean.mp4", degraded)
    assert float(clean["overall"]) > float(copy["overall"])


@pytest.mark.parametrize("degradation", sorted(MUSIC_DEGRADED))
def test_clean_music_ranks_above_degraded_copy(music_run, degradation):
    rows = music_run.rows()
    degraded = MUSIC_DEGRADED[degradation]
    clean, copy = rows["lascia_clean"], rows[degraded]
    assert clean["status"] == copy["status"] == "ok", _explain(rows, "lascia_clean", degraded)
    assert int(clean["rank"]) < int(copy["rank"]), \
        f"{degradation} ranks above the clean performance: " + _explain(rows, "lascia_clean", degraded)
    assert float(clean["overall"]) > float(copy["overall"])


POLYPHONIC_CASES = [("h186", degradation, take) for degradation, take in POLYPHONIC_DEGRADED.items()] + [
    ("chorale_drums", degradation, take) for degradation, take in DRUM_BACKED_DEGRADED.items()]


@pytest.mark.parametrize("stem,degradation,take", POLYPHONIC_CASES)
def test_clean_polyphonic_take_ranks_above_every_faulty_copy(polyphonic_run, stem, degradation, take):
    """Issue 9's 'done when': piano with both hands, and a four-voice chorale over a drum kit, each
    against its score: the clean take above each copy with one fault."""
    rows = polyphonic_run.rows()
    clean, copy = f"{stem}_clean", f"{stem}_{take}"
    assert rows[clean]["status"] == rows[copy]["status"] == "ok", _explain(rows, clean, copy)
    assert float(rows[clean]["overall"]) > float(rows[copy]["overall"]), \
        f"{degradation} ranks above the clean take: " + _explain(rows, clean, copy)
    assert int(rows[clean]["rank"]) < int(rows[copy]["rank"])
