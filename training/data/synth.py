"""MIDI -> audio with the FluidSynth command line and the FluidR3 General MIDI soundfont.

FluidSynth starts a note on a 64-sample block boundary, one block after the block in which its
event falls, so a note sounds 65-151 samples (mean ~100) after its MIDI time, at any sample rate.
We drop the first LATENCY_SAMPLES of the output so that the audio lines up with the MIDI times:
what is left is within +-1.5 ms at 22.05 kHz and -0.7..+1.2 ms at 44.1 kHz
(`python -m training.data.measure latency`; docs/data.md).

Rendering is deterministic: same MIDI, same soundfont, same rate -> identical samples
(float output, no dither).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from edge.errors import PerfscoreError

DEFAULT_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
LATENCY_SAMPLES = 100


def fluidsynth_binary() -> str:
    found = shutil.which("fluidsynth")
    if found is None:
        raise PerfscoreError("the fluidsynth program is not installed: apt-get install fluidsynth")
    return found


def find_soundfont(soundfont: str | Path | None = None) -> Path:
    path = Path(soundfont) if soundfont else DEFAULT_SOUNDFONT
    if not path.is_file():
        hint = "install the Debian package fluid-soundfont-gm" if soundfont is None else "check the path"
        raise PerfscoreError(f"soundfont {path} not found: {hint}")
    return path


def render_midi(midi_path: str | Path, *, sample_rate: int = 44100, soundfont: str | Path | None = None,
                gain: float = 1.0, reverb: bool = False, chorus: bool = False,
                duration_s: float | None = None) -> np.ndarray:
    """Render a MIDI file to mono float32 samples at `sample_rate`, aligned to the MIDI's times.

    Reverb and chorus are off by default: a dry signal keeps onsets sharp. `duration_s` pads with
    silence or cuts to an exact length.
    """
    midi_path = Path(midi_path)
    if not midi_path.is_file():
        raise PerfscoreError(f"{midi_path}: MIDI file not found")
    if not 8000 <= sample_rate <= 96000:
        raise PerfscoreError(f"sample rate {sample_rate} Hz is outside 8000-96000")
    command = [fluidsynth_binary(), "-n", "-i", "-q",
               "-R", "1" if reverb else "0", "-C", "1" if chorus else "0",
               "-g", str(gain), "-r", str(sample_rate),
               "-o", "synth.cpu-cores=1", "-o", "player.timing-source=sample",
               "-o", "audio.file.type=raw", "-o", "audio.file.format=float", "-o", "audio.file.endian=little"]
    with tempfile.TemporaryDirectory(prefix="perfscore-fluidsynth-") as scratch:
        raw = Path(scratch) / "out.raw"
        result = subprocess.run([*command, "-F", str(raw), str(find_soundfont(soundfont)), str(midi_path)],
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0 or not raw.exists():
            raise PerfscoreError(f"{midi_path}: fluidsynth failed ({(result.stderr or result.stdout).strip()[:300]})")
        stereo = np.fromfile(raw, dtype="<f4").reshape(-1, 2)
    mono = stereo.mean(axis=1)[LATENCY_SAMPLES:].astype(np.float32)
    if duration_s is not None:
        n = int(round(duration_s * sample_rate))
        mono = np.pad(mono, (0, max(0, n - mono.size)))[:n]
    return mono


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int, *, subtype: str = "PCM_16") -> Path:
    """Mono WAV; raises instead of silently clipping."""
    import soundfile

    path = Path(path)
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak > 1.0:
        raise PerfscoreError(f"{path}: samples peak at {peak:.2f} (> 1.0); lower the gain")
    soundfile.write(path, np.asarray(samples, dtype=np.float32), sample_rate, subtype=subtype)
    return path


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples and the sample rate (channels averaged)."""
    import soundfile

    samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return samples.mean(axis=1), int(rate)
