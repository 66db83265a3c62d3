"""Portal pages: the incident list, the incident page (Incident View Example) and its htmx actions."""

import pytest
from django.urls import reverse

from aiops.panels import register_panel
from apps.incidents.models import Incident, IncidentComment
from tests.incidents.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(org_a, make_alert, correlate, topology):
    topology({"web": ["api"], "api": ["database"]})
    correlate(
        make_alert("web", "HealthCheckFailed", at=8),
        make_alert("api", "Timeout", at=3),
        make_alert("database", "ConnectionRefused", at=0, severity="critical", instance="db-primary"),
        make_alert("api", "Timeout", at=4, instance="api-2:80"),
    )
    return Incident.objects.get()


def test_list_shows_active_incidents_only_by_default(incident, org_a, org_b, users_a, client):
    IncidentFactory(organization=org_a, title="Old thing", status="resolved")
    IncidentFactory(organization=org_b, title="Other org")
    client.force_login(users_a["viewer"])
    html = client.get(reverse("incidents:list")).content.decode()
    assert incident.title in html and "Old thing" not in html and "Other org" not in html
    assert "Old thing" in client.get(reverse("incidents:list"), {"active": "false"}).content.decode()
    assert incident.title in client.get(reverse("incidents:list"), {"q": "#1"}).content.decode()


def test_detail_page_follows_the_incident_view_example(incident, users_a, client):
    client.force_login(users_a["viewer"])
    response = client.get(reverse("incidents:detail", args=[incident.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Incident #{incident.number}" in html and "Critical" in html
    assert 'id="root-cause"' in html and "database" in html and "db-primary" in html
    assert "no failing dependencies" in html  # the evidence
    assert "api</strong> (2 alerts" in html  # affected services with alert counts
    assert 'class="topology-graph"' in html and 'class="node root"' in html
    assert "Service topology" in html and "Why it is here" in html
    assert 'id="incident-actions"' not in html  # a viewer sees no buttons


def test_panel_slot_is_rendered(incident, users_a, client, tmp_path, settings):
    template = tmp_path / "probe_panel.html"
    template.write_text("<div id='probe'>panel for #{{ object.number }}</div>")
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], tmp_path]}]  # resets the template engines
    register_panel("incident_detail", "test-probe", "probe_panel.html")
    try:
        client.force_login(users_a["viewer"])
        html = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
        assert f"panel for #{incident.number}" in html
    finally:
        from aiops import panels

        panels._panels["incident_detail"] = [p for p in panels._panels["incident_detail"] if p.name != "test-probe"]


def test_actions_from_the_page(incident, users_a, client):
    client.force_login(users_a["operator"])
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert 'id="incident-actions"' in page and 'hx-post="' in page
    url = lambda action: reverse("incidents:action", args=[incident.pk, action])  # noqa: E731
    response = client.post(url("status"), {"status": "investigating"}, HTTP_HX_REQUEST="true", follow=True)
    assert "Status set to Investigating" in response.content.decode()
    client.post(url("assign"), {"assignee": "me"})
    client.post(url("comment"), {"body": "DB primary refuses connections"})
    client.post(
        url("postmortem"),
        {"title": incident.title, "impact": "Checkout down", "action_items": "Alert on pool\n[x] Fail over"},
    )
    incident.refresh_from_db()
    assert incident.status == "investigating" and incident.assignee == users_a["operator"]
    assert incident.title_is_auto and incident.action_items[1] == {
        "title": "Fail over",
        "owner": "",
        "due": "",
        "done": True,
    }
    assert IncidentComment.objects.get().body == "DB primary refuses connections"
    bad = client.post(url("status"), {"status": "open"}, follow=True).content.decode()
    assert "cannot become Open" in bad
    missing = client.post(url("merge"), {"number": 99}, follow=True).content.decode()
    assert "No incident #99" in missing
    assert client.post(url("nonsense")).status_code == 404


def test_viewer_cannot_act_and_other_org_is_404(incident, users_a, users_b, client):
    client.force_login(users_a["viewer"])
    assert (
        client.post(reverse("incidents:action", args=[incident.pk, "status"]), {"status": "resolved"}).status_code
        == 403
    )
    client.force_login(users_b["owner"])
    assert client.get(reverse("incidents:detail", args=[incident.pk])).status_code == 404
    assert client.post(reverse("incidents:action", args=[incident.pk, "comment"]), {"body": "x"}).status_code == 404
    incident.refresh_from_db()
    assert incident.status == "open"


def test_dashboard_card(incident, users_a, users_b, org_a, rf):
    """The card registered for the dashboard slot (rendered alone: the page holds other apps' cards)."""
    from django.template.loader import render_to_string

    from aiops.panels import panels_for
    from apps.incidents import selectors

    [panel] = [p for p in panels_for("dashboard") if p.name == "incidents-active"]
    request = rf.get("/")
    request.user = users_a["viewer"]
    html = render_to_string(panel.template, panel.context(request, org_a))
    assert 'id="panel-incidents-active"' in html and f"#{incident.number} {incident.title}" in html
    request.user = users_b["viewer"]
    assert selectors.active_incidents_panel(request, org_a)["active_total"] == 0
