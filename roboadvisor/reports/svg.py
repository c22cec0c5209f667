"""Small inline SVG charts for the HTML report, written by hand so the page needs nothing at
view time (no scripts, fonts or files) and stays small. Every text is escaped; the result is
a ``markupsafe.Markup`` safe to insert into an autoescaped template."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#1f5fa8", "#e07b39", "#3a9a5b", "#b8443f", "#7d5ba6", "#8c6d4f", "#c768a8",
           "#6b6b6b")
FONT = "font-family:inherit;font-size:11px"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round axis ticks covering [low, high]."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 0.5:
        ticks.append(round(value, 10))
        value += step
    return ticks


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str,
              value_text: Sequence[str], chart_id: str) -> Markup:
    """Horizontal bars (values as shares 0..1), one colour each, a label and a value text."""
    row, left, width = 26, 150, 520
    height = row * len(labels) + 34
    top = max([*values, 1e-9])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{_e(chart_id)}" class="chart" '
             f'role="img" aria-label="{_e(title)}" viewBox="0 0 {left + width + 80} {height}" '
             f'width="100%" style="max-width:{left + width + 80}px">',
             f'<title>{_e(title)}</title>']
    for i, (label, value, text) in enumerate(zip(labels, values, value_text, strict=True)):
        y = 10 + i * row
        w = max(1.0, width * value / top)
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" '
                     f'style="{FONT}">{_e(label)}</text>')
        parts.append(f'<rect class="bar" x="{left}" y="{y + 3}" width="{w:.1f}" height="18" '
                     f'fill="{colour}"/>')
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 16}" style="{FONT}">'
                     f'{_e(text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
               title: str, chart_id: str, shaded: Sequence[tuple[int, int]] = (),
               y_format: str = "{:.2f}", bands: Sequence[tuple[Sequence[float],
                                                                Sequence[float], str]] = (),
               hline: tuple[float, str] | None = None, x_ticks: int = 6) -> Markup:
    """Lines over shared x positions (labels), optional shaded x ranges (index pairs, e.g.
    drawdowns), filled bands (low, high, colour) and one horizontal reference line."""
    w, h = 760, 320
    left, right, top, bottom = 70, 20, 28, 42
    n = len(x_labels)
    values = [v for _, s in series for v in s if v is not None and math.isfinite(v)]
    for low, high, _ in bands:
        values += list(low) + list(high)
    if hline is not None:
        values.append(hline[0])
    y_ticks = _nice_ticks(min(values), max(values))
    y0, y1 = y_ticks[0], y_ticks[-1]

    def px(i: float) -> float:
        return left + (w - left - right) * (i / max(n - 1, 1))

    def py(v: float) -> float:
        return top + (h - top - bottom) * (1 - (v - y0) / (y1 - y0))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{_e(chart_id)}" class="chart" '
             f'role="img" aria-label="{_e(title)}" viewBox="0 0 {w} {h}" width="100%" '
             f'style="max-width:{w}px">', f'<title>{_e(title)}</title>']
    for start, end in shaded:
        parts.append(f'<rect class="shade" x="{px(start):.1f}" y="{top}" '
                     f'width="{max(px(end) - px(start), 1):.1f}" height="{h - top - bottom}" '
                     'fill="#d9534f" fill-opacity="0.12"/>')
    for tick in y_ticks:
        y = py(tick)
        parts.append(f'<line x1="{left}" x2="{w - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#ddd" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'style="{FONT}">{_e(y_format.format(tick))}</text>')
    step = max(1, (n - 1) // max(x_ticks - 1, 1))
    for i in range(0, n, step):
        parts.append(f'<text x="{px(i):.1f}" y="{h - bottom + 16}" text-anchor="middle" '
                     f'style="{FONT}">{_e(x_labels[i])}</text>')
    for low, high, colour in bands:
        upper = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(high))
        lower = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in reversed(list(enumerate(low))))
        parts.append(f'<polygon class="band" points="{upper} {lower}" fill="{colour}" '
                     'fill-opacity="0.25" stroke="none"/>')
    if hline is not None:
        y = py(hline[0])
        parts.append(f'<line class="goal" x1="{left}" x2="{w - right}" y1="{y:.1f}" '
                     f'y2="{y:.1f}" stroke="#b8443f" stroke-dasharray="6 4" stroke-width="1.5"/>')
        parts.append(f'<text x="{w - right - 4}" y="{y - 5:.1f}" text-anchor="end" '
                     f'style="{FONT};fill:#b8443f">{_e(hline[1])}</text>')
    legend_x = left + 8
    for k, (name, s) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        segments: list[list[str]] = [[]]
        for i, v in enumerate(s):
            if v is None or not math.isfinite(v):
                if segments[-1]:
                    segments.append([])
                continue
            segments[-1].append(f"{px(i):.1f},{py(v):.1f}")
        for seg in segments:
            if len(seg) > 1:
                parts.append(f'<polyline class="line" points="{" ".join(seg)}" fill="none" '
                             f'stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<rect x="{legend_x}" y="{top - 20}" width="14" height="4" '
                     f'fill="{colour}"/><text x="{legend_x + 18}" y="{top - 15}" '
                     f'style="{FONT}">{_e(name)}</text>')
        legend_x += 30 + 7 * len(name) + (7 * sum(ord(c) > 0x2E80 for c in name))
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{h - bottom}" stroke="#888"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
