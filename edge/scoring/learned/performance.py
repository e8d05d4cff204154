"""Whole-take learned scorers (round 2): one model run per take over all of its 2-s windows.

The model reads a take as the box cuts it — (W, 60, 72): `windows.frames_of` → `window_starts` →
`stack_windows`, the same edge.features code its training corpus went through — and returns one score
per sub-score for the whole take (scores [1, 5]); there are no per-window scores and no grade head. The
result's overall is the contract's weighted mean of the sub-scores that apply, and its grade is
`grade_of(overall)`, so the two never disagree. A model trained without a reference
(task `without_reference`) judges no interpretation: that sub-score is left out (None), as the rubric
does without a reference, and the result's notes say so.

Input layout `perfscore.scorer-input/performance-1` (models/manifest.json, `scorer.layout`):
- `.onnx`: input `windows` float32[W, 60, 72], W dynamic (one take), output `scores` float32[1, 5].
- `.tflite`: LiteRT cannot hold a dynamic W (the GRU over the sequence of windows is written out step by
  step when converted), so the file takes `windows` float32[MAX, 60, 72] zero-padded and `mask`
  float32[MAX] (1 for the take's real windows); the model pools only over the masked windows and reads the
  GRU at the last real one, which gives exactly the unpadded result. MAX (`scorer.max_windows`) bounds
  the take length; a longer take is refused with the reason (the ONNX file has no bound).

Input layout `perfscore.scorer-input/performance-ref-1` (a model of task `with_reference`): `windows`
float32[W, 60, 98] (.tflite: [MAX, 60, 98] and `mask`, as above) — the 72 features, then what the box's comparison with the reference measured
(edge.features.reference_frames.comparison_inputs: 10 per-frame channels and the 16-value take summary on
every frame), built exactly as training built them. Such a model scores interpretation and refuses a take
that has no comparison (no --reference, or one the box could not compare), naming itself and the reason.

Explanations: each audio group and, for dance, each limb set to the training corpus's mean in every window
(occlusion), and each second cut out of the take (removal, explain.py: `removal_time`), the take run again
each time; the changes of the predicted overall are summarised like the window scorers' (signed shares
over seconds, limbs, audio groups and notes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...config.scoring import ScoringConfig
from ...errors import ModelError
from ...features.pose import PoseTrack
from ...features.reference_dance import DanceComparison
from ...features.reference_frames import N_REFERENCE, N_SUMMARY, comparison_inputs
from ...features.reference_music import MusicComparison
from ...features.sequence import FRAME_RATE, POSE_DIM, FeatureSequence
from ...models import verify_model
from ..result import SUBSCORES, Discipline, ModelInfo, ScoreResult, SubScore, grade_of, overall_score
from . import LearnedScorer
from .assemble import EXPLAIN
from .explain import AUDIO_GROUPS, LIMB_JOINTS, audio_columns, limb_columns, removal_time, summarize
from .windows import LAYOUT_VERSION, N_FEATURES, WINDOW_FRAMES, WINDOW_S, frames_of, stack_windows, window_starts

PERFORMANCE_LAYOUT = "perfscore.scorer-input/performance-1"
PERFORMANCE_REF_LAYOUT = "perfscore.scorer-input/performance-ref-1"
LAYOUTS = (PERFORMANCE_LAYOUT, PERFORMANCE_REF_LAYOUT)
TASKS = ("without_reference", "with_reference")
N_REFERENCE_INPUTS = N_REFERENCE + N_SUMMARY
NOT_JUDGED = ("interpretation not judged: this model was trained without a reference (task without_reference); "
              "faithfulness to the piece or choreography needs one")


def _manifest_path() -> Path:
    # The same manifest the window plugins check (tests point WindowScorer.manifest_path elsewhere).
    from .base import WindowScorer

    return WindowScorer.manifest_path


def manifest_entry(path: Path) -> dict | None:
    """The manifest entry of `path` (by file name), None when the manifest or the entry is missing."""
    try:
        manifest = json.loads(_manifest_path().read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return manifest.get("artifacts", {}).get(Path(path).name)


def is_performance_model(path: Path) -> bool:
    entry = manifest_entry(path) or {}
    return (entry.get("scorer") or {}).get("layout") in LAYOUTS


def input_layout(task: str) -> str:
    """The input layout a whole-take model of `task` reads: with a reference, the 72 frame features are
    followed by edge.features.reference_frames' channels and take summary (98 per frame)."""
    return PERFORMANCE_REF_LAYOUT if task == "with_reference" else PERFORMANCE_LAYOUT


