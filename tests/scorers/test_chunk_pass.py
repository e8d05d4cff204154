"""The resumable chunked pass round 2's reference and fine passes run on: a complete chunk is never redone."""

import json

import numpy as np

from training.scorers.chunk_pass import run_chunks, write_chunk

CALLS = []


def _work(args):
    index, specs, out = args
    CALLS.append(index)
    write_chunk(out, "demo", index, [{"id": s} for s in specs], {s: np.full(3, len(s), np.float32) for s in specs})
    return len(specs), 0.0


def test_a_rerun_computes_only_the_chunks_that_are_not_complete(tmp_path):
    specs = [f"clip-{i}" for i in range(7)]
    CALLS.clear()
    first = run_chunks(_work, specs, tmp_path, "demo", chunk=3)
    assert CALLS == [0, 1, 2] and first["computed"] == 7 and first["clips"] == 7
    assert json.loads((tmp_path / "demo-00002.json").read_text()) == [{"id": "clip-6"}]
    with np.load(tmp_path / "demo-00001.npz") as data:
        assert sorted(data.files) == ["clip-3", "clip-4", "clip-5"]
    (tmp_path / "demo-00001.json").unlink()        # as if the run had stopped while writing chunk 1
    CALLS.clear()
    again = run_chunks(_work, specs, tmp_path, "demo", chunk=3)
    assert CALLS == [1] and again["computed"] == 3
    assert not list(tmp_path.glob("tmp-*"))


def test_a_pass_that_did_nothing_adds_no_timing(tmp_path):
    from training.scorers.chunk_pass import timing_history

    assert timing_history(tmp_path, {"computed": 4}, True) == [{"computed": 4}]
    assert timing_history(tmp_path, {"computed": 0}, False) == [{"computed": 4}]
    assert json.loads((tmp_path / "timing.json").read_text()) == [{"computed": 4}]
