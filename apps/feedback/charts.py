"""Server-side SVG trend charts, drawn in Python and escaped with format_html (they print, no JS)."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

LEFT, RIGHT, TOP, BOTTOM = 44, 24, 12, 26


def line_chart(
    *,
    labels: list[str],
    series: list[tuple[str, str, list[float | None]]],
    y_max: float,
    title: str,
    y_format=lambda v: f"{v:.0%}",
    target: float | None = None,
    target_label: str = "",
    width: int = 560,
    height: int = 180,
    css_class: str = "trend",
) -> str:
    """One polyline per series (name, colour, values); gaps where a value is None; optional target line."""
    if not labels:
        return ""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    step = plot_w / max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return round(LEFT + i * step, 1)

    def y(v: float) -> float:
        return round(TOP + plot_h * (1 - min(max(v / y_max, 0), 1)), 1)

    grid = format_html_join(
        "",
        '<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#e3e6ec"></line>'
        '<text x="{3}" y="{4}" text-anchor="end" font-size="10" fill="#5b6472">{5}</text>',
        ((LEFT, y(v), width - RIGHT, LEFT - 4, y(v) + 3, y_format(v)) for v in (0, y_max / 2, y_max)),
    )
    every = max(len(labels) // 6, 1)
    ticks = format_html_join(
        "",
        '<text x="{0}" y="{1}" text-anchor="middle" font-size="10" fill="#5b6472">{2}</text>',
        ((x(i), height - 8, label) for i, label in enumerate(labels) if i % every == 0),
    )
    lines = []
    for name, colour, values in series:
        runs, current = [], []
        for i, v in enumerate(values):
            if v is None:
                if current:
                    runs.append(current)
                current = []
            else:
                current.append((x(i), y(v), v))
        if current:
            runs.append(current)
        for run in runs:
            points = " ".join(f"{px},{py}" for px, py, _v in run)
            lines.append(
                format_html(
                    '<polyline class="series" data-series="{0}" points="{1}" fill="none" stroke="{2}" '
                    'stroke-width="2"></polyline>',
                    name,
                    points,
                    colour,
                )
            )
            lines.append(
                format_html_join(
                    "",
                    '<circle cx="{0}" cy="{1}" r="3" fill="{2}"><title>{3}: {4}</title></circle>',
                    ((px, py, colour, name, y_format(v)) for px, py, v in run),
                )
            )
    goal = ""
    if target is not None:
        goal = format_html(
            '<line class="target" x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#2e7d32" '
            'stroke-dasharray="4 3"><title>{3}</title></line>',
            LEFT,
            y(target),
            width - RIGHT,
            target_label,
        )
    legend = format_html_join(
        "",
        '<tspan fill="{0}">■ {1}</tspan> ',
        ((colour, name) for name, colour, _values in series),
    )
    return format_html(
        '<svg class="{cls}" role="img" aria-label="{title}" viewBox="0 0 {w} {h}" width="{w}" height="{hh}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{title}</title>{grid}{goal}{lines}{ticks}'
        '<text x="{lx}" y="{ly}" font-size="11">{legend}</text></svg>',
        cls=css_class,
        title=title,
        w=width,
        h=height + 14,
        hh=height + 14,
        grid=grid,
        goal=goal,
        lines=mark_safe("".join(lines)),
        ticks=ticks,
        lx=LEFT,
        ly=height + 10,
        legend=legend,
    )


def trend_charts(stats: dict, *, helpful_label: str, repeat_label: str, stars_label: str, target_label: str) -> dict:
    """The dashboard's two charts: helpful and repeat rates (with the target), and average stars."""
    trend = stats["trend"]
    labels = [row["start"][5:] for row in trend]
    rates = line_chart(
        labels=labels,
        series=[
            (helpful_label, "#2456d6", [row["helpful_rate"] for row in trend]),
            (repeat_label, "#c62828", [row["repeat_rate"] for row in trend]),
        ],
        y_max=1.0,
        title=f"{helpful_label} / {repeat_label}",
        target=stats["ratings"]["target"],
        target_label=target_label,
        css_class="trend trend-rates",
    )
    stars = line_chart(
        labels=labels,
        series=[(stars_label, "#e08a00", [row["average_rating"] for row in trend])],
        y_max=5.0,
        title=stars_label,
        y_format=lambda v: f"{v:.1f}★",
        css_class="trend trend-stars",
    )
    return {"rates_svg": rates, "stars_svg": stars}
