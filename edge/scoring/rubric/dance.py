"""Rubric sub-scores of a dance. Formulas, thresholds and their reasons: docs/scoring.md."""

from __future__ import annotations

import numpy as np
from scipy.signal import welch

from ...features.landmarks import BODY, INDEX
from ...features.pose_normalize import joint_angles
from ...features.audio.beats import fit_grid
from ...features.rhythm import beat_alignment, nearest_distance
from ..curves import blend, early_or_late, points, smooth_and_rest
from ..result import SubScore
from .version import RUBRIC_MODEL
from .window import Window

MIN_BEATS = 3       # motion beats needed in a window to judge timing
MIN_FRAMES = 15     # frames with a whole body needed to judge movement (0.5 s at 30 fps)
ENDPOINTS = [INDEX[n] for n in ("left_wrist", "right_wrist", "left_ankle", "right_ankle")]
PAIRS = (("left_elbow", "right_elbow"), ("left_shoulder", "right_shoulder"),
         ("left_hip", "right_hip"), ("left_knee", "right_knee"))


def rhythm(w: Window) -> SubScore:
    """The dancer's own pulse: do the movement accents keep a steady beat, and does the movement go on?

    Not whether the accents are on the music's beat (that is `sync`): a dancer steadily 100 ms behind keeps
    a steady pulse. With music, its beats are the ruler: the spread of each beat's nearest accent about
    their common offset. Without music, a steady grid fitted through the accents at their own period
    (cut in halves: off-beat accents are part of many dances). Time spent frozen counts against continuity."""
    motion = w.motion_beats()
    measurements: dict = {"motion_beats": int(len(motion))}
    spread_ms, ruler = _pulse_spread_ms(motion, w.beats())
    regularity = None
    if spread_ms is not None:
        regularity = points(spread_ms, full=PULSE_FULL_MS, zero=PULSE_ZERO_MS)
        measurements |= {"accent_spread_ms": round(spread_ms, 1), "pulse_ruler": ruler}
    frozen = _frozen_fraction(w)
    if frozen is not None:
        measurements["frozen_fraction"] = round(frozen, 3)
    value = blend([(regularity, 0.6), (None if frozen is None else points(frozen, full=0.0, zero=FROZEN_ZERO), 0.4)])
    if value is None:
        return SubScore(None, "Too few movement accents here to judge the dancer's pulse.", measurements, RUBRIC_MODEL)
    bits = []
    if spread_ms is not None:
        bits.append(f"movement accents keep a steady pulse (spread {spread_ms:.0f} ms)" if spread_ms <= 60 else
                    f"movement accents wander from a steady pulse (spread {spread_ms:.0f} ms)")
    if frozen is not None and frozen >= 0.05:
        bits.append(f"the movement stops for {100 * frozen:.0f} % of the time")
    sentence = (bits[0][0].upper() + "; ".join(bits)[1:] + ".") if bits else "The movement keeps going throughout."
    return SubScore(value, sentence, measurements, RUBRIC_MODEL)


PULSE_FULL_MS, PULSE_ZERO_MS = 50.0, 120.0   # spread of accents: what MediaPipe gives a clean dance (40–60 ms) … no pulse
FROZEN_ZERO = 0.30                            # a dance still for 30 % of its time has lost its flow
FROZEN_SPEED = 0.15                           # below this share of the median joint speed the body is still
FROZEN_MIN_S = 0.4                            # stillness shorter than this is a held accent, not a freeze


