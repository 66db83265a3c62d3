"""On-call announcements: "Alice is now on call" and coverage-gap warnings to the team's channels.

The oncall app publishes `oncall.shift_changed` and `oncall.coverage_gap` with the schedule's
team; each enabled channel of that team gets one message. A schedule without a team announces
nothing (organisation-wide channels would tell everyone about every rotation).
"""
from __future__ import annotations

from django.utils import timezone

from ..choices import DeliveryKind
from ..models import NotificationChannel
from .outbox import EventRef, queue_delivery

ANNOUNCED_EVENTS = ("oncall.shift_changed", "oncall.coverage_gap", "oncall.shift_starting")


def oncall_announce(*, events: list[dict]) -> int:
    """Queue one message per team channel for each announcement; returns how many were queued."""
    queued, now = 0, timezone.now()
    for event in events:
        data = event.get("data") or {}
        team_id, org_id = data.get("team_id"), event.get("organization_id")
        if event.get("name") not in ANNOUNCED_EVENTS or not org_id:
            continue
        if not team_id and event["name"] != "oncall.shift_starting":
            continue
        ref = EventRef.of(event)
        if event["name"] == "oncall.shift_starting":
            queued += _shift_notice(event, ref, org_id, now)
            continue
        message = {"message": _text(event["name"], data), "subject_key": f"oncall:{data.get('schedule_id')}"}
        for channel in NotificationChannel.objects.filter(organization_id=org_id, team_id=team_id, enabled=True):
            if queue_delivery(organization_id=org_id, event=ref, kind=DeliveryKind.NEW, now=now, channel=channel,
                              title=str(data.get("title") or ""), data=message):
                queued += 1
    return queued


def _text(name: str, data: dict) -> str:
    from django.utils.translation import gettext as _

    if name == "oncall.coverage_gap":
        return _("Nobody is on call for %(schedule)s from %(start)s to %(end)s. Add an override to cover it.") % {
            "schedule": data.get("schedule", ""), "start": data.get("gap_start", ""), "end": data.get("gap_end", "")}
    previous = data.get("previous_user") or _("nobody")
    return _("Handoff on %(schedule)s: %(who)s takes over from %(previous)s.") % {
        "schedule": data.get("schedule", ""), "who": data.get("user") or _("nobody"), "previous": previous}


def _shift_notice(event: dict, ref: EventRef, org_id: int, now) -> int:
    """ "You are on call from 09:00 (Payments, primary)" to the person, through their own methods."""
    from django.contrib.auth import get_user_model

    from .personal import queue_personal

    data = event.get("data") or {}
    user = get_user_model().objects.filter(pk=data.get("user_id"), memberships__organization_id=org_id).first()
    if user is None:
        return 0
    person = {"user_id": user.pk, "name": data.get("user") or user.get_username(), "email": user.email}
    message = {"message": str(data.get("title") or ""), "subject_key": f"oncall:{data.get('schedule_id')}"}
    return len(queue_personal(organization_id=org_id, person=person, event=ref, kind=DeliveryKind.NEW, now=now,
                              data=message, title=str(data.get("title") or ""), dedup=f"shift-notice:{ref.id}"))
