"""Are the box's explanations faithful? The deletion and pointing tests (issue 13, item 6).

Every faulty test clip of the corpus has a clean sibling: same family, so the same motion, tempo,
camera and beat grid (dance), or the same passage, tempo and instrument (music). The generator knows
what it broke and where.

Deletion test: the model explains the faulty take the way the box does (`explain()` of the committed
.onnx file: occlusion, signed), its k seconds that lost the most points (`seconds[].signed`, most
negative first) are replaced by the clean sibling's same seconds (all 72 features of their frames),
and the take is scored again. The same is done with k random seconds (`draws` draws). A clip passes
when the salient replacement raises the predicted overall more than the random ones do on average.
A music sibling is not the same length (rubato, tempo faults): only seconds both takes have are
candidates, for the salient and the random choice alike.

Pointing test: where the generator records *where* a fault is — a dance's frozen beats (the beat
interval the dancer stands still through, the one leading into each listed beat), its mirrored beats
(the listed beats plus the beat of easing on each side of a run), a music take's wrong notes (from
note-on to note-off; the recipe is performed again, without audio, to know which notes were wrong) —
the share of clips whose most-lost second overlaps a fault by ≥ 0.1 s, against the chance rate
(fault seconds / candidate seconds, averaged over the same clips). Other faults of the same take
(timing, jerkiness, dynamics) are spread over it and compete for the top second, as they do on the box.

Rates carry 95 % percentile-bootstrap intervals over test sources (motions, pieces) with
`bootstrap.replicates`, like every round-2 figure.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from edge.config.scoring import ScoringConfig
from edge.features.sequence import FRAME_RATE
from edge.scoring.result import overall_weights

from .bootstrap import replicates

FORMAT = "perfscore.explanation-faithfulness/1"
K_VALUES = (1, 2, 3)
DRAWS = 10
MIN_OVERLAP_S = 0.1


@dataclass
class Explained:
    """A model as the tests see it: the predicted overall of a take's frames, and its explanation's
    signed attribution per second (negative: the second lost points)."""
    name: str
    overall: Callable[[np.ndarray, str], float]
    signed_seconds: Callable[[np.ndarray, str], np.ndarray]
    info: dict = field(default_factory=dict)     # the explanation's method and whether it is signed


def signed_of(explanation: dict) -> np.ndarray:
    """Per-second signed attributions of an explanation dict (edge.scoring.learned.explain.summarize).
    An unsigned one (attention) gives minus its shares: its most salient seconds are taken as the ones
    that lost points, the best an explanation without a sign can say."""
    if explanation.get("signed"):
        return np.array([s["signed"] for s in explanation["seconds"]], np.float64)
    return -np.array([s["share"] for s in explanation["seconds"]], np.float64)


def box_model(path: str | Path) -> Explained:
    """A committed model as the box loads it (`load_scorer`): a window scorer or a whole-take scorer."""
    from edge.scoring.learned import load_scorer
    from edge.scoring.learned.performance import PerformanceScorer, take_grade
    from edge.scoring.learned.windows import stack_windows, window_starts

    scorer = load_scorer(path)
    scoring = ScoringConfig()
    name = Path(path).name
    info: dict = {}

    def signed_of_box(explanation: dict) -> np.ndarray:
        info.update(method=explanation["method"], signed=bool(explanation.get("signed")))
        return signed_of(explanation)

    def cut(frames):
        starts = window_starts(len(frames))
        return starts, stack_windows(frames, starts)

    if isinstance(scorer, PerformanceScorer):
        if scorer.needs_reference:
            from edge.errors import PerfscoreError

            raise PerfscoreError(f"{name}: a with-reference model; these tests feed it frame features only "
                                 "(its reference channels are not rebuilt here)")

        def overall(frames, discipline):
            return float(take_grade(scorer.run(cut(frames)[1])[0][0], discipline, scorer.task, scoring)[0] or 0.0)

        def signed(frames, discipline):
            starts, windows = cut(frames)
            return signed_of_box(scorer.explain(windows, starts, frames, discipline, None, None, scoring))
    else:
        def weights(discipline):
            return np.array(overall_weights(discipline, scoring.weights), np.float64)

        def overall(frames, discipline):
            scores = scorer.run(cut(frames)[1])[0]
            return float(np.clip(scores.mean(axis=0), 0, 100) @ weights(discipline))

        def signed(frames, discipline):
            starts, windows = cut(frames)
            _, _, attention = scorer.run(windows)
            return signed_of_box(scorer.explain(windows, starts, frames, discipline, attention,
                                            weights(discipline).astype(np.float32)))
    return Explained(name, overall, signed, info)


def removal_explainer(model: Explained) -> Explained:
    """Removal of each second applied by the evaluator to any model's overall: each second's attribution is
    the change of the overall when that second is cut out of the take (no baseline is filled in). The box's
    plugins explain seconds this way (edge/scoring/learned/explain.py: removal_time); for a .pt model it
    stands in for integrated gradients or attention. Filling a second with the training corpus's mean
    instead (the box's method before) made a music take's silent lead-in or release look like the second
    that lost the most points."""
    def signed(frames, discipline):
        base = model.overall(frames, discipline)
        seconds = int(np.ceil(len(frames) / FRAME_RATE))
        out = np.zeros(seconds)
        for k in range(seconds):
            lo, hi = int(k * FRAME_RATE), min(len(frames), int((k + 1) * FRAME_RATE))
            out[k] = base - model.overall(np.concatenate([frames[:lo], frames[hi:]]), discipline)
        return out

    return Explained(f"{model.name}+removal", model.overall, signed,
                     {"method": "removal of each second (applied by the evaluator)", "signed": True})


EXPLAINERS = {"box": lambda m: m, "removal": removal_explainer}


# ---------------------------------------------------------------- the deletion test

def replace_seconds(faulty: np.ndarray, clean: np.ndarray, seconds) -> np.ndarray:
    """`faulty` with the frames of `seconds` taken from `clean` (both (T, F), T may differ)."""
    out = faulty.copy()
    n = min(len(faulty), len(clean))
    for s in seconds:
        lo, hi = int(s * FRAME_RATE), min(n, int((s + 1) * FRAME_RATE))
        out[lo:hi] = clean[lo:hi]
    return out


def candidate_seconds(faulty: np.ndarray, clean: np.ndarray) -> np.ndarray:
    """Seconds both takes have (a second starting inside both)."""
    return np.arange(int(np.ceil(min(len(faulty), len(clean)) / FRAME_RATE)))


def deletion_trial(model: Explained, faulty: np.ndarray, clean: np.ndarray, discipline: str,
                   rng: np.random.Generator, k_values=K_VALUES, draws: int = DRAWS,
                   signed: np.ndarray | None = None) -> dict:
    """Gains of the predicted overall when the k most-lost seconds (or k random ones) come from `clean`."""
    base = model.overall(faulty, discipline)
    signed = model.signed_seconds(faulty, discipline) if signed is None else signed
    candidates = candidate_seconds(faulty, clean)
    # Most points lost first; a stable sort keeps ties in time order (never a hidden random pick).
    order = candidates[np.argsort(signed[candidates], kind="stable")]
    out = {"base": base, "whole_gain": model.overall(clean, discipline) - base, "seconds": len(candidates), "k": {}}
    for k in k_values:
        if k >= len(candidates):
            continue
        salient = order[:k]
        gain = model.overall(replace_seconds(faulty, clean, salient), discipline) - base
        random_gains = [model.overall(replace_seconds(faulty, clean, rng.choice(candidates, k, replace=False)),
                                      discipline) - base for _ in range(draws)]
        out["k"][k] = {"salient": [int(s) for s in salient], "salient_gain": float(gain),
                       "random_gain": float(np.mean(random_gains)),
                       "wins": float(np.mean([gain > g for g in random_gains])),
                       "passed": bool(gain > np.mean(random_gains))}
    return out


# ---------------------------------------------------------------- the pointing test

def dance_fault_spans(meta: dict) -> dict[str, list[tuple[float, float]]]:
    """Where a dance's localised faults are (s): freeze and mirror, from the recipe's beat indices."""
    period = 60.0 / meta["bpm"]
    offset = float(meta["faults"].get("timing_offset_s", 0.0))

    def beat(k: int) -> float:
        return meta["first_beat_s"] + k * period + offset

    spans: dict[str, list[tuple[float, float]]] = {}
    frozen = meta["faults"].get("freeze_beats") or []
    if frozen:
        # A frozen beat is not danced: the dancer stands still through the interval leading into it.
        spans["freeze"] = [(beat(k - 1), beat(k)) for k in frozen]
    mirrored = meta["faults"].get("mirror_beats") or []
    if mirrored:
        # Mirrored on the listed beats, eased in and out over the beat intervals on either side.
        spans["mirror"] = [(beat(k) - period, beat(k) + period) for k in mirrored]
    return spans


def music_fault_spans(meta: dict) -> dict[str, list[tuple[float, float]]]:
    """Where a music take's wrong notes sound (s): its recipe performed again (no audio)."""
    if not meta["faults"].get("wrong_note_rate"):
        return {}
    from training.data.corpus_pieces import excerpt
    from training.data.performance import Expression, Faults, perform
    from training.data.scores import load_melody

    passage = excerpt(_melody(meta["piece_id"], load_melody), meta["start_beat"], meta["n_beats"])
    performance = perform(passage, tempo_bpm=meta["tempo_bpm"], faults=Faults(**meta["faults"]),
                          expression=Expression(**meta["expression"]), seed=meta["seed"],
                          lead_in_s=meta["lead_in_s"])
    wrong = [(n.onset_s, n.offset_s) for n in performance.notes if n.wrong]
    return {"wrong_notes": wrong} if wrong else {}


_MELODIES: dict = {}


def _melody(piece_id: str, load):
    if piece_id not in _MELODIES:
        _MELODIES[piece_id] = load(piece_id)
    return _MELODIES[piece_id]


def fault_seconds(spans: list[tuple[float, float]], n_seconds: int) -> set[int]:
    """Seconds [s, s + 1) that overlap a span by at least MIN_OVERLAP_S."""
    out = set()
    for lo, hi in spans:
        for s in range(max(0, int(np.floor(lo))), min(n_seconds, int(np.ceil(hi)))):
            if min(hi, s + 1) - max(lo, s) >= MIN_OVERLAP_S:
                out.add(s)
    return out


def pointing_trial(signed: np.ndarray, spans: dict[str, list[tuple[float, float]]], n_seconds: int) -> dict:
    """Per fault kind: did the most-lost second fall on a fault second; the chance of that."""
    top = int(np.argsort(signed[:n_seconds], kind="stable")[0])
    out = {}
    for kind, s in spans.items():
        hit = fault_seconds(s, n_seconds)
        if hit:
            out[kind] = {"top": top, "fault_seconds": sorted(hit), "hit": top in hit, "chance": len(hit) / n_seconds}
    return out


# ---------------------------------------------------------------- rates with intervals over sources

def rate_with_ci(entries: list[dict], values: np.ndarray, n: int, seed: int) -> dict:
    """Mean of `values` (one per entry) and its 95 % interval over bootstrap replicates of sources."""
    if not len(entries):
        return {"value": None, "ci95": [None, None], "clips": 0, "sources": 0}
    values = np.asarray(values, np.float64)
    draws = [float(np.mean(values[idx])) for idx, _ in replicates(entries, n, seed)]
    return {"value": float(np.mean(values)),
            "ci95": [float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))],
            "clips": len(entries), "sources": len({(e["discipline"], e["group"]) for e in entries})}