def _pulse_spread_ms(accents: np.ndarray, beats: np.ndarray) -> tuple[float | None, str]:
    """(robust spread in ms of the accents about a steady pulse, which ruler measured it)."""
    if len(beats) >= MIN_BEATS + 1 and len(accents) >= MIN_BEATS:
        period = float(np.median(np.diff(beats)))
        offsets = -nearest_distance(beats, accents)                # accent − beat, per music beat
        offsets = offsets[np.abs(offsets) <= period / 2]           # beats with no accent near: not a pulse error
        if len(offsets) >= MIN_BEATS:
            # About their circular mean: a dancer steadily near half a beat late has offsets on both
            # sides of ±period/2, which are one steady offset, not a wide spread.
            phase = 2 * np.pi * offsets / period
            centre = np.angle(np.mean(np.exp(1j * phase)))
            spread = np.angle(np.exp(1j * (phase - centre))) / (2 * np.pi) * period
            return _robust_std_ms(spread), "music beats"
    if len(accents) >= MIN_BEATS + 1:
        grid = fit_grid(accents)
        if grid is not None and grid[1] > 0:
            start, half = grid[0], grid[1] / 2
            phase = (accents - start) / half
            return _robust_std_ms((phase - np.round(phase)) * half), "own accents"
    return None, ""


def _robust_std_ms(seconds: np.ndarray) -> float:
    """1.4826 × the median absolute deviation from the median: a std that one stray accent cannot inflate."""
    return float(1.4826 * np.median(np.abs(seconds - np.median(seconds))) * 1000.0)


def _frozen_fraction(w: Window) -> float | None:
    """Share of the window in stretches of FROZEN_MIN_S or more where joints move at under FROZEN_SPEED of
    their median speed."""
    motion = w.analysis.motion
    if motion is None:
        return None
    sel = w.inside(motion.times) & np.isfinite(motion.speed)
    if sel.sum() < MIN_FRAMES:
        return None
    times, speed = motion.times[sel], motion.speed[sel]
    still = speed < FROZEN_SPEED * np.median(speed)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], still.astype(int), [0]])))
    frame = float(np.median(np.diff(times)))
    frozen = sum((stop - start) * frame for start, stop in zip(edges[::2], edges[1::2])
                 if (stop - start) * frame >= FROZEN_MIN_S)
    return float(min(frozen / (len(times) * frame), 1.0))


HIT_MS = 100.0  # an accent within 100 ms of a beat meets it


def sync(w: Window) -> SubScore:
    """Movement on the music's beat: the AIST++ beat alignment of the movement accents, and per music beat
    whether an accent meets it (within HIT_MS) and how early or late.

    Per music beat (the nearest accent to it), extra accents between beats, which many dances have, cost
    nothing, while beats with no accent near them count as missed."""
    motion, music = w.motion_beats(), w.all_beats()
    sigma = w.settings.rhythm.beat_sigma_frames_at_60fps / 60.0
    a = w.analysis.audio
    span = (max(w.start, a.start_s), min(w.end, a.start_s + a.duration_s))
    score = beat_alignment(motion, music, sigma, span) if len(motion) >= MIN_BEATS else None
    if score is None:
        return SubScore(None, "Too few movement accents here to judge synchronisation.", {}, RUBRIC_MODEL)
    inside = motion[(motion >= span[0]) & (motion <= span[1])]
    close = int(np.sum(np.abs(nearest_distance(inside, music)) <= sigma))
    measurements = {"beat_alignment": round(score, 4), "accents_on_beat": close, "accents": int(len(inside))}
    beats = w.beats()
    beats = beats[(beats >= inside.min(initial=np.inf) - HIT_MS / 1000) & (beats <= inside.max(initial=-np.inf) + HIT_MS / 1000)]
    timing = met = None
    sentence = (f"{close} of {len(inside)} movement accents land within {sigma * 1000:.0f} ms of a music beat "
                f"(beat alignment {score:.2f})")
    if len(beats) >= MIN_BEATS:
        off_ms = -nearest_distance(beats, inside) * 1000.0  # accent − beat: positive = late
        hit = np.abs(off_ms) <= HIT_MS
        met = 100.0 * float(hit.mean())
        if hit.any():
            timing = points(float(np.abs(off_ms[hit]).mean()), full=30.0, zero=HIT_MS)
            sentence += f"; {int(hit.sum())} of {len(beats)} beats are met, {early_or_late(float(off_ms[hit].mean()))} on average"
        measurements |= {"beats": int(len(beats)), "beats_hit": int(hit.sum()),
                         "hit_offset_mean_ms": round(float(off_ms[hit].mean()), 1) if hit.any() else None,
                         "hit_offset_mean_abs_ms": round(float(np.abs(off_ms[hit]).mean()), 1) if hit.any() else None}
    value = blend([(points(score, full=0.7, zero=0.1), 0.5), (timing, 0.25), (met, 0.25)])
    return SubScore(value, sentence + ".", measurements, RUBRIC_MODEL)


