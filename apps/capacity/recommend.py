"""Recommendations with a number in them: how much to add, or by when to act.

To stay below the warning level for `CAPACITY_PLAN_DAYS` (90) days at the current growth, a
resource needs capacity ≥ (usage now + growth/day × days) / warning. For byte-sized resources
the difference is said in GB ("Add 120 GB to stay below 80 % for 90 days"); for percentages and
counts as a share of today's capacity; for CPU and memory also the date to act by.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils.translation import gettext as _

from . import conf
from .choices import ResourceKind, Trend, Unit

GB = 1e9


def needed_capacity(metric, *, warning: float, days: int) -> float:
    """Capacity (in the metric's unit) that keeps it below `warning` % for `days` at today's growth."""
    level = (metric.trend_line or {}).get("level")
    level = metric.usage_percent if level is None else level
    growth = max(metric.growth_per_day, 0.0)
    peak_percent = max(level, metric.usage_percent) + growth * days
    return metric.current_capacity * peak_percent / warning


def _amount(metric, extra: float) -> str:
    if metric.unit == Unit.BYTES:
        return _("%(n)s GB") % {"n": f"{extra / GB:,.0f}"}
    if metric.unit == Unit.BITS_PER_SECOND:
        return _("%(n)s Mbit/s") % {"n": f"{extra / 1e6:,.0f}"}
    if metric.unit == Unit.COUNT:
        return f"{extra:,.0f}"
    if metric.unit == Unit.CORES:
        return _("%(n)s cores") % {"n": f"{extra:,.1f}"}
    return _("%(n)s %% of today's capacity") % {"n": f"{extra / metric.current_capacity * 100:,.0f}"}


def recommendation(metric, *, warning: float = 80.0, days: int | None = None) -> str:
    days = days or conf.plan_days()
    if metric.usage_trend == Trend.UNKNOWN:
        return _("Collect more history (at least 3 days) before planning.")
    needed = needed_capacity(metric, warning=warning, days=days)
    extra = needed - metric.current_capacity
    if extra <= 0:
        return _("Monitor, no action needed: below %(warning)s %% for %(days)d days at the current growth.") % {
            "warning": f"{warning:g}", "days": days}
    text = _("Add %(amount)s to stay below %(warning)s %% for %(days)d days") % {
        "amount": _amount(metric, extra), "warning": f"{warning:g}", "days": days}
    eta = (metric.eta or {}).get(f"{warning:g}") or (metric.eta or {}).get("90")
    at = (metric.trend_line or {}).get("at")
    if eta and eta.get("p10") is not None and at and metric.resource_type in (ResourceKind.MEMORY, ResourceKind.CPU):
        by = datetime.fromtimestamp(at, UTC) + timedelta(days=eta["p10"])
        what = _("a memory upgrade") if metric.resource_type == ResourceKind.MEMORY else _("a CPU upgrade")
        text += _("; plan %(what)s before %(date)s") % {"what": what, "date": f"{by:%Y-%m-%d}"}
    elif metric.resource_type == ResourceKind.DISK:
        text += _(" or archive data")
    return text + "."
