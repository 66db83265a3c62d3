"""The timeline in a real browser: drawn on the incident page, and still whole when printed."""
from datetime import timedelta

import pytest
from django.utils import timezone

from aiops.roles import Role
from apps.alerts.summary import alert_summary
from apps.tenancy import services
from tests.alerts.factories import AlertFactory
from tests.support.browser import ARTIFACTS_DIR, screenshot
from tests.tenancy.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_incident_timeline_page_draws_and_prints(browser_page, live_server, org_a, publish, incident_event,
                                                 make_incident):
    user = UserFactory(username="responder", password="correct-horse")
    services.membership_set(organization=org_a, user=user, role=Role.VIEWER)
    t0 = timezone.now() - timedelta(hours=1)
    incident, incident_id = make_incident(org_a)
    for minute, (name, service) in enumerate([("ErrorRate", "payment-api"), ("DBTimeout", "postgres"),
                                              ("CacheWrite", "redis")]):
        alert = AlertFactory(organization=org_a, name=name, summary=f"{name} on {service}", service=service,
                             starts_at=t0 + timedelta(minutes=15 + minute))
        publish("alert.received", org=org_a, subject=alert, is_new=True, **alert_summary(alert))
        incident_event("incident.alert_added" if minute else "incident.created", org_a, incident, incident_id,
                       alert_id=alert.pk, strategy="temporal", reason="within 5 minutes")
        if not minute:
            publish("change.correlated", org=org_a, alert_id=alert.pk, service="payment-service",
                    event_type="deployment", version="v2.3.1", user="developer@company.com",
                    timestamp=t0.isoformat())
    incident_event("incident.commented", org_a, incident, incident_id,
                   comment="Pool exhausted after the deploy")
    incident_event("incident.status_changed", org_a, incident, incident_id, old_status="open",
                   new_status="resolved")

    page = browser_page
    page.goto(f"{live_server.url}/timeline/incidents/{incident_id}/")
    page.fill("#id_username", "responder")
    page.fill("#id_password", "correct-horse")
    page.click("button[type=submit]")
    page.wait_for_selector("svg.timeline-svg")
    assert page.locator("svg.timeline-svg circle").count() == 9
    assert page.locator(".timeline-list li").count() == 9
    box = page.locator("svg.timeline-svg").bounding_box()
    assert box["width"] > 600 and box["height"] > 100
    screenshot(page, "timeline-incident")

    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.locator("form.filters").is_hidden()
    assert page.locator("svg.timeline-svg").is_visible()
    screenshot(page, "timeline-incident-print")
    pdf = page.pdf(path=str(ARTIFACTS_DIR / "timeline-incident.pdf"), format="A4")
    assert len(pdf) > 10_000