def _shakiness(times: np.ndarray, pose: np.ndarray) -> float | None:
    """Power of joint velocity at 4–9 Hz over 0.3–3 Hz. Dance phrases move the body below 3 Hz; shaking
    and jerky execution add 4–9 Hz. (The ratio of jerk to speed was tried first: MediaPipe's own frame-to-
    frame jitter swamps it.)"""
    if len(times) < 64:
        return None
    fps = (len(times) - 1) / (times[-1] - times[0])
    velocity = np.gradient(pose[:, BODY], times, axis=0).reshape(len(times), -1)
    freqs, power = welch(velocity, fs=fps, nperseg=64, axis=0)
    power = power.sum(axis=1)
    low = power[(freqs >= 0.3) & (freqs < 3.0)].sum()
    return float(power[(freqs >= 4.0) & (freqs < 9.0)].sum() / low) if low > 0 else None


def _lean_std(pose: np.ndarray) -> float | None:
    """Spread (degrees) of the torso's lean from its mean direction: how steadily the body is carried."""
    hips = pose[:, [INDEX["left_hip"], INDEX["right_hip"]]].mean(axis=1)
    shoulders = pose[:, [INDEX["left_shoulder"], INDEX["right_shoulder"]]].mean(axis=1)
    axis = shoulders - hips
    axis /= np.linalg.norm(axis, axis=1, keepdims=True) + 1e-9
    mean = axis.mean(axis=0)
    mean /= np.linalg.norm(mean) + 1e-9
    angles = np.degrees(np.arccos(np.clip(axis @ mean, -1.0, 1.0)))
    return float(np.sqrt(np.mean(angles ** 2))) if len(angles) else None


def _symmetry(pose: np.ndarray) -> float | None:
    """1 − mean relative difference between left and right ranges of motion of paired joints."""
    names, angles = joint_angles(pose)
    parts = []
    for left, right in PAIRS:
        rl = np.ptp(angles[:, names.index(left)])
        rr = np.ptp(angles[:, names.index(right)])
        if rl + rr > 5.0:  # joints that hardly move say nothing about symmetry
            parts.append(abs(rl - rr) / (rl + rr))
    return float(1.0 - np.mean(parts)) if parts else None


def technique(w: Window) -> SubScore:
    """How cleanly the body executes, whatever the choreography: smoothness, balance, symmetry.
    (Whether the moves are the choreography's is `interpretation`.)"""
    times, pose = w.pose_in_window()
    if len(times) < MIN_FRAMES:
        return SubScore(None, "The body is not visible long enough here to judge technique.", {}, RUBRIC_MODEL)
    shaky, lean, symmetry = _shakiness(times, pose), _lean_std(pose), _symmetry(pose)
    value = blend([(points(shaky, full=0.3, zero=2.0), 0.6), (points(lean, full=6.0, zero=25.0), 0.2),
                   (points(symmetry, full=0.9, zero=0.4), 0.2)])
    bits = []
    if shaky is not None:
        bits.append("movement flows smoothly" if shaky < 0.8 else "movement is jerky in places")
    if lean is not None:
        bits.append(f"the torso stays within {lean:.0f}° of its line" if lean < 12 else
                    f"the torso sways by {lean:.0f}° (balance)")
    if symmetry is not None and symmetry < 0.7:
        bits.append("left and right sides move unevenly")
    sentence = (bits[0][0].upper() + "; ".join(bits)[1:] + ".") if bits else "Technique could not be measured."
    return SubScore(value, sentence, {"shakiness": None if shaky is None else round(shaky, 3),
                                      "torso_lean_deg": None if lean is None else round(lean, 2),
                                      "symmetry": None if symmetry is None else round(symmetry, 3)}, RUBRIC_MODEL)


