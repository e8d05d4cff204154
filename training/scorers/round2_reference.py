"""Round 2 *with a reference*: the box's alignment measurements of every corpus clip, cached per clip.

Each clip is rendered again from its seeded recipe (as `rubric_eval` does; bit-for-bit the clip the
corpus stored) and measured by `edge.analysis.measure` *with its reference* — exactly what
`perfscore analyze --reference` runs:
- music: the reference is the written passage (`corpus_pieces.excerpt` of the piece at the family's
  tempo) as a MIDI file (`midi.write_score_midi`); the box aligns the performance to it
  (`reference_music.compare_to_midi`): per-note played / wrong / missed, onset deviation, cents.
- dance: the reference is a recording of the choreography: the family's motion danced clean at the
  family's tempo, seen by the same camera and estimator noise model but with its own noise seed (a
  second take, never one of the family's variants: a clean variant must not match it exactly); the
  box aligns the poses by DTW (`reference_dance.compare_to_reference`): joint-angle error, lag, mirror.

From the comparison, `edge.features.reference_frames` builds the model's extra input (per-frame
channels on the corpus's own 30-fps timeline, and a take-level summary), and the box's rubric
scores the clip with the reference (`edge.scoring.rubric.score_analysis`, interpretation included).

Output, resumable like the corpus shards (`<corpus>/reference/`): `reference-NNNNN.json` (per clip:
id, rubric scores with the reference, summary, comparison summary, CPU seconds, or `error` with the
reason) and `reference-NNNNN.npz` (per clip: `<id>` → (T, N_REFERENCE) float16 channels). A clip
whose measurement fails is recorded with its reason and left out of the with-reference task: never
zero-filled.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.features.reference_frames import (N_REFERENCE, N_SUMMARY, REFERENCE_NAMES, SUMMARY_NAMES,
                                            mirror_evidence, reference_frames, reference_inputs, reference_summary)
from edge.scoring.result import SUBSCORES

from .chunk_pass import compute_chunk, run_chunks, timing_history

REFERENCE_FORMAT = "perfscore.reference-measurements/1"


def reference_spec(spec):
    """The dance family's reference take: clean, same tempo, camera and noise model, its own seed."""
    from training.data.corpus_spec import stable_int

    return dataclasses.replace(spec, id=f"{spec.family}-reference", variant=-1, faults={}, level="clean",
                               seed=int(stable_int("reference", spec.family) % 2**31))


_REFERENCE_POSES: dict = {}


def family_reference_pose(spec):
    """The reference take's pose track, rendered once per family (a family's variants are consecutive).
    Keyed on the whole reference recipe: two corpora may share family names, not recipes."""
    ref = reference_spec(spec)
    key = json.dumps(dataclasses.asdict(ref), sort_keys=True, default=str)
    if key not in _REFERENCE_POSES:
        from training.data.corpus_render import render

        from .rubric_eval import _capturing

        with _capturing() as seen:
            render(ref)
        if seen.get("track") is None:
            raise ValueError(f"{spec.family}: the reference take has no pose track")
        _REFERENCE_POSES.clear()
        _REFERENCE_POSES[key] = seen["track"]
    return _REFERENCE_POSES[key]


def write_reference_midi(spec, path: Path) -> Path:
    from training.data.corpus_pieces import excerpt
    from training.data.midi import write_score_midi
    from training.data.scores import load_melody

    passage = excerpt(load_melody(spec.piece_id), spec.start_beat, spec.n_beats)
    return write_score_midi(passage, path, tempo_bpm=spec.tempo_bpm)


@dataclass
class Measured:
    id: str
    frames: np.ndarray          # (T, N_REFERENCE)
    summary: np.ndarray         # (N_SUMMARY,)
    rubric: dict                # sub-scores, overall, grade with the reference
    comparison: dict            # the comparison's own summary (docs/analysis.md), per-note list dropped