def summarise(trials: list[dict], k_values=K_VALUES, n: int = 2000, seed: int = 0) -> dict:
    """trials: one per faulty clip {entry, deletion, pointing} → rates per discipline (and "all")."""
    out: dict = {}
    for scope in ("all", "dance", "music"):
        ts = [t for t in trials if scope == "all" or t["entry"]["discipline"] == scope]
        if not ts:
            continue
        block: dict = {"deletion": {}, "pointing": {}}
        for k in k_values:
            kt = [t for t in ts if k in t["deletion"]["k"]]
            entries = [t["entry"] for t in kt]
            block["deletion"][f"k{k}"] = {
                "rate": rate_with_ci(entries, [t["deletion"]["k"][k]["passed"] for t in kt], n, seed),
                "draws_beaten": rate_with_ci(entries, [t["deletion"]["k"][k]["wins"] for t in kt], n, seed),
                "mean_salient_gain": (float(np.mean([t["deletion"]["k"][k]["salient_gain"] for t in kt]))
                                      if kt else None),
                "mean_random_gain": float(np.mean([t["deletion"]["k"][k]["random_gain"] for t in kt])) if kt else None,
            }
            # Clips where the model sees the fault at all (the clean sibling scores ≥ 1 point higher).
            seen = [t for t in kt if t["deletion"]["whole_gain"] >= 1.0]
            block["deletion"][f"k{k}"]["rate_where_clean_scores_higher"] = rate_with_ci(
                [t["entry"] for t in seen], [t["deletion"]["k"][k]["passed"] for t in seen], n, seed)
        # Where the most-lost second sits: the take's first or last second (music: lead-in silence, the
        # release) against the chance of that (2 / seconds).
        first = [t for t in ts if t["deletion"]["k"].get(1)]
        block["most_lost_second_at_take_edge"] = {
            "share": float(np.mean([t["deletion"]["k"][1]["salient"][0] in (0, t["deletion"]["seconds"] - 1)
                                    for t in first])) if first else None,
            "chance": float(np.mean([2 / t["deletion"]["seconds"] for t in first])) if first else None}
        kinds = sorted({kind for t in ts for kind in t["pointing"]})
        for kind in kinds:
            pt = [t for t in ts if kind in t["pointing"]]
            block["pointing"][kind] = {
                "rate": rate_with_ci([t["entry"] for t in pt], [t["pointing"][kind]["hit"] for t in pt], n, seed),
                "chance": float(np.mean([t["pointing"][kind]["chance"] for t in pt])),
            }
        out[scope] = block
    return out


