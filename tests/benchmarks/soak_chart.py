"""The soak's chart as a small self-contained SVG: RSS and CPU per screen app over wall-clock
minutes, night shaded, the disturbances marked. No plotting library: a few lines and labels."""
from __future__ import annotations

from xml.sax.saxutils import escape

COLOURS = {"kiosk": "#1f6fb2", "signage": "#c2410c"}
W, PANEL_H, LEFT, RIGHT, TOP, GAP = 960, 220, 64, 24, 48, 56


def _axis(y0: float, label: str, low: float, high: float, ticks: int = 4) -> list[str]:
    out = [f'<text x="14" y="{y0 + PANEL_H / 2}" transform="rotate(-90 14 {y0 + PANEL_H / 2})" '
           f'text-anchor="middle" font-size="12">{escape(label)}</text>']
    for n in range(ticks + 1):
        value = low + (high - low) * n / ticks
        y = y0 + PANEL_H - PANEL_H * n / ticks
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{value:g}</text>')
    return out


def _range(values, floor_zero: bool) -> tuple[float, float]:
    """A readable axis range: RSS zoomed onto its band (growth must be visible), CPU from 0."""
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        low = 0.0 if floor_zero else max(0.0, (lo // step - 1) * step)
        if low + 4 * step >= hi * 1.02:
            return low, low + 4 * step
    return 0.0, hi


def write_chart(path: str, minutes: float, series: dict, nights: list, events: list, title: str) -> None:
    """series: {app: [(minute, rss_mb, cpu_pct)]}; nights: [(from_min, to_min)]; events: [(minute, label)]."""
    span = max(minutes, 1e-6)
    x = lambda m: LEFT + (W - LEFT - RIGHT) * m / span  # noqa: E731
    height = TOP + 2 * PANEL_H + GAP + 60
    rss_range = _range([r for s in series.values() for _, r, _ in s], floor_zero=False)
    cpu_range = _range([c for s in series.values() for _, _, c in s] + [1], floor_zero=True)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" '
           f'font-family="sans-serif" viewBox="0 0 {W} {height}">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{LEFT}" y="24" font-size="15" font-weight="bold">{escape(title)}</text>']
    panels = [(TOP, "RSS (MiB)", rss_range, 1), (TOP + PANEL_H + GAP, "CPU (% of one core)", cpu_range, 2)]
    for y0, label, (low, top), index in panels:
        for start, end in nights:
            out.append(f'<rect x="{x(start):.1f}" y="{y0}" width="{max(1.0, x(end) - x(start)):.1f}" '
                       f'height="{PANEL_H}" fill="#1f2937" fill-opacity="0.12"/>')
        out += _axis(y0, label, low, top)
        for app, points in series.items():
            if not points:
                continue
            coords = " ".join(f"{x(p[0]):.1f},"
                              f"{y0 + PANEL_H - PANEL_H * max(0.0, min(1.0, (p[index] - low) / (top - low))):.1f}"
                              for p in points)
            out.append(f'<polyline fill="none" stroke="{COLOURS.get(app, "#111")}" stroke-width="1.8" '
                       f'points="{coords}"/>')
    bottom = TOP + 2 * PANEL_H + GAP
    for minute, label in events:
        out.append(f'<line x1="{x(minute):.1f}" y1="{TOP}" x2="{x(minute):.1f}" y2="{bottom}" '
                   f'stroke="#6b7280" stroke-dasharray="3,3"/>')
        out.append(f'<text x="{x(minute) + 3:.1f}" y="{TOP + 12}" font-size="10" fill="#374151" '
                   f'transform="rotate(90 {x(minute) + 3:.1f} {TOP + 12})">{escape(label)}</text>')
    step = next((n for n in (1, 2, 5, 10, 15, 20, 30, 60, 120) if span / n <= 12), 240)
    for m in range(0, int(span) + 1, step):
        out.append(f'<text x="{x(m):.1f}" y="{bottom + 16}" text-anchor="middle" font-size="11">{m}</text>')
    out.append(f'<text x="{(LEFT + W - RIGHT) / 2}" y="{bottom + 34}" text-anchor="middle" font-size="12">'
               'minutes (wall clock); shaded: night screen</text>')
    legend_x = W - RIGHT - 220
    for n, app in enumerate(series):
        out.append(f'<line x1="{legend_x + n * 110}" y1="{bottom + 50}" x2="{legend_x + n * 110 + 24}" '
                   f'y2="{bottom + 50}" stroke="{COLOURS.get(app, "#111")}" stroke-width="3"/>')
        out.append(f'<text x="{legend_x + n * 110 + 30}" y="{bottom + 54}" font-size="12">{escape(app)}</text>')
    out.append("</svg>")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(out) + "\n")
