"""Write paths: resource queries, the scan (fetch → trend → rows → thresholds), threshold alerts.

`scan` is what the beat task runs per query on the `forecast` queue. Range queries go through the
metrics app's chunking, concurrency-bounded `PrometheusClient`; the trend and the sawtooth veto come
from `trend` (the predictions app's `envelope_eta`); predictive alerts go through the predictions
app's internal integration into `apps.alerts.ingest`, like every other predictive alert.
"""
from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aiops import events
from apps.metrics.client import MetricQueryError, PrometheusClient, Series
from apps.predictions import alerting

from . import recommend, trend
from .choices import ResourceKind, Trend
from .models import CapacityMetric, CapacityThreshold, ResourceQuery, ThresholdState
from .templates import defaults_for


class CapacityError(Exception):
    pass


@transaction.atomic
def query_create(*, organization, name: str, kind: str, source, created_by=None, **fields) -> ResourceQuery:
    """Create a resource query; templates the caller leaves out come from the kind's defaults."""
    if source.organization_id != organization.pk:
        raise CapacityError(_("Unknown metric source."))
    defaults = defaults_for(kind)
    for key, value in defaults.items():
        if not fields.get(key):
            fields[key] = value
    query = ResourceQuery(organization=organization, name=name, kind=kind, source=source, created_by=created_by,
                          **fields)
    query.full_clean(exclude=["organization", "created_by", "source"])
    query.save()
    return query


def install_defaults(*, organization, source, created_by=None) -> list[ResourceQuery]:
    """One query per built-in kind (not custom) on `source`, skipping names that exist."""
    made = []
    for kind in ResourceKind:
        if kind == ResourceKind.CUSTOM:
            continue
        name = f"{kind.label} ({source.name})"
        if not ResourceQuery.objects.filter(organization=organization, name=name).exists():
            made.append(query_create(organization=organization, name=name, kind=kind, source=source,
                                     created_by=created_by))
    return made


def series_hash(labels: dict) -> str:
    return alerting.fingerprint(*sorted(f"{k}={v}" for k, v in labels.items() if k != "__name__"))


def resource_name(query: ResourceQuery, labels: dict) -> str:
    keys = [k.strip() for k in query.name_labels.split(",") if k.strip()]
    parts = [str(labels[k]) for k in keys if labels.get(k)]
    if parts:
        return ":".join(parts)
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "__name__") or query.name


def _match(usage: Series, capacities: list[Series]) -> Series | None:
    """The capacity series sharing the usage series' labels (an unlabelled one matches every series)."""
    mine = {k: v for k, v in usage.labels.items() if k != "__name__"}
    best, best_shared = None, -1
    for cap in capacities:
        theirs = {k: v for k, v in cap.labels.items() if k != "__name__"}
        shared = set(mine) & set(theirs)
        if any(mine[k] != theirs[k] for k in shared):
            continue
        if len(shared) > best_shared and (shared or not theirs):
            best, best_shared = cap, len(shared)
    return best


def fetch(query: ResourceQuery, *, end: datetime | None = None) -> list[tuple[Series, list, list, list]]:
    """[(usage series, timestamps, usage, capacity)] aligned on the usage series' timestamps."""
    end = end or timezone.now()
    start = end - timedelta(days=query.history_days)
    client = PrometheusClient(query.source)
    usage = client.query_range(query.usage_query, start=start, end=end, step=query.step_seconds)
    capacity = client.query_range(query.capacity_query, start=start, end=end, step=query.step_seconds)
    out = []
    for one in usage:
        cap = _match(one, capacity)
        if cap is None:
            continue
        by_time = dict(zip(cap.timestamps, cap.values, strict=False))
        rows = [(t, u, by_time.get(t)) for t, u in zip(one.timestamps, one.values, strict=False)]
        rows = [(t, u, c) for t, u, c in rows if c is not None and math.isfinite(c) and c > 0 and math.isfinite(u)]
        if rows:
            out.append((one, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]))
    return out


def scan(*, query: ResourceQuery, end: datetime | None = None) -> list[CapacityMetric]:
    """Fetch, analyse and store every resource of `query`, then evaluate the thresholds on them."""
    now = timezone.now()
    try:
        rows = fetch(query, end=end)
    except MetricQueryError as exc:
        ResourceQuery.objects.filter(pk=query.pk).update(last_run_at=now, last_error=str(exc)[:2000])
        raise
    return scan_rows(query=query, rows=rows)


