"""Server-side SVG for the changes pages: horizontal bar charts and the "changes before the alert" strip.

Drawn in Python (escaped with format_html) so pages print and test without any JavaScript.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .summary import human_delta

LABEL_W, VALUE_W, BAR_H, GAP = 150, 100, 16, 6


def bar_chart(
    rows: list[tuple[str, float, str]],
    *,
    width: int = 480,
    css_class: str = "bars",
    max_value: float | None = None,
    title: str = "",
) -> str:
    """rows = [(label, value, shown value)]; one bar per row, scaled to the largest value."""
    if not rows:
        return ""
    peak = max_value or max((value for _label, value, _shown in rows), default=0) or 1
    room = width - LABEL_W - VALUE_W
    height = len(rows) * (BAR_H + GAP) + GAP
    bars = []
    for index, (label, value, shown) in enumerate(rows):
        y = GAP + index * (BAR_H + GAP)
        length = max(round(room * value / peak), 1 if value else 0)
        bars.append(
            format_html(
                '<g class="bar"><title>{label}: {shown}</title>'
                '<text x="{lx}" y="{ty}" text-anchor="end" font-size="12">{short}</text>'
                '<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="2" fill="#4a78c2"></rect>'
                '<text x="{vx}" y="{ty}" font-size="12">{shown}</text></g>',
                label=label,
                shown=shown,
                short=label if len(label) <= 24 else label[:23] + "…",
                lx=LABEL_W - 6,
                ty=y + BAR_H - 4,
                x=LABEL_W,
                y=y,
                w=length,
                h=BAR_H,
                vx=LABEL_W + length + 6,
            )
        )
    return format_html(
        # Scales down to the card's width (no fixed height: the viewBox keeps the proportions).
        '<svg class="{cls}" role="img" aria-label="{title}" viewBox="0 0 {w} {h}" width="100%" '
        'style="max-width:{w}px" xmlns="http://www.w3.org/2000/svg">{bars}</svg>',
        cls=css_class,
        title=title,
        w=width,
        h=height,
        bars=mark_safe("".join(bars)),
    )


def window_strip(*, alert, rows, window_seconds: int, width: int = 640) -> str:
    """The look-back window as a time axis: one dot per change (red when related), the alert at the right."""
    height, left, right, axis_y = 64, 20, 40, 34
    end = alert.starts_at + timedelta(minutes=5)
    start = alert.starts_at - timedelta(seconds=window_seconds)
    span = (end - start).total_seconds()

    def x(moment) -> float:
        offset = min(max((moment - start).total_seconds(), 0), span)
        return round(left + (width - left - right) * offset / span, 1)

    ticks = []
    step = max(window_seconds // 4, 60)
    for k in range(0, window_seconds + 1, step):
        moment = alert.starts_at - timedelta(seconds=window_seconds - k)
        label = "−" + human_delta(window_seconds - k) if window_seconds - k else _("alert")
        ticks.append((x(moment), label))
    tick_svg = format_html_join(
        "",
        '<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#999"></line>'
        '<text x="{0}" y="{3}" text-anchor="middle" font-size="10">{4}</text>',
        ((tx, axis_y - 4, axis_y + 4, axis_y + 18, label) for tx, label in ticks),
    )
    dots = format_html_join(
        "",
        '<circle class="{0}" cx="{1}" cy="{2}" r="6" fill="{3}"><title>{4}</title></circle>',
        (
            (
                "related" if row.relevant else "other",
                x(row.change.ended_at),
                axis_y,
                "#c0392b" if row.relevant else "#8a8a8a",
                f"{row.change} · {row.change.ended_at:%H:%M} · {row.confidence:.0%}",
            )
            for row in rows
        ),
    )
    alert_x = x(alert.starts_at)
    return format_html(
        '<svg class="change-window" role="img" aria-label="{label}" viewBox="0 0 {w} {h}" width="100%" '
        'style="max-width:{w}px" xmlns="http://www.w3.org/2000/svg">'
        '<line x1="{l}" y1="{ay}" x2="{r}" y2="{ay}" stroke="#555"></line>{ticks}'
        '<line x1="{ax}" y1="6" x2="{ax}" y2="{ay}" stroke="#c0392b" stroke-width="2"></line>{dots}</svg>',
        label=_("Changes in the window before the alert"),
        w=width,
        h=height,
        l=left,
        r=width - right,
        ay=axis_y,
        ticks=tick_svg,
        ax=alert_x,
        dots=dots,
    )
