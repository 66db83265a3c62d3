"""Timeline fixtures: publish real domain events and let the (eager) subscriber write entries."""
from collections import defaultdict

import pytest
from django.apps import apps as django_apps
from django.db import transaction

from aiops import events


@pytest.fixture(autouse=True)
def timeline_only(request, monkeypatch):
    """Deliver events to the timeline's subscriber only, so other apps' reactions (the correlation
    engine opening its own incidents, ...) do not add entries these tests do not expect.

    Tests marked `full_bus` keep every subscriber: they check the timeline against the real apps.
    """
    if request.node.get_closest_marker("full_bus"):
        return
    from apps.timeline.tasks import timeline_record_event

    only = defaultdict(list)
    for name, subs in events._subscribers.items():
        only[name] = [s for s in subs if s.task is timeline_record_event]
    monkeypatch.setattr(events, "_subscribers", only)


def pytest_configure(config):
    config.addinivalue_line("markers", "full_bus: deliver events to every app's subscribers")


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """`publish(name, org=..., subject=..., **data)`: publish and run the on-commit fan-out now."""

    def do(name, /, **kwargs):
        # Each publish in its own savepoint: the bus batches per savepoint, and a test transaction
        # never commits, so a batch captured and run here would otherwise absorb the next event.
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return events.publish(name, **kwargs)

    return do


@pytest.fixture
def make_incident():
    """`make_incident(org)` -> (incident or None, id): a real incident when the incidents app has one.

    The timeline never imports incidents; without an Incident model, an incident is only an id
    that incident.* events carry.
    """
    counter = iter(range(9000, 10000))

    def make(org):
        try:
            model = django_apps.get_model("incidents", "Incident")
        except LookupError:
            return None, next(counter)
        from aiops.testing.factories import make_in_org

        incident = make_in_org(model, org)
        return incident, incident.pk

    return make


@pytest.fixture
def incident_event(publish):
    """`incident_event(name, org, incident, incident_id, **data)`: an incident.* event, shaped like
    the incidents app's (incident_summary) ones."""

    def do(name, org, incident, incident_id, /, **data):
        data = {"incident_id": incident_id, "number": getattr(incident, "number", incident_id),
                "title": "Payment System Degraded", "status": "open", "severity": "critical",
                "url": f"http://testserver/incidents/{incident_id}/", **data}
        return publish(name, org=org, subject=incident, **data)

    return do
