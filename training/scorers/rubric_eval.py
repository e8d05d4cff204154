"""The box's rubric on corpus clips: re-render a recipe, measure it as the box does, score it with the rubric.

The corpus stores only the model input (`edge.features.sequence`), not the pose track and samples the
rubric measures, so a clip is rendered again from its seeded recipe (the same `corpus_render` code,
bit-for-bit the same clip) while its pose track and audio samples are captured on the way. They go
through `edge.analysis.measure` (what `perfscore analyze` runs on a decoded file) and
`edge.scoring.rubric.score_analysis` (what `perfscore score` prints): no second rubric lives here.

Without a reference (the task of round 2's `without_reference` block): the rubric then leaves
interpretation out, as the visible-only labels do. The rubric *with* the reference is scored in the same
re-rendering pass that measures every clip against its reference (round2_reference.measure_clip).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

import numpy as np

from edge.scoring.result import SUBSCORES
from training.data.corpus_store import chunk_results


@contextlib.contextmanager
def _capturing():
    """Record the pose track and audio samples `corpus_render` turns into features (module globals it calls)."""
    from training.data import corpus_render

    seen: dict = {}
    real_features, real_sequence = corpus_render.extract_audio_features, corpus_render.feature_sequence

    def features(samples, cfg, *a, **k):
        seen["samples"] = np.asarray(samples, np.float32)
        return real_features(samples, cfg, *a, **k)

    def sequence(track, audio, duration, *a, **k):
        seen["track"], seen["duration"] = track, float(duration)
        return real_sequence(track, audio, duration, *a, **k)

    corpus_render.extract_audio_features, corpus_render.feature_sequence = features, sequence
    corpus_render._dance_audio.cache_clear()      # a cached backing track would skip the capture
    try:
        yield seen
    finally:
        corpus_render.extract_audio_features, corpus_render.feature_sequence = real_features, real_sequence
        corpus_render._dance_audio.cache_clear()


def rendered_media(spec, settings):
    """(pose track or None, audio samples, SourceInfo) of a recipe's clip as the box would receive it:
    the corpus renderer is run and its media captured before it turns them into features."""
    from edge.sources.base import SourceInfo
    from training.data.corpus_render import render

    with _capturing() as seen:
        render(spec)
    track, samples = seen.get("track"), seen["samples"]
    info = SourceInfo(spec.id, has_video=track is not None, has_audio=True, fps=30.0 if track is not None else None,
                      sample_rate=settings.audio.sample_rate, duration_s=seen["duration"],
                      video_start_s=0.0 if track is not None else None, audio_start_s=0.0)
    return track, samples, info


def rubric_scores(spec, settings=None) -> dict:
    """{sub-score: value or None, "overall": …, "grade": …} of the box's rubric on the recipe's clip."""
    from edge.analysis import measure
    from edge.config import Settings
    from edge.scoring.rubric import score_analysis

    settings = settings or Settings()
    track, samples, info = rendered_media(spec, settings)
    analysis = measure(spec.id, info, track, samples, {}, settings)
    result = score_analysis(analysis, settings, spec.discipline)
    return {**{n: result.value(n) for n in SUBSCORES}, "overall": result.overall, "grade": result.grade}


def _chunk(args) -> tuple[int, float]:
    index, specs, out = args
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    start = time.process_time()
    rows = []
    for spec in specs:
        try:
            rows.append({"id": spec.id, **rubric_scores(spec)})
        except Exception as exc:          # a clip the rubric cannot score is reported, not fatal
            rows.append({"id": spec.id, "error": f"{type(exc).__name__}: {exc}"})
    path = Path(out) / f"rubric-{index:05d}.json"
    tmp = path.with_name("tmp-" + path.name)
    tmp.write_text(json.dumps(rows))
    os.replace(tmp, path)
    return len(specs), time.process_time() - start


def generate_rubric(specs: list, out: str | Path, jobs: int = 1, chunk: int = 24, progress=None) -> dict:
    """Rubric scores of `specs` into `out/rubric-*.json` (resumable like the corpus shards)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    chunks = [specs[i:i + chunk] for i in range(0, len(specs), chunk)]
    todo = [(i, c, str(out)) for i, c in enumerate(chunks) if not (out / f"rubric-{i:05d}.json").exists()]
    done = len(specs) - sum(len(c) for _, c, _ in todo)
    wall = time.perf_counter()
    with chunk_results(_chunk, todo, jobs) as results:
        for n, _ in results:
            done += n
            if progress:
                progress(done, len(specs))
    return {"clips": len(specs), "rendered": sum(len(c) for _, c, _ in todo), "wall_time_s": time.perf_counter() - wall}


def load_rubric(folder: str | Path) -> dict[str, dict]:
    """id → rubric scores, from every rubric-*.json in `folder`."""
    rows = {}
    for path in sorted(Path(folder).glob("rubric-*.json")):
        for row in json.loads(path.read_text()):
            rows[row["id"]] = row
    return rows