def evaluate(model: Explained, test: list[tuple[dict, np.ndarray, np.ndarray]], k_values=K_VALUES,
             draws: int = DRAWS, seed: int = 0, bootstrap: int = 2000, progress=None) -> dict:
    """test: (faulty entry, faulty frames, clean sibling's frames) → per-clip trials and the rates."""
    rng = np.random.default_rng(seed)
    trials = []
    start = time.process_time()
    for i, (entry, faulty, clean) in enumerate(test):
        signed = model.signed_seconds(faulty, entry["discipline"])
        deletion = deletion_trial(model, faulty, clean, entry["discipline"], rng, k_values, draws, signed)
        spans = fault_spans(entry)
        pointing = pointing_trial(signed, spans, len(candidate_seconds(faulty, clean))) if spans else {}
        trials.append({"entry": {k: entry[k] for k in ("id", "discipline", "group", "family", "variant")},
                       "deletion": _rounded(deletion), "pointing": _rounded(pointing)})
        if progress:
            progress(i + 1, len(test))
    return {"model": model.name, "explanation": dict(model.info), "rates": summarise(trials, k_values, bootstrap, seed),
            "cpu_s": round(time.process_time() - start, 1), "trials": trials}


def _rounded(value):
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def fault_spans(entry: dict) -> dict[str, list[tuple[float, float]]]:
    meta = entry.get("meta") or {}
    if "faults" not in meta:
        return {}
    return dance_fault_spans(meta) if entry["discipline"] == "dance" else music_fault_spans(meta)