def measure_clip(spec, settings=None) -> Measured:
    """The box's measurements of one recipe's clip against its reference. Raises ValueError with the
    reason when the box finds no comparison (its warnings say why)."""
    from edge.analysis import measure
    from edge.config import Settings
    from edge.features.sequence import FRAME_RATE
    from edge.scoring.rubric import score_analysis

    from .rubric_eval import rendered_media

    settings = settings or Settings()
    ref_pose = family_reference_pose(spec) if spec.discipline == "dance" else None
    track, samples, info = rendered_media(spec, settings)
    with tempfile.TemporaryDirectory(prefix="perfscore-ref-") as scratch:
        if spec.discipline == "music":
            reference = write_reference_midi(spec, Path(scratch) / "reference.mid")
        else:
            reference = Path(scratch) / "reference.mp4"     # never opened: its poses are given
        analysis = measure(spec.id, info, track, samples, {}, settings, reference=reference, reference_pose=ref_pose)
    comparison = analysis.reference
    if comparison is None:
        raise ValueError("no comparison with the reference: " + ("; ".join(analysis.warnings) or "no reason given"))
    mirror = mirror_evidence(ref_pose, track, comparison) if spec.discipline == "dance" else None
    times = (np.arange(int(np.floor(info.duration_s * FRAME_RATE))) + 0.5) / FRAME_RATE   # feature_sequence's
    result = score_analysis(analysis, settings, spec.discipline)
    summary = comparison.summary()
    summary.pop("per_note", None)
    summary.pop("joint_angle_error_deg", None)
    return Measured(spec.id, reference_frames(comparison, times, mirror), reference_summary(comparison, mirror),
                    {**{n: result.value(n) for n in SUBSCORES}, "overall": result.overall, "grade": result.grade},
                    summary)


def _measured_row(spec) -> tuple[dict, dict]:
    m = measure_clip(spec)        # a clip the box cannot compare raises: an error row with its reason
    return ({"rubric": m.rubric, "summary": [round(float(v), 5) for v in m.summary], "comparison": m.comparison},
            {spec.id: m.frames.astype(np.float16)})


def _chunk(args) -> tuple[int, float]:
    index, specs, out = args
    return compute_chunk(index, specs, out, "reference", _measured_row)


def generate_reference(specs: list, out: str | Path, jobs: int = 1, chunk: int = 16, progress=None) -> dict:
    """Reference measurements of `specs` into `out/` (resumable: complete chunks are skipped)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "format.json").write_text(json.dumps({"format": REFERENCE_FORMAT, "channels": N_REFERENCE,
                                                 "summary": N_SUMMARY, "chunk": chunk}))
    timing = run_chunks(_chunk, specs, out, "reference", jobs=jobs, chunk=chunk, progress=progress)
    timing["measured"] = timing.pop("computed")
    return timing


@dataclass
class ReferenceStore:
    rows: dict[str, dict]             # id → row (with "error" when the measurement failed)
    frames: dict[str, np.ndarray]     # id → (T, N_REFERENCE) float16, measured clips only
    timing: list = dataclasses.field(default_factory=list)   # the passes that measured (timing.json)

    def failed(self) -> dict[str, str]:
        return {k: r["error"] for k, r in self.rows.items() if "error" in r}

    def rubric_rows(self) -> dict[str, dict]:
        """id → {sub-score: …, overall, grade}: the rubric with the reference, as rubric_eval.load_rubric gives."""
        return {k: {"id": k, **r["rubric"]} for k, r in self.rows.items() if "error" not in r}


def load_reference(folder: str | Path) -> ReferenceStore:
    rows, frames = {}, {}
    for path in sorted(Path(folder).glob("reference-*.json")):
        for row in json.loads(path.read_text()):
            rows[row["id"]] = row
        with np.load(path.with_suffix(".npz")) as data:
            for key in data.files:
                frames[key] = data[key]
    timing = Path(folder) / "timing.json"
    return ReferenceStore(rows, frames, json.loads(timing.read_text()) if timing.exists() else [])


def measurement_order(recipes) -> list:
    """Recipes in the order the pass measures them: every test clip first, then the training folds family
    index by family index (family 0 of every motion and piece, then family 1, …), so any prefix of the
    pass is a stratified share of the folds; a family's variants stay together (one reference take)."""
    from training.data.corpus_spec import split_of

    from .round2_corpus import family_index

    test = [s for s in recipes.specs if split_of(s.group, s.discipline, recipes.seed) == "test"]
    rest = [s for s in recipes.specs if split_of(s.group, s.discipline, recipes.seed) != "test"]
    rest.sort(key=lambda s: (family_index(s), s.discipline, s.group, s.variant))
    return test + rest


