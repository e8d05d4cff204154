"""`perfscore analyze MEDIA [--reference REF] [--json]`: every measurement of one recording, with units."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import NotScorable
from . import exitcodes
from .progress import frame_progress


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "analyze", help="measure one recording (pose, audio, rhythm, sync)",
        description="Measure one recording: pose, tempo and beats, onsets, pitch, loudness, beat alignment, "
                    "and, with --reference, deviations from a MIDI score (music) or a reference recording (dance).",
        epilog=exitcodes.EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("media", help="a video (mp4, mov, mkv, webm, avi) or audio file (wav, flac, ogg, mp3), "
                                      "or any source spec: replay:PATH, camera:[N], mic:[N] (Ctrl-C ends a live one)")
    parser.add_argument("--reference", metavar="REF",
                        help="a MIDI file (music) or a recording of the choreography (dance)")
    parser.add_argument("--discipline", choices=("dance", "music"),
                        help="how to judge it (default: dance when a person is seen in most frames)")
    parser.add_argument("--model", metavar="MODEL",
                        help="also score with a learned model (.onnx, .tflite; .pt with the train extra)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (docs/analysis.md)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # The measuring stack (numpy, scipy, MediaPipe, PyAV, aubio) loads only here: `perfscore --help` stays instant.
    from ..pipeline import analyze_source
    from ..scoring import score
    from ..sources import FileSource, open_source

    with open_source(args.media, args.settings) as source, frame_progress(f"analyze {args.media}") as on_frame:
        # A file ends by itself; a camera or microphone is measured until Ctrl-C, which ends the take.
        stop = None if isinstance(source, FileSource) else _stop_on_interrupt()
        analysis = analyze_source(source, args.settings, reference=args.reference, on_frame=on_frame, stop=stop)
    doc = analysis.to_dict()
    try:
        scored = score(analysis, args.settings, discipline=args.discipline, model=args.model)
        doc["scores"] = scored.rubric.to_dict()
        doc["learned"] = scored.learned.to_dict() if scored.learned else None
    except NotScorable as exc:
        doc["scores"] = doc["learned"] = None
        doc["warnings"].append(f"not scored: {exc.reason}")
    if args.json:
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(doc))
    return exitcodes.OK


def _stop_on_interrupt():
    """An Event that Ctrl-C sets (instead of raising), so a live take ends and is still measured."""
    import signal
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop


def _fmt(value, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "not measurable"
    if isinstance(value, float):
        value = f"{value:.{digits}f}"
    return f"{value}{(' ' + unit) if unit else ''}"


def render_text(doc: dict) -> str:
    lines = [f"{doc['file']}", f"  duration            {_fmt(doc['duration_s'], 's')}"]
    v = doc["video"]
    if v:
        lines += [
            "video",
            f"  frames              {v['frames']} at {_fmt(v['fps'], 'fps')} ({v['width']}x{v['height']}),"
            f" starts at {_fmt(v['start_s'], 's', 3)}",
            f"  person found in     {v['person_frames']} of {v['frames']} frames",
        ]
    a = doc["audio"]
    if a:
        loud, pitch = a["loudness_dbfs"], a["pitch"]
        beats = a["beats_s"]
        lines += [
            "audio",
            f"  sample rate         {a['sample_rate']} Hz, starts at {_fmt(a['start_s'], 's', 3)}",
            f"  tempo               {_fmt(a['tempo_bpm'], 'BPM')} ({len(beats)} beats)",
            f"  onsets              {len(a['onsets_s'])}",
            f"  loudness            mean {_fmt(loud['mean'], 'dBFS')}, range (p5–p95) {_fmt(loud['range_db'], 'dB')}",
            f"  pitch               median {_fmt(pitch['median_hz'], 'Hz')}, voiced {_fmt(pitch['voiced_fraction'])}",
        ]
    r = doc["rhythm"]
    lines += [
        "rhythm and sync",
        f"  beat alignment      {_fmt(r['beat_alignment'], '(0–1, AIST++)', 3)}",
        f"  motion beats        {len(r['motion_beats_s'] or [])}, offset from music beats "
        f"{_fmt(r['motion_beat_offset_ms']['mean'], 'ms', 1)} ± {_fmt(r['motion_beat_offset_ms']['std'], 'ms', 1)}",
        f"  onset deviation     {_fmt(r['onset_deviation_ms']['mean'], 'ms', 1)} ± "
        f"{_fmt(r['onset_deviation_ms']['std'], 'ms', 1)} from the beat grid",
        f"  tempo stability     CV {_fmt(r['tempo_cv'], '', 4)} of inter-beat intervals",
    ]
    ref = doc["reference"]
    if ref and ref["kind"] == "music":
        lines += [
            "against the reference (music)",
            f"  notes               {ref['notes_written']} written, {ref['notes_transcribed']} heard;"
            f" note F1 {_fmt(ref['note_f1'], '', 3)}",
            f"  timing              {_fmt(ref['onset_deviation_ms']['mean'], 'ms', 1)} ± "
            f"{_fmt(ref['onset_deviation_ms']['std'], 'ms', 1)}; onset hits {_fmt(ref['onset_hit_rate'], '', 3)}"
            f" (tempo ratio {_fmt(ref['tempo_ratio'], '', 3)}, {ref['clock']} clock)",
            f"  pitch               {_fmt(ref['pitch_deviation_cents']['mean'], 'cents', 1)} ± "
            f"{_fmt(ref['pitch_deviation_cents']['std'], 'cents', 1)}; pitch hits {_fmt(ref['pitch_hit_rate'], '', 3)}",
        ]
    elif ref and ref["kind"] == "dance":
        worst = sorted(ref["joint_angle_error_deg"].items(), key=lambda kv: -kv[1])[:3]
        lines += [
            "against the reference (dance)",
            f"  joint angle error   {_fmt(ref['mean_joint_angle_error_deg'], 'deg', 1)} mean; worst: "
            + ", ".join(f"{k} {v:.1f} deg" for k, v in worst),
            f"  mirrored            {'yes' if ref['mirrored'] else 'no'}",
            f"  lag                 {_fmt(ref['mean_lag_s'], 's', 3)} behind the reference on average",
        ]
    for title, scores in (("scores (rubric)", doc.get("scores")), ("scores (learned)", doc.get("learned"))):
        if scores:
            lines.append(f"{title}: overall {_fmt(scores['overall'], '/ 100', 1)}, grade {scores['grade']}")
            for name, sub in scores["subscores"].items():
                if sub["value"] is not None:
                    lines.append(f"  {name:<18}  {sub['value']:5.1f}  {sub['explanation']}")
    for w in doc["warnings"]:
        lines.append(f"warning: {w}")
    return "\n".join(lines) + "\n"
