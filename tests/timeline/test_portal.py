"""Portal: the timeline panel on incident and alert pages, the standalone page, the Markdown download."""
import xml.etree.ElementTree as ET

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from apps.alerts.summary import alert_summary
from tests.alerts.factories import AlertFactory

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def incident_story(org_a, publish, incident_event, make_incident):
    alerts = [AlertFactory(organization=org_a, summary=f"Alert {i}") for i in range(3)]
    for alert in alerts:
        publish("alert.received", org=org_a, subject=alert, **alert_summary(alert))
    incident, incident_id = make_incident(org_a)
    incident_event("incident.created", org_a, incident, incident_id, alert_id=alerts[0].pk,
                   alert_ids=[a.pk for a in alerts])
    incident_event("incident.commented", org_a, incident, incident_id, comment="Looking <b>into</b> it")
    return incident, incident_id, alerts


def _svg_marks(html: str) -> int:
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    return len(ET.fromstring(html[start:end]).findall(f".//{SVG}circle"))


def test_standalone_page(incident_story, org_a, users_a, client):
    _, incident_id, alerts = incident_story
    client.force_login(users_a["viewer"])
    response = client.get(reverse("timeline:incident", args=[incident_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert _svg_marks(html) == 5
    assert html.count('<li id="timeline-entry-') == 5
    assert "Looking &lt;b&gt;into&lt;/b&gt; it" in html  # escaped, never markup
    assert reverse("timeline:incident-markdown", args=[incident_id]) in html
    filtered = client.get(reverse("timeline:incident", args=[incident_id]), {"type": "comment"})
    assert _svg_marks(filtered.content.decode()) == 1
    invalid = client.get(reverse("timeline:incident", args=[incident_id]), {"occurred_after": "soon"})
    assert invalid.status_code == 200 and "occurred_after" in invalid.content.decode()


def test_pages_are_scoped(incident_story, users_b, client):
    _, incident_id, alerts = incident_story
    client.force_login(users_b["owner"])
    urls = [reverse(name, args=[incident_id]) for name in ("timeline:incident", "timeline:incident-markdown")]
    urls += [reverse(name, args=[alerts[0].pk]) for name in ("timeline:alert", "timeline:alert-markdown")]
    for url in urls:
        assert client.get(url).status_code == 404, url
    client.logout()
    anonymous = client.get(reverse("timeline:incident", args=[incident_id]))
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_markdown_download(incident_story, users_a, client):
    _, incident_id, _ = incident_story
    client.force_login(users_a["viewer"])
    response = client.get(reverse("timeline:incident-markdown", args=[incident_id]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="incident-{incident_id}-timeline.md"'
    text = response.content.decode()
    assert "| 5 |" in text and "Looking &lt;b&gt;into&lt;/b&gt; it" in text


def test_alert_page(incident_story, users_a, client):
    _, _, alerts = incident_story
    client.force_login(users_a["viewer"])
    html = client.get(reverse("timeline:alert", args=[alerts[0].pk])).content.decode()
    assert _svg_marks(html) == 2  # it fired, and it opened the incident
    assert f"Alert #{alerts[0].pk}: Alert 0" in html


@pytest.mark.parametrize("slot", ["incident_detail", "alert_detail"])
def test_panel_renders_for_the_object(slot, incident_story, users_a, users_b, settings):
    incident, incident_id, alerts = incident_story
    obj = incident if slot == "incident_detail" else alerts[0]
    if obj is None:
        pytest.skip("no Incident model to pass to the incident panel")
    template = Template('{% load portal %}{% render_panels slot obj %}')
    request = RequestFactory().get("/")
    request.user = users_a["viewer"]
    html = template.render(Context({"request": request, "slot": slot, "obj": obj}))
    assert 'class="card timeline-panel"' in html
    assert _svg_marks(html) == (5 if slot == "incident_detail" else 2)
    request.user = users_b["owner"]  # another organisation's member sees an empty panel, no entries
    foreign = template.render(Context({"request": request, "slot": slot, "obj": obj}))
    assert "<svg" not in foreign and "No events recorded yet." in foreign


def test_panel_limit_keeps_the_latest(incident_story, users_a, settings):
    _, _, alerts = incident_story
    settings.TIMELINE_PANEL_LIMIT = 1
    request = RequestFactory().get("/")
    request.user = users_a["viewer"]
    html = Template('{% load portal %}{% render_panels "alert_detail" obj %}').render(
        Context({"request": request, "obj": alerts[0]}))
    assert _svg_marks(html) == 1
    assert "Showing the latest 1 events" in html
    assert "Incident #" in html and "Alert fired" not in html  # the newest of (fired, incident opened)
