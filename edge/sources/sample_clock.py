"""Where a sound card's samples sit on the capture clock: counted, and re-anchored only when samples were lost.

A read returns once its samples are in, so the time it returns, less the block's duration and the input
latency, is the latest the block can have started. Counting samples from the first block keeps chunks
exactly contiguous. A read that comes back late does not mean samples were lost: the sound server
(PulseAudio or PipeWire, the default on Raspberry Pi OS) or the driver holds them through a stall of the
reader, and the reads that follow return at once until the backlog is drained. Re-anchoring on the first
late read shifted every later chunk by the stall, for good (a 0.5 s stall put the audio 0.5 s late against
the camera). Samples were lost only when the reads stay late after the backlog could have drained: then
the count moves by the least lateness seen meanwhile, which is the loss (or a card clock slower than the
box's, caught in steps of the tolerance).
"""

from __future__ import annotations

LATE_TOLERANCE_S = 0.1      # lateness the count absorbs: read jitter, a scheduler's hiccup
CONFIRM_S = 0.5             # how long every read must stay late before samples count as lost


class SampleClock:
    """The capture-clock time of counted samples: `anchor` + samples counted since it / `sample_rate`."""

    def __init__(self, sample_rate: int, not_before: float):
        self.sample_rate = sample_rate
        self.not_before = not_before         # no sample predates the stream's start (a device not paced)
        self.anchor: float | None = None     # capture-clock time of the first counted sample, moved on by each loss
        self.counted = 0
        self.lost_s = 0.0                    # samples' time skipped at the losses found so far
        self.losses = 0
        self._late_since: float | None = None
        self._least_late = 0.0

    def count(self, read_at: float, samples: int, latency_s: float = 0.0) -> float:
        """Count a block of `samples` read at `read_at`; the capture-clock time of its first sample."""
        latest_start = read_at - samples / self.sample_rate - latency_s
        if self.anchor is None:
            self.anchor = max(latest_start, self.not_before)
        else:
            self._check_lost(read_at, latest_start - self.expected_start())
        start = self.expected_start()
        self.counted += samples
        return start

    def expected_start(self) -> float:
        """Where the next block starts if no sample was lost."""
        assert self.anchor is not None
        return self.anchor + self.counted / self.sample_rate

    def _check_lost(self, read_at: float, late: float) -> None:
        if late <= LATE_TOLERANCE_S:
            self._late_since = None          # the backlog drained: nothing was lost
            return
        if self._late_since is None:
            self._late_since, self._least_late = read_at, late
            return
        self._least_late = min(self._least_late, late)
        if read_at - self._late_since >= CONFIRM_S:
            self.anchor += self._least_late
            self.lost_s += self._least_late
            self.losses += 1
            self._late_since = None
