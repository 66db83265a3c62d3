"""What people do to incidents: manual grouping, merge, lifecycle with re-open rules, comments, assignment."""

import pytest

from apps.incidents import services
from apps.incidents.models import Incident, IncidentAlert, IncidentComment
from apps.incidents.services import IncidentActionError
from tests.tenancy.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def grouped(org_a, make_alert, correlate, topology):
    topology({"web": ["api"], "api": ["db"]})
    alerts = [
        make_alert("web", at=0),
        make_alert("api", at=5, severity="critical"),
        make_alert("db", at=9, severity="critical", labels={"tier": "data"}),
    ]
    correlate(*alerts)
    return Incident.objects.get(), alerts


def test_manual_create_with_alerts_and_events(
    org_a, users_a, make_alert, published, django_capture_on_commit_callbacks
):
    a, b = make_alert("api", severity="critical"), make_alert("db", at=3)
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.incident_create(
            organization=org_a, user=users_a["operator"], title="Checkout down", alerts=[a, b]
        )
    assert incident.number == 1 and incident.alert_count == 2 and incident.severity == "critical"
    assert incident.correlation_strategy == "manual" and incident.created_by == users_a["operator"]
    link = IncidentAlert.objects.get(alert=a)
    assert not link.is_auto and link.added_by == users_a["operator"] and link.strategy == "manual"
    [created] = [e for e in published if e["name"] == "incident.created"]
    assert created["data"]["alert_ids"] == [a.pk, b.pk] and created["actor_id"] == users_a["operator"].pk
    assert created["data"]["url"].endswith(f"/incidents/{incident.pk}/")


def test_add_move_and_remove(grouped, users_a, make_alert, correlate, published, django_capture_on_commit_callbacks):
    incident, alerts = grouped
    loose = make_alert("unrelated", at=3600)
    correlate(loose)
    other = IncidentAlert.objects.get(alert=loose).incident
    with pytest.raises(IncidentActionError, match="is in incident #2"):
        services.incident_add_alert(incident=incident, alert=loose, user=users_a["operator"])
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_add_alert(incident=incident, alert=loose, user=users_a["operator"], move=True)
    incident.refresh_from_db()
    other.refresh_from_db()
    assert incident.alert_count == 4 and other.alert_count == 0
    names = [e["name"] for e in published]
    assert names.count("incident.alert_removed") == 1 and names.count("incident.alert_added") == 1
    with pytest.raises(IncidentActionError, match="already in this incident"):
        services.incident_add_alert(incident=incident, alert=loose, user=users_a["operator"])
    services.incident_remove_alert(incident=incident, alert=alerts[2], user=users_a["operator"])
    incident.refresh_from_db()
    assert incident.alert_count == 3 and incident.root_cause_service_name == "api"
    assert "db" not in incident.affected_services
    assert not IncidentAlert.objects.filter(alert=alerts[2]).exists()
    with pytest.raises(IncidentActionError, match="not in this incident"):
        services.incident_remove_alert(incident=incident, alert=alerts[2], user=users_a["operator"])


def test_merge(grouped, users_a, make_alert, correlate):
    target, _ = grouped
    correlate(make_alert("elsewhere", at=7200))
    source = Incident.objects.exclude(pk=target.pk).get()
    merged = services.incident_merge(target=target, source=source, user=users_a["operator"])
    source.refresh_from_db()
    assert merged.alert_count == 4 and source.status == "resolved" and source.merged_into == merged
    assert IncidentAlert.objects.get(alert__service="elsewhere").strategy == "merge"
    with pytest.raises(IncidentActionError, match="already merged"):
        services.incident_merge(target=target, source=source, user=users_a["operator"])
    with pytest.raises(IncidentActionError, match="into itself"):
        services.incident_merge(target=target, source=target, user=users_a["operator"])
    with pytest.raises(IncidentActionError, match="re-open that one"):
        services.incident_set_status(incident=source, status="open", user=users_a["operator"])


def test_lifecycle_transitions_and_reopen(grouped, users_a, published, django_capture_on_commit_callbacks):
    incident, _ = grouped
    op = users_a["operator"]
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_set_status(incident=incident, status="investigating", user=op, note="on it")
        services.incident_set_status(incident=incident, status="identified", user=op)
        services.incident_set_status(incident=incident, status="mitigated", user=op)
        services.incident_set_status(incident=incident, status="resolved", user=op)
    incident.refresh_from_db()
    assert incident.acknowledged_at and incident.identified_at and incident.mitigated_at and incident.resolved_at
    changes = [
        (e["data"]["old_status"], e["data"]["new_status"]) for e in published if e["name"] == "incident.status_changed"
    ]
    assert changes == [
        ("open", "investigating"),
        ("investigating", "identified"),
        ("identified", "mitigated"),
        ("mitigated", "resolved"),
    ]
    assert published[0]["data"]["note"] == "on it"
    with pytest.raises(IncidentActionError, match="cannot become Mitigated"):
        services.incident_set_status(incident=incident, status="mitigated", user=op)
    with pytest.raises(IncidentActionError, match="already Resolved"):
        services.incident_set_status(incident=incident, status="resolved", user=op)
    services.incident_set_status(incident=incident, status="investigating", user=op)
    incident.refresh_from_db()
    assert incident.status == "investigating" and incident.resolved_at is None
    with pytest.raises(IncidentActionError, match="cannot become Open"):
        services.incident_set_status(incident=incident, status="open", user=op)


def test_comment_and_assign(grouped, users_a, users_b, published, django_capture_on_commit_callbacks):
    incident, _ = grouped
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_comment(incident=incident, user=users_a["operator"], body="  pool exhausted  ")
    assert IncidentComment.objects.get().body == "pool exhausted"
    [event] = [e for e in published if e["name"] == "incident.commented"]
    assert event["data"]["comment"] == "pool exhausted" and event["data"]["title"] == incident.title
    with pytest.raises(IncidentActionError, match="empty"):
        services.incident_comment(incident=incident, user=users_a["operator"], body="   ")
    services.incident_assign(incident=incident, user=users_a["operator"], assignee=users_a["viewer"])
    services.incident_assign(incident=incident, user=users_a["operator"], assignee=users_a["admin"], role="commander")
    incident.refresh_from_db()
    assert incident.assignee == users_a["viewer"] and incident.commander == users_a["admin"]
    with pytest.raises(IncidentActionError, match="not a member"):
        services.incident_assign(incident=incident, user=users_a["operator"], assignee=users_b["viewer"])
    with pytest.raises(IncidentActionError, match="not a member"):
        services.incident_assign(incident=incident, user=users_a["operator"], assignee=UserFactory())


def test_update_postmortem(grouped, users_a):
    incident, _ = grouped
    updated = services.incident_update(
        incident=incident,
        user=users_a["operator"],
        impact="Checkout failed",
        action_items=["Add pool alerts", {"title": "Raise limit", "done": True}],
    )
    assert updated.action_items[1] == {"title": "Raise limit", "owner": "", "due": "", "done": True}
    assert updated.title_is_auto
    services.incident_update(incident=incident, user=users_a["operator"], title="DB pool exhausted")
    incident.refresh_from_db()
    assert incident.title == "DB pool exhausted" and not incident.title_is_auto
    with pytest.raises(IncidentActionError, match="cannot be edited"):
        services.incident_update(incident=incident, user=users_a["operator"], status="resolved")
    with pytest.raises(IncidentActionError, match="title"):
        services.incident_update(incident=incident, user=users_a["operator"], action_items=[{"owner": "x"}])
