"""The incident.assigned sentence (the event joined the catalogue after the timeline app)."""
from aiops import events
from apps.timeline.formatters import render


def _event(**data):
    return events.build_event("incident.assigned", org=1, incident_id=7, number=3, title="db down", **data)


def test_assignment_sentences():
    assert render(_event(role="assignee", assignee="alice")).summary == "alice is now assignee of incident #3"
    assert render(_event(role="commander", assignee="bob")).summary == "bob is now commander of incident #3"
    assert render(_event(role="assignee", assignee="")).summary == "Incident #3 has no assignee any more"
