"""A tiny real corpus (rendered through edge.features), shared by the scorer tests."""

from __future__ import annotations

import pytest

TINY_MOTIONS = ("dance_a", "walk", "jump", "punch")
TINY_PIECES = ("bach-bwv66.6", "bach-bwv269", "folk-lanigans-ball", "mozart-k80-1", "bach-bwv254", "bach-bwv403")


@pytest.fixture(scope="session")
def tiny_corpus_dir(tmp_path_factory):
    from training.data.corpus_spec import CorpusSize, plan
    from training.data.corpus_store import generate

    out = tmp_path_factory.mktemp("corpus")
    generate(plan(7, CorpusSize(1, 1, 8), motions=TINY_MOTIONS, pieces=TINY_PIECES), out, jobs=2)
    return out


@pytest.fixture(scope="session")
def tiny_corpus(tiny_corpus_dir):
    from training.data.corpus_store import load_corpus

    return load_corpus(tiny_corpus_dir)
