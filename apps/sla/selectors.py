"""Read queries shared by the portal, the API and the panels."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import OPEN_STATES, ClockState, Target
from .clocks import clock_compute
from .models import SLAClock


def hms(seconds: float) -> str:
    seconds = int(max(0, round(seconds)))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass
class ClockView:
    """A clock as the pages show it, computed now from the item's facts (not the cached columns)."""

    clock: SLAClock
    state: str  # running / paused / met / breached
    status: str  # on_track / approaching / breached / met / paused
    remaining_seconds: float | None
    elapsed_seconds: float
    deadline_at: datetime | None
    text: str
    status_label: str

    @property
    def running(self) -> bool:
        return self.state == ClockState.RUNNING


def clock_view(clock: SLAClock, *, facts=None, now: datetime | None = None) -> ClockView:
    now = now or timezone.now()
    state = clock_compute(clock, facts=facts, now=now)
    label = "MTTA" if clock.target == Target.MTTA else "MTTR"
    if state is None:
        return ClockView(clock, clock.state, "met", None, clock.elapsed_seconds, clock.deadline_at, "", "")
    remaining = (state.deadline_at - now).total_seconds() if state.deadline_at and state.state in OPEN_STATES \
        else None
    if state.state == ClockState.BREACHED:
        over = (min(state.stopped_at or now, now) - state.deadline_at).total_seconds() if state.deadline_at else 0
        status, text = "breached", _("%(time)s past the %(target)s deadline") % {"time": hms(over), "target": label}
        status_label = _("Breached")
    elif state.state == ClockState.MET:
        status, text = "met", _("%(target)s met in %(time)s") % {"target": label, "time": hms(state.elapsed_seconds)}
        status_label = _("Met")
    else:
        threshold = clock.target_seconds * clock.warning_threshold_percent / 100
        status = "approaching" if state.elapsed_seconds >= threshold else "on_track"
        status_label = _("Approaching deadline") if status == "approaching" else _("On track")
        if state.state == ClockState.PAUSED:
            status, status_label = "paused", _("Paused")
        if remaining is None:
            text = _("%(target)s clock paused, %(time)s used") % {"target": label, "time": hms(state.elapsed_seconds)}
        else:
            text = _("%(time)s until %(target)s breach") % {"time": hms(remaining), "target": label}
    return ClockView(clock, state.state, status, remaining, state.elapsed_seconds, state.deadline_at, text,
                     status_label)


def clocks_for_item(*, user, organization_id: int, subject_kind: str, subject_id: int,
                    now: datetime | None = None) -> list[ClockView]:
    from .clocks import item_facts

    clocks = list(SLAClock.objects.visible_to(user).for_org(organization_id)
                  .filter(subject_kind=subject_kind, subject_id=subject_id).select_related("sla")
                  .order_by("target"))
    facts = item_facts(organization_id, subject_kind, subject_id) if clocks else []
    return [clock_view(c, facts=facts, now=now) for c in clocks]


def clocks_nearest_breach(*, user, organization_id: int, limit: int = 20):
    """Open clocks, nearest deadline first (the dashboard's "about to breach" list)."""
    return (SLAClock.objects.visible_to(user).for_org(organization_id).filter(state__in=OPEN_STATES)
            .exclude(deadline_at__isnull=True).select_related("sla").order_by("deadline_at")[:limit])
