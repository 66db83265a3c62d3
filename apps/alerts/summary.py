"""The compact alert summary every alert.* event carries, so consumers need not import our models."""
from aiops.links import absolute_reverse


def alert_url(alert) -> str:
    return absolute_reverse("alerts:detail", kwargs={"pk": alert.pk})


def alert_summary(alert) -> dict:
    """JSON-safe facts about an alert: ids, title, severity, service, labels, times and its portal URL."""
    return {
        "alert_id": alert.pk,
        "integration_id": alert.integration_id,
        "team_id": alert.team_id,
        "fingerprint": alert.fingerprint,
        "name": alert.name,
        "title": alert.title,
        "status": alert.status,
        "severity": alert.severity,
        "service": alert.service,
        "instance": alert.instance,
        "environment": alert.environment,
        "summary": alert.summary,
        "description": alert.description,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "group_key": alert.group_key,
        "generator_url": alert.generator_url,
        "starts_at": alert.starts_at.isoformat(),
        "ends_at": alert.ends_at.isoformat() if alert.ends_at else None,
        "url": alert_url(alert),
    }
