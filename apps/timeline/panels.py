"""The "timeline" panel on incident and alert pages (registered in `ready()`)."""
from . import conf
from .display import ALERT, INCIDENT, timeline_context


def _panel(subject, request, obj):
    # A page without a logged-in user or an object has nothing this user may see.
    if obj is None or request is None or not request.user.is_authenticated:
        return None
    entries = subject.entries(request.user, obj.organization_id, obj.pk)
    return {"timeline": timeline_context(subject, obj.pk, entries, limit=conf.panel_limit())}


def incident_panel(request, incident):
    return _panel(INCIDENT, request, incident)


def alert_panel(request, alert):
    return _panel(ALERT, request, alert)
