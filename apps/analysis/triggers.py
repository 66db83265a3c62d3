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
from collections import defaultdict
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


def _recent_sources(organization_id: int, signatures: set[str], window_start) -> dict[str, Analysis]:
    """Per signature, the latest analysis actually run inside the window (reused rows excluded)."""
    rows = (
        Analysis.objects.for_org(organization_id)
        .filter(
            signature__in=signatures,
            subject_type=SubjectType.ALERT,
            created_at__gte=window_start,
            reused_from__isnull=True,
            status__in=LIVE,
        )
        .order_by("-created_at")
    )
    latest: dict[str, Analysis] = {}
    for row in rows if signatures else ():
        latest.setdefault(row.signature, row)
    return latest


def alert_analysis_auto(*, alert: Alert) -> Analysis | None:
    """Analyse a newly received alert unless the policy skips it or a twin was analysed recently."""
    return alerts_analysis_auto(organization_id=alert.organization_id, alerts=[alert]).get(alert.pk)


def alerts_analysis_auto(*, organization_id: int, alerts: list[Alert]) -> dict[int, Analysis]:
    """Analyse a batch of newly received alerts of one organisation: {alert id: its new row}.

    Storm de-duplication as one at a time, in order: the first alert of a signature inside the
    window is analysed (unless an analysis of that signature already ran), every later one reuses
    it. One policy lock, one query for the alerts already analysed and one for the recent sources,
    one insert of the reused rows. Alerts that already have an analysis (a redelivered batch,
    or someone asked) are skipped, so a retried batch adds nothing. An alert whose request fails
    does not cost the others theirs: they are stored, then its error is raised.
    """
    problems: list[Exception] = []
    with transaction.atomic():
        created = _alerts_analysis_auto(organization_id, alerts, problems)
    if problems:
        raise problems[0]
    return created


def _alerts_analysis_auto(organization_id: int, alerts: list[Alert], problems: list) -> dict[int, Analysis]:
    policy = _lock_policy(organization_id)
    if not policy.auto_analyse:
        return {}
    alerts = [a for a in alerts if a.severity in (policy.severities or [])]
    done = set(Analysis.objects.filter(alert__in=alerts).values_list("alert_id", flat=True))
    alerts = list({a.pk: a for a in alerts if a.pk not in done}.values())  # once each, in order
    window_start = timezone.now() - timedelta(minutes=policy.dedup_window_minutes)
    sources = _recent_sources(organization_id, {alert_signature(a) for a in alerts}, window_start)
    created, reusing = {}, []
    for alert in alerts:
        signature = alert_signature(alert)
        if signature in sources:
            reusing.append((Subject.for_alert(alert), sources[signature]))
            continue
        try:
            with transaction.atomic():
                created[alert.pk] = sources[signature] = services.analysis_request(
                    subject=Subject.for_alert(alert), trigger=Trigger.AUTO
                )
        except Exception as exc:  # the next alert of this signature tries again, as one by one
            logger.exception("automatic analysis could not be requested", extra={"alert": alert.pk})
            problems.append(exc)
    for row in services.analyses_reuse(pairs=reusing):
        created[row.alert_id] = row
    return created


def on_alerts_received(batch: list[dict]) -> dict[int, Analysis]:
    """`alert.received` events (one transaction's) → the analyses they start or reuse, by alert id."""
    wanted: dict[int, list[int]] = defaultdict(list)
    created, problems = {}, []
    for event in batch:
        data = event.get("data") or {}
        if data.get("is_new") is False:
            continue  # a re-sent notification of an episode already analysed
        try:
            if data.get("alert_id"):
                wanted[event["organization_id"]].append(int(data["alert_id"]))
        except (KeyError, TypeError, ValueError) as exc:  # a malformed event costs only itself
            logger.exception("alert.received event not usable for analysis", extra={"event": event.get("id")})
            problems.append(exc)
    for organization_id, alert_ids in wanted.items():
        found = Alert.objects.for_org(organization_id).filter(pk__in=alert_ids, status=AlertStatus.FIRING)
        by_id = {alert.pk: alert for alert in found}
        alerts = [by_id[pk] for pk in dict.fromkeys(alert_ids) if pk in by_id]
        try:
            created.update(alerts_analysis_auto(organization_id=organization_id, alerts=alerts))
        except Exception as exc:  # another organisation's alerts are still analysed
            problems.append(exc)
    if problems:
        raise problems[0]
    return created


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


def on_incident_events(batch: list[dict]) -> list[Analysis]:
    """`incident.created` / `incident.alert_added` events (one transaction's) → the incident analyses.

    An incident opened with its storm arrives as one `incident.created` and many `alert_added`
    events: its events are taken in order and the first that starts an analysis ends its turn
    (the later ones would find that analysis fresh and do nothing). A failing incident does not
    cost the others theirs; its error is raised once they are done.
    """
    per_incident: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for event in batch:
        data = event.get("data") or {}
        incident_id = data.get("incident_id") or (event.get("subject") or {}).get("id")
        per_incident[(event["organization_id"], incident_id)].append(event)
    started, problems = [], []
    for (organization_id, incident_id), its_events in per_incident.items():
        try:
            analysis = _incident_events(organization_id, incident_id, its_events)
        except Exception as exc:
            logger.exception("automatic incident analysis failed", extra={"incident": incident_id})
            problems.append(exc)
            continue
        if analysis is not None:
            started.append(analysis)
    if problems:
        raise problems[0]
    return started


def _incident_events(organization_id: int, incident_id, its_events: list[dict]) -> Analysis | None:
    incident = incident_support.get_incident(organization_id=organization_id, pk=incident_id)
    if incident is None:
        return None
    for event in its_events:
        data = event.get("data") or {}
        new_alert = data.get("alert_id") if event["name"] == "incident.alert_added" else None
        analysis = incident_analysis_auto(incident=incident, new_alert_id=new_alert)
        if analysis is not None:
            return analysis
    return None
