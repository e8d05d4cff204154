"""The clean performance ranks above each copy of it with one known degradation."""

from __future__ import annotations

import pytest

from .media import DANCE_DEGRADED, MUSIC_DEGRADED


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
