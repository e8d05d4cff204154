"""A window of an analysis: every measurement restricted to [start, end) on the recording's timeline.

The rubric judges a window the same way it judges the whole performance, which is how a report shows
where in the piece points were lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...analysis import Analysis
from ...config import Settings
from ...features.landmarks import BODY
from ...features.notes import Notes, transcribe
from ...features.pose_normalize import normalize
from ...features.reference_dance import DanceComparison
from ...features.reference_music import MusicComparison
from ...features.rhythm import fill_short_gaps


@dataclass
class Window:
    analysis: Analysis
    settings: Settings
    start: float
    end: float
    notes: Notes  # transcribed from the whole performance (note boundaries need context)
    pose: np.ndarray | None = None  # normalised world pose of the whole performance (gaps ≤ 0.25 s filled)

    @classmethod
    def whole(cls, analysis: Analysis, settings: Settings) -> "Window":
        a = analysis.audio
        ref = analysis.reference
        if isinstance(ref, MusicComparison) and ref.polyphonic:
            notes = _heard_notes(ref)   # one pitch track cannot follow chords: the notes checked against the score
        elif a is not None and not a.silent:
            notes = transcribe(a.onsets_s, a.f0_midi(), a.f0_times, a.rms_dbfs)
        else:
            notes = Notes(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
        pose = None
        if analysis.pose is not None and analysis.pose.person_frames:
            pose = fill_short_gaps(normalize(analysis.pose.world), analysis.pose.times)
        return cls(analysis, settings, 0.0, max(analysis.duration_s, 1e-3), notes, pose)

    def part(self, start: float, end: float) -> "Window":
        return Window(self.analysis, self.settings, start, end, self.notes, self.pose)

    def inside(self, times: np.ndarray) -> np.ndarray:
        times = np.asarray(times)
        return (times >= self.start) & (times < self.end)

    # --- audio ---------------------------------------------------------------------------------------
    def beats(self) -> np.ndarray:
        a = self.analysis.audio
        return np.zeros(0) if a is None else a.beats_s[self.inside(a.beats_s)]

    def all_beats(self) -> np.ndarray:
        a = self.analysis.audio
        return np.zeros(0) if a is None else a.beats_s

    def onset_deviations(self) -> tuple[np.ndarray, np.ndarray]:
        times, dev = self.analysis.onset_deviation_times_s, self.analysis.onset_deviations_s
        sel = self.inside(times)
        return times[sel], dev[sel]

    def window_notes(self) -> Notes:
        sel = self.inside(self.notes.onsets)
        n = self.notes
        return Notes(n.onsets[sel], n.offsets[sel], n.pitches[sel], n.velocities[sel])

    def f0_cents_in_notes(self) -> list[np.ndarray]:
        """Pitch (cents relative to each note's median) over the middle of each note in the window."""
        a = self.analysis.audio
        f0 = a.f0_midi()
        out = []
        for on, off, pitch in zip(*[getattr(self.window_notes(), k) for k in ("onsets", "offsets", "pitches")]):
            lo, hi = on + 0.2 * (off - on), on + 0.8 * (off - on)
            sel = (a.f0_times >= lo) & (a.f0_times <= hi) & np.isfinite(f0)
            if sel.sum() >= 3:
                out.append((f0[sel] - pitch) * 100.0)
        return out

    def levels_measured(self) -> bool:
        """True when each note's level was measured at its attack (polyphonic reference): the
        notes' velocities are then levels in dB."""
        ref = self.music_reference()
        return ref is not None and ref.polyphonic

    def complete_chord_levels(self) -> tuple[np.ndarray, np.ndarray]:
        """(pitches, levels in dB) of the heard notes in the window whose written chord, and the chord
        written just before it, were played complete (polyphonic reference).

        A note's level is the loudness of the attack it belongs to; a chord with a note left out (or
        following one whose ringing bass was left out) is quieter without the player meaning a softer
        dynamic: on the rag's missed-note take those attacks read 2–5 dB low and spread the levels
        8.4 dB against the clean take's 6.0."""
        ref = self.music_reference()
        if ref is None or not ref.polyphonic:
            return np.zeros(0), np.zeros(0)
        written = np.round(np.array([n.written_onset_s for n in ref.notes]), 3)
        chords, chord = np.unique(written, return_inverse=True)
        incomplete = {int(chord[i]) for i, n in enumerate(ref.notes) if n.status == "missed"}
        rows = [(n.performed_pitch, n.level_db) for i, n in enumerate(ref.notes)
                if n.performed_onset_s is not None and n.level_db is not None
                and self.start <= n.performed_onset_s < self.end
                and int(chord[i]) not in incomplete and int(chord[i]) - 1 not in incomplete]
        a = np.array(rows, float).reshape(-1, 2)
        return a[:, 0], a[:, 1]

    def music_reference(self) -> MusicComparison | None:
        ref = self.analysis.reference
        return ref if isinstance(ref, MusicComparison) else None

    def reference_notes(self) -> list:
        """Reference note comparisons whose performed (or written, if unplayed) time is in the window."""
        ref = self.music_reference()
        if ref is None:
            return []
        out = []
        for n in ref.notes:
            t = n.performed_onset_s if n.performed_onset_s is not None else ref.time_offset_s + ref.tempo_ratio * n.written_onset_s
            if self.start <= t < self.end:
                out.append(n)
        return out

    # --- pose ----------------------------------------------------------------------------------------
    def motion_beats(self) -> np.ndarray:
        mb = self.analysis.motion_beats_s
        return mb[self.inside(mb)]

    def pose_in_window(self) -> tuple[np.ndarray, np.ndarray]:
        """(times, normalised poses) of the frames in the window where the whole body is known."""
        if self.pose is None:
            return np.zeros(0), np.zeros((0, 33, 3))
        times = self.analysis.pose.times
        sel = self.inside(times) & np.isfinite(self.pose[:, BODY]).all(axis=(1, 2))
        return times[sel], self.pose[sel]

    def dance_reference(self) -> DanceComparison | None:
        ref = self.analysis.reference
        return ref if isinstance(ref, DanceComparison) else None


def _heard_notes(ref: MusicComparison) -> Notes:
    """The written notes that were played (right or wrong) where they were heard, velocity = level (dB)."""
    rows = sorted((n.performed_onset_s, n.performed_onset_s + 0.1, n.performed_pitch, n.level_db)
                  for n in ref.notes if n.performed_onset_s is not None and n.level_db is not None)
    if not rows:
        return Notes(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
    a = np.array(rows, float)
    return Notes(a[:, 0], a[:, 1], a[:, 2], a[:, 3])