def prepare_reference(corpus: str | Path, size=None, seed: int = 0, jobs: int = 1, limit: int | None = None,
                      progress=None) -> dict:
    """Measure (or resume measuring) the corpus's clips against their references into `corpus/reference/`.
    `limit`: only the first `limit` recipes of `measurement_order` (a documented subset)."""
    from training.data.corpus_spec import plan

    from .round2_corpus import ROUND2_SIZE

    specs = measurement_order(plan(seed, size or ROUND2_SIZE))
    specs = specs if limit is None else specs[:limit]
    out = Path(corpus) / "reference"
    timing = generate_reference(specs, out, jobs=jobs, chunk=8, progress=progress)
    return {"this_run": timing, "runs_that_measured": timing_history(out, timing, timing["measured"] > 0)}


# ---------------------------------------------------------------- the with-reference task's input

def reference_task_clips(corpus, store: ReferenceStore):
    """The with-reference task's clips of `corpus`: full labels (interpretation judged), each clip's 72
    frame features followed by its reference inputs. Clips whose measurement failed or was not run are
    left out (listed in `excluded`), never zero-filled."""
    from .round2 import task_clips

    keep = {e["id"] for e in corpus.entries if e["id"] in store.frames and "error" not in store.rows.get(e["id"], {})}
    excluded = {e["id"]: store.rows[e["id"]]["error"] if "error" in store.rows.get(e["id"], {}) else "not measured"
                for e in corpus.entries if e["id"] not in keep}
    clips = task_clips(corpus.select(lambda e: e["id"] in keep), visible_only=False)
    for i, e in enumerate(clips.entries):
        extra = reference_inputs(store.frames[e["id"]], np.array(store.rows[e["id"]]["summary"], np.float32))
        if len(extra) != len(clips.frames[i]):
            raise ValueError(f"{e['id']}: {len(extra)} reference frames for {len(clips.frames[i])} feature frames "
                             "(the reference pass and the corpus disagree: regenerate one of them)")
        clips.frames[i] = np.concatenate([clips.frames[i].astype(np.float32), extra], axis=1).astype(np.float16)
    clips.with_reference = True
    clips.excluded = excluded
    return clips


def reference_meta(store: ReferenceStore, splits) -> dict:
    """What results.json says about the reference pass: clips measured, failures with their reasons,
    clips left out of each split, CPU seconds per clip."""
    cpu = np.array([r.get("cpu_s", np.nan) for r in store.rows.values() if "error" not in r], float)
    by_discipline = {d: np.array([r["cpu_s"] for k, r in store.rows.items() if k.startswith(d) and "error" not in r])
                     for d in ("dance", "music")}
    return {"format": REFERENCE_FORMAT, "measured": len(store.rows) - len(store.failed()), "failed": store.failed(),
            "excluded_per_split": {name: len(c.excluded) for name, c in zip(("train", "validation", "test"), splits)},
            "clips_per_split": {name: len(c) for name, c in zip(("train", "validation", "test"), splits)},
            "cpu_s_per_clip": {"median": round(float(np.nanmedian(cpu)), 2) if len(cpu) else None,
                               **{d: round(float(np.median(v)), 2) for d, v in by_discipline.items() if len(v)}},
            "channels": list(REFERENCE_NAMES), "summary": list(SUMMARY_NAMES), "runs_that_measured": store.timing}


def calibration_rows(store: ReferenceStore, entries: list[dict]) -> dict[str, dict]:
    """The rubric-with-reference rows of the same clips the rubric pass without a reference scores: every
    test clip and the calibration families of the folds (round2_corpus), so both rubric rows are fitted
    and tested alike."""
    from .round2_corpus import CALIBRATION_FAMILIES

    rows = store.rubric_rows()
    keep = {e["id"] for e in entries if e["split"] == "test"
            or int(e["family"].rsplit("-", 1)[1]) < CALIBRATION_FAMILIES[e["discipline"]]}
    return {k: r for k, r in rows.items() if k in keep}


# ---------------------------------------------------------------- models with the reference

