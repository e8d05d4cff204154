"""Real windows for quantisation: calibration from the training folds, parity on the held-out test split.

Both come from the scorer corpus (training/data: motion capture and music21 pieces rendered through
edge.features), cut into windows exactly as the box cuts a performance (edge/scoring/learned/windows.py).
The test split holds motions and pieces no model was trained on (corpus_spec.TEST_MOTIONS / TEST_PIECES),
so parity is measured where the models have never been.

Without the full training corpus (`.cache/corpus/full`, an hour to make) a small one is rendered on
first use into `.cache/corpus/export` (EXPORT_PLAN: both disciplines, every test source and as many
training sources, a couple of minutes on two cores) and reused after.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge import PROJECT_ROOT

EXPORT_CORPUS = PROJECT_ROOT / ".cache" / "corpus" / "export"
FULL_CORPUS = PROJECT_ROOT / ".cache" / "corpus" / "full"
CALIBRATION_WINDOWS = 1024
PARITY_WINDOWS = 1024
SEED = 0                 # the full corpus's seed: calibration clips are clips the models were trained on


def _export_plan():
    from training.data.corpus_spec import (ALL_PIECES, MOTIONS, TEST_MOTIONS, TEST_PIECES, CorpusSize, plan)

    train_motions = tuple(m for m in MOTIONS if m not in TEST_MOTIONS)[:6]
    train_pieces = tuple(p for p in ALL_PIECES if p not in TEST_PIECES)[:6]
    return plan(SEED, CorpusSize(2, 1, 4), motions=TEST_MOTIONS + train_motions, pieces=TEST_PIECES + train_pieces)


def ensure_corpus(corpus: Path | None = None, jobs: int = 2, progress=print) -> Path:
    """The corpus to draw windows from: `corpus` if given, the full one if made, else the export one
    (rendered now when missing; resumable)."""
    if corpus is not None:
        if not Path(corpus).exists():
            from edge.errors import PerfscoreError
            raise PerfscoreError(f"{corpus}: no such corpus folder")
        return Path(corpus)
    if (FULL_CORPUS / "plan.json").exists():
        return FULL_CORPUS
    from training.data.corpus_store import generate

    recipes = _export_plan()
    if not all((EXPORT_CORPUS / f"shard-{i:05d}.npz").exists() for i in range(-(-len(recipes.specs) // 48))):
        progress(f"rendering {len(recipes.specs)} corpus clips into {EXPORT_CORPUS} (once; reused after)")
        generate(recipes, EXPORT_CORPUS, jobs=jobs)
    return EXPORT_CORPUS


def _windows(corpus: Path, keep, n: int, seed: int) -> np.ndarray:
    from edge.scoring.learned.windows import model_frames, stack_windows, window_starts
    from training.data.corpus_store import load_corpus

    data = load_corpus(corpus).select(keep)
    if not len(data):
        from edge.errors import PerfscoreError
        raise PerfscoreError(f"{corpus}: no clips of the split asked for")
    out = []
    for i, e in enumerate(data.entries):
        frames = model_frames(np.asarray(data.pose[i], np.float32), np.asarray(data.audio[i], np.float32),
                              e["discipline"])
        out.append(stack_windows(frames, window_starts(len(frames))))
    windows = np.concatenate(out)
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(windows), size=min(n, len(windows)), replace=False)
    return windows[np.sort(pick)].astype(np.float32)


def calibration_windows(corpus: Path, n: int = CALIBRATION_WINDOWS, seed: int = 0) -> np.ndarray:
    """Windows of the training folds (dance and music), for static quantisation's ranges."""
    return _windows(corpus, lambda e: e["split"] != "test", n, seed)


def heldout_windows(corpus: Path, n: int = PARITY_WINDOWS, seed: int = 1) -> np.ndarray:
    """Windows of the held-out test split, for parity (int8 against torch)."""
    return _windows(corpus, lambda e: e["split"] == "test", n, seed)
