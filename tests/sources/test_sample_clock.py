"""SampleClock against a paced card whose samples' true times are known: stalls of the reader, lost samples,
a slow card clock."""

from __future__ import annotations

import numpy as np
import pytest

from edge.sources.sample_clock import CONFIRM_S, SampleClock

RATE = 44100
BLOCK = 1024
LATENCY = 0.02


def read_times(n_blocks: int, *, stall_at: int | None = None, stall_s: float = 0.0, holds_s: float = 60.0,
               clock_rate: float = 1.0, seed: int = 0):
    """(true start of each block read, when its read returned) for a reader that stalls once.

    The card records block k during [k·BLOCK/RATE, (k+1)·BLOCK/RATE) of its own clock (`clock_rate` of the
    box's seconds per second); a read returns once its block is in (plus the latency and up to 3 ms of
    scheduling), or at once if the reader is behind. Blocks older than `holds_s` when a read comes back
    from the stall were overwritten: the reads resume at the oldest block still held.
    """
    rng = np.random.default_rng(seed)
    block_s = BLOCK / RATE * clock_rate
    starts, reads, k, ready = [], [], 0, 0.0
    while len(starts) < n_blocks:
        if stall_at is not None and len(starts) == stall_at:
            ready += stall_s
            oldest_held = int(np.ceil((ready - holds_s) / block_s))
            k = max(k, oldest_held)
        in_at = (k + 1) * block_s + LATENCY
        read_at = max(in_at, ready) + rng.uniform(0, 0.003)
        starts.append(k * block_s)
        reads.append(read_at)
        ready = read_at
        k += 1
    return np.array(starts), np.array(reads)


def placed(starts, reads):
    clock = SampleClock(RATE, not_before=0.0)
    return np.array([clock.count(r, BLOCK, LATENCY) for r in reads]), clock


def test_a_steady_reader_counts_samples():
    starts, reads = read_times(300)
    times, clock = placed(starts, reads)
    np.testing.assert_allclose(np.diff(times), BLOCK / RATE, atol=1e-12)     # contiguous
    assert np.abs(times - starts).max() < 0.005 and clock.losses == 0


@pytest.mark.parametrize("stall_s", [0.15, 0.6, 3.0])
def test_a_stall_the_card_holds_does_not_move_the_timeline(stall_s):
    """The reads after the stall come back late, then at once until the backlog is drained: nothing
    was lost, so every block keeps its true time (re-anchoring at the late read put them stall_s late)."""
    starts, reads = read_times(400, stall_at=100, stall_s=stall_s)
    assert reads[100] - reads[99] > stall_s                      # the stall happened
    times, clock = placed(starts, reads)
    assert np.abs(times - starts).max() < 0.005
    assert clock.losses == 0 and clock.lost_s == 0.0


@pytest.mark.parametrize("stall_s, holds_s", [(1.0, 0.3), (4.0, 2.0)])
def test_samples_lost_in_an_overflow_move_the_count_by_the_loss(stall_s, holds_s):
    starts, reads = read_times(500, stall_at=100, stall_s=stall_s, holds_s=holds_s)
    lost = starts[100] - starts[99] - BLOCK / RATE
    assert lost > 0.5                                              # the card dropped what it could not hold
    times, clock = placed(starts, reads)
    assert clock.losses == 1 and clock.lost_s == pytest.approx(lost, abs=0.005)
    np.testing.assert_allclose(times[:100], starts[:100], atol=0.005)
    # Found once every read has stayed late for CONFIRM_S: the blocks read meanwhile sit early by the
    # loss (they were handed out before it was known), every block from then on is on time again.
    found = np.flatnonzero(reads >= reads[100] + CONFIRM_S)[0]
    np.testing.assert_allclose(times[100:found] - starts[100:found], -lost, atol=0.005)
    np.testing.assert_allclose(times[found:], starts[found:], atol=0.005)


def test_a_card_clock_slower_than_the_box_is_caught_in_small_steps():
    """0.5 % slow (far more than a real card's ~50 ppm, to see it in a minute): each step moves the count
    by about the tolerance, and no block is ever more than the tolerance and the confirmation's drift off."""
    starts, reads = read_times(3000, clock_rate=1.005)
    times, clock = placed(starts, reads)
    assert clock.losses >= 3
    assert np.abs(times - starts).max() < 0.1 + 0.005 * CONFIRM_S + 0.01


def test_the_first_block_never_predates_the_start():
    clock = SampleClock(RATE, not_before=5.0)
    assert clock.count(read_at=5.01, samples=BLOCK, latency_s=LATENCY) == 5.0     # an unpaced device's first read
    assert clock.count(read_at=5.02, samples=BLOCK, latency_s=LATENCY) == pytest.approx(5.0 + BLOCK / RATE)
