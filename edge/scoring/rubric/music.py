"""Rubric sub-scores of a music performance. Formulas, thresholds and their reasons: docs/scoring.md."""

from __future__ import annotations

import numpy as np

from ...features.audio.beats import tempo_cv
from ..curves import blend, early_or_late, points, smooth_and_rest
from ..result import SubScore
from .version import RUBRIC_MODEL
from .window import Window

MIN_NOTES = 4  # fewer notes than this in a window: too little to judge


def _drift(times: np.ndarray, dev_ms: np.ndarray) -> tuple[float | None, str]:
    """Second half's mean deviation minus the first half's: how timing moves through the window."""
    if len(dev_ms) < 2 * MIN_NOTES:
        return None, ""
    middle = np.median(times)
    drift = float(dev_ms[times >= middle].mean() - dev_ms[times < middle].mean())
    if abs(drift) < 15:
        return drift, ""
    return drift, f" and drift {'later' if drift > 0 else 'earlier'} by {abs(drift):.0f} ms in the second half"


def rhythm(w: Window) -> SubScore:
    ref_notes = [n for n in w.reference_notes() if n.onset_deviation_ms is not None]
    if len(ref_notes) >= MIN_NOTES:
        # Against the score: each note's timing against the performer's own tempo, with the phrase-scale
        # shaping (rubato: judged under interpretation) taken out, so what is left is unevenness.
        times = np.array([n.performed_onset_s for n in ref_notes])
        raw = np.array([n.onset_deviation_ms for n in ref_notes])
        shape, rest = smooth_and_rest(raw)
        dev_ms = rest + (raw.mean() if w.music_reference().clock == "reference" else 0.0)
        source = "against the reference"
    else:
        times, dev = w.onset_deviations()
        dev_ms = dev * 1000.0
        source = "against the beat grid"
    beats = w.beats()
    cv = tempo_cv(beats) if len(beats) >= 4 else None
    if len(ref_notes) >= MIN_NOTES:
        # With a score the tempo is read off the written notes themselves: steadier than tracked beats,
        # whose placement follows every syncopation and, on soft attacks, every onset's noise.
        cv = _tempo_spread(ref_notes, w.music_reference().tempo_ratio) or cv
    if len(dev_ms) < MIN_NOTES and cv is None:
        return SubScore(None, "Too few notes here to judge rhythm.", {"notes": int(len(dev_ms))}, RUBRIC_MODEL)
    measurements = {"timing_source": source, "notes": int(len(dev_ms)), "tempo_cv": None if cv is None else round(cv, 4)}
    timing = None
    sentence = ""
    if len(dev_ms) >= MIN_NOTES:
        mean_abs, mean, spread = float(np.abs(dev_ms).mean()), float(dev_ms.mean()), float(dev_ms.std())
        drift, drift_text = _drift(times, dev_ms)
        measurements |= {"onset_deviation_mean_ms": round(mean, 1), "onset_deviation_std_ms": round(spread, 1),
                         "onset_deviation_mean_abs_ms": round(mean_abs, 1),
                         "drift_ms": None if drift is None else round(drift, 1)}
        timing = points(mean_abs, full=10.0, zero=50.0)
        sentence = f"Onsets are {early_or_late(mean)} on average {source}, give or take {spread:.0f} ms{drift_text}"
    stability = points(cv, full=0.02, zero=0.15)
    if cv is not None:
        sentence += ("; " if sentence else "The ") + f"beat-to-beat tempo varies by {cv * 100:.0f} %"
    return SubScore(blend([(timing, 0.6), (stability, 0.4)]), sentence + ".", measurements, RUBRIC_MODEL)


