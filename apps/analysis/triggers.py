"""When analyses run by themselves: on `alert.received`, `incident.created` and `incident.alert_added`.

An alert storm must not cost one LLM call per alert. Alerts are therefore de-duplicated by their
signature (alert name + service): inside the policy's window, the first alert of a signature is
analysed and every later one reuses that analysis (a REUSED row pointing at it, no provider call).
The check-and-insert runs under a row lock on the organisation's policy, so concurrent workers
handling one storm still make one call per signature. An incident is analysed once when it opens,
and again only when an alert of a signature it has not seen joins it after the window.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.alerts.choices import AlertStatus
from apps.alerts.models import Alert

from . import conf, incident_support, services
from .choices import AnalysisStatus, SubjectType, Trigger
from .models import Analysis, AnalysisPolicy
from .subjects import Subject, alert_signature

logger = logging.getLogger(__name__)

LIVE = (AnalysisStatus.PENDING, AnalysisStatus.RUNNING, AnalysisStatus.OK)


def _lock_policy(organization_id: int) -> AnalysisPolicy:
    services.policy_get(organization_id=organization_id)  # make sure the row exists before locking it
    return AnalysisPolicy.objects.select_for_update().get(organization_id=organization_id)


def _recent_source(organization_id: int, signature: str, window_start) -> Analysis | None:
    """The latest analysis actually run for this signature inside the window (reused rows excluded)."""
    return (
        Analysis.objects.for_org(organization_id)
        .filter(
            signature=signature,
            subject_type=SubjectType.ALERT,
            created_at__gte=window_start,
            reused_from__isnull=True,
            status__in=LIVE,
        )
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def alert_analysis_auto(*, alert: Alert) -> Analysis | None:
    """Analyse a newly received alert unless the policy skips it or a twin was analysed recently."""
    policy = _lock_policy(alert.organization_id)
    if not policy.auto_analyse or alert.severity not in (policy.severities or []):
        return None
    if Analysis.objects.filter(alert=alert).exists():
        return None  # a redelivered event, or someone already asked
    subject = Subject.for_alert(alert)
    window_start = timezone.now() - timedelta(minutes=policy.dedup_window_minutes)
    source = _recent_source(alert.organization_id, alert_signature(alert), window_start)
    if source is not None:
        return services.analysis_reuse(subject=subject, source=source)
    return services.analysis_request(subject=subject, trigger=Trigger.AUTO)


def on_alert_received(event: dict) -> Analysis | None:
    data = event.get("data") or {}
    if data.get("is_new") is False:
        return None  # a re-sent notification of an episode already analysed
    alert = Alert.objects.for_org(event["organization_id"]).filter(pk=data.get("alert_id")).first()
    if alert is None or alert.status != AlertStatus.FIRING:
        return None
    return alert_analysis_auto(alert=alert)


@transaction.atomic
def incident_analysis_auto(*, incident, new_alert_id: int | None = None) -> Analysis | None:
    """Analyse an incident when it opens; re-analyse when a new kind of alert joins it after the window."""
    policy = _lock_policy(incident.organization_id)
    if not policy.analyse_incidents:
        return None
    previous = (
        Analysis.objects.filter(subject_type=SubjectType.INCIDENT, incident_id=incident.pk)
        .order_by("-created_at")
        .first()
    )
    if previous is not None:
        if new_alert_id is None:
            return None  # incident.created delivered twice
        window_start = timezone.now() - timedelta(minutes=policy.dedup_window_minutes)
        if previous.created_at >= window_start or previous.status in (
            AnalysisStatus.PENDING,
            AnalysisStatus.RUNNING,
        ):
            return None
        alerts = incident_support.incident_alerts(incident, limit=500)
        new = next((a for a in alerts if a.pk == new_alert_id), None)
        if new is None or any(alert_signature(a) == alert_signature(new) for a in alerts if a.pk != new.pk):
            return None  # nothing new about the incident's kind of failure
    # Wait a little before the first analysis so the storm that opened the incident is in it.
    delay = None if previous is not None else conf.incident_delay()
    return services.analysis_request(
        subject=Subject.for_incident(incident), trigger=Trigger.INCIDENT, countdown=delay
    )


def on_incident_event(event: dict) -> Analysis | None:
    data = event.get("data") or {}
    incident_id = data.get("incident_id") or (event.get("subject") or {}).get("id")
    incident = incident_support.get_incident(organization_id=event["organization_id"], pk=incident_id)
    if incident is None:
        return None
    new_alert = data.get("alert_id") if event["name"] == "incident.alert_added" else None
    return incident_analysis_auto(incident=incident, new_alert_id=new_alert)
