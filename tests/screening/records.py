"""Generated screening outcomes with the shape of real worker records, for tests and benches of the
outputs and the report at a venue's scale (thousands of entries) without scoring anything.

A record has what the worker writes for a scored entry (edge/screening/worker.py): the rubric with
its sub-scores (value, explanation, measurements, model), a timeline window every 4 s (8 s long)
with the same, and the analysis's beats, onsets and (dance) movement beats. Movement beats are
jittered so that all three beat bands (on, near, off) occur. Sizes match real records (a 3-minute
entry's record is about 150 KB).
"""

from __future__ import annotations

import random
from pathlib import Path

from edge.scoring.result import SUBSCORES
from edge.screening.entries import Entry
from edge.screening.outputs import Outcome

CATEGORIES = ("under 12 solo", "under 16 solo", "adult solo", "duo & trio", "group <large>")
MODEL = {"name": "rubric", "version": "2.0", "backend": "python", "precision": "fp64", "sha256": None}
GRADES = {"A": 85.0, "B": 70.0, "C": 55.0, "D": 40.0}


def _grade(overall: float) -> str:
    return next((band for band, lowest in GRADES.items() if overall >= lowest), "E")


def _subscore(name: str, value: float | None, rng: random.Random) -> dict:
    if value is None:
        return {"value": None, "explanation": f"{name} does not apply here.", "measurements": {}, "model": MODEL}
    return {"value": round(value, 2),
            "explanation": f"{name.capitalize()}: movements land {rng.randint(5, 90)} ms from the beat on average, "
                           f"give or take {rng.randint(10, 80)} ms; tempo varies by {rng.randint(1, 9)} %.",
            "measurements": {"notes": rng.randint(8, 40), "deviation_mean_ms": round(rng.uniform(-60, 60), 1),
                             "deviation_std_ms": round(rng.uniform(5, 80), 1), "tempo_cv": round(rng.random() / 10, 4),
                             "drift_ms": round(rng.uniform(-20, 20), 1)},
            "model": MODEL}


def _values(discipline: str, base: float, rng: random.Random) -> dict[str, float | None]:
    values = {n: min(100.0, max(0.0, base + rng.uniform(-20, 20))) for n in SUBSCORES}
    if discipline != "dance":
        values["sync"] = None
    return values


def make_record(seed: int, discipline: str, duration_s: float, overall: float) -> dict:
    rng = random.Random(seed)
    values = _values(discipline, overall, rng)
    windows = []
    start = 0.0
    while start + 8.0 <= duration_s + 1e-9:
        wv = _values(discipline, overall, rng)
        w_overall = round(sum(v for v in wv.values() if v is not None) / sum(v is not None for v in wv.values()), 2)
        windows.append({"discipline": discipline, "start_s": start, "end_s": start + 8.0, "overall": w_overall,
                        "grade": _grade(w_overall),
                        "subscores": {n: _subscore(n, wv[n], rng) for n in SUBSCORES}, "timeline": [],
                        "explanation": None})
        start += 4.0
    period = 60.0 / rng.uniform(80, 140)
    beats = [round(i * period, 4) for i in range(int(duration_s / period))]
    motion = [round(b + rng.choice((0.0, 0.02, -0.03, 0.07, -0.08, 0.15)), 4) for b in beats[::2]]
    onsets = sorted(round(b + rng.uniform(-0.04, 0.04), 4) for b in beats for _ in range(2))
    rubric = {"discipline": discipline, "start_s": 0.0, "end_s": duration_s, "overall": round(overall, 2),
              "grade": _grade(overall), "subscores": {n: _subscore(n, values[n], rng) for n in SUBSCORES},
              "timeline": windows, "explanation": None}
    analysis = {"schema": "perfscore.analysis/1", "duration_s": duration_s, "video": None,
                "audio": {"duration_s": duration_s, "tempo_bpm": round(60 / period, 1), "beats_s": beats,
                          "onsets_s": onsets},
                "rhythm": {"motion_beats_s": motion if discipline == "dance" else None},
                "warnings": ["audio clipped in 3 places"] if seed % 17 == 0 else []}
    return {"schema": "perfscore.screen.entry/1", "key": f"{seed:064x}", "content_sha256": f"{seed + 1:064x}",
            "reference_sha256": None, "scorer": {"perfscore": "0.1.0", "rubric": "2.0", "code_sha256": "0" * 64,
                                                 "model_sha256": None},
            "discipline_asked": discipline, "status": "ok", "error": None, "error_kind": None,
            "discipline": discipline, "duration_s": duration_s,
            "result": {"rubric": rubric, "learned": None, "analysis": analysis}, "notes": [],
            "elapsed_s": 1.0, "cpu_s": 1.0}


def with_scores(body: dict, seed: int, overall: float) -> dict:
    """A record like `body` (its timeline and analysis shared, not copied) with its own overall and sub-scores:
    thousands of entries cost a few dozen full records to make."""
    rng = random.Random(seed)
    discipline = body["discipline"]
    values = _values(discipline, overall, rng)
    rubric = dict(body["result"]["rubric"], overall=round(overall, 2), grade=_grade(overall),
                  subscores={n: _subscore(n, values[n], rng) for n in SUBSCORES})
    return dict(body, key=f"{seed:064x}", content_sha256=f"{seed + 1:064x}", result=dict(body["result"], rubric=rubric))


def make_outcomes(n: int, *, duration_s: float = 180.0, seed: int = 7, failed_every: int = 25,
                  bodies: int = 24) -> list[Outcome]:
    """`n` entries in categories (and some in none), dance and music, every `failed_every`-th failed."""
    rng = random.Random(seed)
    pool = {d: [make_record(seed * 1000 + k, d, duration_s, 60.0) for k in range(bodies // 2)]
            for d in ("dance", "music")}
    outcomes = []
    for i in range(n):
        category = CATEGORIES[i % len(CATEGORIES)] if i % 11 else None
        discipline = "dance" if i % 3 else "music"
        entry = Entry(f"heat {i % 7 + 1}/entry {i:04d}.mp4", Path(f"/venue/entry{i:04d}.mp4"), None, category)
        if failed_every and i % failed_every == failed_every - 1:
            outcomes.append(Outcome(entry, "failed", "not a recording FFmpeg can read (invalid data)", "unreadable",
                                    asked_discipline=discipline))
            continue
        overall = round(rng.uniform(25, 97), 2)
        body = pool[discipline][i % len(pool[discipline])]
        outcomes.append(Outcome(entry, "ok", record=with_scores(body, seed * 100_000 + i, overall)))
    return outcomes