def faulty_with_siblings(corpus: str | Path, limit: int | None = None) -> list[tuple[dict, np.ndarray, np.ndarray]]:
    """(faulty entry, faulty frames, clean sibling's frames) of every faulty test clip with a clean sibling."""
    from edge.scoring.learned.windows import model_frames
    from training.data.corpus_store import load_corpus

    data = load_corpus(corpus).select(lambda e: e["split"] == "test")
    frames = [model_frames(p.astype(np.float32), a.astype(np.float32), e["discipline"])
              for e, p, a in zip(data.entries, data.pose, data.audio)]
    clean = {e["family"]: f for e, f in zip(data.entries, frames) if int(e["variant"]) == 0}
    pairs = [(e, f, clean[e["family"]]) for e, f in zip(data.entries, frames)
             if int(e["variant"]) != 0 and e["family"] in clean]
    return pairs[:limit] if limit else pairs


def run(corpus: str | Path, models: list[str | Path], out: str | Path, k_values=K_VALUES, draws: int = DRAWS,
        bootstrap: int = 2000, seed: int = 0, limit: int | None = None, progress=None, command: str = "",
        explainers=("box",), trials: str | Path | None = None) -> dict:
    """Both tests on every model and explainer ("box": the file's own `explain()`; "removal": the candidate);
    writes `out` (rates) and the per-clip trials (`trials`, default `<out stem>-trials.json` beside it)."""
    unknown = [e for e in explainers if e not in EXPLAINERS]
    if unknown:
        raise ValueError(f"--explainers {', '.join(unknown)}: choose from {', '.join(sorted(EXPLAINERS))}")
    pairs = faulty_with_siblings(corpus, limit)
    result = {"format": FORMAT, "corpus": str(corpus), "k": list(k_values), "random_draws": draws,
              "bootstrap": bootstrap, "seed": seed, "faulty_test_clips": len(pairs), "models": {}}
    per_clip = {}
    for path in models:
        for explainer in explainers:
            model = EXPLAINERS[explainer](box_model(path))
            evaluated = evaluate(model, pairs, k_values, draws, seed, bootstrap,
                                 (lambda i, n, name=model.name: progress(name, i, n)) if progress else None)
            per_clip[model.name] = evaluated.pop("trials")
            result["models"][model.name] = evaluated
    result["command"] = command
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    trials = Path(trials) if trials else out.with_name(out.stem + "-trials.json")
    trials.parent.mkdir(parents=True, exist_ok=True)
    trials.write_text(json.dumps(per_clip))
    result["trials"] = str(trials)
    return result