def input_width(layout: str) -> int:
    return N_FEATURES + (N_REFERENCE_INPUTS if layout == PERFORMANCE_REF_LAYOUT else 0)


def take_subscores(scores: np.ndarray, discipline: Discipline, task: str) -> dict[str, float | None]:
    """A take's model output (5,) → the sub-scores the box reports (0–100), None where one does not apply
    (sync for music) or is not judged (interpretation without a reference)."""
    out = {}
    for name, v in zip(SUBSCORES, np.asarray(scores, np.float64).reshape(-1)):
        skip = (name == "sync" and discipline != "dance") or (name == "interpretation" and task == "without_reference")
        out[name] = None if skip else float(np.clip(v, 0.0, 100.0))
    return out


def take_grade(scores: np.ndarray, discipline: Discipline, task: str,
               scoring: ScoringConfig | None = None) -> tuple[float | None, str | None]:
    """(overall, grade) the box reports for a take's model output: grade_of(weighted mean of the sub-scores)."""
    scoring = scoring or ScoringConfig()
    overall = overall_score(take_subscores(scores, discipline, task), scoring.weights)
    return overall, grade_of(overall, scoring.grades)


@dataclass
class TakeReference:
    """What a with-reference model reads of the box's comparison of a take with its reference
    (edge.analysis.Analysis.reference): the comparison, the dance reference's and the take's poses (mirror
    evidence), and, when there is no comparison, why (the analysis's warnings)."""
    comparison: MusicComparison | DanceComparison | None
    reference_pose: PoseTrack | None = None
    performance_pose: PoseTrack | None = None
    why_missing: str = ""

    @classmethod
    def of(cls, analysis) -> "TakeReference":
        why = "; ".join(w for w in analysis.warnings if "reference" in w)
        return cls(analysis.reference, analysis.reference_pose, analysis.pose, why)


class _OnnxRunner:
    def __init__(self, path: Path, layout: str = PERFORMANCE_LAYOUT):
        from ...models import onnx_session

        self.session = onnx_session(path)
        ins, outs = self.session.get_inputs(), self.session.get_outputs()
        width = input_width(layout)
        shape_ok = len(ins) == 1 and list(ins[0].shape[1:]) == [WINDOW_FRAMES, width]
        # (the quantiser leaves the output's first dimension symbolic: only its rank and width are checked)
        if not shape_ok or len(outs) != 1 or len(outs[0].shape) != 2 or outs[0].shape[1] != len(SUBSCORES):
            raise ModelError(f"{path}: its graph takes {[(i.name, i.shape) for i in ins]} and gives "
                             f"{[(o.name, o.shape) for o in outs]}; a {layout} model takes "
                             f"windows[W, {WINDOW_FRAMES}, {width}] and gives scores[1, {len(SUBSCORES)}]")
        self.input = ins[0].name
        self.max_windows = None

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input: windows.astype(np.float32)})[0]


class _TfliteRunner:
    def __init__(self, path: Path, spec: dict):
        from ...litert import open_interpreter

        self.interpreter = open_interpreter(path)
        ins = {tuple(d["shape"]): d for d in self.interpreter.get_input_details()}
        self.max_windows = int(spec.get("max_windows") or 0)
        m = self.max_windows
        layout = spec.get("layout", PERFORMANCE_LAYOUT)
        self.width = input_width(layout)                  # 98 with a reference: frames, then its inputs
        want = [(m, WINDOW_FRAMES, self.width), (m,)]
        outs = self.interpreter.get_output_details()
        if m < 1 or sorted(ins) != sorted(want) or len(outs) != 1 or tuple(outs[0]["shape"]) != (1, len(SUBSCORES)):
            raise ModelError(f"{path}: its inputs {sorted(ins)} and outputs {[tuple(o['shape']) for o in outs]} are "
                             f"not the {layout} TFLite layout the manifest promises: windows{list(want[0])}"
                             f" and mask{list(want[1])} → scores[1, {len(SUBSCORES)}]")
        self.windows, self.mask, self.output = ins[want[0]], ins[want[1]], outs[0]
        self.path = path

    def __call__(self, windows: np.ndarray) -> np.ndarray:
        from ...litert import from_output, to_input

        n = len(windows)
        if n > self.max_windows:
            raise ModelError(f"{self.path}: the take has {n} windows ({n + 1:.0f} s or so); this TFLite file holds at "
                             f"most {self.max_windows}: use the .onnx file of the same model (no bound)")
        padded = np.zeros((self.max_windows, WINDOW_FRAMES, self.width), np.float32)
        padded[:n] = windows
        mask = np.zeros(self.max_windows, np.float32)
        mask[:n] = 1.0
        self.interpreter.set_tensor(self.windows["index"], to_input(padded, self.windows))
        self.interpreter.set_tensor(self.mask["index"], to_input(mask, self.mask))
        self.interpreter.invoke()
        return from_output(self.interpreter.get_tensor(self.output["index"]), self.output)


