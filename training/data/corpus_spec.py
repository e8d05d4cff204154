"""What the scorer corpus holds: seeded recipes for dance and music performances, and the splits.

A *family* is one piece (or motion) played (danced) one way — tempo, instrument or camera, passage —
and its *variants* are performances of it: variant 0 is clean (music: clean and expressive), the
others carry faults drawn from the catalogue at one of four levels (light: 1–2 faults in the
lower part of their ranges … severe: 4–6 faults near the top), so every grade band is well filled. Families make the
clean-vs-faulty pairs the ranking check needs. Every number comes from a generator seeded by
(corpus seed, family), so a recipe list is reproducible and any one recipe can be rebuilt alone.

Splits are by source: a motion or a piece is either in the test split or in one of the five
cross-validation folds, never in two places (`split_of`).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

import numpy as np

from .corpus_pieces import ALL_PIECES
from .scores import PIECES

MOTIONS = ("backflip", "cartwheel", "crawl", "dance_a", "dance_b", "getup_facedown", "getup_faceup", "jump",
           "kick", "punch", "roll", "run", "spin", "spinkick", "walk")
TEST_MOTIONS = ("dance_b", "kick", "spin")
TEST_PIECES = ("bach-bwv66.6", "bach-bwv438", "folk-garryowen", "handel-lascia", "haydn-op74no1-3", "mozart-k155-1")
N_FOLDS = 5
INSTRUMENTS = ("violin", "flute", "clarinet", "oboe", "piano", "trumpet", "alto_sax", "recorder")

DANCE_FAULTS = ("timing_offset", "timing_jitter", "amplitude", "freeze", "mirror", "jerkiness", "pose_deviation")
MUSIC_FAULTS = ("onset_jitter", "tempo_instability", "wrong_notes", "missed_notes", "detune", "pitch_jitter",
                "flat_dynamics")
# How bad a faulty variant is: (probability, fault count range, severity range as a share of each fault's range).
LEVELS = {"light": (0.25, (1, 2), (0.0, 0.6)), "medium": (0.3, (2, 3), (0.3, 0.8)),
          "heavy": (0.25, (3, 4), (0.45, 0.9)), "severe": (0.2, (4, 6), (0.6, 1.0))}


@dataclass(frozen=True)
class DanceSpec:
    id: str
    family: str
    variant: int
    motion: str
    bpm: float
    duration_s: float
    first_beat_s: float
    beats_per_bar: int
    transpose: int
    camera: dict
    noise: dict
    faults: dict
    seed: int
    level: str = "clean"
    discipline: str = "dance"

    @property
    def group(self) -> str:
        return self.motion


@dataclass(frozen=True)
class MusicSpec:
    id: str
    family: str
    variant: int
    piece_id: str
    start_beat: float
    n_beats: float
    tempo_bpm: float
    instrument: str
    lead_in_s: float
    faults: dict
    expression: dict
    seed: int
    level: str = "clean"
    discipline: str = "music"

    @property
    def group(self) -> str:
        return self.piece_id


Spec = DanceSpec | MusicSpec


def stable_int(*parts) -> int:
    """A seed-free, platform-free integer of the parts (splits and per-clip seeds must not move between runs)."""
    return int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:8], "little")


def split_of(group: str, discipline: str, seed: int = 0) -> str:
    """'test', or 'fold0' … 'fold4' for the cross-validation pool; fixed per motion / piece."""
    test = TEST_MOTIONS if discipline == "dance" else TEST_PIECES
    if group in test:
        return "test"
    pool = sorted((m for m in (MOTIONS if discipline == "dance" else ALL_PIECES) if m not in test),
                  key=lambda g: stable_int(seed, discipline, g))
    if group not in pool:
        raise ValueError(f"{group!r} is not a known {discipline} source")
    return f"fold{pool.index(group) % N_FOLDS}"


class _Severity:
    """Draws fault sizes for one variant: q in the level's share of each fault's [low, high] range."""

    def __init__(self, rng: np.random.Generator, catalogue: tuple[str, ...]):
        names = list(LEVELS)
        self.level = str(rng.choice(names, p=[LEVELS[n][0] for n in names]))
        _, (k_lo, k_hi), self.q_range = LEVELS[self.level]
        k = min(int(rng.integers(k_lo, k_hi + 1)), len(catalogue))
        self.kinds = [str(x) for x in rng.choice(catalogue, size=k, replace=False)]
        self.rng = rng

    def __call__(self, low: float, high: float) -> float:
        return float(low + (high - low) * self.rng.uniform(*self.q_range))


def _beat_runs(rng: np.random.Generator, n_beats: int, fraction: float, max_run: int) -> tuple[int, ...]:
    """About `fraction` of the beats, as runs of 1..max_run consecutive beats (never beat 0)."""
    want = max(1, int(round(fraction * n_beats)))
    chosen: set[int] = set()
    while len(chosen) < want:
        start = int(rng.integers(1, max(2, n_beats - 1)))
        chosen.update(range(start, min(n_beats, start + int(rng.integers(1, max_run + 1)))))
    return tuple(sorted(chosen))[:max(want, 1)]


def dance_faults(rng: np.random.Generator, n_beats: int, period: float) -> tuple[str, dict]:
    size = _Severity(rng, DANCE_FAULTS)
    faults: dict = {}
    for kind in size.kinds:
        if kind == "timing_offset":
            faults["timing_offset_s"] = float(rng.choice([-1, 1]) * min(size(0.03, 0.22), 0.45 * period))
        elif kind == "timing_jitter":
            faults["timing_jitter_s"] = size(0.015, 0.11)
        elif kind == "amplitude":
            faults["amplitude"] = 1.0 - size(0.1, 0.65)
        elif kind == "freeze":
            faults["freeze_beats"] = _beat_runs(rng, n_beats, size(0.05, 0.35), 3)
        elif kind == "mirror":
            faults["mirror_beats"] = _beat_runs(rng, n_beats, size(0.1, 0.45), 6)
        elif kind == "jerkiness":
            faults["jerkiness"] = size(0.15, 0.9)
            faults["jerk_hz"] = float(rng.uniform(4.0, 8.0))
        elif kind == "pose_deviation":
            faults["pose_deviation_deg"] = size(5.0, 28.0)
    return size.level, faults


def music_faults(rng: np.random.Generator) -> tuple[str, dict]:
    size = _Severity(rng, MUSIC_FAULTS)
    faults: dict = {}
    for kind in size.kinds:
        if kind == "onset_jitter":
            faults["onset_jitter_ms"] = size(8.0, 65.0)
        elif kind == "tempo_instability":
            faults["tempo_instability"] = size(0.015, 0.09)
        elif kind == "wrong_notes":
            faults["wrong_note_rate"] = size(0.05, 0.33)
        elif kind == "missed_notes":
            faults["missed_note_rate"] = size(0.05, 0.33)
        elif kind == "detune":
            faults["detune_cents"] = float(rng.choice([-1, 1])) * size(8.0, 55.0)
        elif kind == "pitch_jitter":
            faults["pitch_jitter_cents"] = size(6.0, 38.0)
        elif kind == "flat_dynamics":
            faults["flat_dynamics"] = True
    return size.level, faults


def dance_family(seed: int, motion: str, index: int, n_variants: int) -> list[DanceSpec]:
    rng = np.random.default_rng(stable_int(seed, "dance", motion, index))
    bpm = float(rng.uniform(88, 140))
    period = 60.0 / bpm
    duration = float(rng.uniform(8.0, 12.0))
    first = float(rng.uniform(0.3, 0.9))
    n_beats = int(np.floor((duration - first) / period)) + 1
    camera = {"distance": float(rng.uniform(2.8, 4.6)), "yaw_deg": float(rng.uniform(-35, 35)),
              "elevation_deg": float(rng.uniform(-2, 12)), "roll_deg": float(rng.uniform(-5, 5)),
              "target": (float(rng.uniform(-0.3, 0.3)), 0.85, float(rng.uniform(-0.4, 0.4)))}
    noise = {"world_sd_m": float(rng.uniform(0.005, 0.03)), "image_sd": float(rng.uniform(0.002, 0.008)),
             "occlusion_events_per_10s": float(rng.uniform(0, 2)), "drop_bursts_per_10s": float(rng.uniform(0, 2))}
    common = dict(motion=motion, bpm=bpm, duration_s=duration, first_beat_s=first,
                  beats_per_bar=int(rng.choice([4, 4, 3])), transpose=int(rng.integers(-5, 7)),
                  camera=camera, noise=noise)
    family = f"dance-{motion}-{index:03d}"
    specs = []
    for v in range(n_variants):
        level, faults = ("clean", {}) if v == 0 else dance_faults(rng, n_beats, period)
        specs.append(DanceSpec(f"{family}-v{v}", family, v, seed=int(rng.integers(0, 2**31)), faults=faults,
                               level=level, **common))
    return specs


def _passage(rng: np.random.Generator, onsets: np.ndarray, total_beats: float, want_beats: float) -> float:
    """A note onset to start a passage of `want_beats` from (inside the piece when it is long enough)."""
    latest = max(0.0, total_beats - want_beats)
    candidates = onsets[onsets <= latest]
    return float(rng.choice(candidates)) if len(candidates) else 0.0


def music_family(seed: int, piece_id: str, index: int, n_variants: int, onsets: np.ndarray,
                 total_beats: float) -> list[MusicSpec]:
    rng = np.random.default_rng(stable_int(seed, "music", piece_id, index))
    tempo = float(PIECES[piece_id].tempo_bpm * rng.uniform(0.85, 1.15))
    n_beats = float(np.round(rng.uniform(8.0, 12.0) * tempo / 60.0))
    start = _passage(rng, onsets, total_beats, n_beats)
    instrument = str(rng.choice(INSTRUMENTS))
    lead_in = float(rng.uniform(0.3, 0.8))
    family = f"music-{piece_id}-{index:03d}"
    specs = []
    for v in range(n_variants):
        expressive = v == 0 or rng.random() < 0.5
        expression = ({"dynamics": float(rng.uniform(18, 35)), "rubato": float(rng.uniform(0.15, 0.4))} if expressive
                      else {"dynamics": float(rng.uniform(0, 12)), "rubato": float(rng.uniform(0, 0.1))})
        expression["articulation"] = float(rng.uniform(0.8, 0.97))
        level, faults = ("clean", {}) if v == 0 else music_faults(rng)
        # Nuisance (not judged, see labels.py): where the first note falls and a steady drift.
        faults["onset_offset_ms"] = float(rng.uniform(-80, 80))
        if rng.random() < 0.3:
            faults["drift_ms_per_s"] = float(rng.uniform(-20, 20))
        specs.append(MusicSpec(f"{family}-v{v}", family, v, piece_id, start, n_beats, tempo, instrument, lead_in,
                               faults, expression, int(rng.integers(0, 2**31)), level))
    return specs


@dataclass(frozen=True)
class CorpusSize:
    dance_families_per_motion: int
    music_families_per_piece: int
    variants: int

    @property
    def clips(self) -> int:
        return (len(MOTIONS) * self.dance_families_per_motion
                + len(ALL_PIECES) * self.music_families_per_piece) * self.variants


SIZES = {
    "tiny": CorpusSize(1, 1, 3),          # tests
    "small": CorpusSize(4, 2, 6),
    "full": CorpusSize(16, 8, 8),
}


@dataclass
class CorpusPlan:
    seed: int
    size: CorpusSize
    specs: list[Spec] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"seed": self.seed, "size": asdict(self.size), "clips": len(self.specs)}


def plan(seed: int, size: CorpusSize, motions=MOTIONS, pieces=ALL_PIECES) -> CorpusPlan:
    from .scores import load_melody

    specs: list[Spec] = []
    for motion in motions:
        for i in range(size.dance_families_per_motion):
            specs += dance_family(seed, motion, i, size.variants)
    for piece_id in pieces:
        full = load_melody(piece_id)
        onsets = np.array([n.onset_beats for n in full.notes])
        for i in range(size.music_families_per_piece):
            specs += music_family(seed, piece_id, i, size.variants, onsets, full.duration_beats)
    return CorpusPlan(seed, size, specs)
