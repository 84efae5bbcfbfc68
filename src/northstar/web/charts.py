"""Small inline SVG charts rendered on the server: no script, no CDN, readable without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from northstar import i18n


def line_chart(points: list[tuple[str, float]], width: int = 560, height: int = 160, label: str = "") -> str:
    """A line with area fill; ``points`` are (x label, y). The first and last x labels are printed."""
    if not points:
        return _empty()
    pad_l, pad_r, pad_t, pad_b = 48, 8, 10, 22
    ys = [y for _, y in points]
    top = max(ys) * 1.1 or 1.0
    n = len(points)
    w, h = width - pad_l - pad_r, height - pad_t - pad_b

    def x(i: int) -> float:
        return pad_l + (w * i / (n - 1) if n > 1 else w / 2)

    def y(v: float) -> float:
        return pad_t + h - h * v / top

    path = " ".join(f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points))
    area = f"{path} L{x(n - 1):.1f},{pad_t + h} L{x(0):.1f},{pad_t + h} Z"
    title = escape(label)
    ticks = "".join(
        f'<text x="{pad_l - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{_short(v)}</text>'
        f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>'
        for v in (0, top / 2, top / 1.1)
    )
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{title}">'
        f"<title>{title}</title>{ticks}"
        f'<path d="{area}" class="area"/><path d="{path}" class="line"/>'
        f'<text x="{pad_l}" y="{height - 4}">{escape(points[0][0])}</text>'
        f'<text x="{pad_l + w}" y="{height - 4}" text-anchor="end">{escape(points[-1][0])}</text></svg>'
    )


def _short(v: float) -> str:
    """An axis or tooltip figure as the request's locale abbreviates it (1.2K, 1,2 Mln, 123.5万)."""
    return i18n.compact(v)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    href: str | None = None
    css: str = ""  # an extra class: up, down, total, band-red ...
    note: str = ""  # the value as text (for the tooltip and screen readers)


def bar_chart(bars: list[Bar], width: int = 560, height: int = 200, label: str = "", percent: bool = False) -> str:
    """Vertical bars from zero (negative ones hang below the axis); each bar links to ``href`` if given."""
    if not bars:
        return _empty()
    return _bars(bars, [(0.0, b.value) for b in bars], width, height, label, percent)


def waterfall(steps: list[Bar], width: int = 1080, height: int = 260, label: str = "") -> str:
    """A waterfall: the first and last steps are totals drawn from zero (``css="total"``), the others float
    from the running sum (rises ``up``, falls ``down``)."""
    if not steps:
        return _empty()
    spans, bars, level = [], [], 0.0
    for i, s in enumerate(steps):
        if i == 0 or i == len(steps) - 1:
            spans.append((0.0, s.value))
            bars.append(Bar(s.label, s.value, s.href, "total", s.note))
            level = s.value
        else:
            spans.append((level, level + s.value))
            bars.append(Bar(s.label, s.value, s.href, "up" if s.value >= 0 else "down", s.note))
            level += s.value
    return _bars(bars, spans, width, height, label)


