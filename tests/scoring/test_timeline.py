"""The rubric's timeline: windows of `window_s` every `hop_s`, the last one ending at the end, none twice."""

import pytest

from edge.scoring.rubric import timeline_windows


@pytest.mark.parametrize("duration, expected", [
    (5.0, [(0.0, 5.0)]),                                   # shorter than a window: the whole piece
    (12.0, [(0.0, 8.0), (4.0, 12.0)]),
    (13.0, [(0.0, 8.0), (4.0, 12.0), (5.0, 13.0)]),        # the last window ends at the end
    (12.0004, [(0.0, 8.0), (4.0, 12.0)]),                  # a hair over whole hops: no repeated window
])
def test_timeline_windows(duration, expected):
    assert timeline_windows(duration, 8.0, 4.0) == expected
