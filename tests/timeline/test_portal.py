"""Portal: the timeline panel on incident and alert pages, the standalone page, the Markdown download."""
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from aiops.panels import panels_for
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
    if '<svg class="timeline-svg"' not in html:
        return 0
    start = html.index('<svg class="timeline-svg"')
    end = html.index("</svg>", start) + len("</svg>")
    return len(ET.fromstring(html[start:end]).findall(f".//{SVG}circle"))


def _render_panel(slot, user, obj):
    """Our panel as `{% render_panels %}` renders it (other apps' panels in the slot left out)."""
    panel = next(p for p in panels_for(slot) if p.name == "timeline")
    request = RequestFactory().get("/")
    request.user = user
    extra = panel.context(request, obj)
    return "" if extra is None else render_to_string(panel.template, {"object": obj, **extra})


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
def test_panel_renders_for_the_object(slot, incident_story, users_a, users_b):
    incident, incident_id, alerts = incident_story
    obj = incident if slot == "incident_detail" else alerts[0]
    if obj is None:
        pytest.skip("no Incident model to pass to the incident panel")
    html = _render_panel(slot, users_a["viewer"], obj)
    assert 'class="card timeline-panel"' in html
    assert _svg_marks(html) == (5 if slot == "incident_detail" else 2)
    # Another organisation's member gets an empty panel: no entries leak.
    foreign = _render_panel(slot, users_b["owner"], obj)
    assert "<svg" not in foreign and "No events recorded yet." in foreign
    assert _render_panel(slot, AnonymousUser(), obj) == ""


def test_panel_limit_keeps_the_latest(incident_story, users_a, settings):
    _, _, alerts = incident_story
    settings.TIMELINE_PANEL_LIMIT = 1
    html = _render_panel("alert_detail", users_a["viewer"], alerts[0])
    assert _svg_marks(html) == 1
    assert "Showing the latest 1 events" in html
    assert "Incident #" in html and "Alert fired" not in html  # the newest of (fired, incident opened)