TARGET = 0.8


def results_block(result: dict, source: str = "explanations.json") -> dict:
    """The `explanations` block of round 2's results.json: per model and discipline, the deletion rates
    (k = 1, 2, 3) and the pointing rates with their chance, each {value, ci95}."""
    models = {}
    for name, r in result["models"].items():
        per = {}
        for scope, b in r["rates"].items():
            per[scope] = {**{f"deletion_{k}": {"value": d["rate"]["value"], "ci95": d["rate"]["ci95"]}
                             for k, d in b["deletion"].items()},
                          **{f"pointing_{kind}": {"value": d["rate"]["value"], "ci95": d["rate"]["ci95"],
                                                  "chance": d["chance"], "clips": d["rate"]["clips"]}
                             for kind, d in b["pointing"].items()},
                          "most_lost_second_at_take_edge": b.get("most_lost_second_at_take_edge")}
        models[name] = {"explanation": r.get("explanation", {}), "rates": per}
    return {"source": source, "command": result.get("command"), "target_deletion": TARGET,
            "faulty_test_clips": result["faulty_test_clips"], "random_draws": result["random_draws"],
            "bootstrap": result["bootstrap"], "models": models}


def markdown(block: dict) -> list[str]:
    """The README's "Explanations" section from the results.json block."""
    def pct(m):
        if not m or m.get("value") is None:
            return "–"
        lo, hi = m["ci95"]
        return f"{100 * m['value']:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"

    lines = ["## Explanations", "",
             "Are the box's explanations faithful? Regenerate (a minute of CPU, no rendering; writes "
             f"`{block['source']}` with per-clip trials beside it, and this block of results.json):", "", "```bash",
             block.get("command") or "perfscore train scorers explanations", "```", "",
             f"Deletion test, on the {block['faulty_test_clips']} faulty test clips with a clean sibling: the model's "
             "own explanation (the committed file's `explain()`, as `perfscore analyze --model` shows it) ranks the "
             "seconds, its k seconds that lost the most points are replaced by the clean sibling's same seconds, "
             f"and the take is scored again; a clip passes when that raises the overall more than k random seconds "
             f"do ({block['random_draws']} draws, mean). Target ≥ {100 * block['target_deletion']:.0f} %. 95 % "
             f"intervals: {block['bootstrap']} bootstrap replicates over test sources.", "",
             "| model | explanation | discipline | deletion k=1 % | k=2 % | k=3 % |", "|---|---|---|---|---|---|"]
    for name, m in block["models"].items():
        method = m["explanation"].get("method", "?") + ("" if m["explanation"].get("signed") else " (no sign)")
        for scope in ("dance", "music", "all"):
            r = m["rates"].get(scope)
            if r:
                lines.append(f"| {name} | {method} | {scope} | " + " | ".join(pct(r.get(f"deletion_k{k}"))
                                                                         for k in (1, 2, 3)) + " |")
    kinds = sorted({k for m in block["models"].values() for k in m["rates"].get("all", {})
                    if k.startswith("pointing_")})
    lines += ["", "Pointing test: share of clips whose most-lost second overlaps a fault the generator placed "
              "(dance: frozen beats, mirrored beats; music: wrong notes), against chance (fault seconds / seconds):",
              "", "| model | " + " | ".join(f"{k[9:]} % (chance)" for k in kinds) + " |", "|---|" + "---|" * len(kinds)]
    for name, m in block["models"].items():
        r = m["rates"].get("all", {})
        lines.append(f"| {name} | " + " | ".join(f"{pct(r.get(k))} ({100 * r[k]['chance']:.1f})" if k in r else "–"
                                                 for k in kinds) + " |")
    lines += ["", "Where the most-lost second sits: share of clips whose top second is the take's first or last "
              "(chance = 2 / seconds):", "", "| model | dance % (chance) | music % (chance) |", "|---|---|---|"]
    for name, m in block["models"].items():
        cells = []
        for scope in ("dance", "music"):
            e = (m["rates"].get(scope) or {}).get("most_lost_second_at_take_edge") or {}
            cells.append(f"{100 * e['share']:.1f} ({100 * e['chance']:.1f})" if e.get("share") is not None else "–")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines + [""] + reading(block) + [""]


