"""Tiny server-rendered SVG charts (no CDN, no JavaScript): horizontal bars, stacked bars, a line
over cycles. Each function returns ``Markup`` to put straight into a template; the SVG scales to
the width of its container (``viewBox``), so it reads on a phone as on a projector, and prints.
Numbers are written with :func:`app.rubric.numbers.fmt` (half-up to two decimals, the rounding
of the scores), so a chart shows what the tables show.
"""

from decimal import Decimal

from markupsafe import Markup, escape

from app.rubric.numbers import ZERO, D, fmt

PALETTE = ["#0b6e99", "#b3261e", "#2f7d32", "#b26a00", "#6a1b9a", "#00838f", "#5d4037"]
GRADE_COLOURS = {"优秀": "#2f7d32", "合格": "#0b6e99", "不合格": "#c62828"}


def _num(x) -> float:
    return float(x) if isinstance(x, Decimal | int | float) else float(Decimal(str(x or 0)))


def _svg(width: int, height: int, body: list[str], title: str) -> Markup:
    return Markup(
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def bar_chart(items, *, max_value=None, title: str = "", unit: str = "", width: int = 640,
              label_width: int = 150) -> Markup:
    """Horizontal bars. ``items``: (label, value) or (label, value, colour)."""
    items = list(items)
    row, top = 24, 8
    height = top + row * len(items) + 8
    mx = _num(max_value) if max_value else max([_num(i[1]) for i in items] + [1])
    plot = width - label_width - 70
    body = []
    for i, it in enumerate(items):
        label, value = it[0], it[1]
        colour = it[2] if len(it) > 2 and it[2] else PALETTE[0]
        y = top + i * row
        w = max(0.0, min(1.0, _num(value) / mx if mx else 0)) * plot
        body.append(f'<text x="{label_width - 6}" y="{y + 16}" text-anchor="end" font-size="13">{escape(label)}</text>')
        body.append(f'<rect x="{label_width}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{colour}" rx="2"/>')
        body.append(
            f'<text x="{label_width + w + 4:.1f}" y="{y + 16}" font-size="12">{fmt(value)}{escape(unit)}</text>'
        )
    return _svg(width, height, body, title)


def stacked_bars(rows, series, *, max_value=None, title: str = "", width: int = 640, label_width: int = 150,
                 totals=None) -> Markup:
    """Horizontal stacked bars with a legend. ``rows``: (label, [values]) in ``series`` order;
    ``series``: [(name, colour or None)]; ``totals``: the text after each bar (default: the sum)."""
    rows = list(rows)
    row, legend = 24, 24
    height = legend + row * len(rows) + 8
    mx = _num(max_value) if max_value else max([sum(_num(v) for v in r[1]) for r in rows] + [1])
    plot = width - label_width - 60
    body = []
    x = label_width
    for j, (name, colour) in enumerate(series):
        colour = colour or PALETTE[j % len(PALETTE)]
        body.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>')
        body.append(f'<text x="{x + 16}" y="15" font-size="12">{escape(name)}</text>')
        x += 16 + 14 * len(name) + 18
    for i, (label, values) in enumerate(rows):
        y = legend + i * row
        body.append(f'<text x="{label_width - 6}" y="{y + 16}" text-anchor="end" font-size="13">{escape(label)}</text>')
        x = float(label_width)
        for j, v in enumerate(values):
            colour = series[j][1] or PALETTE[j % len(PALETTE)]
            w = max(0.0, _num(v) / mx * plot) if mx else 0
            body.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{colour}">'
                        f'<title>{escape(series[j][0])} {fmt(v)}</title></rect>')
            x += w
        total = totals[i] if totals is not None else fmt(sum((D(v or 0) for v in values), ZERO))
        body.append(f'<text x="{x + 4:.1f}" y="{y + 16}" font-size="12">{total}</text>')
    return _svg(width, height, body, title)


def line_chart(points, *, max_value=None, min_value=0, title: str = "", width: int = 640, height: int = 220,
               notes=None) -> Markup:
    """A line through ``points`` (label, value), e.g. a unit's totals over the cycles; ``notes``
    (one per point, e.g. rank and grade) are written under the labels."""
    points = list(points)
    left, right, top, bottom = 44, 20, 16, 46
    mx = _num(max_value) if max_value else max([_num(p[1]) for p in points] + [1])
    mn = _num(min_value)
    plot_w, plot_h = width - left - right, height - top - bottom
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#9aa5b1"/>']
    for frac in (0, 0.5, 1):
        v = mn + (mx - mn) * frac
        y = top + plot_h - frac * plot_h
        body.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#616e7c">{fmt(v)}</text>'
        )
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#eef2f7"/>')
    n = len(points)
    coords = []
    for i, (label, value) in enumerate(points):
        x = left + (plot_w * (i + 0.5) / n if n else 0)
        y = top + plot_h - ((_num(value) - mn) / (mx - mn) * plot_h if mx > mn else 0)
        coords.append((x, y))
        body.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" font-size="12">{escape(label)}</text>'
        )
        if notes:
            body.append(f'<text x="{x:.1f}" y="{top + plot_h + 32}" text-anchor="middle" font-size="11" '
                        f'fill="#616e7c">{escape(notes[i])}</text>')
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        body.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    for (x, y), (_label, value) in zip(coords, points, strict=True):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{PALETTE[1]}"/>')
        body.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="12">{fmt(value)}</text>')
    return _svg(width, height, body, title)


def ranking_chart(rows, *, max_value, title: str) -> Markup:
    """A category's ranking: one bar per unit (in rank order), coloured by grade."""
    return bar_chart([(f"{r.rank}. {r.unit_name}", r.total, GRADE_COLOURS.get(r.grade)) for r in rows],
                     max_value=max_value, title=title, unit="分", label_width=190)


def component_chart(rows, components, *, title: str) -> Markup:
    """Stacked component bars per unit: the components that count towards the total with points
    of their own (bonuses and deductions are left out: a bar cannot stack a negative part)."""
    components = [c for c in components if c.get("counts", True) and c["kind"] not in ("bonus", "deduction")]
    series = [(c["name"], PALETTE[i % len(PALETTE)]) for i, c in enumerate(components)]

    def points(r, key):
        for c in (r.detail or {}).get("components") or []:
            if c["key"] == key:
                return max(Decimal(c["points"]), Decimal(0))
        return Decimal(0)

    data = [(r.unit_name, [points(r, c["key"]) for c in components]) for r in rows]
    max_value = sum(Decimal(c["points"]) for c in components)
    totals = []  # the unit's total as it stands: a deliberation or objection change of the total is shown
    for (_name, values), r in zip(data, rows, strict=True):
        parts = sum((D(v or 0) for v in values), ZERO)
        total = D(r.total) if getattr(r, "total", None) is not None else parts
        totals.append(fmt(total) if total == parts else f"{fmt(total)}（调整）")
    return stacked_bars(data, series, max_value=max_value, title=title, label_width=170, totals=totals)
