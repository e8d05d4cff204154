"""The room a box listens in (training/data/room.py): known energy ratios and decay."""

from __future__ import annotations

import numpy as np
import pytest

from edge.errors import PerfscoreError
from training.data.room import room_impulse, room_recording

SR = 16000


@pytest.mark.parametrize("drr_db", [-6.0, 0.0, 6.0])
def test_impulse_has_the_asked_direct_to_reverberant_ratio(drr_db):
    h = room_impulse(SR, 0.5, drr_db, seed=1)
    assert h[0] == 1.0
    assert 10 * np.log10(1.0 / np.sum(h[1:] ** 2)) == pytest.approx(drr_db, abs=1e-6)


def test_impulse_decays_by_60_db_over_rt60():
    h = room_impulse(SR, 0.8, 0.0, seed=2)[1:]
    quarter = len(h) // 4
    first, last = np.mean(h[:quarter] ** 2), np.mean(h[-quarter:] ** 2)
    # Energy of the first and last quarters of the tail: 60 dB × (3/4 of RT60 between their centres) ≈ 45 dB.
    assert 10 * np.log10(first / last) == pytest.approx(45.0, abs=3.0)


def test_recording_has_the_asked_noise_level():
    t = np.arange(2 * SR) / SR
    x = 0.5 * np.sin(2 * np.pi * 440 * t)
    quiet = room_recording(x, SR, drr_db=40.0, snr_db=200.0)          # no noise, almost no room
    noisy = room_recording(x, SR, drr_db=40.0, snr_db=10.0)
    noise = noisy - quiet
    assert 10 * np.log10(np.mean(quiet ** 2) / np.mean(noise ** 2)) == pytest.approx(10.0, abs=0.1)


def test_bad_room_is_refused():
    with pytest.raises(PerfscoreError, match="RT60"):
        room_impulse(SR, 12.0, 0.0)
    with pytest.raises(PerfscoreError, match="empty"):
        room_recording(np.zeros(0), SR)
