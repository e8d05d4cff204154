"""Small real corpora (rendered through edge.features), shared by the scorer tests."""

from __future__ import annotations

import pytest

TINY_MOTIONS = ("dance_a", "walk")
TINY_PIECES = ("bach-bwv66.6", "folk-lanigans-ball")
# For the learning test: four motions to train on, a fifth never seen.
LEARN_MOTIONS = ("dance_a", "walk", "punch", "jump", "kick")
HELD_OUT_MOTION = "kick"


@pytest.fixture(scope="session")
def tiny_corpus_dir(tmp_path_factory):
    from training.data.corpus_spec import CorpusSize, plan
    from training.data.corpus_store import generate

    out = tmp_path_factory.mktemp("corpus")
    generate(plan(7, CorpusSize(1, 1, 3), motions=TINY_MOTIONS, pieces=TINY_PIECES), out, jobs=2)
    return out


@pytest.fixture(scope="session")
def tiny_corpus(tiny_corpus_dir):
    from training.data.corpus_store import load_corpus

    return load_corpus(tiny_corpus_dir)


@pytest.fixture(scope="session")
def dance_corpus(tmp_path_factory):
    """120 dance clips: 5 motions x 3 families x 8 variants (about 20 s to make)."""
    from training.data.corpus_spec import CorpusSize, plan
    from training.data.corpus_store import generate, load_corpus

    out = tmp_path_factory.mktemp("dance")
    generate(plan(11, CorpusSize(3, 0, 8), motions=LEARN_MOTIONS, pieces=()), out, jobs=2)
    return load_corpus(out)
