"""One corpus recipe → the model's input (the box's own feature code) and its labels.

Dance: the mocap is danced on the beat grid with the recipe's faults (`dance.make_dance_clip`
without pixels), retargeted to MediaPipe's landmarks for the recipe's camera, given
estimator-like noise, occlusions and dropped frames (`pose_views`); the backing track (drums +
bass from MIDI, transposed) is rendered with FluidSynth. Music: a passage of the piece is performed
with the recipe's faults and expression and rendered on the recipe's instrument. In both, audio
features come from `edge.features.audio.extract_audio_features` and the model input from
`edge.features.sequence.feature_sequence`: exactly what the box computes from a recording.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from edge.config.features import AudioConfig
from edge.features.audio import AudioFeatures, extract_audio_features
from edge.features.sequence import FeatureSequence, feature_sequence

from .corpus_spec import DanceSpec, MusicSpec, Spec
from .labels import Labels, dance_fault_sizes, label, music_fault_sizes

AUDIO = AudioConfig()


@dataclass
class Record:
    """One labelled performance of the corpus."""
    id: str
    discipline: str
    group: str                  # motion or piece: what splits are made by
    family: str
    variant: int
    sequence: FeatureSequence
    labels: Labels
    sizes: dict                 # fault sizes the labels were computed from (augmentation rescales time ones)
    meta: dict
    # The audio measurements the sequence was built from (music): for passes that need more than its 20
    # features (training/scorers/round2_fine.py). Not stored in the shards.
    audio: AudioFeatures | None = None


def _accompaniment(beats: np.ndarray, duration: float, beats_per_bar: int, transpose: int) -> np.ndarray:
    from .accompaniment import accompaniment_parts
    from .midi import write_parts_midi
    from .synth import render_midi

    with tempfile.TemporaryDirectory(prefix="perfscore-corpus-") as scratch:
        midi = write_parts_midi(accompaniment_parts(beats, beats_per_bar=beats_per_bar, transpose=transpose),
                                Path(scratch) / "accompaniment.mid")
        return render_midi(midi, sample_rate=AUDIO.sample_rate, gain=0.6, duration_s=duration)


@lru_cache(maxsize=8)
def _dance_audio(bpm: float, duration: float, first_beat: float, beats_per_bar: int, transpose: int):
    """Audio features of a family's backing track (shared by its variants)."""
    from .accompaniment import beat_grid

    beats = beat_grid(bpm, duration, first_beat)
    samples = _accompaniment(beats, duration, beats_per_bar, transpose)
    return extract_audio_features(samples, AUDIO), beats


def render_dance(spec: DanceSpec) -> Record:
    from .choreography import DanceFaults
    from .dance import make_dance_clip
    from .pose_views import EstimatorNoise, track_from_landmarks
    from .scene import Camera

    camera = Camera(distance=spec.camera["distance"], yaw_deg=spec.camera["yaw_deg"],
                    elevation_deg=spec.camera["elevation_deg"], roll_deg=spec.camera["roll_deg"],
                    target=tuple(spec.camera["target"]))
    faults = DanceFaults(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in spec.faults.items()})
    clip = make_dance_clip(None, motion=spec.motion, bpm=spec.bpm, duration_s=spec.duration_s,
                           first_beat_s=spec.first_beat_s, camera=camera, faults=faults, seed=spec.seed, music=False)
    audio, beats = _dance_audio(spec.bpm, spec.duration_s, spec.first_beat_s, spec.beats_per_bar, spec.transpose)
    c = clip.choreography
    track = track_from_landmarks(clip.landmarks.image, clip.landmarks.world, c.frame_times, fps=c.fps,
                                 width=camera.width, height=camera.height,
                                 noise=EstimatorNoise(**spec.noise), seed=spec.seed)
    sequence = feature_sequence(track, audio, spec.duration_s)
    sizes = dance_fault_sizes(spec.faults, len(beats))
    meta = asdict(spec) | {"n_beats": int(len(beats)), "frozen_frames": int(c.frozen.sum()),
                           "kinematic_beats_s": [round(float(t), 4) for t in c.kinematic_beats]}
    return Record(spec.id, "dance", spec.group, spec.family, spec.variant, sequence,
                  label("dance", sizes), sizes, meta)


def render_music(spec: MusicSpec) -> Record:
    from .corpus_pieces import excerpt
    from .scores import load_melody
    from .midi import write_performance_midi
    from .performance import Expression, Faults, perform
    from .synth import render_midi

    passage = excerpt(load_melody(spec.piece_id), spec.start_beat, spec.n_beats)
    performance = perform(passage, tempo_bpm=spec.tempo_bpm, faults=Faults(**spec.faults),
                          expression=Expression(**spec.expression), seed=spec.seed, lead_in_s=spec.lead_in_s)
    duration = performance.duration_s + 0.6
    with tempfile.TemporaryDirectory(prefix="perfscore-corpus-") as scratch:
        midi = write_performance_midi(performance.notes, Path(scratch) / "performance.mid", program=spec.instrument)
        samples = render_midi(midi, sample_rate=AUDIO.sample_rate, duration_s=duration)
    audio = extract_audio_features(samples, AUDIO)
    sequence = feature_sequence(None, audio, duration)
    sizes = music_fault_sizes(spec.faults, spec.expression)
    meta = asdict(spec) | {"notes": len(performance.notes), "missed": len(performance.missed),
                           "wrong": sum(n.wrong for n in performance.notes),
                           "note_onsets_s": [round(n.onset_s, 4) for n in performance.notes],
                           "note_pitches": [round(n.pitch, 3) for n in performance.notes]}
    return Record(spec.id, "music", spec.group, spec.family, spec.variant, sequence,
                  label("music", sizes), sizes, meta, audio)


def render(spec: Spec) -> Record:
    return render_dance(spec) if isinstance(spec, DanceSpec) else render_music(spec)