def technique(w: Window) -> SubScore:
    """Clean execution, judged without knowing the piece: intonation and pitch steadiness. With a reference,
    intonation is each played note's distance from its written pitch (which notes were played is
    `interpretation`: a wrong note's hundreds of cents are a wrong note, not poor intonation)."""
    ref_notes = w.reference_notes()
    if len(ref_notes) >= MIN_NOTES:
        cents = np.array([n.pitch_deviation_cents for n in ref_notes
                          if n.pitch_deviation_cents is not None and n.status == "played"])
        if len(cents) >= MIN_NOTES:
            mean_abs = float(np.abs(cents).mean())
            mean = float(cents.mean())
            sentence = (f"Played notes are {mean_abs:.0f} cents from the written pitch on average"
                        + (f" (mostly {'sharp' if mean > 0 else 'flat'})" if abs(mean) > 10 else "") + ".")
            return SubScore(points(mean_abs, full=5.0, zero=50.0), sentence,
                            {"notes_played": int(len(cents)), "pitch_deviation_mean_abs_cents": round(mean_abs, 1),
                             "pitch_deviation_mean_cents": round(mean, 1)}, RUBRIC_MODEL)
    notes = w.window_notes()
    if len(notes) < MIN_NOTES:
        return SubScore(None, "Too few pitched notes here to judge intonation.", {"notes": len(notes)}, RUBRIC_MODEL)
    # Without a score: how close each note sits to equal temperament at A = 440 Hz, and how steady it is held.
    off_grid = (notes.pitches - np.round(notes.pitches)) * 100.0
    intonation = float(np.abs(off_grid).mean())
    wobble = [float(np.std(c)) for c in w.f0_cents_in_notes()]
    steadiness = float(np.median(wobble)) if wobble else None
    value = blend([(points(intonation, full=5.0, zero=35.0), 0.6), (points(steadiness, full=8.0, zero=50.0), 0.4)])
    sharp = float(off_grid.mean())
    sentence = (f"Notes sit {intonation:.0f} cents from the nearest semitone on average"
                + (f" (mostly {'sharp' if sharp > 0 else 'flat'})" if abs(sharp) > 10 else "")
                + (f" and waver by {steadiness:.0f} cents while held." if steadiness is not None else "."))
    return SubScore(value, sentence, {"notes": len(notes), "intonation_mean_abs_cents": round(intonation, 1),
                                      "intonation_mean_cents": round(sharp, 1),
                                      "pitch_wobble_median_cents": None if steadiness is None else round(steadiness, 1)},
                    RUBRIC_MODEL)


def _note_levels(w: Window) -> tuple[np.ndarray, np.ndarray]:
    """(pitches, peak level in dBFS) of the notes in the window: what the listener hears as their dynamic.
    With a polyphonic reference, each note carries the level of the attack it belongs to, counted only
    where its chord was played complete (Window.complete_chord_levels); when too few are, every heard note."""
    notes = w.window_notes()
    if w.levels_measured():
        pitches, levels = w.complete_chord_levels()
        if len(levels) >= MIN_NOTES:
            return pitches, levels
        return notes.pitches, notes.velocities
    a = w.analysis.audio
    pitches, levels = [], []
    for on, off, pitch in zip(notes.onsets, notes.offsets, notes.pitches):
        sel = (a.frame_times >= on) & (a.frame_times <= max(off, on + 0.05))
        if sel.any():
            pitches.append(pitch)
            levels.append(float(a.rms_dbfs[:len(a.frame_times)][sel].max()))
    return np.array(pitches), np.array(levels)


def expression(w: Window) -> SubScore:
    """Dynamics as the listener hears them: how far the notes' levels range (p90 − p10 of each note's
    peak level, so a note's own decay does not count), and how much of that follows the phrases."""
    _, levels = _note_levels(w)
    if len(levels) < MIN_NOTES:
        return SubScore(None, "Too few notes here to judge dynamics.", {"notes": int(len(levels))}, RUBRIC_MODEL)
    p10, p90 = np.percentile(levels, [10, 90])
    note_range = float(p90 - p10)
    shape = float(np.std(smooth_and_rest(levels)[0]))
    value = blend([(points(note_range, full=10.0, zero=2.0), 0.6), (points(shape, full=2.0, zero=0.5), 0.4)])
    sentence = f"Notes range over {note_range:.0f} dB of loudness"
    sentence += (f" and phrases swell and fade by about {shape:.1f} dB" if shape >= 1.0
                 else "; phrases stay at one level (try shaping them)")
    return SubScore(value, sentence + ".", {"note_level_range_db": round(note_range, 2),
                                            "phrase_shaping_db": round(shape, 2), "notes": int(len(levels))},
                    RUBRIC_MODEL)


def _dynamic_shaping(w: Window) -> float | None:
    """p90 − p10 (dB) of the note levels after removing their linear dependence on pitch."""
    pitches, levels = _note_levels(w)
    if len(levels) < MIN_NOTES:
        return None
    design = np.column_stack([pitches, np.ones(len(levels))])
    residual = levels - design @ np.linalg.lstsq(design, levels, rcond=None)[0]
    p10, p90 = np.percentile(residual, [10, 90])
    return float(p90 - p10)


NOTES_ZERO = 0.70    # share of written notes played that earns 0: 30 % wrong or missed is not the piece
                     # any more (the training labels' full wrong- and missed-note rate, training/data/labels.py)
TEMPO_SPAN_S = 1.0   # written seconds per local-tempo reading: long enough to average out note-level jitter


