"""Charts drawn on the server as SVG: no script (the CSP stays strict), readable in a
screenshot, each with a `<title>` and a `<desc>` for screen readers (the page also gives
the numbers as a table). Colours are presentation attributes, not inline styles."""

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28
PALETTE = ("#4f46e5", "#0f9d58", "#d97706", "#db2777", "#0891b2", "#7c3aed")


def _frame(chart_id, title, desc, body, ymax, labels):
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    ticks = []
    for frac in (0, 0.5, 1):
        y = TOP + plot_h * (1 - frac)
        ticks.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                     f'stroke="#e5e7eb" stroke-width="1"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="#4b5563">{round(ymax * frac)}</text>')  # fmt: skip
    n = len(labels)
    for i in sorted({0, n // 2, n - 1}) if n else []:
        x = LEFT + plot_w * (i + 0.5) / n
        ticks.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="11" '
                     f'fill="#4b5563">{escape(labels[i][5:])}</text>')  # fmt: skip
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>{"".join(ticks)}{body}</svg>'
    )


def _ymax(series):
    top = max((max(values) for _, values in series if values), default=0)
    return max(1, top)


def lines(chart_id, title, desc, labels, series):
    """One line per (name, values), values per label (day)."""
    ymax = _ymax(series)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(1, len(labels))
    body = []
    for k, (_, values) in enumerate(series):
        points = " ".join(
            f"{LEFT + plot_w * (i + 0.5) / n:.1f},{TOP + plot_h * (1 - v / ymax):.1f}"
            for i, v in enumerate(values)
        )
        body.append(f'<polyline points="{points}" fill="none" stroke="{PALETTE[k % len(PALETTE)]}" '
                    'stroke-width="2"/>')  # fmt: skip
    return _frame(chart_id, title, desc, "".join(body), ymax, labels)


def bars(chart_id, title, desc, labels, series):
    """Side-by-side bars per label for each (name, values)."""
    ymax = _ymax(series)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(1, len(labels))
    slot = plot_w / n
    width = max(1.0, slot * 0.8 / max(1, len(series)))
    body = []
    for k, (_, values) in enumerate(series):
        for i, v in enumerate(values):
            if not v:
                continue
            h = plot_h * v / ymax
            x = LEFT + slot * i + slot * 0.1 + width * k
            body.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{width:.1f}" '
                        f'height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}"/>')  # fmt: skip
    return _frame(chart_id, title, desc, "".join(body), ymax, labels)


def legend(series):
    """The names and colours, as HTML."""
    items = "".join(
        f'<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
        f'fill="{PALETTE[k % len(PALETTE)]}"/></svg> {escape(name)}</li>'
        for k, (name, _) in enumerate(series)
    )
    return Markup(f'<ul class="legend">{items}</ul>')
