"""A music performance against its MIDI reference: DTW on pitch, per-note deviations, mir_eval hit rates.

1. The reference melody and the performance's pitch track are sampled on one frame grid (2 analysis
   hops, 23 ms) and aligned by DTW on pitch distance. This is what pairs each reference note with the
   moment it was played, even with wrong, missed or extra notes and a different tempo.
2. Each reference note's performed onset is the transcribed onset nearest its aligned time; its pitch
   deviation (cents) is the median f0 over the aligned middle of the note against the written pitch.
3. Timing is judged against a time map: by default a robust straight line (Theil–Sen) through
   (written onset, performed onset) — the performer's own start and tempo — so deviations are rubato,
   rushing and dragging rather than "started 2 s into the recording". With `clock="reference"` the
   reference's own clock is used (play-along: written time = recording time).
4. Hit rates use mir_eval's transcription metrics with its tolerances (onset 50 ms, pitch 50 cents)
   between the reference warped onto the performance and the transcribed notes.

A polyphonic reference (notes that sound together: chords, several voices) cannot be followed by one
pitch track; it goes through edge.features.reference_polyphonic instead (chroma/onset alignment with
multiscale DTW, note checking with a polyphonic transcription model) and fills the same comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import mir_eval
import numpy as np
from scipy.stats import theilslopes

from .audio import AudioFeatures
from .dtw import dtw
from .notes import Notes, melody, transcribe
from . import reference_polyphonic as poly

FRAME_HOPS = 2          # DTW frame = 2 analysis hops (23 ms): fine enough for 50 ms tolerances, 4× cheaper
MATCH_WINDOW_S = 0.12   # a performed onset further than this from the aligned time is not this note's
STRAY_SCALE_S = 0.25    # second pass: straying this far from the tempo map costs as much as…
STRAY_WEIGHT = 0.5      # …half the cost of a wrong pitch


@dataclass
class NoteComparison:
    written_onset_s: float
    written_pitch: float
    performed_onset_s: float | None   # None: no onset found near the aligned time
    onset_deviation_ms: float | None  # against the time map
    pitch_deviation_cents: float | None  # None: nothing voiced where the note was aligned
    status: str = "played"            # "played", "wrong" (another pitch sounded) or "missed"
    performed_pitch: float | None = None  # MIDI number heard (fractional: cents), None if missed
    level_db: float | None = None     # its chord's level at its attack (polyphonic path: chord_level)


@dataclass
class MusicComparison:
    notes: list[NoteComparison]
    time_offset_s: float     # performed = offset + tempo_ratio × written
    tempo_ratio: float       # > 1: played slower than written
    clock: str
    note_precision: float
    note_recall: float
    note_f1: float
    onset_hit_rate: float    # fraction of reference notes with an onset within tolerance
    pitch_hit_rate: float    # fraction of reference notes within the pitch tolerance
    dtw_cost: float
    transcribed: Notes
    polyphonic: bool = False
    extra: Notes | None = None       # transcribed notes no written note explains (polyphonic path)

    def counts(self) -> dict:
        return {k: sum(n.status == k for n in self.notes) for k in ("played", "wrong", "missed")}

    def summary(self) -> dict:
        onset = np.array([n.onset_deviation_ms for n in self.notes if n.onset_deviation_ms is not None])
        # Intonation of the notes played (a wrong note's hundreds of cents are counted as a wrong note).
        cents = np.array([n.pitch_deviation_cents for n in self.notes
                          if n.pitch_deviation_cents is not None and n.status == "played"])
        counts = self.counts()
        return {
            "kind": "music",
            "clock": self.clock,
            "polyphonic": self.polyphonic,
            "notes_written": len(self.notes),
            "notes_played": counts["played"],
            "notes_wrong": counts["wrong"],
            "notes_missed": counts["missed"],
            "notes_extra": None if self.extra is None else len(self.extra),
            "notes_transcribed": len(self.transcribed),
            "time_offset_s": round(self.time_offset_s, 4),
            "tempo_ratio": round(self.tempo_ratio, 4),
            "onset_deviation_ms": _stats(onset),
            "pitch_deviation_cents": _stats(cents),
            "note_precision": round(self.note_precision, 4),
            "note_recall": round(self.note_recall, 4),
            "note_f1": round(self.note_f1, 4),
            "onset_hit_rate": round(self.onset_hit_rate, 4),
            "pitch_hit_rate": round(self.pitch_hit_rate, 4),
            "dtw_cost": round(self.dtw_cost, 4),
            "per_note": [
                {"written_onset_s": round(n.written_onset_s, 4), "written_pitch": round(n.written_pitch, 2),
                 "performed_onset_s": None if n.performed_onset_s is None else round(n.performed_onset_s, 4),
                 "onset_deviation_ms": None if n.onset_deviation_ms is None else round(n.onset_deviation_ms, 1),
                 "pitch_deviation_cents": None if n.pitch_deviation_cents is None else round(n.pitch_deviation_cents, 1),
                 "status": n.status,
                 "performed_pitch": None if n.performed_pitch is None else round(n.performed_pitch, 2)}
                for n in self.notes
            ],
        }


def _stats(values: np.ndarray) -> dict:
    if len(values) == 0:
        return {"mean": None, "std": None, "mean_abs": None, "n": 0}
    return {"mean": round(float(values.mean()), 2), "std": round(float(values.std()), 2),
            "mean_abs": round(float(np.abs(values).mean()), 2), "n": int(len(values))}


def _pitch_cost(ref: np.ndarray, perf: np.ndarray) -> np.ndarray:
    """Frame-to-frame cost: semitone distance capped at 3 (scaled to 0–1); rest vs sound costs 0.5."""
    r, p = ref[:, None], perf[None, :]
    both = np.isfinite(r) & np.isfinite(p)
    neither = ~np.isfinite(r) & ~np.isfinite(p)
    cost = np.where(both, np.minimum(np.abs(np.nan_to_num(r) - np.nan_to_num(p)), 3.0) / 3.0, 0.5)
    return np.where(neither, 0.0, cost).astype(np.float32)


def _match_notes(ref: Notes, ref_start: float, step: float, aligned: np.ndarray, performed: Notes,
                 f0: np.ndarray, f0_times: np.ndarray) -> list[NoteComparison]:
    """Pair each written note with the performed onset nearest its aligned time, and measure its pitch."""
    notes = []
    last = len(aligned) - 1
    for on, off, pitch in zip(ref.onsets, ref.offsets, ref.pitches):
        t_aligned = aligned[min(int((on - ref_start) / step), last)]
        near = performed.onsets[np.abs(performed.onsets - t_aligned) <= MATCH_WINDOW_S]
        played = float(near[np.argmin(np.abs(near - t_aligned))]) if len(near) else None
        # Pitch over the aligned middle 60 % of the note (attacks and releases bend pitch).
        lo = min(int((on + 0.2 * (off - on) - ref_start) / step), last)
        hi = min(max(int((on + 0.8 * (off - on) - ref_start) / step), lo), last)
        sung = f0[(f0_times >= aligned[lo]) & (f0_times <= aligned[hi] + step)]
        sung = sung[np.isfinite(sung)]
        cents = float(np.median(sung) - pitch) * 100 if len(sung) else None
        notes.append(NoteComparison(float(on), float(pitch), played, None, cents))
    return notes


def _time_map(notes: list[NoteComparison]) -> tuple[float, float] | None:
    """Robust (offset, slope) of performed onset against written onset; None with fewer than 3 pairs."""
    pairs = np.array([(n.written_onset_s, n.performed_onset_s) for n in notes if n.performed_onset_s is not None])
    if len(pairs) < 3:
        return None
    slope, offset, _, _ = theilslopes(pairs[:, 1], pairs[:, 0])
    return float(offset), float(slope)


def compare_to_midi(reference: Notes, audio: AudioFeatures, *, onset_tolerance_ms: float = 50.0,
                    pitch_tolerance_cents: float = 50.0, clock: str = "fitted", samples: np.ndarray | None = None,
                    polyphonic: bool | None = None) -> MusicComparison:
    """Compare a performance with its score. A polyphonic reference (see `reference_polyphonic.is_polyphonic`,
    or `polyphonic=True`) needs the performance's raw `samples` at audio.sample_rate; a single line keeps
    the precise pitch-track path."""
    if polyphonic is None:
        polyphonic = poly.is_polyphonic(reference)
    if polyphonic:
        if samples is None:
            raise ValueError("a polyphonic reference needs the performance's samples to transcribe")
        return _compare_polyphonic(reference, samples, audio.sample_rate, audio.start_s,
                                   onset_tolerance_ms, pitch_tolerance_cents, clock)
    ref = melody(reference)
    f0 = audio.f0_midi()
    step = FRAME_HOPS * audio.hop / audio.sample_rate
    performed = transcribe(audio.onsets_s, f0, audio.f0_times, audio.rms_dbfs)

    # Frame grids: the written melody from its first onset, the performance around its voiced part.
    ref_start, ref_end = ref.onsets.min(), ref.offsets.max()
    ref_times = np.arange(ref_start, ref_end, step)
    ref_pitch = np.full(len(ref_times), np.nan)
    for on, off, pitch in zip(ref.onsets, ref.offsets, ref.pitches):
        ref_pitch[(ref_times >= on) & (ref_times < off)] = pitch
    voiced_times = audio.f0_times[np.isfinite(f0)]
    if len(voiced_times) == 0:
        raise ValueError("nothing pitched was heard: cannot compare with the reference")
    perf_times = np.arange(max(voiced_times[0] - 0.1, audio.f0_times[0]), voiced_times[-1] + 0.1, step)
    perf_pitch = np.interp(perf_times, audio.f0_times, np.nan_to_num(f0, nan=-1000.0))
    perf_pitch[perf_pitch < 0] = np.nan  # interpolating across unvoiced frames must not invent pitch
    pitch_cost = _pitch_cost(ref_pitch, perf_pitch)

    # Two passes: pitch alone pairs notes, but a wrong note that repeats its neighbour's pitch can steal
    # the neighbour's place; the second pass adds a cost for straying from the tempo map of the first.
    time_map = None
    for _ in range(2):
        cost = pitch_cost
        if time_map is not None:
            expected = time_map[0] + time_map[1] * ref_times
            stray = np.minimum(np.abs(perf_times[None, :] - expected[:, None]) / STRAY_SCALE_S, 1.0)
            cost = pitch_cost + STRAY_WEIGHT * stray.astype(np.float32)
        path, dtw_cost = dtw(cost)
        first = np.full(len(ref_times), -1)
        for i, j in path[::-1]:
            first[i] = j  # the first performance frame each reference frame is aligned with
        aligned = perf_times[first]
        notes = _match_notes(ref, ref_start, step, aligned, performed, f0, audio.f0_times)
        time_map = _time_map(notes)
        if time_map is None:
            break

    offset, slope = (0.0, 1.0) if clock == "reference" or time_map is None else time_map
    for n in notes:
        if n.performed_onset_s is not None:
            n.onset_deviation_ms = (n.performed_onset_s - (offset + slope * n.written_onset_s)) * 1000.0

    # mir_eval: the reference warped onto the performance's timeline vs what was transcribed.
    warped_on = np.array([n.performed_onset_s if n.performed_onset_s is not None
                          else aligned[min(int((n.written_onset_s - ref_start) / step), len(aligned) - 1)]
                          for n in notes])
    warped = np.stack([warped_on, warped_on + (ref.offsets - ref.onsets) * slope], axis=1)
    precision, recall, f1, onset_hits = _hit_rates(notes, warped, ref, performed, onset_tolerance_ms,
                                                   pitch_tolerance_cents)
    pitch_hits = np.mean([n.pitch_deviation_cents is not None and abs(n.pitch_deviation_cents) <= pitch_tolerance_cents
                          for n in notes])
    for n in notes:
        if n.pitch_deviation_cents is None:
            n.status = "missed"
        else:
            n.performed_pitch = n.written_pitch + n.pitch_deviation_cents / 100.0
            n.status = "wrong" if abs(n.pitch_deviation_cents) > pitch_tolerance_cents else "played"
    return MusicComparison(notes, float(offset), float(slope), clock, float(precision), float(recall), float(f1),
                           float(onset_hits), float(pitch_hits), dtw_cost, performed)


def _hit_rates(notes: list[NoteComparison], warped: np.ndarray, reference: Notes, heard: Notes,
               onset_tolerance_ms: float, pitch_tolerance_cents: float) -> tuple[float, float, float, float]:
    """mir_eval's note precision, recall and F1 (onset and pitch tolerances, offsets ignored) of what was
    heard against the reference warped onto the performance, and the share of written notes whose
    onset deviation is within tolerance."""
    if len(heard):
        precision, recall, f1, _ = mir_eval.transcription.precision_recall_f1_overlap(
            warped, reference.hz(), heard.intervals(), heard.hz(),
            onset_tolerance=onset_tolerance_ms / 1000, pitch_tolerance=pitch_tolerance_cents, offset_ratio=None)
    else:
        precision = recall = f1 = 0.0
    onset_hits = np.mean([n.onset_deviation_ms is not None and abs(n.onset_deviation_ms) <= onset_tolerance_ms
                          for n in notes])
    return float(precision), float(recall), float(f1), float(onset_hits)


def _compare_polyphonic(reference: Notes, samples: np.ndarray, sample_rate: int, start_s: float,
                        onset_tolerance_ms: float, pitch_tolerance_cents: float, clock: str) -> MusicComparison:
    checked, _, extra, (written, performed), cost, ratio = poly.analyse(reference, samples, sample_rate, start_s)
    notes = [NoteComparison(float(on), float(p), r["onset"], None,
                            r["cents"] if r["status"] == "played" else
                            None if r["pitch"] is None else (r["pitch"] - p) * 100.0,
                            r["status"], r["pitch"], r["level_db"])
             for on, p, r in zip(reference.onsets, reference.pitches, checked)]
    time_map = _time_map(notes)
    if clock == "reference" or time_map is None:
        offset, slope = (0.0, 1.0) if clock == "reference" else (float(performed[0] - ratio * written[0]), ratio)
    else:
        offset, slope = time_map
    for n in notes:
        if n.performed_onset_s is not None:
            n.onset_deviation_ms = (n.performed_onset_s - (offset + slope * n.written_onset_s)) * 1000.0
    # What was heard: the played and wrong notes where they were measured, plus unexplained extra notes.
    heard = [(n.performed_onset_s, n.performed_onset_s + max(off - n.written_onset_s, 0.05) * slope,
              n.performed_pitch, n.level_db if n.level_db is not None else 0.0)
             for n, off in zip(notes, reference.offsets) if n.performed_onset_s is not None]
    heard += [(a, b, p, 0.0) for a, b, p in zip(extra.onsets, extra.offsets, extra.pitches)]
    heard.sort()
    arr = np.array(heard, float).reshape(-1, 4)
    transcribed = Notes(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3])
    aligned = np.interp(reference.onsets, written, performed)
    warped_on = np.array([n.performed_onset_s if n.performed_onset_s is not None else a for n, a in zip(notes, aligned)])
    warped = np.stack([warped_on, warped_on + np.maximum(reference.offsets - reference.onsets, 0.05) * slope], axis=1)
    precision, recall, f1, onset_hits = _hit_rates(notes, warped, reference, transcribed, onset_tolerance_ms,
                                                   pitch_tolerance_cents)
    pitch_hits = np.mean([n.status == "played" and (n.pitch_deviation_cents is None
                                                    or abs(n.pitch_deviation_cents) <= pitch_tolerance_cents)
                          for n in notes])
    return MusicComparison(notes, float(offset), float(slope), clock, float(precision), float(recall), float(f1),
                           float(onset_hits), float(pitch_hits), cost, transcribed, True, extra)