def _bars(
    bars: list[Bar], spans: list[tuple[float, float]], width: int, height: int, label: str, percent: bool = False
) -> str:
    pad_l, pad_r, pad_t, pad_b = 52, 8, 10, 40
    lo = min(0.0, *(min(a, b) for a, b in spans))
    hi = max(0.0, *(max(a, b) for a, b in spans)) or 1.0
    hi, lo = hi + (hi - lo) * 0.05, lo - (hi - lo) * 0.05 * (lo < 0)
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(bars)
    slot = w / n
    bw = max(4.0, slot * 0.7)

    def y(v: float) -> float:
        return pad_t + h - h * (v - lo) / (hi - lo)

    def fmt(v: float) -> str:
        return i18n.percent(v, 1) if percent else _short(v)

    parts = [
        f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
    ]
    for v in (lo, (lo + hi) / 2, hi):
        parts.append(
            f'<text x="{pad_l - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{fmt(v)}</text>'
            f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>'
        )
    parts.append(f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{y(0):.1f}" y2="{y(0):.1f}" class="axis"/>')
    for i, (b, (a, c)) in enumerate(zip(bars, spans, strict=True)):
        x = pad_l + slot * i + (slot - bw) / 2
        top, bottom = y(max(a, c)), y(min(a, c))
        tip = escape(f"{b.label}: {b.note or fmt(b.value)}")
        rect = (
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{bw:.1f}" height="{max(bottom - top, 1):.1f}" '
            f'class="bar {escape(b.css)}"><title>{tip}</title></rect>'
        )
        if b.href:
            rect = f'<a href="{escape(b.href)}" aria-label="{tip}">{rect}</a>'
        parts.append(rect)
        cx = pad_l + slot * i + slot / 2
        parts.append(f'<text x="{cx:.1f}" y="{height - 24}" text-anchor="middle">{escape(b.label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Series:
    name: str
    points: list[tuple[str, float | None]]  # (x label, y); None leaves a gap
    css: str = ""
    low: list[float | None] | None = None  # an interval drawn as a band around the line
    high: list[float | None] | None = None
    links: list[str | None] | None = None  # a link per point


def lines_chart(
    series: list[Series],
    width: int = 560,
    height: int = 180,
    label: str = "",
    percent: bool = False,
    zero: bool = True,
) -> str:
    """One or more lines over the same x labels, with an optional interval band and linked points. ``zero``:
    the axis starts at zero (else it spans the values, for figures that move little, such as retention)."""
    values = [v for s in series for v in (*[p[1] for p in s.points], *(s.low or []), *(s.high or [])) if v is not None]
    if not series or not series[0].points or not values:
        return _empty()
    pad_l, pad_r, pad_t, pad_b = 48, 8, 10, 22
    lo, hi = (min(0.0, min(values)) if zero else min(values)), max(values)
    span = (hi - lo) or 1.0
    hi += span * 0.08
    lo -= 0 if zero else span * 0.08
    n = len(series[0].points)
    w, h = width - pad_l - pad_r, height - pad_t - pad_b

    def x(i: int) -> float:
        return pad_l + (w * i / (n - 1) if n > 1 else w / 2)

    def y(v: float) -> float:
        return pad_t + h - h * (v - lo) / (hi - lo)

    def fmt(v: float) -> str:
        return i18n.percent(v) if percent else _short(v)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
    ]
    for v in (lo, (lo + hi) / 2, hi):
        parts.append(
            f'<text x="{pad_l - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{fmt(v)}</text>'
            f'<line x1="{pad_l}" x2="{pad_l + w}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>'
        )
    for s in series:
        if s.low and s.high:
            top = [(i, v) for i, v in enumerate(s.high) if v is not None]
            bottom = [(i, v) for i, v in enumerate(s.low) if v is not None][::-1]
            if top and bottom:
                pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in (*top, *bottom))
                parts.append(f'<polygon points="{pts}" class="interval {escape(s.css)}"/>')
        d, pen = [], "M"
        for i, (_, v) in enumerate(s.points):
            if v is None:
                pen = "M"
                continue
            d.append(f"{pen}{x(i):.1f},{y(v):.1f}")
            pen = "L"
        parts.append(f'<path d="{" ".join(d)}" class="line {escape(s.css)}"/>')
        for i, (xl, v) in enumerate(s.points):
            if v is None:
                continue
            tip = escape(f"{s.name}, {xl}: {fmt(v)}")
            dot = (
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" class="dot {escape(s.css)}">'
                f"<title>{tip}</title></circle>"
            )
            href = s.links[i] if s.links else None
            parts.append(f'<a href="{escape(href)}" aria-label="{tip}">{dot}</a>' if href else dot)
    first, last = series[0].points[0][0], series[0].points[-1][0]
    parts.append(f'<text x="{pad_l}" y="{height - 4}">{escape(first)}</text>')
    parts.append(f'<text x="{pad_l + w}" y="{height - 4}" text-anchor="end">{escape(last)}</text></svg>')
    return "".join(parts)


def _empty() -> str:
    return f'<p class="empty">{escape(i18n.gettext("No data yet."))}</p>'
