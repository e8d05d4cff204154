"""reports/scorers/round2/README.md from round 2's results.json (every figure with its 95 % CI)."""

from __future__ import annotations

from pathlib import Path

from edge.scoring.result import SUBSCORES

TARGETS = {"band_accuracy": "≥ 75 %", "within_one_band": "≥ 97 %", "overall_mae": "≤ 5", "clean_above_faulty": "≥ 98 %",
           "clean_above_faulty_close": "≥ 90 %"}
PERCENT = {"band_accuracy", "within_one_band", "clean_above_faulty", "clean_above_faulty_close"}


def fmt(m: dict | None, percent: bool = False, digits: int = 2) -> str:
    if not m or m.get("value") is None:
        return "–"
    k = 100.0 if percent else 1.0
    d = 1 if percent else digits
    lo, hi = m["ci95"]
    ci = f" [{lo * k:.{d}f}, {hi * k:.{d}f}]" if lo is not None else ""
    return f"{m['value'] * k:.{d}f}{ci}"


def write_readme(out: Path, results: dict) -> None:
    meta = results["meta"]
    models = [k for k in results if k not in ("meta", "paired_vs_rubric", "explanations")]
    lines = ["# Learned scorers, round 2 — first slice (issue 13)", "",
             "Regenerate (corpus, rubric pass, training, bootstrap, this file):", "", "```bash",
             meta["command"], "```", "",
             f"Corpus `{meta['corpus']}`: {meta['clips']} clips. Training on {meta['split']['train']}, early stopping on "
             f"{meta['split']['early_stopping']}, every figure on the {meta['split']['test']}. 95 % intervals: "
             f"{meta['bootstrap']['replicates']} bootstrap replicates over {meta['bootstrap']['over']} "
             "(percentile). The grade is always `grade_of(predicted overall)`: no model has a grade head.", ""]
    for task in ("without_reference", "with_reference"):
        blocks = {k: results[k].get(task) for k in models if results[k].get(task)}
        lines += [f"## {task.replace('_', ' ').capitalize()}", ""]
        if not blocks:
            lines += [f"Not done: {meta['not_done'].get(task, '')}.", ""]
            continue
        any_block = next(iter(blocks.values()))
        lines += [f"Labels `{meta['labels'][task]}`; test: {any_block['test_clips']} clips from "
                  f"{any_block['test_sources']['dance']} motions and {any_block['test_sources']['music']} pieces.", "",
                  "| model | band accuracy % | within one band % | overall MAE | clean > faulty % | "
                  "clean > faulty, pairs < 10 pts apart % |", "|---|---|---|---|---|---|"]
        for key, b in blocks.items():
            lines.append(f"| {key} | " + " | ".join(fmt(b[m], m in PERCENT) for m in
                                                    ("band_accuracy", "within_one_band", "overall_mae",
                                                     "clean_above_faulty", "clean_above_faulty_close")) + " |")
        lines.append("| *target* | " + " | ".join(TARGETS[m] for m in ("band_accuracy", "within_one_band", "overall_mae",
                                                                          "clean_above_faulty", "clean_above_faulty_close")) + " |")
        lines += ["", "Spearman ρ per sub-score and discipline (target ≥ 0.85 on every visible sub-score):", "",
                  "| model | " + " | ".join(f"{d} {n}" for d in ("dance", "music") for n in SUBSCORES
                                          if n in any_block["per_discipline"][d]) + " |",
                  "|---|" + "---|" * sum(len(any_block["per_discipline"][d]) for d in ("dance", "music"))]
        for key, b in blocks.items():
            cells = [fmt(b["per_discipline"][d][n]["spearman"]) for d in ("dance", "music") for n in SUBSCORES
                     if n in any_block["per_discipline"][d]]
            lines.append(f"| {key} | " + " | ".join(cells) + " |")
        diffs = results.get("paired_vs_rubric", {}).get(task) or {}
        if diffs:
            lines += ["", "Paired bootstrap, overall MAE of the model minus the calibrated rubric's (negative: the model "
                      "is better; same source replicates for both):", "",
                      "| comparison | difference | 95 % CI | share of replicates < 0 |", "|---|---|---|---|"]
            for name, d in diffs.items():
                lines.append(f"| {name.split('/')[0]} | {d['value']:.2f} | [{d['ci95'][0]:.2f}, {d['ci95'][1]:.2f}] | "
                             f"{100 * d['share_below_zero']:.1f} % |")
        lines += [""] + verdict(blocks, diffs, {k.split("/")[0]: v["best_val_score"] for k, v in meta["training"].items()
                                                if k.endswith("/" + task)})
        rub = meta.get(f"rubric_{task}", {})
        if "fit_clips" in rub:
            given = ("no reference: no interpretation" if task == "without_reference" else
                     "with the clip's reference: the passage's MIDI, the motion's clean reference take; "
                     "interpretation included")
            lines += ["", f"Rubric: the box's `edge.scoring.rubric.score_analysis` on each test clip re-rendered from "
                      f"its recipe and measured with `edge.analysis.measure` ({given}); "
                      f"calibrated per discipline and sub-score by isotonic regression on {rub['fit_clips']} "
                      f"training-fold clips; {len(rub['rubric_errors'])} rubric errors, "
                      f"{len(rub['test_clips_without_rubric'])} test clips without a rubric score."]
        if task == "with_reference" and meta.get("reference"):
            lines += [""] + reference_lines(meta["reference"])
        lines.append("")
    if results.get("explanations"):
        from .explain_eval import markdown

        lines += markdown(results["explanations"])
    fine = out / "fine_inputs.json"          # round2_fine's experiment, when it has been run
    if fine.is_file():
        from .round2_fine import fine_lines

        lines += fine_lines(out)
    lines += ["## Training", "", "| model / task | parameters | epochs (best) | validation score | CPU s |",
              "|---|---|---|---|---|"]
    for k, t in meta["training"].items():
        lines.append(f"| {k} | {t['parameters']:,} | {t['epochs']} ({t['best_epoch']}) | {t['best_val_score']:.3f} | "
                     f"{t['cpu_s']:.0f} |")
    lines += ["", "## How far to trust the intervals", ""] + caveats(results, models) + other_seeds(out, results, models)
    lines += other_seeds(out, results, models, "with_reference", "with_reference_seed*/results.json")
    not_done = dict(meta["not_done"])
    if fine.is_file():
        not_done["finer_inputs"] = ("measured as an experiment (Finer inputs above); the box's models still read the "
                                    "72 features (input layout performance-1)")
    lines += ["", "## Not done in this slice", ""] + [f"- {k}: {v}" for k, v in not_done.items()]
    if meta.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {n}" for n in meta["notes"]]
    (out / "README.md").write_text("\n".join(lines) + "\n")


