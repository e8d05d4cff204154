"""The fixed-shape TFLite wrapper of the whole-take models (export/scorers_round2.py PaddedTakeModel):
zero-padded windows and a mask give exactly what the model gives on the unpadded take — for the round-2
models and for the with-reference ReferenceModel (gru_ref's TFLite file), both contexts."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from export.scorers_round2 import _torch  # noqa: E402
from training.scorers.hierarchical import make_model  # noqa: E402
from training.scorers.round2_reference import make_reference_model  # noqa: E402

MAX = 9


def _take(n_windows: int, width: int, seed: int) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).normal(0, 1, (n_windows, 60, width)).astype(np.float32))


@pytest.mark.parametrize("arch,context", [("gru", "mean"), ("gru", "hier"), ("lstm", "hier")])
@pytest.mark.parametrize("reference", [False, True])
def test_padded_take_equals_the_unpadded_take(arch, context, reference):
    torch.manual_seed(3)
    model = (make_reference_model if reference else make_model)(arch, context, 8, 0.0).eval()
    with torch.no_grad():     # the heads start near zero: give them weights so the test can fail
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    TakeModel, PaddedTakeModel = _torch()
    width = 98 if reference else 72
    for n, seed in ((3, 0), (MAX, 1), (1, 2)):
        windows = _take(n, width, seed)
        padded = torch.zeros(MAX, 60, width)
        padded[:n] = windows
        padded[n:] = 5.0                     # whatever lies after the take must not count
        mask = torch.zeros(MAX)
        mask[:n] = 1.0
        with torch.no_grad():
            want = TakeModel(model)(windows)
            got = PaddedTakeModel(model)(padded, mask)
        assert got.shape == want.shape == (1, 5)
        assert float(want.std()) > 0.01           # outputs that differ per sub-score
        torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-5)
