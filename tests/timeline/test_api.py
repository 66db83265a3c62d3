"""API: per-incident and per-alert timelines, the entry list and its filters, Markdown export, scoping."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aiops.roles import Role
from apps.alerts import services as alert_services
from apps.alerts.summary import alert_summary
from apps.timeline.registry import register_incident_resolver
from tests.alerts.factories import AlertFactory
from tests.tenancy.factories import TeamFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(org_a, users_a, publish, incident_event, make_incident, django_capture_on_commit_callbacks):
    """The brief's incident: a deploy, two alerts, the incident, an ack, a comment, the resolution."""
    t0 = timezone.now() - timedelta(hours=1)
    db = AlertFactory(organization=org_a, name="DatabaseConnectionTimeout", summary="DB connection timeout",
                      service="postgres", starts_at=t0 + timedelta(minutes=16))
    api = AlertFactory(organization=org_a, summary="Payment Service Error Rate High",
                       starts_at=t0 + timedelta(minutes=15))
    unrelated = AlertFactory(organization=org_a, summary="Disk almost full", service="backup")
    incident, incident_id = make_incident(org_a)

    publish("change.correlated", org=org_a, subject=api, alert_id=api.pk, service="payment-service",
            event_type="deployment", version="v2.3.1", user="developer@company.com", commit_sha="abc123",
            timestamp=t0.isoformat(), correlation_score=0.82)
    for alert in (api, db, unrelated):
        publish("alert.received", org=org_a, subject=alert, source="alertmanager", is_new=True,
                **alert_summary(alert))
    incident_event("incident.created", org_a, incident, incident_id, alert_id=db.pk, alert_count=2)
    incident_event("incident.alert_added", org_a, incident, incident_id, alert_id=api.pk, strategy="topology",
                   reason="payment-api depends on postgres")
    with django_capture_on_commit_callbacks(execute=True):
        alert_services.alert_acknowledge(alert=db, user=users_a["operator"])
    incident_event("incident.commented", org_a, incident, incident_id,
                   body="Pool exhausted, likely the deploy")
    incident_event("incident.status_changed", org_a, incident, incident_id, old_status="open",
                   new_status="resolved", status="resolved")
    return {"incident_id": incident_id, "number": getattr(incident, "number", incident_id), "db": db,
            "api": api, "unrelated": unrelated, "t0": t0}


def test_incident_timeline_holds_its_alerts_events_in_order(story, org_a, users_a, api_client_for):
    client = api_client_for(users_a["viewer"], org_a)
    response = client.get(f"/api/v1/incidents/{story['incident_id']}/timeline")
    assert response.status_code == 200, response.content
    body = response.json()
    kinds = [e["kind"] for e in body["events"]]
    assert kinds == ["change.correlated", "alert.received", "alert.received", "incident.created",
                     "incident.alert_added", "alert.acknowledged", "incident.commented",
                     "incident.status_changed"]
    times = [e["occurred_at"] for e in body["events"]]
    assert times == sorted(times)
    fired = [e for e in body["events"] if e["kind"] == "alert.received"]
    assert [e["alert_id"] for e in fired] == [story["api"].pk, story["db"].pk]  # by startsAt
    assert story["unrelated"].pk not in {e["alert_id"] for e in body["events"]}
    assert body["title"] == "Payment System Degraded" and body["status"] == "resolved"
    assert body["count"] == 8 and body["truncated"] is False
    first = body["events"][0]
    assert first["type"] == "change" and first["timestamp"] == first["occurred_at"]
    assert first["title"] == first["summary"] == "Change linked to Payment Service Error Rate High: " \
                                                  "payment-service deployment v2.3.1"
    assert first["details"] == ("Service: payment-service · By: developer@company.com · Commit: abc123"
                                " · Score: 0.82")
    assert body["events"][6]["type"] == "comment"


def test_incident_timeline_filters(story, org_a, users_a, api_client_for):
    client = api_client_for(users_a["viewer"], org_a)
    url = f"/api/v1/incidents/{story['incident_id']}/timeline"
    only_alerts = client.get(url, {"type": "alert"}).json()["events"]
    assert {e["kind"] for e in only_alerts} == {"alert.received", "alert.acknowledged"}
    assert client.get(url, {"kind": "invalid.kind"}).status_code == 400