def scan_rows(*, query: ResourceQuery, rows) -> list[CapacityMetric]:
    """Store already-fetched (series, timestamps, usage, capacity) rows of `query` (see `scan`)."""
    now = timezone.now()
    saved = []
    with transaction.atomic():
        for one, ts, usage, capacity in rows:
            if len(ts) < 2:
                continue
            percents = [100.0 * u / c for u, c in zip(usage, capacity, strict=False)]
            result = trend.analyse(ts, percents, step=query.step_seconds)
            saved.append(_save(query, one, ts, usage, capacity, percents, result, now))
        ResourceQuery.objects.filter(pk=query.pk).update(last_run_at=now, last_error="")
    for metric in saved:
        thresholds_evaluate(metric=metric)
    return saved


def _save(query, one, ts, usage, capacity, percents, result: trend.Analysis, now) -> CapacityMetric:
    stride = max(1, len(ts) // 400)
    history = [[t, round(p, 4)] for t, p in zip(ts[::stride], percents[::stride], strict=False)]
    if history[-1][0] != ts[-1]:
        history.append([ts[-1], round(percents[-1], 4)])
    full = result.eta.get("100")
    days = full["p50"] if full else None
    fields = dict(
        organization_id=query.organization_id, resource_type=query.kind,
        resource_name=resource_name(query, one.labels)[:300],
        labels={k: v for k, v in one.labels.items() if k != "__name__"}, unit=query.unit,
        current_usage=float(usage[-1]), current_capacity=float(capacity[-1]), usage_percent=round(percents[-1], 4),
        usage_trend=result.trend, growth_per_day=result.growth_per_day, eta=result.eta, days_to_exhaustion=days,
        predicted_exhaustion=None if days is None else datetime.fromtimestamp(result.at, UTC) + timedelta(days=days),
        history=history, last_updated=now,
        trend_line={"level": result.level, "slope": result.growth_per_day, "sigma": result.sigma,
                    "slope_se": result.slope_se, "at": result.at},
    )
    row, _created = CapacityMetric.objects.update_or_create(query=query, series_hash=series_hash(one.labels),
                                                            defaults=fields)
    return row


def analysis_of(metric: CapacityMetric) -> trend.Analysis:
    line = metric.trend_line or {}
    return trend.Analysis(metric.usage_trend, metric.growth_per_day, line.get("level"), line.get("sigma", 0.0),
                          line.get("slope_se", 0.0), line.get("at", 0.0), metric.eta)


# ---------------------------------------------------------------------------------------------- thresholds

def eta_days(metric: CapacityMetric, threshold: float) -> float | None:
    """P50 days until `threshold` % (any level, by the stored trend), None when it is not reached."""
    stored = (metric.eta or {}).get(f"{threshold:g}")
    if stored is not None or f"{threshold:g}" in (metric.eta or {}):
        return stored["p50"] if stored else None
    line = metric.trend_line or {}
    level = line.get("level")
    if level is None:
        return None
    if level >= threshold:
        return 0.0
    if metric.usage_trend != Trend.INCREASING or metric.growth_per_day <= 0:
        return None
    if all((metric.eta or {}).get(k) is None for k in ("80", "90", "100")):
        return None  # vetoed at every level: not filling
    return (threshold - level) / metric.growth_per_day


def threshold_matches(threshold: CapacityThreshold, metric: CapacityMetric) -> bool:
    if threshold.resource_type and threshold.resource_type != metric.resource_type:
        return False
    return not threshold.resource_pattern or bool(re.search(threshold.resource_pattern, metric.resource_name))


def threshold_verdict(threshold: CapacityThreshold, metric: CapacityMetric) -> tuple[str, float, float] | None:
    """(severity, level %, days) of the predicted breach within the forecast days, else None.

    Only a growing resource is predicted to breach: a resource already above a level and flat is the
    live alerting's business, and a sawtooth (vetoed) stays quiet.
    """
    if metric.usage_trend != Trend.INCREASING:
        return None
    for severity, level in (("critical", threshold.critical_threshold), ("warning", threshold.warning_threshold)):
        days = eta_days(metric, level)
        if days is not None and days <= threshold.forecast_days:
            return severity, level, days
    return None


def thresholds_evaluate(*, metric: CapacityMetric) -> list[ThresholdState]:
    states = []
    for threshold in CapacityThreshold.objects.filter(organization_id=metric.organization_id, enabled=True):
        if threshold_matches(threshold, metric):
            states.append(threshold_evaluate(threshold=threshold, metric=metric))
    return states


def threshold_evaluate(*, threshold: CapacityThreshold, metric: CapacityMetric) -> ThresholdState:
    """Fire (or resolve) the threshold's predictive alert for one resource."""
    verdict = threshold_verdict(threshold, metric)
    with transaction.atomic():
        state, _created = ThresholdState.objects.select_for_update().get_or_create(threshold=threshold, metric=metric)
        fp = alerting.fingerprint("capacity", threshold.pk, metric.pk)
        if verdict is None:
            if state.firing:
                alerting.send(organization_id=metric.organization_id, fp=fp,
                              labels=_labels(threshold, metric, state.severity), annotations={},
                              starts_at=state.alert_starts_at, firing=False)
                state.firing = False
                state.save()
            return state
        severity, level, days = verdict
        sentence = breach_sentence(metric, level, days)
        if not state.firing or state.severity != severity:
            if state.firing:  # severity changed: resolve the old alert, raise the new one
                alerting.send(organization_id=metric.organization_id, fp=fp,
                              labels=_labels(threshold, metric, state.severity), annotations={},
                              starts_at=state.alert_starts_at, firing=False)
            state.firing, state.severity = True, severity
            state.alert_starts_at = timezone.now().replace(microsecond=0)
            events.publish("capacity.breach_forecast", org=metric.organization_id, subject=metric,
                           metric=sentence, severity=severity, threshold=level, days=round(days, 2),
                           threshold_id=threshold.pk, resource=metric.resource_name,
                           notify_channels=list(threshold.notify_channels or []),
                           notifications=_channel_entries(threshold, sentence, severity),
                           breach_at=(datetime.fromtimestamp(analysis_of(metric).at, UTC)
                                      + timedelta(days=days)).isoformat())
        alerting.send(organization_id=metric.organization_id, fp=fp, labels=_labels(threshold, metric, severity),
                      annotations=_annotations(threshold, metric, level, days, sentence),
                      starts_at=state.alert_starts_at, firing=True)
        state.save()
    return state


def _channel_entries(threshold, sentence: str, severity: str) -> list[dict]:
    """The threshold's channels as `notifications:` entries the notifications app sends (by name)."""
    from apps.notifications.models import NotificationChannel

    ids = [i for i in threshold.notify_channels or [] if isinstance(i, int)]
    names = NotificationChannel.objects.filter(organization_id=threshold.organization_id, pk__in=ids).values_list(
        "name", flat=True)
    return [{"channel": name, "message": sentence, "severity": severity} for name in names]


def human_days(days: float) -> str:
    if days < 1:
        return _("%(n)d hours") % {"n": max(1, round(days * 24))}
    return _("%(n)d days") % {"n": round(days)}


def breach_sentence(metric: CapacityMetric, level: float, days: float) -> str:
    """ "db-primary: Disk predicted to hit 90 % in 6 days" """
    return _("%(resource)s: %(kind)s predicted to hit %(level)s %% in %(eta)s") % {
        "resource": metric.resource_name, "kind": metric.get_resource_type_display(), "level": f"{level:g}",
        "eta": human_days(days)}


def _labels(threshold, metric, severity) -> dict:
    labels = {k: v for k, v in metric.labels.items()}
    labels.update({"alertname": f"Capacity: {metric.get_resource_type_display()}", "severity": severity,
                   "kind": "predictive", "capacity_threshold": str(threshold.pk),
                   "resource_type": metric.resource_type, "resource": metric.resource_name})
    return labels


def _annotations(threshold, metric, level, days, sentence) -> dict:
    at = datetime.fromtimestamp(analysis_of(metric).at, UTC) + timedelta(days=days)
    stored = (metric.eta or {}).get(f"{level:g}") or {}
    return {"summary": sentence, "kind": "predictive", "eta": at.isoformat(), "eta_seconds": str(round(days * 86400)),
            "threshold": f"{level:g}", "current_value": f"{metric.usage_percent:.4g}",
            "growth_per_day": f"{metric.growth_per_day:.3g}",
            "band": f"P10 {stored.get('p10')} d – P90 {stored.get('p90')} d" if stored else "",
            "description": recommend.recommendation(metric, warning=threshold.warning_threshold),
            "capacity_metric_id": str(metric.pk)}
