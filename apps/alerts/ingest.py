"""Alert ingestion: integrations, webhook payload validation and the upsert of alerts."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from aiops import events, webhooks

from .choices import ActionSource, AlertEventKind, AlertStatus, Severity
from .models import DEFAULT_SEVERITY_MAP, Alert, AlertEvent, Integration, RawPayload
from .payloads import IncomingAlert
from .summary import alert_summary


def token_hash(token: str) -> str:
    return webhooks.token_hash(token)


@transaction.atomic
def integration_create(*, organization, name: str, created_by=None, **fields) -> Integration:
    """Create an integration with a fresh secret URL token."""
    token = webhooks.issue_token()
    return Integration.objects.create(
        organization=organization, name=name, created_by=created_by, token=token, token_hash=token_hash(token), **fields
    )


@transaction.atomic
def integration_rotate_token(*, integration: Integration) -> Integration:
    """Issue a new URL token; the old URL stops working at once."""
    token = webhooks.issue_token()
    integration.token = token
    integration.token_hash = token_hash(token)
    integration.save(update_fields=["token", "token_hash", "updated_at"])
    return integration


@dataclass
class IngestResult:
    received: int = 0
    created: int = 0
    resolved: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {"received": self.received, "created": self.created, "resolved": self.resolved,
                "updated": self.updated, "unchanged": self.unchanged}


def _first(labels: dict, keys: list[str]) -> str:
    for key in keys:
        value = labels.get(key)
        if value:
            return value[:255]
    return ""


def normalise_severity(integration: Integration, labels: dict) -> str:
    raw = (labels.get(integration.severity_label) or "").strip().lower()
    mapping = integration.severity_mapping or DEFAULT_SEVERITY_MAP
    value = mapping.get(raw) or DEFAULT_SEVERITY_MAP.get(raw)
    return value if value in Severity.values else integration.default_severity


class _Routing:
    """Per-request lookups: label keys and the organisation's team slugs (one query)."""

    def __init__(self, integration: Integration):
        self.integration = integration
        self.service_keys = Integration.keys(integration.service_labels)
        self.instance_keys = Integration.keys(integration.instance_labels)
        self.environment_keys = Integration.keys(integration.environment_labels)
        self.team_keys = Integration.keys(integration.team_labels)
        self._teams = None

    def team_id(self, labels: dict) -> int | None:
        slug = _first(labels, self.team_keys)
        if slug:
            if self._teams is None:
                from apps.tenancy.models import Team

                self._teams = dict(Team.objects.filter(organization_id=self.integration.organization_id)
                                   .values_list("slug", "id"))
            if slug in self._teams:
                return self._teams[slug]
        return self.integration.team_id

    def apply(self, alert: Alert, incoming: IncomingAlert) -> None:
        labels = incoming.labels
        alert.labels = labels
        alert.annotations = incoming.annotations
        alert.name = labels.get("alertname", "")[:255]
        alert.severity = normalise_severity(self.integration, labels)
        alert.service = _first(labels, self.service_keys)
        alert.instance = _first(labels, self.instance_keys)
        alert.environment = _first(labels, self.environment_keys)[:100]
        alert.team_id = self.team_id(labels)
        alert.summary = incoming.annotations.get("summary", "") or incoming.annotations.get("message", "")
        alert.description = incoming.annotations.get("description", "")
        alert.generator_url = incoming.generator_url


def ingest_alerts(*, integration: Integration, alerts: list[IncomingAlert], group: dict, raw_body,
                  source_ip: str | None = None, received_at: datetime | None = None) -> IngestResult:
    """Upsert a notification's alerts by (integration, fingerprint, startsAt) in one transaction.

    Re-sent notifications change nothing but counters; a firing episode moves to resolved once;
    a late "firing" for an episode already resolved does not re-open it. Events are published
    after commit: `alert.received` for each new firing episode, `alert.resolved` for each episode
    that resolved. Concurrent requests carrying the same fingerprints are serialised (see
    `_lock_fingerprints`), so Alertmanager HA pairs sending the same batch never create an alert
    twice, while unrelated batches of one integration proceed in parallel.
    """
    now = received_at or timezone.now()
    result = IngestResult(received=len(alerts))
    with transaction.atomic():
        fingerprints = {a.fingerprint for a in alerts}
        _lock_fingerprints(integration, fingerprints)
        routing = _Routing(integration)
        _resolve_missing_start(integration, alerts, now)
        existing = {
            (a.fingerprint, a.starts_at): a
            for a in Alert.objects.filter(integration=integration, fingerprint__in=fingerprints)
        }
        to_create: list[Alert] = []
        to_update: dict[int, Alert] = {}
        history: list[AlertEvent] = []
        resolved_now: list[Alert] = []
        seen: set = set()
        for incoming in alerts:
            key = (incoming.fingerprint, incoming.starts_at)
            if key in seen:  # the same alert twice in one body: the last word counts once
                continue
            seen.add(key)
            alert = existing.get(key)
            if alert is None:
                alert = _new_alert(integration, incoming, group, now, routing)
                to_create.append(alert)
                continue
            _merge(alert, incoming, now, routing, history, resolved_now, result)
            to_update[alert.pk] = alert
        created = Alert.objects.bulk_create(to_create, batch_size=500)
        for alert in created:
            history.append(AlertEvent(
                organization_id=alert.organization_id, alert=alert, source=ActionSource.ALERTMANAGER,
                kind=AlertEventKind.FIRED if alert.status == AlertStatus.FIRING else AlertEventKind.RESOLVED,
                at=alert.starts_at if alert.status == AlertStatus.FIRING else (alert.ends_at or now),
            ))
        if to_update:
            Alert.objects.bulk_update(list(to_update.values()), UPDATE_FIELDS, batch_size=500)
        AlertEvent.objects.bulk_create(history, batch_size=500)
        RawPayload.objects.create(organization_id=integration.organization_id, integration=integration,
                                  received_at=now, body=raw_body, alert_count=len(alerts), source_ip=source_ip)
        result.created = len(created)
        # One outbox statement for the whole notification's events.
        events.publish_events([
            events.build_event("alert.received" if alert.status == AlertStatus.FIRING else "alert.resolved",
                               org=alert.organization_id, subject=alert, source=ActionSource.ALERTMANAGER,
                               is_new=True, **alert_summary(alert))
            for alert in created
        ] + [
            events.build_event("alert.resolved", org=alert.organization_id, subject=alert,
                               source=ActionSource.ALERTMANAGER, is_new=False, **alert_summary(alert))
            for alert in resolved_now
        ])
    # Outside the transaction and at most every few seconds: a row lock held per request on the
    # integration would serialise every webhook of that integration.
    Integration.objects.filter(pk=integration.pk).filter(
        Q(last_received_at__isnull=True) | Q(last_received_at__lt=now - LAST_RECEIVED_RESOLUTION)
    ).update(last_received_at=now)
    return result


