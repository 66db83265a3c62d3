"""The compact incident summary every incident.* event carries (consumers never import our models)."""

from aiops.links import absolute_reverse


def incident_url(incident) -> str:
    return absolute_reverse("incidents:detail", kwargs={"pk": incident.pk})


def incident_summary(incident) -> dict:
    return {
        "incident_id": incident.pk,
        "number": incident.number,
        "title": incident.title,
        "status": incident.status,
        "severity": incident.severity,
        "team_id": incident.team_id,
        "alert_count": incident.alert_count,
        "firing_count": incident.firing_count,
        "affected_services": list(incident.affected_services),
        "root_cause_service": incident.root_cause_service_name,
        "root_cause_alert_id": incident.root_cause_alert_id,
        "started_at": incident.started_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "url": incident_url(incident),
    }


def alert_facts(alert) -> dict:
    """The alert an incident.alert_added/alert_removed event is about."""
    return {
        "alert_id": alert.pk,
        "alert_title": alert.title,
        "alert_service": alert.service,
        "alert_severity": alert.severity,
        "alert_starts_at": alert.starts_at.isoformat(),
    }
