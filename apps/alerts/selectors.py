"""Read queries on alerts that several front doors share: lists, history, dashboard figures, MTTA/MTTR.

Everything here stays fast at a million alerts: lists are one query with `select_related`,
aggregations run in the database (durations are SQL expressions that SQLite and PostgreSQL both
evaluate), and percentiles are computed by PostgreSQL itself or, elsewhere, in Python on a
bounded list of values.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Aggregate, Avg, BooleanField, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncDay, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from aiops.conf import setting
from aiops.links import absolute_reverse

from .choices import SEVERITY_RANK, AlertStatus, AuthType, IntegrationKind, Severity
from .models import Alert, AlertEvent, Integration

GROUPS = ("severity", "service", "team", "day", "week")


def _tta():
    return ExpressionWrapper(F("acknowledged_at") - F("starts_at"), output_field=DurationField())


def _ttr():
    return ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())


ACKNOWLEDGED = Q(acknowledged_at__isnull=False)
RESOLVED = Q(status=AlertStatus.RESOLVED, ends_at__isnull=False)


# --- lists and details --------------------------------------------------------------------------


def with_list_related(queryset):
    """Everything a list row shows, joined in the same query; adds per-alert durations.

    Each row carries `time_to_acknowledge` and `time_to_resolve` (durations, or None) and `is_silenced`.
    """
    return queryset.select_related(
        "integration", "team", "acknowledged_by", "resolved_by", "assigned_to"
    ).annotate(
        time_to_acknowledge=_tta(),
        time_to_resolve=_ttr(),
        is_silenced=ExpressionWrapper(Q(silenced_until__gt=timezone.now()), output_field=BooleanField()),
    )


def alerts_visible(*, user, organization):
    """The tenancy chokepoint for alerts: what the user may see in the organisation."""
    return Alert.objects.visible_to(user, organization)


def alert_list(*, user, organization):
    """The alerts a user may see in an organisation, ready for a list page (one query per page)."""
    return with_list_related(alerts_visible(user=user, organization=organization))


def alert_history_queryset():
    """Alert events oldest first, with their actors (for prefetching an alert's history)."""
    return AlertEvent.objects.select_related("actor").order_by("at", "id")


def alert_history(*, alert: Alert):
    """The alert's recorded events (fired, acknowledged, ...), oldest first."""
    return alert_history_queryset().filter(alert=alert)


def restrict_events_to_visible_alerts(queryset, *, user, organization):
    """Events carry no team of their own: keep only those of alerts the user may see."""
    visible = alerts_visible(user=user, organization=organization).values("pk")
    return queryset.filter(alert_id__in=visible).select_related("actor")


def integration_list(*, user, organization):
    return Integration.objects.visible_to(user, organization).select_related("team")


def organization_members(*, organization):
    """Users who can be assigned an alert: members of the organisation."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(memberships__organization=organization).order_by("username")


# --- integrations ----------------------------------------------------------------------------------


def integration_webhook_url(integration: Integration) -> str:
    """The secret URL the sender posts to; whoever holds it can send alerts, so show it to admins only.

    Alertmanager and Grafana post to /hooks/alertmanager/<token>/; generic JSON has its own path.
    """
    name = "generic-alert-hook" if integration.kind == IntegrationKind.GENERIC else "alertmanager-hook"
    return absolute_reverse(name, kwargs={"token": integration.token})


def _yaml_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def integration_alertmanager_snippet(integration: Integration) -> str:
    """A ready-to-paste Alertmanager receiver for this integration.

    Secrets are write-only, so the bearer token or password appears as a placeholder to fill in.
    """
    lines = [
        "receivers:",
        f"  - name: {_yaml_quote('aiops-' + integration.name)}",
        "    webhook_configs:",
        f"      - url: {_yaml_quote(integration_webhook_url(integration))}",
        "        send_resolved: true",
        "        max_alerts: 0",
    ]
    if integration.auth_type == AuthType.BEARER:
        lines += [
            "        http_config:",
            "          authorization:",
            "            type: Bearer",
            '            credentials: "<the bearer token set on this integration>"',
        ]
    elif integration.auth_type == AuthType.BASIC:
        lines += [
            "        http_config:",
            "          basic_auth:",
            f"            username: {_yaml_quote(integration.auth_username)}",
            '            password: "<the password set on this integration>"',
        ]
    return "\n".join(lines) + "\n"


# --- dashboard figures -------------------------------------------------------------------------------


def firing_by_severity(*, user, organization) -> list[dict]:
    """Firing alerts per severity (every severity, most severe first) and how many are unacknowledged."""
    rows = (
        alerts_visible(user=user, organization=organization)
        .filter(status=AlertStatus.FIRING)
        .values("severity")
        .annotate(count=Count("id"), unacknowledged=Count("id", filter=Q(acknowledged_at__isnull=True)))
        .order_by()
    )
    found = {row["severity"]: row for row in rows}
    return [
        {
            "severity": sev.value,
            "label": sev.label,
            "count": found.get(sev.value, {}).get("count", 0),
            "unacknowledged": found.get(sev.value, {}).get("unacknowledged", 0),
        }
        for sev in sorted(Severity, key=lambda s: -SEVERITY_RANK[s])
    ]


def latest_firing(*, user, organization, limit: int = 10):
    return (
        alert_list(user=user, organization=organization)
        .filter(status=AlertStatus.FIRING)
        .order_by("-starts_at", "-id")[:limit]
    )


# --- MTTA / MTTR ------------------------------------------------------------------------------------


def stats_default_days() -> int:
    return setting("ALERTS_STATS_DEFAULT_DAYS", 7)


def stats_max_days() -> int:
    return setting("ALERTS_STATS_MAX_DAYS", 400)


def stats_percentile_limit() -> int:
    return setting("ALERTS_STATS_PERCENTILE_LIMIT", 100_000)


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(f) WITHIN GROUP (ORDER BY expr)` (works on intervals too)."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _seconds(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return round(value.total_seconds(), 3)
    return round(float(value) / 1_000_000, 3)  # a backend that hands back microseconds


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear-interpolation percentile, the same definition as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return round(value, 3)


def _group_key(group_by: str | None):
    """(values() names, annotations) that define a group."""
    if group_by is None:
        return [], {}
    if group_by == "team":
        return ["team_id", "team__name"], {}
    if group_by == "day":
        return ["period"], {"period": TruncDay("starts_at")}
    if group_by == "week":
        return ["period"], {"period": TruncWeek("starts_at")}
    return [group_by], {}


def _describe(group_by: str | None, row: dict) -> tuple:
    """(key, label, sort key) of a group row."""
    if group_by == "severity":
        sev = row["severity"]
        return sev, str(Severity(sev).label) if sev in Severity.values else sev, -SEVERITY_RANK.get(sev, 0)
    if group_by == "team":
        name = row["team__name"]
        return row["team_id"], name if name is not None else str(_("(no team)")), (name is None, name or "")
    if group_by in ("day", "week"):
        period = row["period"]
        key = period.date().isoformat() if isinstance(period, datetime) else str(period)
        return key, key, key
    if group_by == "service":
        return row["service"], row["service"], row["service"]
    return None, "", 0


def alert_stats(*, queryset, after: datetime, before: datetime, group_by: str | None = None) -> dict:
    """MTTA and MTTR of the alerts that started in [after, before), in total and per group.

    MTTA is `acknowledged_at - starts_at` over acknowledged alerts; MTTR is `ends_at - starts_at`
    over resolved alerts. Counts and averages are SQL aggregates; p50/p95 are too on PostgreSQL.
    """
    if group_by is not None and group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPS)}")
    qs = queryset.filter(starts_at__gte=after, starts_at__lt=before).order_by()
    in_db = connection.vendor == "postgresql"

    def measures() -> dict:
        figures = {
            "count": Count("id"),
            "acknowledged": Count("id", filter=ACKNOWLEDGED),
            "resolved": Count("id", filter=RESOLVED),
            "mtta": Avg(_tta(), filter=ACKNOWLEDGED),
            "mttr": Avg(_ttr(), filter=RESOLVED),
        }
        if in_db:
            for name, expr, cond in (("tta", _tta(), ACKNOWLEDGED), ("ttr", _ttr(), RESOLVED)):
                for fraction in (0.5, 0.95):
                    figures[f"{name}_p{int(fraction * 100)}"] = PercentileCont(
                        expr, fraction, filter=cond, output_field=DurationField()
                    )
        return figures

    names, annotations = _group_key(group_by)
    grouped = qs.annotate(**annotations).values(*names) if names else qs
    rows = list(grouped.annotate(**measures())) if names else [qs.aggregate(**measures())]
    percentiles = _python_percentiles(qs, names, annotations) if not in_db else None

    groups = []
    for row in rows:
        key, label, sort_key = _describe(group_by, row)
        figures = _figures(row, percentiles, tuple(row[n] for n in names))
        groups.append((sort_key, {"key": key, "label": label, **figures} if names else figures))
    groups.sort(key=lambda item: item[0])
    result = {"after": after.isoformat(), "before": before.isoformat(), "group_by": group_by}
    if names:
        result["groups"] = [figures for _, figures in groups]
        result["totals"] = alert_stats(queryset=queryset, after=after, before=before)["totals"]
    else:
        result["totals"] = groups[0][1]
    if percentiles is not None and percentiles.get("truncated"):
        result["percentiles_note"] = "too many alerts in range for percentiles on this database"
    return result


def _figures(row: dict, percentiles: dict | None, key: tuple) -> dict:
    def block(name: str, avg_key: str) -> dict:
        if percentiles is None:  # computed by the database
            p50, p95 = _seconds(row.get(f"{name}_p50")), _seconds(row.get(f"{name}_p95"))
        else:
            values = percentiles.get(name, {}).get(key)
            p50 = percentile(values, 0.5) if values is not None else None
            p95 = percentile(values, 0.95) if values is not None else None
        return {"avg_seconds": _seconds(row[avg_key]), "p50_seconds": p50, "p95_seconds": p95}

    return {
        "count": row["count"],
        "acknowledged": row["acknowledged"],
        "resolved": row["resolved"],
        "mtta": block("tta", "mtta"),
        "mttr": block("ttr", "mttr"),
    }


def _python_percentiles(qs, names: list[str], annotations: dict) -> dict:
    """Duration values per group, fetched in one bounded query per measure (SQLite and others).

    Past `ALERTS_STATS_PERCENTILE_LIMIT` values, percentiles are left out rather than guessed.
    """
    limit = stats_percentile_limit()
    out: dict = {"truncated": False}
    for name, expr, cond in (("tta", _tta(), ACKNOWLEDGED), ("ttr", _ttr(), RESOLVED)):
        rows = list(qs.filter(cond).annotate(**annotations, _d=expr).values_list(*names, "_d")[: limit + 1])
        if len(rows) > limit:
            out["truncated"] = True
            out[name] = {}
            continue
        per_group: dict = {}
        for row in rows:
            per_group.setdefault(tuple(row[:-1]), []).append(_seconds(row[-1]))
        out[name] = per_group
    return out


def stats_window(
    *, after: datetime | None = None, before: datetime | None = None
) -> tuple[datetime, datetime]:
    """The stats time range, defaulting to the last `ALERTS_STATS_DEFAULT_DAYS` days up to now."""
    before = before or timezone.now()
    after = after or before - timedelta(days=stats_default_days())
    return after, before
