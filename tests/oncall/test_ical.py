"""iCalendar out (parsed back with `icalendar`) and in (plain, recurring with RRULE/EXDATE/RECURRENCE-ID)."""
import datetime as dt

import icalendar
import pytest
from django.core.exceptions import ValidationError

from apps.oncall import selectors, services
from apps.oncall.rotation import UTC

from .conftest import berlin

pytestmark = pytest.mark.django_db


def _events(body: bytes):
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def test_schedule_feed_matches_the_schedule(client, payments, org_a, users_a, settings):
    feed, token = services.feed_create(organization=org_a, schedule=payments, created_by=users_a["admin"])
    response = client.get(f"/oncall/ical/{token}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = _events(response.content)
    now = dt.datetime.now(UTC)
    expected = selectors.timeline(payments, *selectors.feed_window(now))
    assert len(events) == len(expected) > 10
    for event, shift in zip(sorted(events, key=lambda e: e.decoded("DTSTART")), expected, strict=True):
        assert event.decoded("DTSTART") == shift.start and event.decoded("DTEND") == shift.end
        assert "(Payments)" in str(event["SUMMARY"])
    assert len({str(e["UID"]) for e in events}) == len(events)
    services.feed_revoke(feed=feed)
    assert client.get(f"/oncall/ical/{token}.ics").status_code == 404
    assert client.get("/oncall/ical/not-a-real-token-at-all.ics").status_code == 404


def test_person_feed_lists_only_their_shifts(client, payments, org_a, users_a):
    _, token = services.feed_create(organization=org_a, user=users_a["viewer"], created_by=users_a["viewer"])
    events = _events(client.get(f"/oncall/ical/{token}.ics").content)
    assert events and all(str(e["SUMMARY"]).startswith("a-viewer on call") for e in events)
    for event in events:
        local = event.decoded("DTSTART").astimezone(berlin(2026, 1, 1).tzinfo)
        assert local.hour == 9 and local.weekday() < 5


ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Other tool//EN
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:weekly-1@other
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260316T090000
DTEND;TZID=Europe/Berlin:20260316T170000
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4
EXDATE;TZID=Europe/Berlin:20260323T090000
SUMMARY:a-operator on call
END:VEVENT
BEGIN:VEVENT
UID:weekly-1@other
DTSTAMP:20260101T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20260330T090000
DTSTART;TZID=Europe/Berlin:20260330T120000
DTEND;TZID=Europe/Berlin:20260330T180000
SUMMARY:a-operator on call (moved)
END:VEVENT
BEGIN:VEVENT
UID:holiday@other
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20260403
DTEND;VALUE=DATE:20260404
SUMMARY:Holiday cover
ATTENDEE;CN=Owner:mailto:a-owner@example.com
END:VEVENT
BEGIN:VEVENT
UID:stranger@other
DTSTAMP:20260101T000000Z
DTSTART:20260317T090000Z
DTEND:20260317T100000Z
SUMMARY:Somebody else entirely
END:VEVENT
END:VCALENDAR
"""


def test_import_expands_recurring_events_across_dst_as_overrides(payments, users_a):
    now = berlin(2026, 3, 10)
    result = services.ics_import(schedule=payments, data=ICS, now=now, created_by=users_a["admin"])
    assert result["created"] == 4 and result["layer_id"] is None
    assert any("Somebody else" in line for line in result["skipped"])
    rows = list(payments.overrides.order_by("start").values_list("user__username", "start", "end"))
    assert [(u, s.astimezone(berlin(2026, 1, 1).tzinfo), e - s) for u, s, e in rows] == [
        ("a-operator", berlin(2026, 3, 16, 9), dt.timedelta(hours=8)),     # CET
        # 23 March is excluded (EXDATE); 30 March (after DST) was moved to 12:00-18:00 CEST.
        ("a-operator", berlin(2026, 3, 30, 12), dt.timedelta(hours=6)),
        ("a-owner", berlin(2026, 4, 3), dt.timedelta(hours=24)),           # an all-day event, local midnight
        ("a-operator", berlin(2026, 4, 6, 9), dt.timedelta(hours=8)),      # CEST: still 09:00 local
    ]
    assert selectors.oncall_at(payments, berlin(2026, 4, 3, 12))[0].user_id == users_a["owner"].pk
    # Importing the same file again changes nothing.
    assert services.ics_import(schedule=payments, data=ICS, now=now)["created"] == 0


def test_import_as_a_layer_sits_above_the_others(payments, users_a):
    result = services.ics_import(schedule=payments, data=ICS, as_layer=True, layer_name="Old tool",
                                 now=berlin(2026, 3, 10))
    layer = payments.layers.get(pk=result["layer_id"])
    assert layer.kind == "calendar" and layer.position == 3 and layer.shifts.count() == 4
    [primary, backup, *_] = selectors.oncall_at(payments, berlin(2026, 3, 16, 10))
    assert primary.user_id == users_a["operator"].pk and primary.source == f"layer:{layer.pk}"
    assert backup.user_id == users_a["viewer"].pk


def test_a_broken_file_is_refused_and_changes_nothing(payments):
    with pytest.raises(ValidationError):
        services.ics_import(schedule=payments, data=b"BEGIN:VCALENDAR\nthis is not ical", as_layer=True)
    assert not payments.overrides.exists() and payments.layers.count() == 2
