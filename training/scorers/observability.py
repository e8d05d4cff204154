"""How visible is each fault in the model's input? Simple hand-made statistics of the feature
sequences, correlated (Spearman) with each fault's size over the corpus clips that carry it.

A model can only learn what its input shows. When a plain statistic already tracks a fault closely,
a model that misses it has a training problem; when no simple statistic does, the features (or the
renderer) are the limit. `perfscore train scorers observability` writes
reports/scorers/observability.json and .md.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from edge.features.sequence import COLUMN, POSE_DIM

A = COLUMN


def _speed(f: np.ndarray) -> np.ndarray:
    p = f[:, :POSE_DIM - 1].astype(np.float32).reshape(len(f), -1, 3)
    return np.convolve(np.linalg.norm(np.diff(p, axis=0), axis=2).mean(axis=1), np.ones(3) / 3, "same")


def dance_statistics(f: np.ndarray, e: dict) -> dict:
    v = _speed(f)
    phase = np.arctan2(f[1:, A["beat_phase_sin"]], f[1:, A["beat_phase_cos"]]).astype(np.float64)
    weight = (v.max() - v) ** 4
    period = 60.0 / e["meta"]["bpm"]
    offset = float(np.angle(np.sum(weight * np.exp(1j * phase)))) / (2 * np.pi) * period
    floor = np.percentile(v, 5)
    return {"timing_offset_s": ("phase of speed minima against the beat (s)", offset,
                                float(np.sign(e["meta"]["faults"].get("timing_offset_s", 0.0)) * e["sizes"]["timing_offset_s"])),
            "freeze_fraction": ("share of frames within 20 % of the clip's lowest speed", float(np.mean(v < 1.2 * floor + 1e-3)),
                                e["sizes"]["freeze_fraction"]),
            "amplitude_loss": ("mean joint speed", float(v.mean()), e["sizes"]["amplitude_loss"]),
            "jerkiness": ("speed roughness (mean |Δspeed| / mean speed)", float(np.abs(np.diff(v)).mean() / v.mean()),
                          e["sizes"]["jerkiness"])}


def music_statistics(f: np.ndarray, e: dict) -> dict:
    onsets = np.flatnonzero(f[:, A["note_onset"]] > 0.5) / 30.0
    grid = 60.0 / e["meta"]["tempo_bpm"] / 4
    ioi = np.diff(onsets)
    dev = float(np.median(np.abs(ioi / grid - np.round(ioi / grid)) * grid)) if len(ioi) else 0.0
    voiced = f[:, A["voiced"]] > 0.5
    semis = f[voiced, A["pitch"]].astype(np.float64) * 24
    cents = float(np.median(np.abs(semis - np.round(semis)))) * 100 if voiced.any() else 0.0
    loud = f[:, A["loudness"]].astype(np.float64)
    sounding = loud[loud > 0.2]
    beats = np.unwrap(np.arctan2(f[:, A["beat_phase_sin"]], f[:, A["beat_phase_cos"]]).astype(np.float64))
    return {"onset_jitter_ms": ("median distance of detected inter-onset intervals from a sixteenth grid (s)", dev,
                                e["sizes"]["onset_jitter_ms"]),
            "detune_cents": ("median |pitch − nearest semitone| (cents)", cents, e["sizes"]["detune_cents"]),
            "flat_dynamics": ("loudness std over sounding frames", float(sounding.std()) if len(sounding) else 0.0,
                              e["sizes"]["flat_dynamics"]),
            "tempo_instability": ("std of the beat-phase rate", float(np.std(np.diff(beats))),
                                  e["sizes"]["tempo_instability"])}


def measure(corpus_dir: str | Path, out: str | Path) -> dict:
    from training.data.corpus_store import load_corpus

    corpus = load_corpus(corpus_dir)
    rows: dict[str, dict] = {}
    for e, pose, audio in zip(corpus.entries, corpus.pose, corpus.audio):
        f = np.concatenate([pose, audio], axis=1).astype(np.float32)
        stats = dance_statistics(f, e) if e["discipline"] == "dance" else music_statistics(f, e)
        for fault, (what, value, size) in stats.items():
            row = rows.setdefault(f"{e['discipline']}: {fault}", {"statistic": what, "x": [], "y": []})
            row["x"].append(value)
            row["y"].append(size)
    result = {}
    for name, row in rows.items():
        x, y = np.array(row["x"]), np.array(row["y"])
        carrying = y != 0
        rho_all = spearmanr(x, y).statistic
        rho_faulty = spearmanr(x[carrying], y[carrying]).statistic if carrying.sum() > 10 else float("nan")
        result[name] = {"statistic": row["statistic"], "spearman_all_clips": round(float(rho_all), 3),
                        "spearman_clips_with_the_fault": round(float(rho_faulty), 3), "clips": int(len(x)),
                        "clips_with_the_fault": int(carrying.sum())}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "observability.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = ["# How visible is each fault in the features?", "",
             "`perfscore train scorers observability` — Spearman ρ between a simple statistic of the feature",
             "sequence and the fault's size, over all corpus clips and over those that carry the fault.", "",
             "| fault | statistic | ρ (all clips) | ρ (clips with the fault) |", "|---|---|---|---|"]
    for name, r in result.items():
        lines.append(f"| {name} | {r['statistic']} | {r['spearman_all_clips']:.2f} | {r['spearman_clips_with_the_fault']:.2f} |")
    (out / "observability.md").write_text("\n".join(lines) + "\n")
    return result
