"""Entries for screening tests: performances with known degradations and broken files of every kind.

"Nobody on the project made them": motions, pieces, instruments, tempi and seeds used nowhere else
in the repo (kick at 112 BPM, Handel's Lascia on clarinet at 76 BPM, seed 41/43), rendered by the
generators in training/data with exact ground truth.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

DANCE = dict(motion="kick", bpm=112.0, duration_s=7.0, seed=41)
DANCE_HALF_BEAT_S = 0.5 * 60.0 / DANCE["bpm"]
MUSIC = dict(piece_id="handel-lascia", instrument="clarinet", tempo_bpm=76.0, max_beats=10, seed=43)

# Each degraded copy differs from its clean performance by one fault.
DANCE_DEGRADED = {
    "timing jitter": "kick_jitter.mp4",
    "audio shifted against the movement": "kick_shifted.mp4",
}
MUSIC_DEGRADED = {
    "timing jitter": "lascia_jitter",
    "wrong notes": "lascia_wrong",
    "flattened dynamics": "lascia_flat",
    "detuning": "lascia_detuned",
}

# Broken files and the words their reason must contain.
DANCE_BROKEN = {
    "empty.mp4": "empty file",
    "text_named.mp4": "text file",
    "truncated.mp4": "cut-off",
    "cut_short.mkv": "incomplete recording",
    "unsupported.mkv": "not a recording",
    "no_audio.mp4": "no audio stream",
    "no_person.mp4": "no person found",
}


def _camera():
    from training.data.scene import Camera

    return Camera(yaw_deg=15.0, distance=3.8)


def make_dance_entries(folder: Path) -> None:
    """kick_clean.mp4 and one degraded copy per dance degradation, plus every broken kind."""
    from training.data.choreography import DanceFaults
    from training.data.dance import make_dance_clip

    folder.mkdir(parents=True, exist_ok=True)
    truth = folder.parent / "truth"
    truth.mkdir(exist_ok=True)
    cam = _camera()
    make_dance_clip(truth / "kick_clean.mp4", camera=cam, **DANCE)
    make_dance_clip(truth / "kick_jitter.mp4", camera=cam, faults=DanceFaults(timing_jitter_s=0.09), **DANCE)
    make_dance_clip(truth / "kick_shifted.mp4", camera=cam, audio_offset_s=DANCE_HALF_BEAT_S, **DANCE)
    for name in ("kick_clean.mp4", "kick_jitter.mp4", "kick_shifted.mp4"):
        shutil.copy(truth / name, folder / name)
    clean = folder / "kick_clean.mp4"
    # Broken files, each the way a venue gets them.
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "text_named.mp4").write_text("entry form: Jane Doe, jazz solo, under 16\n")
    data = clean.read_bytes()
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 2])   # camera stopped before the index
    mkv = truth / "kick_clean.mkv"
    remux(clean, mkv)
    mkv_data = mkv.read_bytes()
    (folder / "cut_short.mkv").write_bytes(mkv_data[: int(len(mkv_data) * 0.6)])  # decodes, but not all there
    (folder / "unsupported.mkv").write_bytes(_zip_bytes())           # a zip renamed by someone
    remux(clean, folder / "no_audio.mp4", audio=False)
    write_personless(folder / "no_person.mp4", duration_s=5.0, bpm=DANCE["bpm"])


def make_music_entries(folder: Path) -> Path:
    """Clean and degraded clarinet performances of one score, with its reference MIDI, and a manifest
    `manifest.csv` naming them (plus rows whose file or reference is missing). Returns the manifest."""
    from training.data.music import make_music_clip
    from training.data.performance import CLEAN_EXPRESSIVE, Faults

    folder.mkdir(parents=True, exist_ok=True)
    common = dict(expression=CLEAN_EXPRESSIVE, **MUSIC)
    faults = {
        "lascia_clean": Faults(),
        "lascia_jitter": Faults(onset_jitter_ms=45.0),
        "lascia_wrong": Faults(wrong_note_rate=0.3),
        "lascia_flat": Faults(flat_dynamics=True),
        "lascia_detuned": Faults(detune_cents=40.0),
    }
    for stem, fault in faults.items():
        make_music_clip(folder, stem=stem, faults=fault, **common)
    rows = [(stem, f"{stem}.wav", "lascia_clean.ref.mid", "woodwind") for stem in faults]
    rows += [("no_such_take", "missing.wav", "lascia_clean.ref.mid", "woodwind"),
             ("silence", "silence.wav", "lascia_clean.ref.mid", "woodwind"),
             # The clean take again under a name that is HTML: scored once (same content), escaped everywhere.
             ('<b>"Evil" & co</b>', "lascia_clean.wav", "lascia_clean.ref.mid", "<script>alert(1)</script>")]
    write_silence(folder / "silence.wav", 4.0)
    return write_manifest(folder / "manifest.csv", rows)


def remux(src: Path, dst: Path, *, audio: bool = True) -> Path:
    """Copy the streams of `src` into another container without re-encoding (optionally without audio)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        streams = [s for s in inp.streams if s.type == "video" or (audio and s.type == "audio")]
        mapping = {s.index: out.add_stream_from_template(s) for s in streams}
        for packet in inp.demux(*streams):
            if packet.dts is None:
                continue
            packet.stream = mapping[packet.stream.index]
            out.mux(packet)
    return dst