def _tempo_spread(ref_notes: list, tempo_ratio: float) -> float | None:
    """Robust spread (1.4826 × MAD) of the local tempo against the score, one reading per TEMPO_SPAN_S of
    written time, relative to the performer's overall tempo. Notes written together (a chord) count once,
    at their median performed time. A few phrase ends held longer (rubato) do not move a MAD; a tempo that
    wanders does."""
    written = np.array([n.written_onset_s for n in ref_notes])
    played = np.array([n.performed_onset_s for n in ref_notes])
    onsets, group = np.unique(np.round(written, 3), return_inverse=True)
    times = np.array([np.median(played[group == k]) for k in range(len(onsets))])
    anchors = [0]
    for k in range(1, len(onsets)):
        if onsets[k] - onsets[anchors[-1]] >= TEMPO_SPAN_S:
            anchors.append(k)
    if len(anchors) < 4:
        return None
    w_span, p_span = np.diff(onsets[anchors]), np.diff(times[anchors])
    stretch = p_span / w_span / tempo_ratio
    return float(1.4826 * np.median(np.abs(stretch - np.median(stretch))))


def _stretch(ref_notes: list, tempo_ratio: float) -> np.ndarray:
    """Per written interval: performed length / written length / overall tempo ratio − 1 (0 = in tempo)."""
    written = np.array([n.written_onset_s for n in ref_notes])
    played = np.array([n.performed_onset_s for n in ref_notes])
    w_ioi, p_ioi = np.diff(written), np.diff(played)
    ok = w_ioi > 1e-3
    return p_ioi[ok] / w_ioi[ok] / tempo_ratio - 1.0


def interpretation(w: Window) -> SubScore:
    """Faithfulness to the score: its notes, and its phrasing as deliberate departures rather than random ones.

    - Notes: the share of written notes played (not wrong, not missed).
    - Time: rubato lengthens a few notes clearly (into a phrase end) while the rest keep time; unsteady
      playing stretches and squeezes every note a little. So the note-to-note unevenness (a robust spread
      of interval stretch) must be small, and clear lengthenings (beyond 3× that spread and 6 %) earn the rest.
    - Dynamics: how far note levels range once what the instrument does by itself with pitch (a linear
      fit of level on pitch) is taken out: a played swell, not the instrument's register.
    """
    ref = w.music_reference()
    if ref is None:
        return SubScore(None, "Interpretation is judged against a reference score; none was given.", {}, RUBRIC_MODEL)
    written = w.reference_notes()
    if len(written) < MIN_NOTES:
        return SubScore(None, "Too few written notes here to judge interpretation.", {}, RUBRIC_MODEL)
    played = sum(n.status == "played" for n in written)
    wrong = sum(n.status == "wrong" for n in written)
    missed = sum(n.status == "missed" for n in written)
    faults = ", ".join(f"{k} {name}" for k, name in ((wrong, "wrong"), (missed, "missed")) if k)
    measurements: dict = {"notes_written": len(written), "notes_played": played, "notes_wrong": wrong,
                          "notes_missed": missed, "note_hit_rate": round(played / len(written), 4)}
    sentence = f"{played} of {len(written)} written notes played" + (f" ({faults})" if faults else "")
    timing = dyn_shape = None
    ref_notes = [n for n in written if n.performed_onset_s is not None]
    if len(ref_notes) >= MIN_NOTES + 1:
        stretch = _stretch(ref_notes, ref.tempo_ratio)
        unevenness = float(1.4826 * np.median(np.abs(stretch - np.median(stretch))))
        lengthened = float(np.mean(stretch > max(0.05, 2 * unevenness)))
        timing = points(unevenness, full=0.02, zero=0.08) * (0.5 + 0.5 * min(lengthened / 0.05, 1.0))
        dyn_shape = _dynamic_shaping(w)
        measurements |= {"timing_unevenness": round(unevenness, 4), "lengthened_fraction": round(lengthened, 4),
                         "dynamic_shaping_db": None if dyn_shape is None else round(dyn_shape, 2)}
        if unevenness > 0.05:
            sentence += (f"; note lengths vary by {unevenness * 100:.0f} % from note to note, which sounds unintended "
                         "rather than shaped")
        elif lengthened == 0 and (dyn_shape or 0) < 4:
            sentence += "; time and dynamics follow the score evenly, with little personal shaping"
        else:
            sentence += (f"; time is kept evenly ({unevenness * 100:.0f} % note-to-note) with {lengthened * 100:.0f} % "
                         f"of notes deliberately lengthened, and dynamics shaped over {dyn_shape or 0:.0f} dB")
    value = blend([(points(played / len(written), full=1.0, zero=NOTES_ZERO), 0.6), (timing, 0.2),
                   (points(dyn_shape, full=8.0, zero=3.0), 0.2)])
    return SubScore(value, sentence + ".", measurements, RUBRIC_MODEL)
