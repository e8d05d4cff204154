"""The entry page's pictures as inline SVG: sub-scores over time, and beats on a time axis, with their keys.

Plain strings, no plotting library: the report must open from disk with nothing else (no network,
no fonts or scripts from elsewhere), and the box does not carry matplotlib.

Nothing is told by colour alone: every sub-score has its own labelled strip (lines never cross one
another), and a movement beat's distance to the music's beat is a shape as well as a colour
(● on the beat, ▲ near it, ✕ off it), counted in words in the key.
"""

from __future__ import annotations

from bisect import bisect_left
from html import escape

from ..scoring.result import SUBSCORES

SERIES = (*SUBSCORES, "overall")
ON_BEAT_S, NEAR_BEAT_S = 0.05, 0.10   # bands of a movement beat's distance to the nearest music beat
# (css class, shape, words) per band; colours (Okabe–Ito, readable with colour-blindness) are in report.css
BEAT_BANDS = {
    "on": ("circle", f"on the beat (within {ON_BEAT_S * 1000:.0f} ms)"),
    "near": ("triangle", f"near the beat ({ON_BEAT_S * 1000:.0f}–{NEAR_BEAT_S * 1000:.0f} ms)"),
    "far": ("cross", f"off the beat (more than {NEAR_BEAT_S * 1000:.0f} ms)"),
}
_BEAT_PX_PER_S, _MIN_W, _MAX_W = 40.0, 720, 4000
_TIMELINE_PX_PER_S, _TIMELINE_MAX_W = 10.0, 1080
_STRIP_H, _STRIP_GAP, _LABEL_W = 46, 16, 150


def _width(duration: float, px_per_s: float = _BEAT_PX_PER_S, most: int = _MAX_W) -> int:
    return int(min(most, max(_MIN_W, duration * px_per_s)))


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


def _window_value(window: dict, name: str) -> float | None:
    if name == "overall":
        return window.get("overall")
    return (window.get("subscores", {}).get(name) or {}).get("value")


