"""Read queries shared by the decision services, the portal panels and the API."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from apps.alerts.models import Alert

from .choices import DeliveryKind, DeliveryStatus, EscalationStatus, SubjectKind
from .matching import Facts, rule_matches, snooze_matches
from .models import (
    Escalation,
    EscalationPolicy,
    NotificationChannel,
    NotificationDelivery,
    NotificationRule,
    NotificationSubject,
    Snooze,
    SubjectAlert,
)

_rules_cache: dict[int, tuple[tuple, list]] = {}
_VERSIONED = (NotificationRule, NotificationChannel, EscalationPolicy, Snooze)


def _config_version(organization_id: int) -> tuple:
    """Count and latest change of rules, channels and policies, in one round trip.

    Counts catch deletions (a deleted channel or policy must never be written as a foreign key).
    """
    parts, params = [], []
    for model in _VERSIONED:
        table = connection.ops.quote_name(model._meta.db_table)
        parts += [f"(SELECT COUNT(*) FROM {table} WHERE organization_id = %s)",
                  f"(SELECT MAX(updated_at) FROM {table} WHERE organization_id = %s)"]
        params += [organization_id, organization_id]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return tuple(cursor.fetchone())


def _cached(organization_id: int) -> tuple[list[NotificationRule], list[Snooze]]:
    """The organisation's enabled rules (with enabled channels) and unexpired snoozes, per process.

    A storm evaluates the same few rules thousands of times; one cheap query tells whether any
    rule, channel, policy or snooze changed since (saving a rule bumps its `updated_at`, also when
    only its channels or teams change through the services or the admin), otherwise the cached
    objects are reused.
    """
    version = _config_version(organization_id)
    cached = _rules_cache.get(organization_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    rules = list(
        NotificationRule.objects.filter(organization_id=organization_id, enabled=True)
        .select_related("escalation_policy")
        .prefetch_related(
            "teams",
            Prefetch("channels", queryset=NotificationChannel.objects.filter(enabled=True),
                     to_attr="enabled_channels"),
        )
        .order_by("priority", "id")
    )
    for rule in rules:
        rule.team_ids = {t.pk for t in rule.teams.all()}
    snoozes = list(Snooze.objects.filter(organization_id=organization_id, until__gt=timezone.now()))
    _rules_cache[organization_id] = (version, (rules, snoozes))
    return rules, snoozes


def notification_config(organization_id: int) -> tuple[list[NotificationRule], list[Snooze]]:
    """Enabled rules and snoozes not yet over (callers check snoozes against their own `now`)."""
    return _cached(organization_id)


def rules_matching(*, organization_id: int, facts: Facts, now: datetime,
                   rules: list[NotificationRule] | None = None) -> list[NotificationRule]:
    """Enabled rules of the organisation that match the event, in priority order.

    Rules are few per organisation, so conditions are evaluated in Python (JSON list lookups are
    not portable between SQLite and PostgreSQL); channels come prefetched, enabled ones only.
    """
    if facts.trigger is None:
        return []
    matched = []
    for rule in _cached(organization_id)[0] if rules is None else rules:
        if rule_matches(rule, facts, now=now, team_ids=rule.team_ids):
            matched.append(rule)
            if rule.stop_after_match:
                break
    return matched


def active_snooze(*, organization_id: int, facts: Facts, rule_id: int | None, now: datetime) -> Snooze | None:
    snoozes = Snooze.objects.filter(organization_id=organization_id, starts_at__lte=now, until__gt=now)
    return next((s for s in snoozes if snooze_matches(s, facts, rule_id=rule_id, now=now)), None)


def incident_subjects_of(alert_id: int | None) -> list[NotificationSubject]:
    if alert_id is None:
        return []
    return list(NotificationSubject.objects.filter(alert_links__alert_id=alert_id, kind=SubjectKind.INCIDENT))


def incident_alerts(subject: NotificationSubject, limit: int = 10) -> tuple[list[dict], int]:
    """The incident's known alerts (newest first, capped) and how many there are."""
    links = SubjectAlert.objects.filter(subject=subject)
    count = links.count()
    alerts = (
        Alert.objects.filter(pk__in=links.values("alert_id"))
        .order_by("-starts_at")
        .values("id", "name", "summary", "severity", "status", "service")[:limit]
    )
    return [
        {
            "id": a["id"],
            "title": a["summary"] or a["name"],
            "severity": a["severity"],
            "status": a["status"],
            "service": a["service"],
        }
        for a in alerts
    ], count


def rate_limit_count(*, rule: NotificationRule, pattern_key: str, since: datetime) -> int:
    """How many subjects of this pattern the rule announced since `since` (the brief's per-pattern limit)."""
    return (
        NotificationDelivery.objects.filter(
            rule=rule, pattern_key=pattern_key, kind=DeliveryKind.NEW, created_at__gte=since
        )
        .exclude(status__in=[DeliveryStatus.RATE_LIMITED, DeliveryStatus.SUPPRESSED])
        .values("subject_id")
        .distinct()
        .count()
    )


def deliveries_for_alert(alert, *, user=None, limit: int = 50) -> QuerySet:
    """Notification history of an alert, including messages about the incidents it belongs to."""
    incidents = NotificationSubject.objects.filter(alert_links__alert=alert).values("incident_id")
    qs = NotificationDelivery.objects.filter(organization_id=alert.organization_id).filter(
        Q(alert=alert) | Q(incident_id__in=incidents)
    )
    if user is not None:
        qs = qs.visible_to(user)
    return qs.select_related("channel", "rule").order_by("-created_at", "-id")[:limit]


def deliveries_for_incident(incident, *, user=None, limit: int = 50) -> QuerySet:
    qs = NotificationDelivery.objects.filter(
        organization_id=incident.organization_id, incident_id=incident.pk
    )
    if user is not None:
        qs = qs.visible_to(user)
    return qs.select_related("channel", "rule").order_by("-created_at", "-id")[:limit]


def escalations_for_subject_keys(organization_id: int, keys: list[str]) -> QuerySet:
    return (
        Escalation.objects.filter(organization_id=organization_id, subject__key__in=keys)
        .select_related("rule")
        .order_by("-started_at")
    )


def active_escalations(subjects) -> QuerySet:
    return Escalation.objects.filter(subject__in=subjects, status=EscalationStatus.ACTIVE)
