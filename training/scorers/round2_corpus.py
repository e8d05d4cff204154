"""Round 2's corpus and the rubric pass over it.

`ROUND2_SIZE` sits between `small` and `full` (corpus_spec.SIZES): the same seeded recipes as the first
8 dance families of every motion and the first 4 music families of every piece of `full` (a family's
recipes depend only on (seed, source, index)), so its clips are a subset of the full corpus. The test
split is the same 3 motions and 6 pieces whatever the size: more families do not add test sources.

The rubric is run (rubric_eval) on every test clip and on the training folds' clips of the first
`CALIBRATION_FAMILIES` families of each source: enough to fit a monotone calibration per sub-score,
without re-rendering the whole corpus.
"""

from __future__ import annotations

import json
from pathlib import Path

from training.data.corpus_spec import CorpusSize, plan, split_of

ROUND2_SIZE = CorpusSize(8, 4, 8)
CALIBRATION_FAMILIES = {"dance": 1, "music": 1}


def family_index(spec) -> int:
    return int(spec.family.rsplit("-", 1)[1])


def rubric_specs(recipes) -> list:
    """The recipes the rubric is run on: every test clip, and the calibration families of the folds."""
    out = []
    for s in recipes.specs:
        if split_of(s.group, s.discipline, recipes.seed) == "test" or \
                family_index(s) < CALIBRATION_FAMILIES[s.discipline]:
            out.append(s)
    return out


def prepare(corpus: str | Path, size: CorpusSize = ROUND2_SIZE, seed: int = 0, jobs: int = 1,
            rubric: bool = True, progress=None) -> dict:
    """Generate (or resume) the corpus into `corpus` and the rubric's scores into `corpus/rubric/`."""
    from training.data.corpus_store import generate

    from .rubric_eval import generate_rubric

    recipes = plan(seed, size)
    timing = {"corpus": generate(recipes, corpus, jobs=jobs, progress=progress)}
    if rubric:
        specs = rubric_specs(recipes)
        timing["rubric"] = generate_rubric(specs, Path(corpus) / "rubric", jobs=jobs, progress=progress)
    # A resumed run renders nothing: keep the figures of the runs that did the work.
    path = Path(corpus) / "round2-timing.json"
    history = json.loads(path.read_text()) if path.exists() else []
    history = history if isinstance(history, list) else [history]
    if not history or timing["corpus"]["rendered"] or timing.get("rubric", {}).get("rendered"):
        history.append(timing)
        path.write_text(json.dumps(history, indent=1))
    return {"this_run": timing, "runs_that_rendered": history}
