"""The predictive alert card's trend chart as server-side SVG (prints, tests, needs no JavaScript).

History as a line, the forecast as a dashed line inside its shaded band, the threshold as a
dashed rule, and the predicted breach as a marker with its label.
"""
from __future__ import annotations

from datetime import UTC, datetime

from django.utils.html import escape
from django.utils.translation import gettext as _

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 640, 220, 48, 12, 14, 28


def trend_chart(history: list, points: list[dict], *, threshold: float | None = None,
                breach_at: float | None = None, title: str = "") -> str:
    hist = [(float(t), float(v)) for t, v in history if v is not None]
    fut = [(p["timestamp"], p["value"], p["lower"], p["upper"]) for p in points]
    times = [t for t, _ in hist] + [f[0] for f in fut]
    if not times:
        return ""
    values = [v for _, v in hist] + [x for f in fut for x in f[1:]] + ([threshold] if threshold is not None else [])
    t0, t1 = min(times), max(times)
    v0, v1 = min(values), max(values)
    if v1 - v0 < 1e-9:
        v0, v1 = v0 - 1, v1 + 1
    margin = (v1 - v0) * 0.05
    v0, v1 = v0 - margin, v1 + margin

    def x(t):
        return PAD_L + (t - t0) / max(t1 - t0, 1) * (W - PAD_L - PAD_R)

    def y(v):
        return PAD_T + (v1 - v) / (v1 - v0) * (H - PAD_T - PAD_B)

    def path(pairs):
        return " ".join(f"{'M' if i == 0 else 'L'}{x(t):.1f},{y(v):.1f}" for i, (t, v) in enumerate(pairs))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" class="trend-chart" '
             f'aria-label="{escape(title or _("Trend chart"))}">']
    for frac in (0, 0.5, 1):
        v = v0 + (v1 - v0) * frac
        parts.append(f'<text x="4" y="{y(v) + 4:.1f}" font-size="10" fill="#666">{v:.4g}</text>')
    if fut:
        band = [(f[0], f[3]) for f in fut] + [(f[0], f[2]) for f in reversed(fut)]
        parts.append(f'<path class="band" d="{path(band)} Z" fill="#7aa7e0" fill-opacity="0.25" stroke="none"/>')
        parts.append(f'<path class="forecast" d="{path([(f[0], f[1]) for f in fut])}" fill="none" '
                     f'stroke="#2a6bc2" stroke-width="1.5" stroke-dasharray="5 3"/>')
    if hist:
        parts.append(f'<path class="history" d="{path(hist)}" fill="none" stroke="#333" stroke-width="1.5"/>')
        now_x = x(hist[-1][0])
        parts.append(f'<line x1="{now_x:.1f}" x2="{now_x:.1f}" y1="{PAD_T}" y2="{H - PAD_B}" stroke="#999" '
                     f'stroke-width="0.5"/><text x="{now_x + 2:.1f}" y="{H - 6}" font-size="10" fill="#666">'
                     f'{escape(_("now"))}</text>')
    if threshold is not None:
        parts.append(f'<line class="threshold" x1="{PAD_L}" x2="{W - PAD_R}" y1="{y(threshold):.1f}" '
                     f'y2="{y(threshold):.1f}" stroke="#c0392b" stroke-dasharray="4 4"/>')
    if breach_at is not None and threshold is not None:
        bx, by = x(breach_at), y(threshold)
        label = datetime.fromtimestamp(breach_at, UTC).strftime("%Y-%m-%d %H:%M")
        parts.append(f'<g class="breach"><circle cx="{bx:.1f}" cy="{by:.1f}" r="5" fill="#c0392b"/>'
                     f'<text x="{min(bx + 6, W - 150):.1f}" y="{by - 8:.1f}" font-size="11" fill="#c0392b">'
                     f'{escape(_("breach %(at)s") % {"at": label})}</text></g>')
    start = datetime.fromtimestamp(t0, UTC).strftime("%m-%d")
    end = datetime.fromtimestamp(t1, UTC).strftime("%m-%d")
    parts.append(f'<text x="{PAD_L}" y="{H - 6}" font-size="10" fill="#666">{start}</text>'
                 f'<text x="{W - PAD_R - 30}" y="{H - 6}" font-size="10" fill="#666">{end}</text></svg>')
    return "".join(parts)