def test_other_organisations_get_404(story, org_b, users_b, users_a, org_a, api_client_for):
    outsider = api_client_for(users_b["owner"], org_b)
    incident_id, db = story["incident_id"], story["db"]
    for url in (f"/api/v1/incidents/{incident_id}/timeline", f"/api/v1/incidents/{incident_id}/timeline.md",
                f"/api/v1/alerts/{db.pk}/timeline", f"/api/v1/alerts/{db.pk}/timeline.md"):
        response = outsider.get(url)
        assert response.status_code == 404, (url, response.content)
        assert "Payment" not in response.content.decode()
    # Naming org A while being a member of B only is refused outright.
    assert api_client_for(users_b["owner"]).get(f"/api/v1/incidents/{incident_id}/timeline",
                                                HTTP_X_ORGANIZATION=org_a.slug).status_code == 403
    missing = api_client_for(users_a["viewer"], org_a).get("/api/v1/incidents/987654/timeline")
    assert missing.status_code == 404


def test_alert_timeline(story, org_a, users_a, api_client_for):
    client = api_client_for(users_a["viewer"], org_a)
    body = client.get(f"/api/v1/alerts/{story['db'].pk}/timeline/").json()
    assert [e["kind"] for e in body["events"]] == ["alert.received", "incident.created", "alert.acknowledged"]
    assert body["title"] == "DB connection timeout"
    assert body["events"][2]["actor_label"] == "a-operator"


def test_removed_alert_leaves_the_incident_timeline(story, org_a, users_a, api_client_for, incident_event,
                                                    publish):
    api = story["api"]
    incident_event("incident.alert_removed", org_a, None, story["incident_id"], alert_id=api.pk)
    publish("alert.resolved", org=org_a, subject=api, **alert_summary(api))
    client = api_client_for(users_a["viewer"], org_a)
    events = client.get(f"/api/v1/incidents/{story['incident_id']}/timeline").json()["events"]
    assert "incident.alert_removed" in [e["kind"] for e in events]
    assert not [e for e in events if e["kind"].startswith("alert.") and e["alert_id"] == api.pk]


def test_a_registered_resolver_decides_membership(story, org_a, users_a, api_client_for):
    calls = []

    def resolver(organization_id, incident_id):
        calls.append((organization_id, incident_id))
        return [story["unrelated"].pk]

    register_incident_resolver(resolver)
    try:
        client = api_client_for(users_a["viewer"], org_a)
        events = client.get(f"/api/v1/incidents/{story['incident_id']}/timeline").json()["events"]
    finally:
        register_incident_resolver(None)
    assert calls and calls[0] == (org_a.pk, story["incident_id"])
    alert_ids = {e["alert_id"] for e in events if e["kind"].startswith("alert.")}
    assert alert_ids == {story["unrelated"].pk}


def test_entry_list_filters_and_is_read_only(story, org_a, users_a, api_client_for):
    client = api_client_for(users_a["owner"], org_a)
    rows = client.get("/api/v1/timeline-entries/", {"incident": story["incident_id"]}).json()["results"]
    assert len(rows) == 8
    by_alert = client.get("/api/v1/timeline-entries/", {"alert": story["unrelated"].pk}).json()["results"]
    assert [r["kind"] for r in by_alert] == ["alert.received"]
    kinds = client.get("/api/v1/timeline-entries/", {"kind": ["incident.created", "incident.commented"]})
    assert sorted(r["kind"] for r in kinds.json()["results"]) == ["incident.commented", "incident.created"]
    since = (timezone.now() - timedelta(minutes=30)).isoformat()
    recent = client.get("/api/v1/timeline-entries/", {"occurred_after": since}).json()["results"]
    everything = client.get("/api/v1/timeline-entries/").json()["results"]
    assert "change.correlated" in {r["kind"] for r in everything}
    assert all(r["occurred_at"] >= since for r in recent) and len(recent) < 11
    bad = client.get("/api/v1/timeline-entries/", {"occurred_after": "yesterday"})
    assert bad.status_code == 400 and "occurred_after" in bad.json()["error"]["fields"]
    assert client.get("/api/v1/timeline-entries/", {"incident": "x"}).status_code == 400

    detail = f"/api/v1/timeline-entries/{rows[0]['id']}/"
    assert client.post("/api/v1/timeline-entries/", {"kind": "x"}, format="json").status_code == 405
    assert client.patch(detail, {"summary": "x"}, format="json").status_code == 405
    assert client.delete(detail).status_code == 405