LAST_RECEIVED_RESOLUTION = timedelta(seconds=5)


def _lock_fingerprints(integration: Integration, fingerprints: set[str]) -> None:
    """Serialise concurrent requests that carry the same alerts, and only those.

    Alertmanager HA pairs post the same batch at once; without this both could insert one alert.
    PostgreSQL: transaction-scoped advisory locks per (integration, fingerprint), taken in one
    sorted statement so two requests never deadlock. SQLite already runs one writer at a time
    (IMMEDIATE transactions).
    """
    if connection.vendor != "postgresql" or not fingerprints:
        return
    keys = sorted({
        int.from_bytes(hashlib.blake2b(f"{integration.pk}:{fp}".encode(), digest_size=8).digest(), "big", signed=True)
        for fp in fingerprints
    })
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k ORDER BY k", [keys])


UPDATE_FIELDS = ["status", "ends_at", "resolved_at", "labels", "annotations", "summary", "description",
                 "generator_url", "last_received_at", "receive_count", "updated_at"]


def _new_alert(integration, incoming: IncomingAlert, group: dict, now, routing: _Routing) -> Alert:
    resolved = incoming.status == "resolved"
    alert = Alert(
        organization_id=integration.organization_id, integration=integration, fingerprint=incoming.fingerprint,
        starts_at=incoming.starts_at, ends_at=incoming.ends_at if resolved else None,
        status=AlertStatus.RESOLVED if resolved else AlertStatus.FIRING,
        resolved_at=now if resolved else None, group_key=group.get("group_key", "")[:1000],
        last_received_at=now, receive_count=1, created_at=now, updated_at=now,
    )
    routing.apply(alert, incoming)
    return alert


def _merge(alert: Alert, incoming: IncomingAlert, now, routing, history, resolved_now, result) -> None:
    alert.last_received_at = now
    alert.receive_count += 1
    alert.updated_at = now
    if alert.status == AlertStatus.FIRING and incoming.status == "resolved":
        alert.status = AlertStatus.RESOLVED
        alert.ends_at = incoming.ends_at or now
        alert.resolved_at = now
        history.append(AlertEvent(organization_id=alert.organization_id, alert=alert, kind=AlertEventKind.RESOLVED,
                                  source=ActionSource.ALERTMANAGER, at=alert.ends_at))
        resolved_now.append(alert)
        result.resolved += 1
    elif alert.status == AlertStatus.FIRING and incoming.annotations != alert.annotations:
        changed = sorted(k for k in set(incoming.annotations) | set(alert.annotations)
                         if incoming.annotations.get(k) != alert.annotations.get(k))
        alert.annotations = incoming.annotations
        alert.summary = incoming.annotations.get("summary", "") or incoming.annotations.get("message", "")
        alert.description = incoming.annotations.get("description", "")
        history.append(AlertEvent(organization_id=alert.organization_id, alert=alert, kind=AlertEventKind.UPDATED,
                                  source=ActionSource.ALERTMANAGER, at=now, data={"changed": changed}))
        result.updated += 1
    else:
        result.unchanged += 1


def _resolve_missing_start(integration, alerts: list[IncomingAlert], now) -> None:
    """Generic sources may omit the start time: continue the open episode, or start one now."""
    missing = [a for a in alerts if a.starts_at is None]
    if not missing:
        return
    open_starts = dict(
        Alert.objects.filter(integration=integration, status=AlertStatus.FIRING,
                             fingerprint__in={a.fingerprint for a in missing})
        .order_by("fingerprint", "starts_at").values_list("fingerprint", "starts_at")
    )
    for alert in missing:
        alert.starts_at = open_starts.get(alert.fingerprint, now)