def reference_lines(ref: dict) -> list[str]:
    """How the with-reference inputs were measured (round2_reference), and what was left out."""
    failed = ref.get("failed") or {}
    reasons: dict[str, int] = {}
    for why in failed.values():
        reasons[why[:100]] = reasons.get(why[:100], 0) + 1
    per = ref.get("cpu_s_per_clip", {})
    runs = ref.get("runs_that_measured") or []
    took = (f" The pass took {sum(r['wall_time_s'] for r in runs) / 60:.0f} min of wall time and "
            f"{sum(r['worker_cpu_s'] for r in runs) / 60:.0f} CPU-min ({runs[-1]['jobs']} worker)." if runs else "")
    return [f"Reference inputs: every clip re-rendered from its recipe and measured against its reference by the box "
            f"(`edge.analysis.measure`; `edge.features.reference_frames`: {len(ref['channels'])} per-frame channels "
            f"beside the 72 features, {len(ref['summary'])} take-level summaries); {ref['measured']} clips measured "
            f"(median {per.get('median')} CPU s per clip: dance {per.get('dance')}, music {per.get('music')}), "
            f"{len(failed)} failed and left out"
            + (" (" + "; ".join(f"{n}× {w}" for w, n in reasons.items()) + ")" if reasons else "")
            + "; clips per split " + ", ".join(f"{k} {v}" for k, v in ref["clips_per_split"].items())
            + " (left out: " + ", ".join(f"{k} {v}" for k, v in ref["excluded_per_split"].items()) + ")." + took]


def _against_rubric(d: dict | None) -> str:
    if not d:
        return "no rubric to compare with"
    ci = f"paired difference {d['value']:.2f}, CI [{d['ci95'][0]:.2f}, {d['ci95'][1]:.2f}]"
    if d["ci95"][1] < 0:
        return f"beats the calibrated rubric on overall MAE at 95 % ({ci})"
    if d["ci95"][0] > 0:
        return f"is beaten by the calibrated rubric on overall MAE at 95 % ({ci})"
    return f"is not told apart from the calibrated rubric on overall MAE at 95 % ({ci})"


