"""Audio features, computed with aubio at one analysis rate and hop.

Why aubio and not librosa: aubio is a small C library with no JIT; it starts in milliseconds and
pitch + onsets + MFCCs on 3 s of audio cost ~8 ms on one core. librosa's first call JIT-compiles
for ~19 s, a poor fit for a box that restarts under systemd (see shared/FACTS.md).

Hop sizes (defaults, `audio:` config): everything is analysed at 22 050 Hz with a 256-sample hop
(11.6 ms); onsets, beats and MFCCs use a 1024-sample window, pitch a 2048-sample window (long enough
for two periods of 40 Hz), loudness a 512-sample RMS window.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ...config.features import AudioConfig
from .beats import refine_beats, tempo_bpm, tempo_cv, track_beats
from .harmony import HarmonyCurves, harmony_curves
from .tempo_level import BandFluxes, LevelCues, TempoLevel, band_fluxes
from .loudness import FLOOR_DBFS, rms_dbfs
from .mfcc import compute_mfcc
from .onsets import detect_onsets
from .pitch import hz_to_midi, pitch_times, track_pitch


@dataclass
class AudioFeatures:
    """Everything measured on one audio signal. Times are on the recording's timeline (start_s added)."""

    sample_rate: int
    hop: int
    start_s: float             # where the audio starts on the recording's timeline
    duration_s: float
    frame_times: np.ndarray    # (F,) centre of each analysis frame
    onset_envelope: np.ndarray  # (F,) aubio's onset detection function
    onsets_s: np.ndarray
    beats_s: np.ndarray
    tempo_bpm: float | None
    tempo_cv: float | None
    f0_hz: np.ndarray          # (F,) 0 where unvoiced
    f0_confidence: np.ndarray  # (F,)
    f0_times: np.ndarray       # (F,)
    rms_dbfs: np.ndarray       # (F,)
    mfcc: np.ndarray           # (F, n_mfcc)
    peak_dbfs: float
    silent: bool               # nothing above the silence threshold: no onsets, beats or pitch
    # How the beat level was chosen (tempo_level.py), and what choosing it again with more cues needs.
    tempo_level: TempoLevel | None = None
    tracker_beats_s: np.ndarray | None = None   # aubio's own beats (recording timeline)
    fluxes: BandFluxes | None = None            # spectral fluxes of the low band, the whole spectrum and the kick
    harmony: HarmonyCurves | None = None        # pitch-class content over time (beat phase from chord changes)
    max_bpm: float = 220.0
    min_bpm: float = 40.0

    @property
    def voiced(self) -> np.ndarray:
        return (self.f0_hz > 0) & (self.f0_confidence >= self.min_confidence)

    min_confidence: float = 0.8

    def f0_midi(self) -> np.ndarray:
        """Pitch in MIDI numbers where confidently voiced, else NaN."""
        return np.where(self.voiced, hz_to_midi(self.f0_hz), np.nan)

def extract_audio_features(x: np.ndarray, config: AudioConfig, start_s: float = 0.0) -> AudioFeatures:
    """Measure mono float32 samples at config.sample_rate that start at `start_s` on the timeline."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    sr, hop = config.sample_rate, config.hop_size
    loud = rms_dbfs(x, hop, 2 * hop)
    peak = float(20 * np.log10(np.max(np.abs(x)))) if len(x) and np.any(x) else FLOOR_DBFS
    silent = bool(loud.max(initial=FLOOR_DBFS) < config.silence_dbfs)

    f0, confidence = track_pitch(x, sr, hop, method=config.pitch_method, window=config.pitch_window,
                                 silence_dbfs=config.silence_dbfs)
    f0_times = pitch_times(len(f0), sr, hop, config.pitch_window)
    f0_midi = np.where((f0 > 0) & (confidence >= config.pitch_min_confidence), hz_to_midi(f0), np.nan)
    level, tracked, fluxes, harmony = None, np.zeros(0), None, None
    if silent:
        envelope, onsets, beats = np.zeros(len(x) // hop, np.float32), np.zeros(0), np.zeros(0)
    else:
        envelope, onsets = detect_onsets(x, sr, hop, f0_midi=f0_midi, f0_times=f0_times, loudness_db=loud,
                                         method=config.onset_method, threshold=config.onset_threshold,
                                         silence_dbfs=config.silence_dbfs)
        fluxes = band_fluxes(x, sr, hop)
        harmony = harmony_curves(x, sr)
        tracked = track_beats(x, sr, hop)
        beats, level = refine_beats(tracked, onsets, envelope, hop / sr, max_bpm=config.max_bpm,
                                    min_bpm=config.min_bpm, fluxes=fluxes, harmony=harmony)
    n = len(x) // hop
    return AudioFeatures(
        sample_rate=sr,
        hop=hop,
        start_s=start_s,
        duration_s=len(x) / sr,
        frame_times=start_s + (np.arange(n) + 0.5) * hop / sr,
        onset_envelope=envelope,
        onsets_s=start_s + onsets,
        beats_s=start_s + beats,
        tempo_bpm=tempo_bpm(beats),
        tempo_cv=tempo_cv(beats),
        f0_hz=f0,
        f0_confidence=confidence,
        f0_times=start_s + f0_times,
        rms_dbfs=loud[:n],
        mfcc=compute_mfcc(x, sr, hop, n_filters=config.n_mel_filters, n_coeffs=config.n_mfcc),
        peak_dbfs=peak,
        silent=silent,
        min_confidence=config.pitch_min_confidence,
        tempo_level=level,
        tracker_beats_s=start_s + tracked,
        fluxes=fluxes,
        harmony=harmony,
        max_bpm=config.max_bpm,
        min_bpm=config.min_bpm,
    )


def choose_beats_again(audio: AudioFeatures, cues: LevelCues) -> AudioFeatures:
    """The same audio with its beat level chosen again knowing the reference's or the dancer's period.

    Cheap: no audio is analysed again (the envelopes are kept); beats, tempo and tempo stability change.
    """
    if audio.silent or audio.tracker_beats_s is None or len(audio.onsets_s) < 2:
        return audio
    hop_s = audio.hop / audio.sample_rate
    beats, level = refine_beats(audio.tracker_beats_s - audio.start_s, audio.onsets_s - audio.start_s,
                                audio.onset_envelope, hop_s, max_bpm=audio.max_bpm, min_bpm=audio.min_bpm,
                                fluxes=audio.fluxes, cues=cues, harmony=audio.harmony)
    return replace(audio, beats_s=audio.start_s + beats, tempo_bpm=tempo_bpm(beats), tempo_cv=tempo_cv(beats),
                   tempo_level=level)
