"""Does the box feed the policy what it learned on? Its observation against the simulator's, same history.

Four real performances are generated and scored by the rubric against their score (two Bach chorale
melodies, piano then flute, 96 and 84 BPM, with timing jitter and detuning; each at sight, then
rehearsed). The box stores them (edge.coach.service.Coach) with a practised task, an assumed one and a
practised one that differs from the recommendation, and builds its observation. Independently of
edge.coach, `simulator_view` computes from the same sub-scores what the simulator's assessments would
be (accuracy → SR at sight and TP rehearsed, the calibration anchors written out, last value carried)
and asks the simulator's own Classroom.observation for the observation. They must agree.

    python -m training.coach.box_check --out reports/coach/box_vs_simulator.json
tests/coach/test_coach_round2.py runs the same check.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

T0 = datetime(2026, 3, 1, 17, 0, tzinfo=timezone.utc)
PLAN = (("bach-bwv269", "piano", 96, {"onset_jitter_ms": 30}),
        ("bach-bwv269", "piano", 96, {}),
        ("bach-bwv66.6", "flute", 84, {"detune_cents": 25, "onset_jitter_ms": 20}),
        ("bach-bwv66.6", "flute", 84, {"detune_cents": 10}))
# rubric points → skill, written out (edge/coach/calibration.py is what is being checked)
ANCHORS_X = [0, 40, 55, 70, 85, 100]
ANCHORS_Y = [0, 20, 32.25, 44.5, 68.5, 100]
PREFERENCES = {"TE": 0.0, "EP": 0.5, "SRP": 0.0, "CIT": 0.5}
RECENT = ["TE", "EP", "SRP"]       # practised, recommended (assumed followed), practised instead of CIT


def rubric_results(folder: str | Path) -> list[tuple[str, dict]]:
    from edge.config import Settings
    from edge.scoring import score_file
    from training.data.music import make_music_clip
    from training.data.performance import Faults

    out = []
    for i, (piece, instrument, bpm, faults) in enumerate(PLAN):
        clip = make_music_clip(folder, piece_id=piece, instrument=instrument, tempo_bpm=bpm, faults=Faults(**faults),
                               max_beats=24, seed=i, stem=f"take{i}")
        scored = score_file(clip.wav_path, Settings(), discipline="music", reference=clip.reference_midi_path)
        out.append((piece, scored.rubric.to_dict()))
    return out


def box_view(store_path: str | Path, results: list[tuple[str, dict]]):
    """The box's student state after the history (assessments, practice, recommendations)."""
    from edge.coach.service import Coach

    day = lambda n: T0 + timedelta(days=n)          # noqa: E731
    with Coach(store_path) as coach:
        coach.prefer("p-1", PREFERENCES)
        for i, (piece, result) in enumerate(results):
            coach.assess("p-1", result, piece=piece, at=day(i))
            if i == 0:
                coach.practised("p-1", "TE", at=day(0.5))
            elif i == 1:
                coach.store.record_recommendation("p-1", day(1.1), "EP", None, "given")
            elif i == 2:
                coach.store.record_recommendation("p-1", day(2.1), "CIT", None, "given")
                coach.practised("p-1", "SRP", at=day(2.5))
        return coach.show("p-1")


def simulator_view(results: list[tuple[str, dict]]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The simulator's observation for the same history, and the assessment rows it was given."""
    from training.coach.simulator import Classroom
    from training.coach.students import draw_profiles

    subs = [r["subscores"] for _, r in results]
    v = lambda i, name: subs[i][name]["value"]                             # noqa: E731
    cal = lambda x: float(np.interp(x, ANCHORS_X, ANCHORS_Y))              # noqa: E731
    acc = [cal((v(i, "rhythm") + v(i, "technique")) / 2) for i in range(4)]
    me = [cal(v(i, "expression")) for i in range(4)]
    is_ = [cal(v(i, "interpretation")) for i in range(4)]
    # 0 and 2 are first attempts (SR), 1 and 3 rehearsed (TP); every skill known from 1 on
    rows = [np.array([[acc[1], me[1], acc[0], is_[1]]]),
            np.array([[acc[1], me[2], acc[2], is_[2]]]),
            np.array([[acc[3], me[3], acc[2], is_[3]]])]
    profiles = replace(draw_profiles(0).subset([0]), preferences=np.array([list(PREFERENCES.values())]))
    room = Classroom(profiles, np.random.default_rng(0), window=3)
    room.reset()
    room.assessments = rows
    room.recent = np.array([[["TE", "EP", "SRP", "CIT"].index(a) for a in RECENT]])
    return room.observation()[0], rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = rubric_results(tmp)
        state = box_view(Path(tmp) / "coach.sqlite", results)
    box = state.observation()
    sim, rows = simulator_view(results)
    doc = {"what": __doc__.splitlines()[0],
           "assessments": [{"piece": p, "overall": r["overall"],
                            "subscores": {n: s["value"] for n, s in r["subscores"].items()}} for p, r in results],
           "simulator_rows_TP_ME_SR_IS": [r[0].tolist() for r in rows],
           "recent_tasks": state.recent_tasks, "recent_sources": state.recent_sources,
           "box_observation": box.tolist(), "simulator_observation": sim.tolist(),
           "max_abs_difference": float(np.abs(box - sim).max())}
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"max |box − simulator| = {doc['max_abs_difference']:.2e}")