def test_team_entries_are_hidden_from_other_teams(org_a, publish, incident_event, make_incident,
                                                  api_client_for):
    red, blue = TeamFactory(organization=org_a), TeamFactory(organization=org_a)
    blue_viewer = member(org_a, Role.VIEWER, teams=[blue])
    red_alert = AlertFactory(organization=org_a, team=red)
    publish("alert.received", org=org_a, subject=red_alert, **alert_summary(red_alert))
    incident, incident_id = make_incident(org_a)  # organisation-wide
    incident_event("incident.created", org_a, incident, incident_id, alert_id=red_alert.pk, team_id=None)

    client = api_client_for(blue_viewer, org_a)
    events = client.get(f"/api/v1/incidents/{incident_id}/timeline").json()["events"]
    assert [e["kind"] for e in events] == ["incident.created"]
    assert client.get(f"/api/v1/alerts/{red_alert.pk}/timeline").status_code == 404


def test_markdown_export(story, org_a, users_a, api_client_for):
    client = api_client_for(users_a["viewer"], org_a)
    response = client.get(f"/api/v1/incidents/{story['incident_id']}/timeline.md",
                          HTTP_ACCEPT="text/markdown")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    assert f'filename="incident-{story["incident_id"]}-timeline.md"' in response["Content-Disposition"]
    text = response.content.decode()
    assert text.startswith(f"# Incident #{story['number']}: Payment System Degraded\n")
    assert "- **Status:** resolved" in text
    assert "## Key moments" in text and "- **First alert fired:**" in text and "- **Resolved:**" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == 8
    assert rows[0].startswith("| 1 |") and "`change.correlated`" in rows[0] and "| 0:00:00 |" in rows[0]
    assert "Comment on incident" in rows[6] and "| a-operator |" in rows[5]
    assert "Pool exhausted, likely the deploy" in rows[6]
    assert "Unrelated" not in text and "Disk almost full" not in text


def test_an_incident_opened_with_several_alerts_holds_them_all(org_a, users_a, publish, incident_event,
                                                                make_incident, api_client_for):
    first, second = AlertFactory(organization=org_a), AlertFactory(organization=org_a)
    for alert in (first, second):
        publish("alert.received", org=org_a, subject=alert, **alert_summary(alert))
    incident, incident_id = make_incident(org_a)
    incident_event("incident.created", org_a, incident, incident_id, alert_id=first.pk,
                   alert_ids=[first.pk, second.pk], strategy="manual")
    client = api_client_for(users_a["viewer"], org_a)
    events = client.get(f"/api/v1/incidents/{incident_id}/timeline").json()["events"]
    assert {e["alert_id"] for e in events if e["kind"] == "alert.received"} == {first.pk, second.pk}


def test_timeline_queries_do_not_grow_with_entries(org_a, users_a, publish, incident_event, make_incident,
                                                   api_client_for, django_assert_max_num_queries):
    """A constant number of queries however long the timeline (no per-entry lookups)."""
    incident, incident_id = make_incident(org_a)
    client = api_client_for(users_a["viewer"], org_a)
    url = f"/api/v1/incidents/{incident_id}/timeline"

    def grow(count):
        for _ in range(count):
            alert = AlertFactory(organization=org_a)
            publish("alert.received", org=org_a, subject=alert, **alert_summary(alert))
            incident_event("incident.alert_added", org_a, incident, incident_id, alert_id=alert.pk)

    grow(2)
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url).json()["events"]) == 4
    grow(20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(url).json()["events"]) == 44
