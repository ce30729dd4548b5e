"""Server-rendered SVG charts (bar and line) for the 公开监督 pages: readable without JavaScript,
printable, with <title>/<desc> so screen readers get the figures too. Labels may be Chinese."""
from __future__ import annotations

import hashlib
import math

from markupsafe import Markup, escape

PALETTE = ("#a5141c", "#1f5fa8", "#2e7d32", "#8a5a00", "#6a3d9a", "#00695c")
FONT = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif"
PAD = {"left": 56, "right": 16, "top": 36, "bottom": 64}


def nice_max(value: float, integer: bool = False) -> float:
    """A round axis maximum ≥ value with four equal steps of 1, 2, 2.5 or 5 × 10^n
    (counts get whole-number steps of at least 1)."""
    raw = max(value, 0) / 4
    if raw <= 0:
        return 4.0 if integer else 1.0
    power = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 3, 5, 10) if integer and power < 10 else (1, 2, 2.5, 5, 10)
    step = next(k * power for k in steps if raw <= k * power)
    return 4 * max(step, 1) if integer else 4 * step


def _fmt(value) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _ids(prefix: str, title: str) -> tuple[str, str]:
    """Element ids derived from the title, so two charts on one page never share them."""
    key = hashlib.sha1(title.encode("utf-8")).hexdigest()[:10]
    return f"{prefix}-{key}-t", f"{prefix}-{key}-d"


def _desc(labels, series: dict, unit: str) -> str:
    """The figures as text: "院务公开·对外: 2026-01 3，2026-02 5；..."."""
    parts = []
    for name, values in series.items():
        figures = "，".join(f"{label} {_fmt(v)}{unit if v is not None else ''}" for label, v in zip(labels, values))
        parts.append(f"{name}：{figures}")
    return "；".join(parts)


def _frame(title: str, desc: str, width: int, height: int, body: list[str], prefix: str) -> Markup:
    title_id, desc_id = _ids(prefix, title)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" aria-labelledby="{title_id} {desc_id}" '
            f'font-family="{FONT}" font-size="12">'
            f'<title id="{title_id}">{escape(title)}</title><desc id="{desc_id}">{escape(desc)}</desc>'
            f'<text x="{PAD["left"]}" y="20" font-size="14" font-weight="bold" fill="#1f2328">{escape(title)}</text>')
    return Markup(head + "".join(body) + "</svg>")


def _axes(labels, top: float, y_label: str, width: int, height: int, unit: str) -> list[str]:
    """Grid lines with figures on the left, the category labels below, the axis name rotated."""
    x0, x1 = PAD["left"], width - PAD["right"]
    y0, y1 = height - PAD["bottom"], PAD["top"]
    out = []
    for i in range(5):
        value = top * i / 4
        y = y0 - (y0 - y1) * i / 4
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#d0d7de" stroke-width="1"/>'
                   f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#424a53">{_fmt(value)}{escape(unit)}</text>')
    step = (x1 - x0) / max(len(labels), 1)
    for i, label in enumerate(labels):
        x = x0 + step * (i + 0.5)
        out.append(f'<text x="{x:.1f}" y="{y0 + 16}" text-anchor="middle" fill="#424a53">{escape(label)}</text>')
    out.append(f'<text transform="translate(14 {(y0 + y1) / 2:.0f}) rotate(-90)" text-anchor="middle" '
               f'fill="#424a53">{escape(y_label)}</text>')
    return out


def _legend(names, width: int, height: int, line: bool = False) -> list[str]:
    out, x, y = [], PAD["left"], height - 18
    for i, name in enumerate(names):
        color = PALETTE[i % len(PALETTE)]
        mark = (f'<line x1="{x}" y1="{y - 4}" x2="{x + 14}" y2="{y - 4}" stroke="{color}" stroke-width="3"/>'
                if line else f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{color}"/>')
        out.append(mark + f'<text x="{x + 18}" y="{y}" fill="#1f2328">{escape(name)}</text>')
        x += 30 + 13 * len(name)
    return out


def bar_chart(title: str, labels: list[str], series: dict[str, list[float]], y_label: str,
              unit: str = "", width: int = 640, height: int = 280) -> Markup:
    """Stacked bars, one per label; each series a colour, with a legend when there are several."""
    totals = [sum((values[i] or 0) for values in series.values()) for i in range(len(labels))]
    top = nice_max(max(totals, default=0), integer=all(
        float(v).is_integer() for values in series.values() for v in values if v is not None))
    body = _axes(labels, top, y_label, width, height, unit)
    x0, y0 = PAD["left"], height - PAD["bottom"]
    plot_h = y0 - PAD["top"]
    step = (width - PAD["right"] - x0) / max(len(labels), 1)
    bar_w = step * 0.6
    for i, label in enumerate(labels):
        base = y0
        for k, (name, values) in enumerate(series.items()):
            value = values[i] or 0
            if not value:
                continue
            h = plot_h * value / top
            base -= h
            body.append(f'<rect x="{x0 + step * i + (step - bar_w) / 2:.1f}" y="{base:.1f}" '
                        f'width="{bar_w:.1f}" height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}">'
                        f'<title>{escape(name)} {escape(label)}: {_fmt(value)}{escape(unit)}</title></rect>')
        if totals[i]:
            body.append(f'<text x="{x0 + step * (i + 0.5):.1f}" y="{base - 4:.1f}" text-anchor="middle" '
                        f'fill="#1f2328">{_fmt(totals[i])}</text>')
    if len(series) > 1:
        body += _legend(list(series), width, height)
    return _frame(title, _desc(labels, series, unit), width, height, body, "bar")


def line_chart(title: str, labels: list[str], series: dict[str, list[float | None]], y_label: str,
               unit: str = "", top: float | None = None, reference: float | None = None,
               reference_label: str = "", width: int = 640, height: int = 280) -> Markup:
    """Lines with dots; None leaves a gap. An optional dashed reference line (e.g. the 80 % flag)."""
    values = [v for vs in series.values() for v in vs if v is not None]
    top = top or nice_max(max(values + [reference or 0], default=0))
    body = _axes(labels, top, y_label, width, height, unit)
    x0, y0 = PAD["left"], height - PAD["bottom"]
    plot_h = y0 - PAD["top"]
    step = (width - PAD["right"] - x0) / max(len(labels), 1)

    def point(i, v):
        return x0 + step * (i + 0.5), y0 - plot_h * v / top
    if reference is not None:
        y = point(0, reference)[1]
        body.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{width - PAD["right"]}" y2="{y:.1f}" stroke="#8a5a00" '
                    f'stroke-dasharray="6 4" stroke-width="1.5"/><text x="{width - PAD["right"]}" '
                    f'y="{y - 4:.1f}" text-anchor="end" fill="#8a5a00">{escape(reference_label)}</text>')
    for k, (name, vs) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        runs, run = [], []
        for i, v in enumerate(vs):
            if v is None:
                runs, run = runs + [run] if run else runs, []
            else:
                run.append(point(i, v))
        runs += [run] if run else []
        for r in runs:
            if len(r) > 1:
                pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in r)
                body.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2.5"/>')
        for i, v in enumerate(vs):
            if v is not None:
                x, y = point(i, v)
                body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}">'
                            f'<title>{escape(name)} {escape(labels[i])}: {_fmt(v)}{escape(unit)}</title></circle>')
    if len(series) > 1:
        body += _legend(list(series), width, height, line=True)
    return _frame(title, _desc(labels, series, unit), width, height, body, "line")
