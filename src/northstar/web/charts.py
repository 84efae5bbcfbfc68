"""Small inline SVG charts rendered on the server: no script, no CDN, readable without JavaScript."""

from __future__ import annotations

from html import escape


def line_chart(points: list[tuple[str, float]], width: int = 560, height: int = 160, label: str = "") -> str:
    """A line with area fill; ``points`` are (x label, y). The first and last x labels are printed."""
    if not points:
        return '<p class="empty">No data yet.</p>'
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
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:.1f}{suffix}"
    return f"{v:.0f}"