def expression(w: Window) -> SubScore:
    times, pose = w.pose_in_window()
    if len(times) < MIN_FRAMES:
        return SubScore(None, "The body is not visible long enough here to judge expression.", {}, RUBRIC_MODEL)
    reach = pose[:, ENDPOINTS]  # hands and feet relative to the hips, in torso lengths
    amplitude = float(np.mean(np.percentile(reach, 95, axis=0) - np.percentile(reach, 5, axis=0)))
    motion = w.analysis.motion
    variation = None
    if motion is not None:
        speed = motion.speed[w.inside(motion.times)]
        speed = speed[np.isfinite(speed)]
        if len(speed) >= MIN_FRAMES and speed.mean() > 1e-6:
            variation = float(speed.std() / speed.mean())
    value = blend([(points(amplitude, full=1.2, zero=0.3), 0.7), (points(variation, full=0.8, zero=0.2), 0.3)])
    size = "large" if amplitude >= 1.0 else "moderate" if amplitude >= 0.6 else "small"
    sentence = f"Movements are {size} (hands and feet travel {amplitude:.1f} torso lengths)"
    if variation is not None:
        sentence += (" with clear contrasts of speed" if variation >= 0.6 else " at an even, unvaried speed")
    return SubScore(value, sentence + ".", {"amplitude_torso_lengths": round(amplitude, 3),
                                            "speed_variation": None if variation is None else round(variation, 3)},
                    RUBRIC_MODEL)


def interpretation(w: Window) -> SubScore:
    """Faithfulness to the choreography (reference only): joint angles against the reference along the
    DTW alignment, and whether it was danced mirrored. Timing shaping against the reference is reported,
    not scored (a dancer who follows the reference exactly has not danced it worse)."""
    ref = w.dance_reference()
    if ref is None:
        return SubScore(None, "Interpretation is judged against a reference recording; none was given.", {},
                        RUBRIC_MODEL)
    sel = w.inside(ref.path_times_s)
    if sel.sum() < MIN_FRAMES:
        return SubScore(None, "Too little of the reference aligns here to judge interpretation.", {}, RUBRIC_MODEL)
    per_joint = np.nanmean(ref.path_errors_deg[sel], axis=0)
    error = float(np.nanmean(per_joint))
    worst = ref.joint_names[int(np.nanargmax(per_joint))].replace("_", " ")
    value = points(error, full=8.0, zero=40.0)
    sentence = f"Joint angles differ from the choreography by {error:.0f}° on average, most at the {worst}"
    if ref.mirrored:
        value = max(0.0, value - MIRROR_PENALTY)
        sentence += "; it was danced mirrored (left and right swapped)"
    # Timing relative to the reference, sampled every ~0.1 s: phrase-scale shaping vs frame-to-frame jitter.
    lag_ms = ref.path_lag_s[sel][::3] * 1000.0
    shape, jitter = (float(np.std(part)) for part in smooth_and_rest(lag_ms, width=9))
    return SubScore(value, sentence + ".", {"joint_angle_error_deg": round(error, 2), "worst_joint": worst,
                                            "mirrored": ref.mirrored, "timing_shaping_ms": round(shape, 1),
                                            "timing_jitter_ms": round(jitter, 1)}, RUBRIC_MODEL)


MIRROR_PENALTY = 15.0   # points: a mirrored choreography is a different fault from dancing it wrong