class PerformanceScorer(LearnedScorer):
    """A whole-take model (ONNX Runtime for .onnx, LiteRT for .tflite) listed in the manifest with the
    performance layout; `score` runs it once per take."""

    def __init__(self, path: Path):
        self.path = Path(path)
        entry = verify_model(self.path, _manifest_path())
        spec = entry.get("scorer") or {}
        if spec.get("layout") not in LAYOUTS:
            raise ModelError(f"{self.path}: the manifest lists it with layout {spec.get('layout')!r}, "
                             f"not one of {LAYOUTS}")
        if spec.get("window_layout") != LAYOUT_VERSION or spec.get("window_frames") != WINDOW_FRAMES:
            raise ModelError(f"{self.path}: built for {spec.get('window_layout')} / {spec.get('window_frames')} "
                             f"frames; this box computes {LAYOUT_VERSION} / {WINDOW_FRAMES}: export it again")
        if list(spec.get("subscores", [])) != list(SUBSCORES) or spec.get("task") not in TASKS:
            raise ModelError(f"{self.path}: outputs {spec.get('subscores')} for task {spec.get('task')!r}; "
                             f"expected {list(SUBSCORES)} and one of {TASKS}")
        if spec["layout"] != input_layout(spec["task"]):
            raise ModelError(f"{self.path}: a {spec['task']} model listed with layout {spec['layout']}; "
                             f"expected {input_layout(spec['task'])}")
        self.spec, self.task, self.layout = spec, spec["task"], spec["layout"]
        self.baseline = np.asarray(spec["baseline"], np.float32)
        if self.baseline.shape != (N_FEATURES,):
            raise ModelError(f"{self.path}: manifest baseline has {self.baseline.shape} values, expected {N_FEATURES}")
        suffix = self.path.suffix.lower()
        if suffix == ".onnx":
            self.runner, backend = _OnnxRunner(self.path, self.layout), "onnxruntime"
        elif suffix == ".tflite":
            self.runner, backend = _TfliteRunner(self.path, spec), "tflite"
        else:
            raise ModelError(f"{self.path}: whole-take models run from .onnx or .tflite files, not '{suffix}'")
        self.info = ModelInfo(spec["key"], spec["version"], backend, entry.get("precision", "fp32"), entry["sha256"])

    def run(self, windows: np.ndarray) -> tuple[np.ndarray, None, None]:
        """(W, 60, 72) windows of ONE take (98 with a reference) → its scores (1, 5); no grade logits, no
        attention."""
        return np.asarray(self.runner(windows), np.float32).reshape(1, len(SUBSCORES)), None, None

    @property
    def needs_reference(self) -> bool:
        return self.task == "with_reference"

    def inputs(self, sequence: FeatureSequence, discipline: Discipline, reference=None) -> np.ndarray:
        """(T, 72) frame features of the take, followed for a with-reference model by the reference inputs
        (T, 26) built from the box's comparison exactly as training built them
        (edge.features.reference_frames.comparison_inputs). `reference`: a `TakeReference`."""
        frames = frames_of(sequence, discipline)
        if not self.needs_reference:
            return frames
        if reference is None or reference.comparison is None:
            raise ModelError(f"{self.path}: this model ({self.spec['key']}, task with_reference) needs --reference: "
                             "it reads the comparison with the written score (music, MIDI) or a recording of the "
                             "choreography (dance); "
                             + (reference.why_missing if reference is not None and reference.why_missing
                                else "no reference was given"))
        extra = comparison_inputs(reference.comparison, sequence.times, reference.reference_pose,
                                  reference.performance_pose)
        return np.concatenate([frames, extra], axis=1).astype(np.float32)

    def score(self, sequence: FeatureSequence, discipline: Discipline,
              scoring: ScoringConfig | None = None, reference=None) -> ScoreResult:
        """`reference`: the take's comparison with its reference (TakeReference); a with-reference model
        refuses to score without one."""
        scoring = scoring or ScoringConfig()
        frames = self.inputs(sequence, discipline, reference)
        starts = window_starts(len(frames))
        windows = stack_windows(frames, starts)
        scores = self.run(windows)[0][0]
        weights = np.array([getattr(scoring.weights, n) for n in SUBSCORES], np.float64)
        explanation = self.explain(windows, starts, frames, discipline, None, weights, scoring)
        result = self.result(scores, discipline, len(frames) / FRAME_RATE, len(windows), scoring)
        result.explanation = {**explanation, **(result.explanation or {})}
        return result

    def result(self, scores: np.ndarray, discipline: Discipline, duration_s: float, n_windows: int,
               scoring: ScoringConfig) -> ScoreResult:
        values = take_subscores(scores, discipline, self.task)
        measurements = {"windows": int(n_windows), "window_s": WINDOW_S, "context": "whole take"}
        subs = {}
        for name, v in values.items():
            if v is not None:
                subs[name] = SubScore(v, f"learned estimate (whole take) of {EXPLAIN[name]}", dict(measurements),
                                      self.info)
            elif name == "sync":
                subs[name] = SubScore(None, "does not apply: sync is judged for dance only", {}, self.info)
            else:
                subs[name] = SubScore(None, NOT_JUDGED, {}, self.info)
        overall = overall_score(subs, scoring.weights)
        notes = ["one model run over the whole take: no per-window scores (empty timeline)",
                 "grade = grade_of(overall); the model has no grade head"]
        if self.task == "without_reference":
            notes.append(NOT_JUDGED)
        return ScoreResult(discipline, subs, overall, grade_of(overall, scoring.grades), 0.0, float(duration_s), [],
                           {"task": self.task, "notes": notes})

    def _overall(self, scores: np.ndarray, discipline: Discipline, scoring: ScoringConfig) -> float:
        return float(take_grade(scores, discipline, self.task, scoring)[0] or 0.0)

    def explain(self, windows, starts, frames, discipline, attention, weights, scoring=None) -> dict:
        """Occlusion over the take: the drop of the predicted overall when a feature group (every window)
        or a span of seconds is set to the training corpus's mean; one model run per group and span. With a
        reference only the 72 frame features are occluded: the comparison's channels (what the box measured
        against the reference) stay as measured."""
        scoring = scoring or ScoringConfig()
        n = len(frames)
        base = self._overall(self.run(windows)[0][0], discipline, scoring)
        groups = [audio_columns(g) for g in AUDIO_GROUPS]
        if discipline == "dance":
            groups += [limb_columns(limb) for limb in LIMB_JOINTS]
        features = np.zeros((n, N_FEATURES), np.float64)
        for cols in groups:
            v = windows.copy()
            v[:, :, cols] = self.baseline[cols]
            drop = base - self._overall(self.run(v)[0][0], discipline, scoring)
            features[:, cols] += drop / (n * len(cols))
        columns = np.arange(N_FEATURES) if discipline == "dance" else np.arange(POSE_DIM, N_FEATURES)

        def without(lo, hi):      # the take's overall with frames lo:hi cut out (its reference channels too)
            cut = np.concatenate([frames[:lo], frames[hi:]])
            return self._overall(self.run(stack_windows(cut, window_starts(len(cut))))[0][0], discipline, scoring)

        time, span = removal_time(without, base, n, frames.shape[1], columns)
        return summarize(features, frames[:, :N_FEATURES], method="removal of each second (time) + occlusion "
                         "(limbs, audio features) over the whole take", discipline=discipline,
                         time_saliency=time[:, :N_FEATURES], extra={"removal_span_s": span})
