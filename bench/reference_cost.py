"""Cost of comparing a 3-minute polyphonic performance with its MIDI score, on one core.

    .venv/bin/python bench/reference_cost.py      # writes bench/results/reference_cost.json

The first 180 beats of Mozart's String Quartet K. 80 (all four parts, 60 BPM: 3 minutes) are rendered
with FluidSynth (strings, cached in .cache/bench_reference/) with a little timing jitter and tempo
instability, then compared with the score in a fresh subprocess (OMP_NUM_THREADS=1, ONNX Runtime on
one thread): `compare_to_midi` with the raw samples, i.e. chroma/onset features, multiscale DTW,
basic-pitch transcription and note checking. Reported: wall and CPU time of the comparison; the peak
resident memory of the process while comparing (VmHWM, reset through /proc/self/clear_refs after the
audio was loaded and its aubio features computed) and its growth over the resident size then; and,
apart, the peak before comparing (reading the audio and `extract_audio_features`, not this comparison).

The old path (a full-matrix DTW on a monophonic pitch track, edge/features/dtw.py `dtw`) is not run:
at 23 ms frames it would hold (n+1)×(m+1) float64 accumulated costs plus float32 cost matrices; the
estimate of that memory is reported from the frame counts.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "bench_reference"
PIECE, BEATS, INSTRUMENT = "mozart-k80-1", 180, "strings"
LIMITS = {"peak_rss_mb": 300.0, "seconds": 10.0}

CHILD = r"""
import json, resource, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from edge.config.features import AudioConfig
from edge.features.audio import extract_audio_features
from edge.features.notes import read_midi
from edge.features.reference_music import compare_to_midi
from training.data.synth import read_wav

def rss_mb():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20

def hwm_mb():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM")) / 1024

x, rate = read_wav(sys.argv[2])
reference = read_midi(sys.argv[3])
audio = extract_audio_features(x, AudioConfig(sample_rate=rate))
peak_features = hwm_mb()
before = rss_mb()
with open("/proc/self/clear_refs", "w") as fh:   # resets VmHWM: the comparison's own peak from here
    fh.write("5")
wall, cpu = time.perf_counter(), time.process_time()
result = compare_to_midi(reference, audio, samples=x)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
peak = hwm_mb()
s = result.summary()
print(json.dumps({"seconds_wall": round(wall, 2), "seconds_cpu": round(cpu, 2), "peak_rss_mb": round(peak, 1),
                  "peak_rss_before_compare_mb": round(peak_features, 1),
                  "rss_before_compare_mb": round(before, 1), "rss_growth_mb": round(peak - before, 1),
                  "audio_seconds": round(len(x) / rate, 1), "notes_written": s["notes_written"],
                  "notes_played": s["notes_played"], "notes_wrong": s["notes_wrong"], "notes_missed": s["notes_missed"],
                  "polyphonic": s["polyphonic"], "tempo_ratio": s["tempo_ratio"]}))
"""


def render() -> tuple[Path, Path]:
    sys.path.insert(0, str(ROOT))
    from training.data.performance import CLEAN_EXPRESSIVE, Faults
    from training.data.polyphonic import make_polyphonic_clip

    wav, ref = CACHE / "take.wav", CACHE / "take.ref.mid"
    if not (wav.exists() and ref.exists()):
        make_polyphonic_clip(CACHE, piece_id=PIECE, instrument=INSTRUMENT, max_beats=BEATS, stem="take",
                             faults=Faults(onset_jitter_ms=15.0, tempo_instability=0.03),
                             expression=CLEAN_EXPRESSIVE, seed=1)
    return wav, ref


def main() -> None:
    wav, ref = render()
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(wav), str(ref)], env=env,
                         capture_output=True, text=True, check=True)
    measured = json.loads(out.stdout.strip().splitlines()[-1])
    frames = measured["audio_seconds"] / (2 * 256 / 22050)   # the old path's 23 ms DTW frames, both sides
    old_mb = frames * frames * (8 + 4 + 4) / 2**20            # float64 accumulated + float32 pitch and stray costs
    result = {
        "benchmark": "reference_cost",
        "command": "python bench/reference_cost.py",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "piece": f"{PIECE}, first {BEATS} beats, all parts, on {INSTRUMENT} (FluidSynth FluidR3_GM)",
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_avg_1m": round(os.getloadavg()[0], 2), "threads": 1},
        "measured": measured,
        "limits": LIMITS,
        "within_limits": measured["peak_rss_mb"] <= LIMITS["peak_rss_mb"] and measured["seconds_wall"] <= LIMITS["seconds"],
        "old_full_matrix_estimate_mb": round(old_mb),
    }
    path = ROOT / "bench" / "results" / "reference_cost.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