def timeline_svg(rubric: dict, duration: float, grades: dict[str, float] | None = None) -> str:
    """One strip per sub-score (and the overall), each 0–100 with its own label, per timeline window at
    the window's centre. Strips instead of one shared plot: overlapping lines cannot hide each other.
    `grades` (band -> lowest overall) marks the grade bands on the overall's strip."""
    windows = rubric.get("timeline") or []
    if not windows:
        return '<p class="note">No timeline: the performance is shorter than one scoring window.</p>'
    names = [n for n in SERIES if any(_window_value(w, n) is not None for w in windows)]
    if not names:
        return '<p class="note">No timeline: no sub-score applies to any window.</p>'
    duration = max(duration, max(w["end_s"] for w in windows), 1.0)
    width = _width(duration, _TIMELINE_PX_PER_S, _TIMELINE_MAX_W) + _LABEL_W
    right, top, bottom = 28, 6, 24
    height = top + len(names) * (_STRIP_H + _STRIP_GAP) + bottom

    def x_of(t: float) -> float:
        return _LABEL_W + (width - _LABEL_W - right) * t / duration

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="sub-scores over time, one strip each">']
    parts += _time_axis(x_of, duration, height - bottom + 2, top)
    for row, name in enumerate(names):
        y0 = top + row * (_STRIP_H + _STRIP_GAP)

        def y_of(v: float, y0=y0) -> float:
            return y0 + _STRIP_H * (1 - v / 100.0)

        whole = rubric.get("overall") if name == "overall" else \
            (rubric.get("subscores", {}).get(name) or {}).get("value")
        label = f"{name} {whole:.0f}" if whole is not None else name
        parts.append(f'<rect x="{_LABEL_W}" y="{y0}" width="{width - _LABEL_W - right}" height="{_STRIP_H}" '
                     f'class="strip"/>')
        parts.append(f'<text x="4" y="{y0 + _STRIP_H / 2 + 4:.0f}" class="series-label">{escape(label)}</text>')
        for v in (0, 50, 100):
            parts.append(f'<text x="{_LABEL_W - 4}" y="{_f(y_of(v) + 4)}" class="tick" text-anchor="end">{v}</text>')
        parts.append(f'<line x1="{_LABEL_W}" y1="{_f(y_of(50))}" x2="{width - right}" y2="{_f(y_of(50))}" '
                     f'class="grid"/>')
        if name == "overall" and grades:
            for band, lowest in grades.items():
                parts.append(f'<line x1="{_LABEL_W}" y1="{_f(y_of(lowest))}" x2="{width - right}" '
                             f'y2="{_f(y_of(lowest))}" class="band-edge"/>'
                             f'<text x="{width - right + 3}" y="{_f(y_of(lowest) + 3)}" class="band-label">{band}</text>')
        segment: list[tuple[float, float]] = []
        segments = [segment]
        for w in windows:
            value = _window_value(w, name)
            if value is None:  # a window where it does not apply breaks the line instead of bridging it
                segment = []
                segments.append(segment)
                continue
            segment.append((x_of((w["start_s"] + w["end_s"]) / 2), y_of(value)))
            parts.append(f'<circle cx="{_f(segment[-1][0])}" cy="{_f(segment[-1][1])}" r="2.5" '
                         f'class="series {name}"><title>{name} {value:.1f} '
                         f'({w["start_s"]:.1f}–{w["end_s"]:.1f} s)</title></circle>')
        for seg in segments:
            if len(seg) > 1:
                parts.append(f'<polyline points="{" ".join(f"{_f(x)},{_f(y)}" for x, y in seg)}" '
                             f'class="series {name}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _glyph(shape: str, x: float, y: float, cls: str) -> str:
    if shape == "circle":
        return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="4" class="glyph {cls}"/>'
    if shape == "triangle":
        return f'<path d="M{_f(x)} {_f(y - 5)}L{_f(x + 5)} {_f(y + 4)}L{_f(x - 5)} {_f(y + 4)}Z" class="glyph {cls}"/>'
    return (f'<path d="M{_f(x - 4)} {_f(y - 4)}L{_f(x + 4)} {_f(y + 4)}M{_f(x + 4)} {_f(y - 4)}L{_f(x - 4)} '
            f'{_f(y + 4)}" class="glyph {cls}"/>')


def _key_glyph(shape: str, cls: str) -> str:
    return f'<svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">{_glyph(shape, 7, 7, cls)}</svg>'


def nearest_beat(beats: list[float], t: float) -> float | None:
    """The music beat closest to `t` (`beats` sorted), by bisection: thousands of marks per entry."""
    if not beats:
        return None
    i = bisect_left(beats, t)
    return min(beats[max(i - 1, 0):i + 1], key=lambda b: abs(b - t))


def beat_band(offset_s: float | None) -> str:
    if offset_s is None or abs(offset_s) > NEAR_BEAT_S:
        return "far"
    return "near" if abs(offset_s) > ON_BEAT_S else "on"


def _lower_row(analysis: dict, discipline: str | None) -> tuple[list[float], str]:
    if discipline == "dance":
        return (analysis.get("rhythm") or {}).get("motion_beats_s") or [], "movement beats"
    return (analysis.get("audio") or {}).get("onsets_s") or [], "note onsets"


def beats_key_html(analysis: dict, discipline: str | None) -> str:
    """The beat picture's key, with how many marks fall in each band (the numbers say it without colour)."""
    music_beats = (analysis.get("audio") or {}).get("beats_s") or []
    lower, lower_name = _lower_row(analysis, discipline)
    items = [f'<span><svg width="14" height="14" aria-hidden="true"><line x1="7" y1="0" x2="7" y2="14" '
             f'class="beat"/></svg> music beat ({len(music_beats)})</span>']
    if discipline == "dance":
        counts = {band: 0 for band in BEAT_BANDS}
        beats = sorted(music_beats)
        for t in lower:
            nearest = nearest_beat(beats, t)
            counts[beat_band(None if nearest is None else t - nearest)] += 1
        items += [f'<span>{_key_glyph(shape, band)} {escape(words)}: {counts[band]}</span>'
                  for band, (shape, words) in BEAT_BANDS.items()]
    else:
        items.append(f'<span><svg width="14" height="14" aria-hidden="true"><line x1="7" y1="2" x2="7" y2="12" '
                     f'class="mark plain"/></svg> note onset ({len(lower)}; notes between beats are '
                     f'written that way, so onsets are not judged by their distance to a beat here)</span>')
    return '<p class="legend beats-key">' + " ".join(items) + "</p>"


def beats_svg(analysis: dict, discipline: str | None) -> str:
    """Music beats on the upper row; movement beats (dance) or note onsets (music) on the lower row.
    A movement beat is joined to its nearest music beat and drawn as ● / ▲ / ✕ by how far from it it falls."""
    music_beats = (analysis.get("audio") or {}).get("beats_s") or []
    lower, lower_name = _lower_row(analysis, discipline)
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
    beats = sorted(music_beats)
    for t in lower:
        nearest = nearest_beat(beats, t)
        off = None if nearest is None else t - nearest
        note = "" if off is None else f", {off * 1000:+.0f} ms from the nearest beat"
        title = f"<title>{escape(lower_name[:-1])} {t:.3f} s{note}</title>"
        if discipline != "dance":
            parts.append(f'<line x1="{_f(x_of(t))}" y1="{lower_y - 10}" x2="{_f(x_of(t))}" y2="{lower_y + 10}" '
                         f'class="mark plain">{title}</line>')
            continue
        band = beat_band(off)
        if nearest is not None:
            parts.append(f'<line x1="{_f(x_of(nearest))}" y1="{upper_y + 12}" x2="{_f(x_of(t))}" '
                         f'y2="{lower_y - 6}" class="link {band}"/>')
        parts.append(f'<g>{title}{_glyph(BEAT_BANDS[band][0], x_of(t), lower_y, band)}</g>')
    parts.append("</svg>")
    return "".join(parts)