def verdict(blocks: dict[str, dict], diffs: dict[str, dict], val_scores: dict[str, float] | None = None) -> list[str]:
    """What the table says, computed from it (so it stays true when the figures change)."""
    learned = {k: b for k, b in blocks.items() if k != "rubric"}
    if not learned:
        return []
    best = min(learned, key=lambda k: learned[k]["overall_mae"]["value"])
    out = [f"Reading: the lowest test overall MAE among the learned models is {best}'s "
           f"({fmt(learned[best]['overall_mae'])}); it {_against_rubric(diffs.get(f'{best}_minus_rubric/overall_mae'))}. "
           f"That pick is made on the test split among {len(learned)} models, a selection the interval does not "
           "account for."]
    if val_scores:
        picked = max((k for k in learned if k in val_scores), key=lambda k: val_scores[k])
        out.append(f"Picked on validation instead (fold 0, the honest choice of one model), {picked} "
                   f"{_against_rubric(diffs.get(f'{picked}_minus_rubric/overall_mae'))}.")
    beat = [k for k in learned if (diffs.get(f"{k}_minus_rubric/overall_mae") or {}).get("ci95", [0, 0])[1] < 0]
    out.append(f"Models whose whole interval is below the rubric's overall MAE: {', '.join(beat) if beat else 'none'}.")
    limits = {"band_accuracy": (0.75, 1), "within_one_band": (0.97, 1), "overall_mae": (5.0, -1),
              "clean_above_faulty": (0.98, 1), "clean_above_faulty_close": (0.90, 1)}
    met = [m for m, (x, sign) in limits.items() if learned[best][m]["value"] is not None
           and sign * (learned[best][m]["value"] - x) >= 0]
    out.append(f"Targets {best} meets (point estimate): {', '.join(met) if met else 'none'} of {len(limits)} "
               "headline targets.")
    return out


def caveats(results: dict, models: list[str]) -> list[str]:
    """What the source bootstrap can and cannot say with this test split."""
    from math import comb

    block = next((results[k][t] for k in models for t in ("without_reference", "with_reference") if results[k].get(t)), None)
    if block is None:
        return []
    n = block["test_sources"]
    return [f"- The bootstrap draws whole sources: with {n['dance']} test motions there are only "
            f"{comb(2 * n['dance'] - 1, n['dance'])} distinct dance resamples ({comb(2 * n['music'] - 1, n['music'])} "
            f"for {n['music']} pieces), so the dance intervals are coarse and, if anything, too narrow: three motions "
            "cannot show how a fourth would go. More test sources (issue 13, item 7) are what would make them trustworthy.",
            "- Intervals are over test sources only: the training run is one seed and one split of the folds (no "
            "fold-model spread is mixed in); the validation score that stopped training is noisy from epoch to epoch.",
            "- clean > faulty counts the (clean, faulty) pairs of a family whose true overalls differ by at least 1 "
            "point; the second column keeps those less than 10 points apart."]


def other_seeds(out: Path, results: dict, models: list[str], task: str = "without_reference",
                pattern: str = "seed*/results.json") -> list[str]:
    """Overall MAE of the same models trained with other seeds (`--seed N --out <out>/seedN`), beside this run's."""
    import json

    runs = {"this run": results}
    for path in sorted(Path(out).glob(pattern)):
        runs[path.parent.name] = json.loads(path.read_text())
    if len(runs) < 2:
        return []
    lines = ["", f"Training-seed spread (overall MAE {task.replace('_', ' a ')}; each column is its own training run, "
             "with its own bootstrap):", "", "| model | " + " | ".join(runs) + " |", "|---|" + "---|" * len(runs)]
    for key in models:
        cells = [fmt((r.get(key) or {}).get(task, {}).get("overall_mae") if r.get(key) and r[key].get(task) else None)
                 for r in runs.values()]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    moves = [abs(r[k][task]["overall_mae"]["value"] - results[k][task]["overall_mae"]["value"])
             for name, r in runs.items() if name != "this run" for k in models if k != "rubric"
             and (r.get(k) or {}).get(task) and (results.get(k) or {}).get(task)]
    if moves:
        lines += ["", f"Changing the training seed moved a model's overall MAE by up to {max(moves):.2f} points "
                      f"(median {float(sorted(moves)[len(moves) // 2]):.2f}): compare that with the differences "
                      "between models before ranking them on one seed."]
    return lines