def write_personless(path: Path, *, duration_s: float, bpm: float, fps: float = 30.0) -> Path:
    """A lit, empty stage with moving coloured lights and the same drums and bass a dancer would have:
    everything a dance entry has except the dancer."""
    from training.data.accompaniment import beat_grid, render_accompaniment
    from training.data.mux import write_video

    beats = beat_grid(bpm, duration_s)
    with tempfile.TemporaryDirectory(prefix="perfscore-test-") as scratch:
        audio, _ = render_accompaniment(beats, duration_s, scratch=scratch)
    h, w = 240, 320
    yy, xx = np.mgrid[0:h, 0:w]

    def frames():
        for i in range(int(duration_s * fps)):
            t = i / fps
            image = np.zeros((h, w, 3), np.uint8)
            image[:] = (40, 30, 60)
            image[h * 2 // 3:] = (90, 70, 50)   # floor
            for k, colour in enumerate(((255, 80, 80), (80, 255, 120), (90, 120, 255))):
                cx = w / 2 + w / 3 * np.sin(2 * np.pi * (0.3 + 0.1 * k) * t + k)
                spot = (xx - cx) ** 2 + (yy - h * 0.75) ** 2 < 30 ** 2
                image[spot] = colour
            yield image

    return write_video(path, frames(), fps, audio=audio)


def write_silence(path: Path, seconds: float, rate: int = 44100) -> Path:
    from training.data.synth import write_wav

    return write_wav(path, np.zeros(int(seconds * rate), np.float32), rate)


def _zip_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "x.zip"
        with zipfile.ZipFile(target, "w") as z:
            z.writestr("word/document.xml", "<w:document/>" * 200)
        return target.read_bytes()


@dataclass
class Run:
    """A finished `perfscore screen` subprocess and what it wrote."""
    code: int
    stderr: str
    out: Path

    @property
    def csv_text(self) -> str:
        return (self.out / "results.csv").read_text(encoding="utf-8")

    def rows(self) -> dict[str, dict]:
        with open(self.out / "results.csv", newline="", encoding="utf-8") as fh:
            return {row["entry"]: row for row in csv.DictReader(fh)}


# Polyphonic entries with their scores (issue 9): a keyboard piece, and a chorale played along with a
# drum-kit backing (hi-hat eighths) that keeps the score's own beat whatever the player does.
POLYPHONIC = dict(piece_id="cpebach-h186", instrument="piano", max_beats=16, seed=11)
DRUM_BACKED = dict(piece_id="bach-bwv40.8", instrument="piano", max_beats=16, seed=12)
POLYPHONIC_DEGRADED = {
    "wrong notes": "wrong", "missed notes": "missed", "timing jitter": "jitter",
    "flattened dynamics": "flat", "detuning": "detuned",
}
DRUM_BACKED_DEGRADED = {"timing jitter": "jitter", "wrong notes": "wrong"}


def _poly_faults():
    from training.data.performance import Faults

    return {"clean": Faults(), "wrong": Faults(wrong_note_rate=0.2), "missed": Faults(missed_note_rate=0.2),
            "jitter": Faults(onset_jitter_ms=40.0), "flat": Faults(flat_dynamics=True),
            "detuned": Faults(detune_cents=35.0)}


def make_polyphonic_entries(folder: Path) -> Path:
    """`h186_<take>.wav` (C. P. E. Bach H. 186 on piano, both hands) and `chorale_drums_<take>.wav` (Bach's
    BWV 40.8 in four voices on piano over a drum kit), each clean and with one fault per copy, and a
    manifest naming every entry with its reference and category. Returns the manifest."""
    from training.data.accompaniment import render_accompaniment
    from training.data.performance import CLEAN_EXPRESSIVE
    from training.data.polyphonic import make_polyphonic_clip
    from training.data.synth import write_wav

    folder.mkdir(parents=True, exist_ok=True)
    faults = _poly_faults()
    rows = []
    for take in ("clean", *POLYPHONIC_DEGRADED.values()):
        make_polyphonic_clip(folder, faults=faults[take], expression=CLEAN_EXPRESSIVE, stem=f"h186_{take}", **POLYPHONIC)
        rows.append((f"h186_{take}", f"h186_{take}.wav", "h186_clean.ref.mid", "keyboard"))
    backing = None
    with tempfile.TemporaryDirectory(prefix="perfscore-test-") as scratch:
        for take in ("clean", *DRUM_BACKED_DEGRADED.values()):
            clip = make_polyphonic_clip(Path(scratch), faults=faults[take], expression=CLEAN_EXPRESSIVE,
                                        stem=take, **DRUM_BACKED)
            if backing is None:   # the backing follows the score's beat, as a play-along track does
                beats = clip.performance.beat_times_s
                backing, _ = render_accompaniment(beats, len(clip.audio) / clip.sample_rate,
                                                  sample_rate=clip.sample_rate, scratch=scratch)
                shutil.copy(clip.reference_midi_path, folder / "chorale_drums.ref.mid")
            n = min(len(backing), len(clip.audio))
            mix = clip.audio[:n] + 0.6 * backing[:n]
            mix = (mix / max(1.0, float(np.max(np.abs(mix))) / 0.95)).astype(np.float32)
            write_wav(folder / f"chorale_drums_{take}.wav", mix, clip.sample_rate)
            rows.append((f"chorale_drums_{take}", f"chorale_drums_{take}.wav", "chorale_drums.ref.mid", "ensemble"))
    return write_manifest(folder / "manifest.csv", rows)


def write_manifest(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """A venue's manifest: entry, path, reference, category."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["entry", "path", "reference", "category"])
        writer.writerows(rows)
    return path
