#!/usr/bin/env python3
"""Make the shipped sample recordings in samples/ (deterministic: same files every run).

    .venv/bin/python scripts/make_samples.py [--out samples]

Each sample comes with <name>.truth.json (and .truth.npz for dance clips) holding its ground
truth; samples/README.md says how each was made.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.data.dance import make_dance_clip  # noqa: E402
from training.data.music import make_music_clip  # noqa: E402
from training.data.performance import CLEAN_EXPRESSIVE  # noqa: E402

# One dance, three soundtracks: on the beat, 250 ms late, and an audio stream that starts 0.5 s late.
DANCE = dict(motion="dance_b", bpm=120.0, duration_s=11.0, first_beat_s=0.5, fps=30.0, seed=0)
MUSIC = dict(piece_id="bach-bwv66.6", instrument="violin", tempo_bpm=84.0, max_beats=17.0, seed=0,
             expression=CLEAN_EXPRESSIVE, sample_rate=22050, lead_in_s=0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "samples")
    args = parser.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    truths = {}
    for name, extra in (("dance_on_beat", {}),
                        ("dance_shifted_250ms", {"audio_offset_s": 0.25}),
                        ("dance_audio_stream_late", {"audio_start_s": 0.5})):
        clip = make_dance_clip(out / f"{name}.mp4", **DANCE, **extra)
        truths[name] = clip.truth()
        print(f"{name}.mp4: {clip.timings['total_s']:.1f} s", file=sys.stderr)
    # The three share one dance: keep one copy of the per-frame arrays.
    for name in ("dance_shifted_250ms", "dance_audio_stream_late"):
        (out / f"{name}.truth.npz").unlink()
        truth_json = out / f"{name}.truth.json"
        truth_json.write_text(json.dumps(json.loads(truth_json.read_text()) | {"per_frame_truth": "dance_on_beat.truth.npz"}, indent=1))

    clip = make_music_clip(out, stem="music_violin", **MUSIC)
    print(f"music_violin.wav: {clip.audio.size / clip.sample_rate:.1f} s", file=sys.stderr)

    (out / "README.md").write_text(readme(truths["dance_on_beat"], clip))
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file()}
    print(json.dumps({"bytes": sizes, "total_bytes": sum(sizes.values())}, indent=1))
    return 0


def _times(values, digits=3) -> str:
    return ", ".join(f"{v:.{digits}f}".rstrip("0").rstrip(".") for v in values)


def readme(dance: dict, music) -> str:
    beats = dance["beat_times_s"]
    perf = music.performance
    notes = perf.notes
    return f"""# Sample recordings

Made by `.venv/bin/python scripts/make_samples.py` (deterministic: rerunning it rewrites the same
files). Everything is synthetic with exact ground truth; nothing here was recorded. How the
generators work, and their sources and licences: [docs/data.md](../docs/data.md).

## Dance: `dance_on_beat.mp4`, `dance_shifted_250ms.mp4`, `dance_audio_stream_late.mp4`

One dance, three soundtracks. {dance["width"]}x{dance["height"]}, {dance["fps"]:g} fps, H.264 + AAC (44.1 kHz mono),
{dance["frames"]} frames ({dance["frames"] / dance["fps"]:g} s).

- **Movement**: DeepMimic's `humanoid3d_{dance["motion"]}` mocap (pybullet_data), looped in place and
  time-warped so the dancer eases to a stop on every beat; rendered with pybullet's TinyRenderer.
- **Music**: General MIDI drums (kick on beats 1 and 3, snare on 2 and 4, hi-hat on every half beat)
  and a finger-bass root on every beat, rendered with FluidSynth and FluidR3_GM; {DANCE["bpm"]:g} BPM, 4/4.
- **Beats** (s, on the video timeline): {_times(beats)}.
- **Kinematic beats** (local minima of joint speed, from the mocap warp): the same times
  (`kinematic_beats_s` in the truth file), except that a beat needs a frame on each side.

| file | audio against the movement | audio stream start | music beats heard at |
|---|---|---|---|
| `dance_on_beat.mp4` | on the beat | 0 s | the beats above |
| `dance_shifted_250ms.mp4` | 250 ms late (silence padded in front) | 0 s | beats + 0.25 s |
| `dance_audio_stream_late.mp4` | on the beat | 0.5 s (real stream start, no padding) | beats + 0.5 s |

The AAC encoder's 1024 priming samples belong to the audio stream, so PyAV reports the late
stream's `start_time` as 0.5 - 1024/44100 = 0.4768 s; its first real sample is at 0.5 s.

Truth files: `<name>.truth.json` (beats, kinematic beats, offsets, camera, faults) and
`dance_on_beat.truth.npz` (per frame: 3-D positions of the humanoid's 15 joints in metres, y up;
the 33 retargeted MediaPipe landmarks, image and world; the fault-free reference joints).

## Music: `music_violin.wav` (+ `music_violin.mid`, `music_violin.ref.mid`, `music_violin.truth.json`)

{perf.melody.title}: the first {len(perf.melody.notes)} notes ({music.performance.melody.duration_beats:g} beats),
played on General MIDI violin (FluidR3_GM) at {perf.tempo_bpm:g} BPM (quarter notes), mono, {music.sample_rate} Hz,
{music.audio.size / music.sample_rate:.1f} s. A clean, expressive rendition: no wrong or missed notes, in tune,
dynamics shaped over each phrase ({perf.expression.dynamics:g} velocity steps) and {perf.expression.rubato:.0%}
slowing into each fermata (rubato), notes held {perf.expression.articulation:.0%} of their written length.

- Score beat 0 falls at {perf.lead_in_s:g} s; score beats are at (s): {_times(perf.beat_times_s)}.
- Note onsets (s): {_times([n.onset_s for n in notes])}.
- Pitches (MIDI): {", ".join(f"{n.pitch:g}" for n in notes)}.
- `music_violin.mid` is exactly what was played; `music_violin.ref.mid` is the score at a steady
  {perf.tempo_bpm:g} BPM (tick 0 = score beat 0; the first bar is a two-eighth pickup, the first
  downbeat is beat {perf.melody.first_downbeat:g}).
- FluidR3's violin has a soft attack: the sound becomes clearly audible 10-25 ms after each
  note-on (piano: within ~2 ms). The truth times are the note-ons.
"""


if __name__ == "__main__":
    raise SystemExit(main())
