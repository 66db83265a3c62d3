"""Resource charts: the forecast chart reuses the predictions app's SVG (history, trend band,
threshold, breach marker); the dashboard's sparklines are a tiny polyline."""
from __future__ import annotations

from django.utils.html import escape

from apps.predictions.charts import trend_chart

from . import services, trend


def forecast_chart(metric, *, level: float = 90.0, days: int = 60) -> str:
    points = trend.trend_points(services.analysis_of(metric), days=days)
    eta = (metric.eta or {}).get(f"{level:g}")
    at = (metric.trend_line or {}).get("at")
    breach = at + eta["p50"] * 86400 if eta and at and eta["p50"] <= days else None
    return trend_chart(metric.history, points, threshold=level, breach_at=breach,
                       title=f"{metric.resource_name}: {metric.get_resource_type_display()}")


def sparkline(history: list, *, width: int = 120, height: int = 24) -> str:
    values = [v for _, v in history if v is not None][-120:]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    pts = " ".join(f"{i * width / (len(values) - 1):.1f},{height - (v - low) / span * height:.1f}"
                   for i, v in enumerate(values))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" aria-label="{escape(f"{values[-1]:.0f} %")}">'
            f'<polyline points="{pts}" fill="none" stroke="#2a6bc2" stroke-width="1"/></svg>')
