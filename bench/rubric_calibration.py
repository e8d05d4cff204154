"""Rubric measurements on clean and degraded renditions of the same performances.

Prints (and writes bench/results/rubric_calibration.json) every sub-score and the measurement behind
it, for a clean performance and one copy per fault, so thresholds in edge/scoring/rubric/ can be
checked against what each fault does. Run: .venv/bin/python bench/rubric_calibration.py [--dance]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from edge.config import Settings
from edge.scoring import score_file
from training.data.dance import DanceFaults, make_dance_clip
from training.data.music import make_music_clip
from training.data.performance import CLEAN_EXPRESSIVE, Faults

MUSIC_FAULTS = {
    "clean": Faults(),
    "jitter": Faults(onset_jitter_ms=35),
    "drift": Faults(drift_ms_per_s=12),
    "unstable_tempo": Faults(tempo_instability=0.08),
    "wrong_notes": Faults(wrong_note_rate=0.2),
    "missed_notes": Faults(missed_note_rate=0.2),
    "detuned": Faults(detune_cents=30),
    "pitch_jitter": Faults(pitch_jitter_cents=25),
    "flat_dynamics": Faults(flat_dynamics=True),
}
DANCE_FAULTS = {
    "clean": {},
    "late": {"audio_offset_s": 0.25},
    "timing_jitter": {"faults": DanceFaults(timing_jitter_s=0.08)},
    "small": {"faults": DanceFaults(amplitude=0.5)},
    "jerky": {"faults": DanceFaults(jerkiness=1.0)},
    "freezes": {"faults": DanceFaults(freeze_beats=(2, 3, 6, 7, 10, 11))},
}


def row(scored) -> dict:
    r = scored.rubric
    return {"overall": r.overall, "grade": r.grade,
            **{k: {"value": v.value, **v.measurements} for k, v in r.subscores.items() if v.value is not None}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dance", action="store_true", help="also render dance clips (~10 s of CPU each)")
    parser.add_argument("--instruments", default="violin,piano,flute,clarinet")
    parser.add_argument("--out", type=Path, default=Path("bench/results/rubric_calibration.json"))
    args = parser.parse_args()
    settings = Settings()
    results: dict = {"music": {}, "dance": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for inst in args.instruments.split(","):
            for name, faults in MUSIC_FAULTS.items():
                clip = make_music_clip(tmp, instrument=inst, piece_id="bach-bwv269", tempo_bpm=96, faults=faults,
                                       expression=CLEAN_EXPRESSIVE, seed=7, stem=f"{inst}-{name}")
                for with_ref in (False, True):
                    scored = score_file(clip.wav_path, settings, discipline="music",
                                        reference=clip.reference_midi_path if with_ref else None)
                    key = f"{inst}/{'ref' if with_ref else 'noref'}"
                    results["music"].setdefault(key, {})[name] = row(scored)
                    r = scored.rubric
                    print(f"{key:18s} {name:15s} overall {r.overall:5.1f} " + " ".join(
                        f"{k[:5]} {v.value:5.1f}" if v.value is not None else f"{k[:5]}   -  "
                        for k, v in r.subscores.items()))
        if args.dance:
            for name, kwargs in DANCE_FAULTS.items():
                started = time.perf_counter()
                clip = make_dance_clip(Path(tmp) / f"dance-{name}.mp4", motion="dance_a", bpm=110, duration_s=8,
                                       seed=3, **kwargs)
                scored = score_file(clip.video_path, settings, discipline="dance")
                results["dance"][name] = row(scored)
                r = scored.rubric
                print(f"dance {name:15s} overall {r.overall:5.1f} " + " ".join(
                    f"{k[:5]} {v.value:5.1f}" if v.value is not None else f"{k[:5]}   -  "
                    for k, v in r.subscores.items()) + f"  ({time.perf_counter() - started:.0f} s)")
                print("      ", {k: v for k, v in results["dance"][name].items() if k in ("technique", "expression")})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, default=float))


if __name__ == "__main__":
    main()
