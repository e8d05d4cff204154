"""The report's two pictures as inline SVG: sub-scores over time, and beats on a time axis.

Plain strings, no plotting library: the report must open from disk with nothing else (no network,
no fonts or scripts from elsewhere), and the box does not carry matplotlib.
"""

from __future__ import annotations

from html import escape

from ..scoring.result import SUBSCORES

COLOURS = {"rhythm": "#1f77b4", "sync": "#d62728", "technique": "#2ca02c", "expression": "#9467bd",
           "interpretation": "#ff7f0e", "overall": "#222222"}
ON_BEAT_S, NEAR_BEAT_S = 0.05, 0.10   # colour bands of a movement beat's distance to the nearest music beat
_PX_PER_S, _MIN_W, _MAX_W = 40.0, 720, 4000


def _width(duration: float) -> int:
    return int(min(_MAX_W, max(_MIN_W, duration * _PX_PER_S)))


def _f(x: float) -> str:
    return f"{x:.1f}"


def _time_axis(x_of, duration: float, y: float, height_to: float) -> list[str]:
    step = next(s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600) if duration / s <= 20)
    parts = []
    t = 0.0
    while t <= duration + 1e-9:
        x = x_of(t)
        parts.append(f'<line x1="{_f(x)}" y1="{_f(height_to)}" x2="{_f(x)}" y2="{_f(y)}" class="grid"/>')
        parts.append(f'<text x="{_f(x)}" y="{_f(y + 13)}" class="tick" text-anchor="middle">{t:g} s</text>')
        t += step
    return parts


def timeline_svg(rubric: dict, duration: float) -> str:
    """Each sub-score (and the overall) per timeline window, at the window's centre."""
    windows = rubric.get("timeline") or []
    if not windows:
        return '<p class="note">No timeline: the performance is shorter than one scoring window.</p>'
    duration = max(duration, max(w["end_s"] for w in windows), 1.0)
    width, height, left, right, top, bottom = _width(duration), 210, 40, 12, 10, 30
    plot_h = height - top - bottom

    def x_of(t: float) -> float:
        return left + (width - left - right) * t / duration

    def y_of(v: float) -> float:
        return top + plot_h * (1 - v / 100.0)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="sub-scores over time">']
    for v in (0, 25, 50, 75, 100):
        parts.append(f'<line x1="{left}" y1="{_f(y_of(v))}" x2="{width - right}" y2="{_f(y_of(v))}" class="grid"/>')
        parts.append(f'<text x="{left - 4}" y="{_f(y_of(v) + 4)}" class="tick" text-anchor="end">{v}</text>')
    parts += _time_axis(x_of, duration, height - bottom + 2, top)
    for name in (*SUBSCORES, "overall"):
        points = []
        for w in windows:
            value = w["overall"] if name == "overall" else (w.get("subscores", {}).get(name) or {}).get("value")
            if value is not None:
                points.append((x_of((w["start_s"] + w["end_s"]) / 2), y_of(value), w, value))
        if not points:
            continue
        dash = ' stroke-dasharray="4 3"' if name == "overall" else ""
        if len(points) > 1:
            coords = " ".join(f"{_f(x)},{_f(y)}" for x, y, _, _ in points)
            parts.append(f'<polyline points="{coords}" fill="none" stroke="{COLOURS[name]}" stroke-width="2"{dash}>'
                         f'<title>{name}</title></polyline>')
        for x, y, w, value in points:
            parts.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3" fill="{COLOURS[name]}"><title>{name} {value:.1f} '
                         f'({w["start_s"]:.1f}–{w["end_s"]:.1f} s)</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def legend_html(names: tuple[str, ...] = (*SUBSCORES, "overall")) -> str:
    return '<p class="legend">' + " ".join(
        f'<span><i style="background:{COLOURS[n]}"></i>{escape(n)}</span>' for n in names) + "</p>"


def beats_svg(analysis: dict, discipline: str | None) -> str:
    """Music beats on the upper row; movement beats (dance) or note onsets (music) on the lower row,
    each joined to its nearest music beat and coloured by how far from it it falls."""
    audio = analysis.get("audio") or {}
    music_beats = audio.get("beats_s") or []
    if discipline == "dance":
        lower, lower_name = (analysis.get("rhythm") or {}).get("motion_beats_s") or [], "movement beats"
    else:
        lower, lower_name = audio.get("onsets_s") or [], "note onsets"
    if not music_beats and not lower:
        return '<p class="note">No beats to show.</p>'
    duration = max([analysis.get("duration_s") or 0.0, *music_beats, *lower, 1.0])
    width, height, left, right = _width(duration), 120, 110, 12
    upper_y, lower_y, axis_y = 25, 75, 95

    def x_of(t: float) -> float:
        return left + (width - left - right) * t / duration

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="beats" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="music beats and {lower_name}">',
             f'<text x="4" y="{upper_y + 4}" class="label">music beats</text>',
             f'<text x="4" y="{lower_y + 4}" class="label">{lower_name}</text>']
    parts += _time_axis(x_of, duration, axis_y, 8)
    for t in music_beats:
        parts.append(f'<line x1="{_f(x_of(t))}" y1="{upper_y - 12}" x2="{_f(x_of(t))}" y2="{upper_y + 12}" '
                     f'class="beat"><title>beat {t:.3f} s</title></line>')
    for t in lower:
        nearest = min(music_beats, key=lambda b: abs(b - t)) if music_beats else None
        off = None if nearest is None else t - nearest
        if discipline != "dance":
            cls = "plain"  # notes between beats are written that way: no colour for being off the beat
        elif off is None or abs(off) > NEAR_BEAT_S:
            cls = "far"
        else:
            cls = "near" if abs(off) > ON_BEAT_S else "on"
        if nearest is not None and discipline == "dance":
            parts.append(f'<line x1="{_f(x_of(nearest))}" y1="{upper_y + 12}" x2="{_f(x_of(t))}" '
                         f'y2="{lower_y - 12}" class="link {cls}"/>')
        note = "" if off is None else f", {off * 1000:+.0f} ms from the nearest beat"
        parts.append(f'<line x1="{_f(x_of(t))}" y1="{lower_y - 12}" x2="{_f(x_of(t))}" y2="{lower_y + 12}" '
                     f'class="mark {cls}"><title>{escape(lower_name[:-1])} {t:.3f} s{note}</title></line>')
    parts.append("</svg>")
    return "".join(parts)