def make_reference_model(arch: str, context: str, width: int, dropout: float, mean=None, std=None):
    """Round 2's model over the 72 frame features, with the reference inputs beside them (ReferenceModel)."""
    import torch

    from edge.scoring.learned.windows import N_FEATURES

    base = None if mean is None else (torch.as_tensor(mean[:N_FEATURES]), torch.as_tensor(std[:N_FEATURES]))
    extra = None if mean is None else (torch.as_tensor(mean[N_FEATURES:]), torch.as_tensor(std[N_FEATURES:]))
    return _reference_model_class()(arch, context, width, dropout, base, extra)


@functools.lru_cache(maxsize=1)
def _reference_model_class():
    import torch
    from torch import nn

    from edge.scoring.learned.windows import N_FEATURES

    from .hierarchical import _masked_mean, make_model
    from .models import N_OUT

    class ReferenceModel(nn.Module):
        """Frame features → the round-2 model's window embeddings (or window scores); the reference
        channels of each window (mean and max over its frames) beside them; the take summary into the
        head. hier: [window embedding, reference window stats] → GRU over the take → heads that also read
        the summary. mean: the window model's scores + a small MLP of the window's reference stats and
        the summary, averaged over windows."""

        def __init__(self, arch, context, width, dropout, base=None, extra=None):
            super().__init__()
            self.arch, self.context, self.width, self.dropout = arch, context, width, dropout
            mean, std = base if base is not None else (None, None)
            self.base = make_model(arch, context, width, dropout, mean, std)
            n_extra = N_REFERENCE + N_SUMMARY
            self.register_buffer("extra_mean", torch.zeros(n_extra) if extra is None else extra[0].float().clone())
            self.register_buffer("extra_std", torch.ones(n_extra) if extra is None else
                                 extra[1].float().clamp_min(1e-2).clone())
            n_window = 2 * N_REFERENCE
            if context == "hier":
                self.mix = nn.Linear(width + n_window, width)
                self.sequence = nn.GRU(width, width, batch_first=True)
                self.summary = nn.Linear(N_SUMMARY, width)
                self.head = nn.Linear(4 * width, N_OUT)
                nn.init.normal_(self.head.weight, std=0.01)
                nn.init.constant_(self.head.bias, 0.5)
            else:
                self.correction = nn.Sequential(nn.Linear(n_window + N_SUMMARY, width), nn.GELU(),
                                                nn.Linear(width, N_OUT))
                nn.init.zeros_(self.correction[-1].weight)
                nn.init.zeros_(self.correction[-1].bias)
            self.drop = nn.Dropout(dropout)

        def _extra(self, x):
            z = (x[..., N_FEATURES:] - self.extra_mean) / self.extra_std        # (B, W, 60, K + S)
            ref = z[..., :N_REFERENCE]
            window = torch.cat([ref.mean(dim=2), ref.amax(dim=2)], dim=-1)     # (B, W, 2K)
            summary = z[:, 0, 0, N_REFERENCE:]                                  # (B, S): every frame holds it
            return window, summary

        def forward(self, x, mask):
            frames = x[..., :N_FEATURES]
            window, summary = self._extra(x)
            if self.context == "hier":
                e = torch.relu(self.mix(torch.cat([self.base.embed(frames), window], dim=-1)))
                h, _ = self.sequence(self.drop(e))
                last = mask.long().sum(dim=1).clamp_min(1) - 1
                h_last = h[torch.arange(h.shape[0]), last]
                pooled = torch.cat([_masked_mean(h, mask), h_last, _masked_mean(e, mask),
                                    torch.relu(self.summary(summary))], dim=-1)
                return 50.0 + 50.0 * self.head(self.drop(pooled))
            b, w = x.shape[:2]
            scores, _ = self.base.window(frames.reshape(b * w, *frames.shape[2:]))
            s = summary.unsqueeze(1).expand(b, w, summary.shape[-1])
            scores = scores.reshape(b, w, N_OUT) + 10.0 * self.correction(torch.cat([window, s], dim=-1))
            return _masked_mean(scores, mask)

    return ReferenceModel


def __getattr__(name):
    # torch is imported only when a model is built (the measurement pass and the box need none).
    if name == "ReferenceModel":
        return _reference_model_class()
    raise AttributeError(name)