def reading(block: dict) -> list[str]:
    """What the figures say, from the figures (no hand-written numbers)."""
    box = {n: m for n, m in block["models"].items() if "+" not in n}
    passing = {n: [k for k in (1, 2, 3) if (m["rates"]["all"].get(f"deletion_k{k}") or {}).get("value") is not None
                   and m["rates"]["all"][f"deletion_k{k}"]["value"] >= block["target_deletion"]]
               for n, m in block["models"].items()}
    out = ["Reading:", ""]
    box_pass = [n for n in box if passing[n]]
    out.append(f"- The box's own explanations reach the {100 * block['target_deletion']:.0f} % deletion target on "
               "all faulty test clips for: " + (", ".join(f"{n} (k = {_ks(passing[n])})" for n in box_pass)
                                               if box_pass else "no committed model") + ".")
    cand = [n for n in block["models"] if "+" in n and passing[n]]
    if cand:
        out.append(f"- Removal of each second applied by the evaluator (`+removal`) reaches it for "
                   f"{', '.join(f'{n} (k = {_ks(passing[n])})' for n in cand)}.")
    for scope in ("music", "dance"):
        edges = [(n, (m["rates"].get(scope) or {}).get("most_lost_second_at_take_edge") or {}) for n, m in box.items()
                 if m["explanation"].get("signed")]
        edges = [(n, e) for n, e in edges if e.get("share") is not None and e["share"] > 2 * e["chance"]]
        if edges:
            out.append(f"- {scope.capitalize()}: the explanation names the take's first or last second as the one "
                       "that lost most points in " + ", ".join(f"{100 * e['share']:.0f} %" for _, e in edges)
                       + f" of clips ({', '.join(n for n, _ in edges)}; chance about "
                       f"{100 * float(np.mean([e['chance'] for _, e in edges])):.0f} %)"
                       + (": a fill with the corpus mean, a sounding frame, makes the silent lead-in or release "
                          "look like an improvement." if scope == "music" else "."))
    out.append("- Pointing: frozen beats are visible faults; mirrored beats and wrong notes can only be judged "
               "against a reference, and these models have none (the without-reference labels leave those faults "
               "out; round 1's labels had them, its inputs did not), so rates near or below chance there say "
               "little about the explanations.")
    return out


def _ks(ks: list[int]) -> str:
    return ", ".join(str(k) for k in ks)


def merge_into_results(result: dict, results_path: Path) -> bool:
    """Put the block into round 2's results.json and regenerate its README; False when there is none."""
    if not results_path.is_file():
        return False
    from .round2_report import write_readme

    results = json.loads(results_path.read_text())
    results["explanations"] = results_block(result)
    results.get("meta", {}).get("not_done", {}).pop("explanations", None)
    results_path.write_text(json.dumps(results, indent=1))
    write_readme(results_path.parent, results)
    return True
