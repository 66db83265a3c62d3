"""The timeline against the real apps: Alertmanager webhook → alerts → correlation engine → timeline,
and a real Celery worker process delivering (and redelivering) events."""
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from aiops import events
from apps.alerts.models import Alert
from apps.alerts.summary import alert_summary
from apps.timeline.models import TimelineEntry
from tests.alerts.factories import AlertFactory, IntegrationFactory

CONTRACTS = Path("/work/shared/contracts/alertmanager")
if not CONTRACTS.exists():
    CONTRACTS = Path(__file__).parents[1] / "alerts" / "contracts"


def _body(name: str, starts_at) -> dict:
    body = json.loads((CONTRACTS / name).read_text())
    for alert in body["alerts"]:
        alert["startsAt"] = starts_at.isoformat().replace("+00:00", "Z")
        if alert["status"] == "resolved":
            alert["endsAt"] = (starts_at + timedelta(minutes=4)).isoformat().replace("+00:00", "Z")
    return body


@pytest.mark.full_bus
@pytest.mark.django_db(transaction=True)
def test_webhook_to_incident_timeline(client, org_a, users_a):
    integration = IntegrationFactory(organization=org_a)
    url = reverse("alertmanager-hook", kwargs={"token": integration.token})
    started = (timezone.now() - timedelta(minutes=10)).replace(microsecond=0)
    for name in ("firing.json", "resolved.json"):
        response = client.post(url, data=json.dumps(_body(name, started)), content_type="application/json")
        assert response.status_code == 202, response.content

    alert = Alert.objects.get()
    created = TimelineEntry.objects.get(kind="incident.created")
    assert created.alert_id == alert.pk and created.incident_id
    client.force_login(users_a["viewer"])
    body = client.get(f"/api/v1/incidents/{created.incident_id}/timeline",
                      HTTP_X_ORGANIZATION=org_a.slug).json()
    kinds = [e["kind"] for e in body["events"]]
    assert kinds[0] == "alert.received" and body["events"][0]["occurred_at"].startswith(
        started.isoformat().replace("+00:00", ""))
    assert "incident.created" in kinds and "alert.resolved" in kinds
    # Event time: the alert resolved at Alertmanager's endsAt, before this late batch opened the incident.
    resolved = next(e for e in body["events"] if e["kind"] == "alert.resolved")
    ended = (started + timedelta(minutes=4)).isoformat().replace("+00:00", "")
    assert resolved["occurred_at"].startswith(ended)
    assert kinds.index("alert.received") < kinds.index("incident.created")
    times = [e["occurred_at"] for e in body["events"]]
    assert times == sorted(times)

    try:
        page = client.get(reverse("incidents:detail", kwargs={"pk": created.incident_id}))
    except NoReverseMatch:
        pytest.skip("the incidents app has no detail page")
    html = page.content.decode()
    assert page.status_code == 200 and 'class="card timeline-panel"' in html
    assert html.count('<li id="timeline-entry-') == len(kinds)


def _wait_for(condition, timeout=45):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


@pytest.mark.slow
@pytest.mark.full_bus
def test_real_worker_records_once_despite_redelivery(celery_worker_process, org_a):
    alert = AlertFactory(organization=org_a)
    event = events.build_event("alert.acknowledged", org=org_a, subject=alert, source="api",
                               **alert_summary(alert))
    events.dispatch(event)
    events.dispatch(event)  # the broker hands the same message out again
    events.dispatch(events.build_event("incident.commented", org=org_a, incident_id=5, comment="second"))

    assert _wait_for(lambda: TimelineEntry.objects.count() == 2), celery_worker_process.log()[-3000:]
    time.sleep(2)  # give a duplicate time to land, if it were going to
    assert TimelineEntry.objects.filter(event_id=event["id"]).count() == 1
    assert TimelineEntry.objects.count() == 2
